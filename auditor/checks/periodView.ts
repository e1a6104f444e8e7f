// view.revenuePeriod — revenuePeriod(id, k) at the audited block equals the recomputation (PROTOCOL §12): the
// report in force, state, submittedAt, the period's bounds, owed, cumulative obligation and due date.
import type { PeriodViewData } from "../chain/snapshot";
import type { Findings, Location } from "../findings";
import { REVENUE_STATE } from "../../sdk/abis";
import type { AgreementModel, PeriodModel } from "../replay/model";
import { CHECKS } from "./catalog";

const ID = CHECKS.periodView.id;

export function checkPeriodView(f: Findings, a: AgreementModel, p: PeriodModel, view: PeriodViewData | undefined, at: Location): void {
  const name = `period[${p.index}]`;
  if (!view) {
    f.holds(ID, a.id, name, false, "a readable period", "the view reverted", at);
    return;
  }
  const eq = (figure: string, expected: bigint | string, found: bigint | string | number) =>
    f.equal(ID, a.id, `${name}.${figure}`, expected, typeof found === "number" ? BigInt(found) : found, at);
  eq("state", p.state, REVENUE_STATE[view.state] ?? String(view.state));
  eq("report.version", p.version, view.report.version);
  eq("report.revenue", p.revenue, view.report.revenue);
  eq("report.evidenceHash", p.evidenceHash, view.report.evidenceHash);
  eq("submittedAt", p.submittedAt, view.submittedAt);
  eq("periodStart", p.start, view.periodStart);
  eq("periodEnd", p.end, view.periodEnd);
  eq("owed", p.owed, view.owed);
  eq("cumulativeObligation", p.cumulativeObligation, view.cumulativeObligation);
  eq("due", p.due, view.due);
}
