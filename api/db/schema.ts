// The read side's one schema, for PGlite and PostgreSQL alike (SERVICES §4). uint256 values are
// numeric(78) and travel as decimal strings; block numbers and unix times are bigint (int8) read as JS
// numbers (both engines are configured so: see database.ts); addresses and hashes are lower-case hex text.
import type { ColumnType } from "kysely";
import { NOTIFICATION_DDL, type NotificationTables } from "../notifications/schema";
import { WEBHOOK_DDL, type WebhookTables } from "../webhooks/schema";
import { REASON_DDL, type ReasonTables } from "../reasons/schema";

/** numeric(78): written and read as a decimal string. */
type Uint = string;
/** int8 holding a block number, a unix time or a small counter. */
type Int8 = number;

export interface IndexerStateTable {
  id: number;
  chain_id: Int8;
  ledger: string;
  credit: string;
  settlement_token: string;
  deployment_block: Int8;
  dispute_window: Int8;
  rate_notice: Int8;
  auth_notice: Int8;
  reporting_grace: Int8;
  /** Notices of PROGRAM's changes (PROTOCOL v1.1 §3): signer sets, wallet migrations, payout addresses. */
  signer_notice: Int8;
  migration_notice: Int8;
  payout_notice: Int8;
  /** The last block indexed, its hash and time (null before the first chunk). */
  checkpoint_number: Int8 | null;
  checkpoint_hash: string | null;
  checkpoint_timestamp: Int8 | null;
  /** The chain head the indexer last saw, and head − confirmations. */
  head_number: Int8 | null;
  final_number: Int8 | null;
  lease_owner: string | null;
  lease_expires_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface ProgramTable {
  id: number;
  treasury: string | null;
  paused: boolean;
  last_unpaused_at: Int8;
  program_claimable: Uint;
  program_claimed: Uint;
  /** JSON array of addresses: the revenue signer set last in force by an event (a pending set may have matured since). */
  revenue_signers: string;
  revenue_threshold: number;
  /** PROGRAM's later set (JSON array, `[]` when none), in force from `revenue_pending_at` (0: none) without another event. */
  revenue_pending_signers: string;
  revenue_pending_threshold: number;
  revenue_pending_at: Int8;
  agreement_count: Int8;
  /**
   * Running totals over every agreement and revenue period, kept by the indexer (api/indexer/totals.ts) so that
   * `GET /v1/program` reads one row instead of summing them all. `agreements_by_status`: JSON object status → count.
   */
  agreements_by_status: string;
  credits_minted_total: Uint;
  consumed_total: Uint;
  /** Σ (creditsMinted − consumed) over Active and Terminated agreements. */
  credits_outstanding_total: Uint;
  obligation_total: Uint;
  paid_total: Uint;
  /** Σ revenue over periods reported and not rejected (Pending, Disputed, Cleared, Finalized). */
  revenue_reported_total: Uint;
  revenue_finalized_total: Uint;
}

/**
 * Every block that holds logs of the ledger or its credit token, with those logs as the chain gave them: the
 * replay source (restart, reorg) and the candidates for the common ancestor after a reorg. One row per block,
 * not per log: a usage batch's block holds ~2 logs per line, and the rows are written in every chunk.
 */
export interface BlocksTable {
  number: Int8;
  hash: string;
  timestamp: Int8;
  /** Base64 of the raw-deflated JSON array `[logIndex, txHash, address, topics[], data][]`, in log order (`[]`: the block before the deployment). */
  logs: string;
}

export interface AgreementsTable {
  id: Uint;
  startup: string;
  status: string;
  credit_limit: Uint;
  revenue_share_bps: number;
  cap_multiple_bps: Int8;
  partner_first_bps: number;
  start_time: Int8;
  end_time: Int8;
  period_duration: Int8;
  grace_period: Int8;
  terms_hash: string;
  created_block: Int8;
  created_at: Int8;
  accepted_at: Int8;
  terminated_at: Int8;
  credits_minted: Uint;
  consumed: Uint;
  cap: Uint;
  obligation: Uint;
  paid: Uint;
  next_due: Int8;
  next_period_to_finalize: number;
  period_count: number;
  partner_count: number;
  /** PROGRAM's proposed wallet migration (lower-case address; null when none) and its effectiveAt (0 when none). */
  pending_migration_to: string | null;
  pending_migration_at: Int8;
  updated_block: Int8;
  /**
   * The agreement's latest AuditRecorded as the JSON array `[auditor, throughBlock, reportHash, clean, timestamp,
   * blockNumber, logIndex, txHash]` (null: none), kept by the indexer so a read needs no lookup in `audits`.
   */
  last_audit: string | null;
}

export interface PositionsTable {
  agreement_id: Uint;
  partner: string;
  list_index: number;
  spend_limit: Uint;
  max_gpus: Int8;
  pending_spend_limit: Uint;
  pending_spend_limit_at: Int8;
  pending_max_gpus: Int8;
  pending_max_gpus_at: Int8;
  spent: Uint;
  burned_at: Uint;
  receivable: Uint;
  paid_to_partner: Uint;
  last_usage_end: Int8;
}

/** Every column of `positions` (selected with a prefix beside an agreement's columns). */
export const POSITION_COLUMNS = [
  "agreement_id",
  "partner",
  "list_index",
  "spend_limit",
  "max_gpus",
  "pending_spend_limit",
  "pending_spend_limit_at",
  "pending_max_gpus",
  "pending_max_gpus_at",
  "spent",
  "burned_at",
  "receivable",
  "paid_to_partner",
  "last_usage_end",
] as const satisfies readonly (keyof PositionsTable)[];
// every column is listed: a column added to PositionsTable and not here fails to compile
type MissingPositionColumn = Exclude<keyof PositionsTable, (typeof POSITION_COLUMNS)[number]>;
const _allPositionColumns: [MissingPositionColumn] extends [never] ? true : MissingPositionColumn = true;
void _allPositionColumns;

export interface PartnersTable {
  address: string;
  /** JSON array of addresses: the signer set last in force by an event (a pending set may have matured since). */
  signers: string;
  threshold: number;
  /** PROGRAM's proposed set (JSON array, `[]` when none), in force from `pending_signers_at` (0: none) without another event. */
  pending_signers: string;
  pending_threshold: number;
  pending_signers_at: Int8;
  /** The payout address last in force by an event (null: none set, claims go to the partner itself). */
  payout_address: string | null;
  /** PROGRAM's proposed payout address (null when none), in force from `pending_payout_at` (0: none). */
  pending_payout: string | null;
  pending_payout_at: Int8;
  payout_bps: number;
  active: boolean;
  next_sequence: Int8;
  registered_block: Int8;
  registered_at: Int8;
  /** Running totals over the partner's positions (api/indexer/totals.ts): how many, and Σ spent/receivable/paid. */
  position_count: Int8;
  spent_total: Uint;
  receivable_total: Uint;
  paid_total: Uint;
}

export interface RatesTable {
  partner: string;
  sku: string;
  effective_from: Int8;
  credits_per_gpu_hour: Uint;
  scheduled_block: Int8;
}

export interface AccountsTable {
  address: string;
  credit_balance: Uint;
  claimable: Uint;
  claimed: Uint;
}

export interface RevenuePeriodsTable {
  agreement_id: Uint;
  period_index: number;
  state: string;
  version: Int8;
  revenue: Uint;
  evidence_hash: string;
  submitted_at: Int8;
  disputed_by: string | null;
  /** The dispute's reasonHash since the latest report (null: none); its text, once stored, is in dispute_reasons. */
  dispute_reason_hash: string | null;
  owed: Uint;
  cumulative_obligation: Uint;
  due: Int8;
  finalized_at: Int8;
}

export interface UsageBatchesTable {
  batch_id: string;
  partner: string;
  sequence: Int8;
  period_start: Int8;
  period_end: Int8;
  records_root: string;
  lines_accepted: Int8;
  lines_rejected: Int8;
  block_number: Int8;
  log_index: number;
  tx_hash: string;
  submitted_at: Int8;
}

export interface UsageLinesTable {
  block_number: Int8;
  log_index: number;
  batch_id: string;
  agreement_id: Uint;
  partner: string;
  sku: string;
  gpu_seconds: Uint;
  accepted: boolean;
  reason: string | null;
  credits: Uint;
  receivable_added: Uint;
  tx_hash: string;
  timestamp: Int8;
  /**
   * The line as the API answers it: the JSON text of `usageLineView` (api/services/usageLineView.ts) of the columns
   * above, rendered by the indexer when it inserts the line (lines never change), so a page of lines is read as
   * one text column a row and written out as is. A change to that view is a schema change (SCHEMA_VERSION).
   */
  view: string;
}

/** A usage line as the indexer's handlers collect it: its view is rendered when the line is written. */
export type UsageLineFacts = Omit<UsageLinesTable, "view">;

export interface UsageDisputesTable {
  batch_id: string;
  agreement_id: Uint;
  state: string;
  disputed_by: string;
  reason_hash: string;
  disputed_at: Int8;
  refund: Uint;
  receivable_removed: Uint;
  resolved_at: Int8;
}

/** PaymentApplied, Distributed, Claimed and AuditRecorded rows share the (block_number, log_index) key. */
interface EventRow {
  block_number: Int8;
  log_index: number;
  tx_hash: string;
  timestamp: Int8;
}

export interface PaymentsTable extends EventRow {
  agreement_id: Uint;
  payer: string;
  amount: Uint;
  to_partners: Uint;
  to_program: Uint;
}

export interface DistributionsTable extends EventRow {
  agreement_id: Uint;
  beneficiary: string;
  amount: Uint;
}

export interface ClaimsTable extends EventRow {
  beneficiary: string;
  recipient: string;
  amount: Uint;
}

export interface AuditsTable extends EventRow {
  agreement_id: Uint;
  auditor: string;
  through_block: Uint;
  report_hash: string;
  clean: boolean;
}

export interface Database extends NotificationTables, WebhookTables, ReasonTables {
  indexer_state: IndexerStateTable;
  program: ProgramTable;
  blocks: BlocksTable;
  agreements: AgreementsTable;
  positions: PositionsTable;
  partners: PartnersTable;
  rates: RatesTable;
  accounts: AccountsTable;
  revenue_periods: RevenuePeriodsTable;
  usage_batches: UsageBatchesTable;
  usage_lines: UsageLinesTable;
  usage_disputes: UsageDisputesTable;
  payments: PaymentsTable;
  distributions: DistributionsTable;
  claims: ClaimsTable;
  audits: AuditsTable;
}

/** Tables derived by replaying the stored logs (`blocks.logs`; rebuilt whole after a reorg). */
export const STATE_TABLES = [
  "program",
  "agreements",
  "positions",
  "partners",
  "rates",
  "accounts",
  "revenue_periods",
  "usage_disputes",
] as const satisfies readonly (keyof Database)[];

/** Tables with one row per log (or block): a reorg deletes their rows above the common ancestor. */
export const LOG_TABLES = [
  "blocks",
  "usage_batches",
  "usage_lines",
  "payments",
  "distributions",
  "claims",
  "audits",
] as const satisfies readonly (keyof Database)[];

const U = "numeric(78, 0)";

/**
 * The schema, idempotent (`if not exists`). Bump SCHEMA_VERSION when tables or columns change; a new index is
 * created by the next open of a database of the same version.
 */
export const SCHEMA_VERSION = 7;
export const DDL: readonly string[] = [
  `create table if not exists schema_version (version int primary key)`,
  `create table if not exists indexer_state (
    id int primary key check (id = 1),
    chain_id bigint not null, ledger text not null, credit text not null, settlement_token text not null,
    deployment_block bigint not null,
    dispute_window bigint not null, rate_notice bigint not null, auth_notice bigint not null, reporting_grace bigint not null,
    signer_notice bigint not null, migration_notice bigint not null, payout_notice bigint not null,
    checkpoint_number bigint, checkpoint_hash text, checkpoint_timestamp bigint,
    head_number bigint, final_number bigint,
    lease_owner text, lease_expires_at timestamptz,
    updated_at timestamptz not null default now())`,
  `create table if not exists program (
    id int primary key check (id = 1), treasury text, paused boolean not null, last_unpaused_at bigint not null,
    program_claimable ${U} not null, program_claimed ${U} not null, revenue_signers text not null,
    revenue_threshold int not null, revenue_pending_signers text not null, revenue_pending_threshold int not null,
    revenue_pending_at bigint not null, agreement_count bigint not null, agreements_by_status text not null,
    credits_minted_total ${U} not null, consumed_total ${U} not null, credits_outstanding_total ${U} not null,
    obligation_total ${U} not null, paid_total ${U} not null, revenue_reported_total ${U} not null,
    revenue_finalized_total ${U} not null)`,
  `create table if not exists blocks (number bigint primary key, hash text not null, timestamp bigint not null, logs text not null)`,
  // the logs are compressed already (store.ts blockRow): no second compression
  `alter table blocks alter column logs set storage external`,
  `create table if not exists agreements (
    id ${U} primary key, startup text not null, status text not null, credit_limit ${U} not null,
    revenue_share_bps int not null, cap_multiple_bps bigint not null, partner_first_bps int not null,
    start_time bigint not null, end_time bigint not null, period_duration bigint not null, grace_period bigint not null,
    terms_hash text not null, created_block bigint not null, created_at bigint not null,
    accepted_at bigint not null, terminated_at bigint not null, credits_minted ${U} not null, consumed ${U} not null,
    cap ${U} not null, obligation ${U} not null, paid ${U} not null, next_due bigint not null,
    next_period_to_finalize int not null, period_count int not null, partner_count int not null,
    pending_migration_to text, pending_migration_at bigint not null, updated_block bigint not null, last_audit text)`,
  `create index if not exists agreements_startup on agreements (startup, id)`,
  `create index if not exists agreements_status on agreements (status, id)`,
  `create index if not exists agreements_created on agreements (created_at, id)`,
  // the program's count of delinquent agreements (next_due ≠ 0 and now ≥ next_due): a range of this index
  `create index if not exists agreements_next_due on agreements (next_due) where next_due <> 0`,
  `create table if not exists positions (
    agreement_id ${U} not null, partner text not null, list_index int not null,
    spend_limit ${U} not null, max_gpus bigint not null, pending_spend_limit ${U} not null,
    pending_spend_limit_at bigint not null, pending_max_gpus bigint not null, pending_max_gpus_at bigint not null,
    spent ${U} not null, burned_at ${U} not null, receivable ${U} not null, paid_to_partner ${U} not null,
    last_usage_end bigint not null, primary key (agreement_id, partner))`,
  `create index if not exists positions_partner on positions (partner, agreement_id)`,
  `create table if not exists partners (
    address text primary key, signers text not null, threshold int not null, pending_signers text not null,
    pending_threshold int not null, pending_signers_at bigint not null, payout_address text, pending_payout text,
    pending_payout_at bigint not null, payout_bps int not null,
    active boolean not null, next_sequence bigint not null, registered_block bigint not null, registered_at bigint not null,
    position_count bigint not null, spent_total ${U} not null, receivable_total ${U} not null, paid_total ${U} not null)`,
  `create table if not exists rates (
    partner text not null, sku text not null, effective_from bigint not null, credits_per_gpu_hour ${U} not null,
    scheduled_block bigint not null, primary key (partner, sku, effective_from))`,
  `create table if not exists accounts (
    address text primary key, credit_balance ${U} not null, claimable ${U} not null, claimed ${U} not null)`,
  `create table if not exists revenue_periods (
    agreement_id ${U} not null, period_index int not null, state text not null, version bigint not null,
    revenue ${U} not null, evidence_hash text not null, submitted_at bigint not null, disputed_by text, dispute_reason_hash text,
    owed ${U} not null, cumulative_obligation ${U} not null, due bigint not null, finalized_at bigint not null,
    primary key (agreement_id, period_index))`,
  `create table if not exists usage_batches (
    batch_id text primary key, partner text not null, sequence bigint not null, period_start bigint not null,
    period_end bigint not null, records_root text not null, lines_accepted bigint not null, lines_rejected bigint not null,
    block_number bigint not null, log_index int not null, tx_hash text not null, submitted_at bigint not null)`,
  `create index if not exists usage_batches_block on usage_batches (block_number)`,
  // a partner's batches, newest first (GET /v1/partners/:address/usage-batches); an index alone is created on open
  // in a database of this version: no version change
  `create index if not exists usage_batches_partner on usage_batches (partner, block_number, log_index)`,
  `create table if not exists usage_lines (
    block_number bigint not null, log_index int not null, batch_id text not null, agreement_id ${U} not null,
    partner text not null, sku text not null, gpu_seconds ${U} not null, accepted boolean not null, reason text,
    credits ${U} not null, receivable_added ${U} not null, tx_hash text not null, timestamp bigint not null, view text not null,
    primary key (block_number, log_index))`,
  `create index if not exists usage_lines_agreement on usage_lines (agreement_id, block_number, log_index)`,
  // no index on batch_id: a batch's lines are in the batch's own block (one transaction), found by the primary key
  `create table if not exists usage_disputes (
    batch_id text not null, agreement_id ${U} not null, state text not null, disputed_by text not null,
    reason_hash text not null, disputed_at bigint not null, refund ${U} not null, receivable_removed ${U} not null,
    resolved_at bigint not null, primary key (batch_id, agreement_id))`,
  `create table if not exists payments (
    block_number bigint not null, log_index int not null, tx_hash text not null, timestamp bigint not null,
    agreement_id ${U} not null, payer text not null, amount ${U} not null, to_partners ${U} not null, to_program ${U} not null,
    primary key (block_number, log_index))`,
  `create index if not exists payments_agreement on payments (agreement_id, block_number, log_index)`,
  `create table if not exists distributions (
    block_number bigint not null, log_index int not null, tx_hash text not null, timestamp bigint not null,
    agreement_id ${U} not null, beneficiary text not null, amount ${U} not null, primary key (block_number, log_index))`,
  `create index if not exists distributions_agreement on distributions (agreement_id, block_number, log_index)`,
  `create table if not exists claims (
    block_number bigint not null, log_index int not null, tx_hash text not null, timestamp bigint not null,
    beneficiary text not null, recipient text not null, amount ${U} not null, primary key (block_number, log_index))`,
  `create table if not exists audits (
    block_number bigint not null, log_index int not null, tx_hash text not null, timestamp bigint not null,
    agreement_id ${U} not null, auditor text not null, through_block ${U} not null, report_hash text not null,
    clean boolean not null, primary key (block_number, log_index))`,
  `create index if not exists audits_agreement on audits (agreement_id, block_number, log_index)`,
  ...NOTIFICATION_DDL,
  ...WEBHOOK_DDL,
  ...REASON_DDL,
];
