// The values an action takes, checked before anything is sent: amounts, hashes, role ids, addresses and
// whole numbers. Each refusal is a ValidationError of one line naming the value and the fix.
import { getAddress, isAddress, isHex, keccak256, stringToHex, zeroHash, type Address, type Hex } from "viem";
import { DsxError, ValidationError } from "./errors";
import { parseUnits6 } from "./units";

/** An amount: `bigint` base units (6 decimals) or a human decimal string such as "1250.5". Never a float. */
export type Amount = bigint | string;

/**
 * Converts an {@link Amount} to base units; a negative amount is refused.
 * @example toUnits("1250.5"); // 1_250_500_000n
 */
export function toUnits(amount: Amount, what = "Amount"): bigint {
  if (typeof amount === "bigint") {
    if (amount < 0n) throw new ValidationError(`${what} ${amount} is negative.`, { fix: "Give an amount of 0 or more." });
    return amount;
  }
  try {
    return parseUnits6(amount, { allowNegative: false });
  } catch (err) {
    if (err instanceof DsxError) throw new ValidationError(`${what}: ${err.shortMessage}`, { fix: err.fix });
    throw err;
  }
}

/**
 * The on-chain `reasonHash` of a dispute reason written in words: keccak256 of its UTF-8 bytes. The CLI, the
 * dashboard and the API's reason store (api/reasons) all hash a text with this.
 * @example reasonHash("double-counted node 17");
 */
export function reasonHash(text: string): Hex {
  return keccak256(stringToHex(text));
}

/**
 * A bytes32 reason or report hash: a 0x-prefixed 32-byte hex value as is, any other text hashed
 * with keccak256 (so a reason can be written in words and kept off chain).
 * @example hashOf("double-counted node 17"); // keccak256 of the UTF-8 text
 */
export function hashOf(textOrHash: string | undefined): Hex {
  if (textOrHash === undefined || textOrHash === "") return zeroHash;
  if (isHex(textOrHash, { strict: true }) && textOrHash.length === 66) return textOrHash;
  return reasonHash(textOrHash);
}

/** Role names and their ids (PROTOCOL §3). */
export const ROLES = {
  ADMIN: zeroHash,
  PROGRAM: keccak256(stringToHex("PROGRAM_ROLE")),
  AUDITOR: keccak256(stringToHex("AUDITOR_ROLE")),
  PAUSER: keccak256(stringToHex("PAUSER_ROLE")),
} as const;

/** A role's name: a key of {@link ROLES}. */
export type RoleName = keyof typeof ROLES;

/**
 * `value` as a checksummed address; `what` names it in the refusal.
 * @example toAddress("0x70997970c51812dc3a010c7d01b50e0d17dc79c8", "Partner");
 */
export function toAddress(value: string, what: string): Address {
  if (!isAddress(value, { strict: false })) {
    throw new ValidationError(`${what} ${JSON.stringify(value)} is not an address.`, { fix: "Give a 0x-prefixed 20-byte address." });
  }
  return getAddress(value);
}

/**
 * `value` as a whole number in 0..`max`; `what` names it in the refusal.
 * @example toWholeNumber("1790812800", "Effective time", 2n ** 64n - 1n); // 1790812800n
 */
export function toWholeNumber(value: bigint | number | string, what: string, max: bigint): bigint {
  const text = String(value);
  if (!/^\d+$/.test(text) || BigInt(text) > max) {
    throw new ValidationError(`${what} ${JSON.stringify(text)} is not a whole number in 0..${max}.`, { fix: `Give a whole number ${what === "Agreement id" ? "such as 1" : "in range"}.` });
  }
  return BigInt(text);
}

/**
 * An agreement id: a whole number that fits a uint256.
 * @example toAgreementId("3"); // 3n
 */
export function toAgreementId(id: bigint | number | string): bigint {
  return toWholeNumber(id, "Agreement id", 2n ** 256n - 1n);
}

/**
 * A 32-byte batch id, refused with the fix when it is anything else.
 * @example toBatchId("0x" + "ab".repeat(32));
 */
export function toBatchId(value: Hex): Hex {
  if (!isHex(value, { strict: true }) || value.length !== 66) {
    throw new ValidationError(`Batch id ${JSON.stringify(value)} is not a 32-byte hex value.`, { fix: "Give 0x followed by 64 hex digits." });
  }
  return value;
}
