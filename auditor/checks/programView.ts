// view.program — program-wide views at the audited block equal the recomputation (PROTOCOL §12): agreementCount,
// paused, lastUnpausedAt, treasury, revenueSigners, programClaimable, every beneficiary's claimable, every partner,
// every rate schedule, every batch record (submittedAt and linesHash of its accepted lines) and usage dispute.
import type { ChainSnapshot } from "../chain/snapshot";
import type { Findings, Location } from "../findings";
import { linesHashOf } from "../replay/replay";
import { USAGE_DISPUTE_STATE, type LedgerModel } from "../replay/model";
import { CHECKS } from "./catalog";

const ID = CHECKS.programView.id;

export function checkProgramView(f: Findings, m: LedgerModel, s: ChainSnapshot, beneficiaries: string[], at: Location): void {
  const eq = (figure: string, expected: bigint | string | boolean, found: bigint | string | boolean, agreementId: bigint | null = null) => f.equal(ID, agreementId, figure, expected, found, at);
  eq("agreementCount", m.agreementCount, s.agreementCount);
  eq("paused", m.paused, s.paused);
  eq("lastUnpausedAt", m.lastUnpausedAt, s.lastUnpausedAt);
  eq("treasury", m.treasury ?? "none", s.treasury);
  eq("revenueSigners", `${m.revenueSigners.threshold} of ${m.revenueSigners.signers.join(",")}`, `${s.revenueSigners.threshold} of ${s.revenueSigners.signers.join(",")}`);
  eq("programClaimable", m.programClaimable, s.programClaimable);
  for (const b of beneficiaries) eq(`claimable(${b})`, m.claimable.get(b.toLowerCase()) ?? 0n, s.claimable.get(b.toLowerCase()) ?? 0n);
  for (const p of m.partners.values()) {
    const v = s.partners.get(p.address.toLowerCase());
    eq(`partner(${p.address})`, `registered ${p.registered}, active ${p.active}, payoutBps ${p.payoutBps}, ${p.threshold} of ${p.signers.join(",")}, nextSequence ${p.nextSequence}`,
      v ? `registered ${v.registered}, active ${v.active}, payoutBps ${v.payoutBps}, ${v.threshold} of ${v.signers.join(",")}, nextSequence ${v.nextSequence}` : "unreadable");
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
