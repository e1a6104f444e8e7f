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
import { keccak256Bytes, loadKeccak } from "../../sdk/keccak";

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

const word = (value: bigint): string => value.toString(16).padStart(64, "0");
const typeHash = (type: string): string => keccak256Bytes(Buffer.from(type, "utf8")).toString("hex");
let typeHashes: { domain: string; batch: string; line: string } | undefined;
const domainSeparators = new Map<string, string>();

/** A usage batch's values as 32-byte ABI words (hex, no 0x), each checked against its Solidity type. */
export interface UsageBatchWords {
  partner: string;
  sequence: string;
  periodStart: string;
  periodEnd: string;
  recordsRoot: string;
  lines: { agreementId: string; sku: string; gpuSeconds: string }[];
}

function uintWord(name: string, value: bigint, bits: number): string {
  if (value < 0n || value >= 1n << BigInt(bits)) throw new ValidationError(`Usage batch ${name} = ${value} is not a uint${bits}.`);
  return word(value);
}

function bytes32Word(name: string, value: Hex): string {
  if (!isHex(value) || value.length !== 66) throw new ValidationError(`Usage batch ${name} = ${value} is not 32 bytes.`);
  return value.slice(2).toLowerCase();
}

/**
 * The ABI words of a usage batch (PROTOCOL §6), every value checked against its Solidity type: the one
 * validation behind both {@link usageBatchDigest} and {@link submitUsageCalldata}, so nothing is signed that
 * cannot be sent (viem refuses the same values).
 * @throws ValidationError naming the value: a partner that is no address, a uint64 or uint256 out of range, a
 * recordsRoot or sku that is not 32 bytes.
 * @example usageBatchWords({ ...batch, lines: [{ agreementId: 1n, sku, gpuSeconds: 2n ** 64n }] }); // throws: not a uint64
 */
export function usageBatchWords(batch: UsageBatch): UsageBatchWords {
  let partner: Address;
  try {
    partner = getAddress(batch.partner);
  } catch (cause) {
    throw new ValidationError(`Usage batch partner = ${batch.partner} is not an address.`, { cause });
  }
  return {
    partner: word(BigInt(partner)),
    sequence: uintWord("sequence", batch.sequence, 64),
    periodStart: uintWord("periodStart", batch.periodStart, 64),
    periodEnd: uintWord("periodEnd", batch.periodEnd, 64),
    recordsRoot: bytes32Word("recordsRoot", batch.recordsRoot),
    lines: batch.lines.map((line, i) => ({
      agreementId: uintWord(`line ${i} agreementId`, line.agreementId, 256),
      sku: bytes32Word(`line ${i} sku`, line.sku),
      gpuSeconds: uintWord(`line ${i} gpuSeconds`, line.gpuSeconds, 64),
    })),
  };
}

/**
 * The EIP-712 digest of a usage batch (PROTOCOL §6), equal to viem's `hashTypedData` with
 * {@link usageBatchTypes} (tested) but encoded by hand for this one type and hashed with
 * hash-wasm's Keccak: a batch of 80 lines costs 80 line hashes instead of viem's generic encoder.
 * @throws ValidationError for a value that does not fit its type ({@link usageBatchWords}).
 */
export function usageBatchDigest(domain: LedgerDomain, batch: UsageBatch): Hex {
  const words = usageBatchWords(batch);
  typeHashes ??= {
    domain: typeHash("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
    batch: typeHash(
      "UsageBatch(address partner,uint64 sequence,uint64 periodStart,uint64 periodEnd,bytes32 recordsRoot,UsageLine[] lines)" +
        "UsageLine(uint256 agreementId,bytes32 sku,uint64 gpuSeconds)",
    ),
    line: typeHash("UsageLine(uint256 agreementId,bytes32 sku,uint64 gpuSeconds)"),
  };
  const types = typeHashes;
  const domainKey = `${domain.chainId}:${domain.verifyingContract.toLowerCase()}:${domain.name}:${domain.version}`;
  let separator = domainSeparators.get(domainKey);
  if (separator === undefined) {
    separator = keccak256Bytes(
      Buffer.from(
        types.domain + typeHash(domain.name) + typeHash(domain.version) + word(BigInt(domain.chainId)) + word(BigInt(domain.verifyingContract)),
        "hex",
      ),
    ).toString("hex");
    domainSeparators.set(domainKey, separator);
  }
  const lines = Buffer.alloc(32 * words.lines.length);
  words.lines.forEach((line, i) => {
    keccak256Bytes(Buffer.from(types.line + line.agreementId + line.sku + line.gpuSeconds, "hex")).copy(lines, 32 * i);
  });
  const struct = keccak256Bytes(
    Buffer.from(
      types.batch + words.partner + words.sequence + words.periodStart + words.periodEnd + words.recordsRoot + keccak256Bytes(lines).toString("hex"),
      "hex",
    ),
  ).toString("hex");
  return `0x${keccak256Bytes(Buffer.from(`1901${separator}${struct}`, "hex")).toString("hex")}`;
}

/** Signs a batch with each account (EIP-712, PROTOCOL §6): the digest once, then one signature per key. */
export async function signBatch(accounts: readonly LocalAccount[], domain: LedgerDomain, batch: UsageBatch): Promise<SignerSignature[]> {
  await loadKeccak();
  const hash = usageBatchDigest(domain, batch);
  return Promise.all(
    accounts.map(async (account) => ({
      signer: account.address,
      signature: account.sign
        ? await account.sign({ hash })
        : await account.signTypedData!({ domain, types: usageBatchTypes, primaryType: "UsageBatch", message: batch }),
    })),
  );
}

/** The signer of a batch signature. */
export async function recoverBatchSigner(domain: LedgerDomain, batch: UsageBatch, signature: Hex): Promise<Address> {
  return recoverTypedDataAddress({ domain, types: usageBatchTypes, primaryType: "UsageBatch", message: batch, signature });
}

let submitUsageSelector: string | undefined;

/**
 * `submitUsage(batch, signatures)` calldata, signatures ordered by signer: the ABI encoding
 * written out for this one function (equal to viem's encodeFunctionData, tested).
 * @throws ValidationError for a value that does not fit its type ({@link usageBatchWords}) or a signature that is not hex bytes.
 */
export function submitUsageCalldata(batch: UsageBatch, signatures: readonly SignerSignature[]): Hex {
  submitUsageSelector ??= encodeFunctionData({
    abi: revenueShareLedgerAbi,
    functionName: "submitUsage",
    args: [{ partner: batch.partner, sequence: 0n, periodStart: 0n, periodEnd: 0n, recordsRoot: `0x${"00".repeat(32)}`, lines: [] }, []],
  }).slice(2, 10);
  const words = usageBatchWords(batch);
  const ordered = sortSignaturesBySigner(signatures);
  const batchWords = 6 + 1 + 3 * words.lines.length;
  const parts: string[] = [
    submitUsageSelector,
    word(0x40n),
    word(BigInt(0x40 + 32 * batchWords)),
    // the batch: its head (the lines are dynamic: an offset), then the lines
    words.partner,
    words.sequence,
    words.periodStart,
    words.periodEnd,
    words.recordsRoot,
    word(0xc0n),
    word(BigInt(words.lines.length)),
  ];
  for (const line of words.lines) parts.push(line.agreementId, line.sku, line.gpuSeconds);
  // bytes[]: count, the offsets (from after the count), then each as length + padded data
  parts.push(word(BigInt(ordered.length)));
  const bodies = ordered.map((sig) => {
    if (!isHex(sig) || sig.length % 2 !== 0) throw new ValidationError(`Signature ${sig} is not hex bytes.`);
    const hex = sig.slice(2).toLowerCase();
    return word(BigInt(hex.length / 2)) + hex.padEnd(Math.ceil(hex.length / 64) * 64, "0");
  });
  let offset = 32 * ordered.length;
  for (const body of bodies) {
    parts.push(word(BigInt(offset)));
    offset += body.length / 2;
  }
  parts.push(...bodies);
  return `0x${parts.join("")}`;
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
