// Cloud partners (PROTOCOL §5): registration, signer sets (the partner's own rotation at once, PROGRAM's after
// SIGNER_NOTICE), payout addresses, activity and rate schedules.
import { inForceAt, lower } from "../state";
import type { HandlerRegistry } from "./registry";

/** Registers the partner events' handlers. */
export function registerPartnerHandlers(registry: HandlerRegistry): void {
  registry
    .on("ledger:PartnerRegistered", ({ event: e, log, state }) => {
      const address = lower(e.args.partner);
      state.partners.set(address, {
        address,
        signerSet: { signers: e.args.signers.map(lower), threshold: e.args.threshold },
        pendingSigners: null,
        payout: null,
        pendingPayout: null,
        payoutBps: e.args.payoutBps,
        active: true,
        nextSequence: 0,
        registeredBlock: log.blockNumber,
        registeredAt: log.timestamp,
      });
      state.dirty.partners.add(address);
    })
    .on("ledger:PartnerSignersSet", ({ event: e, log, state }) => {
      // the partner's own rotation: in force at once, ends a pending one
      const p = state.partner(e.args.partner, log);
      p.signerSet = { signers: e.args.signers.map(lower), threshold: e.args.threshold };
      p.pendingSigners = null;
    })
    .on("ledger:PartnerSignersProposed", ({ event: e, log, state }) => {
      // PROGRAM's: a proposal already in force becomes the set in force before the newer one replaces it
      const p = state.partner(e.args.partner, log);
      p.signerSet = inForceAt(p.signerSet, p.pendingSigners, log.timestamp);
      p.pendingSigners = { value: { signers: e.args.signers.map(lower), threshold: e.args.threshold }, effectiveAt: Number(e.args.effectiveAt) };
    })
    .on("ledger:PayoutAddressSet", ({ event: e, log, state }) => {
      const p = state.partner(e.args.partner, log);
      const effectiveAt = Number(e.args.effectiveAt);
      if (effectiveAt <= log.timestamp) {
        // the partner's own (effectiveAt = block time): in force at once, ends a pending one
        p.payout = lower(e.args.payout);
        p.pendingPayout = null;
      } else {
        // PROGRAM's, after PAYOUT_NOTICE
        p.payout = inForceAt(p.payout, p.pendingPayout, log.timestamp);
        p.pendingPayout = { value: lower(e.args.payout), effectiveAt };
      }
    })
    .on("ledger:PartnerActiveSet", ({ event: e, log, state }) => {
      state.partner(e.args.partner, log).active = e.args.active;
    })
    .on("ledger:RateScheduled", ({ event: e, log, state }) => {
      const partner = lower(e.args.partner);
      const key = `${partner}|${e.args.sku}|${e.args.effectiveFrom}`;
      state.rates.set(key, {
        partner,
        sku: e.args.sku,
        effectiveFrom: Number(e.args.effectiveFrom),
        creditsPerGpuHour: e.args.creditsPerGpuHour,
        scheduledBlock: log.blockNumber,
      });
      state.dirty.rates.add(key);
    });
}
