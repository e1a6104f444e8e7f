import { expect } from "chai";
import { encodeAbiParameters, encodeEventTopics, keccak256, toHex, type Address, type Hex } from "viem";
import { revenueShareLedgerAbi } from "../../sdk/abis";
import { decodeAuditLogs } from "../../auditor/chain/events";
import type { RawLog } from "../../auditor/chain/reader";
import { Findings } from "../../auditor/findings";
import { canonicalize, isCanonical, reportHashOf } from "../../auditor/report/canonical";
import { linesHashOf, rateAt } from "../../auditor/replay/replay";
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

describe("auditor units", function () {
  describe("decodeAuditLogs", function () {
    it("when an event has a hand decoder, it decodes exactly as the ABI does", function () {
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
