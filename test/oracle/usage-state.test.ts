// The usage oracle without a chain: the state database (identity, transactions, watermarks,
// duplicates, quarantine file), ingestion of exports, the preflight's line checks and the
// planner's late-slice carry, against a chain context given as plain data.
import { expect } from "chai";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { skuToBytes32 } from "../../sdk/eip712";
import { compileUsageConfig } from "../../oracle/sources/usage";
import { writeQuarantineFile } from "../../oracle/state/files";
import { UsageState } from "../../oracle/state/usageState";
import type { AgreementContext, ChainContext } from "../../oracle/usage/chainContext";
import { cutsOf } from "../../oracle/usage/chainContext";
import { ingestFiles } from "../../oracle/usage/ingest";
import { planNextBatch } from "../../oracle/usage/plan";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { buildUsageTree, USAGE_LEAF_ENCODING, usageLeaf } from "../../oracle/usage/evidence";
import { predictLines } from "../../oracle/usage/preflight";
import { WindowGrid } from "../../oracle/usage/slicing";

const PARTNER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const LEDGER = "0xa513E6E4b8f2a923D98304ec87F64353C4D5C853";
const H = 1_790_000_000n - (1_790_000_000n % 3600n);
const HEADER = "JobIDRaw|Cluster|User|Account|Partition|State|Start|End|ElapsedRaw|AllocTRES|NodeList";
const iso = (t: bigint) => new Date(Number(t) * 1000).toISOString().slice(0, 19);
const job = (id: string, account: string, start: bigint, end: bigint, gpus = 8) =>
  `${id}|syd1|alice|${account}|gpu-h100|COMPLETED|${iso(start)}|${iso(end)}|${end - start}|billing=1,gres/gpu:h100=${gpus},gres/gpu=${gpus}|n1`;

function agreement(id: bigint, fields: Partial<AgreementContext> = {}): AgreementContext {
  return {
    id,
    status: 2,
    startup: PARTNER,
    startTime: H,
    endTime: H + 10n * 86_400n,
    effectiveEnd: H + 10n * 86_400n,
    reportingClose: H + 17n * 86_400n,
    lastPeriodFinalized: false,
    balance: 10n ** 12n,
    spendLimit: 10n ** 12n,
    maxGpus: 16n,
    spent: 0n,
    lastUsageEnd: 0n,
    ...fields,
  };
}

function context(now: bigint, agreements: AgreementContext[]): ChainContext {
  return {
    blockNumber: 1n,
    now,
    paused: false,
    reportingGrace: 7n * 86_400n,
    partner: { registered: true, active: true, signers: [PARTNER], threshold: 1, nextSequence: 0n },
    agreements: new Map(agreements.map((a) => [a.id, a])),
    rates: new Map([["h100-sxm", [{ creditsPerGpuHour: 3_600_000n, effectiveFrom: H }]]]),
  };
}

const settings = compileUsageConfig({ accounts: { "startup-a": 1n, "startup-b": 2n }, skuMap: { h100: "h100-sxm" } });

describe("usage state and planning (no chain)", function () {
  let dir: string;
  let state: UsageState;
  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), "dsx-usage-state-"));
    state = UsageState.open(join(dir, "state"), { chainId: 31337, ledger: LEDGER, partner: PARTNER });
  });
  afterEach(function () {
    state.close();
  });

  describe("UsageState.open", function () {
    it("when the folder belongs to another partner, it refuses to open it", function () {
      state.close();
      expect(() => UsageState.open(join(dir, "state"), { chainId: 31337, ledger: LEDGER, partner: LEDGER })).to.throw(/belongs to partner/);
      state = UsageState.open(join(dir, "state"), { chainId: 31337, ledger: LEDGER, partner: PARTNER });
      expect(state.db.pragma("journal_mode", { simple: true })).to.equal("wal");
    });

    it("when a transaction throws, nothing of it is kept", function () {
      expect(() =>
        state.transaction(() => {
          state.setWatermark("syd1", "1", 100n);
          state.addRecord("r1", "f", 1);
          throw new Error("boom");
        }),
      ).to.throw("boom");
      expect(state.watermark("syd1", "1")).to.equal(undefined);
      expect(state.addRecord("r1", "f", 1)).to.equal(true);
      expect(state.addRecord("r1", "f", 1)).to.equal(false);
    });
  });

  describe("ingestFiles", function () {
    it("when exports repeat and overlap, the watermark bills each GPU-second once and recordIds catch duplicates", async function () {
      const grid = new WindowGrid({ cuts: cutsOf(context(H, [agreement(1n), agreement(2n)])) });
      const first = join(dir, "sacct-1.txt");
      writeFileSync(first, [HEADER, job("7", "startup-a", H, H + 5400n), job("8", "startup-x", H, H + 60n), job("9.batch", "startup-a", H, H + 60n)].join("\n"));
      const c1 = await ingestFiles(state, [first], { settings, grid, now: H + 3600n });
      expect(c1).to.include({ read: 3, new: 1, quarantined: 2 });
      expect(c1.gpuSeconds).to.equal(8n * 3600n); // billed up to now: the job still runs
      const second = join(dir, "sacct-2.txt");
      writeFileSync(second, [HEADER, job("7", "startup-a", H, H + 5400n)].join("\n"));
      const c2 = await ingestFiles(state, [first, second], { settings, grid, now: H + 7200n });
      expect(c2).to.include({ skippedFiles: 1, new: 1, duplicate: 0 });
      expect(c2.gpuSeconds).to.equal(8n * 1800n);
      const meter = join(dir, "m.jsonl");
      const line = JSON.stringify({ recordId: "m1", account: "startup-b", sku: "h100", start: `${iso(H)}Z`, end: `${iso(H + 60n)}Z`, gpus: 1 });
      writeFileSync(meter, `${line}\n${line}\n`);
      expect(await ingestFiles(state, [meter], { settings, grid, now: H + 7200n })).to.include({ new: 1, duplicate: 1 });
      expect(state.sliceTotals().pending.gpuSeconds).to.equal(8n * 5400n + 60n);
      writeQuarantineFile(state);
      const reasons = readFileSync(join(dir, "state", "quarantine.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l).reason);
      expect(reasons).to.deep.equal(["unknown-account", "job-step"]);
    });
  });

  describe("buildUsageTree", function () {
    it("when built from precomputed hashes, it equals OpenZeppelin's StandardMerkleTree.of leaf for leaf", function () {
      for (const n of [1, 2, 3, 7, 40]) {
        const slices = Array.from({ length: n }, (_, i) => ({
          recordId: `slurm:syd1:${1000 + i}:${H + BigInt(i)}${"é".repeat(i % 3)}${"x".repeat(i * 3)}`,
          agreementId: BigInt(i % 5) * 10n ** 30n + 1n,
          sku: i % 2 ? "h100-sxm" : "b200",
          sliceStart: H + BigInt(i),
          sliceEnd: H + 3600n,
          gpuSeconds: BigInt(i * 977 + 1),
          windowStart: H,
          windowEnd: H + 3600n,
          pieceStart: H,
          pieceEnd: H + 3600n,
        }));
        const reference = StandardMerkleTree.of(slices.map(usageLeaf), USAGE_LEAF_ENCODING);
        expect(buildUsageTree(slices).dump()).to.deep.equal(reference.dump());
      }
    });
  });

  describe("predictLines", function () {
    const line = (agreementId: bigint, gpuSeconds: bigint) => ({ agreementId, sku: skuToBytes32("h100-sxm"), gpuSeconds });
    it("when lines break the ledger's line checks, each gets the ledger's reason in the ledger's order", function () {
      const ctx = context(H + 86_400n, [
        agreement(1n, { status: 1 }),
        agreement(2n, { startTime: H + 3600n }),
        agreement(3n, { lastUsageEnd: H + 3600n }),
        agreement(4n, { maxGpus: 1n }),
        agreement(5n, { spendLimit: 1_000_000n }),
        agreement(6n, { balance: 1_000_000n }),
        agreement(7n),
      ]);
      const lines = [1n, 2n, 3n, 4n, 5n, 6n, 7n].map((id) => line(id, 3600n * 2n));
      const { accepted, rejected } = predictLines(ctx, H, H + 3600n, lines);
      expect(rejected.map((r) => [r.line.agreementId, r.reason])).to.deep.equal([
        [1n, "NotOpen"],
        [2n, "OutsideTerm"],
        [3n, "Overlap"],
        [4n, "OverGpuBound"],
        [5n, "OverAuthorization"],
        [6n, "InsufficientCredits"],
      ]);
      expect(accepted.map((l) => l.agreementId)).to.deep.equal([7n]);
      const closed = predictLines(context(H + 18n * 86_400n, [agreement(7n)]), H, H + 3600n, [line(7n, 1n)]);
      expect(closed.rejected[0].reason).to.equal("ReportingClosed");
      const noRate = predictLines({ ...context(H + 86_400n, [agreement(7n)]), rates: new Map() }, H, H + 3600n, [line(7n, 1n)]);
      expect(noRate.rejected[0].reason).to.equal("NoRate");
    });
  });

  describe("planNextBatch", function () {
    it("when a slice arrives for a window already reported, it is carried into the oldest unreported window within the GPU bound", async function () {
      const ctx0 = context(H + 10n * 3600n, [agreement(1n, { lastUsageEnd: H + 2n * 3600n, maxGpus: 2n })]);
      const grid = new WindowGrid({ cuts: cutsOf(ctx0) });
      const file = join(dir, "late.txt");
      // 2 GPUs for 1.5 h in [H, H+2h): late; [H+2h, H+3h) already holds 1 GPU-hour of its own
      writeFileSync(file, [HEADER, job("1", "startup-a", H, H + 5400n, 2), job("2", "startup-a", H + 7200n, H + 10_800n, 1)].join("\n"));
      await ingestFiles(state, [file], { settings, grid, now: ctx0.now });
      const step = state.transaction(() => planNextBatch(state, ctx0, grid, { lagSeconds: 900n, excluded: new Set() }));
      const batch = step.batch!;
      expect([batch.draft.periodStart, batch.draft.periodEnd]).to.deep.equal([H + 7200n, H + 10_800n]);
      // bound 2 × 3600 = 7200: own 3600 + 3600 carried; the other 7200 carried go on into [H+3h, H+4h)
      expect(batch.draft.lines[0].gpuSeconds).to.equal(7200n);
      const carried = batch.draft.leaves.filter((l) => l.recordId.startsWith("slurm:syd1:1:"));
      expect(carried.every((l) => l.sliceEnd <= H + 7200n)).to.equal(true);
      expect(state.sliceTotals().pending.gpuSeconds).to.equal(2n * 5400n + 3600n);
      const first = state.nextPendingPiece(ctx0.now)!;
      expect(state.nextPendingPiece(ctx0.now, first)?.pieceStart).to.equal(H + 3n * 3600n);
    });

    it("when the term has no room left for a late slice, it is quarantined late-after-term", async function () {
      const end = H + 3n * 3600n;
      const ctx = context(H + 10n * 3600n, [agreement(1n, { lastUsageEnd: end, endTime: end, effectiveEnd: end })]);
      const grid = new WindowGrid({ cuts: cutsOf(ctx) });
      const file = join(dir, "late.txt");
      writeFileSync(file, [HEADER, job("1", "startup-a", H, H + 600n, 1)].join("\n"));
      await ingestFiles(state, [file], { settings, grid, now: ctx.now });
      const step = state.transaction(() => planNextBatch(state, ctx, grid, { lagSeconds: 900n, excluded: new Set() }));
      expect(step.batch).to.equal(undefined);
      expect(step.quarantined).to.equal(1);
      expect(state.quarantine()[0]).to.include({ reason: "late-after-term", line: 2 });
    });
  });
});
