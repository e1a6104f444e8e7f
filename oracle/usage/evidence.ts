// Usage evidence (SERVICES §2 "Evidence"): an OpenZeppelin StandardMerkleTree over a batch's
// slices; `recordsRoot = tree.root`. Any record can then be proven from the tree dump kept in
// the evidence bundle.
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { keccak256, type Hex } from "viem";
import { bytes32ToSku, skuToBytes32 } from "../../sdk/eip712";
import { ValidationError } from "../../sdk/errors";
import type { UsageSlice } from "./slicing";

/** Leaf types, normative (SERVICES §2). */
export const USAGE_LEAF_ENCODING: string[] = ["string", "uint256", "bytes32", "uint64", "uint64", "uint64"];

/**
 * `[recordId, agreementId, sku, sliceStart, sliceEnd, gpuSeconds]`: numbers as decimal
 * strings (so a tree dump is plain JSON), sku as bytes32 hex. Hashes exactly like the same
 * leaf with bigints.
 */
export type UsageLeaf = [recordId: string, agreementId: string, sku: Hex, sliceStart: string, sliceEnd: string, gpuSeconds: string];

/** A tree dump as stored in the evidence bundle (`format: "standard-v1"`). */
export type UsageTreeDump = ReturnType<StandardMerkleTree<UsageLeaf>["dump"]>;

/** A leaf with its values read back. */
export interface DecodedUsageLeaf {
  recordId: string;
  agreementId: bigint;
  sku: string;
  sliceStart: bigint;
  sliceEnd: bigint;
  gpuSeconds: bigint;
}

const MAX_UINT64 = 2n ** 64n - 1n;

function uint64(name: string, value: bigint): string {
  if (value < 0n || value > MAX_UINT64) throw new ValidationError(`Leaf ${name} = ${value} is not a uint64.`);
  return value.toString();
}

/** The leaf of one slice. */
export function usageLeaf(
  slice: Pick<UsageSlice, "recordId" | "agreementId" | "sku" | "sliceStart" | "sliceEnd" | "gpuSeconds">,
): UsageLeaf {
  if (slice.agreementId < 0n) throw new ValidationError(`Leaf agreementId = ${slice.agreementId} is negative.`);
  return [
    slice.recordId,
    slice.agreementId.toString(),
    skuToBytes32(slice.sku),
    uint64("sliceStart", slice.sliceStart),
    uint64("sliceEnd", slice.sliceEnd),
    uint64("gpuSeconds", slice.gpuSeconds),
  ];
}

/** Reads a leaf back into bigints and the sku name. */
export function decodeUsageLeaf(leaf: UsageLeaf): DecodedUsageLeaf {
  return {
    recordId: leaf[0],
    agreementId: BigInt(leaf[1]),
    sku: bytes32ToSku(leaf[2]),
    sliceStart: BigInt(leaf[3]),
    sliceEnd: BigInt(leaf[4]),
    gpuSeconds: BigInt(leaf[5]),
  };
}

/**
 * The standard leaf hash of a usage leaf, `keccak256(keccak256(abi.encode(leaf)))`, equal to
 * OpenZeppelin's `standardLeafHash(USAGE_LEAF_ENCODING, leaf)` but encoded by hand for this one
 * leaf shape (the generic ABI encoder dominates the cost of large trees).
 */
export function usageLeafHash(leaf: UsageLeaf): Buffer {
  const text = Buffer.from(leaf[0], "utf8");
  const padded = Math.ceil(text.length / 32) * 32;
  const encoded = Buffer.alloc(32 * 7 + padded);
  encoded.writeUInt32BE(0xc0, 28); // offset of the string: after the 6 head words
  encoded.write(BigInt(leaf[1]).toString(16).padStart(64, "0"), 32, "hex");
  encoded.write(leaf[2].slice(2), 64, "hex");
  for (let i = 3; i <= 5; i++) encoded.write(BigInt(leaf[i]).toString(16).padStart(64, "0"), 32 * i, "hex");
  encoded.writeUInt32BE(text.length, 32 * 6 + 28);
  text.copy(encoded, 32 * 7);
  return Buffer.from(keccak256(keccak256(encoded, "bytes"), "bytes"));
}

/** Builds a StandardMerkleTree from precomputed parts (its constructor is protected). */
class PrecomputedUsageTree extends StandardMerkleTree<UsageLeaf> {
  static from(tree: string[], values: { value: UsageLeaf; treeIndex: number }[]): StandardMerkleTree<UsageLeaf> {
    return new PrecomputedUsageTree(tree, values, USAGE_LEAF_ENCODING);
  }
}

/**
 * The evidence tree of a batch's slices (its `leaves`): the same tree, root and dump as
 * `StandardMerkleTree.of(slices.map(usageLeaf), USAGE_LEAF_ENCODING)` (leaves sorted by hash,
 * sorted-pair node hashing), built with {@link usageLeafHash} and Buffer comparisons.
 * @throws ValidationError for an empty batch (a tree needs one leaf).
 * @example const tree = buildUsageTree(batch.leaves); const recordsRoot = tree.root;
 */
export function buildUsageTree(slices: readonly UsageSlice[]): StandardMerkleTree<UsageLeaf> {
  return usageTreeOf(slices.map(usageLeaf));
}

/** {@link buildUsageTree} from leaves already encoded (e.g. read back from the state). */
export function usageTreeOf(leaves: readonly UsageLeaf[]): StandardMerkleTree<UsageLeaf> {
  if (leaves.length === 0) throw new ValidationError("A usage tree needs at least one slice.");
  const hashed = leaves.map((value, valueIndex) => ({ valueIndex, hash: usageLeafHash(value) }));
  hashed.sort((a, b) => Buffer.compare(a.hash, b.hash));
  const nodes: Buffer[] = new Array(2 * hashed.length - 1);
  hashed.forEach((h, i) => (nodes[nodes.length - 1 - i] = h.hash));
  for (let i = nodes.length - 1 - hashed.length; i >= 0; i--) {
    const a = nodes[2 * i + 1];
    const b = nodes[2 * i + 2];
    const pair = Buffer.compare(a, b) <= 0 ? Buffer.concat([a, b]) : Buffer.concat([b, a]);
    nodes[i] = Buffer.from(keccak256(pair, "bytes"));
  }
  const values = leaves.map((value) => ({ value, treeIndex: 0 }));
  hashed.forEach((h, leafIndex) => (values[h.valueIndex].treeIndex = nodes.length - leafIndex - 1));
  return PrecomputedUsageTree.from(
    nodes.map((n) => `0x${n.toString("hex")}`),
    values,
  );
}

/** `recordsRoot` of a batch's slices. */
export function usageRecordsRoot(slices: readonly UsageSlice[]): Hex {
  return buildUsageTree(slices).root as Hex;
}

/** Every leaf of one record in a batch, each with its proof against the batch's root. */
export interface RecordProof {
  root: Hex;
  recordId: string;
  leaves: { leaf: UsageLeaf; proof: Hex[] }[];
}

function loadTree(dump: UsageTreeDump): StandardMerkleTree<UsageLeaf> {
  const encoding = dump.leafEncoding;
  if (encoding.length !== USAGE_LEAF_ENCODING.length || encoding.some((t, i) => t !== USAGE_LEAF_ENCODING[i])) {
    throw new ValidationError(`Tree dump has leaf encoding ${JSON.stringify(encoding)}, not a usage tree's.`, {
      fix: "Pass the tree dump of a usage evidence bundle.",
    });
  }
  return StandardMerkleTree.load(dump);
}

/**
 * Proves one record: every leaf of `recordId` in the dumped tree with its proof (a record
 * has one leaf per window it crosses; a carried late slice may add more). The dump is
 * validated first (every node re-hashed), so a tampered dump throws.
 * @returns undefined when the record has no leaf in this tree.
 */
export function proveRecord(dump: UsageTreeDump, recordId: string): RecordProof | undefined {
  const tree = loadTree(dump);
  const leaves: RecordProof["leaves"] = [];
  for (const [index, leaf] of tree.entries()) {
    if (leaf[0] === recordId) leaves.push({ leaf, proof: tree.getProof(index) as Hex[] });
  }
  return leaves.length === 0 ? undefined : { root: tree.root as Hex, recordId, leaves };
}

/** Whether `leaf` with `proof` belongs to the tree of `root` (a batch's recordsRoot). */
export function verifyRecordProof(root: Hex, leaf: UsageLeaf, proof: readonly Hex[]): boolean {
  try {
    return StandardMerkleTree.verify(root, USAGE_LEAF_ENCODING, leaf, [...proof]);
  } catch {
    // A leaf that cannot be ABI-encoded (wrong types, sizes) belongs to no tree.
    return false;
  }
}
