// `revenue quarantine list | accept | reject` (SERVICES §3 "Quarantine review"): the rows that
// wait for an operator, and the operator's decisions, one row at a time or by id list, each with
// a note and who made it. Decisions go into the state database and the evidence folder; the next
// `revenue run` counts accepted rows and releases the periods they held.
import { hostname, userInfo } from "node:os";
import { ValidationError } from "../../sdk/errors";
import type { AgreementSetting } from "./config";
import type { RevenueContext } from "./context";
import { writeDecisions } from "./evidenceFiles";
import { readRevenueInputs } from "./inputs";
import { acceptFix, reviewAgreement, type Decision, type DecisionKind, type ReviewEntry } from "./review";
import { errorLine, prepareAgreement } from "./run";
import { dayText } from "./table";

/** One entry as listed, with the period it holds or counts in (undefined: outside the term, or unknown). */
export interface ListedEntry extends ReviewEntry {
  period?: number;
}

/** What `quarantine list` found. */
export interface QuarantineListSummary {
  entries: ListedEntry[];
  toReview: number;
  decided: number;
  errors: { agreementId?: string; message: string }[];
}

/** An empty list summary. */
export function emptyQuarantineList(): QuarantineListSummary {
  return { entries: [], toReview: 0, decided: 0, errors: [] };
}

const selected = (ctx: RevenueContext, ids?: readonly bigint[]): AgreementSetting[] => ctx.config.agreements.filter((a) => !ids || ids.includes(a.id));

/**
 * The review entries of the selected agreements (undecided ones, or all with `all`), with the
 * period each holds, read from the inputs, the decisions and the chain's schedule.
 */
export async function listQuarantine(ctx: RevenueContext, options: { agreementIds?: readonly bigint[]; all?: boolean; decimalComma?: boolean } = {}): Promise<QuarantineListSummary> {
  const summary = emptyQuarantineList();
  for (const setting of selected(ctx, options.agreementIds)) {
    try {
      const prepared = await prepareAgreement(ctx, setting, { decimalComma: options.decimalComma });
      for (const entry of prepared.review.entries) {
        if (entry.decision === undefined) summary.toReview += 1;
        else summary.decided += 1;
        if (entry.decision !== undefined && !options.all) continue;
        summary.entries.push({ ...entry, period: prepared.plan?.placement.get(entry.id) });
      }
    } catch (err) {
      summary.errors.push({ agreementId: setting.id.toString(), message: errorLine(err) });
    }
  }
  return summary;
}

/** One entry per line: id, agreement, period, reason, time, where, what (and the decision). */
export function formatQuarantineEntry(e: ListedEntry): string {
  const where = e.file ? ` ${e.file}:${e.line}${e.occurrences > 1 ? ` (+${e.occurrences - 1} copies)` : ""}` : "";
  const when = e.createdAt === undefined ? "" : ` ${dayText(e.createdAt)}`;
  const period = e.period === undefined ? (e.reason === "missing" ? "" : " outside the term") : ` period ${e.period}`;
  const decision = e.decision
    ? ` [${e.decision.decision === "accept" ? "accepted" : "rejected"} by ${e.decision.decidedBy} at ${e.decision.decidedAt}: ${JSON.stringify(e.decision.note)}]`
    : e.acceptable
      ? " (accept or reject)"
      : " (reject, or fix the input)";
  return `${e.id} agreement ${e.agreementId}${period} ${e.reason}${when}${where}: ${e.detail}${decision}`;
}

/** The list's text: one line per entry, then a summary line with the commands to decide. */
export function formatQuarantineList(s: QuarantineListSummary): string {
  const lines = s.entries.map(formatQuarantineEntry);
  for (const e of s.errors) lines.push(`agreement ${e.agreementId ?? "?"}: error: ${e.message}`);
  lines.push(
    `revenue quarantine: ${s.toReview} to review, ${s.decided} decided` +
      (s.toReview > 0 ? `; decide with dsx revenue quarantine accept|reject <ids…> --note "…", then dsx revenue plan` : ""),
  );
  return lines.join("\n");
}

/** Options of {@link decideQuarantine}. */
export interface DecideOptions {
  /** Why (required: it is the evidence of the decision). */
  note: string;
  /** Who decides; default `user@host`. */
  by?: string;
  agreementIds?: readonly bigint[];
  decimalComma?: boolean;
  /** The decision time (tests); default now. */
  now?: Date;
}

/** What `quarantine accept | reject` recorded. */
export interface DecideSummary {
  decision: DecisionKind;
  decisions: Decision[];
  /** Entries that were decided before and are decided again (the history keeps both). */
  redecided: string[];
  errors: { agreementId?: string; message: string }[];
}

/** The default `--by`: the operating system's user at this host. */
export function defaultDecider(): string {
  let user = "unknown";
  try {
    user = userInfo().username;
  } catch {
    // no user database (a container): keep "unknown"
  }
  return `${user}@${hostname()}`;
}

/**
 * Accepts or rejects review entries by id, all or none: every id must name a current entry of
 * the selected agreements, an accepted one must be acceptable, and one transaction cannot have
 * two accepted variants. Recorded in the state database and in
 * `<evidenceDir>/revenue-<agreementId>-decisions.json`.
 * @throws ValidationError naming the ids and the fix; nothing is recorded then.
 */
export async function decideQuarantine(ctx: RevenueContext, ids: readonly string[], decision: DecisionKind, options: DecideOptions): Promise<DecideSummary> {
  const note = options.note.trim();
  if (note === "") throw new ValidationError("A decision needs a note saying why.", { fix: '--note "…" (it is kept in the period\'s evidence).' });
  if (ids.length === 0) throw new ValidationError("No entry ids given.", { fix: "List them with dsx revenue quarantine list, then give one or more ids." });
  const wanted = new Set(ids);
  const found = new Map<string, { entry: ReviewEntry; setting: AgreementSetting; all: ReviewEntry[] }>();
  for (const setting of selected(ctx, options.agreementIds)) {
    const inputs = await readRevenueInputs(setting, { fx: ctx.fx, decimalComma: options.decimalComma });
    const review = reviewAgreement({
      agreementId: setting.id,
      base: setting.base,
      fx: ctx.fx,
      transactions: inputs.transactions,
      quarantined: inputs.quarantined,
      assigned: ctx.store.assignments(setting.id),
      decisions: ctx.store.decisions(setting.id),
    });
    for (const entry of review.entries) if (wanted.has(entry.id)) found.set(entry.id, { entry, setting, all: review.entries });
  }
  const unknown = ids.filter((id) => !found.has(id));
  if (unknown.length > 0) {
    throw new ValidationError(`No row to review has the id ${unknown.join(", ")} in the current inputs${options.agreementIds ? " of the agreements given" : ""}; nothing was recorded.`, {
      fix: "List the ids with dsx revenue quarantine list --all (a row whose input changed has a new id).",
    });
  }
  if (decision === "accept") {
    const refused = [...found.values()].filter(({ entry }) => !entry.acceptable);
    if (refused.length > 0) {
      const e = refused[0].entry;
      throw new ValidationError(`${refused.map((r) => `${r.entry.id} (${r.entry.reason})`).join(", ")} cannot be accepted; nothing was recorded.`, { fix: acceptFix(e) });
    }
    const byTransaction = new Map<string, string[]>();
    for (const { entry, all } of found.values()) {
      if (entry.reason !== "conflict" || entry.transactionId === undefined) continue;
      const key = `${entry.agreementId}:${entry.transactionId}`;
      const others = all.filter((o) => o.reason === "conflict" && o.transactionId === entry.transactionId && o.id !== entry.id && o.decision?.decision === "accept" && !wanted.has(o.id));
      byTransaction.set(key, [...(byTransaction.get(key) ?? []), entry.id, ...others.map((o) => o.id)]);
    }
    const twice = [...byTransaction].find(([, list]) => new Set(list).size > 1);
    if (twice) {
      throw new ValidationError(`Transaction ${twice[0].split(":")[1]} would have two accepted copies (${[...new Set(twice[1])].join(", ")}); nothing was recorded.`, {
        fix: "Accept one copy of a transaction; reject the accepted one first to change your mind.",
      });
    }
  }
  const decidedAt = (options.now ?? new Date()).toISOString();
  const decidedBy = options.by?.trim() || defaultDecider();
  const decisions: Decision[] = ids.filter((id, i) => ids.indexOf(id) === i).map((id) => {
    const { entry } = found.get(id)!;
    return {
      entryId: id,
      agreementId: entry.agreementId,
      decision,
      note,
      decidedBy,
      decidedAt,
      reason: entry.reason,
      detail: entry.detail,
      ...(entry.transactionId ? { transactionId: entry.transactionId } : {}),
      ...(entry.file ? { file: entry.file, line: entry.line } : {}),
      ...(entry.raw !== undefined ? { raw: entry.raw } : {}),
    };
  });
  ctx.store.recordDecisions(decisions);
  for (const agreementId of new Set(decisions.map((d) => d.agreementId))) {
    writeDecisions(ctx.config.evidenceDir, agreementId, ctx.store.decisionHistory(BigInt(agreementId)));
  }
  const redecided = decisions.filter((d) => found.get(d.entryId)!.entry.decision !== undefined).map((d) => d.entryId);
  return { decision, decisions, redecided, errors: [] };
}

/** An empty decide summary (for a start that failed). */
export function emptyDecideSummary(decision: DecisionKind): DecideSummary {
  return { decision, decisions: [], redecided: [], errors: [] };
}

/** One line per decision, then a summary line pointing to the preview. */
export function formatDecideSummary(s: DecideSummary): string {
  const verb = s.decision === "accept" ? "accepted" : "rejected";
  const lines = s.decisions.map(
    (d) => `${d.entryId} agreement ${d.agreementId} ${d.reason}${d.transactionId ? ` ${d.transactionId}` : ""}: ${verb}${s.redecided.includes(d.entryId) ? " (decided before; the history keeps both)" : ""}`,
  );
  lines.push(
    `revenue quarantine ${s.decision}: ${s.decisions.length} ${verb} by ${s.decisions[0]?.decidedBy ?? "—"}, ${s.errors.length} errors` +
      (s.decisions.length > 0 ? "; see what the next run submits with dsx revenue plan" : ""),
  );
  return lines.join("\n");
}
