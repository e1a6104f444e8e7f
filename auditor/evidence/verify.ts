// Verifies usage evidence against the chain (SERVICES §2, §5): for every recorded batch its bundle, the Merkle
// root rebuilt from its records, each line's gpuSeconds against its records, the window of every record, the
// oracle signatures and the quarantine decisions behind its records. Also proves single records.
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { getAddress, recoverTypedDataAddress, type Hex } from "viem";
import { ledgerDomain, usageBatchTypes } from "../../sdk/eip712";
import { checkEvidenceBundle } from "../checks/evidenceBundle";
import { checkUsageDecisions, leavesByRecord } from "../checks/evidenceDecisions";
import { checkEvidenceLines } from "../checks/evidenceLines";
import { checkEvidenceRoot } from "../checks/evidenceRoot";
import type { Findings, Location } from "../findings";
import { batchIdOf } from "../replay/replay";
import type { BatchModel, LedgerModel } from "../replay/model";
import type { EvidenceBundleFile, LoadedBundle, UsageLeafValue } from "./bundles";

/** The leaf types of a usage tree (SERVICES §2). */
export const USAGE_LEAF_TYPES = ["string", "uint256", "bytes32", "uint64", "uint64", "uint64"];

export interface EvidenceBatchRow {
  batchId: string;
  partner: string;
  sequence: string;
  records: number;
  root: "match" | "mismatch" | "missing";
  lines: "match" | "mismatch" | "missing";
  signatures: string;
}

export interface EvidenceSummary {
  bundles: number;
  unreadable: number;
  batchesWithoutBundle: number;
  bundlesWithoutBatch: number;
  records: number;
  batches: EvidenceBatchRow[];
}

/** Rebuilds a usage tree from leaf values (never trusting a dump's hashes). */
export function rebuildTree(values: readonly UsageLeafValue[]): StandardMerkleTree<UsageLeafValue> | undefined {
  if (values.length === 0) return undefined;
  return StandardMerkleTree.of([...values], USAGE_LEAF_TYPES);
}

async function verifySignatures(f: Findings, b: BatchModel, bundle: EvidenceBundleFile, chainId: number, ledger: Hex): Promise<string> {
  const domain = ledgerDomain(chainId, getAddress(ledger));
  const message = {
    partner: getAddress(bundle.batch.partner), sequence: BigInt(bundle.batch.sequence), periodStart: BigInt(bundle.batch.periodStart),
    periodEnd: BigInt(bundle.batch.periodEnd), recordsRoot: bundle.batch.recordsRoot as Hex,
    lines: bundle.batch.lines.map((l) => ({ agreementId: BigInt(l.agreementId), sku: l.sku as Hex, gpuSeconds: BigInt(l.gpuSeconds) })),
  };
  const members = new Set(b.signers.map((s) => s.toLowerCase()));
  const valid = new Set<string>();
  for (const sig of bundle.signatures) {
    try {
      const signer = await recoverTypedDataAddress({ domain, types: usageBatchTypes, primaryType: "UsageBatch", message, signature: sig.signature as Hex });
      if (members.has(signer.toLowerCase())) valid.add(signer.toLowerCase());
    } catch {
      // an unrecoverable signature counts for nothing
    }
  }
  checkEvidenceBundle.rule(f, null, `batch(${b.batchId}).signatures`, valid.size >= b.threshold, `≥ ${b.threshold} valid signatures of the partner's signers`, `${valid.size}`, b.at);
  return `${valid.size} of ${b.threshold} required`;
}

/**
 * Checks every bundle against the replayed batches. Each recorded batch needs a bundle (a batch without one is a
 * discrepancy: its usage cannot be verified).
 */
export async function verifyEvidence(f: Findings, m: LedgerModel, loaded: readonly LoadedBundle[], chain: { chainId: number; ledger: Hex }): Promise<EvidenceSummary> {
  const summary: EvidenceSummary = { bundles: loaded.length, unreadable: 0, batchesWithoutBundle: 0, bundlesWithoutBatch: 0, records: 0, batches: [] };
  const byBatch = new Map<string, EvidenceBundleFile>();
  for (const { file, bundle, error } of loaded) {
    checkEvidenceBundle.readable(f, file, error);
    if (!bundle) {
      summary.unreadable += 1;
      continue;
    }
    const claimed = bundle.batchId.toLowerCase();
    const b = bundle.batch;
    const rebuiltId = batchIdOf(getAddress(b.partner), BigInt(b.sequence), BigInt(b.periodStart), BigInt(b.periodEnd), b.recordsRoot as Hex);
    checkEvidenceBundle.field(f, null, `bundle ${file}.batchId`, rebuiltId, bundle.batchId);
    checkEvidenceBundle.field(f, null, `bundle ${file}.chainId`, BigInt(chain.chainId), BigInt(bundle.chainId));
    checkEvidenceBundle.field(f, null, `bundle ${file}.ledger`, chain.ledger, bundle.ledger);
    if (!m.batches.has(claimed)) {
      summary.bundlesWithoutBatch += 1;
      checkEvidenceBundle.rule(f, null, `bundle ${file}.batch`, false, "a batch recorded on chain", `no batch ${bundle.batchId} on chain`);
      continue;
    }
    byBatch.set(claimed, bundle);
  }
  for (const batchId of m.batchOrder) {
    const b = m.batches.get(batchId.toLowerCase())!;
    const bundle = byBatch.get(batchId.toLowerCase());
    const row: EvidenceBatchRow = { batchId, partner: b.partner, sequence: b.sequence.toString(), records: 0, root: "missing", lines: "missing", signatures: "missing" };
    summary.batches.push(row);
    if (!bundle) {
      summary.batchesWithoutBundle += 1;
      checkEvidenceBundle.rule(f, null, `batch(${batchId}).evidence`, false, "an evidence bundle", "none in the evidence folder", b.at);
      continue;
    }
    row.signatures = await verifySignatures(f, b, bundle, chain.chainId, chain.ledger);
    verifyBatch(f, b, bundle, row);
    summary.records += row.records;
  }
  return summary;
}

/** Root, lines and records of one batch. */
function verifyBatch(f: Findings, b: BatchModel, bundle: EvidenceBundleFile, row: EvidenceBatchRow): void {
  const at: Location = b.at;
  const values = bundle.tree.values.map((v) => v.value);
  row.records = values.length;
  let rebuilt: Hex | undefined;
  try {
    rebuilt = rebuildTree(values)?.root as Hex | undefined;
  } catch {
    rebuilt = undefined;
  }
  checkEvidenceRoot(f, b.batchId, b.recordsRoot, rebuilt, at);
  row.root = rebuilt?.toLowerCase() === b.recordsRoot.toLowerCase() ? "match" : "mismatch";

  // the bundle's lines against the chain's (accepted lines carry gpuSeconds on chain)
  const key = (agreementId: bigint, sku: string) => `${agreementId}:${sku.toLowerCase()}`;
  const bundleLines = new Map(bundle.batch.lines.map((l) => [key(BigInt(l.agreementId), l.sku), BigInt(l.gpuSeconds)]));
  checkEvidenceBundle.field(f, null, `batch(${b.batchId}).lines`, BigInt(b.lines.length), BigInt(bundle.batch.lines.length), at);
  for (const line of b.lines) {
    const inBundle = bundleLines.get(key(line.agreementId, line.sku));
    if (line.accepted && line.gpuSeconds !== undefined) {
      checkEvidenceBundle.field(f, line.agreementId, `batch(${b.batchId}).line ${line.sku}.gpuSeconds (bundle)`, line.gpuSeconds, inBundle ?? "missing", line.at);
    } else {
      checkEvidenceBundle.rule(f, line.agreementId, `batch(${b.batchId}).line ${line.sku}`, inBundle !== undefined, "in the bundle", "missing", line.at);
    }
  }

  // records: sums per line, windows, duplicates
  const sums = new Map<string, { agreementId: bigint; sku: Hex; total: bigint }>();
  const seen = new Set<string>();
  let linesOk = true;
  for (const leaf of values) {
    const [recordId, agreementText, sku, startText, endText, gpuText] = leaf;
    const agreementId = BigInt(agreementText);
    const start = BigInt(startText);
    const end = BigInt(endText);
    const gpuSeconds = BigInt(gpuText);
    const k = key(agreementId, sku);
    const s = sums.get(k) ?? { agreementId, sku: sku as Hex, total: 0n };
    s.total += gpuSeconds;
    sums.set(k, s);
    const leafKey = JSON.stringify(leaf);
    const inWindow = start < end && end <= b.periodEnd && (start >= b.periodStart || end <= b.periodStart) && gpuSeconds > 0n;
    linesOk = checkEvidenceLines.record(f, agreementId, b.batchId, recordId, inWindow, `> 0 GPU-s in [${b.periodStart}, ${b.periodEnd}) (or a late slice before it)`, `${gpuSeconds} GPU-s in [${start}, ${end})`, at) && linesOk;
    linesOk = checkEvidenceLines.record(f, agreementId, b.batchId, `${recordId} [${start}, ${end})`, !seen.has(leafKey), "listed once", "listed twice", at) && linesOk;
    seen.add(leafKey);
  }
  for (const line of bundle.batch.lines) {
    const k = key(BigInt(line.agreementId), line.sku);
    const lineGpuSeconds = BigInt(line.gpuSeconds);
    const total = sums.get(k)?.total ?? 0n;
    if (total !== lineGpuSeconds) linesOk = false;
    checkEvidenceLines.sum(f, BigInt(line.agreementId), b.batchId, line.sku as Hex, lineGpuSeconds, total, at);
    sums.delete(k);
  }
  for (const orphan of sums.values()) {
    linesOk = false;
    checkEvidenceLines.orphan(f, orphan.agreementId, b.batchId, orphan.sku, orphan.total, at);
  }
  row.lines = linesOk ? "match" : "mismatch";
  checkUsageDecisions(f, b.batchId, bundle.quarantineDecisions ?? [], leavesByRecord(values), at);
}

/** Every leaf of `recordId` in a batch's bundle with its proof against the on-chain root, and whether it verifies. */
export interface RecordProofOutput {
  batchId: string;
  recordsRoot: string;
  recordId: string;
  leaves: { leaf: UsageLeafValue; proof: string[]; verified: boolean }[];
}

/** Proves one record of a bundle against `onChainRoot`; undefined when the record is not in the bundle. */
export function proveRecordAgainst(bundle: EvidenceBundleFile, recordId: string, onChainRoot: Hex): RecordProofOutput | undefined {
  const tree = rebuildTree(bundle.tree.values.map((v) => v.value));
  if (!tree) return undefined;
  const leaves: RecordProofOutput["leaves"] = [];
  for (const [i, leaf] of tree.entries()) {
    if (leaf[0] !== recordId) continue;
    const proof = tree.getProof(i);
    leaves.push({ leaf, proof, verified: StandardMerkleTree.verify(onChainRoot, USAGE_LEAF_TYPES, leaf, proof) });
  }
  return leaves.length === 0 ? undefined : { batchId: bundle.batchId, recordsRoot: onChainRoot, recordId, leaves };
}
