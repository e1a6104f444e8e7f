// Deriving notifications (SERVICES §4) from final blocks: a replay of the ledger of its own (the indexer's handlers
// over a LedgerState that only ever sees final blocks) tells each log's parties and figures; the chain's clock, at
// each final block, tells what fell due (payment.due_soon) or overdue (agreement.delinquent, sdk/ledgerRules.ts).
import { zeroAddress } from "viem";
import { isDelinquent } from "../../sdk/ledgerRules";
import { DEFAULT_DUE_SOON_SECONDS } from "../defaults";
import { USAGE_REJECTION, type DecodedLog } from "../indexer/events";
import { ledgerHandlers } from "../indexer/handlers";
import { inForceAt, LedgerState, emptyInserts, type Agreement, type SignerSet } from "../indexer/state";
import { addr, iso, isoOrNull, skuName } from "../services/format";
import { notificationId } from "./ids";
import type { NotificationDraft, NotificationType, Payload } from "./types";

/** A final block: where notifications derived at it are placed. */
export interface FinalBlock {
  number: number;
  hash: string;
  timestamp: number;
}

/** A usage batch's lines per agreement, collected until its UsageBatchRecorded names the partner. */
interface BatchPart {
  accepted: number;
  rejected: number;
  gpuSeconds: bigint;
  credits: bigint;
  receivableAdded: bigint;
  rejectedLines: { txHash: string; logIndex: number; sku: string; reason: number }[];
}

/** What the clock watches for an agreement that owes: its nextDue and which notices went out for it. */
interface Watch {
  due: number;
  soon: boolean;
  delinquent: boolean;
}

const HANDLERS = ledgerHandlers();
const sig = (s: SignerSet) => ({ signers: s.signers.map(addr), threshold: s.threshold });

/**
 * Turns final blocks, in chain order, into notifications. Feed it every final block holding logs with
 * {@link block}, and the final mark with {@link observe}; replaying stored blocks into a fresh deriver rebuilds it.
 */
export class NotificationDeriver {
  private readonly state = new LedgerState();
  private readonly batches = new Map<string, Map<bigint, BatchPart>>();
  private readonly watch = new Map<bigint, Watch>();
  /** The last block fed (its logs applied, or observed). */
  through = -1;

  /**
   * @param chainId part of every id
   * @param dueSoonSeconds how long before a due date payment.due_soon goes out
   */
  constructor(
    private readonly chainId: number,
    private readonly dueSoonSeconds: number = DEFAULT_DUE_SOON_SECONDS,
  ) {}

  /**
   * The notifications of one final block: first what the clock brought while the state before it ruled (up to the
   * second before the block), then each log's, in log order.
   */
  block(at: FinalBlock, logs: readonly DecodedLog[]): NotificationDraft[] {
    const out = this.clock(at, at.timestamp - 1);
    for (const log of logs) this.apply(at, log, out);
    // the handlers' row buffers are the indexer's business: dropped
    this.state.inserts = emptyInserts();
    for (const set of Object.values(this.state.dirty)) set.clear();
    this.state.programDirty = false;
    this.through = at.number;
    return out;
  }

  /** The clock-derived notifications at a final block without logs (the final mark). */
  observe(at: FinalBlock): NotificationDraft[] {
    const out = this.clock(at, at.timestamp);
    this.through = Math.max(this.through, at.number);
    return out;
  }

  /** payment.due_soon and agreement.delinquent of every agreement that owes, as of chain time `now`. */
  private clock(at: FinalBlock, now: number): NotificationDraft[] {
    const out: NotificationDraft[] = [];
    for (const [id, w] of this.watch) {
      const a = this.state.agreements.get(id)!;
      if (!w.soon && now >= w.due - this.dueSoonSeconds) {
        w.soon = true;
        out.push(this.draft("payment.due_soon", at, null, a, [a.idText, w.due], { ...this.owing(a, w.due), dueSoonSeconds: this.dueSoonSeconds }));
      }
      if (!w.delinquent && isDelinquent(BigInt(w.due), BigInt(now))) {
        w.delinquent = true;
        out.push(this.draft("agreement.delinquent", at, null, a, [a.idText, w.due], this.owing(a, w.due)));
      }
      if (w.soon && w.delinquent) this.watch.delete(id);
    }
    return out;
  }

  /** What an agreement owes for the due date `due`. */
  private owing(a: Agreement, due: number): Payload {
    const period = a.finalized.find((p) => p.cumulativeObligation > a.paid);
    return {
      agreementId: a.idText,
      dueAt: iso(due),
      amountDue: ((period?.cumulativeObligation ?? a.paid) - a.paid).toString(),
      outstanding: (a.obligation - a.paid).toString(),
    };
  }

  /** Re-arms the clock when an agreement's nextDue moved. */
  private rewatch(a: Agreement): void {
    const w = this.watch.get(a.id);
    if (a.nextDue === 0) this.watch.delete(a.id);
    else if (!w || w.due !== a.nextDue) this.watch.set(a.id, { due: a.nextDue, soon: false, delinquent: false });
  }

  private parties(a: Agreement | undefined): string[] {
    return a ? [a.startup, ...a.partners] : [];
  }

  private draft(
    type: NotificationType,
    at: FinalBlock,
    log: DecodedLog | null,
    a: Agreement | undefined | null,
    key: readonly (string | number | bigint)[],
    data: Payload,
    extra: readonly (string | null | undefined)[] = [],
    broadcast = false,
  ): NotificationDraft {
    const addresses = new Set<string>(this.parties(a ?? undefined));
    for (const x of extra) if (x && x !== zeroAddress) addresses.add(x.toLowerCase());
    return {
      id: notificationId(this.chainId, type, log ? [log.txHash, log.logIndex, ...key] : key),
      type,
      blockNumber: at.number,
      blockHash: at.hash,
      timestamp: at.timestamp,
      txHash: log?.txHash ?? null,
      logIndex: log?.logIndex ?? null,
      agreementId: a ? a.idText : (data.agreementId as string | undefined) ?? null,
      addresses: [...addresses],
      broadcast,
      data,
    };
  }

  /** Applies one log to the replay and adds its notifications to `out`. */
  private apply(at: FinalBlock, log: DecodedLog, out: NotificationDraft[]): void {
    const st = this.state;
    const run = () => HANDLERS.handlerFor(log)({ event: log.event, log, state: st });
    if (log.source !== "ledger") return run();
    const e = log.event;
    const t = log.timestamp;
    switch (e.eventName) {
      case "StartupMigrationProposed": {
        run();
        const a = st.agreements.get(e.args.id)!;
        const to = e.args.to.toLowerCase();
        out.push(
          this.draft("governance.change_proposed", at, log, a, [], {
            change: "startupMigration",
            agreementId: a.idText,
            from: addr(e.args.from.toLowerCase()),
            to: addr(to),
            effectiveAt: iso(Number(e.args.effectiveAt)),
          }, [to]),
        );
        return;
      }
      case "PartnerSignersProposed": {
        const partner = e.args.partner.toLowerCase();
        const p = st.partners.get(partner);
        const previous = p ? inForceAt(p.signerSet, p.pendingSigners, t) : { signers: [], threshold: 0 };
        run();
        const next = { signers: e.args.signers.map((s) => s.toLowerCase()), threshold: e.args.threshold };
        const startups = [...st.agreements.values()].filter((a) => a.partners.includes(partner)).map((a) => a.startup);
        out.push(
          this.draft("governance.change_proposed", at, log, null, [], {
            change: "partnerSigners",
            partner: addr(partner),
            ...sig(next),
            previous: sig(previous),
            effectiveAt: iso(Number(e.args.effectiveAt)),
          }, [partner, ...previous.signers, ...next.signers, ...startups]),
        );
        return;
      }
      case "RevenueSignersProposed": {
        const previous = inForceAt(st.program.revenueSigners, st.program.pendingRevenueSigners, t);
        run();
        const next = { signers: e.args.signers.map((s) => s.toLowerCase()), threshold: e.args.threshold };
        out.push(
          this.draft("governance.change_proposed", at, log, null, [], {
            change: "revenueSigners",
            ...sig(next),
            previous: sig(previous),
            effectiveAt: iso(Number(e.args.effectiveAt)),
          }, [...previous.signers, ...next.signers], true),
        );
        return;
      }
      case "PayoutAddressSet": {
        const partner = e.args.partner.toLowerCase();
        const p = st.partners.get(partner);
        const previous = p ? inForceAt(p.payout, p.pendingPayout, t) : null;
        run();
        // only PROGRAM's change waits a notice (the partner's own is in force at once)
        if (Number(e.args.effectiveAt) <= t) return;
        const payout = e.args.payout.toLowerCase();
        out.push(
          this.draft("governance.change_proposed", at, log, null, [], {
            change: "payoutAddress",
            partner: addr(partner),
            payout: addr(payout),
            previous: previous ? addr(previous) : null,
            effectiveAt: iso(Number(e.args.effectiveAt)),
          }, [partner, payout, previous]),
        );
        return;
      }
      case "UsageRecorded":
      case "UsageLineRejected": {
        run();
        const parts = this.batches.get(e.args.batchId) ?? new Map<bigint, BatchPart>();
        this.batches.set(e.args.batchId, parts);
        let part = parts.get(e.args.agreementId);
        if (!part) {
          part = { accepted: 0, rejected: 0, gpuSeconds: 0n, credits: 0n, receivableAdded: 0n, rejectedLines: [] };
          parts.set(e.args.agreementId, part);
        }
        if (e.eventName === "UsageRecorded") {
          part.accepted += 1;
          part.gpuSeconds += e.args.gpuSeconds;
          part.credits += e.args.credits;
          part.receivableAdded += e.args.receivableAdded;
        } else {
          part.rejected += 1;
          part.rejectedLines.push({ txHash: log.txHash, logIndex: log.logIndex, sku: e.args.sku, reason: e.args.reason });
        }
        return;
      }
      case "UsageBatchRecorded": {
        run();
        const partner = e.args.partner.toLowerCase();
        const parts = this.batches.get(e.args.batchId) ?? new Map<bigint, BatchPart>();
        this.batches.delete(e.args.batchId);
        const batch = { batchId: e.args.batchId, partner: addr(partner), sequence: Number(e.args.sequence) };
        for (const [id, part] of parts) {
          const a = st.agreements.get(id);
          const agreementId = id.toString();
          for (const line of part.rejectedLines) {
            out.push({
              ...this.draft("usage.line_rejected", at, null, a, [line.txHash, line.logIndex], {
                ...batch,
                agreementId,
                sku: skuName(line.sku),
                reason: USAGE_REJECTION[line.reason] ?? `Unknown(${line.reason})`,
              }, [partner]),
              txHash: line.txHash,
              logIndex: line.logIndex,
            });
          }
          out.push(
            this.draft("usage.batch_recorded", at, log, a, [agreementId], {
              ...batch,
              agreementId,
              periodStart: iso(Number(e.args.periodStart)),
              periodEnd: iso(Number(e.args.periodEnd)),
              recordsRoot: e.args.recordsRoot,
              linesAccepted: part.accepted,
              linesRejected: part.rejected,
              gpuSeconds: part.gpuSeconds.toString(),
              credits: part.credits.toString(),
              receivableAdded: part.receivableAdded.toString(),
              batchLinesAccepted: Number(e.args.linesAccepted),
              batchLinesRejected: Number(e.args.linesRejected),
            }, [partner]),
          );
        }
        return;
      }
      case "UsageDisputed": {
        run();
        const a = st.agreements.get(e.args.agreementId);
        const partner = st.batchPartner.get(e.args.batchId) ?? null;
        out.push(
          this.draft("usage.disputed", at, log, a, [], {
            batchId: e.args.batchId,
            agreementId: e.args.agreementId.toString(),
            partner: partner && addr(partner),
            by: addr(e.args.by.toLowerCase()),
            reasonHash: e.args.reasonHash,
          }, [partner, e.args.by]),
        );
        return;
      }
      case "UsageDisputeResolved": {
        run();
        const a = st.agreements.get(e.args.agreementId);
        const partner = st.batchPartner.get(e.args.batchId) ?? null;
        out.push(
          this.draft("usage.dispute_resolved", at, log, a, [], {
            batchId: e.args.batchId,
            agreementId: e.args.agreementId.toString(),
            partner: partner && addr(partner),
            refund: e.args.refund.toString(),
            receivableRemoved: e.args.receivableRemoved.toString(),
          }, [partner]),
        );
        return;
      }
      case "RevenueReported": {
        run();
        const a = st.agreements.get(e.args.agreementId);
        out.push(
          this.draft("revenue.reported", at, log, a, [], {
            agreementId: e.args.agreementId.toString(),
            periodIndex: e.args.periodIndex,
            version: e.args.version,
            revenue: e.args.revenue.toString(),
            evidenceHash: e.args.evidenceHash,
          }),
        );
        return;
      }
      case "RevenueDisputed": {
        run();
        const a = st.agreements.get(e.args.agreementId);
        out.push(
          this.draft("revenue.disputed", at, log, a, [], {
            agreementId: e.args.agreementId.toString(),
            periodIndex: e.args.periodIndex,
            by: addr(e.args.by.toLowerCase()),
            reasonHash: e.args.reasonHash,
          }, [e.args.by]),
        );
        return;
      }
      case "RevenueDisputeResolved": {
        run();
        const a = st.agreements.get(e.args.agreementId);
        out.push(
          this.draft("revenue.dispute_resolved", at, log, a, [], {
            agreementId: e.args.agreementId.toString(),
            periodIndex: e.args.periodIndex,
            upheld: e.args.upheld,
            state: e.args.upheld ? "Rejected" : "Cleared",
          }),
        );
        return;
      }
      case "RevenueFinalized": {
        run();
        const a = st.agreements.get(e.args.agreementId)!;
        this.rewatch(a);
        out.push(
          this.draft("revenue.finalized", at, log, a, [], {
            agreementId: a.idText,
            periodIndex: e.args.periodIndex,
            revenue: e.args.revenue.toString(),
            owed: e.args.owed.toString(),
            due: iso(Number(e.args.due)),
            obligation: a.obligation.toString(),
            nextDue: isoOrNull(a.nextDue),
          }),
        );
        return;
      }
      case "PaymentApplied": {
        run();
        const a = st.agreements.get(e.args.agreementId)!;
        this.rewatch(a);
        out.push(
          this.draft("payment.applied", at, log, a, [], {
            agreementId: a.idText,
            payer: addr(e.args.payer.toLowerCase()),
            amount: e.args.amount.toString(),
            toPartners: e.args.toPartners.toString(),
            toProgram: e.args.toProgram.toString(),
            paid: a.paid.toString(),
            obligation: a.obligation.toString(),
            outstanding: (a.obligation - a.paid).toString(),
            nextDue: isoOrNull(a.nextDue),
          }, [e.args.payer]),
        );
        return;
      }
      case "Distributed": {
        run();
        const beneficiary = e.args.beneficiary.toLowerCase();
        const a = st.agreements.get(e.args.agreementId);
        const program = beneficiary === zeroAddress;
        const p = program ? undefined : st.partners.get(beneficiary);
        const payTo = program ? st.program.treasury : p ? (inForceAt(p.payout, p.pendingPayout, t) ?? beneficiary) : beneficiary;
        out.push({
          ...this.draft("claimable.available", at, log, null, [], {
            agreementId: e.args.agreementId.toString(),
            beneficiary: addr(beneficiary),
            amount: e.args.amount.toString(),
            claimable: (program ? st.program.programClaimable : (st.accounts.get(beneficiary)?.claimable ?? 0n)).toString(),
            paysTo: payTo ? addr(payTo) : null,
          }, [beneficiary, payTo]),
          agreementId: a ? a.idText : e.args.agreementId.toString(),
        });
        return;
      }
      case "AuditRecorded": {
        run();
        const a = st.agreements.get(e.args.agreementId);
        out.push(
          this.draft("audit.recorded", at, log, a, [], {
            agreementId: e.args.agreementId.toString(),
            auditor: addr(e.args.auditor.toLowerCase()),
            throughBlock: e.args.throughBlock.toString(),
            reportHash: e.args.reportHash,
            clean: e.args.clean,
          }, [e.args.auditor]),
        );
        return;
      }
      default:
        run();
    }
  }
}
