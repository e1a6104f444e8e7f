import {
  encodeAbiParameters,
  hashTypedData,
  hexToBytes,
  isAddress,
  isHex,
  keccak256,
  stringToHex,
  type Address,
  type Hex,
  type TypedDataDefinition,
} from "viem";
import { ValidationError } from "./errors";

/** The ledger's EIP-712 domain name (PROTOCOL §6). */
export const DOMAIN_NAME = "DSX Revenue Share Ledger";
/** The ledger's EIP-712 domain version. */
export const DOMAIN_VERSION = "1";

/** The ledger's EIP-712 domain, accepted as is by ethers v6 and viem. */
export interface LedgerDomain {
  name: typeof DOMAIN_NAME;
  version: typeof DOMAIN_VERSION;
  chainId: number;
  verifyingContract: Address;
}

/**
 * The EIP-712 domain of the ledger at `ledger` on `chainId`.
 * @example const domain = ledgerDomain(31337, deployment.ledger);
 */
export function ledgerDomain(chainId: number, ledger: Address): LedgerDomain {
  if (!Number.isSafeInteger(chainId) || chainId <= 0) {
    throw new ValidationError(`Chain id ${chainId} is not a positive integer.`, { fix: "Pass the chain's numeric id, e.g. 31337." });
  }
  if (!isAddress(ledger)) {
    throw new ValidationError(`Ledger address ${JSON.stringify(ledger)} is not a valid address.`, {
      fix: "Use the ledger address from deployments/<chainId>.json.",
    });
  }
  return { name: DOMAIN_NAME, version: DOMAIN_VERSION, chainId, verifyingContract: ledger };
}

// ethers wants mutable `TypedDataField[]`, viem wants literal field types: declare `as const`
// and expose the same object with the readonly modifiers removed.
type Mutable<T> = { -readonly [K in keyof T]: Mutable<T[K]> };

const usageBatchTypesConst = {
  UsageBatch: [
    { name: "partner", type: "address" },
    { name: "sequence", type: "uint64" },
    { name: "periodStart", type: "uint64" },
    { name: "periodEnd", type: "uint64" },
    { name: "recordsRoot", type: "bytes32" },
    { name: "lines", type: "UsageLine[]" },
  ],
  UsageLine: [
    { name: "agreementId", type: "uint256" },
    { name: "sku", type: "bytes32" },
    { name: "gpuSeconds", type: "uint64" },
  ],
} as const;

const revenueReportTypesConst = {
  RevenueReport: [
    { name: "agreementId", type: "uint256" },
    { name: "periodIndex", type: "uint32" },
    { name: "revenue", type: "uint256" },
    { name: "evidenceHash", type: "bytes32" },
    { name: "version", type: "uint32" },
  ],
} as const;

/**
 * EIP-712 types of a usage batch (PROTOCOL §6), without `EIP712Domain`.
 * @example
 * await wallet.signTypedData(domain, usageBatchTypes, batch); // ethers v6
 * await account.signTypedData({ domain, types: usageBatchTypes, primaryType: "UsageBatch", message: batch }); // viem
 */
export const usageBatchTypes = usageBatchTypesConst as Mutable<typeof usageBatchTypesConst>;

/** EIP-712 types of a revenue report (PROTOCOL §7), without `EIP712Domain`. Used like {@link usageBatchTypes}. */
export const revenueReportTypes = revenueReportTypesConst as Mutable<typeof revenueReportTypesConst>;

/** A usage batch as signed: uint64 fields are bigints, bytes32 fields hex. */
export type UsageBatch = TypedDataDefinition<typeof usageBatchTypes, "UsageBatch">["message"];
/** One line of a {@link UsageBatch}. */
export type UsageLine = UsageBatch["lines"][number];
/** A revenue report as signed: uint256 fields are bigints, uint32 fields numbers. */
export type RevenueReport = TypedDataDefinition<typeof revenueReportTypes, "RevenueReport">["message"];

/** The EIP-712 digest a usage batch's signers sign (viem `hashTypedData`). */
export function hashUsageBatch(domain: LedgerDomain, batch: UsageBatch): Hex {
  return hashTypedData({ domain, types: usageBatchTypes, primaryType: "UsageBatch", message: batch });
}

/** The EIP-712 digest a revenue report's signers sign (viem `hashTypedData`). */
export function hashRevenueReport(domain: LedgerDomain, report: RevenueReport): Hex {
  return hashTypedData({ domain, types: revenueReportTypes, primaryType: "RevenueReport", message: report });
}

/**
 * The id the ledger gives a usage batch:
 * `keccak256(abi.encode(partner, sequence, periodStart, periodEnd, recordsRoot))`.
 */
export function usageBatchId(partner: Address, sequence: bigint, periodStart: bigint, periodEnd: bigint, recordsRoot: Hex): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: "address" }, { type: "uint64" }, { type: "uint64" }, { type: "uint64" }, { type: "bytes32" }],
      [partner, sequence, periodStart, periodEnd, recordsRoot],
    ),
  );
}

const SKU = /^[a-z0-9][a-z0-9._-]*$/;
const SKU_MAX_BYTES = 31;
const SKU_FIX = 'Use 1 to 31 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit, e.g. "h100-sxm".';

function assertSku(name: string, shown: string): void {
  if (typeof name !== "string" || name.length > SKU_MAX_BYTES || !SKU.test(name)) {
    throw new ValidationError(`Sku ${shown} is not a valid sku name.`, { fix: SKU_FIX });
  }
}

/**
 * A sku name as stored on chain: its bytes right-padded with zeros to 32 (PROTOCOL §2),
 * equal to ethers `encodeBytes32String(name)`.
 * @example skuToBytes32("h100-sxm"); // "0x683130302d73786d000000…"
 */
export function skuToBytes32(name: string): Hex {
  assertSku(name, JSON.stringify(name));
  return stringToHex(name, { size: 32 });
}

/**
 * The sku name stored in a bytes32; refuses values that {@link skuToBytes32} cannot produce
 * (not 32 bytes, non-zero bytes after the padding starts, characters outside the sku alphabet).
 * @example bytes32ToSku(skuToBytes32("b200")); // "b200"
 */
export function bytes32ToSku(value: Hex): string {
  if (!isHex(value, { strict: true }) || value.length !== 66) {
    throw new ValidationError(`Sku value ${JSON.stringify(value)} is not a 32-byte hex string.`, {
      fix: "Pass 0x followed by 64 hex digits.",
    });
  }
  const bytes = hexToBytes(value);
  const end = bytes.indexOf(0);
  const length = end === -1 ? bytes.length : end;
  if (bytes.subarray(length).some((b) => b !== 0)) {
    throw new ValidationError(`Sku value ${value} has data after its zero padding.`, { fix: SKU_FIX });
  }
  const name = new TextDecoder().decode(bytes.subarray(0, length));
  assertSku(name, `${value} (${JSON.stringify(name)})`);
  return name;
}

/** A signature and the address that made it. */
export interface SignerSignature {
  signer: Address;
  signature: Hex;
}

/**
 * Orders signatures as the ledger requires: by signer address, strictly ascending as numbers.
 * Throws on an invalid or repeated signer.
 * @example await ledger.submitUsage(batch, sortSignaturesBySigner(signed));
 */
export function sortSignaturesBySigner(signed: readonly SignerSignature[]): Hex[] {
  const keyed = signed.map(({ signer, signature }) => {
    if (!isAddress(signer, { strict: false })) {
      throw new ValidationError(`Signer ${JSON.stringify(signer)} is not an address.`, {
        fix: "Give each signature the 20-byte address of its signer.",
      });
    }
    return { key: BigInt(signer), signer, signature };
  });
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  keyed.forEach((entry, i) => {
    if (i > 0 && entry.key === keyed[i - 1].key) {
      throw new ValidationError(`Signer ${entry.signer} signed more than once.`, {
        fix: "Keep one signature per signer; the ledger needs distinct signers.",
      });
    }
  });
  return keyed.map((entry) => entry.signature);
}
