import { expect } from "chai";
import { encodeAbiParameters, encodeEventTopics, keccak256, multicall3Abi, toFunctionSignature, toHex, type AbiFunction, type Address, type Hex } from "viem";
import { revenueShareLedgerAbi } from "../../sdk/abis";
import { viewAggregator } from "../../auditor/chain/aggregator";
import { decodeAuditLogs } from "../../auditor/chain/events";
import type { RawLog } from "../../auditor/chain/reader";
import { Findings } from "../../auditor/findings";
import { canonicalize, isCanonical, reportHashOf } from "../../auditor/report/canonical";
import { batchIdOf, linesHashOf, rateAt, replayLedger } from "../../auditor/replay/replay";
import type { PartnerModel } from "../../auditor/replay/model";

const LEDGER: Address = "0x00000000000000000000000000000000000000aa";
const PARTNER: Address = "0x1111111111111111111111111111111111111111";
const SKU = toHex("h100-sxm", { size: 32 });

function logOf(eventName: string, args: Record<string, unknown>, logIndex: number): RawLog {
  const event = revenueShareLedgerAbi.find((e) => e.type === "event" && e.name === eventName) as Extract<(typeof revenueShareLedgerAbi)[number], { type: "event" }>;
  const topics = encodeEventTopics({ abi: [event], eventName, args } as never) as Hex[];
  const data = encodeAbiParameters(event.inputs.filter((i) => !i.indexed), event.inputs.filter((i) => !i.indexed).map((i) => args[i.name!]) as never);
  return { address: LEDGER, topics, data, blockNumber: "0x5", blockHash: `0x${"00".repeat(32)}`, transactionHash: `0x${"0f".repeat(32)}`, logIndex: toHex(logIndex) };
}

/** Replays `logs` (one block at time `t`) and returns the discrepancies of `checks`. */
function replayed(logs: RawLog[], t: bigint, checks: string[]): { check: string; figure: string; expected: string; found: string }[] {
  const { events } = decodeAuditLogs(LEDGER, logs, []);
  const f = new Findings();
  const day = 86_400n;
  replayLedger(events, new Map([[5n, t]]), { disputeWindow: day, rateNotice: day, authNotice: day, reportingGrace: day, signerNotice: day, migrationNotice: day, payoutNotice: day }, f);
  return f.discrepancies.filter((d) => checks.includes(d.check)).map(({ check, figure, expected, found }) => ({ check, figure, expected, found }));
}

describe("auditor units", function () {
  describe("decodeAuditLogs", function () {
    it("when given the events a long history is made of, it decodes them exactly as the ABI encoded them (viem)", function () {
      const samples: [string, Record<string, unknown>][] = [
        ["UsageRecorded", { batchId: keccak256("0x01"), agreementId: 7n, partner: PARTNER, sku: SKU, gpuSeconds: 2_880_000n, credits: 2_000_000_000n, receivableAdded: 1_400_000_000n }],
        ["UsageLineRejected", { batchId: keccak256("0x02"), agreementId: 3n, sku: SKU, reason: 6 }],
        ["UsageBatchRecorded", { batchId: keccak256("0x03"), partner: PARTNER, sequence: 9n, periodStart: 100n, periodEnd: 200n, recordsRoot: keccak256("0x04"), linesAccepted: 2n, linesRejected: 1n }],
        ["Distributed", { agreementId: 1n, beneficiary: PARTNER, amount: 381_818_181n }],
        ["PaymentApplied", { agreementId: 1n, payer: PARTNER, amount: 1_000_000_000n, toPartners: 599_999_999n, toProgram: 400_000_001n }],
        ["RevenueReported", { agreementId: 1n, periodIndex: 11, version: 2, revenue: 5n, evidenceHash: keccak256("0x05") }],
        ["RevenueFinalized", { agreementId: 1n, periodIndex: 1, revenue: 50n, owed: 29n, due: 1_800_000_000n }],
      ];
      const { events } = decodeAuditLogs(LEDGER, samples.map(([name, args], i) => logOf(name, args, i)), []);
      expect(events.map((e) => [e.eventName, e.args])).to.deep.equal(samples);
    });
  });

  describe("ViewAggregator (contracts/auditor/ViewAggregator.sol)", function () {
    it("has Multicall3's aggregate3 interface, which viem's multicall encodes and decodes, and only staticcalls", function () {
      const { abi, code } = viewAggregator();
      const ours = abi.find((i): i is AbiFunction => i.type === "function" && i.name === "aggregate3")!;
      const theirs = multicall3Abi.find((i) => i.type === "function" && i.name === "aggregate3")! as AbiFunction;
      expect(toFunctionSignature(ours)).to.equal(toFunctionSignature(theirs));
      expect(ours.outputs.map((o) => o.type)).to.deep.equal(theirs.outputs.map((o) => o.type));
      expect(ours.stateMutability).to.equal("view");
      // opcodes CALL (0xf1), CALLCODE (0xf2), DELEGATECALL (0xf4), SSTORE (0x55) never appear outside PUSH data
      const all = Buffer.from(code.slice(2), "hex");
      const bytes = all.subarray(0, all.length - 2 - all.readUInt16BE(all.length - 2)); // without the CBOR metadata
      const forbidden: number[] = [];
      let staticcalls = 0;
      for (let i = 0; i < bytes.length; i++) {
        const op = bytes[i];
        if (op >= 0x60 && op <= 0x7f) i += op - 0x5f;
        else if ([0xf1, 0xf2, 0xf4, 0x55].includes(op)) forbidden.push(op);
        else if (op === 0xfa) staticcalls += 1;
      }
      expect(forbidden).to.deep.equal([]);
      expect(staticcalls).to.equal(1);
    });
  });

  describe("linesHashOf", function () {
    it("equals bytes24(keccak256(abi.encode(partner, AcceptedUsageLine[])))", function () {
      const lines = [{ agreementId: 1n, sku: SKU, gpuSeconds: 10n, credits: 7n }, { agreementId: 2n, sku: SKU, gpuSeconds: 3_600n, credits: 2_500_000n }];
      const encoded = encodeAbiParameters(
        [{ type: "address" }, { type: "tuple[]", components: [{ type: "uint256" }, { type: "bytes32" }, { type: "uint64" }, { type: "uint256" }] }],
        [PARTNER, lines.map((l) => [l.agreementId, l.sku, l.gpuSeconds, l.credits] as const)],
      );
      expect(linesHashOf(PARTNER, lines)).to.equal(keccak256(encoded).slice(0, 50));
    });
  });

  describe("rateAt", function () {
    it("when rates were scheduled and one replaced, it prices at periodStart and reports a change inside the window", function () {
      const partner = { rates: new Map([[SKU.toLowerCase(), [{ creditsPerGpuHour: 2n, effectiveFrom: 0n }, { creditsPerGpuHour: 3n, effectiveFrom: 7_200n }]]]) } as unknown as PartnerModel;
      expect(rateAt(partner, SKU, 3_600n, 7_200n)).to.deep.equal({ rate: 2n, straddled: undefined });
      expect(rateAt(partner, SKU, 7_200n, 9_000n)).to.deep.equal({ rate: 3n, straddled: undefined });
      expect(rateAt(partner, SKU, 3_600n, 10_800n)).to.deep.equal({ rate: 2n, straddled: 7_200n });
      expect(rateAt(undefined, SKU, 0n, 1n).rate).to.equal(0n);
    });
  });

  describe("replayLedger: one agreement's lines of a batch without evidence (PROTOCOL §6, §10.8)", function () {
    const T = 1_800_000_000n;
    const STARTUP: Address = "0x2222222222222222222222222222222222222222";
    const NO_RATE = toHex("b200", { size: 32 }); // sorts before h100-sxm
    const start = T - 10n * 86_400n;
    const setup = [
      ["PartnerRegistered", { partner: PARTNER, signers: [STARTUP], threshold: 1, payoutBps: 7_000 }],
      ["RateScheduled", { partner: PARTNER, sku: SKU, creditsPerGpuHour: 3_600n, effectiveFrom: 0n }],
      ["AgreementCreated", { id: 1n, startup: STARTUP, terms: {
        startup: STARTUP, creditLimit: 1_000_000n, revenueShareBps: 800, capMultipleBps: 15_000, partnerFirstBps: 6_000, startTime: start,
        endTime: start + 30n * 86_400n, periodDuration: 10 * 86_400, gracePeriod: 86_400, termsHash: keccak256("0x06"),
      } }],
      ["AgreementAccepted", { id: 1n, creditsMinted: 1_000_000n }],
      ["PartnerAuthorized", { id: 1n, partner: PARTNER, spendLimit: 1_000_000n, maxGpus: 1, effectiveAt: T }],
    ] as [string, Record<string, unknown>][];
    /** One batch of agreement 1's lines `skus` (window [T − 1 h, T)), whose events say `outcomes` (a reason code or "accepted"). */
    const batch = (sequence: bigint, skus: Hex[], outcomes: (number | "accepted")[]): [string, Record<string, unknown>][] => {
      const root = keccak256(toHex(`root${sequence}`));
      const batchId = batchIdOf(PARTNER, sequence, T - 3_600n, T, root);
      const lines = skus.map((sku, i): [string, Record<string, unknown>] => (outcomes[i] === "accepted"
        ? ["UsageRecorded", { batchId, agreementId: 1n, partner: PARTNER, sku, gpuSeconds: 60n, credits: 60n, receivableAdded: 42n }]
        : ["UsageLineRejected", { batchId, agreementId: 1n, sku, reason: outcomes[i] }]));
      const accepted = BigInt(outcomes.filter((o) => o === "accepted").length);
      return [...lines, ["UsageBatchRecorded", { batchId, partner: PARTNER, sequence, periodStart: T - 3_600n, periodEnd: T, recordsRoot: root, linesAccepted: accepted, linesRejected: BigInt(skus.length) - accepted }]];
    };
    const run = (...batches: [string, Record<string, unknown>][][]) =>
      replayed([...setup, ...batches.flat()].map(([name, args], i) => logOf(name, args, i)), T, ["usage.line", "invariant.8"]);
    const [NO_RATE_CODE, OVER_GPU, OVER_AUTH, SIBLING] = [3, 5, 6, 8];

    it("when the failing line carries its reason and its sibling SiblingRejected, before or after it, it passes", function () {
      expect(run(batch(0n, [NO_RATE, SKU], [NO_RATE_CODE, SIBLING]))).to.deep.equal([]);
      // gpuSeconds unknown: a lone h100 line may have failed any of the three bounds
      expect(run(batch(0n, [SKU], [OVER_AUTH]), batch(1n, [SKU], [OVER_GPU]))).to.deep.equal([]);
    });

    it("when a line without a rate is left SiblingRejected behind a later failure, it names both lines", function () {
      expect(run(batch(0n, [NO_RATE, SKU], [SIBLING, OVER_GPU]))).to.deep.equal([
        { check: "usage.line", figure: `batch(${batchIdOf(PARTNER, 0n, T - 3_600n, T, keccak256(toHex("root0")))}).line[0] ${NO_RATE}`, expected: "rejected NoRate", found: "rejected SiblingRejected" },
        { check: "usage.line", figure: `batch(${batchIdOf(PARTNER, 0n, T - 3_600n, T, keccak256(toHex("root0")))}).line[1] ${SKU}`, expected: "rejected SiblingRejected", found: "rejected OverGpuBound" },
      ]);
    });

    it("when a line is accepted beside a rejected one, invariant 8 and the line check fail; when no line carries the failure, the line check does", function () {
      const mixed = run(batch(0n, [NO_RATE, SKU], [NO_RATE_CODE, "accepted"]));
      expect(mixed.map((d) => [d.check, d.found])).to.deep.equal([["invariant.8", "1 accepted, 1 rejected"], ["usage.line", "accepted"]]);
      expect(run(batch(0n, [SKU], [SIBLING])).map((d) => [d.check, d.expected, d.found])).to.deep.equal([
        ["usage.line", "rejected (OverGpuBound | OverAuthorization | InsufficientCredits)", "rejected SiblingRejected"],
      ]);
    });
  });

  describe("canonicalize", function () {
    it("sorts keys, drops whitespace and hashes the bytes", function () {
      const text = canonicalize({ b: "1", a: [true, null, { d: "x", c: 2 }] });
      expect(text).to.equal('{"a":[true,null,{"c":2,"d":"x"}],"b":"1"}');
      expect(isCanonical(text)).to.equal(true);
      expect(isCanonical(JSON.stringify({ b: "1", a: [] }, null, 2))).to.equal(false);
      expect(reportHashOf(text)).to.equal(keccak256(toHex(text)));
    });
  });

  describe("Findings", function () {
    it("when a figure differs, it names the agreement, the figure, expected and found; lazy texts are built only then", function () {
      const f = new Findings();
      let built = 0;
      f.equal("payment.split", 1n, () => `payment[${++built}]`, 5n, 5n);
      f.equal("payment.split", 2n, () => `payment[${++built}].toProgram`, 400_000_001n, 400_000_000n, { block: "9" });
      expect(built).to.equal(1);
      expect(f.discrepancies).to.deep.equal([{ check: "payment.split", agreementId: "2", figure: "payment[1].toProgram", expected: "400000001", found: "400000000", at: { block: "9" } }]);
      expect(f.talliesOf("1")).to.deep.equal([{ check: "payment.split", passed: 1, failed: 0 }]);
    });
  });
});
