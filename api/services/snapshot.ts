// The indexed block a request reads at (its `meta`), and the read transaction that pins it.
import type { Kysely, Selectable, Transaction } from "kysely";
import type { Database, IndexerStateTable, ProgramTable } from "../db/schema";

export type ReadDb = Kysely<Database> | Transaction<Database>;

export interface Meta {
  chainId: number;
  blockNumber: number | null;
  blockHash: string | null;
  final: boolean;
}

/** What every service reads with: the database at one indexed block, and that block's time. */
export interface ReadContext {
  db: ReadDb;
  meta: Meta;
  /** The indexed block's time: "now" for time-dependent figures (pending decreases, delinquency). */
  now: number;
  state: Selectable<IndexerStateTable>;
}

/** The checkpoint as `meta`; undefined before the indexer wrote its first state row. */
export async function readState(db: ReadDb): Promise<Selectable<IndexerStateTable> | undefined> {
  return db.selectFrom("indexer_state").selectAll().where("id", "=", 1).executeTakeFirst();
}

export function metaOf(state: Selectable<IndexerStateTable> | undefined, chainId: number): Meta {
  if (!state || state.checkpoint_number === null || state.checkpoint_number < state.deployment_block) {
    return { chainId, blockNumber: state?.checkpoint_number ?? null, blockHash: state?.checkpoint_hash ?? null, final: false };
  }
  return {
    chainId,
    blockNumber: state.checkpoint_number,
    blockHash: state.checkpoint_hash,
    final: state.final_number !== null && state.checkpoint_number <= state.final_number,
  };
}

/** The program row (defaults before its first event). */
export async function readProgram(db: ReadDb): Promise<Selectable<ProgramTable>> {
  const row = await db.selectFrom("program").selectAll().where("id", "=", 1).executeTakeFirst();
  return (
    row ?? {
      id: 1,
      treasury: null,
      paused: false,
      last_unpaused_at: 0,
      program_claimable: "0",
      program_claimed: "0",
      revenue_signers: "[]",
      revenue_threshold: 0,
      agreement_count: 0,
    }
  );
}
