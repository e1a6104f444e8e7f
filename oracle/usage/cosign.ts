// The multi-party flow (SERVICES §2 "Signing"): `usage sign` signs a prepared batch file with
// one key and writes a signature file; `usage submit` checks and combines signature files
// into the waiting batch, then sends it like any signed batch.
import { join, dirname } from "node:path";
import { getAddress, type LocalAccount } from "viem";
import { ledgerDomain, usageBatchId, type SignerSignature } from "../../sdk/eip712";
import { ValidationError } from "../../sdk/errors";
import { pendingMembershipNote } from "../common/signerSet";
import { writeFileAtomic } from "../state/files";
import {
  batchFromJson,
  readBatchFile,
  readSignatureFile,
  recoverBatchSigner,
  signBatch,
  submitUsageCalldata,
  type BatchJson,
  type SignatureFile,
} from "./batch";
import { readContext, applySettlement, emptySummary, warnAboutSignerSets, type UsageRunSummary, type UsageRuntime } from "./run";
import { settleBatch, signedTransaction, simulate } from "./submit";

/**
 * Signs the batch in `batchFile` with `account` and writes `<batchId>.<signer>.sig.json`
 * beside it (or to `out`). Needs no chain and no state: a co-signer can run it offline.
 * @throws ValidationError when the file's batchId does not match its batch.
 */
export async function signBatchFile(batchFile: string, account: LocalAccount, out?: string): Promise<string> {
  const file = readBatchFile(batchFile);
  const batch = batchFromJson(file.batch);
  const id = usageBatchId(batch.partner, batch.sequence, batch.periodStart, batch.periodEnd, batch.recordsRoot);
  if (id !== file.batchId) {
    throw new ValidationError(`Batch file ${batchFile} says batchId ${file.batchId}, but its batch hashes to ${id}.`, {
      fix: "Ask the operator for an untouched copy of the batch file.",
    });
  }
  const [signed] = await signBatch([account], ledgerDomain(file.chainId, file.ledger), batch);
  const signature: SignatureFile = {
    kind: "dsx-usage-signature",
    chainId: file.chainId,
    ledger: file.ledger,
    batchId: file.batchId,
    signer: signed.signer,
    signature: signed.signature,
  };
  const path = out ?? join(dirname(batchFile), `${file.batchId}.${signed.signer.toLowerCase()}.sig.json`);
  writeFileAtomic(path, `${JSON.stringify(signature, null, 2)}\n`);
  return path;
}

/**
 * Adds the signatures of `files` to their waiting batches; a batch that reaches the
 * partner's threshold is simulated, given its transaction and sent. Returns the summary.
 * @throws ValidationError for a signature of another batch, chain or ledger, or by a key
 * that is not one of the partner's signers.
 */
export async function submitSignatureFiles(rt: UsageRuntime, files: readonly string[]): Promise<UsageRunSummary> {
  const summary = emptySummary();
  const ctx = await readContext(rt);
  warnAboutSignerSets(rt, ctx);
  const members = new Set(ctx.partner.signers.map((s) => s.toLowerCase()));
  const byBatch = new Map<string, SignatureFile[]>();
  for (const path of files) {
    const sig = readSignatureFile(path);
    if (sig.chainId !== rt.config.chainId || sig.ledger.toLowerCase() !== rt.deployment.ledger.toLowerCase()) {
      throw new ValidationError(`Signature file ${path} is for chain ${sig.chainId} / ledger ${sig.ledger}, not this oracle's.`);
    }
    byBatch.set(sig.batchId, [...(byBatch.get(sig.batchId) ?? []), sig]);
  }
  for (const [batchId, sigs] of byBatch) {
    const row = rt.state.getBatch(batchId);
    if (row === undefined || row.status !== "awaiting-signatures") {
      throw new ValidationError(`Batch ${batchId} is not waiting for signatures in this state folder.`, {
        fix: "Run `usage run` to see which batch waits; signatures of a rebuilt batch must be made again.",
      });
    }
    const batch = batchFromJson(JSON.parse(row.batchJson) as BatchJson);
    const combined = new Map<string, SignerSignature>();
    for (const s of JSON.parse(row.signaturesJson) as SignerSignature[]) combined.set(s.signer.toLowerCase(), s);
    for (const sig of sigs) {
      const signer = await recoverBatchSigner(rt.domain, batch, sig.signature);
      if (signer.toLowerCase() !== sig.signer.toLowerCase()) {
        throw new ValidationError(`The signature in the file of ${sig.signer} was made by ${signer}.`, { fix: "Sign the batch file again." });
      }
      if (!members.has(signer.toLowerCase())) {
        const note = pendingMembershipNote([signer], ctx.partner);
        throw new ValidationError(`${signer} is not one of partner ${rt.config.partner}'s signers in force on the ledger.${note}`, {
          fix: note ? "Submit the signature once that set is in force, or have the batch file signed by a signer in force." : "Have the batch file signed by a signer in force.",
        });
      }
      combined.set(signer.toLowerCase(), { signer: getAddress(signer), signature: sig.signature });
    }
    const signatures = [...combined.values()].filter((s) => members.has(s.signer.toLowerCase()));
    rt.state.transaction(() => rt.state.setBatchSignatures(batchId, JSON.stringify(signatures)));
    if (signatures.length < ctx.partner.threshold) {
      summary.awaitingSignatures.push(batchId);
      continue;
    }
    const calldata = submitUsageCalldata(batch, signatures);
    const refusal = await simulate(rt.submit, calldata);
    if (refusal !== undefined && refusal !== "UsageSequenceMismatch") {
      rt.log(`batch ${batchId} is refused by the ledger (${refusal})`);
    }
    const tx = await signedTransaction(rt.submit, calldata);
    rt.state.transaction(() => rt.state.setBatchSigned(batchId, JSON.stringify(signatures), calldata, tx.raw, tx.hash), { durable: true });
    summary.batched += 1;
    const signed = rt.state.getBatch(batchId);
    if (signed && !applySettlement(rt, signed, await settleBatch(rt.submit, signed), summary)) break;
  }
  return summary;
}
