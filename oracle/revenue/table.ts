// The lines `revenue plan` and `revenue run` print (SERVICES §3 "Preview", "Output stays
// readable at scale"): one line per period (runs of finalized or not-due periods as one line)
// and one summary line per agreement. Per-row detail goes to `revenue quarantine list` and --json.
import { formatUnits6 } from "../../sdk/units";
import type { PeriodRow } from "./plan";

/** 6-decimal units as "1234.50". */
export function usdText(units: bigint): string {
  const [whole, fraction = ""] = formatUnits6(units).split(".");
  return `${whole}.${fraction.padEnd(2, "0")}`;
}

/** An instant as "2026-10-01" at midnight UTC, else "2026-10-01 12:00". */
export function dayText(seconds: bigint): string {
  const iso = new Date(Number(seconds) * 1000).toISOString();
  return iso.endsWith("T00:00:00.000Z") ? iso.slice(0, 10) : `${iso.slice(0, 16).replace("T", " ")}Z`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** What a period's row says it does, in words. */
function actionText(row: PeriodRow, sent?: { txHash: string }): string {
  switch (row.action) {
    case "submit":
      return sent ? `submitted v${row.version} (${row.why}) in ${sent.txHash}` : `submit v${row.version} (${row.why})`;
    case "held":
      return `held: ${row.heldBecause ?? "rows to review"}`;
    case "unchanged":
      return `unchanged v${row.version}`;
    case "rejected-unchanged":
      return `rejected, figures unchanged: correct the inputs or pass --confirm-rejected`;
    case "disputed":
      return "disputed: waits for the program's resolution";
    case "in-flight":
      return "signed report in the outbox: resent by the next run";
    case "not-due":
      return `not due until ${new Date(Number(row.dueAt) * 1000).toISOString()}`;
    case "finalized":
      return `finalized v${row.version}`;
  }
}

/**
 * One period: what happens to it, its revenue, version and carry, rows counted / quarantined /
 * decided, evidence hash and on-chain state; "FLAGGED" when the figure is 0 while the period
 * holds quarantined or decided rows.
 */
export function formatPeriodLine(agreementId: string, row: PeriodRow, sent?: { txHash: string }): string {
  const head = `agreement ${agreementId} period ${row.index} (${dayText(row.periodStart)} → ${dayText(row.periodEnd)}): ${actionText(row, sent)}`;
  if (row.action === "not-due" || row.action === "finalized") return `${head}, revenue ${usdText(row.revenue)} USD`;
  const figure = row.action === "held" ? "would report" : "revenue";
  const carry = row.carryIn !== 0n || row.carryOut !== 0n ? ` (carry in ${usdText(row.carryIn)}, out ${usdText(row.carryOut)})` : "";
  const decided = row.accepted + row.rejected;
  const rows = `rows ${row.counted} counted / ${row.quarantined} quarantined / ${decided} decided${decided > 0 ? ` (${row.accepted} accepted, ${row.rejected} rejected)` : ""}`;
  const evidence = row.evidenceHash ? `, evidence ${row.evidenceHash}` : "";
  const chain = `, on chain ${row.state}${row.chainVersion > 0 ? ` v${row.chainVersion} ${usdText(row.chainRevenue)}` : ""}`;
  const flag = row.flagged ? ` — FLAGGED: 0 while it holds ${[row.quarantined ? `${row.quarantined} quarantined` : "", decided ? `${decided} decided` : ""].filter(Boolean).join(" and ")} row${row.quarantined + decided === 1 ? "" : "s"}: check them (dsx revenue quarantine list --agreement ${agreementId} --all)` : "";
  return `${head}, ${figure} ${usdText(row.revenue)} USD${carry}, ${rows}${evidence}${chain}${flag}`;
}

/**
 * Every period of one agreement, runs of finalized periods and of not-due periods folded into
 * one line each (an agreement has up to 120 periods).
 */
export function formatPeriodTable(agreementId: string, rows: readonly PeriodRow[]): string[] {
  const lines: string[] = [];
  for (let i = 0; i < rows.length; ) {
    const row = rows[i];
    if (row.action === "finalized" || row.action === "not-due") {
      let j = i;
      while (j + 1 < rows.length && rows[j + 1].action === row.action) j++;
      if (j > i) {
        const what = row.action === "finalized" ? "finalized" : `not due (period ${row.index} is due at ${new Date(Number(row.dueAt) * 1000).toISOString()})`;
        lines.push(`agreement ${agreementId} periods ${row.index}–${rows[j].index}: ${what}`);
        i = j + 1;
        continue;
      }
    }
    lines.push(formatPeriodLine(agreementId, row));
    i++;
  }
  return lines;
}

/** Counts behind an agreement's summary line. */
export interface AgreementTally {
  agreementId: string;
  periods: number;
  toSubmit: number;
  submitted: number;
  held: number;
  unchanged: number;
  finalized: number;
  notDue: number;
  other: number;
  /** Revenue of the periods submitted (or to submit). */
  revenue: bigint;
  rowsRead: number;
  counted: number;
  /** Undecided review entries. */
  toReview: number;
  decided: number;
  flagged: number;
  heldFrom?: number;
  error?: string;
}

/** Tallies an agreement's rows. */
export function tallyOf(agreementId: string, rows: readonly PeriodRow[], extra: Pick<AgreementTally, "rowsRead" | "counted" | "toReview" | "decided" | "heldFrom">): AgreementTally {
  const count = (kind: PeriodRow["action"]) => rows.filter((r) => r.action === kind).length;
  const toSubmit = count("submit");
  return {
    agreementId,
    periods: rows.length,
    toSubmit,
    submitted: 0,
    held: count("held"),
    unchanged: count("unchanged"),
    finalized: count("finalized"),
    notDue: count("not-due"),
    other: rows.length - toSubmit - count("held") - count("unchanged") - count("finalized") - count("not-due"),
    revenue: rows.filter((r) => r.action === "submit").reduce((s, r) => s + r.revenue, 0n),
    flagged: rows.filter((r) => r.flagged).length,
    ...extra,
  };
}

/** One summary line per agreement; `verb` is "to submit" (plan) or "submitted" (run). */
export function formatAgreementLine(t: AgreementTally, mode: "plan" | "run"): string {
  if (t.error) return `agreement ${t.agreementId}: error: ${t.error}`;
  const sent = mode === "plan" ? `${t.toSubmit} to submit` : `${t.submitted} submitted`;
  const parts = [
    `${plural(t.periods, "period")}: ${sent} (${usdText(t.revenue)} USD), ${t.held} held, ${t.unchanged} unchanged, ${t.finalized} finalized, ${t.notDue} not due${t.other ? `, ${t.other} other` : ""}`,
    `${t.rowsRead} rows read, ${t.counted} counted`,
    `${t.toReview} to review, ${t.decided} decided`,
  ];
  if (t.flagged) parts.push(`${t.flagged} FLAGGED`);
  const review = t.toReview > 0 ? `; review: dsx revenue quarantine list --agreement ${t.agreementId}` : "";
  return `agreement ${t.agreementId}: ${parts.join("; ")}${review}`;
}
