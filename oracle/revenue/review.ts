// Quarantine review (SERVICES §3 "Quarantine review"): every row the revenue oracle cannot count
// on its own gets a stable id, and an operator decides it, one row at a time or by id list:
// accepted it counts (converted where needed), rejected it does not. Pure: the inputs, the
// decisions and the oracle's record of reported rows in; the transactions to count and the
// review entries (decided or not) out.
import { keccak256, stringToBytes } from "viem";
import { formatUnits6 } from "../../sdk/units";
import { convertAmounts, type FxConversion, type FxTable } from "../sources/fx";
import type { RevenueQuarantineEntry } from "../sources/stripe";
import type { QuarantineReason } from "../sources/types";
import type { RevenueBase, RevenueTransaction } from "./periods";

/**
 * Why a row waits for an operator: an adapter's quarantine reason, or
 * - `conflict`: a transaction id seen again with another time or amount (the first copy counts
 *   unless this copy is accepted instead);
 * - `missing`: a transaction reported earlier that is no longer in the inputs.
 */
export type ReviewReason = QuarantineReason | "conflict" | "missing";

/** accept: the row counts; reject: it does not. */
export type DecisionKind = "accept" | "reject";

/** An operator's decision on one review entry, as stored and as written into the evidence. */
export interface Decision {
  entryId: string;
  agreementId: string;
  decision: DecisionKind;
  /** Why (required). */
  note: string;
  /** Who decided (`--by`, default user@host). */
  decidedBy: string;
  /** ISO 8601, machine time. */
  decidedAt: string;
  /** The entry as it was when decided. */
  reason: ReviewReason;
  detail: string;
  transactionId?: string;
  file?: string;
  line?: number;
  raw?: string;
}

/** A revenue transaction with where it came from and how it was converted (for the evidence). */
export interface SourcedTransaction extends RevenueTransaction {
  file?: string;
  line?: number;
  /** The conversion of the amount on the agreement's base, when the row was not in USD. */
  conversion?: FxConversion;
  /** The review entry whose acceptance made it count. */
  acceptedAs?: string;
}

/** One row (or repeated copies of one row) waiting for, or holding, a decision. */
export interface ReviewEntry {
  /** `rq-` + 12 hex digits: keccak256 of the agreement, the reason and the row's text (or the transaction's figures), so it is the same on every run. */
  id: string;
  agreementId: string;
  reason: ReviewReason;
  detail: string;
  /** Where the row was first seen (absent for `missing`). */
  file?: string;
  line?: number;
  raw?: string;
  /** Copies of the same row in the inputs (overlapping exports). */
  occurrences: number;
  /** The row's time, when it could be read (undefined: it holds every period not finalized). */
  createdAt?: bigint;
  /** `conflict`: the first copy's time; a conflict holds the earlier of the two periods. */
  firstCreatedAt?: bigint;
  /** `missing` (and `conflict` of a reported id): the period the transaction was reported in. */
  reportedIn?: number;
  transactionId?: string;
  /** Whether `accept` means something for this entry (else only `reject`, with the fix in {@link acceptFix}). */
  acceptable: boolean;
  decision?: Decision;
}

/** Why an entry cannot be accepted, and what to do instead. */
export function acceptFix(entry: Pick<ReviewEntry, "reason" | "detail">): string {
  switch (entry.reason) {
    case "no-fx-rate":
      return "Add the rate of its UTC date to the fxRates file (the row then converts on its own), or reject it.";
    case "missing":
      return "Put the file that held it back among the inputs (it then counts again), or reject it to restate its period without it.";
    default:
      return "A row that cannot be read cannot count: correct the export and read it again, or reject the row.";
  }
}

/** The entry id of a row: stable across runs for the same agreement, reason and text. */
export function reviewId(agreementId: string, reason: ReviewReason, text: string): string {
  return `rq-${keccak256(stringToBytes(`${agreementId}\n${reason}\n${text}`)).slice(2, 14)}`;
}

/** Input of {@link reviewAgreement}. */
export interface ReviewInput {
  agreementId: bigint;
  base: RevenueBase;
  fx?: FxTable;
  /** Rows as read, in reading order (repeats included). */
  transactions: readonly SourcedTransaction[];
  quarantined: readonly (RevenueQuarantineEntry & { createdAt?: bigint })[];
  /** Transaction id → period it was reported in. */
  assigned: ReadonlyMap<string, number>;
  /** The decision in force per entry id (the latest). */
  decisions: ReadonlyMap<string, Decision>;
}

/** Output of {@link reviewAgreement}. */
export interface ReviewResult {
  /** What counts: rows as read, accepted rows added, decided conflicts resolved. */
  transactions: SourcedTransaction[];
  /** `assigned` without the missing ids whose loss was accepted (rejected `missing` entries). */
  assigned: Map<string, number>;
  /** Every entry, decided or not, in the order found. */
  entries: ReviewEntry[];
}

const show = (units: bigint) => formatUnits6(units);
const figuresKey = (t: RevenueTransaction) => `${t.createdAt}:${t.amount}`;
const isoOf = (t: bigint) => new Date(Number(t) * 1000).toISOString();

/**
 * Applies the decisions to one agreement's inputs.
 * 1. Quarantined rows become entries (copies of one row share one). An accepted `net-mismatch`
 *    row counts with its gross or net as written, converted at its date's rate; without a rate
 *    it becomes a `no-fx-rate` entry of its own.
 * 2. A transaction id seen with other figures than its first copy: each other variant is a
 *    `conflict` entry. Accepted, that variant counts instead of the first; rejected, it is dropped.
 * 3. A reported id no longer in the inputs is a `missing` entry; rejected, the loss is accepted
 *    and its period is restated without it.
 * Undecided entries are returned for the plan to hold their periods.
 */
export function reviewAgreement(input: ReviewInput): ReviewResult {
  const agreementId = input.agreementId.toString();
  const entries = new Map<string, ReviewEntry>();
  const add = (entry: Omit<ReviewEntry, "occurrences" | "decision" | "agreementId">): ReviewEntry => {
    const known = entries.get(entry.id);
    if (known) {
      known.occurrences += 1;
      return known;
    }
    const full: ReviewEntry = { ...entry, agreementId, occurrences: 1, ...(input.decisions.has(entry.id) ? { decision: input.decisions.get(entry.id) } : {}) };
    entries.set(entry.id, full);
    return full;
  };

  const transactions: SourcedTransaction[] = [...input.transactions];
  for (const q of input.quarantined) {
    const entry = add({
      id: reviewId(agreementId, q.reason, q.raw),
      reason: q.reason,
      detail: q.detail,
      file: q.file,
      line: q.line,
      raw: q.raw,
      createdAt: q.createdAt,
      transactionId: q.ifAccepted?.id,
      acceptable: q.reason === "net-mismatch" && q.ifAccepted !== undefined,
    });
    if (entry.occurrences > 1 || entry.decision?.decision !== "accept" || !entry.acceptable || q.ifAccepted === undefined) continue;
    const row = q.ifAccepted;
    const original = input.base === "gross" ? row.gross : row.net;
    const converted = convertAmounts(input.fx, row.currency, row.createdAt, { amount: original });
    if (!converted.ok) {
      add({ id: reviewId(agreementId, "no-fx-rate", q.raw), reason: "no-fx-rate", detail: converted.detail, file: q.file, line: q.line, raw: q.raw, createdAt: row.createdAt, transactionId: row.id, acceptable: false });
      continue;
    }
    transactions.push({
      id: row.id,
      createdAt: row.createdAt,
      amount: converted.usd.amount,
      file: q.file,
      line: q.line,
      ...(converted.conversions ? { conversion: converted.conversions.amount } : {}),
      acceptedAs: entry.id,
    });
  }

  // conflicts: variants of an id other than its first copy
  const variants = new Map<string, SourcedTransaction[]>();
  for (const t of transactions) {
    const list = variants.get(t.id);
    if (!list) variants.set(t.id, [t]);
    else if (!list.some((v) => figuresKey(v) === figuresKey(t))) list.push(t);
  }
  const dropped = new Set<SourcedTransaction>();
  const keepOnly = new Map<string, string>();
  for (const [id, list] of variants) {
    if (list.length < 2) continue;
    const first = list[0];
    const accepted: { entry: ReviewEntry; variant: SourcedTransaction }[] = [];
    for (const variant of list.slice(1)) {
      const entry = add({
        id: reviewId(agreementId, "conflict", `${id}\n${variant.createdAt}\n${variant.amount}`),
        reason: "conflict",
        detail:
          `transaction ${id} appears at ${variant.file ?? "?"}:${variant.line ?? "?"} as ${isoOf(variant.createdAt)} ${show(variant.amount)} USD, ` +
          `but first at ${first.file ?? "?"}:${first.line ?? "?"} as ${isoOf(first.createdAt)} ${show(first.amount)} USD. ` +
          "Accept this copy to count it instead of the first, or reject it to keep the first.",
        file: variant.file,
        line: variant.line,
        createdAt: variant.createdAt,
        firstCreatedAt: first.createdAt,
        reportedIn: input.assigned.get(id),
        transactionId: id,
        acceptable: true,
      });
      if (entry.decision?.decision === "accept") accepted.push({ entry, variant });
    }
    if (accepted.length > 0) {
      // the latest acceptance wins (accepting a second variant is refused when it is made)
      const winner = accepted.sort((a, b) => (a.entry.decision!.decidedAt < b.entry.decision!.decidedAt ? -1 : 1))[accepted.length - 1];
      keepOnly.set(id, figuresKey(winner.variant));
    } else {
      for (const variant of list.slice(1)) {
        const entry = entries.get(reviewId(agreementId, "conflict", `${id}\n${variant.createdAt}\n${variant.amount}`))!;
        if (entry.decision?.decision === "reject") dropped.add(variant);
      }
    }
  }
  const droppedKeys = new Set([...dropped].map((t) => `${t.id}\n${figuresKey(t)}`));
  const resolved = transactions.filter((t) => {
    const only = keepOnly.get(t.id);
    if (only !== undefined) return figuresKey(t) === only;
    return !droppedKeys.has(`${t.id}\n${figuresKey(t)}`);
  });

  // missing: reported ids gone from the inputs
  const present = new Set(resolved.map((t) => t.id));
  const assigned = new Map(input.assigned);
  for (const [id, period] of input.assigned) {
    if (present.has(id)) continue;
    const entry = add({
      id: reviewId(agreementId, "missing", id),
      reason: "missing",
      detail: `transaction ${id} was reported in period ${period} but is no longer in the inputs; put its file back, or reject this entry to restate period ${period} without it`,
      reportedIn: period,
      transactionId: id,
      acceptable: false,
    });
    if (entry.decision?.decision === "reject") assigned.delete(id);
  }
  return { transactions: resolved, assigned, entries: [...entries.values()] };
}

/** Whether an entry still holds its period: no decision yet. */
export const undecided = (entry: ReviewEntry): boolean => entry.decision === undefined;
