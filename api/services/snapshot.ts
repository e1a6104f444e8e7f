// The indexed block a request reads at (its `meta`), and how a request reads consistently at one block:
// either ONE SQL statement that also selects the checkpoint (PostgreSQL gives every statement one snapshot,
// so the checkpoint and the rows agree; no transaction, one round trip), or, for answers that need several
// statements, one repeatable-read read-only transaction that reads the checkpoint first.
import { sql, type Kysely, type Selectable, type SelectQueryBuilder, type Transaction } from "kysely";
import type { Database, IndexerStateTable, ProgramTable } from "../db/schema";
import { qb } from "../db/template";
import { iso } from "./format";

export type ReadDb = Kysely<Database> | Transaction<Database>;

export interface Meta {
  chainId: number;
  blockNumber: number | null;
  blockHash: string | null;
  final: boolean;
  /** The indexed block's time (ISO 8601), the "now" of time-dependent figures. */
  blockTimestamp: string | null;
}

/** The part of the checkpoint row a request needs (meta, "now", and R's grace period). */
export type StateRow = Pick<
  Selectable<IndexerStateTable>,
  "checkpoint_number" | "checkpoint_hash" | "checkpoint_timestamp" | "final_number" | "deployment_block" | "reporting_grace"
>;

/** What every service reads with: the database at one indexed block, and that block's time. */
export interface ReadContext {
  db: ReadDb;
  meta: Meta;
  /** The indexed block's time: "now" for time-dependent figures (pending decreases, delinquency). */
  now: number;
  state: StateRow;
}

/**
 * How a route reads. `at(state)` checks the checkpoint a one-statement read selected (503 when nothing, or
 * not yet `minBlock`, is indexed) and gives the context to shape rows with; `snapshot(fn)` runs several
 * statements at one block.
 */
export interface Reader {
  db: Kysely<Database>;
  at(state: StateRow | undefined): ReadContext;
  snapshot<T>(fn: (ctx: ReadContext) => Promise<T>): Promise<T>;
}

/** The checkpoint as `meta`; undefined before the indexer wrote its first state row. */
export async function readState(db: ReadDb): Promise<Selectable<IndexerStateTable> | undefined> {
  return db.selectFrom("indexer_state").selectAll().where("id", "=", 1).executeTakeFirst();
}

export function metaOf(state: StateRow | undefined, chainId: number): Meta {
  if (!state || state.checkpoint_number === null || state.checkpoint_number < state.deployment_block) {
    return { chainId, blockNumber: state?.checkpoint_number ?? null, blockHash: state?.checkpoint_hash ?? null, final: false, blockTimestamp: null };
  }
  return {
    chainId,
    blockNumber: state.checkpoint_number,
    blockHash: state.checkpoint_hash,
    final: state.final_number !== null && state.checkpoint_number <= state.final_number,
    blockTimestamp: state.checkpoint_timestamp === null ? null : iso(state.checkpoint_timestamp),
  };
}

/** The checkpoint columns a read needs, in the order of {@link stateColumn}'s array. */
const STATE_COLUMNS = [
  "checkpoint_number",
  "checkpoint_hash",
  "checkpoint_timestamp",
  "final_number",
  "deployment_block",
  "reporting_grace",
] as const satisfies readonly (keyof StateRow)[];

/**
 * The checkpoint as ONE column, `_s`: the JSON array of {@link STATE_COLUMNS}, for a query whose FROM holds
 * `indexer_state as s` (a list decodes one value per row for it instead of six; {@link stateOf} parses it once).
 */
export const stateColumn = sql<string>`json_build_array(${sql.join(STATE_COLUMNS.map((c) => sql.ref(`s.${c}`)))})::text`.as("_s");

/**
 * The checkpoint row as a derived table `s` built once per statement, for reads that join many rows beside it, and
 * the columns of it such a read selects: `_s` ({@link stateColumn}), the program's pause figures (`_pr_paused`,
 * `_pr_last_unpaused_at`) when `program`, and `_s_ledger` when `ledger`. The table also holds `checkpoint_timestamp`
 * (the rules' "now", api/db/rules.ts) for use inside the statement. `offset 0` keeps the planner from merging it into
 * the outer query, where `_s` would be built again for every row.
 * @example qb.selectFrom(checkpoint.table).select(checkpoint.columns) // with const checkpoint = checkpointOnce()
 */
export function checkpointOnce(options: { program?: boolean; ledger?: boolean } = {}) {
  const columns = ["s._s"];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- columns chosen by the options
  let q: SelectQueryBuilder<Database, any, any> = qb.selectFrom("indexer_state as s").select([stateColumn, "s.checkpoint_timestamp"]).where("s.id", "=", 1);
  if (options.program) {
    q = q.leftJoin("program as pr", (j) => j.on("pr.id", "=", 1)).select(["pr.paused as _pr_paused", "pr.last_unpaused_at as _pr_last_unpaused_at"]);
    columns.push("s._pr_paused", "s._pr_last_unpaused_at");
  }
  if (options.ledger) {
    q = q.select("s.ledger as _s_ledger");
    columns.push("s._s_ledger");
  }
  return { table: q.modifyEnd(sql`offset 0`).as("s"), columns };
}

type StateArray = [number | null, string | null, number | null, number | null, number, number];

/** The checkpoint out of a row of a one-statement read (undefined when the query found no state row). */
export function stateOf(row: Record<string, unknown> | undefined): StateRow | undefined {
  const json = row?._s;
  if (typeof json !== "string") return undefined;
  const [checkpointNumber, checkpointHash, checkpointTimestamp, finalNumber, deploymentBlock, reportingGrace] = JSON.parse(json) as StateArray;
  return {
    checkpoint_number: checkpointNumber,
    checkpoint_hash: checkpointHash,
    checkpoint_timestamp: checkpointTimestamp,
    final_number: finalNumber,
    deployment_block: deploymentBlock,
    reporting_grace: reportingGrace,
  };
}

/** The program row (defaults before its first event). */
export async function readProgram(db: ReadDb): Promise<Selectable<ProgramTable>> {
  const row = await db.selectFrom("program").selectAll().where("id", "=", 1).executeTakeFirst();
  return row ?? defaultProgram();
}

export function defaultProgram(): Selectable<ProgramTable> {
  return {
    id: 1,
    treasury: null,
    paused: false,
    last_unpaused_at: 0,
    program_claimable: "0",
    program_claimed: "0",
    revenue_signers: "[]",
    revenue_threshold: 0,
    revenue_pending_signers: "[]",
    revenue_pending_threshold: 0,
    revenue_pending_at: 0,
    agreement_count: 0,
    agreements_by_status: "{}",
    credits_minted_total: "0",
    consumed_total: "0",
    credits_outstanding_total: "0",
    obligation_total: "0",
    paid_total: "0",
    revenue_reported_total: "0",
    revenue_finalized_total: "0",
  };
}
