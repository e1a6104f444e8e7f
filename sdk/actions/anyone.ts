// Actions anyone may send: claims (paid to the beneficiary, never to the sender), revenue finalization,
// the expiry of credits, and a proposed migration whose notice has passed.
import type { Address } from "viem";
import type { LedgerContext } from "../context";
import { execute, ledgerCall, ledgerEvent, type OperationResult } from "../execute";
import { toAddress, toAgreementId } from "../values";

export type ClaimParameters = [beneficiary?: Address];
export type ClaimReturnType = OperationResult & { beneficiary: Address; to: Address; amount: bigint };

/**
 * Sends a beneficiary's (a partner's) claimable settlement tokens to its payout address in force (the
 * partner itself when none was set; `to`); anyone may trigger it.
 * @example const { amount, to } = await claim(ctx, firmus);
 */
export async function claim(ctx: LedgerContext, ...[beneficiary]: ClaimParameters): Promise<ClaimReturnType> {
  const who = beneficiary === undefined ? ctx.account.address : toAddress(beneficiary, "Beneficiary");
  const result = await execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "claim", args: [who] }));
  const event = ledgerEvent(ctx, result.receipt, "Claimed");
  return { ...result, beneficiary: who, to: event.args.to, amount: event.args.amount };
}

export type ClaimProgramReturnType = OperationResult & { treasury: Address; amount: bigint };

/**
 * Sends the program's claimable share to the treasury of the moment; anyone may trigger it.
 * @example const { amount, treasury } = await claimProgram(ctx);
 */
export async function claimProgram(ctx: LedgerContext): Promise<ClaimProgramReturnType> {
  const result = await execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "claimProgram" }));
  const event = ledgerEvent(ctx, result.receipt, "Claimed");
  return { ...result, treasury: event.args.to, amount: event.args.amount };
}

export type FinalizeRevenueParameters = [agreementId: bigint, periodIndex: number];
export type FinalizeRevenueReturnType = OperationResult & { owed: bigint; due: bigint };

/**
 * Finalizes a revenue period whose dispute window has ended (anyone; strictly in period order).
 * @example const { owed, due } = await finalizeRevenue(ctx, 3n, 0);
 */
export async function finalizeRevenue(ctx: LedgerContext, ...[agreementId, periodIndex]: FinalizeRevenueParameters): Promise<FinalizeRevenueReturnType> {
  const result = await execute(ctx, () =>
    ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "finalizeRevenue", args: [toAgreementId(agreementId), periodIndex] }),
  );
  const event = ledgerEvent(ctx, result.receipt, "RevenueFinalized");
  return { ...result, owed: event.args.owed, due: event.args.due };
}

export type ExpireCreditsParameters = [agreementId: bigint];
export type ExpireCreditsReturnType = OperationResult & { burned: bigint };

/**
 * Burns a startup's remaining credits once the agreement's reporting has closed (anyone).
 * @example const { burned } = await expireCredits(ctx, 3n);
 */
export async function expireCredits(ctx: LedgerContext, ...[agreementId]: ExpireCreditsParameters): Promise<ExpireCreditsReturnType> {
  const result = await execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "expireCredits", args: [toAgreementId(agreementId)] }));
  const event = ledgerEvent(ctx, result.receipt, "CreditsExpired");
  return { ...result, burned: event.args.burned };
}

export type ExecuteStartupMigrationParameters = [agreementId: bigint];
export type ExecuteStartupMigrationReturnType = OperationResult & { agreementId: bigint; from: Address; to: Address; credits: bigint };

/**
 * Carries out PROGRAM's migration of an agreement once its notice has passed (anyone; the target wallet is
 * checked again).
 * @example const { from, to, credits } = await executeStartupMigration(ctx, 3n);
 */
export async function executeStartupMigration(ctx: LedgerContext, ...[agreementId]: ExecuteStartupMigrationParameters): Promise<ExecuteStartupMigrationReturnType> {
  const id = toAgreementId(agreementId);
  const result = await execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "executeStartupMigration", args: [id] }));
  const event = ledgerEvent(ctx, result.receipt, "StartupMigrated");
  return { ...result, agreementId: id, from: event.args.from, to: event.args.to, credits: event.args.credits };
}
