// `revenue run` and `revenue plan` (SERVICES §3): per configured agreement, read the inputs and
// the chain, apply the operators' quarantine decisions, plan every period, then (run) resend what
// a crash left in the outbox and sign, persist, send and commit each report in period order.
// The figures are recomputed from all inputs on every run. Both print one line per period and a
// summary line per agreement.
import { basename, join } from "node:path";
import { withRetry } from "../../sdk/chain";
import { DsxError } from "../../sdk/errors";
import { signerSetWarnings, type SignerSetView } from "../common/signerSet";
import { writeFileAtomic } from "../state/files";
import type { AgreementSetting } from "./config";
import type { RevenueContext } from "./context";
import { deliverReport, type Delivery } from "./deliver";
import { evidenceFile, recordReportTransaction, writeEvidence, type ReportDescription } from "./evidenceFiles";
import { readRevenueInputs, type RevenueInputs } from "./inputs";
import { chainNow, readAgreement, readPeriods, readRevenueSigners } from "./ledger";
import { planAgreement, type PeriodDecision, type PeriodRow, type RevenuePlan } from "./plan";
import { reviewAgreement, type ReviewEntry, type ReviewResult, type SourcedTransaction } from "./review";
import { signRevenueReport } from "./signing";
import type { OutboxEntry } from "./store";
import { formatAgreementLine, formatPeriodLine, formatPeriodTable, tallyOf, type AgreementTally } from "./table";

/** File of the rows waiting for review (and decided) of the last run, in the state folder. */
export const REVENUE_QUARANTINE_FILE = "quarantine.jsonl";

/** Options of {@link runRevenue}. */
export interface RevenueRunOptions {
  /** Resubmit Rejected periods whose figures are unchanged (the operator reviewed and confirms them). */
  confirmRejected?: boolean;
  /** Read input files written with decimal commas as such (`--decimal-comma`) instead of refusing them. */
  decimalComma?: boolean;
  /** Only these agreements (default: every configured one). */
  agreementIds?: readonly bigint[];
  /**
   * @deprecated Gone (SERVICES §3 v1.1): it has no effect but a warning. Quarantined rows are
   * decided one by one with `dsx revenue quarantine accept | reject`.
   */
  acceptQuarantine?: boolean;
}

/** A report this run confirmed on chain. */
export interface ReportOutcome {
  agreementId: string;
  periodIndex: number;
  version: number;
  revenue: string;
  evidenceHash: string;
  txHash: string;
  /** new / restated / confirmed (a Rejected report resubmitted as is) / resent (from the outbox). */
  why: "new" | "restated" | "confirmed" | "resent";
}

/** The lines of one agreement's table (text output) and its tally. */
export interface AgreementOutput {
  agreementId: string;
  /** The period lines printed (run: what it sent, held or flagged; plan: every period). */
  lines: string[];
  tally: AgreementTally;
  /** Every period's row (for --json). */
  periods: PeriodRow[];
}

/** What a run did; printed by {@link formatRunSummary}. */
export interface RevenueRunSummary {
  agreements: number;
  files: number;
  rowsRead: number;
  revenueRows: number;
  ignored: number;
  /** Rows the adapters quarantined (decided or not). */
  quarantined: number;
  /** Review entries (quarantined rows, conflicts, missing rows) no one has decided: they hold their periods. */
  toReview: number;
  /** Review entries decided (accepted or rejected). */
  decided: number;
  duplicates: number;
  conflicts: number;
  outOfTerm: number;
  /** Late rows with no period left to take them (every period finalized). */
  unplaced: number;
  submitted: number;
  /** Outbox entries of an earlier run confirmed now (resent, or found already on chain). */
  resent: number;
  /** Outbox entries dropped: superseded on chain or their period finalized. */
  discarded: number;
  unchanged: number;
  /** Due periods held back by undecided review entries. */
  held: number;
  disputed: number;
  /** Rejected periods whose figures did not change: they wait for `--confirm-rejected` or corrected inputs. */
  rejectedUnchanged: number;
  /** Periods whose figure is 0 while they hold quarantined or decided rows. */
  flagged: number;
  gasUsed: bigint;
  reports: ReportOutcome[];
  /** Per agreement, its period lines and summary. */
  agreementOutputs: AgreementOutput[];
  errors: { agreementId?: string; message: string }[];
}

/** A summary with every count at zero. */
export function emptyRunSummary(): RevenueRunSummary {
  return {
    agreements: 0,
    files: 0,
    rowsRead: 0,
    revenueRows: 0,
    ignored: 0,
    quarantined: 0,
    toReview: 0,
    decided: 0,
    duplicates: 0,
    conflicts: 0,
    outOfTerm: 0,
    unplaced: 0,
    submitted: 0,
    resent: 0,
    discarded: 0,
    unchanged: 0,
    held: 0,
    disputed: 0,
    rejectedUnchanged: 0,
    flagged: 0,
    gasUsed: 0n,
    reports: [],
    agreementOutputs: [],
    errors: [],
  };
}

/** The run's last line, always printed. */
export function formatRunTotals(s: RevenueRunSummary): string {
  return (
    `revenue run: ${s.agreements} agreements, ${s.files} files, ${s.rowsRead} rows read ` +
    `(${s.revenueRows} revenue, ${s.ignored} ignored, ${s.quarantined} quarantined, ${s.duplicates} duplicate, ${s.conflicts} conflicting, ${s.outOfTerm} out of term), ` +
    `${s.toReview} to review, ${s.decided} decided, ` +
    `${s.submitted} reports submitted, ${s.resent} resent, ${s.discarded} discarded, ${s.unchanged} unchanged, ` +
    `${s.held} held, ${s.disputed} disputed, ${s.rejectedUnchanged} rejected awaiting review, ${s.flagged} flagged, gas used ${s.gasUsed}, ${s.errors.length} errors`
  );
}

/** The run's text output: per agreement its period lines and summary line, then the totals line. */
export function formatRunSummary(s: RevenueRunSummary): string {
  const lines = s.agreementOutputs.flatMap((a) => [...a.lines, formatAgreementLine(a.tally, "run")]);
  return [...lines, formatRunTotals(s)].join("\n");
}

/** One line for an error: our errors carry their fix, others their first line. */
export function errorLine(err: unknown): string {
  if (err instanceof DsxError) return err.message;
  const message = err instanceof Error ? ((err as { shortMessage?: string }).shortMessage ?? err.message) : String(err);
  return message.split("\n")[0];
}

/** Everything known about one agreement before anything is signed. */
export interface AgreementPrepared {
  setting: AgreementSetting;
  inputs: RevenueInputs;
  review: ReviewResult;
  /** Undefined when the agreement is not accepted yet (nothing can be reported). */
  plan?: RevenuePlan;
  notAccepted?: string;
}

/**
 * Reads an agreement's inputs, applies the decisions and plans its periods against the chain
 * (no signing, no sending): `revenue plan` prints it, `revenue run` acts on it.
 */
export async function prepareAgreement(
  ctx: RevenueContext,
  setting: AgreementSetting,
  options: { decimalComma?: boolean; confirmRejected?: boolean } = {},
): Promise<AgreementPrepared> {
  const { publicClient } = ctx.clients;
  const ledger = ctx.deployment.ledger;
  const id = setting.id;
  const inputs = await readRevenueInputs(setting, { fx: ctx.fx, decimalComma: options.decimalComma });
  const review = reviewAgreement({
    agreementId: id,
    base: setting.base,
    fx: ctx.fx,
    transactions: inputs.transactions,
    quarantined: inputs.quarantined,
    assigned: ctx.store.assignments(id),
    decisions: ctx.store.decisions(id),
  });
  const agreement = await withRetry(() => readAgreement(publicClient, ledger, id), ctx.retry);
  if (agreement.acceptedAt === 0n) return { setting, inputs, review, notAccepted: agreement.status };
  const [now, chain] = await withRetry(
    () => Promise.all([chainNow(publicClient), readPeriods(publicClient, ledger, id, agreement.schedule.periodCount)]),
    ctx.retry,
  );
  const plan = planAgreement({
    agreementId: id,
    schedule: agreement.schedule,
    chain,
    transactions: review.transactions,
    entries: review.entries,
    assigned: review.assigned,
    inFlight: new Set(ctx.store.outbox(id).map((e) => e.report.periodIndex)),
    now,
    dataLagSeconds: BigInt(ctx.config.dataLagSeconds),
    confirmRejected: options.confirmRejected,
  });
  return { setting, inputs, review, plan };
}

interface RunState {
  ctx: RevenueContext;
  options: RevenueRunOptions;
  summary: RevenueRunSummary;
  quarantine: string[];
  signerSet?: SignerSetView;
}

/** A line of `quarantine.jsonl`: one review entry, decided or not. */
export function quarantineLine(entry: ReviewEntry, period: number | undefined): string {
  return `${JSON.stringify({
    id: entry.id,
    agreementId: entry.agreementId,
    reason: entry.reason,
    detail: entry.detail,
    file: entry.file,
    line: entry.line,
    createdAt: entry.createdAt === undefined ? undefined : new Date(Number(entry.createdAt) * 1000).toISOString(),
    period,
    transactionId: entry.transactionId,
    occurrences: entry.occurrences,
    decision: entry.decision && { decision: entry.decision.decision, note: entry.decision.note, decidedBy: entry.decision.decidedBy, decidedAt: entry.decision.decidedAt },
    raw: entry.raw,
  })}\n`;
}

/**
 * Runs the revenue oracle once over every configured agreement (or those asked for). An
 * agreement that fails is named in `errors` and the others still run.
 * @example const summary = await runRevenue(ctx); console.log(formatRunSummary(summary));
 */
export async function runRevenue(ctx: RevenueContext, options: RevenueRunOptions = {}): Promise<RevenueRunSummary> {
  const state: RunState = { ctx, options, summary: emptyRunSummary(), quarantine: [] };
  if (options.acceptQuarantine) {
    ctx.log("acceptQuarantine (--accept-quarantine) is gone and has no effect: decide quarantined rows one by one with dsx revenue quarantine accept|reject <ids> --note …");
  }
  const wanted = options.agreementIds;
  for (const setting of ctx.config.agreements) {
    if (wanted && !wanted.includes(setting.id)) continue;
    state.summary.agreements += 1;
    try {
      await runAgreement(state, setting);
    } catch (err) {
      const message = errorLine(err);
      state.summary.errors.push({ agreementId: setting.id.toString(), message });
      state.summary.agreementOutputs.push({ agreementId: setting.id.toString(), lines: [], periods: [], tally: { ...tallyOf(setting.id.toString(), [], { rowsRead: 0, counted: 0, toReview: 0, decided: 0 }), error: message } });
      ctx.log(`agreement ${setting.id}: ${message}`);
    }
  }
  writeFileAtomic(join(ctx.config.stateDir, REVENUE_QUARANTINE_FILE), state.quarantine.join(""));
  return state.summary;
}

function countInputs(summary: RevenueRunSummary, inputs: RevenueInputs, entries: readonly ReviewEntry[]): void {
  summary.files += inputs.files.length;
  summary.rowsRead += inputs.counts.read;
  summary.revenueRows += inputs.counts.records;
  summary.ignored += inputs.counts.ignored;
  summary.quarantined += inputs.counts.quarantined;
  summary.toReview += entries.filter((e) => e.decision === undefined).length;
  summary.decided += entries.filter((e) => e.decision !== undefined).length;
}

/**
 * The revenue signer set, read once per run; the first read warns when the configured keys are
 * in a set PROGRAM proposed but not in force, or the reverse.
 */
async function signerSetOf(state: RunState): Promise<SignerSetView> {
  if (state.signerSet !== undefined) return state.signerSet;
  const { ctx } = state;
  const set = await withRetry(() => readRevenueSigners(ctx.clients.publicClient, ctx.deployment.ledger), ctx.retry);
  for (const warning of signerSetWarnings(ctx.signers.map((a) => a.address), set, "the revenue signer set")) ctx.log(warning);
  state.signerSet = set;
  return set;
}

/** The description of a report kept beside its evidence: figures, rows with their sources, conversions and decisions. */
function describe(ctx: RevenueContext, setting: AgreementSetting, d: Extract<PeriodDecision, { kind: "submit" }>, prepared: AgreementPrepared, signatures: readonly `0x${string}`[]): ReportDescription {
  const plan = prepared.plan as RevenuePlan;
  const byId = new Map<string, SourcedTransaction>();
  for (const t of prepared.review.transactions) if (!byId.has(t.id)) byId.set(t.id, t);
  const rows = d.figures.items.map((item) => {
    const t = byId.get(item.id);
    return { id: item.id, amount: item.amount.toString(), ...(t?.file ? { file: t.file, line: t.line } : {}), ...(t?.acceptedAs ? { acceptedAs: t.acceptedAs } : {}) };
  });
  const conversions = d.figures.items.flatMap((item) => {
    const c = byId.get(item.id)?.conversion;
    return c ? [{ id: item.id, currency: c.currency, date: c.date, usdPerUnit: c.usdPerUnit, amount: c.amount.toString(), usd: c.usd.toString() }] : [];
  });
  const decisions = prepared.review.entries.filter((e) => e.decision !== undefined && plan.placement.get(e.id) === d.index).map((e) => e.decision!);
  const row = plan.rows[d.index];
  return {
    chainId: ctx.config.chainId,
    ledger: ctx.deployment.ledger,
    agreementId: setting.id.toString(),
    periodIndex: d.index,
    version: d.report.version,
    periodStart: new Date(Number(d.figures.periodStart) * 1000).toISOString(),
    periodEnd: new Date(Number(d.figures.periodEnd) * 1000).toISOString(),
    base: setting.base,
    sum: d.figures.sum.toString(),
    carryIn: d.figures.carryIn.toString(),
    revenue: d.figures.revenue.toString(),
    carryOut: d.figures.carryOut.toString(),
    transactions: d.figures.items.length,
    evidenceHash: d.evidence.evidenceHash,
    evidenceFile: basename(evidenceFile(ctx.config.evidenceDir, d.evidence.evidenceHash)),
    signatures: [...signatures],
    rows,
    ...(ctx.fx ? { fxRates: ctx.fx.file } : {}),
    conversions,
    decisions,
    ...(row.flagged ? { flagged: `revenue 0 while the period holds ${row.quarantined + row.accepted + row.rejected} quarantined or decided rows` } : {}),
    ...(prepared.inputs.decimalCommaFiles.length > 0 ? { decimalCommaFiles: prepared.inputs.decimalCommaFiles } : {}),
  };
}

async function runAgreement(state: RunState, setting: AgreementSetting): Promise<void> {
  const { ctx, summary } = state;
  if (ctx.signers.length > 0) await signerSetOf(state);
  const id = setting.id;
  const agreementId = id.toString();

  // the outbox first: a report a crash left behind lands before anything is planned again
  const sentLines: string[] = [];
  const pending = ctx.store.outbox(id);
  if (pending.length > 0) {
    const agreement = await withRetry(() => readAgreement(ctx.clients.publicClient, ctx.deployment.ledger, id), ctx.retry);
    if (agreement.acceptedAt !== 0n) for (const entry of pending) await settle(state, entry, await deliverReport(ctx, entry), "resent", sentLines);
  }

  const prepared = await prepareAgreement(ctx, setting, { decimalComma: state.options.decimalComma, confirmRejected: state.options.confirmRejected });
  const { inputs, review, plan } = prepared;
  countInputs(summary, inputs, review.entries);
  for (const file of inputs.decimalCommaFiles) ctx.log(`agreement ${id}: ${file} read with decimal commas (--decimal-comma)`);
  const output: AgreementOutput = {
    agreementId,
    lines: sentLines,
    periods: plan?.rows ?? [],
    tally: tallyOf(agreementId, plan?.rows ?? [], {
      rowsRead: inputs.counts.read,
      counted: review.transactions.length,
      toReview: review.entries.filter((e) => e.decision === undefined).length,
      decided: review.entries.filter((e) => e.decision !== undefined).length,
      heldFrom: plan?.heldFrom,
    }),
  };
  summary.agreementOutputs.push(output);
  for (const e of review.entries) state.quarantine.push(quarantineLine(e, plan?.placement.get(e.id)));
  if (plan === undefined) {
    ctx.log(`agreement ${id}: not accepted (${prepared.notAccepted}); nothing can be reported yet`);
    return;
  }

  const a = plan.assignment;
  summary.duplicates += a.duplicates.length;
  summary.conflicts += a.conflicts.length;
  summary.outOfTerm += a.outOfTerm.length;
  summary.unplaced += a.unplaced.length;
  if (a.unplaced.length > 0) {
    ctx.log(`agreement ${id}: ${a.unplaced.length} transactions (${a.unplaced.slice(0, 3).map((t) => t.id).join(", ")}${a.unplaced.length > 3 ? ", …" : ""}) arrived after every period was finalized; they are not reported`);
  }
  if (plan.heldFrom !== undefined) {
    ctx.log(`agreement ${id}: periods from ${plan.heldFrom} on are held: ${plan.holds.length} rows to review (dsx revenue quarantine list --agreement ${id})`);
  }
  for (const d of plan.decisions) count(summary, d, ctx, id);
  for (const row of plan.rows) {
    if (row.flagged) summary.flagged += 1;
    // what is not sent is printed now; what is sent, once it has landed
    if (row.action === "held" || row.action === "disputed" || row.action === "rejected-unchanged" || (row.flagged && row.action !== "submit")) {
      output.lines.push(formatPeriodLine(agreementId, row));
    }
  }

  for (const d of plan.decisions) {
    if (d.kind !== "submit") continue;
    const signatures = await signRevenueReport(ctx.domain, d.report, ctx.signers, await signerSetOf(state));
    const entry: OutboxEntry = {
      report: d.report,
      signatures,
      evidence: d.evidence.json,
      transactionIds: d.figures.items.map((i) => i.id),
      createdAt: Math.floor(Date.now() / 1000),
    };
    writeEvidence(ctx.config.evidenceDir, d.evidence.json, describe(ctx, setting, d, prepared, signatures), d.report);
    ctx.store.persist(entry);
    const row = plan.rows[d.index];
    if (row.flagged) ctx.log(`agreement ${id} period ${d.index}: ${formatPeriodLine(agreementId, row).split(" — ")[1]}`);
    await settle(state, entry, await deliverReport(ctx, entry), d.why, output.lines, row);
  }
  output.tally.submitted = summary.reports.filter((r) => r.agreementId === agreementId && r.why !== "resent").length;
  output.tally.revenue = summary.reports.filter((r) => r.agreementId === agreementId && r.why !== "resent").reduce((s, r) => s + BigInt(r.revenue), 0n);
}

function count(summary: RevenueRunSummary, d: PeriodDecision, ctx: RevenueContext, id: bigint): void {
  if (d.kind === "unchanged") summary.unchanged += 1;
  else if (d.kind === "held") summary.held += 1;
  else if (d.kind === "disputed") {
    summary.disputed += 1;
    ctx.log(`agreement ${id} period ${d.index}: disputed; waiting for the program's resolution`);
  } else if (d.kind === "rejected-unchanged") {
    summary.rejectedUnchanged += 1;
    ctx.log(`agreement ${id} period ${d.index}: rejected and the figures are unchanged; correct the inputs or pass --confirm-rejected`);
  }
}

async function settle(state: RunState, entry: OutboxEntry, delivery: Delivery, why: ReportOutcome["why"], lines: string[], row?: PeriodRow): Promise<void> {
  const { ctx, summary } = state;
  const r = entry.report;
  const agreementId = r.agreementId.toString();
  const name = `agreement ${agreementId} period ${r.periodIndex} v${r.version}`;
  if (delivery.kind === "confirmed") {
    ctx.store.commit(entry, delivery.txHash, delivery.blockNumber);
    recordReportTransaction(ctx.config.evidenceDir, r, entry.evidence, delivery);
    summary.gasUsed += delivery.gasUsed;
    if (why === "resent") summary.resent += 1;
    else summary.submitted += 1;
    summary.reports.push({
      agreementId,
      periodIndex: r.periodIndex,
      version: r.version,
      revenue: r.revenue.toString(),
      evidenceHash: r.evidenceHash,
      txHash: delivery.txHash,
      why,
    });
    ctx.log(`${name}: revenue ${r.revenue} reported (${why}) in ${delivery.txHash}`);
    lines.push(
      row
        ? formatPeriodLine(agreementId, row, { txHash: delivery.txHash })
        : `agreement ${agreementId} period ${r.periodIndex}: resent v${r.version} (signed by an earlier run) in ${delivery.txHash}, revenue ${r.revenue} units, evidence ${r.evidenceHash}`,
    );
  } else if (delivery.kind === "disputed") {
    summary.disputed += 1;
    ctx.log(`${name}: kept in the outbox; the period is disputed`);
  } else {
    ctx.store.discard(r);
    summary.discarded += 1;
    const reason = delivery.kind === "finalized" ? "the period was finalized first" : `the chain holds version ${delivery.chainVersion} with other figures`;
    ctx.log(`${name}: dropped from the outbox: ${reason}`);
  }
}

/** What `revenue plan` found; printed by {@link formatPlanSummary}. */
export interface RevenuePlanSummary {
  agreements: AgreementOutput[];
  errors: { agreementId?: string; message: string }[];
}

/** An empty plan summary. */
export function emptyPlanSummary(): RevenuePlanSummary {
  return { agreements: [], errors: [] };
}

/**
 * Previews what `revenue run` would submit, per agreement and period, without signing or
 * sending anything (and without resending the outbox: its periods show as in flight).
 * @example console.log(formatPlanSummary(await planRevenue(ctx)));
 */
export async function planRevenue(ctx: RevenueContext, options: { agreementIds?: readonly bigint[]; decimalComma?: boolean } = {}): Promise<RevenuePlanSummary> {
  const summary = emptyPlanSummary();
  for (const setting of ctx.config.agreements) {
    if (options.agreementIds && !options.agreementIds.includes(setting.id)) continue;
    const agreementId = setting.id.toString();
    try {
      const prepared = await prepareAgreement(ctx, setting, { decimalComma: options.decimalComma });
      const rows = prepared.plan?.rows ?? [];
      const tally = tallyOf(agreementId, rows, {
        rowsRead: prepared.inputs.counts.read,
        counted: prepared.review.transactions.length,
        toReview: prepared.review.entries.filter((e) => e.decision === undefined).length,
        decided: prepared.review.entries.filter((e) => e.decision !== undefined).length,
        heldFrom: prepared.plan?.heldFrom,
      });
      const lines = prepared.plan ? formatPeriodTable(agreementId, rows) : [`agreement ${agreementId}: not accepted (${prepared.notAccepted}); nothing can be reported yet`];
      summary.agreements.push({ agreementId, lines, tally, periods: rows });
    } catch (err) {
      const message = errorLine(err);
      summary.errors.push({ agreementId, message });
      summary.agreements.push({ agreementId, lines: [], periods: [], tally: { ...tallyOf(agreementId, [], { rowsRead: 0, counted: 0, toReview: 0, decided: 0 }), error: message } });
    }
  }
  return summary;
}

/** The plan's text: per agreement its period lines and summary line. */
export function formatPlanSummary(s: RevenuePlanSummary): string {
  const lines = s.agreements.flatMap((a) => [...a.lines, formatAgreementLine(a.tally, "plan")]);
  const toSubmit = s.agreements.reduce((n, a) => n + a.tally.toSubmit, 0);
  const flagged = s.agreements.reduce((n, a) => n + a.tally.flagged, 0);
  const toReview = s.agreements.reduce((n, a) => n + a.tally.toReview, 0);
  lines.push(`revenue plan: ${s.agreements.length} agreements, ${toSubmit} reports to submit, ${toReview} rows to review, ${flagged} flagged, ${s.errors.length} errors (nothing signed or sent)`);
  return lines.join("\n");
}
