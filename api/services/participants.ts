// Partners, accounts, usage batches, record proofs and the program, answered from indexed rows.
import fs from "node:fs/promises";
import path from "node:path";
import { sql } from "kysely";
import { proveRecord, USAGE_LEAF_ENCODING, type UsageTreeDump } from "../../oracle/usage/evidence";
import type { Account, PartnerDetail, PartnerSummary, Program, RecordProof, UsageBatch } from "../schemas/resources";
import type { Page } from "./agreements";
import { usageLineView } from "./agreements";
import { cursorShapes, decodeCursor, paginate } from "./cursor";
import { addr, iso, isoOrNull, skuName } from "./format";
import { readProgram, type ReadContext } from "./snapshot";
import type { PartnersTable } from "../db/schema";
import type { Selectable } from "kysely";

function partnerSummary(p: Selectable<PartnersTable>): PartnerSummary {
  return {
    address: addr(p.address),
    signers: (JSON.parse(p.signers) as string[]).map(addr),
    threshold: p.threshold,
    payoutBps: p.payout_bps,
    active: p.active,
    nextSequence: p.next_sequence,
    registeredAt: iso(p.registered_at),
  };
}

export async function listPartners(
  ctx: ReadContext,
  f: { active?: boolean; limit?: number; cursor?: string },
): Promise<Page<PartnerSummary>> {
  const limit = f.limit ?? 50;
  const after = decodeCursor(f.cursor, cursorShapes.address);
  let q = ctx.db.selectFrom("partners").selectAll();
  if (f.active !== undefined) q = q.where("active", "=", f.active);
  if (after) q = q.where("address", ">", after[0]);
  const rows = await q.orderBy("address").limit(limit + 1).execute();
  return paginate(rows, limit, partnerSummary, (p) => [p.address]);
}

export async function getPartner(ctx: ReadContext, address: string): Promise<PartnerDetail | undefined> {
  const p = await ctx.db.selectFrom("partners").selectAll().where("address", "=", address).executeTakeFirst();
  if (!p) return undefined;
  const [rates, totals, account] = await Promise.all([
    ctx.db.selectFrom("rates").selectAll().where("partner", "=", address).orderBy("sku").orderBy("effective_from").execute(),
    ctx.db
      .selectFrom("positions")
      .select([
        sql<string>`count(*)`.as("count"),
        sql<string>`coalesce(sum(spent), 0)::text`.as("spent"),
        sql<string>`coalesce(sum(receivable), 0)::text`.as("receivable"),
        sql<string>`coalesce(sum(paid_to_partner), 0)::text`.as("paid"),
      ])
      .where("partner", "=", address)
      .executeTakeFirstOrThrow(),
    ctx.db.selectFrom("accounts").selectAll().where("address", "=", address).executeTakeFirst(),
  ]);
  return {
    ...partnerSummary(p),
    rates: rates.map((r) => ({ sku: skuName(r.sku), creditsPerGpuHour: r.credits_per_gpu_hour, effectiveFrom: iso(r.effective_from) })),
    agreementCount: Number(totals.count),
    totals: { spent: totals.spent, receivable: totals.receivable, paidToPartner: totals.paid },
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

export async function getUsageBatch(ctx: ReadContext, batchId: string): Promise<UsageBatch | undefined> {
  const b = await ctx.db.selectFrom("usage_batches").selectAll().where("batch_id", "=", batchId).executeTakeFirst();
  if (!b) return undefined;
  const [lines, disputes] = await Promise.all([
    ctx.db.selectFrom("usage_lines").selectAll().where("batch_id", "=", batchId).orderBy("block_number").orderBy("log_index").execute(),
    ctx.db.selectFrom("usage_disputes").selectAll().where("batch_id", "=", batchId).orderBy("agreement_id").execute(),
  ]);
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
    lines: lines.map(usageLineView),
    disputes: disputes.map((d) => ({
      agreementId: d.agreement_id,
      state: d.state as "Open" | "Resolved",
      disputedBy: addr(d.disputed_by),
      reasonHash: d.reason_hash,
      disputedAt: iso(d.disputed_at),
      refund: d.refund,
      receivableRemoved: d.receivable_removed,
      resolvedAt: isoOrNull(d.resolved_at),
    })),
  };
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
  if (!evidenceDir) throw new ProofUnavailable("This server has no evidence folder configured (API_EVIDENCE_DIR).");
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

export async function getProgram(ctx: ReadContext): Promise<Program> {
  const p = await readProgram(ctx.db);
  const s = ctx.state;
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
    revenueSigners: { signers: (JSON.parse(p.revenue_signers) as string[]).map(addr), threshold: p.revenue_threshold },
    agreementCount: p.agreement_count,
    constants: {
      disputeWindow: s.dispute_window,
      rateNotice: s.rate_notice,
      authNotice: s.auth_notice,
      reportingGrace: s.reporting_grace,
    },
  };
}
