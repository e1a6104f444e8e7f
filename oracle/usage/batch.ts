// A usage batch as stored, signed and sent (PROTOCOL §6): JSON form, EIP-712 signing with
// the local keys, signature files of the multi-party flow, and the exact calldata.
import { readFileSync } from "node:fs";
import {
  BaseError,
  decodeErrorResult,
  encodeFunctionData,
  getAddress,
  isHex,
  recoverTypedDataAddress,
  type Address,
  type Hex,
  type LocalAccount,
} from "viem";
import { revenueShareLedgerAbi } from "../../sdk/abis";
import { sortSignaturesBySigner, usageBatchTypes, type LedgerDomain, type SignerSignature, type UsageBatch } from "../../sdk/eip712";
import { ValidationError } from "../../sdk/errors";

/** A batch with bigints as decimal strings. */
export interface BatchJson {
  partner: Address;
  sequence: string;
  periodStart: string;
  periodEnd: string;
  recordsRoot: Hex;
  lines: { agreementId: string; sku: Hex; gpuSeconds: string }[];
}

export function batchToJson(b: UsageBatch): BatchJson {
  return {
    partner: b.partner,
    sequence: b.sequence.toString(),
    periodStart: b.periodStart.toString(),
    periodEnd: b.periodEnd.toString(),
    recordsRoot: b.recordsRoot,
    lines: b.lines.map((l) => ({ agreementId: l.agreementId.toString(), sku: l.sku, gpuSeconds: l.gpuSeconds.toString() })),
  };
}

export function batchFromJson(j: BatchJson): UsageBatch {
  return {
    partner: getAddress(j.partner),
    sequence: BigInt(j.sequence),
    periodStart: BigInt(j.periodStart),
    periodEnd: BigInt(j.periodEnd),
    recordsRoot: j.recordsRoot,
    lines: j.lines.map((l) => ({ agreementId: BigInt(l.agreementId), sku: l.sku, gpuSeconds: BigInt(l.gpuSeconds) })),
  };
}

/** Signs a batch with each account (EIP-712, PROTOCOL §6). */
export async function signBatch(accounts: readonly LocalAccount[], domain: LedgerDomain, batch: UsageBatch): Promise<SignerSignature[]> {
  return Promise.all(
    accounts.map(async (account) => ({
      signer: account.address,
      signature: await account.signTypedData!({ domain, types: usageBatchTypes, primaryType: "UsageBatch", message: batch }),
    })),
  );
}

/** The signer of a batch signature. */
export async function recoverBatchSigner(domain: LedgerDomain, batch: UsageBatch, signature: Hex): Promise<Address> {
  return recoverTypedDataAddress({ domain, types: usageBatchTypes, primaryType: "UsageBatch", message: batch, signature });
}

/** `submitUsage(batch, signatures)` calldata, signatures ordered by signer. */
export function submitUsageCalldata(batch: UsageBatch, signatures: readonly SignerSignature[]): Hex {
  return encodeFunctionData({ abi: revenueShareLedgerAbi, functionName: "submitUsage", args: [batch, sortSignaturesBySigner(signatures)] });
}

/** The batch file a co-signer signs (`usage sign`). */
export interface BatchFile {
  kind: "dsx-usage-batch";
  chainId: number;
  ledger: Address;
  batchId: Hex;
  batch: BatchJson;
}

/** A signature file written by `usage sign`, combined by `usage submit`. */
export interface SignatureFile {
  kind: "dsx-usage-signature";
  chainId: number;
  ledger: Address;
  batchId: Hex;
  signer: Address;
  signature: Hex;
}

/** Reads and checks a signature file. */
export function readSignatureFile(path: string): SignatureFile {
  let parsed: Partial<SignatureFile>;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<SignatureFile>;
  } catch (cause) {
    throw new ValidationError(`Signature file ${path} cannot be read as JSON.`, { fix: "Pass files written by `usage sign`.", cause });
  }
  if (
    parsed.kind !== "dsx-usage-signature" ||
    typeof parsed.batchId !== "string" ||
    typeof parsed.signer !== "string" ||
    typeof parsed.signature !== "string" ||
    !isHex(parsed.signature)
  ) {
    throw new ValidationError(`File ${path} is not a usage signature file.`, { fix: "Pass files written by `usage sign`." });
  }
  return parsed as SignatureFile;
}

/** Reads a batch file written for co-signers. */
export function readBatchFile(path: string): BatchFile {
  let parsed: Partial<BatchFile>;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<BatchFile>;
  } catch (cause) {
    throw new ValidationError(`Batch file ${path} cannot be read as JSON.`, { fix: "Pass a file from the state's outbox folder.", cause });
  }
  if (parsed.kind !== "dsx-usage-batch" || typeof parsed.batchId !== "string" || parsed.batch === undefined) {
    throw new ValidationError(`File ${path} is not a usage batch file.`, { fix: "Pass a file from the state's outbox folder." });
  }
  return parsed as BatchFile;
}

/** The name of the ledger's custom error inside a failed call, if any (e.g. "UsageSequenceMismatch"). */
export function revertName(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  for (let e = err; e && typeof e === "object" && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const data = (e as { data?: unknown }).data;
    const hex = typeof data === "string" ? data : typeof data === "object" && data !== null ? (data as { data?: unknown }).data : undefined;
    if (typeof hex === "string" && isHex(hex) && hex.length >= 10) {
      try {
        return decodeErrorResult({ abi: revenueShareLedgerAbi, data: hex }).errorName;
      } catch {
        // not one of the ledger's errors: look further down the chain
      }
    }
    if (e instanceof BaseError && (e as { errorName?: string }).errorName) return (e as { errorName?: string }).errorName;
  }
  return undefined;
}
