// agreement.lifecycle — creation, acceptance and its mint, cancellation, termination, expiry burn, migration and
// PROGRAM's migration proposals: announced MIGRATION_NOTICE ahead, cancelled by the startup or PROGRAM before they
// take effect, the target wallet free at proposal and again at execution (PROTOCOL §4).
import type { Address } from "viem";
import type { Findings, Location } from "../findings";
import type { AgreementModel, AgreementStatus, Terms } from "../replay/model";
import { CHECKS } from "./catalog";

const ID = CHECKS.lifecycle.id;

export const checkLifecycle = {
  /** An event names an agreement that was created. */
  known(f: Findings, id: bigint, known: boolean, event: string, at: Location): void {
    if (!known) f.holds(ID, id, `${event}.agreementId`, false, "an agreement created before", "an unknown agreement", at);
  },
  created(
    f: Findings,
    id: bigint,
    c: { expectedId: bigint; terms: Terms; startupArg: Address; walletTaken: boolean; walletCredits: bigint; paused: boolean },
    at: Location,
  ): void {
    const t = c.terms;
    f.equal(ID, id, "id", c.expectedId, id, at);
    f.equal(ID, id, "startup (indexed)", t.startup, c.startupArg, at);
    const span = t.endTime - t.startTime;
    const n = t.periodDuration > 0n ? span / t.periodDuration : 0n;
    const valid =
      t.creditLimit > 0n && t.creditLimit < 2n ** 56n && t.revenueShareBps >= 1n && t.revenueShareBps <= 10_000n && t.capMultipleBps >= 10_000n &&
      t.partnerFirstBps <= 10_000n && t.periodDuration >= 86_400n && span > 0n && span % t.periodDuration === 0n && n >= 1n && n <= 120n;
    f.holds(ID, id, "terms", valid, "terms within PROTOCOL §4's bounds", "terms out of bounds", at);
    f.holds(ID, id, "startup wallet", !c.walletTaken && c.walletCredits === 0n, "a wallet with no open agreement and no DSXC", c.walletTaken ? "a wallet with an open agreement" : `a wallet holding ${c.walletCredits} DSXC units`, at);
    f.holds(ID, id, "created while paused", !c.paused, "not paused", "paused", at);
  },
  accepted(f: Findings, a: AgreementModel, c: { creditsMinted: bigint; now: bigint; paused: boolean; walletCredits: bigint }, at: Location): void {
    f.equal(ID, a.id, "status before acceptance", "Proposed", a.status, at);
    f.equal(ID, a.id, "creditsMinted", a.terms.creditLimit, c.creditsMinted, at);
    f.holds(ID, a.id, "acceptedAt", c.now < a.terms.endTime, `< endTime ${a.terms.endTime}`, c.now.toString(), at);
    f.holds(ID, a.id, "accepted while paused", !c.paused, "not paused", "paused", at);
    f.equal(ID, a.id, "startup DSXC balance before acceptance", 0n, c.walletCredits, at);
  },
  status(f: Findings, a: AgreementModel, action: string, allowed: readonly AgreementStatus[], at: Location): void {
    f.holds(ID, a.id, `status before ${action}`, allowed.includes(a.status), allowed.join(" or "), a.status, at);
  },
  terminatedAt(f: Findings, a: AgreementModel, now: bigint, terminatedAt: bigint, at: Location): void {
    f.equal(ID, a.id, "terminatedAt", now, terminatedAt, at);
  },
  expired(f: Findings, a: AgreementModel, c: { burned: bigint; now: bigint; close: bigint | undefined }, at: Location): void {
    f.holds(ID, a.id, "expiry time", c.close !== undefined && c.now >= c.close, `≥ reporting close ${c.close ?? "∞ (paused)"}`, c.now.toString(), at);
    f.equal(ID, a.id, "credits burned at expiry", a.creditsHeld, c.burned, at);
  },
  migrated(f: Findings, a: AgreementModel, c: { from: Address; to: Address; credits: bigint; target: WalletState }, at: Location): void {
    f.equal(ID, a.id, "migration from", a.startup, c.from, at);
    f.equal(ID, a.id, "credits migrated", a.creditsHeld, c.credits, at);
    f.holds(ID, a.id, "migration to", BigInt(c.to) !== 0n, "a non-zero wallet", c.to, at);
    walletFree(f, a, "migration target", c.target, at);
  },
  migrationProposed(
    f: Findings,
    a: AgreementModel,
    c: { from: Address; to: Address; effectiveAt: bigint; now: bigint; notice: bigint; target: WalletState },
    at: Location,
  ): void {
    f.equal(ID, a.id, "migration proposal from", a.startup, c.from, at);
    f.holds(ID, a.id, "migration proposal to", BigInt(c.to) !== 0n, "a non-zero wallet", c.to, at);
    f.equal(ID, a.id, "migration proposal effectiveAt (now + MIGRATION_NOTICE)", c.now + c.notice, c.effectiveAt, at);
    walletFree(f, a, "migration proposal target", c.target, at);
  },
  migrationCancelled(f: Findings, a: AgreementModel, c: { pendingUntil: bigint | undefined; now: bigint; byStartupOrProgram: boolean }, at: Location): void {
    f.holds(ID, a.id, "migration cancellation", c.pendingUntil !== undefined && c.now < c.pendingUntil, "a proposal not yet in force",
      c.pendingUntil === undefined ? "no proposal" : `a proposal in force from ${c.pendingUntil}`, at);
    f.holds(ID, a.id, "migration cancellation by", c.byStartupOrProgram, "the startup wallet or PROGRAM", "another account", at);
  },
};

/** A wallet as a migration target sees it: whether it has an open agreement, and its DSXC. */
export interface WalletState {
  openAgreement: boolean;
  credits: bigint;
}

function walletFree(f: Findings, a: AgreementModel, figure: string, w: WalletState, at: Location): void {
  f.holds(ID, a.id, figure, !w.openAgreement && w.credits === 0n, "a wallet with no open agreement and no DSXC",
    w.openAgreement ? "a wallet with an open agreement" : `a wallet holding ${w.credits} DSXC units`, at);
}
