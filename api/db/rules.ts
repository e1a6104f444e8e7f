// The ledger rules the API evaluates inside SQL, each generated here once and used by every query that needs it;
// each is the SQL form of a function of sdk/ledgerRules.ts (the one TypeScript home) and runs its vectors
// (test/api/rules.test.ts on test/vectors/ledger-rules.json).
import { sql, type Expression, type RawBuilder } from "kysely";

/**
 * "now" of a one-statement read: the checkpoint's block time, 0 before the first block (services/snapshot.ts gives
 * `ReadContext.now` the same value). `state` is the alias of `indexer_state` in the query.
 */
export function checkpointNowSql(state: string): RawBuilder<number> {
  return sql<number>`coalesce(${sql.ref(`${state}.checkpoint_timestamp`)}, 0)`;
}

/**
 * Delinquent (PROTOCOL §8) from an agreement's stored nextDue (0: nothing unsettled) at `now`: sdk/ledgerRules.ts
 * `isDelinquent`, i.e. nextDue ≠ 0 and now ≥ nextDue. Used by the agreement rows and the program totals.
 * @example qb.selectFrom("agreements").select(delinquentSql(sql.ref("next_due"), sql.lit(1_790_000_000)).as("delinquent"))
 */
export function delinquentSql(nextDue: Expression<number>, now: Expression<number>): RawBuilder<boolean> {
  return sql<boolean>`(${nextDue} <> 0 and ${now} >= ${nextDue})`;
}
