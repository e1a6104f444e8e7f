// Usage (PROTOCOL §6): a batch's accepted lines (credits burned, receivable booked), its rejected lines, the batch
// itself (which names the partner the lines before it did not), and usage disputes with their refunds.
import type { UsageLineFacts } from "../../db/schema";
import { USAGE_REJECTION } from "../events";
import { ReplayError, decimal as s, lower, where } from "../state";
import type { HandlerRegistry } from "./registry";

/** Registers the usage events' handlers. */
export function registerUsageHandlers(registry: HandlerRegistry): void {
  registry
    .on("ledger:UsageRecorded", ({ event: e, log, state }) => {
      const a = state.agreement(e.args.agreementId, log);
      const partner = lower(e.args.partner);
      const p = state.position(a, partner, false, log);
      p.spent += e.args.credits;
      p.burnedAt += e.args.credits;
      p.receivable += e.args.receivableAdded;
      a.consumed += e.args.credits;
      const pairs = state.openBatchPairs.get(e.args.batchId) ?? new Set<string>();
      pairs.add(`${a.id}|${partner}`);
      state.openBatchPairs.set(e.args.batchId, pairs);
      // every field written out (an object spread here cost more than the rest of the event)
      state.inserts.usageLines.push({
        block_number: log.blockNumber,
        log_index: log.logIndex,
        tx_hash: log.txHash,
        timestamp: log.timestamp,
        batch_id: e.args.batchId,
        agreement_id: a.idText,
        partner,
        sku: e.args.sku,
        gpu_seconds: s(e.args.gpuSeconds),
        accepted: true,
        reason: null,
        credits: s(e.args.credits),
        receivable_added: s(e.args.receivableAdded),
      });
    })
    .on("ledger:UsageLineRejected", ({ event: e, log, state }) => {
      const line: UsageLineFacts = {
        block_number: log.blockNumber,
        log_index: log.logIndex,
        tx_hash: log.txHash,
        timestamp: log.timestamp,
        batch_id: e.args.batchId,
        agreement_id: s(e.args.agreementId),
        partner: "",
        sku: e.args.sku,
        gpu_seconds: "0",
        accepted: false,
        reason: USAGE_REJECTION[e.args.reason] ?? `Unknown(${e.args.reason})`,
        credits: "0",
        receivable_added: "0",
      };
      state.inserts.usageLines.push(line);
      const open = state.openRejected.get(e.args.batchId);
      if (open) open.push(line);
      else state.openRejected.set(e.args.batchId, [line]);
    })
    .on("ledger:UsageBatchRecorded", ({ event: e, log, state }) => {
      const partner = lower(e.args.partner);
      state.partner(partner, log).nextSequence = Number(e.args.sequence) + 1;
      state.batchPartner.set(e.args.batchId, partner);
      for (const pair of state.openBatchPairs.get(e.args.batchId) ?? []) {
        const p = state.positions.get(pair);
        if (!p) throw new ReplayError(`usage pair ${pair} vanished before its batch closed`);
        p.lastUsageEnd = Number(e.args.periodEnd);
        state.dirty.positions.add(pair);
      }
      state.openBatchPairs.delete(e.args.batchId);
      // rejected lines were emitted before the batch: they name no partner until now
      for (const line of state.openRejected.get(e.args.batchId) ?? []) line.partner = partner;
      state.openRejected.delete(e.args.batchId);
      state.inserts.usageBatches.push({
        batch_id: e.args.batchId,
        partner,
        sequence: Number(e.args.sequence),
        period_start: Number(e.args.periodStart),
        period_end: Number(e.args.periodEnd),
        records_root: e.args.recordsRoot,
        lines_accepted: Number(e.args.linesAccepted),
        lines_rejected: Number(e.args.linesRejected),
        block_number: log.blockNumber,
        log_index: log.logIndex,
        tx_hash: log.txHash,
        submitted_at: log.timestamp,
      });
    })
    .on("ledger:UsageDisputed", ({ event: e, log, state }) => {
      const key = `${e.args.batchId}|${e.args.agreementId}`;
      state.disputes.set(key, {
        batchId: e.args.batchId,
        agreementId: e.args.agreementId,
        state: "Open",
        disputedBy: lower(e.args.by),
        reasonHash: e.args.reasonHash,
        disputedAt: log.timestamp,
        refund: 0n,
        receivableRemoved: 0n,
        resolvedAt: 0,
      });
      state.dirty.disputes.add(key);
    })
    .on("ledger:UsageDisputeResolved", ({ event: e, log, state }) => {
      const key = `${e.args.batchId}|${e.args.agreementId}`;
      const d = state.disputes.get(key);
      if (!d) throw new ReplayError(`UsageDisputeResolved without a dispute at ${where(log)}`);
      d.state = "Resolved";
      d.refund = e.args.refund;
      d.receivableRemoved = e.args.receivableRemoved;
      d.resolvedAt = log.timestamp;
      state.dirty.disputes.add(key);
      if (e.args.refund === 0n) return;
      const partner = state.batchPartner.get(e.args.batchId);
      if (!partner) throw new ReplayError(`UsageDisputeResolved for unknown batch ${e.args.batchId}`);
      const a = state.agreement(e.args.agreementId, log);
      const p = state.position(a, partner, false, log);
      p.spent -= e.args.refund;
      p.receivable -= e.args.receivableRemoved;
      a.consumed -= e.args.refund;
      if (a.status !== "Expired") a.creditsMinted += e.args.refund;
    });
}
