// usageBatchDigest and submitUsageCalldata check a batch's values with one validation
// (usageBatchWords): what cannot be sent is not signed either, and viem refuses the same values.
import { expect } from "chai";
import { encodeFunctionData, hashTypedData, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { revenueShareLedgerAbi } from "../../sdk/abis";
import { ledgerDomain, skuToBytes32, usageBatchTypes, type UsageBatch } from "../../sdk/eip712";
import { ValidationError } from "../../sdk/errors";
import { signBatch, submitUsageCalldata, usageBatchDigest, usageBatchWords } from "../../oracle/usage/batch";

const LEDGER = "0xa513E6E4b8f2a923D98304ec87F64353C4D5C853" as const;
const PARTNER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as const;
const H = 1_790_000_000n - (1_790_000_000n % 3600n);
const domain = ledgerDomain(31337, LEDGER);
const account = privateKeyToAccount("0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba");

function batch(change: (b: UsageBatch) => void = () => {}): UsageBatch {
  const b: UsageBatch = {
    partner: PARTNER,
    sequence: 7n,
    periodStart: H,
    periodEnd: H + 3600n,
    recordsRoot: `0x${"11".repeat(32)}`,
    lines: [
      { agreementId: 1n, sku: skuToBytes32("b200"), gpuSeconds: 3600n },
      { agreementId: 2n, sku: skuToBytes32("h100-sxm"), gpuSeconds: 7200n },
    ],
  };
  change(b);
  return b;
}

const viemDigest = (b: UsageBatch) => hashTypedData({ domain, types: usageBatchTypes, primaryType: "UsageBatch", message: b });
const viemCalldata = (b: UsageBatch) => encodeFunctionData({ abi: revenueShareLedgerAbi, functionName: "submitUsage", args: [b, []] });

describe("usageBatchWords (one validation for the digest and the calldata)", function () {
  const refused: [string, (b: UsageBatch) => void, RegExp][] = [
    ["a line's gpuSeconds of 2^64", (b) => (b.lines[1].gpuSeconds = 2n ** 64n), /^Usage batch line 1 gpuSeconds = 18446744073709551616 is not a uint64\.$/],
    ["a negative gpuSeconds", (b) => (b.lines[0].gpuSeconds = -1n), /^Usage batch line 0 gpuSeconds = -1 is not a uint64\.$/],
    ["an agreementId of 2^256", (b) => (b.lines[0].agreementId = 2n ** 256n), /line 0 agreementId = \d+ is not a uint256\.$/],
    ["a sequence of 2^64", (b) => (b.sequence = 2n ** 64n), /^Usage batch sequence = 18446744073709551616 is not a uint64\.$/],
    ["a periodStart below 0", (b) => (b.periodStart = -1n), /^Usage batch periodStart = -1 is not a uint64\.$/],
    ["a periodEnd of 2^64", (b) => (b.periodEnd = 2n ** 64n), /^Usage batch periodEnd = \d+ is not a uint64\.$/],
    ["a recordsRoot of 31 bytes", (b) => (b.recordsRoot = `0x${"11".repeat(31)}`), /^Usage batch recordsRoot = 0x(11){31} is not 32 bytes\.$/],
    ["a sku of 31 bytes", (b) => (b.lines[1].sku = `0x${"ab".repeat(31)}`), /^Usage batch line 1 sku = 0x(ab){31} is not 32 bytes\.$/],
    ["a partner that is no address", (b) => (b.partner = "0x1234" as Hex), /^Usage batch partner = 0x1234 is not an address\.$/],
  ];

  for (const [what, change, message] of refused) {
    it(`when a batch holds ${what}, the digest and the calldata refuse it with the same message, as viem does`, function () {
      const b = batch(change);
      expect(() => usageBatchWords(b)).to.throw(ValidationError, message);
      expect(() => usageBatchDigest(domain, b)).to.throw(ValidationError, message);
      expect(() => submitUsageCalldata(b, [])).to.throw(ValidationError, message);
      // the reference refuses it too: nothing the library would refuse is signed by hand
      expect(() => viemDigest(b)).to.throw();
      expect(() => viemCalldata(b)).to.throw();
    });
  }

  it("when gpuSeconds is 2^64 (the value digested before), signBatch signs nothing", async function () {
    let thrown: unknown;
    try {
      await signBatch([account], domain, batch((b) => (b.lines[0].gpuSeconds = 2n ** 64n)));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).to.be.instanceOf(ValidationError);
    expect((thrown as Error).message).to.match(/gpuSeconds = 18446744073709551616 is not a uint64/);
  });

  it("when every value is at the top of its type, the digest and the calldata equal viem's", function () {
    const b = batch((x) => {
      x.sequence = 2n ** 64n - 1n;
      x.periodStart = 2n ** 64n - 2n;
      x.periodEnd = 2n ** 64n - 1n;
      x.recordsRoot = `0x${"ff".repeat(32)}`;
      x.lines[0].agreementId = 2n ** 256n - 1n;
      x.lines[0].gpuSeconds = 2n ** 64n - 1n;
    });
    expect(usageBatchDigest(domain, b)).to.equal(viemDigest(b));
    expect(submitUsageCalldata(b, [])).to.equal(viemCalldata(b));
  });
});
