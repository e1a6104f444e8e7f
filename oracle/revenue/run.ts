// `revenue run` (SERVICES §3): per configured agreement, read the inputs and the chain, resend
// what a crash left in the outbox, plan every period, then sign, persist, send and commit each
// report in period order. The figures are recomputed from all inputs on every run.
import { basename, join } from "node:path";
import { withRetry } from "../../sdk/chain";
import { DsxError } from "../../sdk/errors";
import type { AgreementSetting } from "./config";
import type { RevenueContext } from "./context";
import { deliverReport, type Delivery } from "./deliver";
import { evidenceFile, recordReportTransaction, writeEvidence, writeFileAtomic } from "./evidenceFiles";
import { readRevenueInputs, type RevenueInputs } from "./inputs";
import { chainNow, readAgreement, readPeriods, readRevenueSigners } from "./ledger";
import { planAgreement, type PeriodDecision } from "./plan";
import { signRevenueReport } from "./signing";
import { signerSetWarnings, type SignerSetView } from "../common/signerSet";
import type { OutboxEntry } from "./store";

/** File of the quarantined rows of the last run, in the state folder. */
export const REVENUE_QUARANTINE_FILE = "quarantine.jsonl";

/** Options of {@link runRevenue}. */
export interface RevenueRunOptions {
  /** Report periods although rows are quarantined (after the operator's review). */
  acceptQuarantine?: boolean;
  /** Resubmit Rejected periods whose figures are unchanged (the operator reviewed and confirms them). */
  confirmRejected?: boolean;
  /** Only these agreements (default: every configured one). */
  agreementIds?: readonly bigint[];
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

/** What a run did; printed as one line by {@link formatRunSummary}. */
export interface RevenueRunSummary {
  agreements: number;
  files: number;
  rowsRead: number;
  revenueRows: number;
  ignored: number;
  quarantined: number;
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
  /** Due periods held back by quarantined, conflicting or missing rows. */
  held: number;
  disputed: number;
  /** Rejected periods whose figures did not change: they wait for `--confirm-rejected` or corrected inputs. */
  rejectedUnchanged: number;
  gasUsed: bigint;
  reports: ReportOutcome[];
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
    gasUsed: 0n,
    reports: [],
    errors: [],
  };
}

/** The one summary line a run always prints. */
export function formatRunSummary(s: RevenueRunSummary): string {
  return (
    `revenue run: ${s.agreements} agreements, ${s.files} files, ${s.rowsRead} rows read ` +
    `(${s.revenueRows} revenue, ${s.ignored} ignored, ${s.quarantined} quarantined, ${s.duplicates} duplicate, ${s.conflicts} conflicting, ${s.outOfTerm} out of term), ` +
    `${s.submitted} reports submitted, ${s.resent} resent, ${s.discarded} discarded, ${s.unchanged} unchanged, ` +
    `${s.held} held, ${s.disputed} disputed, ${s.rejectedUnchanged} rejected awaiting review, gas used ${s.gasUsed}, ${s.errors.length} errors`
  );
}

/** One line for an error: our errors carry their fix, others their first line. */
export function errorLine(err: unknown): string {
  if (err instanceof DsxError) return err.message;
  const message = err instanceof Error ? ((err as { shortMessage?: string }).shortMessage ?? err.message) : String(err);
  return message.split("\n")[0];
}

interface RunState {
  ctx: RevenueContext;
  options: RevenueRunOptions;
  summary: RevenueRunSummary;
  quarantine: string[];
  signerSet?: SignerSetView;
}

/**
 * Runs the revenue oracle once over every configured agreement (or those asked for). An
 * agreement that fails is named in `errors` and the others still run.
 * @example const summary = await runRevenue(ctx, { acceptQuarantine: false }); console.log(formatRunSummary(summary));
 */
export async function runRevenue(ctx: RevenueContext, options: RevenueRunOptions = {}): Promise<RevenueRunSummary> {
  const state: RunState = { ctx, options, summary: emptyRunSummary(), quarantine: [] };
  const wanted = options.agreementIds;
  for (const setting of ctx.config.agreements) {
    if (wanted && !wanted.includes(setting.id)) continue;
    state.summary.agreements += 1;
    try {
      await runAgreement(state, setting);
    } catch (err) {
      const message = errorLine(err);
      state.summary.errors.push({ agreementId: setting.id.toString(), message });
      ctx.log(`agreement ${setting.id}: ${message}`);
    }
  }
  writeFileAtomic(join(ctx.config.stateDir, REVENUE_QUARANTINE_FILE), state.quarantine.join(""));
  return state.summary;
}

function countInputs(summary: RevenueRunSummary, inputs: RevenueInputs): void {
  summary.files += inputs.files.length;
  summary.rowsRead += inputs.counts.read;
  summary.revenueRows += inputs.counts.records;
  summary.ignored += inputs.counts.ignored;
  summary.quarantined += inputs.counts.quarantined;
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

async function runAgreement(state: RunState, setting: AgreementSetting): Promise<void> {
  const { ctx, summary } = state;
  if (ctx.signers.length > 0) await signerSetOf(state);
  const { publicClient } = ctx.clients;
  const ledger = ctx.deployment.ledger;
  const id = setting.id;

  const inputs = await readRevenueInputs(setting);
  countInputs(summary, inputs);
  for (const q of inputs.quarantined) {
    const createdAt = q.createdAt === undefined ? undefined : new Date(Number(q.createdAt) * 1000).toISOString();
    state.quarantine.push(`${JSON.stringify({ agreementId: id.toString(), file: q.file, line: q.line, reason: q.reason, detail: q.detail, createdAt, raw: q.raw })}\n`);
  }

  const agreement = await withRetry(() => readAgreement(publicClient, ledger, id), ctx.retry);
  if (agreement.acceptedAt === 0n) {
    ctx.log(`agreement ${id}: not accepted (${agreement.status}); nothing can be reported yet`);
    return;
  }

  for (const entry of ctx.store.outbox(id)) await settle(state, entry, await deliverReport(ctx, entry), "resent");

  const [now, chain] = await withRetry(
    () => Promise.all([chainNow(publicClient), readPeriods(publicClient, ledger, id, agreement.schedule.periodCount)]),
    ctx.retry,
  );
  const plan = planAgreement({
    agreementId: id,
    schedule: agreement.schedule,
    chain,
    transactions: inputs.transactions,
    quarantined: inputs.quarantined,
    assigned: ctx.store.assignments(id),
    inFlight: new Set(ctx.store.outbox(id).map((e) => e.report.periodIndex)),
    now,
    dataLagSeconds: BigInt(ctx.config.dataLagSeconds),
    acceptQuarantine: state.options.acceptQuarantine,
    confirmRejected: state.options.confirmRejected,
  });
  const a = plan.assignment;
  summary.duplicates += a.duplicates.length;
  summary.conflicts += a.conflicts.length;
  summary.outOfTerm += a.outOfTerm.length;
  summary.unplaced += a.unplaced.length;
  for (const t of a.unplaced) ctx.log(`agreement ${id}: transaction ${t.id} arrived after every period was finalized; it is not reported`);
  if (plan.heldFrom !== undefined) {
    ctx.log(`agreement ${id}: periods from ${plan.heldFrom} on are held (${plan.holds.length} rows to review; see ${REVENUE_QUARANTINE_FILE}, or pass --accept-quarantine)`);
    for (const h of plan.holds) ctx.log(`agreement ${id}: holds period ${h.period}: ${h.reason}: ${h.detail}`);
  }
  for (const d of plan.decisions) count(summary, d, ctx, id);

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
    writeEvidence(
      ctx.config.evidenceDir,
      d.evidence.json,
      {
        chainId: ctx.config.chainId,
        ledger,
        agreementId: id.toString(),
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
        signatures,
      },
      d.report,
    );
    ctx.store.persist(entry);
    await settle(state, entry, await deliverReport(ctx, entry), d.why);
  }
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

async function settle(state: RunState, entry: OutboxEntry, delivery: Delivery, why: ReportOutcome["why"]): Promise<void> {
  const { ctx, summary } = state;
  const r = entry.report;
  const name = `agreement ${r.agreementId} period ${r.periodIndex} v${r.version}`;
  if (delivery.kind === "confirmed") {
    ctx.store.commit(entry, delivery.txHash, delivery.blockNumber);
    recordReportTransaction(ctx.config.evidenceDir, r, entry.evidence, delivery);
    summary.gasUsed += delivery.gasUsed;
    if (why === "resent") summary.resent += 1;
    else summary.submitted += 1;
    summary.reports.push({
      agreementId: r.agreementId.toString(),
      periodIndex: r.periodIndex,
      version: r.version,
      revenue: r.revenue.toString(),
      evidenceHash: r.evidenceHash,
      txHash: delivery.txHash,
      why,
    });
    ctx.log(`${name}: revenue ${r.revenue} reported (${why}) in ${delivery.txHash}`);
  } else if (delivery.kind === "disputed") {
    summary.disputed += 1;
    ctx.log(`${name}: kept in the outbox; the period is disputed`);
  } else {
    ctx.store.discard(r);
    summary.discarded += 1;
    const why = delivery.kind === "finalized" ? "the period was finalized first" : `the chain holds version ${delivery.chainVersion} with other figures`;
    ctx.log(`${name}: dropped from the outbox: ${why}`);
  }
}
