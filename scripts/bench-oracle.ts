// `npm run bench:oracle`: the usage pipeline on a generated 1 000 000-row sacct export, up to
// signed batches (no chain), against a baseline of merely reading and splitting the same file
// in the same run. Prints both times, their ratio and the peak memory (goal: ≤ 3×, < 1 GiB).
//   ROWS=200000 npm run bench:oracle     (a smaller run)
import { createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { privateKeyToAccount } from "viem/accounts";
import { ledgerDomain, usageBatchId, type UsageBatch } from "../sdk/eip712";
import { fileLines } from "../oracle/sources/lines";
import { compileUsageConfig } from "../oracle/sources/usage";
import { UsageState } from "../oracle/state/usageState";
import { batchToJson, signBatch, submitUsageCalldata } from "../oracle/usage/batch";
import { cutsOf, type AgreementContext, type ChainContext } from "../oracle/usage/chainContext";
import { buildUsageTree, usageLeaf } from "../oracle/usage/evidence";
import { ingestFiles } from "../oracle/usage/ingest";
import { planNextBatch } from "../oracle/usage/plan";
import { WindowGrid } from "../oracle/usage/slicing";

const ROWS = Number(process.env.ROWS ?? 1_000_000);
const AGREEMENTS = 40;
const DAYS = 30;
const T0 = 1_790_000_000 - (1_790_000_000 % 86_400);
const LEDGER = "0xa513E6E4b8f2a923D98304ec87F64353C4D5C853";
const SIGNER = privateKeyToAccount("0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba");
const PARTNER = SIGNER.address;

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function generate(path: string): Promise<void> {
  const random = prng(42);
  const out = createWriteStream(path);
  const iso = (t: number) => new Date(t * 1000).toISOString().slice(0, 19);
  let chunk = "JobIDRaw|Cluster|User|Account|Partition|State|Start|End|ElapsedRaw|AllocTRES|NodeList\n";
  for (let i = 0; i < ROWS; i++) {
    const start = T0 + Math.floor(random() * DAYS * 86_400);
    const r = random();
    const duration = r < 0.6 ? 300 + Math.floor(random() * 3300) : r < 0.95 ? 3600 + Math.floor(random() * 10_800) : 14_400 + Math.floor(random() * 28_800);
    const gpus = [1, 2, 4, 8][Math.floor(random() * 4)];
    const h100 = random() < 0.6;
    const tres =
      random() < 0.03
        ? "billing=16,cpu=16,mem=64G,node=1"
        : `billing=${gpus * 16},cpu=${gpus * 16},gres/gpu:${h100 ? "h100" : "b200"}=${gpus},gres/gpu=${gpus},mem=512G,node=1`;
    const account = `startup-${Math.floor(random() * AGREEMENTS)}`;
    chunk += `${100_000 + i}|syd1|user${i % 97}|${account}|gpu-${h100 ? "h100" : "b200"}|COMPLETED|${iso(start)}|${iso(start + duration)}|${duration}|${tres}|gpu-a${i % 300}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, "drain");
      chunk = "";
    }
  }
  out.end(chunk);
  await once(out, "finish");
}

let peakHeap = 0;
function samplePeak(): void {
  peakHeap = Math.max(peakHeap, process.memoryUsage().rss);
}

async function baseline(path: string): Promise<number> {
  let fields = 0;
  for await (const { text } of fileLines(path)) fields += text.split("|").length;
  return fields;
}

function staticContext(now: bigint): ChainContext {
  const agreements = new Map<bigint, AgreementContext>();
  for (let i = 0; i < AGREEMENTS; i++) {
    const id = BigInt(i + 1);
    agreements.set(id, {
      id,
      status: 2,
      startup: PARTNER,
      startTime: BigInt(T0),
      endTime: BigInt(T0 + 40 * 86_400),
      effectiveEnd: BigInt(T0 + 40 * 86_400),
      reportingClose: BigInt(T0 + 47 * 86_400),
      lastPeriodFinalized: false,
      balance: 10n ** 18n,
      spendLimit: 10n ** 18n,
      maxGpus: 1_000_000n,
      spent: 0n,
      lastUsageEnd: 0n,
    });
  }
  return {
    blockNumber: 1n,
    now,
    paused: false,
    reportingGrace: 7n * 86_400n,
    partner: { registered: true, active: true, signers: [PARTNER], threshold: 1, nextSequence: 0n },
    agreements,
    rates: new Map([
      ["h100-sxm", [{ creditsPerGpuHour: 2_500_000n, effectiveFrom: BigInt(T0) }]],
      ["b200", [{ creditsPerGpuHour: 4_000_000n, effectiveFrom: BigInt(T0) }]],
    ]),
  };
}

/** The pipeline up to signed, persisted batches: ingest → plan → tree → sign → persist. */
async function pipeline(path: string, stateDir: string): Promise<{ records: number; slices: number; batches: number; leaves: number }> {
  const ctx = staticContext(BigInt(T0 + (DAYS + 1) * 86_400));
  const settings = compileUsageConfig({
    accounts: Object.fromEntries(Array.from({ length: AGREEMENTS }, (_, i) => [`startup-${i}`, BigInt(i + 1)])),
    skuMap: { h100: "h100-sxm", b200: "b200" },
  });
  const grid = new WindowGrid({ cuts: cutsOf(ctx) });
  const state = UsageState.open(stateDir, { chainId: 31337, ledger: LEDGER, partner: PARTNER });
  const domain = ledgerDomain(31337, LEDGER);
  try {
    const counts = await ingestFiles(state, [path], { settings, grid, now: ctx.now, onProgress: samplePeak });
    let batches = 0;
    let leaves = 0;
    const excluded = new Set<number>();
    for (;;) {
      const step = state.transaction(() => planNextBatch(state, ctx, grid, { lagSeconds: 900n, excluded }));
      if (!step.batch) break;
      const { draft, rows } = step.batch;
      const tree = buildUsageTree(draft.leaves);
      const batch: UsageBatch = {
        partner: PARTNER,
        sequence: ctx.partner.nextSequence,
        periodStart: draft.periodStart,
        periodEnd: draft.periodEnd,
        recordsRoot: tree.root as `0x${string}`,
        lines: draft.lines,
      };
      const batchId = usageBatchId(batch.partner, batch.sequence, batch.periodStart, batch.periodEnd, batch.recordsRoot);
      const signatures = await signBatch([SIGNER], domain, batch);
      const calldata = submitUsageCalldata(batch, signatures);
      state.transaction(() => {
        state.insertBatch({
          batchId,
          sequence: batch.sequence,
          periodStart: batch.periodStart,
          periodEnd: batch.periodEnd,
          recordsRoot: batch.recordsRoot,
          batchJson: JSON.stringify(batchToJson(batch)),
          leavesJson: JSON.stringify(draft.leaves.map(usageLeaf)),
          signaturesJson: JSON.stringify(signatures),
          calldata,
          rawTx: null,
          txHash: null,
          status: "signed",
          predictedRejectionsJson: "[]",
          createdAt: Date.now(),
        });
        for (const row of rows) state.setSliceState(row.id, "batched", batchId, null);
      });
      // As if the ledger had recorded it: the next batch follows.
      ctx.partner.nextSequence += 1n;
      for (const line of draft.lines) ctx.agreements.get(line.agreementId)!.lastUsageEnd = draft.periodEnd;
      batches += 1;
      leaves += draft.leaves.length;
      if (batches % 50 === 0) samplePeak();
    }
    return { records: counts.new, slices: counts.slices, batches, leaves };
  } finally {
    state.close();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "dsx-bench-oracle-"));
  const file = join(dir, "sacct-bench.txt");
  try {
    process.stdout.write(`generating ${ROWS} sacct rows … `);
    await generate(file);
    process.stdout.write(`${(statSync(file).size / 2 ** 20).toFixed(1)} MiB\n`);
    await baseline(file); // warm the page cache so both measurements read from memory
    const b0 = process.hrtime.bigint();
    await baseline(file);
    const baselineMs = Number(process.hrtime.bigint() - b0) / 1e6;
    samplePeak();
    const p0 = process.hrtime.bigint();
    const result = await pipeline(file, join(dir, "state"));
    const pipelineMs = Number(process.hrtime.bigint() - p0) / 1e6;
    samplePeak();
    const maxRss = process.resourceUsage().maxRSS * 1024;
    const ratio = pipelineMs / baselineMs;
    const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;
    process.stdout.write(
      [
        `baseline (read + split):   ${(baselineMs / 1000).toFixed(2)} s`,
        `pipeline (to signed):      ${(pipelineMs / 1000).toFixed(2)} s  (${result.records} records, ${result.slices} slices, ${result.batches} batches, ${result.leaves} leaves)`,
        `ratio:                     ${ratio.toFixed(2)}× (goal ≤ 3×)`,
        `peak memory (max RSS):     ${mib(Math.max(maxRss, peakHeap))} (goal < 1024 MiB)`,
        "",
      ].join("\n"),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:oracle: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
