import { expect } from "chai";
import { AbiCoder, TypedDataEncoder, Wallet, encodeBytes32String, keccak256 as ethersKeccak256, verifyTypedData } from "ethers";
import { getAddress, recoverTypedDataAddress, stringToHex, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { ValidationError } from "../../sdk/errors";
import {
  bytes32ToSku,
  hashRevenueReport,
  hashUsageBatch,
  ledgerDomain,
  revenueReportTypes,
  skuToBytes32,
  sortSignaturesBySigner,
  usageBatchId,
  usageBatchTypes,
  type RevenueReport,
  type UsageBatch,
} from "../../sdk/eip712";

const LEDGER = getAddress("0x5fbdb2315678afecb367f032d93f642f64180aa3");
const domain = ledgerDomain(31337, LEDGER);
const root: Hex = `0x${"ab".repeat(32)}`;

const batch: UsageBatch = {
  partner: getAddress("0x70997970c51812dc3a010c7d01b50e0d17dc79c8"),
  sequence: 7n,
  periodStart: 1_790_899_200n,
  periodEnd: 1_790_902_800n,
  recordsRoot: root,
  lines: [
    { agreementId: 1n, sku: skuToBytes32("b200"), gpuSeconds: 720_000n },
    { agreementId: 1n, sku: skuToBytes32("h100-sxm"), gpuSeconds: 2_880_000n },
    { agreementId: 2n ** 200n, sku: skuToBytes32("gb300"), gpuSeconds: 2n ** 64n - 1n },
  ],
};

const report: RevenueReport = {
  agreementId: 1n,
  periodIndex: 11,
  revenue: 50_000_000_000n,
  evidenceHash: `0x${"cd".repeat(32)}`,
  version: 2,
};

describe("usageBatchTypes / revenueReportTypes", () => {
  it("when encoded by ethers, they give exactly the PROTOCOL §6/§7 type strings", () => {
    expect(TypedDataEncoder.from(usageBatchTypes).encodeType("UsageBatch")).to.equal(
      "UsageBatch(address partner,uint64 sequence,uint64 periodStart,uint64 periodEnd,bytes32 recordsRoot,UsageLine[] lines)" +
        "UsageLine(uint256 agreementId,bytes32 sku,uint64 gpuSeconds)",
    );
    expect(TypedDataEncoder.from(revenueReportTypes).encodeType("RevenueReport")).to.equal(
      "RevenueReport(uint256 agreementId,uint32 periodIndex,uint256 revenue,bytes32 evidenceHash,uint32 version)",
    );
  });
});

describe("ledgerDomain", () => {
  it("when given a chain and a ledger, it returns the PROTOCOL §6 domain", () => {
    expect(domain).to.deep.equal({ name: "DSX Revenue Share Ledger", version: "1", chainId: 31337, verifyingContract: LEDGER });
  });

  it("when given a bad chain id or address, it refuses it", () => {
    expect(() => ledgerDomain(0, LEDGER)).to.throw(ValidationError, "Chain id 0");
    expect(() => ledgerDomain(1.5, LEDGER)).to.throw(ValidationError, "Chain id 1.5");
    expect(() => ledgerDomain(1, "0x1234" as Address)).to.throw(ValidationError, '"0x1234" is not a valid address');
  });
});

describe("hashUsageBatch", () => {
  it("when hashing a batch, it equals ethers TypedDataEncoder.hash", () => {
    expect(hashUsageBatch(domain, batch)).to.equal(TypedDataEncoder.hash(domain, usageBatchTypes, batch));
  });

  it("when a field changes, the digest changes", () => {
    expect(hashUsageBatch(domain, { ...batch, sequence: 8n })).not.to.equal(hashUsageBatch(domain, batch));
    expect(hashUsageBatch(ledgerDomain(1, LEDGER), batch)).not.to.equal(hashUsageBatch(domain, batch));
  });

  it("when ethers signs, viem recovers the signer, and the other way round", async () => {
    const wallet = Wallet.createRandom();
    const signature = (await wallet.signTypedData(domain, usageBatchTypes, batch)) as Hex;
    const recovered = await recoverTypedDataAddress({ domain, types: usageBatchTypes, primaryType: "UsageBatch", message: batch, signature });
    expect(recovered).to.equal(wallet.address);

    const account = privateKeyToAccount(generatePrivateKey());
    const viemSignature = await account.signTypedData({ domain, types: usageBatchTypes, primaryType: "UsageBatch", message: batch });
    expect(verifyTypedData(domain, usageBatchTypes, batch, viemSignature)).to.equal(account.address);
  });
});

describe("hashRevenueReport", () => {
  it("when hashing a report, it equals ethers TypedDataEncoder.hash", () => {
    expect(hashRevenueReport(domain, report)).to.equal(TypedDataEncoder.hash(domain, revenueReportTypes, report));
  });

  it("when ethers signs, viem recovers the signer, and the other way round", async () => {
    const wallet = Wallet.createRandom();
    const signature = (await wallet.signTypedData(domain, revenueReportTypes, report)) as Hex;
    const recovered = await recoverTypedDataAddress({ domain, types: revenueReportTypes, primaryType: "RevenueReport", message: report, signature });
    expect(recovered).to.equal(wallet.address);

    const account = privateKeyToAccount(generatePrivateKey());
    const viemSignature = await account.signTypedData({ domain, types: revenueReportTypes, primaryType: "RevenueReport", message: report });
    expect(verifyTypedData(domain, revenueReportTypes, report, viemSignature)).to.equal(account.address);
  });
});

describe("usageBatchId", () => {
  it("when given a batch's header, it equals keccak256(abi.encode(...)) computed by ethers", () => {
    const expected = ethersKeccak256(
      AbiCoder.defaultAbiCoder().encode(
        ["address", "uint64", "uint64", "uint64", "bytes32"],
        [batch.partner, batch.sequence, batch.periodStart, batch.periodEnd, batch.recordsRoot],
      ),
    );
    expect(usageBatchId(batch.partner, batch.sequence, batch.periodStart, batch.periodEnd, batch.recordsRoot)).to.equal(expected);
  });

  it("when a field is out of range for uint64, it throws", () => {
    expect(() => usageBatchId(batch.partner, 2n ** 64n, 0n, 1n, root)).to.throw();
  });
});

describe("skuToBytes32", () => {
  it("when given a sku name, it equals ethers encodeBytes32String and viem stringToHex(size 32)", () => {
    for (const sku of ["h100-sxm", "b200", "gb300", "a", "x".repeat(31), "mi300x_v2.1"]) {
      expect(skuToBytes32(sku)).to.equal(encodeBytes32String(sku)).and.to.equal(stringToHex(sku, { size: 32 }));
    }
  });

  for (const bad of ["", "H100", "h100 sxm", "x".repeat(32), "-b200", "b200\u0000", "é100", "h100/sxm"]) {
    it(`when given ${JSON.stringify(bad)}, it refuses it with the rule`, () => {
      expect(() => skuToBytes32(bad)).to.throw(ValidationError, `Sku ${JSON.stringify(bad)} is not a valid sku name. Use 1 to 31 lower-case`);
    });
  }
});

describe("bytes32ToSku", () => {
  it("when given a stored sku, it returns its name", () => {
    for (const sku of ["h100-sxm", "b200", "x".repeat(31)]) expect(bytes32ToSku(skuToBytes32(sku))).to.equal(sku);
  });

  const zero = `0x${"00".repeat(32)}` as Hex;
  const cases: [string, Hex, string][] = [
    ["the zero value (empty name)", zero, "is not a valid sku name"],
    ["32 non-zero bytes (no padding)", stringToHex("x".repeat(32)), "is not a valid sku name"],
    ["data after the padding", `0x6232303000${"00".repeat(26)}01`, "has data after its zero padding"],
    ["upper-case letters", stringToHex("B200", { size: 32 }), "is not a valid sku name"],
    ["31 bytes", `0x${"61".repeat(31)}`, "is not a 32-byte hex string"],
    ["text", "b200" as Hex, "is not a 32-byte hex string"],
  ];
  for (const [name, value, reason] of cases) {
    it(`when given ${name}, it refuses it`, () => expect(() => bytes32ToSku(value)).to.throw(ValidationError, reason));
  }
});

describe("sortSignaturesBySigner", () => {
  it("when given signatures in any order, it returns them by ascending signer address as numbers", () => {
    const signed = [
      { signer: getAddress("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"), signature: "0x03" as Hex },
      { signer: getAddress("0x0000000000000000000000000000000000000002"), signature: "0x01" as Hex },
      { signer: getAddress("0x90f79bf6eb2c4f870365e785982e1f101e93b906"), signature: "0x02" as Hex },
      // lower-case input sorts by value, not by text case
      { signer: "0xabcdefabcdefabcdefabcdefabcdefabcdefabcd" as Address, signature: "0x04" as Hex },
    ];
    expect(sortSignaturesBySigner(signed)).to.deep.equal(["0x01", "0x02", "0x04", "0x03"]);
    expect(sortSignaturesBySigner([])).to.deep.equal([]);
  });

  it("when a signer appears twice (in any letter case), it refuses the set", () => {
    const a = getAddress("0x90f79bf6eb2c4f870365e785982e1f101e93b906");
    const signed = [
      { signer: a, signature: "0x01" as Hex },
      { signer: a.toLowerCase() as Address, signature: "0x02" as Hex },
    ];
    expect(() => sortSignaturesBySigner(signed)).to.throw(ValidationError, `Signer ${a.toLowerCase()} signed more than once`);
  });

  it("when a signer is not an address, it refuses it", () => {
    expect(() => sortSignaturesBySigner([{ signer: "0x12" as Address, signature: "0x01" }])).to.throw(ValidationError, '"0x12" is not an address');
  });
});
