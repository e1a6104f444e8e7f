// revenue.report — revenue reports, versions and disputes (PROTOCOL §7): reported by an accepted agreement for an
// ended period k < n, not while Disputed or Finalized, with a higher version; disputed by an AUDITOR while Pending
// inside the window; resolved only when Disputed.
import type { Findings, Location } from "../findings";
import type { AgreementModel, RevenueState } from "../replay/model";
import { CHECKS } from "./catalog";

const ID = CHECKS.revenueReport.id;

export const checkRevenueReport = {
  reported(
    f: Findings,
    a: AgreementModel,
    c: { k: number; inRange: boolean; accepted: boolean; ended: boolean; state: RevenueState; version: bigint; storedVersion: bigint; paused: boolean },
    at: Location,
  ): void {
    const name = `period[${c.k}].report v${c.version}`;
    f.holds(ID, a.id, `${name}.period`, c.inRange, `k < ${a.periodCount}`, String(c.k), at);
    f.holds(ID, a.id, `${name}.agreement`, c.accepted, "an accepted agreement", a.status, at);
    f.holds(ID, a.id, `${name}.time`, c.ended, "after the period ended", "before the period ended", at);
    f.holds(ID, a.id, `${name}.state`, c.state !== "Disputed" && c.state !== "Finalized", "None, Pending, Rejected or Cleared", c.state, at);
    f.holds(ID, a.id, `${name}.version`, c.version > c.storedVersion, `> ${c.storedVersion}`, c.version.toString(), at);
    f.holds(ID, a.id, `${name}.paused`, !c.paused, "not paused", "reported while paused", at);
  },
  disputed(f: Findings, a: AgreementModel, c: { k: number; state: RevenueState; now: bigint; windowCloses: bigint; byAuditor: boolean }, at: Location): void {
    const name = `period[${c.k}].dispute`;
    f.equal(ID, a.id, `${name}.state`, "Pending", c.state, at);
    f.holds(ID, a.id, `${name}.time`, c.now < c.windowCloses, `< ${c.windowCloses} (dispute window)`, c.now.toString(), at);
    f.holds(ID, a.id, `${name}.by`, c.byAuditor, "an AUDITOR", "another account", at);
  },
  resolved(f: Findings, a: AgreementModel, c: { k: number; state: RevenueState }, at: Location): void {
    f.equal(ID, a.id, `period[${c.k}].resolution.state`, "Disputed", c.state, at);
  },
};
