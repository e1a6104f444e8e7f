// Assembles every file of data/sample/ (docs/demo.md): the partners' usage exports, the startups' terms and Stripe
// reports, the exchange rates, manifest.json and the README. Seeded and deterministic: every run gives the same bytes.
import { join } from "node:path";
import { PARTNERS, STARTUPS, at, isoOf } from "../../demo/program";
import { formatUnits6 } from "../../sdk/units";
import { fxRates } from "./fxRates";
import { checkLimits, usageTally, type Manifest, type ManifestFile } from "./manifest";
import { meteringFile } from "./meteringExport";
import { SEED } from "./random";
import { readme } from "./readme";
import { generateStripeRows, stripeCsv } from "./revenueReport";
import { exportArrival, exportWindows, type ClusterUsage } from "./scenario";
import { sacctExport } from "./slurmExport";
import { termsDocument } from "./terms";
import { generateClusterUsage } from "./usage";

/** Where the sample data is committed. */
export const SAMPLE_DIR = join(__dirname, "..", "..", "data", "sample");

/** Every file of data/sample/: relative path → content. */
export function generateSampleData(): Map<string, string> {
  const files = new Map<string, string>();
  const manifestFiles: ManifestFile[] = [];
  const usage = new Map<string, ClusterUsage>();
  const expectedGpuSeconds: Manifest["expectedGpuSeconds"] = {};
  const approximateCredits: Manifest["approximateCredits"] = {};
  const creditTotals = new Map<string, bigint>();

  for (const partner of PARTNERS) {
    const u = generateClusterUsage(partner);
    usage.set(partner.key, u);
    const windows = exportWindows(partner);
    for (const [i, w] of windows.entries()) {
      const path = `usage/${partner.key}/sacct_${partner.cluster}_${w.fromDate}_${w.toDate}.txt`;
      files.set(path, sacctExport(partner, u.jobs, w));
      manifestFiles.push({ path, kind: "slurm", owner: partner.key, availableAt: isoOf(BigInt(exportArrival(w))) });
      if (u.jobs.some((j) => j.missedBy === w.fromDate)) {
        // re-run after the outage, delivered with the next week's exports
        const rerun = `usage/${partner.key}/sacct_${partner.cluster}_${w.fromDate}_${w.toDate}.rerun.txt`;
        files.set(rerun, sacctExport(partner, u.jobs, w, { rerun: true }));
        manifestFiles.push({ path: rerun, kind: "slurm", owner: partner.key, availableAt: isoOf(BigInt(exportArrival(windows[i + 1]))), note: "re-export after a slurmdbd outage" });
      }
      const records = [...(u.sessions.get(w.fromDate) ?? [])];
      const previous = i > 0 ? u.sessions.get(windows[i - 1].fromDate) ?? [] : [];
      records.push(...previous.filter((r) => r.resend));
      if (records.length === 0) continue;
      const ext = partner.key === "nordlys" ? "jsonl" : "csv";
      const name = partner.key === "nordlys" ? "k8s-gpu" : "endpoints";
      const mpath = `usage/${partner.key}/${name}_${w.fromDate}_${w.toDate}.${ext}`;
      files.set(mpath, meteringFile(partner, records));
      manifestFiles.push({ path: mpath, kind: "metering", owner: partner.key, availableAt: isoOf(BigInt(exportArrival(w))) });
    }
    const tally = usageTally(partner, u);
    for (const [startup, gs] of tally.gpuSeconds) {
      (expectedGpuSeconds[startup] ??= {})[partner.key] = gs.toString();
      const credits = tally.credits.get(startup) ?? 0n;
      (approximateCredits[startup] ??= {})[partner.key] = formatUnits6(credits);
      creditTotals.set(`${startup}/${partner.key}`, credits);
    }
  }

  const terms: Record<string, string> = {};
  for (const s of STARTUPS) {
    const path = `terms/${s.key}.md`;
    files.set(path, termsDocument(s));
    terms[s.key] = path;
  }

  let disputed = "";
  let restatement = "";
  for (const s of STARTUPS) {
    const rows = generateStripeRows(s);
    const monthFile = (from: string, to: string) => `stripe/${s.key}/balance_change_from_activity.itemized.3_${from}_to_${to}.csv`;
    const inRange = (from: string, to: string) => rows.filter((r) => r.created >= Number(at(`${from}T00:00:00Z`)) && r.created < Number(at(`${to}T00:00:00Z`)) + 86_400);
    const add = (path: string, content: string, availableAt: string, note?: string) => {
      files.set(path, content);
      manifestFiles.push({ path, kind: "stripe", owner: s.key, availableAt, ...(note ? { note } : {}) });
    };
    if (s.key === "quill-ai") {
      disputed = monthFile("2026-10-01", "2026-10-24");
      add(disputed, stripeCsv(s, inRange("2026-10-01", "2026-10-24")), "2026-11-01T15:00:00Z", "downloaded with the wrong interval end: a week is missing");
      restatement = monthFile("2026-10-01", "2026-10-31");
      add(restatement, stripeCsv(s, inRange("2026-10-01", "2026-10-31")), "2026-11-03T11:00:00Z", "the full month, downloaded again after the dispute");
    } else {
      add(monthFile("2026-10-01", "2026-10-31"), stripeCsv(s, inRange("2026-10-01", "2026-10-31")), "2026-11-01T15:00:00Z");
    }
    add(monthFile("2026-11-01", "2026-11-30"), stripeCsv(s, inRange("2026-11-01", "2026-11-30")), "2026-12-01T15:00:00Z");
  }

  const nf = usage.get("nordlys")!.notes.nodeFailJob!;
  const manifest: Manifest = {
    generator: "scripts/gen-sample-data.ts",
    seed: SEED,
    files: manifestFiles.sort((a, b) => (a.availableAt < b.availableAt ? -1 : a.availableAt > b.availableAt ? 1 : a.path < b.path ? -1 : 1)),
    terms,
    expectedGpuSeconds,
    approximateCredits,
    usageDispute: {
      partner: "nordlys",
      startup: "quill-ai",
      jobId: String(nf.jobId),
      recordId: `slurm:nrd-osl1:${nf.jobId}:${nf.start}`,
      gpuSeconds: String(nf.gpus * (nf.end - nf.start!)),
      sku: "gb300",
      reason: `job ${nf.jobId} on nrd-osl1 ended NODE_FAIL: rack osl1-nvl72-r03 lost power; not billable (terms §1)`,
    },
    revenueDispute: {
      startup: "quill-ai",
      periodIndex: 0,
      reason: "October report stops at 2026-10-24: a week of charges is missing (bank deposits show 4 payouts more)",
      disputed,
      restatement,
    },
  };
  files.set("manifest.json", `${JSON.stringify(manifest, null, 2)}\n`);
  files.set("fx-rates.csv", fxRates());
  files.set("README.md", readme(manifest, usage));
  checkLimits(creditTotals);
  return files;
}

