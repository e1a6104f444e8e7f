// Every check the auditor applies: its id (used in reports and discrepancies), what it verifies and where the
// rule comes from. Each is implemented by the file named after its key in this folder (e.g. `split` → split.ts).

export interface CheckInfo {
  id: string;
  title: string;
  spec: string;
}

const c = (id: string, title: string, spec: string): CheckInfo => ({ id, title, spec });

export const CHECKS = {
  partnerConfig: c("partner.config", "Partner registration, signer sets (proposals with SIGNER_NOTICE), payout addresses, activation, rate schedules; the revenue signer set", "PROTOCOL §3, §5, §7"),
  lifecycle: c("agreement.lifecycle", "Agreement lifecycle: creation, acceptance mint, cancellation, termination, expiry burn, migration and its proposals", "PROTOCOL §4"),
  authorization: c("authorization", "Partner authorizations: increases at once, decreases after AUTH_NOTICE, never below spent", "PROTOCOL §4"),
  usageBatch: c("usage.batch", "Usage batches: partner active, sequence, window, batch id, line counts, no rate straddled", "PROTOCOL §6, §10.6"),
  usageLine: c("usage.line", "Each usage line accepted or rejected (with its reason, or SiblingRejected) exactly as the line checks decide", "PROTOCOL §6"),
  usageCredits: c("usage.credits", "Credits = gpuSeconds × rate at the batch's periodStart / 3600; receivable = credits × payoutBps", "PROTOCOL §5, §6"),
  usageDispute: c("usage.dispute", "Usage disputes and credit notes: window, refund bound, receivable removed", "PROTOCOL §6"),
  revenueReport: c("revenue.report", "Revenue reports, versions, disputes and resolutions follow the state machine", "PROTOCOL §7"),
  finalization: c("revenue.finalization", "Finalization in order, after the dispute window (and R for the last period); owed, due recomputed", "PROTOCOL §7"),
  payment: c("payment", "Each payment applies 0 < amount ≤ outstanding and settles periods oldest-first", "PROTOCOL §8"),
  split: c("payment.split", "Each payment's split: partner-first, pro rata to what each is still owed, dust to the program", "PROTOCOL §8"),
  claim: c("claim", "Each claim pays the whole claimable balance to the payout address in force (the program's to the treasury)", "PROTOCOL §8"),
  creditToken: c("credit.token", "DSXC minted and burned exactly as the ledger's events imply; wallet balances", "PROTOCOL §9, §10.3"),
  settlementToken: c("settlement.token", "Settlement tokens moved exactly as payments and claims imply; the ledger's balance", "PROTOCOL §8, §10.1"),
  agreementView: c("view.agreement", "agreement(id), reportingClose(id) and pendingMigration(id) at the audited block equal the recomputation", "PROTOCOL §12"),
  positionView: c("view.partnerPosition", "partnerPosition(id, partner) and partners(id) equal the recomputation", "PROTOCOL §12"),
  periodView: c("view.revenuePeriod", "revenuePeriod(id, k) equals the recomputation", "PROTOCOL §12"),
  programView: c("view.program", "claimable, programClaimable, partner (signers, payout, pending changes), revenueSigners, rate schedules, batches, disputes, treasury, pause equal the recomputation", "PROTOCOL §12"),
  invariant1: c("invariant.1", "Settlement tokens held ≥ Σ claimable + programClaimable (equal but for direct transfers)", "PROTOCOL §10.1"),
  invariant2: c("invariant.2", "Σ applied = Σ distributed = Σ claimable + programClaimable + Σ claimed", "PROTOCOL §10.2"),
  invariant3: c("invariant.3", "DSXC minted = total supply + burned", "PROTOCOL §10.3"),
  invariant4: c("invariant.4", "paid ≤ obligation; every owed_k ≤ max(cap − obligation before k, 0)", "PROTOCOL §10.4"),
  invariant5: c("invariant.5", "paidToPartner ≤ receivable ≤ burnedAt × payoutBps; every accepted line within the spendLimit then in force", "PROTOCOL §10.5"),
  invariant6: c("invariant.6", "Sequences 0, 1, 2, … per partner; at most one Finalized report per period", "PROTOCOL §10.6"),
  invariant7: c("invariant.7", "No startup wallet, partner signer set, payout address or revenue signer set changed but by the affected party or after its notice", "PROTOCOL §10.7"),
  invariant8: c("invariant.8", "Per batch and agreement, the lines all accepted or all rejected", "PROTOCOL §10.8"),
  evidenceBundle: c("evidence.bundle", "Every batch has an evidence bundle that describes it (batch id, partner, window, lines, signatures)", "SERVICES §2"),
  evidenceRoot: c("evidence.root", "The Merkle root rebuilt from the bundle's records equals the batch's on-chain recordsRoot", "SERVICES §2"),
  evidenceLines: c("evidence.lines", "Each line's gpuSeconds equals the sum of its records; every record belongs to a line and the window", "SERVICES §2"),
  evidenceDecisions: c("evidence.decisions", "Every quarantine decision in the evidence says who decided and why and names a quarantined row; an accepted row is in the attested total, a rejected one is not", "SERVICES §2, §3 (quarantine review)"),
} as const satisfies Record<string, CheckInfo>;

export type CheckKey = keyof typeof CHECKS;

/** All checks, in report order. */
export const CHECK_LIST: CheckInfo[] = Object.values(CHECKS);
