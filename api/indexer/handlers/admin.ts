// The program's administration: treasury, pause (its end restarts reporting clocks), audits recorded on chain, and
// the events that change nothing the index keeps — roles, the admin's transfer and delay (OpenZeppelin's
// AccessControlDefaultAdminRules), EIP-712 domain changes, credit approvals — ignored by name (kept in `blocks` only).
import type { HandlerRegistry } from "./registry";
import { decimal as s, lower } from "../state";

/** Registers the administration events' handlers and ignores the events the index does not keep. */
export function registerAdminHandlers(registry: HandlerRegistry): void {
  registry
    .on("ledger:TreasurySet", ({ event: e, state }) => {
      state.program.treasury = lower(e.args.treasury);
      state.programDirty = true;
    })
    .on("ledger:Paused", ({ state }) => {
      state.program.paused = true;
      state.programDirty = true;
    })
    .on("ledger:Unpaused", ({ log, state }) => {
      state.program.paused = false;
      state.program.lastUnpausedAt = log.timestamp;
      state.programDirty = true;
    })
    .on("ledger:AuditRecorded", ({ event: e, log, state }) => {
      const a = state.agreement(e.args.agreementId, log);
      // logs come in chain order: this one is the agreement's latest (the layout of AgreementsTable.last_audit)
      a.lastAudit = JSON.stringify([lower(e.args.auditor), s(e.args.throughBlock), e.args.reportHash, e.args.clean, log.timestamp, log.blockNumber, log.logIndex, log.txHash]);
      state.inserts.audits.push({
        ...state.logRow(log),
        agreement_id: s(e.args.agreementId),
        auditor: lower(e.args.auditor),
        through_block: s(e.args.throughBlock),
        report_hash: e.args.reportHash,
        clean: e.args.clean,
      });
    })
    .ignore(
      "ledger:RoleGranted",
      "ledger:RoleRevoked",
      "ledger:RoleAdminChanged",
      "ledger:DefaultAdminTransferScheduled",
      "ledger:DefaultAdminTransferCanceled",
      "ledger:DefaultAdminDelayChangeScheduled",
      "ledger:DefaultAdminDelayChangeCanceled",
      "ledger:EIP712DomainChanged",
      "credit:Approval",
      "credit:EIP712DomainChanged",
    );
}
