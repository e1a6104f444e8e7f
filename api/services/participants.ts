// Partners, accounts, usage batches, record proofs and the program, answered from indexed rows.
import fs from "node:fs/promises";
import path from "node:path";
import { sql } from "kysely";
import { proveRecord, USAGE_LEAF_ENCODING, type UsageTreeDump } from "../../oracle/usage/evidence";
import {
  AGREEMENT_STATUSES,
  type Account,
  type PartnerDetail,
  type PartnerPosition,
  type PartnerSummary,
  type Program,
  type ProgramTotals,
  type RecordProof,
  type UsageBatch,
  type UsageBatchSummary,
} from "../schemas/resources";
import type { Page } from "./agreements";
import { positionView } from "./agreements";
import { usageLineView } from "./usageLineView";
import { cursorShapes, decodeCursor, paginate } from "./cursor";
import { addr, iso, isoOrNull, skuName } from "./format";
import { payoutAt, signerSetAt } from "./pending";
import { checkpointNowSql, delinquentSql } from "../db/rules";
import { qb, QueryTemplate } from "../db/template";
import { checkpointOnce, defaultProgram, stateColumn, stateOf, type ReadContext, type Reader } from "./snapshot";
import type { PartnersTable, ProgramTable, UsageBatchesTable, UsageDisputesTable } from "../db/schema";
import type { Selectable } from "kysely";

/** A partner at `now`: the signer set and payout address in force, and the changes still pending. */
function partnerSummary(p: Selectable<PartnersTable>, now: number): PartnerSummary {
  const { signers, threshold, pending } = signerSetAt(
    p,
    { signers: p.pending_signers, threshold: p.pending_threshold, effectiveAt: p.pending_signers_at },
    now,
  );
  const { payout, pendingPayout } = payoutAt(p.address, p.payout_address, { payout: p.pending_payout, effectiveAt: p.pending_payout_at }, now);
  return {
    address: addr(p.address),
    signers,
    threshold,
    pendingSigners: pending,
    payout,
    pendingPayout,
    payoutBps: p.payout_bps,
    active: p.active,
    nextSequence: p.next_sequence,
    registeredAt: iso(p.registered_at),
  };
}

const partnerList = new QueryTemplate((a: { active?: boolean; after?: string; take: number }) => {
  let q = qb.selectFrom("partners").selectAll();
  if (a.active !== undefined) q = q.where("active", "=", a.active);
  if (a.after !== undefined) q = q.where("address", ">", a.after);
  const checkpoint = checkpointOnce();
  return qb
    .selectFrom(checkpoint.table)
    .leftJoin(q.orderBy("address").limit(a.take).as("x"), (j) => j.onTrue())
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the derived table's columns
    .select(checkpoint.columns as any)
    .selectAll("x")
    .orderBy("x.address");
});

/** One statement: the checkpoint and the page of partners. */
export async function listPartners(r: Reader, f: { active?: boolean; limit?: number; cursor?: string }): Promise<Page<PartnerSummary>> {
  const limit = f.limit ?? 50;
  const after = decodeCursor(f.cursor, cursorShapes.address);
  const { rows } = await r.db.executeQuery(partnerList.compile({ active: f.active, after: after?.[0], take: limit + 1 }));
  const ctx = r.at(stateOf(rows[0]));
  const partners = rows.filter((row) => row.address !== null) as unknown as Selectable<PartnersTable>[];
  return paginate(partners, limit, (p) => partnerSummary(p, ctx.now), (p) => [p.address]);
}

export async function getPartner(ctx: ReadContext, address: string): Promise<PartnerDetail | undefined> {
  const p = await ctx.db.selectFrom("partners").selectAll().where("address", "=", address).executeTakeFirst();
  if (!p) return undefined;
  const [rates, account] = await Promise.all([
    ctx.db.selectFrom("rates").selectAll().where("partner", "=", address).orderBy("sku").orderBy("effective_from").execute(),
    ctx.db.selectFrom("accounts").selectAll().where("address", "=", address).executeTakeFirst(),
  ]);
  return {
    ...partnerSummary(p, ctx.now),
    rates: rates.map((r) => ({ sku: skuName(r.sku), creditsPerGpuHour: r.credits_per_gpu_hour, effectiveFrom: iso(r.effective_from) })),
    // running totals over its positions, kept by the indexer (api/indexer/totals.ts)
    agreementCount: Number(p.position_count),
    totals: { spent: p.spent_total, receivable: p.receivable_total, paidToPartner: p.paid_total },
    claimable: account?.claimable ?? "0",
    claimed: account?.claimed ?? "0",
  };
}

/** An account's credits, claims and agreements; undefined when the index never saw the address. */
export async function getAccount(ctx: ReadContext, address: string): Promise<Account | undefined> {
  const [account, asStartup, asPartner] = await Promise.all([
    ctx.db.selectFrom("accounts").selectAll().where("address", "=", address).executeTakeFirst(),
    ctx.db.selectFrom("agreements").select(["id", "status"]).where("startup", "=", address).orderBy("id").limit(500).execute(),
    ctx.db
      .selectFrom("positions")
      .innerJoin("agreements", "agreements.id", "positions.agreement_id")
      .select(["agreements.id", "agreements.status"])
      .where("positions.partner", "=", address)
      .orderBy("agreements.id")
      .limit(500)
      .execute(),
  ]);
  if (!account && asStartup.length === 0 && asPartner.length === 0) return undefined;
  type Status = Account["agreements"][number]["status"];
  return {
    address: addr(address),
    creditBalance: account?.credit_balance ?? "0",
    claimable: account?.claimable ?? "0",
    claimed: account?.claimed ?? "0",
    agreements: [
      ...asStartup.map((a) => ({ id: a.id, status: a.status as Status, role: "startup" as const })),
      ...asPartner.map((a) => ({ id: a.id, status: a.status as Status, role: "partner" as const })),
    ],
  };
}

type BatchRow = Selectable<UsageBatchesTable>;
type DisputeRow = Selectable<UsageDisputesTable> & { reason_text: string | null };

function usageBatchSummary(b: BatchRow, disputes: DisputeRow[]): UsageBatchSummary {
  return {
    batchId: b.batch_id,
    partner: addr(b.partner),
    sequence: b.sequence,
    periodStart: iso(b.period_start),
    periodEnd: iso(b.period_end),
    recordsRoot: b.records_root,
    linesAccepted: b.lines_accepted,
    linesRejected: b.lines_rejected,
    submittedAt: iso(b.submitted_at),
    blockNumber: b.block_number,
    txHash: b.tx_hash,
    disputes: disputes.map((d) => ({
      agreementId: d.agreement_id,
      state: d.state as "Open" | "Resolved",
      disputedBy: addr(d.disputed_by),
      reasonHash: d.reason_hash,
      reasonText: d.reason_text,
      disputedAt: iso(d.disputed_at),
      refund: d.refund,
      receivableRemoved: d.receivable_removed,
      resolvedAt: isoOrNull(d.resolved_at),
    })),
  };
}

export async function getUsageBatch(ctx: ReadContext, batchId: string): Promise<UsageBatch | undefined> {
  const b = await ctx.db.selectFrom("usage_batches").selectAll().where("batch_id", "=", batchId).executeTakeFirst();
  if (!b) return undefined;
  const [lines, disputes] = await Promise.all([
    // a batch's lines were emitted in its own transaction: its block, found by the primary key
    ctx.db
      .selectFrom("usage_lines")
      .selectAll()
      .where("block_number", "=", b.block_number)
      .where("batch_id", "=", batchId)
      .orderBy("log_index")
      .execute(),
    ctx.db.selectFrom("usage_disputes").leftJoin("dispute_reasons", "hash", "reason_hash").selectAll("usage_disputes").select("dispute_reasons.text as reason_text").where("batch_id", "=", batchId).orderBy("agreement_id").execute(),
  ]);
  const { disputes: disputeViews, ...summary } = usageBatchSummary(b, disputes);
  return { ...summary, lines: lines.map(usageLineView), disputes: disputeViews };
}

async function isPartner(ctx: ReadContext, address: string): Promise<boolean> {
  return (await ctx.db.selectFrom("partners").select("address").where("address", "=", address).executeTakeFirst()) !== undefined;
}

/**
 * A partner's usage batches, newest first, each with its disputes (no lines: `GET /v1/usage-batches/:batchId`
 * has them); undefined when the address is not a registered partner.
 */
export async function listPartnerBatches(
  ctx: ReadContext,
  address: string,
  f: { limit?: number; cursor?: string },
): Promise<Page<UsageBatchSummary> | undefined> {
  const limit = f.limit ?? 50;
  const before = decodeCursor(f.cursor, cursorShapes.log);
  if (!(await isPartner(ctx, address))) return undefined;
  let q = ctx.db.selectFrom("usage_batches").selectAll().where("partner", "=", address);
  if (before) {
    const [block, logIndex] = before;
    q = q.where((eb) => eb.or([eb("block_number", "<", block), eb.and([eb("block_number", "=", block), eb("log_index", "<", logIndex)])]));
  }
  const rows = await q.orderBy("block_number", "desc").orderBy("log_index", "desc").limit(limit + 1).execute();
  const ids = rows.slice(0, limit).map((b) => b.batch_id);
  const disputes = ids.length === 0 ? [] : await ctx.db.selectFrom("usage_disputes").leftJoin("dispute_reasons", "hash", "reason_hash").selectAll("usage_disputes").select("dispute_reasons.text as reason_text").where("batch_id", "in", ids).orderBy("agreement_id").execute();
  const byBatch = new Map<string, DisputeRow[]>();
  for (const d of disputes) byBatch.set(d.batch_id, [...(byBatch.get(d.batch_id) ?? []), d]);
  return paginate(rows, limit, (b) => usageBatchSummary(b, byBatch.get(b.batch_id) ?? []), (b) => [b.block_number, b.log_index]);
}

/**
 * A partner's position in every agreement that authorizes it, by agreement id, with the agreement's status;
 * undefined when the address is not a registered partner.
 */
export async function listPartnerPositions(
  ctx: ReadContext,
  address: string,
  f: { limit?: number; cursor?: string },
): Promise<Page<PartnerPosition> | undefined> {
  const limit = f.limit ?? 50;
  const after = decodeCursor(f.cursor, cursorShapes.uint);
  if (!(await isPartner(ctx, address))) return undefined;
  let q = ctx.db
    .selectFrom("positions as p")
    .innerJoin("agreements as a", "a.id", "p.agreement_id")
    .selectAll("p")
    .select("a.status as agreement_status")
    .where("p.partner", "=", address);
  if (after) q = q.where("p.agreement_id", ">", after[0]);
  const rows = await q.orderBy("p.agreement_id").limit(limit + 1).execute();
  return paginate(
    rows,
    limit,
    (p) => ({ agreementId: p.agreement_id, status: p.agreement_status as PartnerPosition["status"], ...positionView(p, ctx.now) }),
    (p) => [p.agreement_id],
  );
}

/** Why a proof could not be given (each becomes a 404 with this detail). */
export class ProofUnavailable extends Error {
  override name = "ProofUnavailable";
}

const MAX_EVIDENCE_BYTES = 64 * 1024 * 1024;

/**
 * Every leaf of `recordId` in the batch's evidence tree with its proof, from `<evidenceDir>/<batchId>.json`
 * (the bundle's `tree` is an OpenZeppelin StandardMerkleTree dump whose root must be the batch's recordsRoot).
 */
export async function proveBatchRecord(
  ctx: ReadContext,
  evidenceDir: string | undefined,
  batchId: string,
  recordId: string,
): Promise<RecordProof> {
  const b = await ctx.db.selectFrom("usage_batches").select(["records_root"]).where("batch_id", "=", batchId).executeTakeFirst();
  if (!b) throw new ProofUnavailable(`No usage batch ${batchId} is indexed.`);
  if (!evidenceDir) throw new ProofUnavailable("This server has no evidence folder configured (DSX_API_EVIDENCE_DIR).");
  const file = path.join(evidenceDir, `${batchId}.json`);
  let bundle: unknown;
  try {
    const stat = await fs.stat(file);
    if (stat.size > MAX_EVIDENCE_BYTES) throw new ProofUnavailable(`The evidence bundle of batch ${batchId} is too large to serve.`);
    bundle = JSON.parse(await fs.readFile(file, "utf8"));
  } catch (err) {
    if (err instanceof ProofUnavailable) throw err;
    throw new ProofUnavailable(`No readable evidence bundle for batch ${batchId}.`);
  }
  const dump = (bundle as { tree?: UsageTreeDump })?.tree;
  let proof;
  try {
    if (!dump) throw new Error("no tree");
    proof = proveRecord(dump, recordId);
  } catch {
    throw new ProofUnavailable(`The evidence bundle of batch ${batchId} holds no valid usage tree.`);
  }
  if (!proof) throw new ProofUnavailable(`Record ${JSON.stringify(recordId)} has no leaf in batch ${batchId}.`);
  if (proof.root.toLowerCase() !== b.records_root) {
    throw new ProofUnavailable(`The evidence bundle of batch ${batchId} does not match its recordsRoot.`);
  }
  return {
    batchId,
    recordsRoot: b.records_root,
    recordId,
    leaves: proof.leaves.map(({ leaf, proof: p }) => ({
      leaf: { recordId: leaf[0], agreementId: leaf[1], sku: leaf[2].toLowerCase(), sliceStart: leaf[3], sliceEnd: leaf[4], gpuSeconds: leaf[5] },
      encoded: [...USAGE_LEAF_ENCODING],
      proof: p.map((h) => h.toLowerCase()),
    })),
  };
}

/** Every column of the program row, selected beside the checkpoint as `_pr_<column>`. */
const PROGRAM_COLUMNS = Object.keys(defaultProgram()) as (keyof ProgramTable)[];

const programQuery = new QueryTemplate((_: Record<string, never>) =>
  qb
    .selectFrom("indexer_state as s")
    .leftJoin("program as pr", (j) => j.on("pr.id", "=", 1))
    .select(stateColumn)
    .selectAll("s")
    .select(PROGRAM_COLUMNS.map((c) => sql.ref(`pr.${c}`).as(`_pr_${c}`)))
    // the totals are kept by the indexer (api/indexer/totals.ts); only the delinquent count depends on the
    // checkpoint's time: a range of agreements_next_due, as long as the delinquent agreements are many
    .select(
      sql<string>`(select count(*) from agreements where ${delinquentSql(sql.ref("agreements.next_due"), checkpointNowSql("s"))})::text`.as(
        "_delinquent",
      ),
    )
    .where("s.id", "=", 1),
);

/** The program-wide totals: the program row's running totals and the delinquent count at the checkpoint. */
function totalsOf(p: Selectable<ProgramTable>, delinquent: string): ProgramTotals {
  const byStatus = JSON.parse(p.agreements_by_status) as Partial<Record<string, number>>;
  return {
    agreementsByStatus: Object.fromEntries(AGREEMENT_STATUSES.map((st) => [st, byStatus[st] ?? 0])) as ProgramTotals["agreementsByStatus"],
    creditsMinted: p.credits_minted_total,
    consumed: p.consumed_total,
    creditsOutstanding: p.credits_outstanding_total,
    obligation: p.obligation_total,
    paid: p.paid_total,
    outstanding: (BigInt(p.obligation_total) - BigInt(p.paid_total)).toString(),
    delinquent: Number(delinquent),
    revenueReported: p.revenue_reported_total,
    revenueFinalized: p.revenue_finalized_total,
  };
}

/** One statement: the whole checkpoint row (deployment, constants) and the program row. */
export async function getProgram(r: Reader): Promise<Program> {
  const [row] = (await r.db.executeQuery(programQuery.compile({}))).rows;
  const ctx = r.at(stateOf(row));
  const s = row!;
  const p: Selectable<ProgramTable> =
    s._pr_id === null ? defaultProgram() : (Object.fromEntries(PROGRAM_COLUMNS.map((c) => [c, s[`_pr_${c}`]])) as unknown as Selectable<ProgramTable>);
  const revenueSigners = signerSetAt(
    { signers: p.revenue_signers, threshold: p.revenue_threshold },
    { signers: p.revenue_pending_signers, threshold: p.revenue_pending_threshold, effectiveAt: p.revenue_pending_at },
    ctx.now,
  );
  return {
    chainId: s.chain_id,
    ledger: addr(s.ledger),
    credit: addr(s.credit),
    settlementToken: addr(s.settlement_token),
    treasury: p.treasury ? addr(p.treasury) : null,
    deploymentBlock: s.deployment_block,
    paused: p.paused,
    lastUnpausedAt: isoOrNull(p.last_unpaused_at),
    programClaimable: p.program_claimable,
    programClaimed: p.program_claimed,
    revenueSigners,
    agreementCount: p.agreement_count,
    constants: {
      disputeWindow: s.dispute_window,
      rateNotice: s.rate_notice,
      authNotice: s.auth_notice,
      reportingGrace: s.reporting_grace,
      signerNotice: s.signer_notice,
      migrationNotice: s.migration_notice,
      payoutNotice: s.payout_notice,
    },
    totals: totalsOf(p, s._delinquent),
  };
}
