// view.partnerPosition — partners(id) and partnerPosition(id, partner) at the audited block equal the
// recomputation (PROTOCOL §12): the authorization in force and pending decreases, spent, burnedAt, receivable,
// paidToPartner, lastUsageEnd.
import type { Address } from "viem";
import type { PositionViewData } from "../chain/snapshot";
import type { Findings, Location } from "../findings";
import { limitAt, type AgreementModel, type Limit } from "../replay/model";
import { CHECKS } from "./catalog";

const ID = CHECKS.positionView.id;

export function checkPartnerList(f: Findings, a: AgreementModel, chainList: readonly Address[], at: Location): void {
  f.equal(ID, a.id, "partners(id)", a.partnerList.join(","), chainList.join(","), at);
}

const pendingOf = (l: Limit, t: bigint): [bigint, bigint] => (l.pending && l.pending.at > t ? [l.pending.value, l.pending.at] : [0n, 0n]);

export function checkPositionView(f: Findings, a: AgreementModel, partner: Address, view: PositionViewData | undefined, blockTime: bigint, at: Location): void {
  const p = a.positions.get(partner.toLowerCase());
  const name = `position(${partner})`;
  if (!view) {
    f.holds(ID, a.id, name, false, "a readable position", "the view reverted", at);
    return;
  }
  const eq = (figure: string, expected: bigint, found: bigint | number) => f.equal(ID, a.id, `${name}.${figure}`, expected, BigInt(found), at);
  const zero = { value: 0n };
  const spend = p?.spendLimit ?? zero;
  const gpus = p?.maxGpus ?? zero;
  eq("spendLimit", limitAt(spend, blockTime), view.spendLimit);
  eq("maxGpus", limitAt(gpus, blockTime), view.maxGpus);
  const [pendingSpend, pendingSpendAt] = pendingOf(spend, blockTime);
  const [pendingGpus, pendingGpusAt] = pendingOf(gpus, blockTime);
  eq("pendingSpendLimit", pendingSpend, view.pendingSpendLimit);
  eq("pendingSpendLimitAt", pendingSpendAt, view.pendingSpendLimitAt);
  eq("pendingMaxGpus", pendingGpus, view.pendingMaxGpus);
  eq("pendingMaxGpusAt", pendingGpusAt, view.pendingMaxGpusAt);
  eq("spent", p?.spent ?? 0n, view.spent);
  eq("burnedAt", p?.burnedAt ?? 0n, view.burnedAt);
  eq("receivable", p?.receivable ?? 0n, view.receivable);
  eq("paidToPartner", p?.paidToPartner ?? 0n, view.paidToPartner);
  eq("lastUsageEnd", p?.lastUsageEnd ?? 0n, view.lastUsageEnd);
}
