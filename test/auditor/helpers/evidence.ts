// Builds usage evidence bundles as the usage oracle writes them (oracle/usage/bundle.ts's format): a batch's
// records as StandardMerkleTree leaves, recordsRoot = the tree's root, the signatures and the transaction.
import fs from "node:fs";
import path from "node:path";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import type { Hex } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { usageBatchId, type UsageBatch } from "../../../sdk/eip712";
import { USAGE_LEAF_ENCODING, type UsageLeaf } from "../../../oracle/usage/evidence";
import { sortAddresses, type AcceptedLine, type LedgerDriver } from "../../helpers/ledgerDriver";

/** One metered record behind a line. */
export interface RecordInput {
  recordId: string;
  agreementId: bigint;
  sku: Hex;
  start: bigint;
  end: bigint;
  gpuSeconds: bigint;
}

export const leafOf = (r: RecordInput): UsageLeaf => [r.recordId, r.agreementId.toString(), r.sku, r.start.toString(), r.end.toString(), r.gpuSeconds.toString()];

/** The tree of `records` (sorted leaves, like the oracle's). */
export function treeOf(records: readonly RecordInput[]): StandardMerkleTree<UsageLeaf> {
  return StandardMerkleTree.of(records.map(leafOf), USAGE_LEAF_ENCODING);
}

/** Splits `gpuSeconds` of a line into `parts` records inside [start, end) (each a whole number of GPUs). */
export function recordsFor(prefix: string, agreementId: bigint, sku: Hex, start: bigint, end: bigint, gpuSeconds: bigint, parts = 2): RecordInput[] {
  const records: RecordInput[] = [];
  let left = gpuSeconds;
  for (let i = 0; i < parts; i++) {
    const share = i === parts - 1 ? left : gpuSeconds / BigInt(parts);
    left -= share;
    records.push({ recordId: `${prefix}:${agreementId}:${sku.slice(2, 10)}:${i}`, agreementId, sku, start, end, gpuSeconds: share });
  }
  return records;
}

export interface WrittenBatch {
  batchId: Hex;
  /** The accepted lines as the ledger recorded them (UsageRecorded), in batch order. */
  accepted: AcceptedLine[];
  batch: UsageBatch;
  records: RecordInput[];
  file?: string;
}

/** Submits `batch` (its recordsRoot replaced by the tree root of `records` unless `root` is forced) and writes its bundle. */
export async function submitWithEvidence(
  d: LedgerDriver,
  dir: string | undefined,
  base: Omit<UsageBatch, "recordsRoot"> & { recordsRoot?: Hex },
  records: RecordInput[],
  keys: PrivateKeyAccount[],
): Promise<WrittenBatch> {
  const tree = treeOf(records);
  const batch: UsageBatch = { ...base, recordsRoot: base.recordsRoot ?? (tree.root as Hex) };
  const receipt = await d.submitUsage(batch, keys);
  const batchId = usageBatchId(batch.partner, batch.sequence, batch.periodStart, batch.periodEnd, batch.recordsRoot);
  const signatures = await d.sign(keys, "UsageBatch", batch);
  const signers = sortAddresses(keys.map((k) => k.address));
  let file: string | undefined;
  if (dir) {
    const bundle = {
      kind: "dsx-usage-evidence", version: 1, chainId: 31337, ledger: d.ledger, batchId,
      batch: {
        partner: batch.partner, sequence: batch.sequence.toString(), periodStart: batch.periodStart.toString(), periodEnd: batch.periodEnd.toString(),
        recordsRoot: batch.recordsRoot, lines: batch.lines.map((l) => ({ agreementId: l.agreementId.toString(), sku: l.sku, gpuSeconds: l.gpuSeconds.toString() })),
      },
      // d.sign returns the signatures sorted by signer: pair them with the signers in the same order
      signatures: signatures.map((signature, i) => ({ signer: signers[i], signature })),
      tree: tree.dump(), transactionHash: receipt.transactionHash, blockNumber: receipt.blockNumber.toString(), gasUsed: receipt.gasUsed.toString(),
      rejectedLines: [], preflightRejectedLines: [],
    };
    fs.mkdirSync(dir, { recursive: true });
    file = path.join(dir, `${batchId}.json`);
    fs.writeFileSync(file, `${JSON.stringify(bundle, null, 2)}\n`);
  }
  return { batchId, accepted: d.acceptedLines(receipt), batch, records, file };
}
