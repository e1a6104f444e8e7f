// The `*-views-read` ceilings of `npm run bench:api`: what a design that stores each agreement's and each usage
// line's rendered JSON at index time (one text column, read 51 at a time) would allow. Not how the API reads: a
// measurement of the alternative, so its figures can be set beside the route's own statements (`*-read`). The
// tables are made in the bench's scratch database from the seeded rows, each view built by the database as a JSON
// object with the API's keys (about the size of the API's item), beside the columns a read would still need live
// (the clock- and program-dependent fields: delinquency, R, a pending migration).
import { CompiledQuery, sql, type Kysely } from "kysely";
import type { Database } from "../../api/db/schema";

/** The checkpoint as the API selects it (one JSON column, built once), with `extra` columns. */
const checkpoint = (
  extra = "",
) => `(select json_build_array(s.checkpoint_number, s.checkpoint_hash, s.checkpoint_timestamp,
  s.final_number, s.deployment_block, s.reporting_grace)::text as _s, s.checkpoint_timestamp${extra} from indexer_state s where s.id = 1 offset 0) s`;

/** Makes the two view tables and their indexes (the list's and the usage list's index ranges, as the API's). */
export async function makeViewTables(db: Kysely<Database>): Promise<void> {
  await sql`create table bench_agreement_views as select id, status, next_due, end_time, terminated_at, pending_migration_to,
    pending_migration_at, json_build_object('id', id::text, 'startup', startup, 'status', status, 'terms', json_build_object(
      'startup', startup, 'creditLimit', credit_limit::text, 'revenueShareBps', revenue_share_bps, 'capMultipleBps', cap_multiple_bps,
      'partnerFirstBps', partner_first_bps, 'startTime', start_time, 'endTime', end_time, 'periodDuration', period_duration,
      'gracePeriod', grace_period, 'termsHash', terms_hash), 'createdAt', created_at, 'createdBlock', created_block,
      'acceptedAt', accepted_at, 'terminatedAt', terminated_at, 'creditsMinted', credits_minted::text, 'consumed', consumed::text,
      'cap', cap::text, 'obligation', obligation::text, 'paid', paid::text, 'outstanding', (obligation - paid)::text,
      'nextPeriodToFinalize', next_period_to_finalize, 'periodCount', period_count, 'partnerCount', partner_count,
      'lastAudit', last_audit)::text as view from agreements`.execute(db);
  await sql`create index bench_agreement_views_status on bench_agreement_views (status, id)`.execute(
    db,
  );
  await sql`create table bench_usage_views as select block_number, log_index, agreement_id, json_build_object('batchId', batch_id,
    'agreementId', agreement_id::text, 'partner', partner, 'sku', sku, 'gpuSeconds', gpu_seconds::text, 'accepted', accepted,
    'reason', reason, 'credits', credits::text, 'receivableAdded', receivable_added::text, 'recordedAt', timestamp,
    'blockNumber', block_number, 'txHash', tx_hash)::text as view from usage_lines`.execute(
    db,
  );
  await sql`create index bench_usage_views_agreement on bench_usage_views (agreement_id, block_number, log_index)`.execute(db);
  await sql`analyze bench_agreement_views`.execute(db);
  await sql`analyze bench_usage_views`.execute(db);
}

/** A page of 50 agreements of `status` after `afterId` (none: the first page) as stored views, with the checkpoint. */
export function agreementViewsPage(status: string, afterId: string | undefined): CompiledQuery {
  const after = afterId === undefined ? "" : "and id > $2";
  return CompiledQuery.raw(
    `select s._s, x.id, x.view, x.next_due <> 0 and s.checkpoint_timestamp >= x.next_due as _delinquent, x.end_time, x.terminated_at,
      x.pending_migration_to, x.pending_migration_at from ${checkpoint()} left join (select id, view, next_due, end_time, terminated_at,
      pending_migration_to, pending_migration_at from bench_agreement_views where status = $1 ${after} order by id limit 51) x on true
      order by x.id`,
    afterId === undefined ? [status] : [status, afterId],
  );
}

/** The first 50 usage lines of agreement `id` as stored views, with the checkpoint and whether the agreement exists. */
export function usageViewsPage(id: string): CompiledQuery {
  return CompiledQuery.raw(
    `select s._s, s._found, x.view from ${checkpoint(", exists (select 1 from agreements where id = $1) as _found")}
      left join (select block_number, log_index, view from bench_usage_views where agreement_id = $1
      order by block_number, log_index limit 51) x
      on true order by x.block_number, x.log_index`,
    [id],
  );
}
