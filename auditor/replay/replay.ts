// Replays the ledger's events in chain order through the auditor's own model (PROTOCOL §4–§8). At each event
// the model decides what the protocol says must happen, and the checks (auditor/checks/*) compare it with what
// the event shows. The model then moves on with its own figures, so a wrong figure on chain is named where it
// first appears and does not leak into later recomputations.
import { encodeAbiParameters, getAddress, keccak256, type Address, type Hex } from "viem";
import { USAGE_REJECTION } from "../../sdk/abis";
import * as shareMath from "../../sdk/shareMath";
import type { LedgerEvent, LedgerEventData } from "../chain/events";
import type { Findings, Location } from "../findings";
import { checkAuthorization } from "../checks/authorization";
import { checkClaim } from "../checks/claim";
import { checkFinalization } from "../checks/finalization";
import { checkLifecycle } from "../checks/lifecycle";
import { checkPartnerConfig } from "../checks/partnerConfig";
import { checkPayment } from "../checks/payment";
import { checkRevenueReport } from "../checks/revenueReport";
import { checkSplit } from "../checks/split";
import { checkUsageBatch } from "../checks/usageBatch";
import { checkUsageCredits } from "../checks/usageCredits";
import { checkUsageDispute } from "../checks/usageDispute";
import { checkUsageLine, type LineOutcome } from "../checks/usageLine";
import { checkInvariant4Owed } from "../checks/invariant4";
import { checkInvariant5Line } from "../checks/invariant5";
import { checkInvariant6 } from "../checks/invariant6";
import { checkInvariant7, sentBy, type Sender } from "../checks/invariant7";
import { checkInvariant8 } from "../checks/invariant8";
import type { WalletState } from "../checks/lifecycle";
import { expectGroup } from "./lineChecks";
import {
  addMove, consumedOf, limitAt, lower, minOf, payoutAt, quorumAt, reportingClose, settlePayout, settleQuorum,
  type AgreementModel, type AgreementStatus, type BatchLineModel, type BatchModel, type LedgerConstants, type LedgerModel, type PartnerModel,
  type DistributionModel, type PaymentModel, type PositionModel, type RateEntryModel, type Terms,
} from "./model";

type Ev<N extends LedgerEventData["eventName"]> = Extract<LedgerEvent, { eventName: N }>;

/** Extra knowledge the replay may use: the full lines of batches (from evidence bundles), by batch id. */
export interface ReplayOptions {
  batchLines?: Map<string, { agreementId: bigint; sku: Hex; gpuSeconds: bigint }[]>;
  /** AUDITOR_ROLE's id, to tell whether a usage dispute's caller held it. */
  auditorRole?: Hex;
  /** PROGRAM_ROLE's id, to tell whether a migration's canceller held it. */
  programRole?: Hex;
  /**
   * Who sent the transactions whose sender a rule names (PROTOCOL §10.7), by lower-case transaction hash: wallet
   * migrations and their cancellations, partner signer sets and payout addresses in force at once.
   */
  senders?: ReadonlyMap<string, Sender>;
  /** The signers recovered from the calldata of batches recorded while a proposed signer set was pending, by batch id. */
  batchSigners?: ReadonlyMap<string, readonly Address[]>;
}

const OPEN_STATUSES: readonly AgreementStatus[] = ["Proposed", "Active", "Terminated"];

export const ZERO_ADDRESS: Address = "0x0000000000000000000000000000000000000000";

const locationOf = (e: LedgerEvent): Location => ({ block: e.block.toString(), tx: e.tx, logIndex: e.logIndex });

/** Creates an empty model. */
export function emptyModel(constants: LedgerConstants): LedgerModel {
  return {
    constants, agreements: new Map(), partners: new Map(), batches: new Map(), batchOrder: [], claimable: new Map(),
    programClaimable: 0n, claimed: new Map(), programClaimed: 0n, treasury: undefined, paused: false, lastUnpausedAt: 0n,
    roles: new Map(), revenueSigners: { current: { signers: [], threshold: 0 } }, agreementCount: 0n,
    totals: { applied: 0n, distributed: 0n, claimed: 0n }, creditBalances: new Map(), creditMoves: new Map(),
    settlementMoves: new Map(), audits: [], eventCounts: new Map(),
  };
}

/** The rate of `partner` for `sku` in effect at `at`, and any scheduled start strictly inside (at, until). */
export function rateAt(partner: PartnerModel | undefined, sku: Hex, at: bigint, until: bigint): { rate: bigint; straddled?: bigint } {
  const entries: RateEntryModel[] = partner?.rates.get(lower(sku)) ?? [];
  let rate = 0n;
  let straddled: bigint | undefined;
  for (const e of entries) {
    if (e.effectiveFrom <= at) rate = e.creditsPerGpuHour;
    else if (e.effectiveFrom < until && straddled === undefined) straddled = e.effectiveFrom;
  }
  return { rate, straddled };
}

const hexWord = (v: bigint): string => v.toString(16).padStart(64, "0");

/**
 * bytes24 of keccak256(abi.encode(partner, (uint256,bytes32,uint64,uint256)[])): the batch record's linesHash
 * (docs/ledger.md). Encoded by hand (every field is a static word), which keeps long histories fast.
 */
export function linesHashOf(partner: Address, lines: readonly { agreementId: bigint; sku: Hex; gpuSeconds: bigint; credits: bigint }[]): Hex {
  const parts = [hexWord(BigInt(partner)), hexWord(0x40n), hexWord(BigInt(lines.length))];
  for (const l of lines) parts.push(hexWord(l.agreementId), l.sku.slice(2).toLowerCase().padEnd(64, "0"), hexWord(l.gpuSeconds), hexWord(l.credits));
  return keccak256(`0x${parts.join("")}`).slice(0, 50) as Hex;
}

/** batchId = keccak256(abi.encode(partner, sequence, periodStart, periodEnd, recordsRoot)) (PROTOCOL §6). */
export function batchIdOf(partner: Address, sequence: bigint, periodStart: bigint, periodEnd: bigint, recordsRoot: Hex): Hex {
  return keccak256(encodeAbiParameters(
    [{ type: "address" }, { type: "uint64" }, { type: "uint64" }, { type: "uint64" }, { type: "bytes32" }],
    [partner, sequence, periodStart, periodEnd, recordsRoot],
  ));
}

/** Replays `events` (chain order) with `blockTimes`; returns the model. Discrepancies go to `findings`. */
export function replayLedger(
  events: readonly LedgerEvent[],
  blockTimes: ReadonlyMap<bigint, bigint>,
  constants: LedgerConstants,
  findings: Findings,
  options: ReplayOptions = {},
): LedgerModel {
  const m = emptyModel(constants);
  const f = findings;
  const pendingLines = new Map<string, (Ev<"UsageRecorded"> | Ev<"UsageLineRejected">)[]>();
  const pendingDistributions = new Map<string, Ev<"Distributed">[]>();

  const timeOf = (e: LedgerEvent): bigint => {
    const t = blockTimes.get(e.block);
    if (t === undefined) throw new Error(`No timestamp for block ${e.block}.`);
    return t;
  };
  const agreementOf = (id: bigint, e: LedgerEvent): AgreementModel | undefined => {
    const a = m.agreements.get(id);
    checkLifecycle.known(f, id, a !== undefined, e.eventName, locationOf(e));
    return a;
  };
  const hasRole = (role: Hex | undefined, account: Address): boolean => role !== undefined && (m.roles.get(lower(role))?.has(lower(account)) ?? false);
  const senderOf = (e: LedgerEvent): Sender | undefined => options.senders?.get(lower(e.tx));
  /** A wallet as a migration or creation target: an open agreement held, and its DSXC. */
  const walletState = (wallet: Address): WalletState => ({
    openAgreement: [...m.agreements.values()].some((a) => lower(a.startup) === lower(wallet) && OPEN_STATUSES.includes(a.status)),
    credits: m.creditBalances.get(lower(wallet)) ?? 0n,
  });
  const credit = (tx: Hex, key: string, amount: bigint): void => addMove(m.creditMoves, tx, key, amount);
  const moveWallet = (wallet: Address, delta: bigint): void => {
    m.creditBalances.set(lower(wallet), (m.creditBalances.get(lower(wallet)) ?? 0n) + delta);
  };
  const positionOf = (a: AgreementModel, partner: Address): PositionModel => {
    let p = a.positions.get(lower(partner));
    if (!p) {
      p = {
        partner: getAddress(partner), spendLimit: { value: 0n }, maxGpus: { value: 0n }, spent: 0n, burnedAt: 0n, receivable: 0n,
        paidToPartner: 0n, lastUsageEnd: 0n, refunded: 0n, linesAccepted: 0, gpuSeconds: 0n,
      };
      a.positions.set(lower(partner), p);
    }
    return p;
  };

  const handlers: { [N in LedgerEventData["eventName"]]?: (e: Ev<N>, t: bigint, at: Location) => void } = {
    RoleGranted(e) {
      const set = m.roles.get(lower(e.args.role)) ?? new Set<string>();
      set.add(lower(e.args.account));
      m.roles.set(lower(e.args.role), set);
    },
    RoleRevoked(e) {
      m.roles.get(lower(e.args.role))?.delete(lower(e.args.account));
    },
    TreasurySet(e) {
      m.treasury = getAddress(e.args.treasury);
    },
    Paused() {
      m.paused = true;
    },
    Unpaused(_e, t) {
      m.paused = false;
      m.lastUnpausedAt = t;
    },
    RevenueSignersSet(e, _t, at) {
      const q = m.revenueSigners;
      checkPartnerConfig.signerSet(f, "revenueSigners", e.args.signers, e.args.threshold, at);
      checkInvariant7.revenueSignersAtOnce(f, q.current.threshold === 0 && q.pending === undefined, at);
      m.revenueSigners = { current: { signers: [...e.args.signers], threshold: Number(e.args.threshold) } };
    },
    RevenueSignersProposed(e, t, at) {
      const q = m.revenueSigners;
      const effectiveAt = BigInt(e.args.effectiveAt);
      const notice = { effectiveAt, now: t, notice: m.constants.signerNotice, name: "SIGNER_NOTICE" };
      checkPartnerConfig.signerSet(f, "revenueSigners", e.args.signers, e.args.threshold, at);
      checkPartnerConfig.proposal(f, "revenueSigners proposal", notice, at);
      checkInvariant7.notice(f, null, "revenueSigners proposal", notice, at);
      settleQuorum(q, t);
      q.pending = { signers: [...e.args.signers], threshold: Number(e.args.threshold), effectiveAt };
    },
    PartnerRegistered(e, _t, at) {
      const existing = m.partners.get(lower(e.args.partner));
      checkPartnerConfig.registration(f, e.args.partner, existing?.registered ?? false, e.args.payoutBps, e.args.signers, e.args.threshold, at);
      m.partners.set(lower(e.args.partner), {
        address: getAddress(e.args.partner), registered: true, active: true, payoutBps: BigInt(e.args.payoutBps),
        quorum: { current: { signers: [...e.args.signers], threshold: Number(e.args.threshold) } }, payout: {},
        nextSequence: 0n, rates: existing?.rates ?? new Map(),
      });
    },
    PartnerSignersSet(e, _t, at) {
      const p = m.partners.get(lower(e.args.partner));
      checkPartnerConfig.registered(f, e.args.partner, p?.registered ?? false, "signers", at);
      checkPartnerConfig.signerSet(f, `partner(${e.args.partner})`, e.args.signers, e.args.threshold, at);
      checkInvariant7.byPartner(f, e.args.partner, "signers", senderOf(e), at);
      if (p) p.quorum = { current: { signers: [...e.args.signers], threshold: Number(e.args.threshold) } };
    },
    PartnerSignersProposed(e, t, at) {
      const p = m.partners.get(lower(e.args.partner));
      const who = `partner(${e.args.partner})`;
      const effectiveAt = BigInt(e.args.effectiveAt);
      const notice = { effectiveAt, now: t, notice: m.constants.signerNotice, name: "SIGNER_NOTICE" };
      checkPartnerConfig.registered(f, e.args.partner, p?.registered ?? false, "signers", at);
      checkPartnerConfig.signerSet(f, who, e.args.signers, e.args.threshold, at);
      checkPartnerConfig.proposal(f, `${who}.signers proposal`, notice, at);
      checkInvariant7.notice(f, null, `${who}.signers proposal`, notice, at);
      if (!p) return;
      settleQuorum(p.quorum, t);
      p.quorum.pending = { signers: [...e.args.signers], threshold: Number(e.args.threshold), effectiveAt };
    },
    PayoutAddressSet(e, t, at) {
      const p = m.partners.get(lower(e.args.partner));
      const effectiveAt = BigInt(e.args.effectiveAt);
      checkPartnerConfig.registered(f, e.args.partner, p?.registered ?? false, "payout", at);
      checkPartnerConfig.payout(f, e.args.partner, e.args.payout, at);
      const payout = getAddress(e.args.payout);
      if (effectiveAt <= t) {
        // in force at once: the partner's own call (effectiveAt = now)
        checkPartnerConfig.proposal(f, `partner(${e.args.partner}).payout`, { effectiveAt, now: t, notice: 0n, name: "0: the partner's own" }, at);
        checkInvariant7.byPartner(f, e.args.partner, "payout", senderOf(e), at);
        if (p) p.payout = { current: payout };
        return;
      }
      const notice = { effectiveAt, now: t, notice: m.constants.payoutNotice, name: "PAYOUT_NOTICE" };
      checkPartnerConfig.proposal(f, `partner(${e.args.partner}).payout proposal`, notice, at);
      checkInvariant7.notice(f, null, `partner(${e.args.partner}).payout proposal`, notice, at);
      if (!p) return;
      settlePayout(p, t);
      p.payout = { current: p.payout.current, pending: { payout, effectiveAt } };
    },
    PartnerActiveSet(e, _t, at) {
      const p = m.partners.get(lower(e.args.partner));
      checkPartnerConfig.registered(f, e.args.partner, p?.registered ?? false, "active", at);
      if (p) p.active = e.args.active;
    },
    RateScheduled(e, t, at) {
      const p = m.partners.get(lower(e.args.partner));
      checkPartnerConfig.registered(f, e.args.partner, p?.registered ?? false, "rate", at);
      if (!p) return;
      const sku = lower(e.args.sku);
      const list = p.rates.get(sku) ?? [];
      const last = list[list.length - 1];
      const rate = BigInt(e.args.creditsPerGpuHour);
      const from = BigInt(e.args.effectiveFrom);
      checkPartnerConfig.rate(f, p.address, e.args.sku, { rate, from, now: t, first: last === undefined, lastFrom: last?.effectiveFrom, rateNotice: m.constants.rateNotice }, at);
      if (last && last.effectiveFrom === from) last.creditsPerGpuHour = rate;
      else list.push({ creditsPerGpuHour: rate, effectiveFrom: from });
      p.rates.set(sku, list);
    },
    AgreementCreated(e, _t, at) {
      const id = e.args.id;
      const raw = e.args.terms;
      const terms: Terms = {
        startup: getAddress(raw.startup), creditLimit: raw.creditLimit, revenueShareBps: BigInt(raw.revenueShareBps),
        capMultipleBps: BigInt(raw.capMultipleBps), partnerFirstBps: BigInt(raw.partnerFirstBps), startTime: raw.startTime,
        endTime: raw.endTime, periodDuration: BigInt(raw.periodDuration), gracePeriod: BigInt(raw.gracePeriod), termsHash: raw.termsHash,
      };
      const n = terms.periodDuration > 0n ? Number((terms.endTime - terms.startTime) / terms.periodDuration) : 0;
      const target = walletState(terms.startup);
      checkLifecycle.created(f, id, { expectedId: m.agreementCount + 1n, terms, startupArg: e.args.startup, walletTaken: target.openAgreement, walletCredits: target.credits, paused: m.paused }, at);
      m.agreementCount = id > m.agreementCount ? id : m.agreementCount;
      const periods = Array.from({ length: Math.max(0, n) }, (_, k) => ({
        index: k, start: terms.startTime + BigInt(k) * terms.periodDuration, end: terms.startTime + BigInt(k + 1) * terms.periodDuration,
        state: "None" as const, version: 0n, submittedAt: 0n, revenue: 0n, evidenceHash: `0x${"0".repeat(64)}` as Hex, reports: [],
        disputes: 0, owed: 0n, cumulativeObligation: 0n, due: 0n, finalizations: 0,
      }));
      m.agreements.set(id, {
        id, terms, createdAt: at, status: "Proposed", startup: terms.startup, wallets: [terms.startup], acceptedAt: 0n, terminatedAt: 0n,
        creditsMinted: 0n, refundsMinted: 0n, creditsHeld: 0n, creditsBurnedByUsage: 0n, creditsExpired: 0n, obligation: 0n, paid: 0n,
        nextPeriodToFinalize: 0, periodCount: n, partnerList: [], positions: new Map(), periods, payments: [], usageDisputes: new Map(),
      });
    },
    AgreementAccepted(e, t, at) {
      const a = agreementOf(e.args.id, e);
      if (!a) return;
      checkLifecycle.accepted(f, a, { creditsMinted: e.args.creditsMinted, now: t, paused: m.paused, walletCredits: m.creditBalances.get(lower(a.startup)) ?? 0n }, at);
      a.status = "Active";
      a.acceptedAt = t;
      a.creditsMinted = a.terms.creditLimit;
      a.creditsHeld = a.terms.creditLimit;
      moveWallet(a.startup, a.terms.creditLimit);
      credit(e.tx, `mint:${lower(a.startup)}`, a.terms.creditLimit);
    },
    AgreementCancelled(e, _t, at) {
      const a = agreementOf(e.args.id, e);
      if (!a) return;
      checkLifecycle.status(f, a, "cancel", ["Proposed"], at);
      a.status = "Cancelled";
      a.pendingMigration = undefined;
    },
    AgreementTerminated(e, t, at) {
      const a = agreementOf(e.args.id, e);
      if (!a) return;
      checkLifecycle.status(f, a, "terminate", ["Active"], at);
      checkLifecycle.terminatedAt(f, a, t, BigInt(e.args.terminatedAt), at);
      a.status = "Terminated";
      a.terminatedAt = t;
    },
    CreditsExpired(e, t, at) {
      const a = agreementOf(e.args.id, e);
      if (!a) return;
      checkLifecycle.status(f, a, "expire", ["Active", "Terminated"], at);
      checkLifecycle.expired(f, a, { burned: e.args.burned, now: t, close: reportingClose(m, a) }, at);
      credit(e.tx, `burn:${lower(a.startup)}`, a.creditsHeld);
      moveWallet(a.startup, -a.creditsHeld);
      a.creditsExpired += a.creditsHeld;
      a.creditsHeld = 0n;
      a.status = "Expired";
      a.pendingMigration = undefined;
    },
    StartupMigrationProposed(e, t, at) {
      const a = agreementOf(e.args.id, e);
      if (!a) return;
      const effectiveAt = BigInt(e.args.effectiveAt);
      const notice = { effectiveAt, now: t, notice: m.constants.migrationNotice, name: "MIGRATION_NOTICE" };
      checkLifecycle.status(f, a, "a migration proposal", OPEN_STATUSES, at);
      checkLifecycle.migrationProposed(f, a, { from: e.args.from, to: e.args.to, effectiveAt, now: t, notice: m.constants.migrationNotice, target: walletState(e.args.to) }, at);
      checkInvariant7.notice(f, a.id, `migration proposal to ${e.args.to}`, notice, at);
      a.pendingMigration = { to: getAddress(e.args.to), effectiveAt, at };
    },
    StartupMigrationCancelled(e, t, at) {
      const a = agreementOf(e.args.id, e);
      if (!a) return;
      const sender = senderOf(e);
      const byStartupOrProgram = sender !== undefined &&
        (sentBy(sender, a.startup) || hasRole(options.programRole, sender.from) || (sender.to !== null && hasRole(options.programRole, sender.to)));
      checkLifecycle.migrationCancelled(f, a, { pendingUntil: a.pendingMigration?.effectiveAt, now: t, byStartupOrProgram }, at);
      a.pendingMigration = undefined;
    },
    StartupMigrated(e, t, at) {
      const a = agreementOf(e.args.id, e);
      if (!a) return;
      checkLifecycle.status(f, a, "migrate", OPEN_STATUSES, at);
      checkLifecycle.migrated(f, a, { from: e.args.from, to: e.args.to, credits: e.args.credits, target: walletState(e.args.to) }, at);
      checkInvariant7.migration(f, a.id, { from: e.args.from, to: e.args.to, now: t, sender: senderOf(e), proposal: a.pendingMigration }, at);
      a.pendingMigration = undefined;
      credit(e.tx, `burn:${lower(a.startup)}`, a.creditsHeld);
      credit(e.tx, `mint:${lower(e.args.to)}`, a.creditsHeld);
      moveWallet(a.startup, -a.creditsHeld);
      moveWallet(e.args.to, a.creditsHeld);
      a.startup = getAddress(e.args.to);
      a.wallets.push(a.startup);
    },
    PartnerAuthorized(e, t, at) {
      const a = agreementOf(e.args.id, e);
      if (!a) return;
      const partner = m.partners.get(lower(e.args.partner));
      const listed = a.partnerList.some((p) => lower(p) === lower(e.args.partner));
      const p = positionOf(a, e.args.partner);
      const next = (limit: PositionModel["spendLimit"], wanted: bigint) => {
        const current = limitAt(limit, t);
        return wanted >= current ? { value: wanted } : { value: current, pending: { value: wanted, at: t + m.constants.authNotice } };
      };
      const spendLimit = next(p.spendLimit, e.args.spendLimit);
      const maxGpus = next(p.maxGpus, BigInt(e.args.maxGpus));
      const effectiveAt = spendLimit.pending || maxGpus.pending ? t + m.constants.authNotice : t;
      checkAuthorization(f, a, {
        partner: e.args.partner, registered: partner?.registered ?? false, spendLimit: e.args.spendLimit, spent: p.spent,
        partnersBefore: a.partnerList.length, listed, expectedEffectiveAt: effectiveAt, effectiveAt: BigInt(e.args.effectiveAt),
      }, at);
      if (!listed) a.partnerList.push(getAddress(e.args.partner));
      p.spendLimit = spendLimit;
      p.maxGpus = maxGpus;
    },
    UsageRecorded(e) {
      const key = lower(e.args.batchId);
      pendingLines.set(key, [...(pendingLines.get(key) ?? []), e]);
    },
    UsageLineRejected(e) {
      const key = lower(e.args.batchId);
      pendingLines.set(key, [...(pendingLines.get(key) ?? []), e]);
    },
    UsageBatchRecorded(e, t, at) {
      const lineEvents = (pendingLines.get(lower(e.args.batchId)) ?? []).filter((l) => l.tx === e.tx);
      pendingLines.delete(lower(e.args.batchId));
      replayBatch(e, lineEvents, t, at);
    },
    UsageDisputed(e, t, at) {
      const a = agreementOf(e.args.agreementId, e);
      const batch = m.batches.get(lower(e.args.batchId));
      if (!a) return;
      const existing = a.usageDisputes.get(lower(e.args.batchId));
      checkUsageDispute.opened(f, a, {
        batchId: e.args.batchId, batchKnown: batch !== undefined, windowCloses: batch ? batch.submittedAt + m.constants.disputeWindow : 0n, now: t,
        alreadyDisputed: existing !== undefined, byStartup: lower(e.args.by) === lower(a.startup), byAuditor: hasRole(options.auditorRole, e.args.by),
      }, at);
      if (!existing && batch) a.usageDisputes.set(lower(e.args.batchId), { state: "Open", refund: 0n, partner: batch.partner, by: getAddress(e.args.by) });
    },
    UsageDisputeResolved(e, _t, at) {
      const a = agreementOf(e.args.agreementId, e);
      if (!a) return;
      const d = a.usageDisputes.get(lower(e.args.batchId));
      const batch = m.batches.get(lower(e.args.batchId));
      const creditsInBatch = (batch?.accepted ?? []).filter((l) => l.agreementId === a.id).reduce((s, l) => s + l.credits, 0n);
      const refund = e.args.refund;
      let expectedRemoved = 0n;
      const p = batch ? positionOf(a, batch.partner) : undefined;
      const payoutBps = batch ? m.partners.get(lower(batch.partner))?.payoutBps ?? 0n : 0n;
      if (p && refund > 0n) expectedRemoved = minOf(shareMath.applyBps(refund, payoutBps), p.receivable - p.paidToPartner);
      checkUsageDispute.resolved(f, a, { batchId: e.args.batchId, open: d?.state === "Open", refund, creditsInBatch, expectedRemoved, removed: e.args.receivableRemoved }, at);
      if (d) {
        d.state = "Resolved";
        d.refund = refund;
      }
      if (!p || refund === 0n || refund > creditsInBatch) return;
      p.spent -= refund;
      p.receivable -= expectedRemoved;
      p.refunded += refund;
      if (a.status !== "Expired") {
        a.refundsMinted += refund;
        a.creditsMinted += refund;
        a.creditsHeld += refund;
        moveWallet(a.startup, refund);
        credit(e.tx, `mint:${lower(a.startup)}`, refund);
      }
    },
    RevenueReported(e, t, at) {
      const a = agreementOf(e.args.agreementId, e);
      if (!a) return;
      const k = Number(e.args.periodIndex);
      const period = a.periods[k];
      checkRevenueReport.reported(f, a, {
        k, inRange: period !== undefined, accepted: a.acceptedAt !== 0n, ended: period !== undefined && t >= period.end, state: period?.state ?? "None",
        version: BigInt(e.args.version), storedVersion: period?.version ?? 0n, paused: m.paused,
      }, at);
      if (!period) return;
      period.state = "Pending";
      period.version = BigInt(e.args.version);
      period.submittedAt = t;
      period.revenue = e.args.revenue;
      period.evidenceHash = e.args.evidenceHash;
      period.reports.push({ version: period.version, revenue: e.args.revenue, evidenceHash: e.args.evidenceHash, submittedAt: t, at });
    },
    RevenueDisputed(e, t, at) {
      const a = agreementOf(e.args.agreementId, e);
      if (!a) return;
      const period = a.periods[Number(e.args.periodIndex)];
      checkRevenueReport.disputed(f, a, {
        k: Number(e.args.periodIndex), state: period?.state ?? "None", now: t,
        windowCloses: (period?.submittedAt ?? 0n) + m.constants.disputeWindow, byAuditor: hasRole(options.auditorRole, e.args.by),
      }, at);
      if (!period) return;
      period.state = "Disputed";
      period.disputes += 1;
    },
    RevenueDisputeResolved(e, _t, at) {
      const a = agreementOf(e.args.agreementId, e);
      if (!a) return;
      const period = a.periods[Number(e.args.periodIndex)];
      checkRevenueReport.resolved(f, a, { k: Number(e.args.periodIndex), state: period?.state ?? "None" }, at);
      if (period) period.state = e.args.upheld ? "Rejected" : "Cleared";
    },
    RevenueFinalized(e, t, at) {
      const a = agreementOf(e.args.agreementId, e);
      if (!a) return;
      const k = Number(e.args.periodIndex);
      const period = a.periods[k];
      const consumed = consumedOf(a);
      const cap = shareMath.cap(consumed, a.terms.capMultipleBps);
      const revenue = period?.revenue ?? 0n;
      const share = shareMath.applyBps(revenue, a.terms.revenueShareBps);
      const owed = shareMath.owed(revenue, a.terms.revenueShareBps, cap, a.obligation);
      const due = period ? shareMath.due(period.end, t, a.terms.gracePeriod) : 0n;
      const isLast = k === a.periodCount - 1;
      checkFinalization(f, a, {
        k, inRange: period !== undefined, next: a.nextPeriodToFinalize, state: period?.state ?? "None", now: t,
        windowCloses: (period?.submittedAt ?? 0n) + m.constants.disputeWindow, isLast, close: reportingClose(m, a),
        expected: { revenue, owed, due }, found: { revenue: e.args.revenue, owed: e.args.owed, due: BigInt(e.args.due) },
      }, at);
      checkInvariant4Owed(f, a, k, { owed: e.args.owed, cap, obligationBefore: a.obligation }, at);
      if (!period) return;
      period.finalizations += 1;
      checkInvariant6.finalizedOnce(f, a, k, period.finalizations, at);
      period.state = "Finalized";
      period.share = share;
      period.capAtFinalization = cap;
      period.obligationBefore = a.obligation;
      period.owed = owed;
      a.obligation += owed;
      period.cumulativeObligation = a.obligation;
      period.due = due;
      period.finalizedAt = t;
      period.finalizedAtLocation = at;
      a.nextPeriodToFinalize = k + 1;
    },
    Distributed(e) {
      const key = `${e.tx}:${e.args.agreementId}`;
      pendingDistributions.set(key, [...(pendingDistributions.get(key) ?? []), e]);
    },
    PaymentApplied(e, t, at) {
      const key = `${e.tx}:${e.args.agreementId}`;
      const distributed = pendingDistributions.get(key) ?? [];
      pendingDistributions.delete(key);
      const a = agreementOf(e.args.agreementId, e);
      if (!a) return;
      replayPayment(a, e, distributed, t, at);
    },
    Claimed(e, t, at) {
      const program = lower(e.args.beneficiary) === lower(ZERO_ADDRESS);
      const expectedAmount = program ? m.programClaimable : m.claimable.get(lower(e.args.beneficiary)) ?? 0n;
      const partner = m.partners.get(lower(e.args.beneficiary));
      const expectedTo = program ? m.treasury ?? ZERO_ADDRESS : partner ? payoutAt(partner, t) : getAddress(e.args.beneficiary);
      checkClaim(f, { beneficiary: program ? "program" : getAddress(e.args.beneficiary), expectedAmount, amount: e.args.amount, expectedTo, to: e.args.to }, at);
      if (!program) checkInvariant7.claimTo(f, getAddress(e.args.beneficiary), expectedTo, e.args.to, at);
      addMove(m.settlementMoves, e.tx, `out:${lower(expectedTo)}`, expectedAmount);
      m.totals.claimed += expectedAmount;
      if (program) {
        m.programClaimed += expectedAmount;
        m.programClaimable = 0n;
      } else {
        m.claimed.set(lower(e.args.beneficiary), (m.claimed.get(lower(e.args.beneficiary)) ?? 0n) + expectedAmount);
        m.claimable.set(lower(e.args.beneficiary), 0n);
      }
    },
    AuditRecorded(e, _t, at) {
      m.audits.push({ agreementId: e.args.agreementId, auditor: e.args.auditor, throughBlock: e.args.throughBlock, reportHash: e.args.reportHash, clean: e.args.clean, at });
    },
  };

  function replayBatch(e: Ev<"UsageBatchRecorded">, lineEvents: (Ev<"UsageRecorded"> | Ev<"UsageLineRejected">)[], t: bigint, at: Location): void {
    const partner = m.partners.get(lower(e.args.partner));
    const { periodStart, periodEnd } = e.args;
    const accepted = lineEvents.filter((l): l is Ev<"UsageRecorded"> => l.eventName === "UsageRecorded").length;
    const straddles = [...new Set(lineEvents.map((l) => lower(l.args.sku)))]
      .map((sku) => rateAt(partner, sku as Hex, periodStart, periodEnd).straddled)
      .filter((s): s is bigint => s !== undefined);
    checkUsageBatch(f, {
      batchId: e.args.batchId, expectedBatchId: batchIdOf(e.args.partner, e.args.sequence, periodStart, periodEnd, e.args.recordsRoot),
      partner: e.args.partner, registered: partner?.registered ?? false, active: partner?.active ?? false, paused: m.paused,
      expectedSequence: partner?.nextSequence ?? 0n, sequence: e.args.sequence, periodStart, periodEnd, now: t,
      lineCount: lineEvents.length, linesAccepted: e.args.linesAccepted, linesRejected: e.args.linesRejected, acceptedEvents: accepted,
      straddles, known: m.batches.has(lower(e.args.batchId)),
    }, at);
    checkInvariant6.sequence(f, e.args.partner, partner?.nextSequence ?? 0n, e.args.sequence, at);
    if (partner) partner.nextSequence = e.args.sequence + 1n;
    // the signatures were checked against the set in force at submission: PROGRAM's proposal only from its effectiveAt
    const quorum = partner ? quorumAt(partner.quorum, t) : { signers: [], threshold: 0 };
    const recovered = options.batchSigners?.get(lower(e.args.batchId));
    if (recovered) checkInvariant7.batchSigners(f, { batchId: e.args.batchId, partner: e.args.partner, recovered, signers: quorum.signers, threshold: quorum.threshold, now: t }, at);
    const batch: BatchModel = {
      batchId: e.args.batchId, partner: getAddress(e.args.partner), sequence: e.args.sequence, periodStart, periodEnd,
      recordsRoot: e.args.recordsRoot, submittedAt: t, at, signers: [...quorum.signers], threshold: quorum.threshold, lines: [], accepted: [],
    };
    m.batches.set(lower(e.args.batchId), batch);
    m.batchOrder.push(e.args.batchId);
    // one group per agreement (lines are ascending by agreementId, so each agreement's lines are contiguous)
    for (let start = 0; start < lineEvents.length;) {
      let end = start + 1;
      while (end < lineEvents.length && lineEvents[end].args.agreementId === lineEvents[start].args.agreementId) end++;
      replayGroup(e, batch, lineEvents, start, end, t);
      start = end;
    }
  }

  /** One agreement's lines of a batch, accepted or rejected together (PROTOCOL §6, §10.8). */
  function replayGroup(e: Ev<"UsageBatchRecorded">, batch: BatchModel, lineEvents: (Ev<"UsageRecorded"> | Ev<"UsageLineRejected">)[], start: number, end: number, t: bigint): void {
    const { periodStart, periodEnd } = e.args;
    const partner = m.partners.get(lower(e.args.partner));
    const payoutBps = partner?.payoutBps ?? 0n;
    const fullLines = options.batchLines?.get(lower(e.args.batchId));
    const lines = lineEvents.slice(start, end);
    const id = lines[0].args.agreementId;
    const a = m.agreements.get(id);
    const p = a ? positionOf(a, e.args.partner) : undefined;
    const locationOfLine = (l: LedgerEvent): Location => ({ block: l.block.toString(), tx: l.tx, logIndex: l.logIndex });
    const rates = lines.map((l) => rateAt(partner, l.args.sku, periodStart, periodEnd).rate);
    const gpuSeconds = lines.map((l) => (l.eventName === "UsageRecorded"
      ? l.args.gpuSeconds
      : fullLines?.find((x) => x.agreementId === id && lower(x.sku) === lower(l.args.sku))?.gpuSeconds));
    const found: LineOutcome[] = lines.map((l) => (l.eventName === "UsageRecorded" ? { accepted: true } : { accepted: false, reason: USAGE_REJECTION[l.args.reason] }));
    const expectation = expectGroup(m, { a, p, rates, gpuSeconds, periodStart, periodEnd, now: t });
    let expected: LineOutcome[];
    if ("all" in expectation) {
      expected = lines.map(() => expectation.all);
    } else {
      // the line that failed: where the chain says, if the checks allow it there, else the first place they allow
      const failedAt = found.findIndex((o) => !o.accepted && o.reason !== "SiblingRejected");
      const failing = expectation.oneFails.find((c) => c.index === failedAt) ?? expectation.oneFails[0];
      expected = lines.map((_l, j) => (j === failing.index ? { accepted: false, reason: failing.reason } : { accepted: false, reason: "SiblingRejected" }));
    }
    const acceptedCount = found.filter((o) => o.accepted).length;
    checkInvariant8(f, id, { batchId: e.args.batchId, accepted: acceptedCount, rejected: lines.length - acceptedCount }, locationOfLine(lines[0]));
    let burn = 0n;
    lines.forEach((l, j) => {
      const lineAt = locationOfLine(l);
      const credits = gpuSeconds[j] === undefined || rates[j] === 0n ? 0n : shareMath.credits(gpuSeconds[j]!, rates[j]);
      checkUsageLine(f, id, { batchId: e.args.batchId, index: start + j, sku: l.args.sku, expected: expected[j], found: found[j] }, lineAt);
      const lineModel: BatchLineModel = { agreementId: id, sku: l.args.sku, accepted: found[j].accepted, gpuSeconds: gpuSeconds[j], at: lineAt };
      if (l.eventName === "UsageRecorded") {
        // the chain accepted the line: it is booked with the auditor's own figures
        const receivableAdded = shareMath.applyBps(credits, payoutBps);
        checkUsageCredits(f, id, {
          batchId: e.args.batchId, sku: l.args.sku, gpuSeconds: l.args.gpuSeconds, rate: rates[j], payoutBps, partner: e.args.partner, foundPartner: l.args.partner,
          expectedCredits: credits, credits: l.args.credits, expectedReceivable: receivableAdded, receivable: l.args.receivableAdded,
        }, lineAt);
        lineModel.credits = credits;
        batch.accepted.push({ agreementId: id, sku: l.args.sku, gpuSeconds: l.args.gpuSeconds, credits: l.args.credits });
        if (a && p) {
          checkInvariant5Line(f, id, { partner: p.partner, spentAfter: p.spent + credits, limit: limitAt(p.spendLimit, t) }, lineAt);
          p.spent += credits;
          p.burnedAt += credits;
          p.receivable += receivableAdded;
          p.linesAccepted += 1;
          p.gpuSeconds += l.args.gpuSeconds;
          burn += credits;
          a.creditsBurnedByUsage += credits;
          a.creditsHeld -= credits;
          moveWallet(a.startup, -credits);
        }
      } else {
        lineModel.reason = USAGE_REJECTION[l.args.reason];
      }
      batch.lines.push(lineModel);
    });
    // an accepted group moves lastUsageEnd and burns its credits; a rejected one leaves no trace
    if (a && p && acceptedCount > 0) {
      p.lastUsageEnd = periodEnd;
      credit(e.tx, `burn:${lower(a.startup)}`, burn);
    }
  }

  function replayPayment(a: AgreementModel, e: Ev<"PaymentApplied">, distributed: Ev<"Distributed">[], t: bigint, at: Location): void {
    const amount = e.args.amount;
    const outstanding = a.obligation - a.paid;
    checkPayment(f, a, { amount, outstanding }, at);
    const owedPer = a.partnerList.map((partner) => {
      const p = positionOf(a, partner);
      return p.receivable - p.paidToPartner;
    });
    const stillOwed = owedPer.reduce((s, x) => s + x, 0n);
    const split = shareMath.split(amount, a.terms.partnerFirstBps, owedPer);
    const parts: DistributionModel[] = [
      ...a.partnerList.map((partner, i) => ({ beneficiary: partner, amount: split.perPartner[i], owedBefore: owedPer[i] })),
      { beneficiary: "program" as const, amount: split.toProgram },
    ].filter((x) => x.amount !== 0n);
    checkSplit(f, a, {
      expected: { toPartners: split.toPartners, toProgram: split.toProgram, parts },
      found: {
        toPartners: e.args.toPartners, toProgram: e.args.toProgram,
        parts: distributed.map((d) => ({ beneficiary: lower(d.args.beneficiary) === lower(ZERO_ADDRESS) ? ("program" as const) : getAddress(d.args.beneficiary), amount: d.args.amount })),
      },
    }, at);
    const paidBefore = a.paid;
    a.paid += amount;
    a.partnerList.forEach((partner, i) => {
      const part = split.perPartner[i];
      if (part === 0n) return;
      positionOf(a, partner).paidToPartner += part;
      m.claimable.set(lower(partner), (m.claimable.get(lower(partner)) ?? 0n) + part);
    });
    m.programClaimable += split.toProgram;
    m.totals.applied += amount;
    m.totals.distributed += amount;
    addMove(m.settlementMoves, e.tx, `in:${lower(e.args.payer)}`, amount);
    const settles: number[] = [];
    for (let k = 0; k < a.nextPeriodToFinalize; k++) {
      const period = a.periods[k];
      if (period.state === "Finalized" && period.cumulativeObligation > paidBefore && period.cumulativeObligation <= a.paid) {
        settles.push(k);
        period.settledBy = a.payments.length;
      }
    }
    const payment: PaymentModel = {
      index: a.payments.length, at, time: t, payer: getAddress(e.args.payer), amount, outstandingBefore: outstanding, stillOwedToPartners: stillOwed,
      toPartners: split.toPartners, toProgram: split.toProgram, parts, settles,
    };
    a.payments.push(payment);
  }

  for (const e of events) {
    m.eventCounts.set(e.eventName, (m.eventCounts.get(e.eventName) ?? 0) + 1);
    const handler = handlers[e.eventName] as ((ev: LedgerEvent, t: bigint, at: Location) => void) | undefined;
    if (!handler) continue;
    handler(e, timeOf(e), locationOf(e));
  }
  for (const [batchId, lines] of pendingLines) {
    for (const l of lines) checkUsageBatch.orphanLine(f, l.args.agreementId, batchId, { block: l.block.toString(), tx: l.tx, logIndex: l.logIndex });
  }
  for (const [, list] of pendingDistributions) {
    for (const d of list) checkSplit.orphan(f, d.args.agreementId, d.args.beneficiary, d.args.amount, { block: d.block.toString(), tx: d.tx, logIndex: d.logIndex });
  }
  return m;
}
