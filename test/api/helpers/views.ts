// What the API must answer for PROGRAM's pending changes (PROTOCOL v1.1 §3), computed here from the ledger's own
// views read at the indexed block — `partner(address)`, `revenueSigners()`, `pendingMigration(id)`, read by the
// auditor's snapshot reader (auditor/chain/snapshot.ts) — and that block's time (meta.blockTimestamp), independently
// of the API's code.
import { zeroAddress, type Address } from "viem";
import { createChainReader } from "../../../auditor/chain/reader";
import { readSnapshot, type PartnerViewData, type SignerSetViewData } from "../../../auditor/chain/snapshot";
import type { LedgerDriver } from "../../helpers/ledgerDriver";

/** Unix seconds as the API writes times. */
export const isoOf = (unix: bigint | number): string => new Date(Number(unix) * 1000).toISOString().replace(".000Z", "Z");

const left = (effectiveAt: bigint, now: bigint) => Number(effectiveAt > now ? effectiveAt - now : 0n);

/** A partner resource's signer and payout fields, from `partner(address)` at a block whose time is `now`. */
export function expectedPartner(view: PartnerViewData, now: bigint) {
  return {
    signers: [...view.signers],
    threshold: view.threshold,
    payout: view.payout,
    pendingSigners:
      view.pendingSignersAt === 0n
        ? null
        : { signers: [...view.pendingSigners], threshold: view.pendingThreshold, effectiveAt: isoOf(view.pendingSignersAt), secondsLeft: left(view.pendingSignersAt, now) },
    pendingPayout:
      view.pendingPayoutAt === 0n ? null : { payout: view.pendingPayout, effectiveAt: isoOf(view.pendingPayoutAt), secondsLeft: left(view.pendingPayoutAt, now) },
  };
}

/** The program's `revenueSigners`, from `revenueSigners()`. */
export function expectedRevenueSigners(view: SignerSetViewData, now: bigint) {
  return {
    signers: [...view.signers],
    threshold: view.threshold,
    pending:
      view.pendingAt === 0n
        ? null
        : { signers: [...view.pendingSigners], threshold: view.pendingThreshold, effectiveAt: isoOf(view.pendingAt), secondsLeft: left(view.pendingAt, now) },
  };
}

/** An agreement's `pendingMigration`, from `pendingMigration(id)` (zeros when none). */
export function expectedMigration({ to, effectiveAt }: { to: Address; effectiveAt: bigint }, now: bigint) {
  return to === zeroAddress && effectiveAt === 0n ? null : { to, effectiveAt: isoOf(effectiveAt), secondsLeft: left(effectiveAt, now) };
}

/** The three views at `blockNumber`, for `partners` and `agreements` in their order; throws when one is missing. */
export async function pendingViews(driver: LedgerDriver, blockNumber: bigint, partners: readonly Address[], agreements: readonly bigint[]) {
  const none = <T>(): T[] => [];
  const snapshot = await readSnapshot(createChainReader({ rpcUrl: driver.node.url }), blockNumber, {
    ledger: driver.ledger, credit: driver.credit, settlementToken: driver.usdc, agreementIds: [...agreements], partners: [...partners],
    partnersOf: none, periodsOf: none, beneficiaries: [], rateSchedules: [], batches: [], usageDisputes: [], creditHolders: [],
  });
  const found = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`No ${what} view at block ${blockNumber}.`);
    return value;
  };
  return {
    revenueSigners: found(snapshot.revenueSigners, "revenueSigners()"),
    partners: partners.map((p) => found(snapshot.partners.get(p.toLowerCase()), `partner(${p})`)),
    migrations: agreements.map((id) => found(snapshot.agreements.get(id)?.pendingMigration, `pendingMigration(${id})`)),
  };
}
