// invariant.7 — PROTOCOL §10.7: no privileged call changes an agreement's startup wallet, a partner's signer set or
// payout address, or the revenue signer set, unless the affected party sent it or the change was proposed on chain
// at least its notice earlier. Judged from the events and who sent their transactions: a migration is the startup
// wallet's own or executes a proposal whose notice has run; a set or address in force at once was sent by the partner;
// the revenue signer set is set at once only the first time; every proposal announces at least its notice; a batch
// accepted during a proposal's notice was signed by the set then in force; a claim goes to the payout address in force.
import type { Address, Hex } from "viem";
import type { Findings, Location } from "../findings";
import { CHECKS } from "./catalog";

const ID = CHECKS.invariant7.id;

/** Who sent a transaction, as the node reports it (undefined: not read). */
export interface Sender {
  from: Address;
  to: Address | null;
}

/** Whether `party` sent the transaction: its own account, or its contract wallet called (tx.to). */
export function sentBy(sender: Sender | undefined, party: Address): boolean {
  if (!sender) return false;
  const p = party.toLowerCase();
  return sender.from.toLowerCase() === p || (sender.to?.toLowerCase() ?? "") === p;
}

const showSender = (s: Sender | undefined): string => (s ? `a transaction from ${s.from} to ${s.to ?? "none"}` : "a transaction whose sender was not read");

export const checkInvariant7 = {
  /** A proposal (migration, signer set, payout address) takes effect no sooner than `notice` after it was made. */
  notice(f: Findings, agreementId: bigint | null, figure: string, c: { effectiveAt: bigint; now: bigint; notice: bigint; name: string }, at: Location): void {
    const earliest = c.now + c.notice;
    f.holds(ID, agreementId, `${figure}.effectiveAt`, c.effectiveAt >= earliest, `≥ ${earliest} (proposed at ${c.now} + ${c.name} ${c.notice})`, c.effectiveAt.toString(), at);
  },

  /** StartupMigrated: the startup wallet's own migration, or the execution of a proposal whose notice has run. */
  migration(
    f: Findings,
    agreementId: bigint,
    c: { from: Address; to: Address; now: bigint; sender: Sender | undefined; proposal?: { to: Address; effectiveAt: bigint } },
    at: Location,
  ): void {
    const executed = c.proposal !== undefined && c.proposal.to.toLowerCase() === c.to.toLowerCase() && c.now >= c.proposal.effectiveAt;
    const ok = executed || sentBy(c.sender, c.from);
    const proposal = c.proposal
      ? `a proposal to ${c.proposal.to} in force from ${c.proposal.effectiveAt}`
      : "no proposal";
    f.holds(ID, agreementId, `migration to ${c.to}`, ok, `sent by the startup wallet ${c.from}, or a proposal to ${c.to} in force (MIGRATION_NOTICE)`, () => `${showSender(c.sender)} at ${c.now}, ${proposal}`, at);
  },

  /** A partner's signer set or payout address in force at once: only by the partner's own transaction. */
  byPartner(f: Findings, partner: Address, what: "signers" | "payout", sender: Sender | undefined, at: Location): void {
    f.holds(ID, null, `partner(${partner}).${what} set at once`, sentBy(sender, partner), `sent by the partner ${partner} (PROGRAM proposes with a notice)`, () => showSender(sender), at);
  },

  /** RevenueSignersSet: the first set only; every later one is proposed with SIGNER_NOTICE. */
  revenueSignersAtOnce(f: Findings, first: boolean, at: Location): void {
    f.holds(ID, null, "revenueSigners set at once", first, "the first revenue signer set only (later ones proposed with SIGNER_NOTICE)", "a later set in force at once", at);
  },

  /** A batch recorded while a proposed signer set was pending: signed by ≥ threshold members of the set in force. */
  batchSigners(f: Findings, c: { batchId: Hex; partner: Address; recovered: readonly Address[]; signers: readonly Address[]; threshold: number; now: bigint }, at: Location): void {
    const members = new Set(c.signers.map((s) => s.toLowerCase()));
    const valid = new Set(c.recovered.map((s) => s.toLowerCase()).filter((s) => members.has(s)));
    f.holds(ID, null, `batch(${c.batchId}).signers`, valid.size >= c.threshold,
      () => `≥ ${c.threshold} signatures of partner ${c.partner}'s set in force at ${c.now} (${c.signers.join(",")})`,
      () => `${valid.size} of them among the signers ${c.recovered.join(",") || "none"}`, at);
  },

  /** Claimed: a partner's claim is paid to its payout address in force at the claim. */
  claimTo(f: Findings, beneficiary: Address, expected: Address, found: Address, at: Location): void {
    f.equal(ID, null, `claim(${beneficiary}).to (the payout address in force)`, expected, found, at);
  },
};
