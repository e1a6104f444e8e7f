// Writes the demo's sample data (data/sample/, docs/demo.md): the partners' Slurm `sacct` exports and
// metering files (SERVICES §2, traps included), the startups' Stripe itemized balance reports
// (SERVICES §3), their legal terms and a manifest saying when each file "arrives" in the demo's
// story. Seeded and deterministic: every run writes the same bytes. The generator is scripts/sample/.
//   npm run gen:sample                  rewrite data/sample/
//   npm run gen:sample -- --out <dir>   write elsewhere (the test compares it with data/sample/)
//   npm run gen:sample -- --check       exit 1 when data/sample/ differs from what would be written
import { relative } from "node:path";
import { diffSampleData, writeSampleData } from "./sample/files";
import { generateSampleData, SAMPLE_DIR } from "./sample/generate";

function main(argv: string[]): number {
  const outIndex = argv.indexOf("--out");
  const dir = outIndex >= 0 ? argv[outIndex + 1] : SAMPLE_DIR;
  if (!dir) {
    process.stderr.write("gen-sample-data: --out needs a folder, e.g. --out /tmp/sample\n");
    return 1;
  }
  const files = generateSampleData();
  if (argv.includes("--check")) {
    const diff = diffSampleData(dir, files);
    for (const d of diff) process.stdout.write(`${d}\n`);
    process.stdout.write(diff.length === 0 ? `${dir} is up to date (${files.size} files)\n` : `${dir} differs: run npm run gen:sample\n`);
    return diff.length === 0 ? 0 : 1;
  }
  writeSampleData(dir, files);
  const bytes = [...files.values()].reduce((s, c) => s + Buffer.byteLength(c), 0);
  process.stdout.write(`wrote ${files.size} files (${bytes} bytes) to ${relative(process.cwd(), dir) || "."}\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
