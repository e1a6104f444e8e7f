// partner.config — registration, signer sets, payout addresses, activation and rate schedules (PROTOCOL §5), and the
// revenue signer set (§7): a change by PROGRAM is a proposal whose effectiveAt is now + its notice (§3), a change by the
// partner is in force at once (effectiveAt = now for a payout address).
import type { Address, Hex } from "viem";
import type { Findings, Location } from "../findings";
import { CHECKS } from "./catalog";

const ID = CHECKS.partnerConfig.id;
const HOUR = 3600n;

export const checkPartnerConfig = {
  /** A registration: not registered before, payoutBps ≤ 10 000, a valid k-of-n set. */
  registration(f: Findings, partner: Address, wasRegistered: boolean, payoutBps: number, signers: readonly Address[], threshold: number, at: Location): void {
    f.holds(ID, null, `partner(${partner}).registered`, !wasRegistered, "registered once", "registered again", at);
    f.holds(ID, null, `partner(${partner}).payoutBps`, payoutBps <= 10_000, "≤ 10000", String(payoutBps), at);
    checkPartnerConfig.signerSet(f, `partner(${partner})`, signers, threshold, at);
  },
  /** An operation on a partner needs it registered. */
  registered(f: Findings, partner: Address, registered: boolean, what: string, at: Location): void {
    f.holds(ID, null, `partner(${partner}).${what}`, registered, "a registered partner", "an unregistered partner", at);
  },
  /** 1 ≤ k ≤ n ≤ 16, no duplicate or zero signer; `owner` names the set, e.g. `partner(0x…)` or `revenueSigners`. */
  signerSet(f: Findings, owner: string, signers: readonly Address[], threshold: number, at: Location): void {
    const distinct = new Set(signers.map((s) => s.toLowerCase())).size === signers.length;
    const noZero = signers.every((s) => BigInt(s) !== 0n);
    const ok = threshold >= 1 && threshold <= signers.length && signers.length <= 16 && distinct && noZero;
    f.holds(ID, null, `${owner}.signers`, ok, "1 ≤ threshold ≤ n ≤ 16 distinct non-zero signers", `${threshold} of ${signers.length}`, at);
  },
  /** A proposal by PROGRAM: effectiveAt = the time of the proposal + its notice (PROTOCOL §3). */
  proposal(f: Findings, figure: string, c: { effectiveAt: bigint; now: bigint; notice: bigint; name: string }, at: Location): void {
    f.equal(ID, null, `${figure}.effectiveAt (now + ${c.name})`, c.now + c.notice, c.effectiveAt, at);
  },
  /** A payout address: not the zero address; set by the partner at once (effectiveAt = now) or proposed. */
  payout(f: Findings, partner: Address, payout: Address, at: Location): void {
    f.holds(ID, null, `partner(${partner}).payout`, BigInt(payout) !== 0n, "a non-zero address", payout, at);
  },
  /** A rate: > 0, on the hour; a first rate not before the current hour; a change with RATE_NOTICE, in order. */
  rate(
    f: Findings,
    partner: Address,
    sku: Hex,
    r: { rate: bigint; from: bigint; now: bigint; first: boolean; lastFrom?: bigint; rateNotice: bigint },
    at: Location,
  ): void {
    const figure = `rate(${partner}, ${sku}).effectiveFrom`;
    f.holds(ID, null, `rate(${partner}, ${sku}).creditsPerGpuHour`, r.rate > 0n, "> 0", r.rate.toString(), at);
    f.holds(ID, null, figure, r.from % HOUR === 0n, "a whole hour", r.from.toString(), at);
    if (r.first) {
      const hourStart = r.now - (r.now % HOUR);
      f.holds(ID, null, figure, r.from >= hourStart, `≥ ${hourStart} (the current hour)`, r.from.toString(), at);
    } else {
      f.holds(ID, null, figure, r.from >= r.now + r.rateNotice, `≥ ${r.now + r.rateNotice} (now + RATE_NOTICE)`, r.from.toString(), at);
      f.holds(ID, null, figure, r.from >= (r.lastFrom ?? 0n), `≥ ${r.lastFrom} (the last scheduled)`, r.from.toString(), at);
    }
  },
};
