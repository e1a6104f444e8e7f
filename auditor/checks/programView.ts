// view.program — program-wide views at the audited block equal the recomputation (PROTOCOL §12): agreementCount,
// paused, lastUnpausedAt, treasury, revenueSigners (the set in force and a pending one), programClaimable, every
// beneficiary's claimable, every partner (signers and payout address in force, pending changes), every rate schedule,
// every batch record (submittedAt and linesHash of its accepted lines) and usage dispute.
import type { ChainSnapshot } from "../chain/snapshot";
import type { Findings, Location } from "../findings";
import { linesHashOf } from "../replay/replay";
import { USAGE_DISPUTE_STATE } from "../../sdk/abis";
import { payoutAt, quorumAt, type LedgerModel, type QuorumModel } from "../replay/model";
import { CHECKS } from "./catalog";

const ID = CHECKS.programView.id;
const ZERO = "0x0000000000000000000000000000000000000000";

const showSet = (signers: readonly string[], threshold: number | bigint): string => `${threshold} of ${signers.join(",")}`;

/** A quorum as its view shows it at `t`: the set in force, and the pending one only while it is not yet in force. */
function quorumShown(q: QuorumModel, t: bigint): string {
  const inForce = quorumAt(q, t);
  const pending = q.pending && q.pending.effectiveAt > t ? q.pending : undefined;
  return `${showSet(inForce.signers, inForce.threshold)}; pending ${pending ? `${showSet(pending.signers, pending.threshold)} from ${pending.effectiveAt}` : "none"}`;
}

export function checkProgramView(f: Findings, m: LedgerModel, s: ChainSnapshot, beneficiaries: string[], at: Location): void {
  const eq = (figure: string, expected: bigint | string | boolean, found: bigint | string | boolean, agreementId: bigint | null = null) => f.equal(ID, agreementId, figure, expected, found, at);
  eq("agreementCount", m.agreementCount, s.agreementCount);
  eq("paused", m.paused, s.paused);
  eq("lastUnpausedAt", m.lastUnpausedAt, s.lastUnpausedAt);
  eq("treasury", m.treasury ?? "none", s.treasury);
  const t = s.timestamp;
  const rs = s.revenueSigners;
  eq("revenueSigners", quorumShown(m.revenueSigners, t),
    rs ? `${showSet(rs.signers, rs.threshold)}; pending ${rs.pendingAt !== 0n ? `${showSet(rs.pendingSigners, rs.pendingThreshold)} from ${rs.pendingAt}` : "none"}` : "unreadable");
  eq("programClaimable", m.programClaimable, s.programClaimable);
  for (const b of beneficiaries) eq(`claimable(${b})`, m.claimable.get(b.toLowerCase()) ?? 0n, s.claimable.get(b.toLowerCase()) ?? 0n);
  for (const p of m.partners.values()) {
    const v = s.partners.get(p.address.toLowerCase());
    eq(`partner(${p.address})`, `registered ${p.registered}, active ${p.active}, payoutBps ${p.payoutBps}, nextSequence ${p.nextSequence}`,
      v ? `registered ${v.registered}, active ${v.active}, payoutBps ${v.payoutBps}, nextSequence ${v.nextSequence}` : "unreadable");
    eq(`partner(${p.address}).signers`, quorumShown(p.quorum, t),
      v ? `${showSet(v.signers, v.threshold)}; pending ${v.pendingSignersAt !== 0n ? `${showSet(v.pendingSigners, v.pendingThreshold)} from ${v.pendingSignersAt}` : "none"}` : "unreadable");
    const pendingPayout = p.payout.pending && p.payout.pending.effectiveAt > t ? p.payout.pending : undefined;
    eq(`partner(${p.address}).payout`, `${payoutAt(p, t)}; pending ${pendingPayout ? `${pendingPayout.payout} from ${pendingPayout.effectiveAt}` : "none"}`,
      v ? `${v.payout}; pending ${v.pendingPayoutAt !== 0n || v.pendingPayout !== ZERO ? `${v.pendingPayout} from ${v.pendingPayoutAt}` : "none"}` : "unreadable");
    for (const [sku, entries] of p.rates) {
      const found = s.rateSchedules.get(`${p.address.toLowerCase()}:${sku}`) ?? [];
      eq(`rateSchedule(${p.address}, ${sku})`, entries.map((e) => `${e.creditsPerGpuHour}@${e.effectiveFrom}`).join(","), found.map((e) => `${e.creditsPerGpuHour}@${e.effectiveFrom}`).join(","));
    }
  }
  for (const batchId of m.batchOrder) {
    const b = m.batches.get(batchId.toLowerCase())!;
    const v = s.batches.get(batchId.toLowerCase());
    eq(`usageBatch(${batchId}).submittedAt`, b.submittedAt, v?.submittedAt ?? 0n);
    eq(`usageBatch(${batchId}).linesHash`, linesHashOf(b.partner, b.accepted), v?.linesHash ?? "none");
  }
  for (const a of m.agreements.values()) {
    for (const [batchId, d] of a.usageDisputes) {
      const v = s.usageDisputes.get(`${batchId}:${a.id}`);
      eq(`usageDispute(${batchId})`, `${d.state} ${d.refund}`, v ? `${USAGE_DISPUTE_STATE[v.state] ?? v.state} ${v.refund}` : "unreadable", a.id);
    }
  }
}
