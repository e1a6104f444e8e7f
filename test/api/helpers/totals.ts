// The running totals the indexer keeps (api/indexer/totals.ts), summed again from the rows by SQL: a test's second
// derivation, so a delta counted wrong or missed in any chunking, restart or reorg shows up as a difference.
import { expect } from "chai";
import { sql } from "kysely";
import type { DatabaseHandle } from "../../../api/db/database";

/** Asserts that the program's and every partner's totals, and each agreement's `last_audit`, equal their rows' sums. */
export async function expectTotalsMatchRows(handle: DatabaseHandle): Promise<void> {
  const db = handle.db;
  const program = await db.selectFrom("program").selectAll().executeTakeFirstOrThrow();
  const { rows } = await sql<Record<string, string | null>>`select
      (select json_object_agg(status, n)::text from (select status, count(*) as n from agreements group by status) c) as by_status,
      (select coalesce(sum(credits_minted), 0)::text from agreements) as minted,
      (select coalesce(sum(consumed), 0)::text from agreements) as consumed,
      (select coalesce(sum(credits_minted - consumed), 0)::text from agreements where status in ('Active', 'Terminated')) as outstanding,
      (select coalesce(sum(obligation), 0)::text from agreements) as obligation,
      (select coalesce(sum(paid), 0)::text from agreements) as paid,
      (select coalesce(sum(revenue), 0)::text from revenue_periods where state in ('Pending', 'Disputed', 'Cleared', 'Finalized')) as reported,
      (select coalesce(sum(revenue), 0)::text from revenue_periods where state = 'Finalized') as finalized`.execute(db);
  const sums = rows[0];
  const byStatus = Object.fromEntries(Object.entries(JSON.parse(program.agreements_by_status) as Record<string, number>).filter(([, n]) => n !== 0));
  expect(byStatus, "agreements by status").to.deep.equal(JSON.parse(sums.by_status ?? "{}"));
  expect(
    [program.credits_minted_total, program.consumed_total, program.credits_outstanding_total, program.obligation_total, program.paid_total, program.revenue_reported_total, program.revenue_finalized_total],
    "program totals (minted, consumed, outstanding credits, obligation, paid, revenue reported, finalized)",
  ).to.deep.equal([sums.minted, sums.consumed, sums.outstanding, sums.obligation, sums.paid, sums.reported, sums.finalized]);
  expect(Number(sums.minted), "a scenario with no agreements proves nothing").to.be.greaterThan(0);

  const partners = await sql<Record<string, string>>`select p.address, p.position_count::text as kept_count, p.spent_total::text as kept_spent,
      p.receivable_total::text as kept_receivable, p.paid_total::text as kept_paid,
      count(x.partner)::text as count, coalesce(sum(x.spent), 0)::text as spent, coalesce(sum(x.receivable), 0)::text as receivable,
      coalesce(sum(x.paid_to_partner), 0)::text as paid
    from partners p left join positions x on x.partner = p.address group by p.address order by p.address`.execute(db);
  expect(partners.rows.length, "partners").to.be.greaterThan(0);
  for (const p of partners.rows) {
    expect([p.kept_count, p.kept_spent, p.kept_receivable, p.kept_paid], `totals of partner ${p.address}`).to.deep.equal([p.count, p.spent, p.receivable, p.paid]);
  }

  const audits = await sql<{ id: string; kept: string | null; latest: string | null }>`select a.id::text as id, a.last_audit as kept,
      (select json_build_array(au.auditor, au.through_block::text, au.report_hash, au.clean, au.timestamp, au.block_number, au.log_index, au.tx_hash)::text
         from audits au where au.agreement_id = a.id order by au.block_number desc, au.log_index desc limit 1) as latest
    from agreements a order by a.id`.execute(db);
  for (const a of audits.rows) {
    expect(a.kept === null ? null : JSON.parse(a.kept), `last audit of agreement ${a.id}`).to.deep.equal(a.latest === null ? null : JSON.parse(a.latest));
  }
}
