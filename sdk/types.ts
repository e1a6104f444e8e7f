// Struct types of the ledger, derived from the `as const` ABI in sdk/abis.ts (itself generated from the
// compiler's output), so a change of a Solidity struct reaches every TypeScript use of it at compile time.
import type { Address, ContractFunctionArgs } from "viem";
import type { revenueShareLedgerAbi } from "./abis";

/**
 * An agreement's terms as the ledger takes and stores them (`struct Terms`, PROTOCOL §4), in viem's types:
 * integers up to 48 bits are `number` (the bps and the durations), wider ones `bigint`.
 */
export type AgreementTerms = ContractFunctionArgs<typeof revenueShareLedgerAbi, "nonpayable", "createAgreement">[0];

/** An accepted usage line as a batch's lines hash covers it (`struct AcceptedUsageLine`). */
export type AcceptedLine = ContractFunctionArgs<typeof revenueShareLedgerAbi, "nonpayable", "resolveUsageDispute">[3][number];

/**
 * `T` with its `number` fields (all of them, or the keys `K`) as `bigint`: the shape a model computes with.
 * @example type ModelTerms = IntegersAsBigInt<AgreementTerms>; // revenueShareBps: bigint, …
 */
export type IntegersAsBigInt<T, K extends keyof T = keyof T> = { [P in keyof T]: P extends K ? (T[P] extends number ? bigint : T[P]) : T[P] };

/**
 * `T` with its `0x…` fields (addresses, hashes) as plain `string`: the shape ethers and TypeChain hand out.
 * @example type EthersTerms = HexAsString<AgreementTerms>; // startup: string, termsHash: string
 */
export type HexAsString<T> = { [P in keyof T]: T[P] extends `0x${string}` ? string : T[P] };

/** A k-of-n signer set. */
export interface SignerSetInput {
  signers: readonly Address[];
  threshold: number;
}
