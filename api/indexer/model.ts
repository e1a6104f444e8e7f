// The indexer's replay of the ledger (PROTOCOL §4–§8) from its events: a fold of the logs, in chain order, over the
// replay state (./state), each log applied by its event's handler (./handlers, one file per domain), and handed to the
// store as the rows that changed (./rows).
import type {
  AccountsTable,
  AgreementsTable,
  AuditsTable,
  BlocksTable,
  ClaimsTable,
  DistributionsTable,
  PartnersTable,
  PaymentsTable,
  PositionsTable,
  ProgramTable,
  RatesTable,
  RevenuePeriodsTable,
  UsageBatchesTable,
  UsageDisputesTable,
  UsageLineFacts,
} from "../db/schema";
import type { DecodedLog } from "./events";
import { ledgerHandlers } from "./handlers";
import type { HandlerRegistry } from "./handlers/registry";
import { accountRow, agreementRow, disputeRow, partnerRow, periodRow, positionRow, programRow, rateRow } from "./rows";
import { LedgerState, emptyInserts } from "./state";
import { RunningTotals } from "./totals";

/** Rows to write after some logs were applied: upserts of changed state, inserts of per-log rows. */
export interface ModelChanges {
  program?: ProgramTable;
  agreements: AgreementsTable[];
  positions: PositionsTable[];
  partners: PartnersTable[];
  rates: RatesTable[];
  accounts: AccountsTable[];
  revenuePeriods: RevenuePeriodsTable[];
  usageDisputes: UsageDisputesTable[];
  usageBatches: UsageBatchesTable[];
  usageLines: UsageLineFacts[];
  payments: PaymentsTable[];
  distributions: DistributionsTable[];
  claims: ClaimsTable[];
  audits: AuditsTable[];
  blocks: BlocksTable[];
}

/** The handlers every model uses by default (they keep no state of their own). */
const LEDGER_HANDLERS = ledgerHandlers();

/**
 * The ledger's state rebuilt from its logs. Apply logs in chain order with {@link apply}; take the rows
 * that changed since the last call with {@link takeChanges}.
 */
export class LedgerModel {
  private readonly state = new LedgerState();
  /** The program's and each partner's totals, counted from the rows as they change. */
  private readonly totals = new RunningTotals();

  /** @param handlers what each event does (default: every domain's handlers, api/indexer/handlers). */
  constructor(private readonly handlers: HandlerRegistry = LEDGER_HANDLERS) {}

  /**
   * Applies one decoded log (in chain order) with its event's handler.
   * @throws UnhandledEventError when no handler takes the event; ReplayError when the log contradicts the replay.
   */
  apply(log: DecodedLog): void {
    this.handlers.handlerFor(log)({ event: log.event, log, state: this.state });
  }

  /** The rows changed since the last call, ready for the store; clears the change sets. */
  takeChanges(blocks: BlocksTable[] = []): ModelChanges {
    const st = this.state;
    const moved = this.totals.count(st);
    if (moved.program) st.programDirty = true;
    // a partner's row carries its totals (a position of an unregistered partner cannot be replayed: ReplayError)
    for (const partner of moved.partners) if (st.partners.has(partner)) st.dirty.partners.add(partner);
    const changes: ModelChanges = {
      program: st.programDirty ? programRow(st.program, this.totals.program) : undefined,
      agreements: [...st.dirty.agreements].map((id) => agreementRow(st.agreements.get(id)!)),
      positions: [...st.dirty.positions].map((k) => positionRow(st.positions.get(k)!)),
      partners: [...st.dirty.partners].map((k) => partnerRow(st.partners.get(k)!, this.totals.partnerTotals(k))),
      rates: [...st.dirty.rates].map((k) => rateRow(st.rates.get(k)!)),
      accounts: [...st.dirty.accounts].map((k) => accountRow(st.accounts.get(k)!)),
      revenuePeriods: [...st.dirty.periods].map((k) => periodRow(st.periods.get(k)!)),
      usageDisputes: [...st.dirty.disputes].map((k) => disputeRow(st.disputes.get(k)!)),
      ...st.inserts,
      blocks,
    };
    st.programDirty = false;
    for (const set of Object.values(st.dirty)) set.clear();
    st.inserts = emptyInserts();
    return changes;
  }

  /** Every state row (after a rebuild), without the per-log rows. */
  allState(): ModelChanges {
    const st = this.state;
    this.totals.reset();
    st.programDirty = true;
    for (const id of st.agreements.keys()) st.dirty.agreements.add(id);
    for (const k of st.positions.keys()) st.dirty.positions.add(k);
    for (const k of st.partners.keys()) st.dirty.partners.add(k);
    for (const k of st.rates.keys()) st.dirty.rates.add(k);
    for (const k of st.accounts.keys()) st.dirty.accounts.add(k);
    for (const k of st.periods.keys()) st.dirty.periods.add(k);
    for (const k of st.disputes.keys()) st.dirty.disputes.add(k);
    st.inserts = emptyInserts();
    return this.takeChanges();
  }
}
