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
import { lineRejected, markBatched, planNextBatch, type PlannedBatch } from "../../oracle/usage/plan";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { encodeAbiParameters, encodeEventTopics, keccak256, stringToHex, type TransactionReceipt } from "viem";
import { revenueShareLedgerAbi } from "../../sdk/abis";
import { QUARANTINE_REASONS } from "../../oracle/sources/types";
import { buildUsageTree, USAGE_LEAF_ENCODING, usageLeaf, usageRootOfHashes, usageTreeOf } from "../../oracle/usage/evidence";
import { batchLeaves } from "../../oracle/usage/packs";
import { confirmBatch, type SubmitContext } from "../../oracle/usage/submit";
import { predictLines, USAGE_REJECTIONS } from "../../oracle/usage/preflight";
import { WindowGrid } from "../../oracle/usage/slicing";

const PARTNER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const LEDGER = "0xa513E6E4b8f2a923D98304ec87F64353C4D5C853";
const H = 1_790_000_000n - (1_790_000_000n % 3600n);
const HEADER = "JobIDRaw|Cluster|User|Account|Partition|State|Start|End|ElapsedRaw|AllocTRES|NodeList";
const iso = (t: bigint) => new Date(Number(t) * 1000).toISOString().slice(0, 19);
const job = (id: string, account: string, start: bigint, end: bigint, gpus = 8, type = "h100") =>
  `${id}|syd1|alice|${account}|gpu-${type}|COMPLETED|${iso(start)}|${iso(end)}|${end - start}|billing=1,gres/gpu:${type}=${gpus},gres/gpu=${gpus}|n1`;

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
    rates: new Map([
      ["h100-sxm", [{ creditsPerGpuHour: 3_600_000n, effectiveFrom: H }]],
      ["b200", [{ creditsPerGpuHour: 7_200_000n, effectiveFrom: H }]],
    ]),
  };
}

const settings = compileUsageConfig({ accounts: { "startup-a": 1n, "startup-b": 2n }, skuMap: { h100: "h100-sxm", b200: "b200" } });

/** A UsageLineRejected log of the ledger (reason as its enum ordinal). */
function rejectedLog(batchId: `0x${string}`, agreementId: bigint, sku: string, reason: number) {
  const topics = encodeEventTopics({ abi: revenueShareLedgerAbi, eventName: "UsageLineRejected", args: { batchId, agreementId } });
  return { address: LEDGER, topics, data: encodeAbiParameters([{ type: "bytes32" }, { type: "uint8" }], [skuToBytes32(sku), reason]) };
}

/** Stores a planned batch as signed and marks its slices batched, as the pipeline does before sending. */
function storeSigned(state: UsageState, planned: PlannedBatch, batchId: `0x${string}`): void {
  state.transaction(() => {
    state.insertBatch({
      batchId,
      sequence: 0n,
      periodStart: planned.draft.periodStart,
      periodEnd: planned.draft.periodEnd,
      recordsRoot: usageRootOfHashes(planned.leafHashes),
      batchJson: "{}",
      leavesJson: planned.leavesJson,
      packIdsJson: JSON.stringify(planned.packIds),
      signaturesJson: "[]",
      calldata: "0x",
      rawTx: null,
      txHash: null,
      status: "signed",
      predictedRejectionsJson: "[]",
      createdAt: 0,
    });
    markBatched(state, planned, batchId);
  });
}

function receiptWith(logs: ReturnType<typeof rejectedLog>[]): TransactionReceipt {
  return { transactionHash: keccak256(stringToHex("tx")), blockNumber: 7n, gasUsed: 100_000n, logs } as unknown as TransactionReceipt;
}

function packCount(state: UsageState): number {
  return (state.db.prepare("SELECT count(*) AS n FROM packs WHERE state = 'pending'").get() as { n: number }).n;
}

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

    it("when a transaction is durable, it syncs that commit and the connection goes back to synchronous=NORMAL", function () {
      expect(state.db.pragma("synchronous", { simple: true })).to.equal(1);
      state.transaction(() => state.setMeta("probe", "1"), { durable: true });
      expect(state.db.pragma("synchronous", { simple: true })).to.equal(1);
      expect(state.getMeta("probe")).to.equal("1");
    });

    it("when the folder was written by another state schema, it refuses it naming both versions", function () {
      state.transaction(() => state.setMeta("schema", "1"));
      state.close();
      expect(() => UsageState.open(join(dir, "state"), { chainId: 31337, ledger: LEDGER, partner: PARTNER })).to.throw(/state schema 1, this one reads 3/);
      state = UsageState.open(join(mkdtempSync(join(tmpdir(), "dsx-usage-state-")), "state"), { chainId: 31337, ledger: LEDGER, partner: PARTNER });
    });

    it("when the folder was written by state schema 2, it is migrated to 3 on open and keeps what it held", function () {
      // A schema-2 folder: no waiting rows, no decisions, no candidates.
      state.transaction(() => {
        state.setWatermark("syd1", "7", H + 60n);
        state.addQuarantine({ file: "a.txt", line: 3, raw: "x", reason: "unknown-account", detail: "d" });
      });
      state.db.exec("DROP TABLE waiting_rows; DROP TABLE quarantine_decisions; DROP TABLE decision_records; ALTER TABLE quarantine DROP COLUMN candidate_json;");
      state.transaction(() => state.setMeta("schema", "2"));
      state.close();
      state = UsageState.open(join(dir, "state"), { chainId: 31337, ledger: LEDGER, partner: PARTNER });
      expect(state.getMeta("schema")).to.equal("3");
      expect(state.watermark("syd1", "7")).to.equal(H + 60n);
      const [entry] = state.quarantine();
      expect(entry).to.deep.include({ id: 1, file: "a.txt", line: 3, reason: "unknown-account", candidate: undefined, decision: undefined });
      state.transaction(() => state.addDecision({ quarantineId: 1, decision: "reject", decidedBy: "ops", decidedAt: 0, note: "n", account: null, agreementId: null, sku: null }));
      expect(state.quarantine()[0].decision).to.include({ decision: "reject", decidedBy: "ops" });
      expect(state.waitingCounts(H)).to.deep.equal({ rows: 0, notReached: 0 });
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

  describe("watermarks", function () {
    it("when job ids are plain numbers, array tasks, zero-padded or above 2^32 on several clusters, each keeps its own watermark", function () {
      const jobs: [string, string, bigint][] = [
        ["syd1", "123", 1n],
        ["syd1", "0123", 2n],
        ["syd1", "123_7", 3n],
        ["syd1", "123+0", 4n],
        ["syd1", "4294967296", 5n],
        ["mel2", "123", 6n],
        ["syd1", "0", 7n],
      ];
      state.transaction(() => state.setWatermarks(jobs));
      const found = state.watermarksOf([...jobs.map(([c, j]) => [c, j] as const), ["syd1", "124"], ["per3", "123"]]);
      expect([...found.values()]).to.have.members(jobs.map(([, , t]) => t));
      expect(found.size).to.equal(jobs.length);
      // a job below the largest stored one is looked up; one above is known to be new
      state.transaction(() => state.setWatermarks([["syd1", "100", 8n]]));
      expect(state.watermark("syd1", "100")).to.equal(8n);
      expect(state.watermark("syd1", "124")).to.equal(undefined);
    });

    it("when a transaction with new clusters and jobs is rolled back, later watermarks still land on the right jobs", function () {
      expect(() =>
        state.transaction(() => {
          state.setWatermarks([["new1", "500", 1n]]);
          throw new Error("boom");
        }),
      ).to.throw("boom");
      state.transaction(() => state.setWatermarks([["new2", "400", 2n]]));
      expect(state.watermark("new1", "500")).to.equal(undefined);
      expect(state.watermark("new2", "400")).to.equal(2n);
      state.begin();
      state.setWatermarks([["new3", "900", 3n]]);
      state.rollback();
      state.transaction(() => state.setWatermarks([["new4", "800", 4n], ["new2", "401", 5n]]));
      expect([state.watermark("new3", "900"), state.watermark("new4", "800"), state.watermark("new2", "401")]).to.deep.equal([undefined, 4n, 5n]);
    });
  });

  describe("slices", function () {
    const slice = {
      recordId: "syd1/4101/0",
      agreementId: 2n ** 70n,
      sku: "h100-sxm",
      sliceStart: H + 60n,
      sliceEnd: H + 3600n,
      gpus: 8n,
      gpuSeconds: 8n * 3540n,
      windowStart: H,
      windowEnd: H + 3600n,
      pieceStart: H,
      pieceEnd: H + 3600n,
      carried: true,
      sourceFile: "sacct.txt",
      sourceLine: 7,
    };

    it("when a slice is stored and read back, every field is as given, and it is pending with no batch and no rejection", function () {
      const id = state.transaction(() => state.addSlice(slice));
      expect(state.getSlice(id)).to.deep.equal({ id, ...slice, state: "pending", batchId: null, rejection: null });
      state.transaction(() => state.setSliceState(id, "batched", "0xb1", "NoRate"));
      expect(state.slicesOfBatch("0xb1")).to.deep.equal([{ id, ...slice, state: "batched", batchId: "0xb1", rejection: "NoRate" }]);
    });

    it("when a time is 2^53 or more, the slice is refused naming the field and nothing is stored", function () {
      expect(() => state.transaction(() => state.addSlice({ ...slice, sliceEnd: 2n ** 53n }))).to.throw(/sliceEnd = 9007199254740992 is too large/);
      expect(state.sliceTotals().pending.slices).to.equal(0);
    });
  });

  describe("ingestFiles", function () {
    it("when exports repeat and overlap, the watermark bills each GPU-second once and recordIds catch duplicates", async function () {
      const grid = new WindowGrid({ cuts: cutsOf(context(H, [agreement(1n), agreement(2n)])) });
      const first = join(dir, "sacct-1.txt");
      writeFileSync(first, [HEADER, job("7", "startup-a", H, H + 5400n), job("8", "startup-x", H, H + 60n), job("9.batch", "startup-a", H, H + 60n)].join("\n"));
      const c1 = await ingestFiles(state, [first], { settings, grid, now: H + 3600n });
      // billed up to now; the rest of the job waits for the clock (kept in the state)
      expect(c1).to.include({ read: 3, new: 0, quarantined: 2, waiting: 1 });
      expect(c1.gpuSeconds).to.equal(8n * 3600n);
      expect(state.waitingFiles()).to.deep.equal([{ file: first, rows: 1 }]);
      const second = join(dir, "sacct-2.txt");
      writeFileSync(second, [HEADER, job("7", "startup-a", H, H + 5400n)].join("\n"));
      const c2 = await ingestFiles(state, [first, second], { settings, grid, now: H + 7200n });
      expect(c2).to.include({ skippedFiles: 1, new: 1, duplicate: 0 });
      expect(c2.readEarlier).to.deep.equal([first]);
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

    it("when one line of an agreement fails, every other line of that agreement is SiblingRejected and the other agreements still count", function () {
      // b200 at 7.2 credits per GPU-hour, h100-sxm at 3.6: 2 GPU-hours of b200 = 14.4 credits, of h100 7.2; gb300 has no rate
      const lines = (id: bigint) =>
        [
          { agreementId: id, sku: skuToBytes32("b200"), gpuSeconds: 7200n },
          { agreementId: id, sku: skuToBytes32("gb300"), gpuSeconds: 60n },
          { agreementId: id, sku: skuToBytes32("h100-sxm"), gpuSeconds: 7200n },
        ].sort((a, b) => (a.sku < b.sku ? -1 : 1));
      expect(lines(1n).map((l) => l.sku)).to.deep.equal(["b200", "gb300", "h100-sxm"].map(skuToBytes32));
      const ctx = context(H + 86_400n, [agreement(1n), agreement(2n, { spendLimit: 20_000_000n }), agreement(3n)]);
      // 1: gb300 fails NoRate between two good lines; 2 (no gb300): h100's 7.2 credits after b200's 14.4 pass the 20 authorized
      const batch = [...lines(1n), ...lines(2n).filter((l) => l.sku !== skuToBytes32("gb300")), lines(3n)[0]];
      const { accepted, rejected } = predictLines(ctx, H, H + 3600n, batch);
      const named = (sku: `0x${string}`) => ({ [skuToBytes32("b200")]: "b200", [skuToBytes32("gb300")]: "gb300", [skuToBytes32("h100-sxm")]: "h100-sxm" })[sku];
      expect(rejected.map((r) => [r.line.agreementId, named(r.line.sku), r.reason])).to.deep.equal([
        [1n, "b200", "SiblingRejected"],
        [1n, "gb300", "NoRate"],
        [1n, "h100-sxm", "SiblingRejected"],
        [2n, "b200", "SiblingRejected"],
        [2n, "h100-sxm", "OverAuthorization"],
      ]);
      expect(accepted.map((l) => [l.agreementId, named(l.sku)])).to.deep.equal([[3n, "b200"]]);
      // an agreement-wide reason is every line's own
      const closed = predictLines(context(H + 18n * 86_400n, [agreement(1n)]), H, H + 3600n, lines(1n));
      expect(closed.rejected.map((r) => r.reason)).to.deep.equal(["ReportingClosed", "ReportingClosed", "ReportingClosed"]);
      expect(USAGE_REJECTIONS.indexOf("SiblingRejected")).to.equal(8);
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

    it("when a line is refused and its usage sits in a pack, the pack becomes slice rows: the refused ones stay pending, the rest is batched", async function () {
      const ctx = context(H + 3n * 3600n, [agreement(1n), agreement(2n, { status: 1 })]);
      const grid = new WindowGrid({ cuts: cutsOf(ctx) });
      const file = join(dir, "mixed.txt");
      writeFileSync(file, [HEADER, job("1", "startup-a", H, H + 600n, 2), job("2", "startup-b", H + 60n, H + 660n, 1), job("3", "startup-a", H + 60n, H + 120n, 1)].join("\n"));
      await ingestFiles(state, [file], { settings, grid, now: ctx.now });
      expect(packCount(state)).to.equal(1);
      const excluded = new Set<number>();
      const step = state.transaction(() => planNextBatch(state, ctx, grid, { lagSeconds: 900n, excluded }));
      const batch = step.batch!;
      expect(step.rejected.map((r) => [r.line.agreementId, r.reason])).to.deep.equal([[2n, "NotOpen"]]);
      expect(batch.draft.lines.map((l) => [l.agreementId, l.gpuSeconds])).to.deep.equal([[1n, 1260n]]);
      expect(batch.packIds).to.deep.equal([]);
      expect(batch.rows.map((r) => r.recordId).sort()).to.deep.equal([`slurm:syd1:1:${H}`, `slurm:syd1:3:${H + 60n}`]);
      expect(batch.leafHashes.length).to.equal(64);
      state.transaction(() => markBatched(state, batch, "0xb1"));
      const refused = state.pendingInPiece(H, H + 3600n);
      expect(refused.map((r) => [r.recordId, r.rejection, r.sourceFile, r.sourceLine])).to.deep.equal([[`slurm:syd1:2:${H + 60n}`, "NotOpen", file, 3]]);
      expect(excluded.has(refused[0].id)).to.equal(true);
      expect(state.sliceTotals()).to.deep.include({ batched: { slices: 2, gpuSeconds: 1260n }, pending: { slices: 1, gpuSeconds: 600n } });
      expect(packCount(state)).to.equal(0);
    });

    it("when the reporting grace of usage the ledger kept refusing has ended, it is quarantined line-rejected with the refusal", async function () {
      const close = H + 2n * 86_400n;
      const grid = new WindowGrid({ cuts: cutsOf(context(H, [agreement(1n), agreement(2n)])) });
      const file = join(dir, "refused.txt");
      writeFileSync(file, [HEADER, job("1", "startup-a", H, H + 600n, 2), job("2", "startup-b", H, H + 600n, 1)].join("\n"));
      await ingestFiles(state, [file], { settings, grid, now: H + 3600n });
      // Before the close: the refusal keeps it pending (NotOpen); after it: quarantined with that reason.
      const before = context(H + 3n * 3600n, [agreement(1n), agreement(2n, { status: 1, reportingClose: close })]);
      const first = state.transaction(() => planNextBatch(state, before, grid, { lagSeconds: 900n, excluded: new Set() }));
      state.transaction(() => markBatched(state, first.batch!, "0xb1"));
      const after = context(close, [agreement(1n), agreement(2n, { status: 1, reportingClose: close })]);
      const second = state.transaction(() => planNextBatch(state, after, grid, { lagSeconds: 900n, excluded: new Set() }));
      expect(second.batch).to.equal(undefined);
      expect(second.quarantined).to.equal(1);
      const entry = state.quarantine()[0];
      expect(entry).to.deep.include({ file, line: 3, reason: "line-rejected", extra: { recordId: `slurm:syd1:2:${H}`, rejection: "NotOpen" } });
      expect(entry.reason).to.equal(lineRejected("NotOpen").reason);
      expect(QUARANTINE_REASONS).to.include(entry.reason);
      expect(state.sliceTotals().quarantined).to.deep.equal({ slices: 1, gpuSeconds: 600n });
    });

    it("when the preflight refuses one line of an agreement, that line stays pending with its reason and its sibling goes into the batch without it", async function () {
      // agreement 1: 1 GPU-hour of b200 (7.2 credits) then 1 of h100 (3.6) with 10 credits authorized: h100 fails
      const ctx = context(H + 3n * 3600n, [agreement(1n, { spendLimit: 10_000_000n }), agreement(2n)]);
      const grid = new WindowGrid({ cuts: cutsOf(ctx) });
      const file = join(dir, "group.txt");
      writeFileSync(
        file,
        [HEADER, job("1", "startup-a", H, H + 3600n, 1, "b200"), job("2", "startup-a", H, H + 3600n, 1), job("3", "startup-b", H, H + 600n, 1)].join("\n"),
      );
      await ingestFiles(state, [file], { settings, grid, now: ctx.now });
      const excluded = new Set<number>();
      const step = state.transaction(() => planNextBatch(state, ctx, grid, { lagSeconds: 900n, excluded }));
      const batch = step.batch!;
      // only the failing line is taken out and counted; its SiblingRejected sibling is planned again without it
      expect(step.rejected.map((r) => [r.line.agreementId, r.reason])).to.deep.equal([[1n, "OverAuthorization"]]);
      expect(batch.rejected.map((r) => [r.line.agreementId, r.line.sku, r.reason])).to.deep.equal([[1n, skuToBytes32("h100-sxm"), "OverAuthorization"]]);
      expect(batch.draft.lines.map((l) => [l.agreementId, l.sku, l.gpuSeconds])).to.deep.equal([
        [1n, skuToBytes32("b200"), 3600n],
        [2n, skuToBytes32("h100-sxm"), 600n],
      ]);
      expect(predictLines(ctx, H, H + 3600n, batch.draft.lines).rejected).to.deep.equal([]);
      state.transaction(() => markBatched(state, batch, "0xb1"));
      const pending = state.pendingInPiece(H, H + 3600n);
      expect(pending.map((r) => [r.recordId, r.rejection])).to.deep.equal([[`slurm:syd1:2:${H}`, "OverAuthorization"]]);
      expect(excluded.has(pending[0].id)).to.equal(true);
    });

    it("when the ledger rejects one line of an agreement, that line and its SiblingRejected siblings all go back to pending, held for the run, and a later batch bills them", async function () {
      const ctx = context(H + 3n * 3600n, [agreement(1n), agreement(2n)]);
      const grid = new WindowGrid({ cuts: cutsOf(ctx) });
      const file = join(dir, "siblings.txt");
      writeFileSync(
        file,
        [HEADER, job("1", "startup-a", H, H + 3600n, 1, "b200"), job("2", "startup-a", H, H + 3600n, 1), job("3", "startup-b", H, H + 600n, 1)].join("\n"),
      );
      await ingestFiles(state, [file], { settings, grid, now: ctx.now });
      const planned = state.transaction(() => planNextBatch(state, ctx, grid, { lagSeconds: 900n, excluded: new Set() })).batch!;
      expect(planned.draft.lines).to.have.length(3);
      const batchId = keccak256(stringToHex("siblings"));
      storeSigned(state, planned, batchId);
      // on chain the authorization was lowered meanwhile: h100 fails (6 = OverAuthorization), b200 before it is SiblingRejected (8)
      const receipt = receiptWith([rejectedLog(batchId, 1n, "b200", 8), rejectedLog(batchId, 1n, "h100-sxm", 6)]);
      const confirmed = confirmBatch({ state, ledger: LEDGER } as unknown as SubmitContext, state.getBatch(batchId)!, receipt);
      expect(confirmed.rejectedLines).to.equal(2);
      const pending = state.pendingInPiece(H, H + 3600n);
      expect(pending.map((r) => [r.recordId, r.rejection])).to.deep.equal([
        [`slurm:syd1:1:${H}`, "SiblingRejected"],
        [`slurm:syd1:2:${H}`, "OverAuthorization"],
      ]);
      expect([...confirmed.pendingAgain].sort()).to.deep.equal(pending.map((r) => r.id).sort());
      expect(state.sliceTotals()).to.deep.include({ reported: { slices: 1, gpuSeconds: 600n }, pending: { slices: 2, gpuSeconds: 7200n } });
      expect(JSON.parse(state.getBatch(batchId)!.rejectedJson!).map((r: { reason: string }) => r.reason)).to.deep.equal(["SiblingRejected", "OverAuthorization"]);
      // held for the rest of the run: nothing of the group is planned again
      const held = state.transaction(() => planNextBatch(state, ctx, grid, { lagSeconds: 900n, excluded: new Set(confirmed.pendingAgain) }));
      expect([held.batch, held.quarantined]).to.deep.equal([undefined, 0]);
      // the next run, the cause cured: the group lands whole, in its own window
      const again = state.transaction(() => planNextBatch(state, ctx, grid, { lagSeconds: 900n, excluded: new Set() })).batch!;
      expect([again.draft.periodStart, again.draft.lines.map((l) => [l.agreementId, l.sku, l.gpuSeconds])]).to.deep.equal([
        H,
        [
          [1n, skuToBytes32("b200"), 3600n],
          [1n, skuToBytes32("h100-sxm"), 3600n],
        ],
      ]);
      expect(again.rows.map((r) => r.recordId).sort()).to.deep.equal([`slurm:syd1:1:${H}`, `slurm:syd1:2:${H}`]);
    });

    it("when the reporting grace ends for a group the ledger rejected, the failing line is quarantined with its reason and the sibling for its own refusal, never SiblingRejected", async function () {
      const close = H + 2n * 86_400n;
      const open = context(H + 3n * 3600n, [agreement(1n, { reportingClose: close })]);
      const grid = new WindowGrid({ cuts: cutsOf(open) });
      const file = join(dir, "closing.txt");
      writeFileSync(file, [HEADER, job("1", "startup-a", H, H + 3600n, 1, "b200"), job("2", "startup-a", H, H + 3600n, 1)].join("\n"));
      await ingestFiles(state, [file], { settings, grid, now: open.now });
      const planned = state.transaction(() => planNextBatch(state, open, grid, { lagSeconds: 900n, excluded: new Set() })).batch!;
      const batchId = keccak256(stringToHex("closing"));
      storeSigned(state, planned, batchId);
      confirmBatch({ state, ledger: LEDGER } as unknown as SubmitContext, state.getBatch(batchId)!, receiptWith([rejectedLog(batchId, 1n, "b200", 8), rejectedLog(batchId, 1n, "h100-sxm", 7)]));
      const closed = context(close, [agreement(1n, { reportingClose: close })]);
      const step = state.transaction(() => planNextBatch(state, closed, grid, { lagSeconds: 900n, excluded: new Set() }));
      expect([step.batch, step.quarantined]).to.deep.equal([undefined, 2]);
      const entries = state.quarantine().map((q) => [q.extra?.recordId, q.reason, q.extra?.rejection]);
      expect(entries).to.deep.equal([
        [`slurm:syd1:1:${H}`, "line-rejected", "ReportingClosed"],
        [`slurm:syd1:2:${H}`, "line-rejected", "InsufficientCredits"],
      ]);
    });

    it("when the ledger rejects a line of a batched pack, the rejected slices go back to pending with the reason and the rest are reported", async function () {
      const ctx = context(H + 3n * 3600n, [agreement(1n), agreement(2n)]);
      const grid = new WindowGrid({ cuts: cutsOf(ctx) });
      const file = join(dir, "race.txt");
      writeFileSync(file, [HEADER, job("1", "startup-a", H, H + 600n, 2), job("2", "startup-b", H, H + 600n, 1)].join("\n"));
      await ingestFiles(state, [file], { settings, grid, now: ctx.now });
      const planned = state.transaction(() => planNextBatch(state, ctx, grid, { lagSeconds: 900n, excluded: new Set() })).batch!;
      expect(planned.packIds).to.have.length(1);
      const batchId = keccak256(stringToHex("race"));
      state.transaction(() => {
        state.insertBatch({
          batchId,
          sequence: 0n,
          periodStart: H,
          periodEnd: H + 3600n,
          recordsRoot: usageRootOfHashes(planned.leafHashes),
          batchJson: "{}",
          leavesJson: planned.leavesJson,
          packIdsJson: JSON.stringify(planned.packIds),
          signaturesJson: "[]",
          calldata: "0x",
          rawTx: null,
          txHash: null,
          status: "signed",
          predictedRejectionsJson: "[]",
          createdAt: 0,
        });
        markBatched(state, planned, batchId);
      });
      const leavesBefore = batchLeaves(state, state.getBatch(batchId)!);
      const rejected = encodeEventTopics({ abi: revenueShareLedgerAbi, eventName: "UsageLineRejected", args: { batchId, agreementId: 2n } });
      const receipt = {
        transactionHash: keccak256(stringToHex("tx")),
        blockNumber: 7n,
        gasUsed: 100_000n,
        logs: [{ address: LEDGER, topics: rejected, data: encodeAbiParameters([{ type: "bytes32" }, { type: "uint8" }], [skuToBytes32("h100-sxm"), 6]) }],
      } as unknown as TransactionReceipt;
      const confirmed = confirmBatch({ state, ledger: LEDGER } as unknown as SubmitContext, state.getBatch(batchId)!, receipt);
      expect(confirmed.rejectedLines).to.equal(1);
      expect(state.sliceTotals()).to.deep.include({ reported: { slices: 1, gpuSeconds: 1200n }, pending: { slices: 1, gpuSeconds: 600n } });
      expect(state.pendingInPiece(H, H + 3600n).map((r) => [r.agreementId, r.rejection])).to.deep.equal([[2n, "OverAuthorization"]]);
      // The batch's leaves (for its evidence bundle) are what it was signed with.
      expect(batchLeaves(state, state.getBatch(batchId)!)).to.deep.equal(leavesBefore);
      expect(usageTreeOf(leavesBefore).root).to.equal(usageRootOfHashes(planned.leafHashes));
    });

    it("when a batch is superseded, its packs are pending again and planned into the next batch", async function () {
      const ctx = context(H + 3n * 3600n, [agreement(1n)]);
      const grid = new WindowGrid({ cuts: cutsOf(ctx) });
      const file = join(dir, "again.txt");
      writeFileSync(file, [HEADER, job("1", "startup-a", H, H + 600n, 2)].join("\n"));
      await ingestFiles(state, [file], { settings, grid, now: ctx.now });
      const first = state.transaction(() => planNextBatch(state, ctx, grid, { lagSeconds: 900n, excluded: new Set() })).batch!;
      state.transaction(() => markBatched(state, first, "0xb1"));
      expect(state.transaction(() => planNextBatch(state, ctx, grid, { lagSeconds: 900n, excluded: new Set() })).batch).to.equal(undefined);
      state.transaction(() => state.supersedeBatch("0xb1"));
      const again = state.transaction(() => planNextBatch(state, ctx, grid, { lagSeconds: 900n, excluded: new Set() })).batch!;
      expect(again.packIds).to.deep.equal(first.packIds);
      expect(again.leafHashes.equals(first.leafHashes)).to.equal(true);
      expect(again.draft.leaves.map((l) => l.recordId)).to.deep.equal([`slurm:syd1:1:${H}`]);
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
