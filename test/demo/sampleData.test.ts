// The demo's sample data (data/sample/): `npm run gen:sample` writes it byte for byte again, and the real
// input adapters read it the way its README says (traps quarantined, ignored or waiting, Stripe categories).
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keccak256 } from "viem";
import { detectInputKind } from "../../oracle/usage/ingest";
import { parseMeteringText } from "../../oracle/sources/metering";
import { parseSlurmText } from "../../oracle/sources/slurm";
import { loadFxRates } from "../../oracle/sources/fx";
import { parseStripeText } from "../../oracle/sources/stripe";
import { PARTNERS, STARTUPS, startupSpec } from "../../demo/program";
import type { SampleManifest } from "../../demo/story";
import { diffSampleData } from "../../scripts/sample/files";
import { generateSampleData, SAMPLE_DIR } from "../../scripts/sample/generate";

const ROOT = join(__dirname, "..", "..");

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, prefix: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(d, entry.name), `${prefix}${entry.name}/`);
      else out.push(`${prefix}${entry.name}`);
    }
  };
  walk(dir, "");
  return out.sort();
}

describe("demo sample data", function () {
  this.timeout(120_000);
  const manifest = JSON.parse(readFileSync(join(SAMPLE_DIR, "manifest.json"), "utf8")) as SampleManifest & { terms: Record<string, string> };

  describe("npm run gen:sample", function () {
    it("when run again, it writes every file of data/sample byte for byte, and no other", function () {
      const out = mkdtempSync(join(tmpdir(), "dsx-sample-"));
      try {
        const run = spawnSync("npm", ["run", "--silent", "gen:sample", "--", "--out", out], { cwd: ROOT, encoding: "utf8" });
        expect(run.status, run.stderr).to.equal(0);
        const committed = filesUnder(SAMPLE_DIR);
        expect(filesUnder(out)).to.deep.equal(committed);
        for (const file of committed) {
          expect(readFileSync(join(out, file)).equals(readFileSync(join(SAMPLE_DIR, file))), file).to.equal(true);
        }
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });

    it("when generated twice in one process, it gives the same files (no clock, no unseeded randomness)", function () {
      const a = generateSampleData();
      const b = generateSampleData();
      expect([...a.keys()]).to.deep.equal([...b.keys()]);
      for (const [path, content] of a) expect(b.get(path), path).to.equal(content);
      expect(diffSampleData(SAMPLE_DIR, a)).to.deep.equal([]);
    });
  });

  describe("the usage exports (SERVICES §2)", function () {
    for (const partner of PARTNERS) {
      it(`when ${partner.name}'s exports are read by the adapters, only the documented traps are set aside`, function () {
        const accounts: Record<string, bigint> = {};
        STARTUPS.forEach((s, i) => {
          if (s.partners[partner.key]) accounts[s.partners[partner.key].account] = BigInt(i + 1);
        });
        const config = { accounts, skuMap: partner.skuMap, partitionSkus: partner.partitionSkus, timezone: partner.timezone };
        const reasons: string[] = [];
        const ignored: string[] = [];
        let waiting = 0;
        let records = 0;
        const dir = join(SAMPLE_DIR, "usage", partner.key);
        for (const name of readdirSync(dir).sort()) {
          const text = readFileSync(join(dir, name), "utf8");
          const slurm = detectInputKind(join(dir, name)) === "slurm";
          expect(slurm, name).to.equal(name.startsWith("sacct_"));
          if (slurm) expect(text.split("\n")[0]).to.equal("JobIDRaw|Cluster|User|Account|Partition|State|Start|End|ElapsedRaw|AllocTRES|NodeList");
          const parsed = slurm ? parseSlurmText(text, config, name) : parseMeteringText(text, config, name);
          records += parsed.records.length;
          reasons.push(...parsed.quarantined.map((q) => q.reason));
          ignored.push(...parsed.ignored.map((i) => i.reason));
          waiting += parsed.counts.waiting;
        }
        // two other-tenant jobs and the partner's own namespace: unknown accounts; one impossible metering record
        expect(reasons.sort()).to.deep.equal(["gpu-seconds-exceed-bound", "unknown-account", "unknown-account", "unknown-account"]);
        expect(ignored).to.include("non-gpu").and.to.include("zero-usage");
        expect(waiting).to.be.greaterThan(0);
        expect(records).to.be.greaterThan(100);
      });
    }

    it("when a job crosses a DST change, ElapsedRaw and the cluster's zone give its true length", function () {
      const cases = [
        { partner: "southern-cross", file: "sacct_scc-syd1_2026-10-01_2026-10-08.txt", times: "|2026-10-04T00:30:00|2026-10-04T06:30:00|", seconds: 5n * 3600n },
        { partner: "nordlys", file: "sacct_nrd-osl1_2026-10-22_2026-10-29.txt", times: "|2026-10-25T02:30:00|2026-10-25T02:15:00|", seconds: 2700n },
      ];
      for (const c of cases) {
        const partner = PARTNERS.find((p) => p.key === c.partner)!;
        const accounts = Object.fromEntries(STARTUPS.filter((s) => s.partners[c.partner]).map((s, i) => [s.partners[c.partner].account, BigInt(i + 1)]));
        const text = readFileSync(join(SAMPLE_DIR, "usage", c.partner, c.file), "utf8");
        const line = text.split("\n").find((l) => l.includes(c.times))!;
        const config = { accounts, skuMap: partner.skuMap, partitionSkus: partner.partitionSkus, timezone: partner.timezone };
        const job = parseSlurmText(text, config).records.find((r) => r.recordKey.jobId === line.split("|")[0])!;
        expect(job.end - job.start, c.file).to.equal(c.seconds);
      }
    });
  });

  describe("the Stripe reports (SERVICES §3)", function () {
    it("when read with fx-rates.csv, every row parses (Tessellate's EUR charge converted at its date's rate), and the signs follow the categories", function () {
      const fx = loadFxRates(join(SAMPLE_DIR, "fx-rates.csv"));
      const converted: string[] = [];
      const quarantined: string[] = [];
      const byCategory = new Map<string, bigint[]>();
      for (const s of STARTUPS) {
        const dir = join(SAMPLE_DIR, "stripe", s.key);
        for (const name of readdirSync(dir)) {
          const parsed = parseStripeText(readFileSync(join(dir, name), "utf8"), name, { fx });
          quarantined.push(...parsed.quarantined.map((q) => `${s.key}:${q.reason}`));
          converted.push(...parsed.records.filter((r) => r.conversion).map((r) => `${s.key}:${r.currency}:${r.conversion!.gross.date}`));
          for (const r of parsed.records) byCategory.set(r.category, [...(byCategory.get(r.category) ?? []), r.gross]);
        }
      }
      expect(quarantined).to.deep.equal([]);
      expect(converted).to.deep.equal(["tessellate:EUR:2026-11-18"]);
      for (const c of ["charge", "refund_failure", "dispute_reversal"]) expect(byCategory.get(c)!.every((g) => g > 0n), c).to.equal(true);
      for (const c of ["refund", "dispute", "charge_failure", "partial_capture_reversal"]) expect(byCategory.get(c)!.every((g) => g < 0n), c).to.equal(true);
    });

    it("when Quill AI's October is restated, the full report holds every row of the incomplete one and more", function () {
      const rows = (path: string) => parseStripeText(readFileSync(join(SAMPLE_DIR, path), "utf8")).records.map((r) => r.id);
      const partial = rows(manifest.revenueDispute.disputed);
      const full = rows(manifest.revenueDispute.restatement);
      expect(partial.every((id) => full.includes(id))).to.equal(true);
      expect(full.length).to.be.greaterThan(partial.length);
    });
  });

  describe("the manifest", function () {
    it("lists every sample file once with an arrival time, and the terms documents of every startup", function () {
      const listed = manifest.files.map((f) => f.path);
      const onDisk = filesUnder(SAMPLE_DIR).filter((f) => f.startsWith("usage/") || f.startsWith("stripe/"));
      expect([...listed].sort()).to.deep.equal(onDisk);
      for (const f of manifest.files) expect(Number.isNaN(Date.parse(f.availableAt)), f.path).to.equal(false);
      for (const s of STARTUPS) expect(keccak256(readFileSync(join(SAMPLE_DIR, manifest.terms[s.key])))).to.match(/^0x[0-9a-f]{64}$/);
      expect(startupSpec(manifest.usageDispute.startup).partners[manifest.usageDispute.partner]).to.not.equal(undefined);
    });
  });
});
