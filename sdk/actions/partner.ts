// A partner's changes to its own record (PROTOCOL v1.1 §4-§5): its oracle signer set and payout address. Sent
// by the partner's own key they are in force at once; sent by PROGRAM they are proposed and in force from
// `effectiveAt` (the notice later) with no further transaction.
import type { Address } from "viem";
import type { LedgerContext } from "../context";
import { blockTimeOf, execute, ledgerCall, ledgerEvent, ledgerEvents, type ChangeResult } from "../execute";
import type { SignerSetInput } from "../types";
import { toAddress } from "../values";

export type SetPartnerSignersParameters = SignerSetInput & { partner?: Address };
export type SetPartnerSignersReturnType = ChangeResult & { partner: Address; signers: Address[]; threshold: number };

/**
 * Sets a partner's oracle signer set. Sent by the partner's own key (`partner` omitted or equal to it) it is
 * in force at once; sent by PROGRAM it is proposed and in force from `effectiveAt` (SIGNER_NOTICE later),
 * with no further transaction. Batch signatures count against the set in force at submission.
 * @example await setPartnerSigners(partnerCtx, { signers: [s1, s4], threshold: 2 }); // the partner's own rotation
 * @example const { effectiveAt } = await setPartnerSigners(programCtx, { partner: firmus, signers: [s5], threshold: 1 });
 */
export async function setPartnerSigners(ctx: LedgerContext, input: SetPartnerSignersParameters): Promise<SetPartnerSignersReturnType> {
  const partner = input.partner === undefined ? ctx.account.address : toAddress(input.partner, "Partner");
  const signers = input.signers.map((s) => toAddress(s, "Signer"));
  const result = await execute(ctx, () =>
    ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "setPartnerSigners", args: [partner, signers, input.threshold] }),
  );
  const blockTime = await blockTimeOf(ctx, result);
  const [proposed] = ledgerEvents(ctx, result.receipt, "PartnerSignersProposed");
  if (proposed) return { ...result, mode: "proposed", effectiveAt: BigInt(proposed.args.effectiveAt), blockTime, partner, signers, threshold: input.threshold };
  ledgerEvent(ctx, result.receipt, "PartnerSignersSet");
  return { ...result, mode: "immediate", effectiveAt: blockTime, blockTime, partner, signers, threshold: input.threshold };
}

export type SetPayoutAddressParameters = { payout: Address; partner?: Address };
export type SetPayoutAddressReturnType = ChangeResult & { partner: Address; payout: Address };

/**
 * Sets where a partner's claims are paid. Sent by the partner's own key (`partner` omitted or equal to it)
 * it is in force at once; sent by PROGRAM (lost key, a blacklisted address) it is proposed and in force
 * from `effectiveAt` (PAYOUT_NOTICE later).
 * @example await setPayoutAddress(partnerCtx, { payout: "0x976EA74026E726554dB657fA54763abd0C3a0aa9" });
 */
export async function setPayoutAddress(ctx: LedgerContext, input: SetPayoutAddressParameters): Promise<SetPayoutAddressReturnType> {
  const partner = input.partner === undefined ? ctx.account.address : toAddress(input.partner, "Partner");
  const payout = toAddress(input.payout, "Payout address");
  const result = await execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "setPayoutAddress", args: [partner, payout] }));
  const blockTime = await blockTimeOf(ctx, result);
  const event = ledgerEvent(ctx, result.receipt, "PayoutAddressSet");
  const effectiveAt = BigInt(event.args.effectiveAt);
  return { ...result, mode: effectiveAt > blockTime ? "proposed" : "immediate", effectiveAt, blockTime, partner, payout };
}
