// Agreements and their sub-resources, answered from indexed rows (PROTOCOL §12 figures). Each answer is one
// SQL statement that also selects the checkpoint (services/snapshot.ts): one round trip, one snapshot.
import { sql, type Selectable, type SelectQueryBuilder } from "kysely";
import { limitsInForce, reportingClose as reportingCloseOf, REPORTING_CLOSE_PAUSED } from "../../sdk/ledgerRules";
import type { AgreementsTable, AuditsTable, Database, DistributionsTable, PaymentsTable, PositionsTable, UsageLinesTable } from "../db/schema";
import { POSITION_COLUMNS } from "../db/schema";
import { checkpointNowSql, delinquentSql } from "../db/rules";
import { RawJson } from "../http/rawJson";
import { qb, QueryTemplate } from "../db/template";
import type {
  Agreement,
  AgreementSummary,
  Audit,
  Distribution,
  Payment,
  Position,
  RevenuePeriod,
  UsageLine,
} from "../schemas/resources";
import { cursorShapes, decodeCursor, paginate } from "./cursor";
import { addr, iso, isoOrNull } from "./format";
import { migrationAt } from "./pending";
import { checkpointOnce, stateOf, type ReadContext, type Reader } from "./snapshot";

/** An agreement row with `_delinquent` (api/db/rules.ts) selected beside it. */
type AgreementRow = Selectable<AgreementsTable> & { _delinquent?: boolean | null };
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- rows of one-statement reads are shaped at run time
type AnyRow = Record<string, any>;

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** The two program figures an agreement's R depends on. */
interface PauseState {
  paused: boolean;
  lastUnpausedAt: number;
}

const pauseOf = (row: AnyRow | undefined): PauseState => ({
  paused: row?._pr_paused ?? false,
  lastUnpausedAt: row?._pr_last_unpaused_at ?? 0,
});

/** R of PROTOCOL §3 (sdk/ledgerRules.ts), null while paused (R = ∞). */
function reportingClose(a: AgreementRow, program: PauseState, grace: number): number | null {
  const close = reportingCloseOf({
    endTime: BigInt(a.end_time),
    terminatedAt: BigInt(a.terminated_at),
    paused: program.paused,
    lastUnpausedAt: BigInt(program.lastUnpausedAt),
    reportingGrace: BigInt(grace),
  });
  return close === REPORTING_CLOSE_PAUSED ? null : Number(close);
}

/** Whether the agreement is delinquent at the checkpoint, computed in the statement (api/db/rules.ts). */
const delinquentColumn = (agreements: string) =>
  delinquentSql(sql.ref(`${agreements}.next_due`), checkpointNowSql("s")).as("_delinquent");

/** The agreement's latest audit, from the row's `last_audit` (kept by the indexer: api/db/schema.ts). */
function lastAuditOf(a: AgreementRow): Audit | null {
  if (!a.last_audit) return null;
  const [auditor, throughBlock, reportHash, clean, timestamp, blockNumber, logIndex, txHash] = JSON.parse(a.last_audit) as [string, string, string, boolean, number, number, number, string];
  return auditView({ agreement_id: a.id, auditor, through_block: throughBlock, report_hash: reportHash, clean, timestamp, block_number: blockNumber, log_index: logIndex, tx_hash: txHash });
}

function summary(ctx: ReadContext, a: AgreementRow, program: PauseState): AgreementSummary {
  const outstanding = BigInt(a.obligation) - BigInt(a.paid);
  const close = reportingClose(a, program, ctx.state.reporting_grace);
  const startup = addr(a.startup);
  return {
    id: a.id,
    startup,
    status: a.status as AgreementSummary["status"],
    terms: {
      startup,
      creditLimit: a.credit_limit,
      revenueShareBps: a.revenue_share_bps,
      capMultipleBps: a.cap_multiple_bps,
      partnerFirstBps: a.partner_first_bps,
      startTime: iso(a.start_time),
      endTime: iso(a.end_time),
      periodDuration: a.period_duration,
      gracePeriod: a.grace_period,
      termsHash: a.terms_hash,
    },
    createdAt: iso(a.created_at),
    createdBlock: a.created_block,
    acceptedAt: isoOrNull(a.accepted_at),
    terminatedAt: isoOrNull(a.terminated_at),
    creditsMinted: a.credits_minted,
    consumed: a.consumed,
    cap: a.cap,
    obligation: a.obligation,
    paid: a.paid,
    outstanding: outstanding.toString(),
    delinquent: a._delinquent === true,
    nextDue: isoOrNull(a.next_due),
    nextPeriodToFinalize: a.next_period_to_finalize,
    periodCount: a.period_count,
    partnerCount: a.partner_count,
    reportingClose: close === null ? null : iso(close),
    lastAudit: lastAuditOf(a),
    pendingMigration: migrationAt(a.pending_migration_to, a.pending_migration_at, ctx.now),
  };
}

/** A position as `partnerPosition(id, partner)` shows it at the snapshot's time (limits: sdk/ledgerRules.ts). */
export function positionView(p: Selectable<PositionsTable>, now: number): Position {
  const limits = limitsInForce(
    {
      spendLimit: { value: BigInt(p.spend_limit), pending: BigInt(p.pending_spend_limit), pendingAt: BigInt(p.pending_spend_limit_at) },
      maxGpus: { value: BigInt(p.max_gpus), pending: BigInt(p.pending_max_gpus), pendingAt: BigInt(p.pending_max_gpus_at) },
    },
    BigInt(now),
  );
  return {
    partner: addr(p.partner),
    spendLimit: limits.spendLimit.toString(),
    maxGpus: Number(limits.maxGpus),
    pendingSpendLimit: limits.pendingSpendLimit.toString(),
    pendingSpendLimitAt: isoOrNull(Number(limits.pendingSpendLimitAt)),
    pendingMaxGpus: Number(limits.pendingMaxGpus),
    pendingMaxGpusAt: isoOrNull(Number(limits.pendingMaxGpusAt)),
    spent: p.spent,
    burnedAt: p.burned_at,
    receivable: p.receivable,
    paidToPartner: p.paid_to_partner,
    lastUsageEnd: isoOrNull(p.last_usage_end),
  };
}

/**
 * The checkpoint and, unless `program` is false, the program's pause figures (one statement; the rows are joined
 * beside them). The per-log lists need no pause figures: without that join their statement costs a fifth less.
 */
function atState(program = true) {
  const checkpoint = checkpointOnce({ program });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the derived table's columns depend on `program`
  return qb.selectFrom(checkpoint.table).select(checkpoint.columns as any) as SelectQueryBuilder<any, any, any>;
}

/**
 * `page` (a keyset page query) in one statement with the checkpoint (and the program's pause figures unless
 * `program` is false) and, when `agreementId` is given, whether that agreement exists; rows come back in `order`.
 */
function pageAtState(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any table's page
  page: SelectQueryBuilder<Database, any, any>,
  order: readonly string[],
  agreementId?: string,
  program = true,
) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the joined subquery's columns are known only at run time
  let q: any = atState(program).leftJoin(page.as("x"), (j) => j.onTrue()).selectAll("x");
  if (agreementId !== undefined) q = q.select(sql<boolean>`exists (select 1 from agreements where id = ${agreementId})`.as("_found"));
  for (const column of order) q = q.orderBy(`x.${column}`);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
  return q as SelectQueryBuilder<any, any, AnyRow>;
}

/** Runs a one-statement page read: the context, the page's rows, whether the agreement exists. */
async function runPage<A extends Record<string, unknown>, Row>(
  r: Reader,
  template: QueryTemplate<A, AnyRow>,
  args: A,
  key: string,
): Promise<{ ctx: ReadContext; rows: Row[]; found: boolean; first: AnyRow | undefined }> {
  const { rows } = await r.db.executeQuery(template.compile(args));
  const ctx = r.at(stateOf(rows[0]));
  const found = rows[0]?._found === true;
  return { ctx, rows: rows.filter((row) => row[key] !== null) as Row[], found, first: rows[0] };
}

export interface AgreementFilters {
  status?: AgreementSummary["status"];
  startup?: string;
  partner?: string;
  from?: number;
  to?: number;
  limit?: number;
  cursor?: string;
}

type AgreementListArgs = {
  status?: string;
  startup?: string;
  partner?: string;
  from?: number;
  to?: number;
  afterId?: string;
  take: number;
};

const agreementList = new QueryTemplate((a: AgreementListArgs) => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- with or without the positions join
  let q: SelectQueryBuilder<Database, any, any>;
  if (a.partner !== undefined) {
    // driven by the partner's positions (index positions_partner: partner, agreement_id): the page and its cursor
    // are a range of that index, so the cost is the page's, not the number of agreements before the cursor
    q = qb
      .selectFrom("positions as pp")
      .innerJoin("agreements", "agreements.id", "pp.agreement_id")
      .selectAll("agreements")
      .where("pp.partner", "=", a.partner);
    // the cursor bounds both sides of the join (the planner does not carry `>` across the join's equality)
    if (a.afterId !== undefined) q = q.where(sql.ref("pp.agreement_id"), ">", a.afterId).where("agreements.id", ">", a.afterId);
    q = q.orderBy("pp.agreement_id");
  } else {
    q = qb.selectFrom("agreements").selectAll();
    if (a.afterId !== undefined) q = q.where("agreements.id", ">", a.afterId);
    q = q.orderBy("agreements.id");
  }
  if (a.status !== undefined) q = q.where("agreements.status", "=", a.status);
  if (a.startup !== undefined) q = q.where("agreements.startup", "=", a.startup);
  // a creation window is an id range: ids are given in creation order and block times never decrease, so the
  // agreements created in [from, to) are those from the first one created at or after `from` up to (not including)
  // the first one created at or after `to`. Bounding the id (the page's order) keeps the read to the page; with
  // the times themselves as the condition every agreement of the window was read and sorted.
  const idColumn = a.partner !== undefined ? "pp.agreement_id" : "agreements.id";
  const firstCreatedFrom = (t: number) => sql`(select id from agreements where created_at >= ${t} order by created_at, id limit 1)`;
  // none created at or after `from`: null, so no row; none at or after `to`: no upper bound (10^78 > every uint256)
  if (a.from !== undefined) q = q.where(sql.ref(idColumn), ">=", firstCreatedFrom(a.from));
  if (a.to !== undefined) q = q.where(sql.ref(idColumn), "<", sql`coalesce(${firstCreatedFrom(a.to)}, 1e78)`);
  return pageAtState(q.limit(a.take), ["id"]).select(delinquentColumn("x"));
});

export async function listAgreements(r: Reader, f: AgreementFilters): Promise<Page<AgreementSummary>> {
  const limit = f.limit ?? 50;
  const after = decodeCursor(f.cursor, cursorShapes.uint);
  const { ctx, rows, first } = await runPage<AgreementListArgs, AgreementRow>(
    r,
    agreementList,
    { status: f.status, startup: f.startup, partner: f.partner, from: f.from, to: f.to, afterId: after?.[0], take: limit + 1 },
    "id",
  );
  const program = pauseOf(first);
  return paginate(rows, limit, (a) => summary(ctx, a, program), (a) => [a.id]);
}

const positionColumns = POSITION_COLUMNS.map((c) => sql.ref(`p.${c}`).as(`_p_${c}`));

/** One agreement with its positions: one statement (a row per position, the agreement's columns on each). */
const agreementById = new QueryTemplate((a: { id: string }) =>
  atState()
    .leftJoin("agreements as a", (j) => j.on("a.id", "=", a.id))
    .leftJoin("positions as p", (j) => j.onRef("p.agreement_id", "=", "a.id"))
    .selectAll("a")
    .select(delinquentColumn("a"))
    .select(positionColumns)
    .orderBy("p.list_index"),
);

export async function getAgreement(r: Reader, id: string): Promise<Agreement | undefined> {
  const { rows } = (await r.db.executeQuery(agreementById.compile({ id }))) as { rows: AnyRow[] };
  const ctx = r.at(stateOf(rows[0]));
  const a = rows[0] as AgreementRow | undefined;
  if (!a || a.id === null) return undefined;
  const partners: Position[] = [];
  for (const row of rows) {
    if (row._p_partner === null) continue;
    const p = {} as AnyRow;
    for (const c of POSITION_COLUMNS) p[c] = row[`_p_${c}`];
    partners.push(positionView(p as Selectable<PositionsTable>, ctx.now));
  }
  return { ...summary(ctx, a, pauseOf(rows[0])), partners };
}

export interface UsageFilters {
  partner?: string;
  accepted?: boolean;
  from?: number;
  to?: number;
  limit?: number;
  cursor?: string;
}

/** A sub-list of an agreement: undefined when the agreement is unknown (→ 404). */
export type SubPage<T> = Page<T> | undefined;

const LOG_ORDER = ["block_number", "log_index"] as const;

/** Arguments of a per-log sub-list of an agreement. */
type LogListArgs = {
  id: string;
  by?: string;
  accepted?: boolean;
  from?: number;
  to?: number;
  afterBlock?: number;
  afterLog?: number;
  take: number;
};

/** The page query over a per-log table; `byColumn` is the optional filter's column (part of the shape). */
function logList(table: "usage_lines" | EventTable, byColumn?: "partner" | "payer" | "beneficiary" | "auditor", columns?: readonly string[]) {
  return new QueryTemplate((a: LogListArgs) => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- four tables with the same key columns
    let q: SelectQueryBuilder<Database, any, any> = qb.selectFrom(table).where("agreement_id", "=", a.id);
    q = columns ? q.select(columns as never) : q.selectAll();
    if (a.by !== undefined && byColumn) q = q.where(byColumn, "=", a.by);
    if (a.accepted !== undefined) q = q.where("accepted", "=", a.accepted);
    if (a.from !== undefined) q = q.where("timestamp", ">=", a.from);
    if (a.to !== undefined) q = q.where("timestamp", "<", a.to);
    if (a.afterBlock !== undefined && a.afterLog !== undefined) {
      const [block, log] = [a.afterBlock, a.afterLog];
      q = q.where((eb) => eb.or([eb("block_number", ">", block), eb.and([eb("block_number", "=", block), eb("log_index", ">", log)])]));
    }
    return pageAtState(q.orderBy("block_number").orderBy("log_index").limit(a.take), LOG_ORDER, a.id, false);
  });
}

/** Usage lines are read as their stored views (`usage_lines.view`) and sent as is: one text column a row. */
const usageList = logList("usage_lines", "partner", ["block_number", "log_index", "view"]);

export async function listUsage(r: Reader, id: string, f: UsageFilters): Promise<SubPage<RawJson<UsageLine>>> {
  const limit = f.limit ?? 50;
  const after = decodeCursor(f.cursor, cursorShapes.log);
  const args: LogListArgs = { id, by: f.partner, accepted: f.accepted, from: f.from, to: f.to, afterBlock: after?.[0], afterLog: after?.[1], take: limit + 1 };
  const { rows, found } = await runPage<LogListArgs, Pick<UsageLinesTable, "block_number" | "log_index" | "view">>(r, usageList, args, "block_number");
  if (!found) return undefined;
  return paginate(rows, limit, (row) => new RawJson<UsageLine>(row.view), (row) => [row.block_number, row.log_index]);
}

export interface RevenueFilters {
  state?: RevenuePeriod["state"];
  limit?: number;
  cursor?: string;
}

/** Every period of the term (unreported ones as state None), by index. */
const revenueOf = new QueryTemplate((a: { id: string }) =>
  atState()
    .leftJoin("agreements as a", (j) => j.on("a.id", "=", a.id))
    .leftJoin("revenue_periods as rp", (j) => j.onRef("rp.agreement_id", "=", "a.id"))
    .leftJoin("dispute_reasons as dr", (j) => j.onRef("dr.hash", "=", "rp.dispute_reason_hash"))
    .select(["a.id as _a_id", "a.period_count as _a_period_count", "a.start_time as _a_start_time", "a.period_duration as _a_period_duration"])
    .selectAll("rp")
    .select("dr.text as _reason_text"),
);

export async function listRevenue(r: Reader, id: string, f: RevenueFilters): Promise<SubPage<RevenuePeriod>> {
  const limit = f.limit ?? 50;
  const after = decodeCursor(f.cursor, cursorShapes.index);
  const { rows } = (await r.db.executeQuery(revenueOf.compile({ id }))) as { rows: AnyRow[] };
  r.at(stateOf(rows[0]));
  const a = rows[0];
  if (!a || a._a_id === null) return undefined;
  const byIndex = new Map<number, AnyRow>();
  for (const row of rows) if (row.period_index !== null) byIndex.set(row.period_index as number, row);
  const periods: { index: number; view: RevenuePeriod }[] = [];
  const start = a._a_start_time as number;
  const duration = a._a_period_duration as number;
  for (let k = after ? after[0] + 1 : 0; k < (a._a_period_count as number); k++) {
    const p = byIndex.get(k);
    const view: RevenuePeriod = {
      periodIndex: k,
      periodStart: iso(start + k * duration),
      periodEnd: iso(start + (k + 1) * duration),
      state: (p?.state ?? "None") as RevenuePeriod["state"],
      version: p?.version ?? 0,
      revenue: p?.revenue ?? "0",
      evidenceHash: p?.evidence_hash ?? `0x${"0".repeat(64)}`,
      submittedAt: isoOrNull(p?.submitted_at ?? 0),
      disputedBy: p?.disputed_by ? addr(p.disputed_by) : null,
      disputeReasonHash: p?.dispute_reason_hash ?? null,
      disputeReasonText: p?.dispute_reason_hash ? ((p._reason_text as string | null) ?? null) : null,
      owed: p?.owed ?? "0",
      cumulativeObligation: p?.cumulative_obligation ?? "0",
      due: isoOrNull(p?.due ?? 0),
      finalizedAt: isoOrNull(p?.finalized_at ?? 0),
    };
    if (f.state && view.state !== f.state) continue;
    periods.push({ index: k, view });
    if (periods.length > limit) break;
  }
  return paginate(periods, limit, (p) => p.view, (p) => [p.index]);
}

export interface EventFilters {
  from?: number;
  to?: number;
  limit?: number;
  cursor?: string;
}

type EventTable = "payments" | "distributions" | "audits";

const eventLists = {
  payer: logList("payments", "payer"),
  beneficiary: logList("distributions", "beneficiary"),
  auditor: logList("audits", "auditor"),
};

async function listEvents<Row extends { block_number: number; log_index: number }>(
  r: Reader,
  by: keyof typeof eventLists,
  id: string,
  f: EventFilters & { by?: string },
): Promise<{ rows: Row[] | undefined; limit: number }> {
  const limit = f.limit ?? 50;
  const after = decodeCursor(f.cursor, cursorShapes.log);
  const args: LogListArgs = { id, by: f.by, from: f.from, to: f.to, afterBlock: after?.[0], afterLog: after?.[1], take: limit + 1 };
  const { rows, found } = await runPage<LogListArgs, Row>(r, eventLists[by], args, "block_number");
  return { rows: found ? rows : undefined, limit };
}

const eventFields = (r: { timestamp: number; block_number: number; tx_hash: string }) => ({
  recordedAt: iso(r.timestamp),
  blockNumber: r.block_number,
  txHash: r.tx_hash,
});

const logKey = (r: { block_number: number; log_index: number }) => [r.block_number, r.log_index];

export async function listPayments(r: Reader, id: string, f: EventFilters & { payer?: string }): Promise<SubPage<Payment>> {
  const { rows, limit } = await listEvents<Selectable<PaymentsTable>>(r, "payer", id, { ...f, by: f.payer });
  if (!rows) return undefined;
  const view = (p: Selectable<PaymentsTable>): Payment => ({
    agreementId: p.agreement_id,
    payer: addr(p.payer),
    amount: p.amount,
    toPartners: p.to_partners,
    toProgram: p.to_program,
    ...eventFields(p),
  });
  return paginate(rows, limit, view, logKey);
}

export async function listDistributions(r: Reader, id: string, f: EventFilters & { beneficiary?: string }): Promise<SubPage<Distribution>> {
  const { rows, limit } = await listEvents<Selectable<DistributionsTable>>(r, "beneficiary", id, { ...f, by: f.beneficiary });
  if (!rows) return undefined;
  const view = (d: Selectable<DistributionsTable>): Distribution => ({
    agreementId: d.agreement_id,
    beneficiary: addr(d.beneficiary),
    amount: d.amount,
    ...eventFields(d),
  });
  return paginate(rows, limit, view, logKey);
}

export function auditView(a: Selectable<AuditsTable>): Audit {
  return {
    agreementId: a.agreement_id,
    auditor: addr(a.auditor),
    throughBlock: a.through_block,
    reportHash: a.report_hash,
    clean: a.clean,
    ...eventFields(a),
  };
}

export async function listAudits(r: Reader, id: string, f: EventFilters & { auditor?: string }): Promise<SubPage<Audit>> {
  const { rows, limit } = await listEvents<Selectable<AuditsTable>>(r, "auditor", id, { ...f, by: f.auditor });
  if (!rows) return undefined;
  return paginate(rows, limit, auditView, logKey);
}
