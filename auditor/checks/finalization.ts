// revenue.finalization — PROTOCOL §7: only k == nextPeriodToFinalize, a Pending report whose dispute window has
// ended or a Cleared one, the last period only once now ≥ R; and the booked figures recomputed:
// owed_k = min(share_k, max(cap − obligation, 0)) with cap = consumed × capMultipleBps, due_k = max(periodEnd_k,
// finalizedAt) + gracePeriod, revenue = the report in force.
import type { Findings, Location } from "../findings";
import type { AgreementModel, RevenueState } from "../replay/model";
import { CHECKS } from "./catalog";

const ID = CHECKS.finalization.id;

interface Figures {
  revenue: bigint;
  owed: bigint;
  due: bigint;
}

export function checkFinalization(
  f: Findings,
  a: AgreementModel,
  c: {
    k: number; inRange: boolean; next: number; state: RevenueState; now: bigint; windowCloses: bigint; isLast: boolean;
    close: bigint | undefined; expected: Figures; found: Figures;
  },
  at: Location,
): void {
  const name = `period[${c.k}]`;
  f.holds(ID, a.id, `${name}.finalization order`, c.inRange && c.k === c.next, `period ${c.next} (nextPeriodToFinalize)`, `period ${c.k}`, at);
  if (c.state === "Pending") {
    f.holds(ID, a.id, `${name}.finalizedAt`, c.now >= c.windowCloses, `≥ ${c.windowCloses} (the report's dispute window ends)`, `${c.now} (inside the window)`, at);
  } else {
    f.holds(ID, a.id, `${name}.state at finalization`, c.state === "Cleared", "Pending or Cleared", c.state, at);
  }
  if (c.isLast) {
    f.holds(ID, a.id, `${name}.finalizedAt (last period)`, c.close !== undefined && c.now >= c.close, `≥ ${c.close ?? "∞ (paused)"} (reporting close)`, c.now.toString(), at);
  }
  f.equal(ID, a.id, `${name}.revenue`, c.expected.revenue, c.found.revenue, at);
  f.equal(ID, a.id, `${name}.owed`, c.expected.owed, c.found.owed, at);
  f.equal(ID, a.id, `${name}.due`, c.expected.due, c.found.due, at);
}
