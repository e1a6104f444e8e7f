// The settlement token's actions: the ledger's allowance, and minting MockUSDC on the local chain.
import type { Address } from "viem";
import { mockUsdcAbi } from "../abis";
import type { LedgerContext } from "../context";
import { ValidationError } from "../errors";
import { execute, type OperationResult } from "../execute";
import { LOCAL_CHAIN_ID } from "../keys";
import { toAddress, toUnits, type Amount } from "../values";

export type ApproveSettlementParameters = [amount: Amount, spender?: Address];
export type ApproveSettlementReturnType = OperationResult;

/**
 * Approves the ledger (or `spender`) to pull `amount` of the settlement token from the account.
 * @example await approveSettlement(startupCtx, "5000");
 */
export async function approveSettlement(ctx: LedgerContext, ...[amount, spender]: ApproveSettlementParameters): Promise<ApproveSettlementReturnType> {
  const to = spender === undefined ? ctx.deployment.ledger : toAddress(spender, "Spender");
  return execute(ctx, () =>
    ctx.publicClient.simulateContract({
      address: ctx.deployment.settlementToken,
      abi: mockUsdcAbi,
      account: ctx.account,
      functionName: "approve",
      args: [to, toUnits(amount)],
    }),
  );
}

export type MintSettlementParameters = [to: Address, amount: Amount];
export type MintSettlementReturnType = OperationResult;

/**
 * Mints MockUSDC to `to` — local demo chains only (chain 31337, where deploy put a MockUSDC).
 * @example await mintSettlement(ctx, startup, "25000");
 */
export async function mintSettlement(ctx: LedgerContext, ...[to, amount]: MintSettlementParameters): Promise<MintSettlementReturnType> {
  if (ctx.publicClient.chain.id !== LOCAL_CHAIN_ID) {
    throw new ValidationError(`Minting the settlement token is for the local chain ${LOCAL_CHAIN_ID} only, not chain ${ctx.publicClient.chain.id}.`, {
      fix: "Fund wallets with the real stablecoin on this chain.",
    });
  }
  return execute(ctx, () =>
    ctx.publicClient.simulateContract({
      address: ctx.deployment.settlementToken,
      abi: mockUsdcAbi,
      account: ctx.account,
      functionName: "mint",
      args: [toAddress(to, "Recipient"), toUnits(amount)],
    }),
  );
}
