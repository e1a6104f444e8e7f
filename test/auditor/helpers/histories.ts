// Activity histories for the auditor's tests and benchmark, played on a real node through LedgerDriver:
// PROTOCOL §13's worked example (on its own dates), a "standard" history touching every part of the protocol
// (two partners, three agreements, rate change, credit note, rejected lines and siblings, disputed and re-versioned
// revenue, the cap binding, FIFO payments with a period left late, claims, pause, migrations proposed, cancelled,
// executed and the startup's own, signer sets and payout addresses proposed and set, termination, expiry, a direct
// transfer), and a bulk history of many agreements for the benchmark and the clean test.
import type { Address, Hex } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { UNIT } from "../../../sdk/units";
import { B200, DAY, H100, HOUR, LedgerDriver, type TermsInput } from "../../helpers/ledgerDriver";
import { recordsFor, submitWithEvidence, type RecordInput, type WrittenBatch } from "./evidence";
import { prng } from "../../../scripts/lib/prng";

const iso = (s: string): bigint => BigInt(Date.parse(s) / 1000);
const termsHash = (label: string): Hex => `0x${Buffer.from(label.padEnd(32, "-").slice(0, 32)).toString("hex")}` as Hex;

// ------------------------------------------------------------------------------------------------- §13
export interface WorkedExample {
  id: bigint;
  partnerF: Address;
  partnerB: Address;
  startup: PrivateKeyAccount;
  payer: PrivateKeyAccount;
  batches: WrittenBatch[];
}

/** PROTOCOL §13 step by step (needs a node whose clock is before 2026-10-01). */
export async function playWorkedExample(d: LedgerDriver, evidenceDir?: string): Promise<WorkedExample> {
  const START = iso("2026-10-01T00:00:00Z");
  const PERIOD = 30n * DAY;
  const fKey = LedgerDriver.signer("we-F");
  const bKey = LedgerDriver.signer("we-B");
  const revKey = LedgerDriver.signer("we-rev");
  const partnerF = (await d.newWallet()).address;
  const partnerB = (await d.newWallet()).address;
  const startup = await d.newWallet();
  const payer = await d.newWallet();
  await d.registerPartner(partnerF, [fKey], 1, 7_000);
  await d.registerPartner(partnerB, [bKey], 1, 8_000);
  await d.setRevenueSigners([revKey], 1);
  const hour = ((await d.now()) / HOUR) * HOUR;
  await d.scheduleRate(partnerF, H100, 2_500_000n, hour);
  await d.scheduleRate(partnerB, B200, 5_000_000n, hour);
  const id = await d.createAgreement({
    startup: startup.address, creditLimit: 100_000n * UNIT, revenueShareBps: 800, capMultipleBps: 15_000, partnerFirstBps: 6_000,
    startTime: START, endTime: START + 12n * PERIOD, periodDuration: Number(PERIOD), gracePeriod: Number(15n * DAY), termsHash: termsHash("worked-example"),
  });
  await d.accept(startup, id);
  await d.authorize(startup, id, partnerF, 50_000n * UNIT, 16);
  await d.authorize(startup, id, partnerB, 50_000n * UNIT, 8);
  const periodStart = iso("2026-10-02T00:00:00Z");
  const periodEnd = iso("2026-10-07T00:00:00Z");
  await d.at(periodEnd + 60n);
  // F: 8 GPUs × 100 h in two jobs; B: 4 GPUs × 50 h in two jobs
  const fRecords: RecordInput[] = [
    { recordId: "slurm:firmus:1001:1790899200", agreementId: id, sku: H100, start: periodStart, end: periodStart + 60n * HOUR, gpuSeconds: 8n * 60n * HOUR },
    { recordId: "slurm:firmus:1002:1791115200", agreementId: id, sku: H100, start: periodStart + 60n * HOUR, end: periodStart + 100n * HOUR, gpuSeconds: 8n * 40n * HOUR },
  ];
  const bRecords: RecordInput[] = recordsFor("meter:b", id, B200, periodStart, periodStart + 50n * HOUR, 720_000n);
  const batches = [
    await submitWithEvidence(d, evidenceDir, { partner: partnerF, sequence: 0n, periodStart, periodEnd, lines: [{ agreementId: id, sku: H100, gpuSeconds: 2_880_000n }] }, fRecords, [fKey]),
    await submitWithEvidence(d, evidenceDir, { partner: partnerB, sequence: 0n, periodStart, periodEnd, lines: [{ agreementId: id, sku: B200, gpuSeconds: 720_000n }] }, bRecords, [bKey]),
  ];
  await d.at(START + PERIOD);
  await d.submitRevenue({ agreementId: id, periodIndex: 0, revenue: 20_000n * UNIT, evidenceHash: termsHash("p0"), version: 1 }, [revKey]);
  await d.at(START + PERIOD + 3n * DAY);
  await d.finalize(id, 0);
  await d.at(START + 2n * PERIOD);
  await d.submitRevenue({ agreementId: id, periodIndex: 1, revenue: 50_000n * UNIT, evidenceHash: termsHash("p1"), version: 1 }, [revKey]);
  await d.at(START + 2n * PERIOD + 3n * DAY);
  await d.finalize(id, 1);
  await d.pay(payer, id, 1_000n * UNIT);
  await d.pay(payer, id, 3_500n * UNIT);
  return { id, partnerF, partnerB, startup, payer, batches };
}

// ------------------------------------------------------------------------------------------------- standard
export interface StandardHistory {
  t0: bigint;
  partnerF: Address;
  partnerB: Address;
  /** F's oracle keys in force at the end (PROGRAM's proposed set, in force from day 15). */
  fKeys: PrivateKeyAccount[];
  bKeys: PrivateKeyAccount[];
  /** The revenue signer keys in force at the end (PROGRAM's proposed set, in force from day 26). */
  revKeys: PrivateKeyAccount[];
  a1: bigint;
  a2: bigint;
  a3: bigint;
  startup1: PrivateKeyAccount;
  batches: WrittenBatch[];
  /** The time of the history's last transaction. */
  end: bigint;
}

export interface StandardOptions {
  evidenceDir?: string;
  /** Finalize a1's period 0 right after its report, inside the dispute window (only a doctored ledger lets it). */
  finalizeInsideWindow?: boolean;
  /** PROGRAM's migrations happen at once (a doctored ledger): nothing left to cancel or execute. */
  migrationAtOnce?: boolean;
  /** Sign F's batch inside the notice of PROGRAM's proposed set with that set (only a doctored ledger takes it). */
  signWithProposedSetEarly?: boolean;
}

/**
 * A history that touches every rule the auditor checks. Times are relative to t0, the first midnight at least a
 * day after the chain's clock.
 */
export async function playStandardHistory(d: LedgerDriver, options: StandardOptions = {}): Promise<StandardHistory> {
  const dir = options.evidenceDir;
  const now0 = await d.now();
  const t0 = (now0 / DAY) * DAY + 2n * DAY;
  const P = 10n * DAY;
  const fKeys = [LedgerDriver.signer("F1"), LedgerDriver.signer("F2"), LedgerDriver.signer("F3")];
  const fKeysProposed = [LedgerDriver.signer("F4"), LedgerDriver.signer("F5")];
  const bKeys = [LedgerDriver.signer("B1")];
  const revKeys = [LedgerDriver.signer("R1"), LedgerDriver.signer("R2")];
  const revKeysProposed = [LedgerDriver.signer("R3")];
  const partnerFAccount = await d.newWallet();
  const partnerBAccount = await d.newWallet();
  const partnerF = partnerFAccount.address;
  const partnerB = partnerBAccount.address;
  const startup1 = await d.newWallet();
  const startup2 = await d.newWallet();
  const startup2b = await d.newWallet();
  const startup2c = await d.newWallet();
  const startup3 = await d.newWallet();
  const payer = await d.newWallet();
  const wallet = async () => (await d.newWallet()).address;
  await d.registerPartner(partnerF, fKeys, 2, 7_000);
  await d.registerPartner(partnerB, bKeys, 1, 8_000);
  await d.setRevenueSigners(revKeys, 2);
  const hour = (now0 / HOUR) * HOUR;
  await d.scheduleRate(partnerF, H100, 2_500_000n, hour);
  await d.scheduleRate(partnerF, B200, 4_000_000n, hour);
  await d.scheduleRate(partnerB, B200, 5_000_000n, hour);
  // F's h100 rate rises from t0 + 20 days (RATE_NOTICE is 7 days)
  await d.scheduleRate(partnerF, H100, 3_000_000n, t0 + 20n * DAY);

  const base: TermsInput = {
    startup: startup1.address, creditLimit: 100_000n * UNIT, revenueShareBps: 800, capMultipleBps: 15_000, partnerFirstBps: 6_000,
    startTime: t0, endTime: t0 + 6n * P, periodDuration: Number(P), gracePeriod: Number(5n * DAY), termsHash: termsHash("a1"),
  };
  const a1 = await d.createAgreement(base);
  await d.accept(startup1, a1);
  await d.authorize(startup1, a1, partnerF, 50_000n * UNIT, 16);
  await d.authorize(startup1, a1, partnerB, 20_000n * UNIT, 8);
  const a2 = await d.createAgreement({ ...base, startup: startup2.address, revenueShareBps: 1_000, capMultipleBps: 12_000, partnerFirstBps: 5_000, termsHash: termsHash("a2") });
  await d.accept(startup2, a2);
  await d.authorize(startup2, a2, partnerF, 30_000n * UNIT, 8);
  const a3 = await d.createAgreement({ ...base, startup: startup3.address, termsHash: termsHash("a3") });
  // PROGRAM proposes to move a3 to another wallet; the cancellation of the agreement ends the proposal
  await d.call(d.admin, "migrateStartup", a3, await wallet());
  await d.call(d.admin, "cancelAgreement", a3);

  const batches: WrittenBatch[] = [];
  const day = (n: bigint) => t0 + n * DAY;
  const usage = async (partner: Address, keys: PrivateKeyAccount[], from: bigint, to: bigint, lines: [bigint, Hex, bigint][], label: string) => {
    const sequence = await d.nextSequence(partner);
    const records = lines.flatMap(([id, sku, gpuSeconds]) => recordsFor(`${label}:${sequence}`, id, sku, from, to, gpuSeconds, 2));
    const written = await submitWithEvidence(d, dir, { partner, sequence, periodStart: from, periodEnd: to, lines: lines.map(([agreementId, sku, gpuSeconds]) => ({ agreementId, sku, gpuSeconds })) }, records, keys);
    batches.push(written);
    return written;
  };

  await d.at(day(2n) + HOUR);
  const f0 = await usage(partnerF, fKeys.slice(0, 2), day(1n), day(2n), [[a1, B200, 4n * 10n * HOUR], [a1, H100, 8n * 20n * HOUR], [a2, H100, 4n * 24n * HOUR]], "F");
  await usage(partnerB, bKeys, day(1n), day(2n), [[a1, B200, 4n * 24n * HOUR]], "B");
  await d.at(day(3n) + HOUR);
  // a2's h100 line is over its GPU bound (9 GPUs for 24 h with maxGpus 8): rejected OverGpuBound, and a2's b200 line
  // with it (SiblingRejected), while a1's line counts
  await usage(partnerF, [fKeys[2], fKeys[0]], day(2n), day(3n), [[a1, H100, 6n * 24n * HOUR], [a2, B200, 1n * 24n * HOUR], [a2, H100, 9n * 24n * HOUR]], "F");
  // the startup disputes F's first batch; the program grants a credit note of 100 DSXC
  await d.call(startup1, "disputeUsage", f0.batchId, a1, termsHash("overbilled"));
  await d.call(d.admin, "resolveUsageDispute", f0.batchId, a1, partnerF, f0.accepted, 100n * UNIT);
  // PROGRAM proposes to move a2 to a new wallet: it may happen 7 days later (MIGRATION_NOTICE)
  await d.call(d.admin, "migrateStartup", a2, startup2b.address);
  // a1 lowers B's spend limit to 700 DSXC (B has spent 480): in force 7 days later
  await d.at(day(4n));
  await d.authorize(startup1, a1, partnerB, 700n * UNIT, 8);
  // F points its payouts to another address of its own, at once
  const payoutF = await wallet();
  await d.call(partnerFAccount, "setPayoutAddress", partnerF, payoutF);
  // PROGRAM proposes to move a1 too; its startup cancels the proposal the next day
  await d.at(day(5n));
  await d.call(d.admin, "migrateStartup", a1, await wallet());
  if (!options.migrationAtOnce) {
    await d.at(day(6n));
    await d.call(startup1, "cancelStartupMigration", a1);
  }

  // revenue period 0 (ends t0 + 10 d): 20 000 USD
  await d.at(day(10n) + 2n * HOUR);
  await d.submitRevenue({ agreementId: a1, periodIndex: 0, revenue: 20_000n * UNIT, evidenceHash: termsHash("a1p0"), version: 1 }, revKeys);
  await d.submitRevenue({ agreementId: a2, periodIndex: 0, revenue: 10_000n * UNIT + 1n, evidenceHash: termsHash("a2p0"), version: 1 }, revKeys);
  if (options.finalizeInsideWindow) await d.finalize(a1, 0);
  // a2's migration has served its notice: anyone carries it out
  if (!options.migrationAtOnce) await d.call(payer, "executeStartupMigration", a2);
  await d.at(day(12n) + HOUR);
  // B bills 60 GPU-h (300 DSXC) more: over the lowered limit, rejected OverAuthorization
  await usage(partnerB, bKeys, day(11n), day(12n), [[a1, B200, 2n * 30n * HOUR]], "B");
  await d.at(day(13n) + 3n * HOUR);
  if (!options.finalizeInsideWindow) await d.finalize(a1, 0);
  await d.finalize(a2, 0);
  // pay exactly period 0's owed of a1 in two payments (the first split pro rata between F and B), part of a2's
  const owed0 = (await d.view<{ owed: bigint }>("revenuePeriod", [a1, 0])).owed;
  await d.pay(payer, a1, 1_000n * UNIT);
  await d.pay(payer, a1, owed0 - 1_000n * UNIT);
  await d.pay(payer, a2, 100_000_003n);
  await d.claim(partnerF);
  // PROGRAM proposes F's new oracle keys: in force 2 days later (SIGNER_NOTICE)
  await d.setPartnerSigners(d.admin, partnerF, fKeysProposed, 2);

  // a pause of one hour
  await d.at(day(14n));
  await d.call(d.admin, "pause");
  await d.at(day(14n) + HOUR);
  await d.call(d.admin, "unpause");
  // F's batch inside the notice is signed by the set still in force
  await d.at(day(14n) + 2n * HOUR);
  await usage(partnerF, options.signWithProposedSetEarly ? fKeysProposed : fKeys.slice(0, 2), day(13n), day(14n), [[a1, H100, 2n * 24n * HOUR]], "F");
  // a2's new wallet moves it on, at once (the startup's own migration)
  await d.at(day(15n));
  await d.call(startup2b, "migrateStartup", a2, startup2c.address);
  // PROGRAM proposes B's new keys; B sets keys of its own the next day, which replaces the proposal
  await d.at(day(16n));
  await d.setPartnerSigners(d.admin, partnerB, [LedgerDriver.signer("B2")], 1);
  await d.at(day(17n));
  await d.setPartnerSigners(partnerBAccount, partnerB, [LedgerDriver.signer("B3")], 1);

  // period 1: v1 disputed and rejected, v2 finalized (the cap binds)
  await d.at(day(20n) + HOUR);
  await d.submitRevenue({ agreementId: a1, periodIndex: 1, revenue: 50_000n * UNIT, evidenceHash: termsHash("a1p1v1"), version: 1 }, revKeys);
  await d.call(d.admin, "disputeRevenue", a1, 1, termsHash("too high"));
  await d.call(d.admin, "resolveRevenueDispute", a1, 1, true);
  await d.submitRevenue({ agreementId: a1, periodIndex: 1, revenue: 45_000n * UNIT, evidenceHash: termsHash("a1p1v2"), version: 2 }, revKeys);
  await d.submitRevenue({ agreementId: a2, periodIndex: 1, revenue: 3_333_333_333n, evidenceHash: termsHash("a2p1"), version: 1 }, revKeys);
  await d.at(day(23n) + 2n * HOUR);
  await d.finalize(a1, 1);
  await d.finalize(a2, 1);
  // F's usage at the new h100 rate (3 credits/GPU-h) adds cap headroom for period 2, signed by its new keys
  await usage(partnerF, fKeysProposed, day(21n), day(22n), [[a1, H100, 8n * 24n * HOUR]], "F");
  await d.pay(payer, a1, 123_456_789n);
  await d.call(d.admin, "terminateAgreement", a2, termsHash("breach"));
  // PROGRAM proposes a new revenue signer set: in force 2 days later
  await d.at(day(24n));
  await d.setRevenueSigners(revKeysProposed, 1);

  // period 2 of a1: an odd revenue (rounding), finalized, left unpaid; period 1 only partly paid and past due
  await d.at(day(30n) + HOUR);
  await d.submitRevenue({ agreementId: a1, periodIndex: 2, revenue: 7_777_777_777n, evidenceHash: termsHash("a1p2"), version: 1 }, revKeysProposed);
  // PROGRAM proposes another payout address for F: in force 7 days later (PAYOUT_NOTICE)
  const payoutF2 = await wallet();
  await d.call(d.admin, "setPayoutAddress", partnerF, payoutF2);
  // PROGRAM proposes to move a2 (terminated) once more; its expiry ends the proposal
  await d.at(day(32n));
  await d.call(d.admin, "migrateStartup", a2, await wallet());
  await d.at(day(33n) + 2n * HOUR);
  await d.finalize(a1, 2);
  await d.call(d.admin, "expireCredits", a2);
  // a2's obligation (288 USD, its cap) is now paid exactly
  await d.pay(payer, a2, 187_999_997n);
  await d.donate(10n * UNIT);
  await d.claimProgram();
  await d.claim(partnerB);
  // F's claim goes to the address F set: PROGRAM's proposal is not in force yet
  await d.claim(partnerF);
  // a dollar more for a1, and F's claim now goes to the proposed address (in force, no further event); a doctored
  // ledger crediting the wrong beneficiary may have left F nothing to claim
  await d.at(day(38n));
  await d.pay(payer, a1, UNIT);
  if ((await d.view<bigint>("claimable", [partnerF])) > 0n) await d.claim(partnerF);
  // PROGRAM proposes to move a1: still pending at the audited block
  await d.call(d.admin, "migrateStartup", a1, await wallet());
  // a later block, so the audited block is past period 1's due date
  await d.timeTo(day(40n));
  return { t0, partnerF, partnerB, fKeys: fKeysProposed, bKeys, revKeys: revKeysProposed, a1, a2, a3, startup1, batches, end: day(40n) };
}

// ------------------------------------------------------------------------------------------------- random
export interface RandomOptions {
  seed: number;
  agreements: number;
  partners: number;
  /** Days of usage (one batch per partner per day). */
  days: number;
  /** Share of (agreement, sku) pairs billed in a partner's daily batch, 0..1. */
  density?: number;
  /** How many agreements report revenue, finalize and pay (default all). */
  revenueAgreements?: number;
  /**
   * Also change, now and then, who holds an agreement and who signs or is paid (PROTOCOL §3–§5, §7): startups'
   * own migrations, PROGRAM's migration proposals executed or cancelled, partner signer sets and payout addresses set
   * by the partner or proposed by PROGRAM, revenue signer proposals (their own random stream: the rest is unchanged).
   */
  changes?: boolean;
  evidenceDir?: string;
  onProgress?: (day: number) => void;
}

/** Keys by address, to sign with whichever set the ledger says is in force. */
type Keyring = Map<string, PrivateKeyAccount>;
const keysInForce = (ring: Keyring, signers: readonly Address[], threshold: number): PrivateKeyAccount[] =>
  signers.slice(0, threshold).map((s) => {
    const key = ring.get(s.toLowerCase());
    if (!key) throw new Error(`No key for signer ${s}.`);
    return key;
  });

/**
 * A long random history: `agreements` startups on `partners` partners with two skus each, a usage batch per
 * partner per day (some lines over their GPU bound, so rejected with their siblings), revenue reported for every
 * ended 2-day period and finalized after its dispute window, random partial payments and claims; with `changes`,
 * wallets, signer sets and payout addresses changing too.
 */
export async function playRandomHistory(d: LedgerDriver, o: RandomOptions): Promise<{ agreements: bigint[]; partners: Address[]; t0: bigint }> {
  const rand = prng(o.seed);
  const pick = (n: number) => Math.floor(rand() * n);
  const density = o.density ?? 0.5;
  const now0 = await d.now();
  const t0 = (now0 / DAY) * DAY + DAY;
  const P = 2n * DAY;
  const skus = [H100, B200];
  const ring: Keyring = new Map();
  const keyOf = (label: string) => {
    const key = LedgerDriver.signer(label);
    ring.set(key.address.toLowerCase(), key);
    return key;
  };
  const revKey = keyOf("rand-rev");
  await d.setRevenueSigners([revKey], 1);
  const partners: { address: Address; account: PrivateKeyAccount }[] = [];
  for (let i = 0; i < o.partners; i++) {
    const key = keyOf(`rand-p${i}`);
    const account = await d.newWallet();
    const address = account.address;
    await d.registerPartner(address, [key], 1, 5_000 + 1_000 * (i % 4));
    for (const [j, sku] of skus.entries()) await d.scheduleRate(address, sku, 2_000_000n + BigInt(i * 250_000 + j * 1_500_000), (now0 / HOUR) * HOUR);
    partners.push({ address, account });
  }
  const agreements: { id: bigint; startup: PrivateKeyAccount; proposed?: { to: PrivateKeyAccount; effectiveAt: bigint } }[] = [];
  for (let i = 0; i < o.agreements; i++) {
    const startup = await d.newWallet();
    const id = await d.createAgreement({
      startup: startup.address, creditLimit: 1_000_000n * UNIT, revenueShareBps: 500 + pick(1_500), capMultipleBps: 10_000 + pick(20_000),
      partnerFirstBps: pick(10_001), startTime: t0, endTime: t0 + 12n * P, periodDuration: Number(P), gracePeriod: Number(DAY + BigInt(pick(3)) * DAY),
      termsHash: termsHash(`rand-${i}`),
    });
    await d.accept(startup, id);
    for (const p of partners) await d.authorize(startup, id, p.address, 400_000n * UNIT, 32);
    agreements.push({ id, startup });
  }
  const payer = await d.newWallet();
  const reported = new Map<string, bigint>();
  const finalizedUpTo = new Map<bigint, number>();
  const changeRand = prng(o.seed + 1);
  let keyCount = 0;
  for (let day = 1; day <= o.days; day++) {
    const from = t0 + BigInt(day - 1) * DAY;
    const to = from + DAY;
    await d.at(to + 600n);
    for (const p of partners) {
      const lines: { agreementId: bigint; sku: Hex; gpuSeconds: bigint }[] = [];
      for (const a of agreements) {
        for (const sku of skus.slice().sort()) {
          if (rand() > density) continue;
          const gpus = BigInt(1 + pick(rand() < 0.03 ? 64 : 16)); // now and then more GPUs than authorized: rejected
          lines.push({ agreementId: a.id, sku, gpuSeconds: gpus * BigInt(3_600 + pick(20 * 3_600)) });
        }
      }
      if (lines.length === 0) continue;
      const records = lines.flatMap((l) => recordsFor(`rand:${day}`, l.agreementId, l.sku, from, to, l.gpuSeconds, 1));
      const view = await d.view<{ signers: Address[]; threshold: number; nextSequence: bigint }>("partner", [p.address]);
      await submitWithEvidence(d, o.evidenceDir, { partner: p.address, sequence: view.nextSequence, periodStart: from, periodEnd: to, lines }, records, keysInForce(ring, view.signers, view.threshold));
    }
    const now = to + 600n;
    const revenueSet = await d.view<{ signers: Address[]; threshold: number }>("revenueSigners");
    const revKeys = keysInForce(ring, revenueSet.signers, revenueSet.threshold);
    for (const a of agreements.slice(0, o.revenueAgreements ?? agreements.length)) {
      // report every ended period once; finalize the next period whose window has passed
      for (let k = 0; k < 12; k++) {
        const end = t0 + BigInt(k + 1) * P;
        const key = `${a.id}:${k}`;
        if (end > now || reported.has(key)) continue;
        await d.submitRevenue({ agreementId: a.id, periodIndex: k, revenue: BigInt(pick(50_000)) * UNIT + BigInt(pick(1_000_000)), evidenceHash: termsHash(key), version: 1 }, revKeys);
        reported.set(key, now);
      }
      const next = finalizedUpTo.get(a.id) ?? 0;
      const submittedAt = reported.get(`${a.id}:${next}`);
      if (submittedAt !== undefined && submittedAt + 3n * DAY < now && next < 11) {
        await d.finalize(a.id, next);
        finalizedUpTo.set(a.id, next + 1);
        if (rand() < 0.7) {
          const view = await d.view<{ outstanding: bigint }>("agreement", [a.id]);
          if (view.outstanding > 0n) await d.pay(payer, a.id, view.outstanding / BigInt(1 + pick(3)) + 1n);
        }
      }
    }
    if (day % 3 === 0) {
      for (const p of partners) if ((await d.view<bigint>("claimable", [p.address])) > 0n) await d.claim(p.address);
      if ((await d.view<bigint>("programClaimable")) > 0n) await d.claimProgram();
    }
    if (o.changes) {
      // at midday, far from the batches' times, so a proposal's effectiveAt (2 or 7 days on) never falls among them
      await d.at(from + DAY + 12n * HOUR);
      const chance = (x: number) => changeRand() < x;
      for (const [i, p] of partners.entries()) {
        if (chance(0.15)) await d.setPartnerSigners(d.admin, p.address, [keyOf(`rand-p${i}-k${++keyCount}`)], 1);
        else if (chance(0.05)) await d.setPartnerSigners(p.account, p.address, [keyOf(`rand-p${i}-k${++keyCount}`)], 1);
        if (chance(0.1)) await d.call(p.account, "setPayoutAddress", p.address, (await d.newWallet()).address);
        // eslint-disable-next-line no-dupe-else-if -- chance() draws a new number on each call
        else if (chance(0.1)) await d.call(d.admin, "setPayoutAddress", p.address, (await d.newWallet()).address);
      }
      const nowChanges = await d.now();
      for (const a of agreements) {
        if (a.proposed && nowChanges >= a.proposed.effectiveAt) {
          await d.call(payer, "executeStartupMigration", a.id);
          a.startup = a.proposed.to;
          a.proposed = undefined;
        } else if (a.proposed && nowChanges + HOUR < a.proposed.effectiveAt && chance(0.2)) {
          await d.call(a.startup, "cancelStartupMigration", a.id);
          a.proposed = undefined;
        } else if (chance(0.05)) {
          const next = await d.newWallet();
          await d.call(a.startup, "migrateStartup", a.id, next.address);
          a.startup = next;
          a.proposed = undefined; // the startup's own migration ends a pending proposal
          // eslint-disable-next-line no-dupe-else-if -- chance() draws a new number on each call
        } else if (!a.proposed && chance(0.05)) {
          const next = await d.newWallet();
          await d.call(d.admin, "migrateStartup", a.id, next.address);
          const [, effectiveAt] = await d.view<[Address, bigint]>("pendingMigration", [a.id]);
          a.proposed = { to: next, effectiveAt };
        }
      }
      if (day % 5 === 4) await d.setRevenueSigners([keyOf(`rand-rev-k${++keyCount}`)], 1);
    }
    o.onProgress?.(day);
  }
  return { agreements: agreements.map((a) => a.id), partners: partners.map((p) => p.address), t0 };
}
