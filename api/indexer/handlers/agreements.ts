// Agreements (PROTOCOL §4): creation, the startup's acceptance, the ends of an agreement, wallet migrations, and the
// startup's authorizations of partners (a position's limits).
import { authorizeLimit } from "../../../sdk/ledgerRules";
import { decimal, lower } from "../state";
import type { HandlerRegistry } from "./registry";

/** Registers the agreement events' handlers. */
export function registerAgreementHandlers(registry: HandlerRegistry): void {
  registry
    .on("ledger:AgreementCreated", ({ event: e, log, state }) => {
      const t = e.args.terms;
      const id = e.args.id;
      const periodCount = Number((t.endTime - t.startTime) / BigInt(t.periodDuration));
      state.agreements.set(id, {
        id,
        idText: decimal(id),
        startup: lower(e.args.startup),
        status: "Proposed",
        creditLimit: t.creditLimit,
        revenueShareBps: t.revenueShareBps,
        capMultipleBps: t.capMultipleBps,
        partnerFirstBps: t.partnerFirstBps,
        startTime: Number(t.startTime),
        endTime: Number(t.endTime),
        periodDuration: t.periodDuration,
        gracePeriod: t.gracePeriod,
        termsHash: t.termsHash,
        createdBlock: log.blockNumber,
        createdAt: log.timestamp,
        acceptedAt: 0,
        terminatedAt: 0,
        creditsMinted: 0n,
        consumed: 0n,
        obligation: 0n,
        paid: 0n,
        nextDue: 0,
        finalized: [],
        nextPeriodToFinalize: 0,
        periodCount,
        partners: [],
        pendingMigration: null,
        lastAudit: null,
        updatedBlock: log.blockNumber,
      });
      state.dirty.agreements.add(id);
      state.program.agreementCount += 1;
      state.programDirty = true;
    })
    .on("ledger:AgreementAccepted", ({ event: e, log, state }) => {
      const a = state.agreement(e.args.id, log);
      a.status = "Active";
      a.acceptedAt = log.timestamp;
      a.creditsMinted = e.args.creditsMinted;
    })
    .on("ledger:AgreementCancelled", ({ event: e, log, state }) => {
      // a pending migration ends with the agreement (no event of its own)
      const a = state.agreement(e.args.id, log);
      a.status = "Cancelled";
      a.pendingMigration = null;
    })
    .on("ledger:AgreementTerminated", ({ event: e, log, state }) => {
      const a = state.agreement(e.args.id, log);
      a.status = "Terminated";
      a.terminatedAt = Number(e.args.terminatedAt);
    })
    .on("ledger:CreditsExpired", ({ event: e, log, state }) => {
      const a = state.agreement(e.args.id, log);
      a.status = "Expired";
      a.pendingMigration = null;
    })
    .on("ledger:StartupMigrated", ({ event: e, log, state }) => {
      // the startup's own migration or PROGRAM's executed one: either ends a pending proposal
      const a = state.agreement(e.args.id, log);
      a.startup = lower(e.args.to);
      a.pendingMigration = null;
    })
    .on("ledger:StartupMigrationProposed", ({ event: e, log, state }) => {
      // a newer proposal replaces an older one
      state.agreement(e.args.id, log).pendingMigration = { to: lower(e.args.to), effectiveAt: Number(e.args.effectiveAt) };
    })
    .on("ledger:StartupMigrationCancelled", ({ event: e, log, state }) => {
      state.agreement(e.args.id, log).pendingMigration = null;
    })
    .on("ledger:PartnerAuthorized", ({ event: e, log, state }) => {
      const a = state.agreement(e.args.id, log);
      const p = state.position(a, lower(e.args.partner), true);
      // each field on its own against the value in force at the call; a decrease's effectiveAt is the event's
      const now = BigInt(log.timestamp);
      const decreaseAt = BigInt(e.args.effectiveAt);
      const spend = authorizeLimit(
        { value: p.spendLimit, pending: p.pendingSpendLimit, pendingAt: BigInt(p.pendingSpendLimitAt) },
        e.args.spendLimit,
        now,
        decreaseAt,
      );
      [p.spendLimit, p.pendingSpendLimit, p.pendingSpendLimitAt] = [spend.value, spend.pending, Number(spend.pendingAt)];
      const gpus = authorizeLimit(
        { value: BigInt(p.maxGpus), pending: BigInt(p.pendingMaxGpus), pendingAt: BigInt(p.pendingMaxGpusAt) },
        BigInt(e.args.maxGpus),
        now,
        decreaseAt,
      );
      [p.maxGpus, p.pendingMaxGpus, p.pendingMaxGpusAt] = [Number(gpus.value), Number(gpus.pending), Number(gpus.pendingAt)];
    });
}
