// manifest.json: every file with its arrival time, and the figures the demo is checked against — an independent
// tally of the exports' GPU-seconds and credits, which must fit each startup's limits.
import { STARTUPS, rateAt, type PartnerSpec, type StartupSpec } from "../../demo/program";
import { credits as creditsOf } from "../../sdk/shareMath";
import { formatUnits6 } from "../../sdk/units";
import type { ClusterUsage } from "./scenario";

/** One file of the sample and when it arrives in the story. */
export interface ManifestFile {
  path: string;
  kind: "slurm" | "metering" | "stripe";
  /** Partner key (usage) or startup key (revenue). */
  owner: string;
  /** When the file reaches the oracle's inbox in the demo's story (ISO 8601 UTC). */
  availableAt: string;
  note?: string;
}

/** manifest.json. */
export interface Manifest {
  generator: string;
  seed: string;
  files: ManifestFile[];
  terms: Record<string, string>;
  /** GPU-seconds the exports bill per startup and partner, once every trap is set aside (an independent tally). */
  expectedGpuSeconds: Record<string, Record<string, string>>;
  /** Credits of those GPU-seconds at the rate cards, before any refund (lines round down per batch, so the chain shows up to a few units less). */
  approximateCredits: Record<string, Record<string, string>>;
  usageDispute: { partner: string; startup: string; jobId: string; recordId: string; gpuSeconds: string; sku: string; reason: string };
  revenueDispute: { startup: string; periodIndex: number; reason: string; disputed: string; restatement: string };
}

/**
 * The GPU-seconds the partner's exports bill per startup (the traps set aside) and their credits at the rate in
 * force at the start of each UTC day they cover: an independent tally, not the oracle's code.
 */
export function usageTally(partner: PartnerSpec, usage: ClusterUsage): { gpuSeconds: Map<string, bigint>; credits: Map<string, bigint> } {
  const owner = new Map<string, StartupSpec>();
  for (const s of STARTUPS) if (s.partners[partner.key]) owner.set(s.partners[partner.key].account, s);
  const gpuSeconds = new Map<string, bigint>();
  const credits = new Map<string, bigint>();
  const add = (s: StartupSpec, sku: string, start: number, end: number, gpuSecondsGiven: bigint) => {
    gpuSeconds.set(s.key, (gpuSeconds.get(s.key) ?? 0n) + gpuSecondsGiven);
    // credits per day window, at the rate in force at the window's start
    const total = BigInt(end - start);
    for (let d = Math.floor(start / 86_400) * 86_400; d < end; d += 86_400) {
      const overlap = BigInt(Math.min(end, d + 86_400) - Math.max(start, d));
      const share = (gpuSecondsGiven * overlap) / total;
      const rate = rateAt(partner, sku, BigInt(d))!;
      credits.set(s.key, (credits.get(s.key) ?? 0n) + creditsOf(share, rate));
    }
  };
  for (const job of usage.jobs) {
    const s = owner.get(job.account);
    if (!s || job.start === undefined || job.gpus === 0 || job.end <= job.start) continue;
    const sku = job.gpuType ? partner.skuMap[job.gpuType] : partner.partitionSkus[job.partition];
    add(s, sku, job.start, job.end, BigInt(job.gpus * (job.end - job.start)));
  }
  for (const records of usage.sessions.values()) {
    for (const r of records) {
      const s = owner.get(r.account);
      if (!s || r.trap) continue;
      add(s, partner.skuMap[r.sku] ?? r.sku, r.start, r.end, BigInt(r.gpuSeconds ?? r.gpus * (r.end - r.start)));
    }
  }
  return { gpuSeconds, credits };
}

/** The sample must fit the program: no startup may run out of authorization or credits (credits by "startup/partner"). */
export function checkLimits(credits: ReadonlyMap<string, bigint>): void {
  for (const s of STARTUPS) {
    let total = 0n;
    for (const [partner, a] of Object.entries(s.partners)) {
      const used = credits.get(`${s.key}/${partner}`) ?? 0n;
      total += used;
      if (used * 10n > a.spendLimit * 9n) throw new Error(`${s.key} at ${partner}: ${formatUnits6(used)} credits exceed 90 % of the spend limit`);
    }
    if (total * 10n > s.creditLimit * 9n) throw new Error(`${s.key}: ${formatUnits6(total)} credits exceed 90 % of the credit limit`);
  }
}
