// Settlement (PROTOCOL §8): a startup's payment (which moves nextDue), its split to partners and the program, and
// claims (the program's share is booked under the zero address).
import { zeroAddress } from "viem";
import { ReplayError, decimal as s, lower, where } from "../state";
import type { HandlerRegistry } from "./registry";

/** Registers the payment events' handlers. */
export function registerPaymentHandlers(registry: HandlerRegistry): void {
  registry
    .on("ledger:PaymentApplied", ({ event: e, log, state }) => {
      const a = state.agreement(e.args.agreementId, log);
      a.paid += e.args.amount;
      state.refreshNextDue(a);
      state.inserts.payments.push({
        ...state.logRow(log),
        agreement_id: s(a.id),
        payer: lower(e.args.payer),
        amount: s(e.args.amount),
        to_partners: s(e.args.toPartners),
        to_program: s(e.args.toProgram),
      });
    })
    .on("ledger:Distributed", ({ event: e, log, state }) => {
      const beneficiary = lower(e.args.beneficiary);
      if (beneficiary === zeroAddress) {
        state.program.programClaimable += e.args.amount;
        state.programDirty = true;
      } else {
        const a = state.agreement(e.args.agreementId, log);
        state.position(a, beneficiary, false, log).paidToPartner += e.args.amount;
        state.account(beneficiary).claimable += e.args.amount;
      }
      state.inserts.distributions.push({
        ...state.logRow(log),
        agreement_id: s(e.args.agreementId),
        beneficiary,
        amount: s(e.args.amount),
      });
    })
    .on("ledger:Claimed", ({ event: e, log, state }) => {
      const beneficiary = lower(e.args.beneficiary);
      if (beneficiary === zeroAddress) {
        state.program.programClaimable -= e.args.amount;
        state.program.programClaimed += e.args.amount;
        state.programDirty = true;
      } else {
        const account = state.account(beneficiary);
        account.claimable -= e.args.amount;
        account.claimed += e.args.amount;
        if (account.claimable < 0n) throw new ReplayError(`claimable of ${beneficiary} below 0 at ${where(log)}`);
      }
      state.inserts.claims.push({ ...state.logRow(log), beneficiary, recipient: lower(e.args.to), amount: s(e.args.amount) });
    });
}
