// Revenue (PROTOCOL §7): a period's report, dispute, resolution and finalization (the obligation it books and its
// due date), and the revenue oracle's signer set (the first at once, later ones after SIGNER_NOTICE).
import { inForceAt, lower } from "../state";
import type { HandlerRegistry } from "./registry";

/** Registers the revenue events' handlers. */
export function registerRevenueHandlers(registry: HandlerRegistry): void {
  registry
    .on("ledger:RevenueReported", ({ event: e, log, state }) => {
      const period = state.period(e.args.agreementId, e.args.periodIndex, log);
      period.state = "Pending";
      period.version = e.args.version;
      period.revenue = e.args.revenue;
      period.evidenceHash = e.args.evidenceHash;
      period.submittedAt = log.timestamp;
      period.disputedBy = null;
      period.disputeReasonHash = null;
    })
    .on("ledger:RevenueDisputed", ({ event: e, log, state }) => {
      const period = state.period(e.args.agreementId, e.args.periodIndex, log);
      period.state = "Disputed";
      period.disputedBy = lower(e.args.by);
      period.disputeReasonHash = e.args.reasonHash.toLowerCase();
    })
    .on("ledger:RevenueDisputeResolved", ({ event: e, log, state }) => {
      state.period(e.args.agreementId, e.args.periodIndex, log).state = e.args.upheld ? "Rejected" : "Cleared";
    })
    .on("ledger:RevenueFinalized", ({ event: e, log, state }) => {
      const a = state.agreement(e.args.agreementId, log);
      const period = state.period(e.args.agreementId, e.args.periodIndex, log);
      a.obligation += e.args.owed;
      period.state = "Finalized";
      period.revenue = e.args.revenue;
      period.owed = e.args.owed;
      period.cumulativeObligation = a.obligation;
      period.due = Number(e.args.due);
      period.finalizedAt = log.timestamp;
      a.finalized[e.args.periodIndex] = { cumulativeObligation: period.cumulativeObligation, due: e.args.due };
      a.nextPeriodToFinalize = e.args.periodIndex + 1;
      state.refreshNextDue(a);
    })
    .on("ledger:RevenueSignersSet", ({ event: e, state }) => {
      // the first set: in force at once
      state.program.revenueSigners = { signers: e.args.signers.map(lower), threshold: e.args.threshold };
      state.program.pendingRevenueSigners = null;
      state.programDirty = true;
    })
    .on("ledger:RevenueSignersProposed", ({ event: e, log, state }) => {
      // every later set, after SIGNER_NOTICE; a proposal already in force becomes the set in force first
      const p = state.program;
      p.revenueSigners = inForceAt(p.revenueSigners, p.pendingRevenueSigners, log.timestamp);
      p.pendingRevenueSigners = { value: { signers: e.args.signers.map(lower), threshold: e.args.threshold }, effectiveAt: Number(e.args.effectiveAt) };
      state.programDirty = true;
    });
}
