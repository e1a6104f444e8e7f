// Agreements and their sub-resources, answered from indexed rows (PROTOCOL §12 figures).
import type { Selectable } from "kysely";
import type { AgreementsTable, PositionsTable, ProgramTable } from "../db/schema";
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
import { addr, iso, isoOrNull, skuName } from "./format";
import { readProgram, type ReadContext } from "./snapshot";

type AgreementRow = Selectable<AgreementsTable>;

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** R of PROTOCOL §3: paused → ∞ (null), else max(effectiveEnd, lastUnpausedAt) + REPORTING_GRACE. */
function reportingClose(a: AgreementRow, program: Selectable<ProgramTable>, grace: number): number | null {
  if (program.paused) return null;
  const effectiveEnd = a.terminated_at !== 0 && a.terminated_at < a.end_time ? a.terminated_at : a.end_time;
  return Math.max(effectiveEnd, program.last_unpaused_at) + grace;
}

function summary(ctx: ReadContext, a: AgreementRow, program: Selectable<ProgramTable>): AgreementSummary {
  const outstanding = BigInt(a.obligation) - BigInt(a.paid);
  const close = reportingClose(a, program, ctx.state.reporting_grace);
  return {
    id: a.id,
    startup: addr(a.startup),
    status: a.status as AgreementSummary["status"],
    terms: {
      startup: addr(a.startup),
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
    delinquent: a.next_due !== 0 && ctx.now >= a.next_due,
    nextDue: isoOrNull(a.next_due),
    nextPeriodToFinalize: a.next_period_to_finalize,
    periodCount: a.period_count,
    partnerCount: a.partner_count,
    reportingClose: close === null ? null : iso(close),
  };
}

/** A position as `partnerPosition(id, partner)` shows it at the snapshot's time. */
export function positionView(p: Selectable<PositionsTable>, now: number): Position {
  const spendMatured = p.pending_spend_limit_at !== 0 && now >= p.pending_spend_limit_at;
  const gpusMatured = p.pending_max_gpus_at !== 0 && now >= p.pending_max_gpus_at;
  const spendPending = p.pending_spend_limit_at > now;
  const gpusPending = p.pending_max_gpus_at > now;
  return {
    partner: addr(p.partner),
    spendLimit: spendMatured ? p.pending_spend_limit : p.spend_limit,
    maxGpus: gpusMatured ? p.pending_max_gpus : p.max_gpus,
    pendingSpendLimit: spendPending ? p.pending_spend_limit : "0",
    pendingSpendLimitAt: spendPending ? iso(p.pending_spend_limit_at) : null,
    pendingMaxGpus: gpusPending ? p.pending_max_gpus : 0,
    pendingMaxGpusAt: gpusPending ? iso(p.pending_max_gpus_at) : null,
    spent: p.spent,
    burnedAt: p.burned_at,
    receivable: p.receivable,
    paidToPartner: p.paid_to_partner,
    lastUsageEnd: isoOrNull(p.last_usage_end),
  };
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

export async function listAgreements(ctx: ReadContext, f: AgreementFilters): Promise<Page<AgreementSummary>> {
  const limit = f.limit ?? 50;
  const after = decodeCursor(f.cursor, cursorShapes.uint);
  let q = ctx.db.selectFrom("agreements").selectAll();
  if (f.status) q = q.where("status", "=", f.status);
  if (f.startup) q = q.where("startup", "=", f.startup);
  if (f.partner) {
    const partner = f.partner;
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom("positions")
          .select("positions.partner")
          .whereRef("positions.agreement_id", "=", "agreements.id")
          .where("positions.partner", "=", partner),
      ),
    );
  }
  if (f.from !== undefined) q = q.where("created_at", ">=", f.from);
  if (f.to !== undefined) q = q.where("created_at", "<", f.to);
  if (after) q = q.where("id", ">", after[0]);
  const [rows, program] = await Promise.all([q.orderBy("id").limit(limit + 1).execute(), readProgram(ctx.db)]);
  return paginate(rows, limit, (a) => summary(ctx, a, program), (a) => [a.id]);
}

async function agreementRow(ctx: ReadContext, id: string): Promise<AgreementRow | undefined> {
  return ctx.db.selectFrom("agreements").selectAll().where("id", "=", id).executeTakeFirst();
}

export async function getAgreement(ctx: ReadContext, id: string): Promise<Agreement | undefined> {
  const a = await agreementRow(ctx, id);
  if (!a) return undefined;
  const [positions, program] = await Promise.all([
    ctx.db.selectFrom("positions").selectAll().where("agreement_id", "=", id).orderBy("list_index").execute(),
    readProgram(ctx.db),
  ]);
  return { ...summary(ctx, a, program), partners: positions.map((p) => positionView(p, ctx.now)) };
}

/** Whether the agreement exists (sub-resources answer 404 for an unknown one). */
export async function agreementExists(ctx: ReadContext, id: string): Promise<boolean> {
  const row = await ctx.db.selectFrom("agreements").select("id").where("id", "=", id).executeTakeFirst();
  return row !== undefined;
}

export interface UsageFilters {
  partner?: string;
  accepted?: boolean;
  from?: number;
  to?: number;
  limit?: number;
  cursor?: string;
}

export function usageLineView(r: {
  batch_id: string;
  agreement_id: string;
  partner: string;
  sku: string;
  gpu_seconds: string;
  accepted: boolean;
  reason: string | null;
  credits: string;
  receivable_added: string;
  timestamp: number;
  block_number: number;
  tx_hash: string;
}): UsageLine {
  return {
    batchId: r.batch_id,
    agreementId: r.agreement_id,
    partner: addr(r.partner),
    sku: skuName(r.sku),
    gpuSeconds: r.gpu_seconds,
    accepted: r.accepted,
    reason: r.reason,
    credits: r.credits,
    receivableAdded: r.receivable_added,
    recordedAt: iso(r.timestamp),
    blockNumber: r.block_number,
    txHash: r.tx_hash,
  };
}

export async function listUsage(ctx: ReadContext, id: string, f: UsageFilters): Promise<Page<UsageLine>> {
  const limit = f.limit ?? 50;
  const after = decodeCursor(f.cursor, cursorShapes.log);
  let q = ctx.db.selectFrom("usage_lines").selectAll().where("agreement_id", "=", id);
  if (f.partner) q = q.where("partner", "=", f.partner);
  if (f.accepted !== undefined) q = q.where("accepted", "=", f.accepted);
  if (f.from !== undefined) q = q.where("timestamp", ">=", f.from);
  if (f.to !== undefined) q = q.where("timestamp", "<", f.to);
  if (after) {
    q = q.where((eb) =>
      eb.or([eb("block_number", ">", after[0]), eb.and([eb("block_number", "=", after[0]), eb("log_index", ">", after[1])])]),
    );
  }
  const rows = await q.orderBy("block_number").orderBy("log_index").limit(limit + 1).execute();
  return paginate(rows, limit, usageLineView, (r) => [r.block_number, r.log_index]);
}

export interface RevenueFilters {
  state?: RevenuePeriod["state"];
  limit?: number;
  cursor?: string;
}

/** Every period of the term (unreported ones as state None), by index. */
export async function listRevenue(ctx: ReadContext, id: string, f: RevenueFilters): Promise<Page<RevenuePeriod>> {
  const limit = f.limit ?? 50;
  const after = decodeCursor(f.cursor, cursorShapes.index);
  const a = await agreementRow(ctx, id);
  if (!a) return { data: [], nextCursor: null };
  const rows = await ctx.db.selectFrom("revenue_periods").selectAll().where("agreement_id", "=", id).execute();
  const byIndex = new Map(rows.map((r) => [r.period_index, r]));
  const periods: { index: number; view: RevenuePeriod }[] = [];
  for (let k = after ? after[0] + 1 : 0; k < a.period_count; k++) {
    const r = byIndex.get(k);
    const view: RevenuePeriod = {
      periodIndex: k,
      periodStart: iso(a.start_time + k * a.period_duration),
      periodEnd: iso(a.start_time + (k + 1) * a.period_duration),
      state: (r?.state ?? "None") as RevenuePeriod["state"],
      version: r?.version ?? 0,
      revenue: r?.revenue ?? "0",
      evidenceHash: r?.evidence_hash ?? `0x${"0".repeat(64)}`,
      submittedAt: isoOrNull(r?.submitted_at ?? 0),
      disputedBy: r?.disputed_by ? addr(r.disputed_by) : null,
      owed: r?.owed ?? "0",
      cumulativeObligation: r?.cumulative_obligation ?? "0",
      due: isoOrNull(r?.due ?? 0),
      finalizedAt: isoOrNull(r?.finalized_at ?? 0),
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

async function listEvents<T extends EventTable>(
  ctx: ReadContext,
  table: T,
  id: string,
  f: EventFilters & { by?: { column: "payer" | "beneficiary" | "auditor"; value: string } },
) {
  const limit = f.limit ?? 50;
  const after = decodeCursor(f.cursor, cursorShapes.log);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- three tables with the same key columns
  let q: any = ctx.db.selectFrom(table as EventTable).selectAll().where("agreement_id", "=", id);
  if (f.by) q = q.where(f.by.column, "=", f.by.value);
  if (f.from !== undefined) q = q.where("timestamp", ">=", f.from);
  if (f.to !== undefined) q = q.where("timestamp", "<", f.to);
  if (after) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
    q = q.where((eb: any) =>
      eb.or([eb("block_number", ">", after[0]), eb.and([eb("block_number", "=", after[0]), eb("log_index", ">", after[1])])]),
    );
  }
  const rows = (await q.orderBy("block_number").orderBy("log_index").limit(limit + 1).execute()) as (Record<string, never> & {
    block_number: number;
    log_index: number;
  })[];
  return { rows, limit };
}

const eventFields = (r: { timestamp: number; block_number: number; tx_hash: string }) => ({
  recordedAt: iso(r.timestamp),
  blockNumber: r.block_number,
  txHash: r.tx_hash,
});

export async function listPayments(ctx: ReadContext, id: string, f: EventFilters & { payer?: string }): Promise<Page<Payment>> {
  const { rows, limit } = await listEvents(ctx, "payments", id, { ...f, by: f.payer ? { column: "payer", value: f.payer } : undefined });
  return paginate(
    rows as unknown as Selectable<import("../db/schema").PaymentsTable>[],
    limit,
    (r) => ({
      agreementId: r.agreement_id,
      payer: addr(r.payer),
      amount: r.amount,
      toPartners: r.to_partners,
      toProgram: r.to_program,
      ...eventFields(r),
    }),
    (r) => [r.block_number, r.log_index],
  );
}

export async function listDistributions(
  ctx: ReadContext,
  id: string,
  f: EventFilters & { beneficiary?: string },
): Promise<Page<Distribution>> {
  const { rows, limit } = await listEvents(ctx, "distributions", id, {
    ...f,
    by: f.beneficiary ? { column: "beneficiary", value: f.beneficiary } : undefined,
  });
  return paginate(
    rows as unknown as Selectable<import("../db/schema").DistributionsTable>[],
    limit,
    (r) => ({ agreementId: r.agreement_id, beneficiary: addr(r.beneficiary), amount: r.amount, ...eventFields(r) }),
    (r) => [r.block_number, r.log_index],
  );
}

export async function listAudits(ctx: ReadContext, id: string, f: EventFilters & { auditor?: string }): Promise<Page<Audit>> {
  const { rows, limit } = await listEvents(ctx, "audits", id, { ...f, by: f.auditor ? { column: "auditor", value: f.auditor } : undefined });
  return paginate(
    rows as unknown as Selectable<import("../db/schema").AuditsTable>[],
    limit,
    (r) => ({
      agreementId: r.agreement_id,
      auditor: addr(r.auditor),
      throughBlock: r.through_block,
      reportHash: r.report_hash,
      clean: r.clean,
      ...eventFields(r),
    }),
    (r) => [r.block_number, r.log_index],
  );
}
