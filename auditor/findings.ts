// The auditor's verdicts. Every rule the auditor applies is a named check (auditor/checks/*); each evaluation
// of it is recorded here as a pass or as a discrepancy naming the agreement, the figure, the expected value
// (what the auditor recomputed from public data) and the value found (on chain: an event, a view or a balance).
import type { Hex } from "viem";

/** Where on chain a figure was found: the log that carries it, or the view read at the audited block. */
export interface Location {
  block: string;
  tx?: Hex;
  logIndex?: number;
}

/** One mismatch between the auditor's recomputation and what the chain shows. */
export interface Discrepancy {
  /** The check that failed (an id of auditor/checks/catalog.ts). */
  check: string;
  /** The agreement concerned; null for program-wide figures (tokens, claims, partners). */
  agreementId: string | null;
  /** The figure, e.g. `period[1].owed`, `distribution[0xF…]`, `view.partnerPosition(0xF…).receivable`. */
  figure: string;
  expected: string;
  found: string;
  at?: Location;
}

/** The tally of one check within one scope (an agreement or the program). */
export interface CheckTally {
  check: string;
  passed: number;
  failed: number;
}

type Value = bigint | string | boolean | number | null | undefined;

/** A text built only when needed (a failed check): figure names and expectations cost nothing on the hot path. */
export type Lazy = string | (() => string);
const text = (t: Lazy): string => (typeof t === "function" ? t() : t);

const show = (v: Value): string => (v === undefined || v === null ? "none" : typeof v === "string" ? v : String(v));

/** Collects the outcome of every check evaluation, per scope. */
export class Findings {
  readonly discrepancies: Discrepancy[] = [];
  private readonly tallies = new Map<string, Map<string, CheckTally>>();

  private tally(scope: string, check: string): CheckTally {
    let byCheck = this.tallies.get(scope);
    if (!byCheck) this.tallies.set(scope, (byCheck = new Map()));
    let t = byCheck.get(check);
    if (!t) byCheck.set(check, (t = { check, passed: 0, failed: 0 }));
    return t;
  }

  /** Records `check` for `agreementId` (null: program-wide) as passed when `expected` equals `found`. */
  equal(check: string, agreementId: bigint | null, figure: Lazy, expected: Value, found: Value, at?: Location): boolean {
    const same = typeof expected === "string" && typeof found === "string" ? expected.toLowerCase() === found.toLowerCase() : expected === found || show(expected) === show(found);
    return this.holds(check, agreementId, figure, same, () => show(expected), () => show(found), at);
  }

  /** Records a rule: `ok` passes; otherwise a discrepancy with the stated expectation and finding. */
  holds(check: string, agreementId: bigint | null, figure: Lazy, ok: boolean, expected: Lazy, found: Lazy, at?: Location): boolean {
    const scope = agreementId === null ? "program" : agreementId.toString();
    const t = this.tally(scope, check);
    if (ok) {
      t.passed += 1;
    } else {
      t.failed += 1;
      this.discrepancies.push({ check, agreementId: agreementId === null ? null : agreementId.toString(), figure: text(figure), expected: text(expected), found: text(found), ...(at ? { at } : {}) });
    }
    return ok;
  }

  /** The tallies of one scope ("program" or an agreement id), sorted by check id. */
  talliesOf(scope: string): CheckTally[] {
    return [...(this.tallies.get(scope)?.values() ?? [])].sort((x, y) => (x.check < y.check ? -1 : x.check > y.check ? 1 : 0));
  }
}
