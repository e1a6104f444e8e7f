// Dispute reasons kept readable (issue 16): only keccak256 of a reason's UTF-8 text goes on chain; the text is
// stored here, content-addressed by that hash. Part of the index schema (api/db/schema.ts spreads these in).

/** One reason text, keyed by its keccak256 (lower-case 0x hex). */
export interface DisputeReasonsTable {
  hash: string;
  text: string;
  /** Unix milliseconds of the machine's clock when it was first stored. */
  stored_at: number;
}

/** The dispute reasons' table, as Kysely sees it. */
export interface ReasonTables {
  dispute_reasons: DisputeReasonsTable;
}

/** DDL of the reasons table, idempotent (`if not exists`). Never part of a reorg's rebuild: texts stay valid. */
export const REASON_DDL: readonly string[] = [
  `create table if not exists dispute_reasons (hash text primary key, text text not null, stored_at bigint not null)`,
];
