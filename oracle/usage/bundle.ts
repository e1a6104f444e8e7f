// Evidence bundles (SERVICES §2): `<evidence>/<batchId>.json` holds the batch, the
// signatures, the Merkle tree dump, the transaction hash and the rejected lines, so an
// auditor can prove any record against the batch's on-chain recordsRoot; and the operators'
// decisions behind any of its records that came out of the quarantine.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Address } from "viem";
import { writeFileAtomic } from "../state/files";
import type { BatchRow, UsageState } from "../state/usageState";
import type { BatchJson } from "./batch";
import { usageTreeOf, type UsageLeaf, type UsageTreeDump } from "./evidence";
import { batchLeaves } from "./packs";

/** An evidence bundle file. */
export interface EvidenceBundle {
  kind: "dsx-usage-evidence";
  version: 1;
  chainId: number;
  ledger: Address;
  batchId: string;
  batch: BatchJson;
  signatures: { signer: Address; signature: string }[];
  tree: UsageTreeDump;
  transactionHash: string | null;
  blockNumber: string | null;
  gasUsed: string | null;
  /** Lines the ledger refused (UsageLineRejected). */
  rejectedLines: { agreementId: string; sku: string; reason: string }[];
  /** Lines the preflight took out before signing (their records stay pending). */
  preflightRejectedLines: { agreementId: string; sku: string; reason: string }[];
  /**
   * The operators' decisions behind records of this batch: quarantined rows accepted with
   * `dsx usage quarantine accept` (who, when, why, what the row was billed as, and which of the
   * batch's recordIds it gave).
   */
  quarantineDecisions: EvidenceDecision[];
}

/** An accepted quarantine entry as the evidence bundle keeps it. */
export interface EvidenceDecision {
  quarantineId: number;
  file: string;
  line: number;
  raw: string;
  reason: string;
  detail: string;
  decision: "accept";
  decidedBy: string;
  /** ISO 8601. */
  decidedAt: string;
  note: string;
  account: string;
  agreementId: string;
  sku: string;
  /** The batch's recordIds this row billed. */
  recordIds: string[];
}

/** The stored receipt summary of a confirmed batch. */
export interface ReceiptSummary {
  transactionHash: string;
  blockNumber: string;
  gasUsed: string;
}

/** The bundle of a stored batch with its leaves (see packs.ts `batchLeaves`). */
export function bundleOf(
  row: BatchRow,
  leaves: readonly UsageLeaf[],
  meta: { chainId: number; ledger: Address },
  decisions: EvidenceDecision[] = [],
): EvidenceBundle {
  const receipt = row.receiptJson ? (JSON.parse(row.receiptJson) as ReceiptSummary) : undefined;
  return {
    kind: "dsx-usage-evidence",
    version: 1,
    chainId: meta.chainId,
    ledger: meta.ledger,
    batchId: row.batchId,
    batch: JSON.parse(row.batchJson) as BatchJson,
    signatures: JSON.parse(row.signaturesJson) as EvidenceBundle["signatures"],
    tree: usageTreeOf(leaves).dump(),
    transactionHash: receipt?.transactionHash ?? row.txHash,
    blockNumber: receipt?.blockNumber ?? null,
    gasUsed: receipt?.gasUsed ?? null,
    rejectedLines: row.rejectedJson ? (JSON.parse(row.rejectedJson) as EvidenceBundle["rejectedLines"]) : [],
    preflightRejectedLines: JSON.parse(row.predictedRejectionsJson) as EvidenceBundle["preflightRejectedLines"],
    quarantineDecisions: decisions,
  };
}

/** The accepted quarantine entries whose records are among `leaves`, by id. */
export function decisionsOf(state: UsageState, leaves: readonly UsageLeaf[]): EvidenceDecision[] {
  const index = state.decisionRecords();
  if (index.size === 0) return [];
  const recordIds = new Map<number, Set<string>>();
  for (const leaf of leaves) {
    for (const id of index.get(leaf[0]) ?? []) {
      const set = recordIds.get(id) ?? new Set<string>();
      set.add(leaf[0]);
      recordIds.set(id, set);
    }
  }
  if (recordIds.size === 0) return [];
  return state.quarantine([...recordIds.keys()]).flatMap((q) => {
    const d = q.decision;
    if (q.id === undefined || d === undefined || d.decision !== "accept") return [];
    return [
      {
        quarantineId: q.id,
        file: q.file,
        line: q.line,
        raw: q.raw,
        reason: q.reason,
        detail: q.detail,
        decision: "accept" as const,
        decidedBy: d.decidedBy,
        decidedAt: new Date(d.decidedAt).toISOString(),
        note: d.note,
        account: d.account ?? "",
        agreementId: d.agreementId ?? "",
        sku: d.sku ?? "",
        recordIds: [...(recordIds.get(q.id) ?? [])].sort(),
      },
    ];
  });
}

/** Path of a batch's bundle. */
export function bundlePath(evidenceDir: string, batchId: string): string {
  return join(evidenceDir, `${batchId}.json`);
}

/** Writes the bundle of a stored batch (atomically). */
export function writeEvidenceBundle(state: UsageState, evidenceDir: string, row: BatchRow, meta: { chainId: number; ledger: Address }): string {
  const path = bundlePath(evidenceDir, row.batchId);
  const leaves = batchLeaves(state, row);
  writeFileAtomic(path, `${JSON.stringify(bundleOf(row, leaves, meta, decisionsOf(state, leaves)), null, 2)}\n`);
  return path;
}

/** Writes the bundles that a crash may have left unwritten: every confirmed batch without its file. */
export function ensureEvidenceBundles(state: UsageState, evidenceDir: string, meta: { chainId: number; ledger: Address }): number {
  let written = 0;
  for (const row of state.confirmedBatches()) {
    if (existsSync(bundlePath(evidenceDir, row.batchId))) continue;
    writeEvidenceBundle(state, evidenceDir, row, meta);
    written += 1;
  }
  return written;
}
