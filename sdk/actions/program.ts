// The program's actions (PROGRAM_ROLE): agreements, partners and their rates, the revenue signers, and the
// settling of disputes. Each simulates, sends, waits and returns what the caller needs from the events.
import type { Address, Hex } from "viem";
import type { LedgerContext } from "../context";
import { skuToBytes32 } from "../eip712";
import { ValidationError } from "../errors";
import { termEnd } from "../ledgerRules";
import { blockTimeOf, execute, ledgerCall, ledgerEvent, ledgerEvents, type ChangeResult, type OperationResult } from "../execute";
import type { AcceptedLine, AgreementTerms, SignerSetInput } from "../types";
import { hashOf, toAddress, toAgreementId, toBatchId, toUnits, toWholeNumber, type Amount } from "../values";
import { usageBatchLines } from "./read";

/** Terms of a new agreement (PROTOCOL §4): the ledger's struct with a human credit limit, a hashed text, and `endTime` or `periods`. */
export type AgreementTermsInput = Omit<AgreementTerms, "creditLimit" | "endTime" | "termsHash"> & {
  creditLimit: Amount;
  /** Unix seconds: startTime + n × periodDuration. */
  endTime?: bigint;
  /** Number of revenue periods, 1..120 (instead of endTime). */
  periods?: number;
  /** A 32-byte hash, or the text of (or a pointer to) the legal terms, hashed; default zero. */
  termsHash?: string;
};

export type CreateAgreementParameters = AgreementTermsInput;
export type CreateAgreementReturnType = OperationResult & { agreementId: bigint };

/**
 * Proposes an agreement to a startup (PROGRAM_ROLE). Returns the new agreement id.
 * @example
 * const { agreementId } = await createAgreement(ctx, {
 *   startup: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", creditLimit: "100000", revenueShareBps: 800,
 *   capMultipleBps: 15_000, partnerFirstBps: 6_000, startTime: 1790812800n, periods: 12,
 *   periodDuration: 30 * 86_400, gracePeriod: 15 * 86_400, termsHash: "ipfs://terms-v1.pdf",
 * });
 */
export async function createAgreement(ctx: LedgerContext, terms: CreateAgreementParameters): Promise<CreateAgreementReturnType> {
  const periodDuration = terms.periodDuration;
  let endTime = terms.endTime;
  if (endTime === undefined) {
    if (terms.periods === undefined) throw new ValidationError("The terms need an end time or a number of periods.", { fix: "Give --periods <n> or --end <time>." });
    endTime = termEnd(terms.startTime, terms.periods, BigInt(periodDuration));
  }
  const args: AgreementTerms = {
    startup: toAddress(terms.startup, "Startup"),
    creditLimit: toUnits(terms.creditLimit, "Credit limit"),
    revenueShareBps: terms.revenueShareBps,
    capMultipleBps: terms.capMultipleBps,
    partnerFirstBps: terms.partnerFirstBps,
    startTime: terms.startTime,
    endTime,
    periodDuration,
    gracePeriod: terms.gracePeriod,
    termsHash: hashOf(terms.termsHash),
  };
  const result = await execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "createAgreement", args: [args] }));
  const event = ledgerEvent(ctx, result.receipt, "AgreementCreated");
  return { ...result, agreementId: event.args.id };
}

export type CancelAgreementParameters = [agreementId: bigint];
export type CancelAgreementReturnType = OperationResult;

/**
 * Cancels a Proposed agreement (PROGRAM_ROLE).
 * @example await cancelAgreement(ctx, 3n);
 */
export async function cancelAgreement(ctx: LedgerContext, ...[agreementId]: CancelAgreementParameters): Promise<CancelAgreementReturnType> {
  return execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "cancelAgreement", args: [toAgreementId(agreementId)] }));
}

export type TerminateAgreementParameters = [agreementId: bigint, reason?: string];
export type TerminateAgreementReturnType = OperationResult & { terminatedAt: bigint; reasonHash: Hex };

/**
 * Terminates an Active agreement for breach (PROGRAM_ROLE); `reason` is text (hashed) or a 32-byte hash.
 * @example const { terminatedAt } = await terminateAgreement(ctx, 3n, "payments 90 days late");
 */
export async function terminateAgreement(ctx: LedgerContext, ...[agreementId, reason]: TerminateAgreementParameters): Promise<TerminateAgreementReturnType> {
  const reasonHash = hashOf(reason);
  const result = await execute(ctx, () =>
    ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "terminateAgreement", args: [toAgreementId(agreementId), reasonHash] }),
  );
  const event = ledgerEvent(ctx, result.receipt, "AgreementTerminated");
  return { ...result, terminatedAt: event.args.terminatedAt, reasonHash };
}

export type RegisterPartnerParameters = SignerSetInput & { partner: Address; payoutBps: number };
export type RegisterPartnerReturnType = OperationResult;

/**
 * Registers a cloud partner with its oracle signers and payout share (PROGRAM_ROLE).
 * @example await registerPartner(ctx, { partner: firmus, signers: [s1, s2, s3], threshold: 2, payoutBps: 7_000 });
 */
export async function registerPartner(ctx: LedgerContext, input: RegisterPartnerParameters): Promise<RegisterPartnerReturnType> {
  const signers = input.signers.map((s) => toAddress(s, "Signer"));
  return execute(ctx, () =>
    ctx.publicClient.simulateContract({
      ...ledgerCall(ctx),
      functionName: "registerPartner",
      args: [toAddress(input.partner, "Partner"), signers, input.threshold, input.payoutBps],
    }),
  );
}

export type SetPartnerActiveParameters = [partner: Address, active: boolean];
export type SetPartnerActiveReturnType = OperationResult;

/**
 * (De)activates a partner: an inactive partner's usage batches are refused (PROGRAM_ROLE).
 * @example await setPartnerActive(ctx, firmus, false);
 */
export async function setPartnerActive(ctx: LedgerContext, ...[partner, active]: SetPartnerActiveParameters): Promise<SetPartnerActiveReturnType> {
  return execute(ctx, () =>
    ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "setPartnerActive", args: [toAddress(partner, "Partner"), active] }),
  );
}

export type ScheduleRateParameters = { partner: Address; sku: string; creditsPerGpuHour: Amount; effectiveFrom: bigint };
export type ScheduleRateReturnType = OperationResult & { skuHash: Hex };

/**
 * Schedules a partner's rate for a sku (PROGRAM_ROLE). `creditsPerGpuHour` is an {@link Amount} of credits;
 * `effectiveFrom` a whole hour in unix seconds (a change needs RATE_NOTICE).
 * @example await scheduleRate(ctx, { partner: firmus, sku: "h100-sxm", creditsPerGpuHour: "2.5", effectiveFrom: 1790812800n });
 */
export async function scheduleRate(ctx: LedgerContext, input: ScheduleRateParameters): Promise<ScheduleRateReturnType> {
  const skuHash = skuToBytes32(input.sku);
  const rate = toUnits(input.creditsPerGpuHour, "Rate");
  const result = await execute(ctx, () =>
    ctx.publicClient.simulateContract({
      ...ledgerCall(ctx),
      functionName: "scheduleRate",
      args: [toAddress(input.partner, "Partner"), skuHash, rate, toWholeNumber(input.effectiveFrom, "Effective time", 2n ** 64n - 1n)],
    }),
  );
  return { ...result, skuHash };
}

export type SetRevenueSignersParameters = SignerSetInput;
export type SetRevenueSignersReturnType = ChangeResult & { signers: Address[]; threshold: number };

/**
 * Sets the program-wide revenue oracle signer set (PROGRAM_ROLE): the first set is in force at once, every
 * later one is proposed and in force from `effectiveAt` (SIGNER_NOTICE later).
 * @example const { mode, effectiveAt } = await setRevenueSigners(ctx, { signers: [v1, v2], threshold: 2 });
 */
export async function setRevenueSigners(ctx: LedgerContext, input: SetRevenueSignersParameters): Promise<SetRevenueSignersReturnType> {
  const signers = input.signers.map((s) => toAddress(s, "Signer"));
  const result = await execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "setRevenueSigners", args: [signers, input.threshold] }));
  const blockTime = await blockTimeOf(ctx, result);
  const [proposed] = ledgerEvents(ctx, result.receipt, "RevenueSignersProposed");
  if (proposed) return { ...result, mode: "proposed", effectiveAt: BigInt(proposed.args.effectiveAt), blockTime, signers, threshold: input.threshold };
  ledgerEvent(ctx, result.receipt, "RevenueSignersSet");
  return { ...result, mode: "immediate", effectiveAt: blockTime, blockTime, signers, threshold: input.threshold };
}

export type ResolveUsageDisputeParameters = { batchId: Hex; agreementId: bigint; refund: Amount; partner?: Address; acceptedLines?: readonly AcceptedLine[] };
export type ResolveUsageDisputeReturnType = OperationResult & { refund: bigint; receivableRemoved: bigint };

/**
 * Settles a usage dispute (PROGRAM_ROLE): `refund` credits (0 rejects the dispute) are re-minted to the startup
 * and taken off the partner's receivable. The batch's lines are rebuilt from the chain's events unless given.
 * @example const { refund, receivableRemoved } = await resolveUsageDispute(ctx, { batchId, agreementId: 3n, refund: "120.5" });
 */
export async function resolveUsageDispute(ctx: LedgerContext, input: ResolveUsageDisputeParameters): Promise<ResolveUsageDisputeReturnType> {
  const batchId = toBatchId(input.batchId);
  const refund = toUnits(input.refund, "Refund");
  let { partner, acceptedLines } = input;
  if (partner === undefined || acceptedLines === undefined) {
    const fromChain = await usageBatchLines(ctx, batchId);
    partner ??= fromChain.partner;
    acceptedLines ??= fromChain.lines;
  }
  const result = await execute(ctx, () =>
    ctx.publicClient.simulateContract({
      ...ledgerCall(ctx),
      functionName: "resolveUsageDispute",
      args: [batchId, toAgreementId(input.agreementId), toAddress(partner, "Partner"), acceptedLines, refund],
    }),
  );
  const event = ledgerEvent(ctx, result.receipt, "UsageDisputeResolved");
  return { ...result, refund: event.args.refund, receivableRemoved: event.args.receivableRemoved };
}

export type ResolveRevenueDisputeParameters = { agreementId: bigint; periodIndex: number; upheld: boolean };
export type ResolveRevenueDisputeReturnType = OperationResult;

/**
 * Settles a revenue dispute (PROGRAM_ROLE): upheld → Rejected (a new version is needed), else → Cleared.
 * @example await resolveRevenueDispute(ctx, { agreementId: 3n, periodIndex: 0, upheld: true });
 */
export async function resolveRevenueDispute(ctx: LedgerContext, input: ResolveRevenueDisputeParameters): Promise<ResolveRevenueDisputeReturnType> {
  return execute(ctx, () =>
    ctx.publicClient.simulateContract({
      ...ledgerCall(ctx),
      functionName: "resolveRevenueDispute",
      args: [toAgreementId(input.agreementId), input.periodIndex, input.upheld],
    }),
  );
}
