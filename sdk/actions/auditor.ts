// The auditor's actions (AUDITOR_ROLE): dispute a revenue report, record an audit on chain.
import type { Hex } from "viem";
import type { LedgerContext } from "../context";
import { execute, ledgerCall, type OperationResult } from "../execute";
import { hashOf, toAgreementId } from "../values";

export type DisputeRevenueParameters = { agreementId: bigint; periodIndex: number; reason?: string };
export type DisputeRevenueReturnType = OperationResult & { reasonHash: Hex };

/**
 * Disputes a Pending revenue report within DISPUTE_WINDOW (AUDITOR_ROLE).
 * @example await disputeRevenue(auditorCtx, { agreementId: 3n, periodIndex: 0, reason: "refunds not deducted" });
 */
export async function disputeRevenue(ctx: LedgerContext, input: DisputeRevenueParameters): Promise<DisputeRevenueReturnType> {
  const reasonHash = hashOf(input.reason);
  const result = await execute(ctx, () =>
    ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "disputeRevenue", args: [toAgreementId(input.agreementId), input.periodIndex, reasonHash] }),
  );
  return { ...result, reasonHash };
}

export type RecordAuditParameters = { agreementId: bigint; throughBlock: bigint; reportHash: Hex; clean: boolean };
export type RecordAuditReturnType = OperationResult;

/**
 * Records on chain who verified an agreement's books up to which block, with which report (AUDITOR_ROLE).
 * @example await recordAudit(auditorCtx, { agreementId: 3n, throughBlock: 1234n, reportHash: keccak256(reportBytes), clean: true });
 */
export async function recordAudit(ctx: LedgerContext, input: RecordAuditParameters): Promise<RecordAuditReturnType> {
  return execute(ctx, () =>
    ctx.publicClient.simulateContract({
      ...ledgerCall(ctx),
      functionName: "recordAudit",
      args: [toAgreementId(input.agreementId), input.throughBlock, hashOf(input.reportHash), input.clean],
    }),
  );
}
