// What the API must answer for PROGRAM's pending changes (PROTOCOL v1.1 §3), computed here from the ledger's own
// views read at the indexed block — `partner(address)`, `revenueSigners()`, `pendingMigration(id)` — and that
// block's time (meta.blockTimestamp), independently of the API's code.
import { zeroAddress, type Address } from "viem";
import type { LedgerDriver } from "./ledgerDriver";

/** The ledger's `partner(address)` view (v1.1). */
export interface PartnerView {
  signers: readonly Address[];
  threshold: number;
  payoutBps: number;
  active: boolean;
  registered: boolean;
  nextSequence: bigint;
  payout: Address;
  pendingSigners: readonly Address[];
  pendingThreshold: number;
  pendingSignersAt: bigint;
  pendingPayout: Address;
  pendingPayoutAt: bigint;
}

/** The ledger's `revenueSigners()` view (v1.1: a struct). */
export interface SignerSetView {
  signers: readonly Address[];
  threshold: number;
  pendingSigners: readonly Address[];
  pendingThreshold: number;
  pendingAt: bigint;
}

/** Unix seconds as the API writes times. */
export const isoOf = (unix: bigint | number): string => new Date(Number(unix) * 1000).toISOString().replace(".000Z", "Z");

const left = (effectiveAt: bigint, now: bigint) => Number(effectiveAt > now ? effectiveAt - now : 0n);

/** A partner resource's signer and payout fields, from `partner(address)` at a block whose time is `now`. */
export function expectedPartner(view: PartnerView, now: bigint) {
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
export function expectedRevenueSigners(view: SignerSetView, now: bigint) {
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
export function expectedMigration([to, effectiveAt]: readonly [Address, bigint], now: bigint) {
  return to === zeroAddress && effectiveAt === 0n ? null : { to, effectiveAt: isoOf(effectiveAt), secondsLeft: left(effectiveAt, now) };
}

/** The three views at `blockNumber`. */
export async function pendingViews(driver: LedgerDriver, blockNumber: bigint, partners: readonly Address[], agreements: readonly bigint[]) {
  const [revenueSigners, partnerViews, migrations] = await Promise.all([
    driver.view<SignerSetView>("revenueSigners", [], blockNumber),
    Promise.all(partners.map((p) => driver.view<PartnerView>("partner", [p], blockNumber))),
    Promise.all(agreements.map((id) => driver.view<readonly [Address, bigint]>("pendingMigration", [id], blockNumber))),
  ]);
  return { revenueSigners, partners: partnerViews, migrations };
}
