import { expect } from "chai";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { encodeAbiParameters, keccak256, type Hex } from "viem";
import { skuToBytes32 } from "../../sdk/eip712";
import { ValidationError } from "../../sdk/errors";
import {
  buildUsageTree,
  decodeUsageLeaf,
  proveRecord,
  usageLeaf,
  usageRecordsRoot,
  verifyRecordProof,
  USAGE_LEAF_ENCODING,
  type UsageLeaf,
  type UsageTreeDump,
} from "../../oracle/usage/evidence";
import { buildBatches, carryLateSlices, sliceRecord, type UsageSlice } from "../../oracle/usage/slicing";
import { at } from "./support";

const T0 = at("2026-10-03T00:00:00Z");
const H = 3600n;

function slices(): UsageSlice[] {
  return [
    ...sliceRecord({
      recordId: "slurm:c1:4101:1791000000",
      agreementId: 1n,
      sku: "h100-sxm",
      start: T0,
      end: T0 + 600n,
      gpus: 8n,
      gpuSeconds: 4800n,
    }),
    ...sliceRecord({ recordId: "meter-0002", agreementId: 2n, sku: "b200", start: T0 + 60n, end: T0 + 120n, gpus: 4n, gpuSeconds: 200n }),
    ...sliceRecord({ recordId: "meter-0003", agreementId: 2n, sku: "b200", start: T0 + 60n, end: T0 + 120n, gpus: 1n, gpuSeconds: 60n }),
  ];
}

describe("usageLeaf", () => {
  it("when given a slice, it returns [recordId, agreementId, sku bytes32, sliceStart, sliceEnd, gpuSeconds] with decimal strings", () => {
    expect(usageLeaf(slices()[0])).to.deep.equal([
      "slurm:c1:4101:1791000000",
      "1",
      skuToBytes32("h100-sxm"),
      `${T0}`,
      `${T0 + 600n}`,
      "4800",
    ]);
  });

  it("when a value does not fit its uint64, it throws ValidationError", () => {
    expect(() => usageLeaf({ ...slices()[0], gpuSeconds: 2n ** 64n })).to.throw(ValidationError);
    expect(() => usageLeaf({ ...slices()[0], sliceStart: -1n })).to.throw(ValidationError);
  });

  it("when read back, it gives the slice's values", () => {
    expect(decodeUsageLeaf(usageLeaf(slices()[1]))).to.deep.equal({
      recordId: "meter-0002",
      agreementId: 2n,
      sku: "b200",
      sliceStart: T0 + 60n,
      sliceEnd: T0 + 120n,
      gpuSeconds: 200n,
    });
  });
});

describe("buildUsageTree", () => {
  it("when leaves are hashed, each is keccak256(keccak256(abi.encode(leaf))) as OpenZeppelin's MerkleProof expects", () => {
    const tree = buildUsageTree(slices());
    const leaf = usageLeaf(slices()[0]);
    const encoded = encodeAbiParameters(
      USAGE_LEAF_ENCODING.map((type) => ({ type })),
      [leaf[0], BigInt(leaf[1]), leaf[2], BigInt(leaf[3]), BigInt(leaf[4]), BigInt(leaf[5])],
    );
    expect(tree.leafHash(leaf)).to.equal(keccak256(keccak256(encoded)));
  });

  it("when the same leaves come in another order or with bigint values, the root is the same", () => {
    const root = usageRecordsRoot(slices());
    expect(usageRecordsRoot([...slices()].reverse())).to.equal(root);
    const asBigints = slices().map((s) => [s.recordId, s.agreementId, skuToBytes32(s.sku), s.sliceStart, s.sliceEnd, s.gpuSeconds]);
    expect(StandardMerkleTree.of(asBigints, USAGE_LEAF_ENCODING).root).to.equal(root);
  });

  it("when any leaf value changes, the root changes", () => {
    const changed = slices();
    changed[2] = { ...changed[2], gpuSeconds: 59n };
    expect(usageRecordsRoot(changed)).to.not.equal(usageRecordsRoot(slices()));
  });

  it("when there is no slice, it throws ValidationError", () => {
    expect(() => buildUsageTree([])).to.throw(ValidationError);
  });
});

describe("proveRecord", () => {
  const tree = buildUsageTree(slices());
  const dump = JSON.parse(JSON.stringify(tree.dump())) as UsageTreeDump;

  it("when the dump went through JSON, it proves a record against the tree's root", () => {
    const proof = proveRecord(dump, "meter-0002");
    expect(proof?.root).to.equal(tree.root);
    expect(proof?.leaves).to.have.length(1);
    const { leaf, proof: path } = proof!.leaves[0];
    expect(verifyRecordProof(tree.root as Hex, leaf, path)).to.equal(true);
  });

  it("when a record has several leaves in one batch (a carried late slice), it returns each with its proof", () => {
    const own = sliceRecord({ recordId: "r", agreementId: 1n, sku: "b200", start: T0, end: T0 + 6n * H, gpus: 1n, gpuSeconds: 6n * H });
    const lateSlice = own[0];
    const { carried } = carryLateSlices([lateSlice], [{ ...own[5], capacity: 4n * H }]);
    const { batches } = buildBatches([...carried, own[5]], { now: T0 + 7n * H });
    const batchTree = buildUsageTree(batches[0].leaves);
    const proof = proveRecord(batchTree.dump(), "r");
    expect(proof?.leaves.map((l) => l.leaf[3])).to.have.members([`${T0}`, `${T0 + 5n * H}`]);
    for (const { leaf, proof: path } of proof!.leaves) expect(verifyRecordProof(batchTree.root as Hex, leaf, path)).to.equal(true);
  });

  it("when the record is not in the tree, it returns undefined", () => {
    expect(proveRecord(dump, "nope")).to.equal(undefined);
  });

  it("when the dump was tampered with or is not a usage tree, it throws", () => {
    const tampered = JSON.parse(JSON.stringify(dump)) as UsageTreeDump;
    tampered.values[0].value[5] = "1";
    expect(() => proveRecord(tampered, "meter-0002")).to.throw();
    expect(() => proveRecord({ ...dump, leafEncoding: ["string"] }, "meter-0002")).to.throw(ValidationError);
  });
});

describe("verifyRecordProof", () => {
  const tree = buildUsageTree(slices());
  const proof = proveRecord(tree.dump(), "slurm:c1:4101:1791000000")!.leaves[0];

  it("when the leaf or the root differ from the proven ones, it returns false", () => {
    const inflated: UsageLeaf = [...proof.leaf];
    inflated[5] = "4801";
    expect(verifyRecordProof(tree.root as Hex, inflated, proof.proof)).to.equal(false);
    expect(verifyRecordProof(`0x${"00".repeat(32)}`, proof.leaf, proof.proof)).to.equal(false);
  });

  it("when the leaf cannot be encoded, it returns false instead of throwing", () => {
    const broken = [...proof.leaf] as UsageLeaf;
    broken[2] = "0x1234";
    expect(verifyRecordProof(tree.root as Hex, broken, proof.proof)).to.equal(false);
  });
});
