import { ethers, network } from "hardhat";
import fc from "fast-check";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { type Interface, type ParamType, type LogDescription, Wallet, keccak256 } from "ethers";
import type { Address } from "viem";
import {
  deployLedgerFixture, addressesOf, H100, B200, DAY, HOUR, RATE_NOTICE, DISPUTE_WINDOW, AUTH_NOTICE, REPORTING_GRACE,
} from "../helpers/fixture";
import { DEFAULT_CONSTANTS } from "../../scripts/lib/deployLedger";
import { ledgerDomain, hashUsageBatch, hashRevenueReport, skuToBytes32, type UsageBatch, type RevenueReport } from "../../sdk/eip712";
import * as shareMath from "../../sdk/shareMath";
import {
  LedgerModel, Status, RevState, Rejection, MAX_UINT256, disputeKey,
  type AcceptedLine, type ModelError, type Outcome, type SignerSet, type Terms, type UsageLine,
} from "../helpers/ledgerModel";

// Model-based property suite (PROTOCOL v1.1 §3–§10): random users act in random order on a real ledger and on
// test/helpers/ledgerModel.ts. Every call must succeed or fail (with the same custom error and arguments) exactly as
// the model says, every figure the ledger shows must equal the model's, and every invariant of §10 (1–8) must hold
// on chain after every step. On a failure fast-check shrinks the sequence and prints it with the calls it resolved to.
// v1.1 actions: wallet migrations by the startup (at once), by PROGRAM (proposed, then cancelled or executed after
// MIGRATION_NOTICE) and by others (refused); signer rotations by the partner (at once) and PROGRAM (in force from
// effectiveAt with no transaction: batches and reports are signed with the set in force, the pending one or an old
// one, and the model decides); payout addresses (claims pay the address in force); revenue signer sets (the first at
// once, then pending); usage groups accepted or rejected together; DSXC approvals refused. Invariant 7 is checked
// from the views and the proposal events alone, invariant 8 from the usage events alone (not from the model).
//
// Switches (environment): PROPERTIES_SEED / PROPERTIES_PATH replay a reported failure; PROPERTIES_RUNS overrides
// RUNS; PROPERTIES_NO_SHRINK=true reports the first failure unshrunk (shrinking re-runs whole sequences and can take
// minutes); PROPERTIES_STATS=true prints what the runs covered (outcome per call and error, usage line verdicts,
// time per phase); PROPERTIES_TRACE=true prints every run's resolved steps; PROPERTIES_DEBUG=true prints Hardhat's
// message and Solidity stack trace for every revert.
const RUNS = Number(process.env.PROPERTIES_RUNS ?? 50);
// 120 (v1 had 100): the v1.1 actions take about a sixth of the draws, so the v1 actions keep their share of a run
const ACTIONS_PER_RUN = 120;

const DSXC = 1_000_000n;
const T4 = skuToBytes32("t4"); // partner B's cheap sku: a few GPU-seconds cost 0 credits
const A100 = skuToBytes32("a100"); // no partner has a rate for it
const SKUS = [H100, B200, T4, A100] as const;
const GAS = "0x989680"; // a fixed gas limit: no estimation round trip, reverts are mined and reported
const ZERO = ethers.ZeroAddress;
const PAYER_FUNDS = 10n ** 15n;

// ------------------------------------------------------------------------------------------------ fixture

async function propertiesFixture() {
  const f = await deployLedgerFixture();
  const all = await ethers.getSigners();
  const { ledger, program, partnerF, partnerB, usdc, payer, oracleKeys } = f;
  const [fKey, bKey1, bKey2, revKey1, revKey2, stranger] = oracleKeys;
  await ledger.connect(program).registerPartner(partnerF.address, [fKey.address], 1, 7_000);
  await ledger.connect(program).registerPartner(partnerB.address, addressesOf([bKey1, bKey2]), 2, 8_000);
  // partner B also holds PROGRAM: its own rotations and payout changes still count as the partner's (at once)
  await ledger.connect(f.admin).grantRole(await ledger.PROGRAM_ROLE(), partnerB.address);
  // no revenue signer set yet: every run opens by setting the first one (in force at once).
  // The keys signer sets are drawn from (partners' and revenue's alike); `stranger` is never in a set.
  const pool = [fKey, bKey1, bKey2, revKey1, revKey2, ...[0, 1, 2].map((i) => new Wallet(ethers.id(`dsx-properties-key-${i}`)))];
  const now = BigInt(await time.latest());
  const hourStart = now - (now % HOUR);
  const rates = [
    { partner: partnerF.address, sku: H100, creditsPerGpuHour: 2_500_000n, effectiveFrom: hourStart },
    // a scheduled change: batches straddling it are refused, later ones are priced at the new rate
    { partner: partnerF.address, sku: H100, creditsPerGpuHour: 3_000_000n, effectiveFrom: hourStart + RATE_NOTICE + 2n * DAY },
    { partner: partnerB.address, sku: B200, creditsPerGpuHour: 5_000_000n, effectiveFrom: hourStart },
    { partner: partnerB.address, sku: H100, creditsPerGpuHour: 2_000_000n, effectiveFrom: hourStart },
    { partner: partnerB.address, sku: T4, creditsPerGpuHour: 1_000n, effectiveFrom: hourStart },
  ];
  for (const r of rates) await ledger.connect(program).scheduleRate(r.partner, r.sku, r.creditsPerGpuHour, r.effectiveFrom);
  // runs start two days after the first rates, so agreements that began a day ago have usage with a price
  await time.increase(2n * DAY);
  await network.provider.request({ method: "hardhat_setCode", params: [READER, batchReader()] });
  await usdc.mint(payer.address, PAYER_FUNDS);
  await usdc.connect(payer).approve(f.ledgerAddress, ethers.MaxUint256);
  const roles = {
    program: await ledger.PROGRAM_ROLE(), auditor: await ledger.AUDITOR_ROLE(), pauser: await ledger.PAUSER_ROLE(),
  };
  // the notices invariant 7 holds proposals to, as the deployed ledger states them
  const notices = { signer: await ledger.SIGNER_NOTICE(), migration: await ledger.MIGRATION_NOTICE(), payout: await ledger.PAYOUT_NOTICE() };
  return {
    ...f, rates, roles, notices, wallets: [f.startup, f.startup2, all[12], all[13], all[14]].map((s) => s.address),
    /** Where partners may have their claims paid (besides themselves and each other). */
    payoutWallets: [all[15], all[16], all[17]].map((s) => s.address),
    keys: {
      partner: new Map([[partnerF.address, [fKey]], [partnerB.address, [bKey1, bKey2]]]), revenue: [revKey1, revKey2], stranger, pool,
      byAddress: new Map(pool.map((k) => [k.address.toLowerCase(), k])),
    },
    creditAddress: await f.credit.getAddress(), usdcAddress: await usdc.getAddress(),
  };
}
type Env = Awaited<ReturnType<typeof propertiesFixture>>;

// ------------------------------------------------------------------------------------------------ actions

interface Ref { pick: number; wild: boolean }
type Action =
  | { kind: "create"; wallet: Ref; variant: number; creditDsxc: number; shareBps: number; capBps: number; firstBps: number;
      startOffsetH: number; periodH: number; periods: number; graceH: number; other: boolean }
  | { kind: "accept"; ref: Ref; other: boolean }
  | { kind: "cancel"; ref: Ref; other: boolean }
  | { kind: "terminate"; ref: Ref; other: boolean }
  | { kind: "authorize"; ref: Ref; partner: number; spendMode: number; spendPct: number; maxGpus: number; other: boolean }
  | { kind: "usage"; partner: number; fault: number; windowMode: number; endAgoMin: number; lenMin: number; gapMin: number;
      lines: { ref: Ref; sku: number; size: number; tiny: boolean }[]; unsorted: boolean; emptyLine: boolean; keys: KeyChoice }
  | { kind: "disputeUsage"; batch: Ref; agreementPick: number; caller: number }
  | { kind: "resolveUsage"; dispute: Ref; refundMode: number; refundPct: number; tamper: boolean; other: boolean }
  | { kind: "submitRevenue"; ref: Ref; kOffset: number; versionDelta: number; revenue: number; fault: number; keys: KeyChoice }
  | { kind: "disputeRevenue"; ref: Ref; kOffset: number; smart: boolean; other: boolean }
  | { kind: "resolveRevenue"; ref: Ref; kOffset: number; smart: boolean; upheld: boolean; other: boolean }
  | { kind: "finalize"; ref: Ref; kOffset: number }
  | { kind: "pay"; ref: Ref; mode: number; pct: number; units: number; other: boolean }
  | { kind: "claim"; who: number }
  | { kind: "claimProgram" }
  | { kind: "travel"; seconds: number }
  | { kind: "jump"; pick: number; offset: number }
  | { kind: "jumpNotice"; pick: number; offset: number }
  | { kind: "pause"; other: boolean }
  | { kind: "unpause"; other: boolean }
  | { kind: "expire"; ref: Ref }
  | { kind: "migrate"; ref: Ref; wallet: Ref; caller: number }
  | { kind: "cancelMigration"; ref: Ref; caller: number }
  | { kind: "executeMigration"; ref: Ref }
  | { kind: "setSigners"; partner: number; caller: number; set: SetChoice }
  | { kind: "setPayout"; partner: number; caller: number; target: number }
  | { kind: "setRevenueSigners"; set: SetChoice; other: boolean }
  | { kind: "approveCredits"; owner: number; spender: number; permit: boolean }
  | { kind: "setActive"; partner: number; active: boolean };

/** Which keys sign a batch or report: `set` 0–6 the set in force when the transaction lands, 7–8 the latest one set
 * or proposed (pending or not), 9 one from the history (`pick`); `all` every member, else `threshold` of them from
 * `pick` on. The model decides whether the chosen keys count. */
interface KeyChoice { set: number; pick: number; all: boolean }
/** A signer set drawn from the key pool (`mask`), threshold 1 + threshold % n; `fault` 1 threshold 0, 2 threshold
 * n + 1, 3 a duplicate, 4 the zero address, 5 seventeen signers. */
interface SetChoice { mask: number; threshold: number; reversed: boolean; fault: number }

const chance = (outOf: number) => fc.noBias(fc.nat({ max: outOf - 1 })).map((x) => x === 0);
const ref = fc.record({ pick: fc.noBias(fc.nat({ max: 1_000 })), wild: chance(10) });
const other = chance(10);
const kOffset = fc.constantFrom(0, 0, 0, 0, 1, 2, -1);
const keyChoice = fc.record({ set: fc.noBias(fc.nat({ max: 9 })), pick: fc.noBias(fc.nat({ max: 1_000 })), all: fc.boolean() });
const setChoice = fc.record({
  mask: fc.integer({ min: 1, max: 255 }), threshold: fc.nat({ max: 15 }), reversed: fc.boolean(),
  fault: fc.oneof({ weight: 15, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.integer({ min: 1, max: 5 }) }),
});
/** 0–3 the affected party (startup, partner), 4–8 PROGRAM, 9 an outsider. */
const partyCaller = fc.noBias(fc.nat({ max: 9 }));
const maxGpus = fc.oneof({ weight: 19, arbitrary: fc.integer({ min: 0, max: 16 }) }, { weight: 1, arbitrary: fc.constant(2 ** 24) });

const createArb = fc.record({
  kind: fc.constant("create" as const), wallet: ref, variant: fc.nat({ max: 60 }),
  creditDsxc: fc.oneof(fc.integer({ min: 1, max: 3_000 }), fc.integer({ min: 3_000, max: 40_000 })),
  shareBps: fc.oneof(fc.integer({ min: 1, max: 3_000 }), fc.integer({ min: 1, max: 10_000 })),
  capBps: fc.integer({ min: 10_000, max: 40_000 }), firstBps: fc.integer({ min: 0, max: 10_000 }),
  startOffsetH: fc.integer({ min: -24, max: 8 }), periodH: fc.integer({ min: 24, max: 60 }), periods: fc.integer({ min: 1, max: 6 }),
  graceH: fc.integer({ min: 0, max: 120 }), other,
});
const authorizeArb = fc.record({
  kind: fc.constant("authorize" as const), ref, partner: fc.constantFrom(0, 0, 0, 0, 1, 1, 1, 1, 2),
  spendMode: fc.noBias(fc.nat({ max: 9 })), spendPct: fc.noBias(fc.integer({ min: 0, max: 120 })), maxGpus, other,
});

const usageArb = fc.record({
  kind: fc.constant("usage" as const), partner: fc.nat({ max: 1 }),
  fault: fc.oneof({ weight: 24, arbitrary: fc.constant(0) }, { weight: 6, arbitrary: fc.integer({ min: 1, max: 6 }) }),
  windowMode: fc.noBias(fc.nat({ max: 9 })), endAgoMin: fc.integer({ min: 0, max: 4_320 }), lenMin: fc.integer({ min: 10, max: 2_160 }),
  gapMin: fc.integer({ min: 0, max: 120 }),
  lines: fc.array(fc.record({ ref, sku: fc.noBias(fc.nat({ max: 9 })), size: fc.integer({ min: 1, max: 36 }), tiny: chance(8) }), { minLength: 1, maxLength: 3 }),
  unsorted: chance(20), emptyLine: chance(30), keys: keyChoice,
});
const submitRevenueArb = fc.record({
  kind: fc.constant("submitRevenue" as const), ref, kOffset, versionDelta: fc.constantFrom(0, 1, 1, 1, 2),
  revenue: fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 0, max: 60_000_000 }) }, { weight: 1, arbitrary: fc.constant(0) }),
  fault: fc.oneof({ weight: 12, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.integer({ min: 1, max: 4 }) }),
  keys: keyChoice,
});
const finalizeArb = fc.record({ kind: fc.constant("finalize" as const), ref, kOffset });
const payArb = fc.record({
  kind: fc.constant("pay" as const), ref, mode: fc.noBias(fc.nat({ max: 5 })), pct: fc.noBias(fc.integer({ min: 1, max: 150 })),
  units: fc.integer({ min: 1, max: 5_000_000 }), other,
});

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 5, arbitrary: createArb },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("accept" as const), ref, other }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("cancel" as const), ref, other }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("terminate" as const), ref, other }) },
  { weight: 8, arbitrary: authorizeArb },
  { weight: 22, arbitrary: usageArb },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("disputeUsage" as const), batch: ref, agreementPick: fc.noBias(fc.nat({ max: 100 })), caller: fc.noBias(fc.nat({ max: 9 })) }) },
  { weight: 5, arbitrary: fc.record({
    kind: fc.constant("resolveUsage" as const), dispute: ref, refundMode: fc.noBias(fc.nat({ max: 3 })), refundPct: fc.noBias(fc.integer({ min: 0, max: 100 })),
    tamper: chance(20), other: chance(20) }) },
  { weight: 12, arbitrary: submitRevenueArb },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("disputeRevenue" as const), ref, kOffset, smart: chance(5).map((x) => !x), other }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("resolveRevenue" as const), ref, kOffset, smart: chance(5).map((x) => !x), upheld: fc.boolean(), other }) },
  { weight: 10, arbitrary: finalizeArb },
  { weight: 8, arbitrary: payArb },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("claim" as const), who: fc.noBias(fc.nat({ max: 3 })) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("claimProgram" as const) }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("travel" as const), seconds: fc.integer({ min: 600, max: 12 * 3_600 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("travel" as const), seconds: fc.integer({ min: 86_400, max: 4 * 86_400 }) }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("jump" as const), pick: fc.noBias(fc.nat({ max: 3 })), offset: fc.constantFrom(-2, -1, -1, 0, 0, 1, 60) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("jumpNotice" as const), pick: fc.noBias(fc.nat({ max: 3 })), offset: fc.constantFrom(-1, 0, 0, 1, 3_600) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("pause" as const), other }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("unpause" as const), other }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("expire" as const), ref }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("migrate" as const), ref, wallet: ref, caller: partyCaller }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("cancelMigration" as const), ref, caller: partyCaller }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("executeMigration" as const), ref }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("setSigners" as const), partner: fc.constantFrom(0, 0, 0, 1, 1, 1, 2), caller: partyCaller, set: setChoice }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("setPayout" as const), partner: fc.constantFrom(0, 0, 0, 1, 1, 1, 2), caller: partyCaller, target: fc.noBias(fc.nat({ max: 5 })) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("setRevenueSigners" as const), set: setChoice, other }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("approveCredits" as const), owner: fc.nat({ max: 4 }), spender: fc.nat({ max: 2 }), permit: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("setActive" as const), partner: fc.nat({ max: 1 }), active: chance(4).map((x) => !x) }) },
);

/** Each run opens with the first revenue signer set, two agreements created, accepted and authorized for both
 * partners (random terms and limits), usage from both partners, a period reported and finalized and a payment, so
 * the random part starts from live agreements with something owed. */
const opening = (n: number) => [
  createArb.map((a) => ({ ...a, variant: 0, other: false, wallet: { pick: 0, wild: false }, startOffsetH: -Math.abs(a.startOffsetH), periods: Math.max(a.periods, 3) })),
  fc.constant({ kind: "accept" as const, ref: { pick: 0, wild: false }, other: false }),
  ...[0, 1].map((partner) => authorizeArb.map((a) => ({
    ...a, ref: { pick: n, wild: false }, partner, spendMode: 0, spendPct: 60 + (a.spendPct % 100), maxGpus: 6 + (a.maxGpus % 11), other: false,
  }))),
];
const usageUnderway = (partner: number) => usageArb.map((a) => ({
  ...a, partner, fault: 0, windowMode: 0, unsorted: false, emptyLine: false, keys: { ...a.keys, set: 0 },
}));
/** The first revenue signer set (in force at once): revenue keys 1 and 2 of the pool, 1 of 2. */
const firstRevenueSigners = fc.constant({
  kind: "setRevenueSigners" as const, set: { mask: (1 << 3) | (1 << 4), threshold: 0, reversed: false, fault: 0 }, other: false,
});
const reportAndSettle = [
  fc.record({ kind: fc.constant("travel" as const), seconds: fc.integer({ min: 86_400, max: 3 * 86_400 }) }),
  submitRevenueArb.map((a) => ({ ...a, kOffset: 0, versionDelta: 1, fault: 0, ref: { ...a.ref, wild: false }, keys: { ...a.keys, set: 0 } })),
  fc.record({ kind: fc.constant("travel" as const), seconds: fc.constant(Number(DISPUTE_WINDOW)) }),
  finalizeArb.map((a) => ({ ...a, kOffset: 0, ref: { ...a.ref, wild: false } })),
  payArb.map((a) => ({ ...a, mode: 1, other: false, ref: { ...a.ref, wild: false } })),
];
const openingSteps = [firstRevenueSigners, ...opening(0), ...opening(1), usageUnderway(0), usageUnderway(1), ...reportAndSettle];
const asStep = (arb: fc.Arbitrary<Action>) => fc.option(arb, { nil: null, freq: 1_000_000 });

// A fixed-length sequence whose steps shrink to null (skipped), so a counterexample can shrink below the length.
const actionsArb = fc
  .tuple(
    fc.tuple(...openingSteps.map((arb) => asStep(arb as fc.Arbitrary<Action>))),
    fc.array(asStep(actionArb), { minLength: ACTIONS_PER_RUN, maxLength: ACTIONS_PER_RUN }),
  )
  .map(([open, rest]) => [...open, ...rest]);

// ------------------------------------------------------------------------------------------------ invariants 7 and 8

/** What invariant 7 guards: an agreement's startup wallet, a partner's signer set or payout address, the revenue set. */
type Guard = "startup" | "signers" | "payout" | "revenue";
interface Proposal { kind: Guard; key: string; value: string; proposedAt: bigint; effectiveAt: bigint; withdrawnAt?: bigint; withdrawnBy?: string }
/** A change a transaction made at once (an event), the party it affects and who sent the transaction. */
interface DirectChange { kind: Guard; key: string; value: string; party: string; sender: string }
/** What the views showed in force at a check (`at`): wallets by agreement, signer sets and payouts by partner. */
interface Guarded { at: bigint; startup: Map<bigint, string>; signers: Map<string, string>; payout: Map<string, string>; revenue: string }

/** A signer set as one comparable value: "threshold:signer,signer,…" (lower-case, in stored order). */
function setKey(signers: readonly string[], threshold: unknown): string {
  return `${Number(threshold)}:${signers.map((x) => x.toLowerCase()).join(",")}`;
}

const AGREEMENT_WIDE = ["NotOpen", "OutsideTerm", "ReportingClosed"];

/** §10 invariant 8 on one batch's verdicts for one agreement (from its events, in line order): all accepted or all
 * rejected; a rejected group carries one agreement-wide reason on every line, or one line-level reason on the failing
 * line and SiblingRejected on the others (§6). */
function checkGroupVerdicts(id: bigint, verdicts: string[]): void {
  const accepted = verdicts.filter((v) => v === "accepted").length;
  holds(`8. the batch's lines for agreement ${id} were all accepted or all rejected (got ${verdicts.join(", ")})`, accepted === 0 || accepted === verdicts.length);
  if (accepted > 0) return;
  const reasons = verdicts.filter((v) => v !== "SiblingRejected");
  const wide = reasons.length === verdicts.length && AGREEMENT_WIDE.includes(reasons[0]) && reasons.every((r) => r === reasons[0]);
  const lineLevel = reasons.length === 1 && !AGREEMENT_WIDE.includes(reasons[0]);
  holds(`8. agreement ${id}'s rejected lines carry one agreement-wide reason each, or one line-level reason and SiblingRejected (got ${verdicts.join(", ")})`, wide || lineLevel);
}

// ------------------------------------------------------------------------------------------------ chain access

interface Log { address: string; topics: string[]; data: string }
type TxResult = { ok: true; logs: Log[] } | { ok: false; error: ModelError };

/** Where the batch reader's code is installed (hardhat_setCode in the fixture). */
const READER = "0x00000000000000000000000000000000000d5c0d";
let readerBytecode: string | undefined;

/** A batch reader: staticcalls the (target, length, calldata) records of its calldata and returns every result as
 * (length, bytes), so one eth_call reads every figure the ledger shows. Yul compiled with the solc package. */
function batchReader(): string {
  if (readerBytecode) return readerBytecode;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- solc ships no types; only compile() is used
  const solc = require("solc") as { compile(input: string): string };
  const source = `object "BatchReader" { code {
    let size := calldatasize()
    calldatacopy(0, 0, size)
    let out := size
    for { let ptr := 0 } lt(ptr, size) { } {
      let len := mload(add(ptr, 32))
      let data := add(ptr, 64)
      if iszero(staticcall(gas(), mload(ptr), data, len, 0, 0)) { returndatacopy(0, 0, returndatasize()) revert(0, returndatasize()) }
      mstore(out, returndatasize())
      returndatacopy(add(out, 32), 0, returndatasize())
      out := add(out, add(32, returndatasize()))
      ptr := add(data, len)
    }
    return(size, sub(out, size))
  } }`;
  const output = JSON.parse(solc.compile(JSON.stringify({
    language: "Yul", sources: { "reader.yul": { content: source } },
    settings: { outputSelection: { "*": { "*": ["evm.bytecode.object"] } } },
  })));
  readerBytecode = `0x${output.contracts["reader.yul"].BatchReader.evm.bytecode.object as string}`;
  return readerBytecode;
}

interface Call { target: string; iface: Interface; fn: string; args: unknown[] }

/** A decoded view result: tuples become plain objects keyed by field name. */
type Fields = { [field: string]: unknown };

type Shape = { kind: "leaf"; type: string } | { kind: "skip" } | { kind: "tuple"; fields: [string, Shape][] };

/** The shape of an ABI type for word-by-word reading: null when dynamic at the top level; a dynamic member of a
 * tuple is skipped (its head word is an offset). */
function shapeOf(p: ParamType, inTuple = false): Shape | null {
  if (p.baseType === "tuple") {
    const fields: [string, Shape][] = [];
    for (const c of p.components ?? []) {
      const shape = shapeOf(c, true);
      if (!shape) return null;
      fields.push([c.name, shape]);
    }
    return { kind: "tuple", fields };
  }
  if (p.baseType === "array" || p.type === "string" || p.type === "bytes") return inTuple ? { kind: "skip" } : null;
  return { kind: "leaf", type: p.type };
}

const isDynamic = (shape: Shape): boolean => shape.kind === "skip" || (shape.kind === "tuple" && shape.fields.some(([, f]) => isDynamic(f)));

function readWord(shape: Shape, hex: string, cursor: { word: number }): unknown {
  if (shape.kind === "tuple") {
    const fields: Fields = {};
    for (const [name, s] of shape.fields) fields[name] = readWord(s, hex, cursor);
    return fields;
  }
  const word = hex.slice(cursor.word * 64, cursor.word * 64 + 64);
  cursor.word++;
  if (shape.kind === "skip") return undefined;
  if (shape.type === "bool") return BigInt(`0x${word}`) !== 0n;
  if (shape.type === "address") return `0x${word.slice(24)}`;
  if (shape.type.startsWith("bytes")) return `0x${word.slice(0, 2 * Number(shape.type.slice(5)))}`;
  return BigInt(`0x${word}`);
}

interface Codec { selector: string; decode(hex: string): unknown[] }
/** Views whose dynamic members (signer lists) are compared: decoded whole by ethers. */
const FULL_DECODE = new Set(["partner", "revenueSigners"]);
const codecs = new WeakMap<Interface, Map<string, Codec>>();

/** A cached encoder/decoder per view: ethers' ABI coder costs ~0.5 ms a call, too slow for every figure every step.
 * Arguments are static words. Results are read word by word: static ones in place, a single dynamic tuple from its
 * head (dynamic members skipped), a single address[] from its elements; anything else goes through ethers. */
function codec(iface: Interface, fn: string): Codec {
  let byName = codecs.get(iface);
  if (!byName) codecs.set(iface, (byName = new Map()));
  let c = byName.get(fn);
  if (!c) {
    const f = iface.getFunction(fn)!;
    const shapes = f.outputs.map((o) => shapeOf(o));
    let decode: (hex: string) => unknown[];
    if (FULL_DECODE.has(fn)) {
      decode = (hex) => [...iface.decodeFunctionResult(f, `0x${hex}`)];
    } else if (f.outputs.length === 1 && f.outputs[0].type === "address[]") {
      decode = (hex) => {
        const length = Number(BigInt(`0x${hex.slice(64, 128)}`));
        return [Array.from({ length }, (_, i) => `0x${hex.slice(128 + i * 64 + 24, 128 + (i + 1) * 64)}`)];
      };
    } else if (shapes.length === 1 && shapes[0] !== null && isDynamic(shapes[0])) {
      const shape = shapes[0];
      decode = (hex) => [readWord(shape, hex, { word: 1 })];
    } else if (shapes.every((x) => x !== null && !isDynamic(x))) {
      decode = (hex) => {
        const cursor = { word: 0 };
        return (shapes as Shape[]).map((shape) => readWord(shape, hex, cursor));
      };
    } else {
      decode = (hex) => [...iface.decodeFunctionResult(f, `0x${hex}`)];
    }
    byName.set(fn, (c = { selector: f.selector.slice(2), decode }));
  }
  return c;
}

function word(value: unknown): string {
  if (typeof value === "string") return value.slice(2).toLowerCase().padStart(64, "0");
  if (typeof value === "boolean") return value ? "1".padStart(64, "0") : "0".repeat(64);
  return BigInt(value as bigint | number).toString(16).padStart(64, "0");
}

async function readAll(calls: Call[]): Promise<unknown[][]> {
  const parts = ["0x"];
  for (const c of calls) {
    const data = codec(c.iface, c.fn).selector + c.args.map(word).join("");
    parts.push(word(c.target), word(data.length / 2), data);
  }
  const out = ((await network.provider.request({ method: "eth_call", params: [{ to: READER, data: parts.join("") }, "latest"] })) as string).slice(2);
  const results: unknown[][] = [];
  let offset = 0;
  for (const c of calls) {
    const len = Number(BigInt(`0x${out.slice(offset, offset + 64)}`)) * 2;
    results.push(codec(c.iface, c.fn).decode(out.slice(offset + 64, offset + 64 + len)));
    offset += 64 + len;
  }
  return results;
}

// ------------------------------------------------------------------------------------------------ comparison

const norm = (v: unknown): string => (Array.isArray(v) ? `[${v.map(norm).join(",")}]` : typeof v === "string" ? v.toLowerCase() : String(v));

class Mismatch extends Error {}

function same(label: string, chain: unknown, model: unknown): void {
  if (chain === model) return;
  if (norm(chain) !== norm(model)) throw new Mismatch(`${label}: chain ${norm(chain)} ≠ model ${norm(model)}`);
}

function holds(label: string, condition: boolean): void {
  if (!condition) throw new Mismatch(`invariant broken: ${label}`);
}

function sameFields(label: string, chain: Fields, model: object): void {
  for (const [key, value] of Object.entries(model)) same(`${label}.${key}`, chain[key as keyof typeof chain], value);
}

/** The outcome of the last call, for the trace. */
let lastOutcome = "";

function sameOutcome<T>(label: string, tx: TxResult, outcome: Outcome<T>): T | undefined {
  lastOutcome = outcome.ok ? "ok" : outcome.error.name;
  count(`${label}: ${outcome.ok ? "ok" : outcome.error.name}`);
  if (tx.ok && outcome.ok) return outcome.value;
  const show = (r: TxResult | Outcome<T>) => (r.ok ? "success" : `${r.error.name}(${r.error.args.map(norm).join(", ")})`);
  if (tx.ok !== outcome.ok || (!tx.ok && !outcome.ok && show(tx) !== show(outcome))) {
    throw new Mismatch(`${label}: chain ${show(tx)} ≠ model ${show(outcome)}`);
  }
  return undefined;
}

// ------------------------------------------------------------------------------------------------ one run

/** The state of one run: the deployment, the model, what events showed so far and the chain figures last read. */
class Run {
  readonly model: LedgerModel;
  readonly provider = network.provider;
  readonly trace: string[] = [];
  // §10 invariants 2, 3, 6 from events
  applied = 0n;
  distributed = 0n;
  claimed = 0n;
  minted = 0n;
  burned = 0n;
  readonly sequencesSeen = new Map<string, bigint>();
  readonly finalized = new Set<string>();
  /** The chain figures of the last check (invariant 4 compares a finalization with them). */
  previous?: Snapshot;
  /** What the current step did: whether its transaction reverted, the agreements, batches and disputes it named. */
  reverted = false;
  readonly focus = new Set<bigint>();
  readonly touchedBatches = new Set<string>();
  readonly touchedDisputes: [string, bigint][] = [];
  /** The last transaction sent, for failure reports. */
  lastCall = "";
  /** Signer sets ever set or proposed, per partner (lower-case) and for revenue ("revenue"): old and pending sets
   * sign some batches and reports, and the model decides whether they count. */
  readonly signerHistory = new Map<string, SignerSet[]>([["revenue", []]]);
  /** §10 invariant 7, from events alone: every proposal seen, and the changes the current step's transaction made
   * at once (with who sent it). */
  readonly proposals: Proposal[] = [];
  stepChanges: DirectChange[] = [];
  /** The startup wallets, signer sets and payout addresses in force at the last check. */
  guarded?: Guarded;
  private readonly domain: ReturnType<typeof ledgerDomain>;

  constructor(readonly env: Env, now: bigint) {
    const e = env;
    this.domain = ledgerDomain(e.chainId, e.ledgerAddress as Address);
    this.model = new LedgerModel({
      now, ledger: e.ledgerAddress, treasury: e.treasury.address,
      constants: {
        disputeWindow: DISPUTE_WINDOW, rateNotice: RATE_NOTICE, authNotice: AUTH_NOTICE, reportingGrace: REPORTING_GRACE,
        signerNotice: DEFAULT_CONSTANTS.signerNotice, migrationNotice: DEFAULT_CONSTANTS.migrationNotice, payoutNotice: DEFAULT_CONSTANTS.payoutNotice,
      },
      roles: {
        program: { hash: e.roles.program, holders: [e.program.address, e.partnerB.address] },
        auditor: { hash: e.roles.auditor, holders: [e.auditor.address] },
        pauser: { hash: e.roles.pauser, holders: [e.pauser.address] },
      },
      partners: [
        { address: e.partnerF.address, payoutBps: 7_000n, signers: [e.keys.partner.get(e.partnerF.address)![0].address], threshold: 1 },
        { address: e.partnerB.address, payoutBps: 8_000n, signers: addressesOf(e.keys.partner.get(e.partnerB.address)!), threshold: 2 },
      ],
      revenueSigners: null,
      rates: e.rates,
      usdcBalances: { [e.payer.address]: PAYER_FUNDS },
      usdcAllowances: { [e.payer.address]: MAX_UINT256 },
    });
    for (const partner of e.keys.partner.keys()) this.signerHistory.set(partner.toLowerCase(), [this.model.partnerSignersAt(partner)!]);
  }

  // ---- transactions

  private async send(from: string, to: string, data: string): Promise<TxResult> {
    this.model.now += 1n;
    await this.provider.request({ method: "evm_setNextBlockTimestamp", params: [Number(this.model.now)] });
    try {
      const hash = await this.provider.request({ method: "eth_sendTransaction", params: [{ from, to, data, gas: GAS }] });
      const receipt = (await this.provider.request({ method: "eth_getTransactionReceipt", params: [hash] })) as { logs: Log[] };
      this.track(receipt.logs, from.toLowerCase());
      this.reverted = false;
      return { ok: true, logs: receipt.logs };
    } catch (e) {
      const revert = (e as { data?: unknown }).data;
      if (typeof revert !== "string") throw e;
      if (process.env.PROPERTIES_DEBUG === "true") console.log((e as Error).stack);
      this.reverted = true;
      return { ok: false, error: this.decodeError(revert) };
    }
  }

  private ledgerTx(from: string, fn: string, args: unknown[]): Promise<TxResult> {
    this.lastCall = `${fn}(${JSON.stringify(args, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}) from ${from} at ${this.model.now + 1n}`;
    return this.send(from, this.env.ledgerAddress, (this.env.ledger.interface as Interface).encodeFunctionData(fn, args));
  }

  private decodeError(data: string): ModelError {
    for (const iface of [this.env.ledger.interface, this.env.usdc.interface, this.env.credit.interface]) {
      const parsed = data.length >= 10 ? iface.parseError(data) : null;
      if (parsed) return { name: parsed.name, args: [...parsed.args] };
    }
    return { name: `unknown revert ${data}`, args: [] };
  }

  private ledgerEvents(logs: Log[], name: string): LogDescription[] {
    return logs
      .filter((l) => l.address.toLowerCase() === this.env.ledgerAddress.toLowerCase())
      .map((l) => this.env.ledger.interface.parseLog(l))
      .filter((d): d is LogDescription => d !== null && d.name === name);
  }

  /** §10 invariants 2, 3 and 6 are about event sums and sequences: keep them from every receipt; invariant 7's
   * proposals and at-once changes are taken from the events here, invariant 8 is checked on each usage receipt. */
  private track(logs: Log[], sender: string): void {
    const verdicts = new Map<bigint, string[]>();
    for (const log of logs) {
      if (log.address.toLowerCase() === this.env.creditAddress.toLowerCase()) {
        const d = this.env.credit.interface.parseLog(log);
        if (d?.name === "Transfer") {
          if (d.args.from === ZERO) this.minted += d.args.value as bigint;
          if (d.args.to === ZERO) this.burned += d.args.value as bigint;
        }
        continue;
      }
      if (log.address.toLowerCase() !== this.env.ledgerAddress.toLowerCase()) continue;
      const d = this.env.ledger.interface.parseLog(log);
      if (!d) continue;
      if (d.name === "PaymentApplied") this.applied += d.args.amount as bigint;
      if (d.name === "Distributed") this.distributed += d.args.amount as bigint;
      if (d.name === "Claimed") this.claimed += d.args.amount as bigint;
      if (d.name === "UsageBatchRecorded") {
        const partner = (d.args.partner as string).toLowerCase();
        const expected = this.sequencesSeen.get(partner) ?? 0n;
        holds(`6. partner ${partner} sequences 0,1,2,… (got ${d.args.sequence}, expected ${expected})`, d.args.sequence === expected);
        this.sequencesSeen.set(partner, expected + 1n);
      }
      if (d.name === "RevenueFinalized") {
        const key = `${d.args.agreementId}:${d.args.periodIndex}`;
        holds(`6. at most one Finalized report for (agreement, period) ${key}`, !this.finalized.has(key));
        this.finalized.add(key);
      }
      if (d.name === "UsageRecorded") verdicts.set(d.args.agreementId as bigint, [...(verdicts.get(d.args.agreementId as bigint) ?? []), "accepted"]);
      if (d.name === "UsageLineRejected") {
        verdicts.set(d.args.agreementId as bigint, [...(verdicts.get(d.args.agreementId as bigint) ?? []), Rejection[Number(d.args.reason)] ?? `reason ${d.args.reason}`]);
      }
      this.trackNotices(d, sender);
    }
    for (const [id, lines] of verdicts) checkGroupVerdicts(id, lines);
  }

  /** Invariant 7's record: proposals with when they were made, withdrawn or replaced, and at-once changes. */
  private trackNotices(d: LogDescription, sender: string): void {
    const now = this.model.now; // the block's time: every transaction's timestamp is set before it is sent
    const n = this.env.notices;
    const a = d.args;
    switch (d.name) {
      case "StartupMigrationProposed":
        this.propose("startup", String(a.id), norm(a.to), BigInt(a.effectiveAt), n.migration, now);
        break;
      case "StartupMigrationCancelled":
      case "AgreementCancelled":
      case "CreditsExpired":
        this.withdraw("startup", String(a.id), now, d.name);
        break;
      case "StartupMigrated":
        this.withdraw("startup", String(a.id), now, d.name);
        this.stepChanges.push({ kind: "startup", key: String(a.id), value: norm(a.to), party: norm(a.from), sender });
        break;
      case "PartnerSignersProposed":
        this.propose("signers", norm(a.partner), setKey(a.signers as string[], a.threshold), BigInt(a.effectiveAt), n.signer, now);
        break;
      case "PartnerSignersSet":
        this.withdraw("signers", norm(a.partner), now, d.name);
        this.stepChanges.push({ kind: "signers", key: norm(a.partner), value: setKey(a.signers as string[], a.threshold), party: norm(a.partner), sender });
        break;
      case "PayoutAddressSet":
        if (BigInt(a.effectiveAt) === now) {
          this.withdraw("payout", norm(a.partner), now, d.name);
          this.stepChanges.push({ kind: "payout", key: norm(a.partner), value: norm(a.payout), party: norm(a.partner), sender });
        } else {
          this.propose("payout", norm(a.partner), norm(a.payout), BigInt(a.effectiveAt), n.payout, now);
        }
        break;
      case "RevenueSignersProposed":
        this.propose("revenue", "revenue", setKey(a.signers as string[], a.threshold), BigInt(a.effectiveAt), n.signer, now);
        break;
      case "RevenueSignersSet":
        // no party sends the revenue set but PROGRAM: only the very first set may take effect at once
        this.stepChanges.push({ kind: "revenue", key: "revenue", value: setKey(a.signers as string[], a.threshold), party: "", sender });
        break;
    }
  }

  private propose(kind: Guard, key: string, value: string, effectiveAt: bigint, notice: bigint, now: bigint): void {
    holds(`7. a ${kind} proposal for ${key} gives its notice: effectiveAt ${effectiveAt} ≥ now ${now} + ${notice}`, effectiveAt >= now + notice);
    this.withdraw(kind, key, now, "a newer proposal");
    this.proposals.push({ kind, key, value, proposedAt: now, effectiveAt });
  }

  private withdraw(kind: Guard, key: string, now: bigint, by: string): void {
    for (const p of this.proposals) {
      if (p.kind === kind && p.key === key && p.withdrawnAt === undefined) Object.assign(p, { withdrawnAt: now, withdrawnBy: by });
    }
  }

  /**
   * §10 invariant 7 on what the views show now against the last check: a startup wallet, a partner's signer set or
   * payout address, or the revenue signer set changed only by the affected party's own transaction (the revenue set:
   * only the first one) or by a proposal made at least its notice earlier that came into force since the last check
   * (a migration: executed now) and was not withdrawn or replaced before it did.
   */
  private checkNotices(now: Guarded): void {
    const before = this.guarded;
    if (!before) return;
    const notice = { startup: this.env.notices.migration, signers: this.env.notices.signer, payout: this.env.notices.payout, revenue: this.env.notices.signer };
    const compare = (kind: Guard, key: string, was: string | undefined, is: string | undefined) => {
      if (was === undefined || is === undefined || was === is) return;
      const direct = this.stepChanges.find((c) => c.kind === kind && c.key === key && c.value === is);
      if (direct && (kind === "revenue" ? was === setKey([], 0) : direct.sender === direct.party && (kind !== "startup" || direct.party === was))) {
        count(`invariant 7: ${kind} changed by ${kind === "revenue" ? "the first set" : "the affected party"}`);
        return;
      }
      const proposal = this.proposals.find((p) => p.kind === kind && p.key === key && p.value === is &&
        p.effectiveAt - p.proposedAt >= notice[kind] && p.effectiveAt <= now.at &&
        (kind === "startup"
          ? p.withdrawnAt === undefined || (p.withdrawnBy === "StartupMigrated" && p.withdrawnAt === now.at)
          : before.at < p.effectiveAt && (p.withdrawnAt === undefined || p.withdrawnAt >= p.effectiveAt)));
      const seen = this.proposals.filter((p) => p.kind === kind && p.key === key)
        .map((p) => `${p.value} proposed at ${p.proposedAt} for ${p.effectiveAt}${p.withdrawnAt === undefined ? "" : `, withdrawn at ${p.withdrawnAt} by ${p.withdrawnBy}`}`);
      holds(
        `7. ${kind} of ${key} changed from ${was} to ${is} between ${before.at} and ${now.at}` +
          `${direct ? ` (at once, sent by ${direct.sender}, affected party ${direct.party || "none"})` : ""} without the affected party's own ` +
          `transaction or a proposal made at least ${notice[kind]}s earlier that came into force since (proposals: ${seen.join("; ") || "none"})`,
        proposal !== undefined,
      );
      count(`invariant 7: ${kind} changed by a proposal ${kind === "startup" ? "executed" : "in force"} after its notice`);
    };
    for (const [id, wallet] of now.startup) compare("startup", String(id), before.startup.get(id), wallet);
    for (const [p, set] of now.signers) compare("signers", p, before.signers.get(p), set);
    for (const [p, payout] of now.payout) compare("payout", p, before.payout.get(p), payout);
    compare("revenue", "revenue", before.revenue, now.revenue);
  }

  // ---- resolving references against the model

  /** An agreement id: from the first preference tier that has candidates (or any id, existing or not, if wild). */
  private agreementRef(r: Ref, ...tiers: ((status: Status, id: bigint) => boolean)[]): bigint {
    const count = Number(this.model.agreementCount);
    let id = BigInt(r.pick % (count + 1)) + 1n;
    for (const prefer of r.wild ? [] : tiers) {
      const candidates = [...this.model.agreements.values()].filter((a) => prefer(a.status, a.id)).map((a) => a.id);
      if (candidates.length > 0) {
        id = candidates[r.pick % candidates.length];
        break;
      }
    }
    this.focus.add(id);
    return id;
  }

  private walletRef(r: Ref): string {
    const free = this.env.wallets.filter((w) => !this.model.openAgreementOf.has(w.toLowerCase()));
    const list = r.wild || free.length === 0 ? this.env.wallets : free;
    return list[r.pick % list.length];
  }

  private startupOf(id: bigint): string {
    return this.model.agreements.get(id)?.terms.startup ?? this.env.outsider.address;
  }

  private periodRef(id: bigint, offset: number): bigint {
    const a = this.model.agreements.get(id);
    if (!a) return BigInt(Math.max(offset, 0));
    const k = Number(a.nextPeriodToFinalize) + offset;
    return BigInt(Math.min(Math.max(k, 0), Number(a.periodCount)));
  }

  /** The coming moments (after the next transaction's time) where some rule flips, earliest first. */
  private nextMoments(): bigint[] {
    const m = this.model;
    const times = new Set<bigint>();
    for (const a of m.agreements.values()) {
      if (a.status === Status.Proposed) times.add(a.terms.endTime);
      if (a.acceptedAt === 0n) continue;
      for (let k = 0n; k < a.periodCount; k++) times.add(m.periodEnd(a, k));
      for (const p of a.periods) {
        if (p.state === RevState.Pending) times.add(p.submittedAt + DISPUTE_WINDOW);
        if (p.state === RevState.Finalized) times.add(p.due);
      }
      times.add(m.effectiveEnd(a));
      if (!m.paused) times.add(m.reportingClose(a));
      for (const p of a.partnerList) {
        const v = m.partnerPositionView(a.id, p);
        times.add(v.pendingSpendLimitAt);
        times.add(v.pendingMaxGpusAt);
      }
    }
    for (const b of m.batches.values()) times.add(b.submittedAt + DISPUTE_WINDOW);
    for (const t of this.noticeMoments()) times.add(t);
    for (const r of this.env.rates) times.add(r.effectiveFrom);
    return [...times].filter((t) => t > m.now + 1n).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  }

  /** When PROGRAM's pending proposals take effect (after the next transaction's time), earliest first: migrations
   * become executable (no longer cancellable), signer sets and payout addresses come into force. */
  private noticeMoments(): bigint[] {
    const m = this.model;
    const times = new Set<bigint>();
    for (const pending of m.pendingMigrations.values()) times.add(pending.at);
    for (const p of m.partners.values()) {
      if (p.pendingSigners) times.add(p.pendingSigners.at);
      if (p.pendingPayout) times.add(p.pendingPayout.at);
    }
    if (m.pendingRevenueSigners) times.add(m.pendingRevenueSigners.at);
    return [...times].filter((t) => t > m.now + 1n).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  }

  private signersOf(keys: Wallet[]): string[] {
    return keys.map((k) => k.address);
  }

  /** 0–3 the affected party, 4–8 PROGRAM, 9 an outsider. */
  private partyCaller(caller: number, party: string): string {
    return caller <= 3 ? party : caller <= 8 ? this.env.program.address : this.env.outsider.address;
  }

  /** A signer set from the key pool, with the fault asked for. */
  private signerSetOf(choice: SetChoice): { signers: string[]; threshold: number } {
    const pool = this.env.keys.pool;
    let signers = pool.filter((_k, i) => (choice.mask & (1 << i)) !== 0).map((k) => k.address);
    if (choice.reversed) signers.reverse();
    let threshold = 1 + (choice.threshold % signers.length);
    if (choice.fault === 1) threshold = 0;
    if (choice.fault === 2) threshold = signers.length + 1;
    if (choice.fault === 3) signers = [...signers, signers[0]];
    if (choice.fault === 4) signers = [...signers.slice(0, 1), ZERO, ...signers.slice(1)];
    if (choice.fault === 5) {
      signers = [...pool.map((k) => k.address), ...Array.from({ length: 17 - pool.length }, (_x, i) => ethers.getAddress(`0x${(0xd5c0 + i).toString(16).padStart(40, "0")}`))];
    }
    return { signers, threshold };
  }

  /** The keys that sign (ascending by address): from the set in force when the transaction lands, the latest one set
   * or proposed, or one from the history; all members or `threshold` of them. */
  private signingKeys(history: string, choice: KeyChoice, inForce: SignerSet, latest: SignerSet): Wallet[] {
    const sets = this.signerHistory.get(history) ?? [];
    const set = choice.set <= 6 || sets.length === 0 ? inForce : choice.set <= 8 ? latest : sets[choice.pick % sets.length];
    count(`signing keys: ${choice.set <= 6 ? "set in force" : choice.set <= 8 ? (latest === inForce ? "latest (in force)" : "latest (pending)") : "from the history"}`);
    const members = set.signers.map((x) => this.env.keys.byAddress.get(x.toLowerCase())).filter((k): k is Wallet => k !== undefined);
    const ascending = (x: Wallet, y: Wallet) => (BigInt(x.address) < BigInt(y.address) ? -1 : 1);
    members.sort(ascending);
    if (choice.all || members.length <= set.threshold || set.threshold === 0) return members;
    const start = choice.pick % members.length;
    return Array.from({ length: set.threshold }, (_x, i) => members[(start + i) % members.length]).sort(ascending);
  }

  // ---- the actions

  async step(action: Action): Promise<string> {
    const e = this.env;
    const m = this.model;
    const program = (o: boolean) => (o ? e.outsider.address : e.program.address);
    switch (action.kind) {
      case "create": {
        const startup = action.variant === 8 ? ZERO : this.walletRef(action.wallet);
        const periodDuration = action.variant === 5 ? DAY - 1n : BigInt(action.periodH) * HOUR;
        const startTime = m.now + BigInt(action.startOffsetH) * HOUR;
        const periods = action.variant === 7 ? 121n : BigInt(action.periods);
        let endTime = startTime + periods * periodDuration;
        if (action.variant === 6) endTime += 1n;
        if (action.variant === 9) endTime = startTime;
        const terms: Terms = {
          startup, creditLimit: action.variant === 1 ? 0n : BigInt(action.creditDsxc) * DSXC,
          revenueShareBps: action.variant === 2 ? 0n : BigInt(action.shareBps),
          capMultipleBps: action.variant === 3 ? 9_999n : BigInt(action.capBps),
          partnerFirstBps: action.variant === 4 ? 10_001n : BigInt(action.firstBps),
          startTime, endTime, periodDuration, gracePeriod: BigInt(action.graceH) * HOUR,
          termsHash: ethers.id(`terms-${m.agreementCount}-${action.creditDsxc}`),
        };
        const from = program(action.other);
        const tx = await this.ledgerTx(from, "createAgreement", [terms]);
        const out = sameOutcome("createAgreement", tx, m.createAgreement(from, terms));
        if (out && tx.ok) same("AgreementCreated.id", this.ledgerEvents(tx.logs, "AgreementCreated")[0]?.args.id, out.id);
        return `createAgreement(startup ${startup}, limit ${terms.creditLimit}, share ${terms.revenueShareBps}, capx ${terms.capMultipleBps}, first ${terms.partnerFirstBps}, start ${startTime}, end ${endTime}, period ${periodDuration}, grace ${terms.gracePeriod}) by ${from}`;
      }
      case "accept": {
        const id = this.agreementRef(action.ref, (s) => s === Status.Proposed);
        const from = action.other ? this.walletRef({ pick: action.ref.pick + 1, wild: true }) : this.startupOf(id);
        const tx = await this.ledgerTx(from, "acceptAgreement", [id]);
        sameOutcome("acceptAgreement", tx, m.acceptAgreement(from, id));
        return `acceptAgreement(${id}) by ${from}`;
      }
      case "cancel": {
        const id = this.agreementRef(action.ref, (s) => s === Status.Proposed);
        const from = program(action.other);
        const pendingBefore = m.pendingMigrations.has(id);
        const tx = await this.ledgerTx(from, "cancelAgreement", [id]);
        sameOutcome("cancelAgreement", tx, m.cancelAgreement(from, id));
        if (tx.ok && pendingBefore) count("cancelAgreement: ended a pending migration");
        return `cancelAgreement(${id}) by ${from}`;
      }
      case "terminate": {
        const id = this.agreementRef(action.ref, (s) => s === Status.Active);
        const from = program(action.other);
        const tx = await this.ledgerTx(from, "terminateAgreement", [id, ethers.id("breach")]);
        sameOutcome("terminateAgreement", tx, m.terminateAgreement(from, id));
        return `terminateAgreement(${id}) by ${from}`;
      }
      case "authorize": {
        const partner = [e.partnerF.address, e.partnerB.address, e.outsider.address][action.partner];
        const open = (s: Status) => s === Status.Active || s === Status.Proposed || s === Status.Terminated;
        const id = this.agreementRef(action.ref, (s, i) => open(s) && m.partnerPositionView(i, partner).maxGpus === 0n, open);
        const a = m.agreements.get(id);
        const limit = a?.terms.creditLimit ?? 10_000n * DSXC;
        const spent = a ? m.position(a, partner).spent : 0n;
        const current = a ? m.spendLimitInForce(id, partner) : 0n;
        let spendLimit: bigint;
        if (action.spendMode <= 4) spendLimit = (limit * BigInt(action.spendPct)) / 100n;
        else if (action.spendMode === 5) spendLimit = 2n ** 50n; // no practical limit: the balance is what binds
        else if (action.spendMode <= 7) spendLimit = current > 0n ? (current * BigInt(action.spendPct % 100)) / 100n : 0n;
        else if (action.spendMode === 8) spendLimit = spent > 0n ? spent - 1n : 0n;
        else spendLimit = 2n ** 64n;
        const maxGpus = BigInt(action.maxGpus);
        const from = action.other ? e.outsider.address : this.startupOf(id);
        const tx = await this.ledgerTx(from, "authorizePartner", [id, partner, spendLimit, maxGpus]);
        const out = sameOutcome("authorizePartner", tx, m.authorizePartner(from, id, partner, spendLimit, maxGpus));
        if (out && tx.ok) {
          same("PartnerAuthorized.effectiveAt", this.ledgerEvents(tx.logs, "PartnerAuthorized")[0]?.args.effectiveAt, out.effectiveAt);
          if (out.effectiveAt > m.now) count("authorizePartner: decrease pending");
        }
        return `authorizePartner(${id}, ${partner}, spend ${spendLimit}, gpus ${maxGpus}) by ${from}`;
      }
      case "usage":
        return this.usage(action);
      case "disputeUsage": {
        const open = m.batchOrder.filter((b) => m.now + 1n < m.batches.get(b)!.submittedAt + DISPUTE_WINDOW);
        const withUsage = open.filter((b) => m.batches.get(b)!.accepted.length > 0);
        const ids = withUsage.length > 0 ? withUsage : open.length > 0 ? open : m.batchOrder;
        const batchId = action.batch.wild || ids.length === 0
          ? ethers.id(`no-batch-${action.batch.pick}`)
          : ids[ids.length - 1 - (action.batch.pick % Math.min(ids.length, 4))];
        const batch = m.batches.get(batchId);
        const inBatch = [...new Set((batch?.accepted ?? []).map((l) => l.agreementId))];
        const agreementId = inBatch.length > 0 && action.agreementPick % 8 !== 0
          ? inBatch[action.agreementPick % inBatch.length]
          : BigInt(action.agreementPick % (Number(m.agreementCount) + 1)) + 1n;
        const from = action.caller <= 4 ? this.startupOf(agreementId) : action.caller <= 8 ? e.auditor.address : e.outsider.address;
        this.touchedDisputes.push([batchId, agreementId]);
        const tx = await this.ledgerTx(from, "disputeUsage", [batchId, agreementId, ethers.id("over-reported")]);
        sameOutcome("disputeUsage", tx, m.disputeUsage(from, batchId, agreementId));
        return `disputeUsage(${batchId.slice(0, 10)}, ${agreementId}; batch lines for ${inBatch.join("/") || "none"}) by ${from}`;
      }
      case "resolveUsage": {
        const disputes = [...m.usageDisputes.values()];
        const open = disputes.filter((d) => d.state === 1);
        const pool = action.dispute.wild ? disputes : open.length > 0 ? open : disputes;
        const chosen = pool.length > 0 ? pool[action.dispute.pick % pool.length] : undefined;
        const batchId = chosen?.batchId ?? m.batchOrder[0] ?? ethers.id("no-batch");
        const agreementId = chosen?.agreementId ?? 1n;
        const batch = m.batches.get(batchId);
        const partner = batch?.partner ?? e.partnerF.address;
        let lines: AcceptedLine[] = (batch?.accepted ?? []).map((l) => ({ ...l }));
        if (action.tamper) {
          if (lines.length > 0) lines[0].credits += 1n;
          else lines = [{ agreementId, sku: H100, gpuSeconds: 1n, credits: 0n }];
        }
        const maxRefund = (batch?.accepted ?? []).filter((l) => l.agreementId === agreementId).reduce((s, l) => s + l.credits, 0n);
        const refund = [0n, (maxRefund * BigInt(action.refundPct)) / 100n, maxRefund, maxRefund + 1n][action.refundMode];
        const from = program(action.other);
        this.touchedDisputes.push([batchId, agreementId]);
        const tx = await this.ledgerTx(from, "resolveUsageDispute", [batchId, agreementId, partner, lines.map((l) => [l.agreementId, l.sku, l.gpuSeconds, l.credits]), refund]);
        const out = sameOutcome("resolveUsageDispute", tx, m.resolveUsageDispute(from, batchId, agreementId, partner, lines, refund));
        if (out && tx.ok) {
          const ev = this.ledgerEvents(tx.logs, "UsageDisputeResolved")[0];
          same("UsageDisputeResolved.refund", ev?.args.refund, refund);
          same("UsageDisputeResolved.receivableRemoved", ev?.args.receivableRemoved, out.receivableRemoved);
          if (refund > 0n) count(`resolveUsageDispute: refund${out.reminted === 0n ? " (expired, not re-minted)" : ""}`);
          if (out.receivableRemoved < shareMath.applyBps(refund, m.partners.get(partner.toLowerCase())!.payoutBps)) {
            count("resolveUsageDispute: receivable cut stopped at what was paid");
          }
        }
        return `resolveUsageDispute(${batchId.slice(0, 10)}, ${agreementId}, refund ${refund} of ${maxRefund}${action.tamper ? ", tampered lines" : ""}) by ${from}`;
      }
      case "submitRevenue":
        return this.submitRevenue(action);
      case "disputeRevenue": {
        const id = this.agreementRef(action.ref, (_s, i) => m.agreements.get(i)!.acceptedAt !== 0n);
        const a = m.agreements.get(id);
        const pending = a?.periods.findIndex((p) => p.state === RevState.Pending) ?? -1;
        const k = action.smart && pending >= 0 ? BigInt(pending) : this.periodRef(id, action.kOffset);
        const from = action.other ? e.outsider.address : e.auditor.address;
        const tx = await this.ledgerTx(from, "disputeRevenue", [id, k, ethers.id("wrong revenue")]);
        sameOutcome("disputeRevenue", tx, m.disputeRevenue(from, id, k));
        return `disputeRevenue(${id}, ${k}) by ${from}`;
      }
      case "resolveRevenue": {
        const id = this.agreementRef(action.ref, (_s, i) => m.agreements.get(i)!.periods.some((p) => p.state === RevState.Disputed));
        const a = m.agreements.get(id);
        const disputed = a?.periods.findIndex((p) => p.state === RevState.Disputed) ?? -1;
        const k = action.smart && disputed >= 0 ? BigInt(disputed) : this.periodRef(id, action.kOffset);
        const from = program(action.other);
        const tx = await this.ledgerTx(from, "resolveRevenueDispute", [id, k, action.upheld]);
        sameOutcome("resolveRevenueDispute", tx, m.resolveRevenueDispute(from, id, k, action.upheld));
        return `resolveRevenueDispute(${id}, ${k}, upheld ${action.upheld}) by ${from}`;
      }
      case "finalize": {
        const nextPeriod = (i: bigint) => {
          const a = m.agreements.get(i)!;
          return a.nextPeriodToFinalize < a.periodCount ? a.periods[Number(a.nextPeriodToFinalize)] : undefined;
        };
        const id = this.agreementRef(
          action.ref,
          (_s, i) => {
            const p = nextPeriod(i);
            return p?.state === RevState.Cleared || (p?.state === RevState.Pending && m.now >= p.submittedAt + DISPUTE_WINDOW);
          },
          (_s, i) => (nextPeriod(i)?.state ?? RevState.None) !== RevState.None,
        );
        const k = this.periodRef(id, action.kOffset);
        const before = this.previous?.agreements.get(id)?.view;
        const tx = await this.ledgerTx(e.relayer.address, "finalizeRevenue", [id, k]);
        const out = sameOutcome("finalizeRevenue", tx, m.finalizeRevenue(e.relayer.address, id, k));
        if (out && tx.ok && before) {
          const ev = this.ledgerEvents(tx.logs, "RevenueFinalized")[0];
          same("RevenueFinalized.owed", ev?.args.owed, out.owed);
          same("RevenueFinalized.due", ev?.args.due, out.due);
          const cap = before.cap as bigint;
          const obligation = before.obligation as bigint;
          holds(`4. owed_${k} ≤ max(cap − obligation before, 0) for agreement ${id}`, (ev?.args.owed as bigint) <= (cap > obligation ? cap - obligation : 0n));
        }
        return `finalizeRevenue(${id}, ${k})`;
      }
      case "pay": {
        const id = this.agreementRef(action.ref, (_s, i) => {
          const a = m.agreements.get(i)!;
          return a.obligation > a.paid;
        });
        const a = m.agreements.get(id);
        const outstanding = a ? a.obligation - a.paid : 0n;
        const amount = [0n, (outstanding * BigInt(action.pct)) / 100n, outstanding, outstanding + BigInt(action.units), BigInt(action.units), (outstanding * BigInt(action.pct)) / 100n][action.mode];
        const from = action.other ? e.outsider.address : e.payer.address;
        const tx = await this.ledgerTx(from, "pay", [id, amount]);
        const out = sameOutcome("pay", tx, m.pay(from, id, amount));
        if (out && tx.ok) {
          const ev = this.ledgerEvents(tx.logs, "PaymentApplied")[0];
          same("PaymentApplied.amount", ev?.args.amount, out.applied);
          same("PaymentApplied.toPartners", ev?.args.toPartners, out.toPartners);
          same("PaymentApplied.toProgram", ev?.args.toProgram, out.toProgram);
          const distributed = this.ledgerEvents(tx.logs, "Distributed").map((d) => `${norm(d.args.beneficiary)}:${d.args.amount}`);
          const expected = out.parts.map(([p, v]) => `${p}:${v}`);
          if (out.toProgram !== 0n) expected.push(`${ZERO}:${out.toProgram}`);
          same("Distributed events", distributed.join(" "), expected.join(" "));
        }
        return `pay(${id}, ${amount}) by ${from}`;
      }
      case "claim": {
        // mostly a partner with something to claim; sometimes anyone (nothing to claim)
        const owed = [e.partnerF.address, e.partnerB.address].filter((p) => m.claimableOf(p) > 0n);
        const beneficiary = action.who <= 1 && owed.length > 0
          ? owed[action.who % owed.length]
          : [e.partnerF.address, e.partnerB.address, e.outsider.address, e.treasury.address][action.who];
        const tx = await this.ledgerTx(e.relayer.address, "claim", [beneficiary]);
        const out = sameOutcome("claim", tx, m.claim(e.relayer.address, beneficiary));
        if (out && tx.ok) {
          const ev = this.ledgerEvents(tx.logs, "Claimed")[0];
          same("Claimed.amount", ev?.args.amount, out.amount);
          same("Claimed.to (the payout address in force)", ev?.args.to, out.to);
          if (out.to !== beneficiary.toLowerCase()) count("claim: paid to a payout address");
          const pp = m.partners.get(beneficiary.toLowerCase())?.pendingPayout;
          if (pp && pp.at <= m.now) count("claim: paid to a payout address PROGRAM proposed, in force without a transaction");
        }
        return `claim(${beneficiary})`;
      }
      case "claimProgram": {
        const tx = await this.ledgerTx(e.relayer.address, "claimProgram", []);
        const out = sameOutcome("claimProgram", tx, m.claimProgram(e.relayer.address));
        if (out && tx.ok) {
          const ev = this.ledgerEvents(tx.logs, "Claimed")[0];
          same("Claimed(program).beneficiary", ev?.args.beneficiary, ZERO);
          same("Claimed(program).to", ev?.args.to, out.to);
          same("Claimed(program).amount", ev?.args.amount, out.amount);
        }
        return "claimProgram()";
      }
      case "travel": {
        m.now += BigInt(action.seconds);
        await this.provider.request({ method: "evm_mine", params: [Number(m.now)] });
        return `time +${action.seconds}s → ${m.now}`;
      }
      case "jump": {
        // to one of the next moments where a rule flips, so the next call runs at it (offset 0), just before (-1, -2)
        // or just after it: dispute windows closing, periods ending, reporting closing, payments falling due,
        // authorization decreases, rate changes and PROGRAM's proposals taking effect
        const moments = this.nextMoments();
        const target = moments.length > 0 ? moments[Math.min(action.pick, moments.length - 1)] + BigInt(action.offset) - 1n : m.now + 3_600n;
        if (target > m.now) {
          m.now = target;
          await this.provider.request({ method: "evm_mine", params: [Number(m.now)] });
        }
        return `jump to ${m.now} (next moments ${moments.slice(0, 4).join(", ")})`;
      }
      case "jumpNotice": {
        // to when one of PROGRAM's proposals takes effect, so the next call runs just before it (-1), at it (0) or
        // after it: executing or cancelling a migration, signing with the old or the new set, claiming to a payout
        const moments = this.noticeMoments();
        if (moments.length === 0) return `no notice running (at ${m.now})`;
        const target = moments[Math.min(action.pick, moments.length - 1)] + BigInt(action.offset) - 1n;
        if (target > m.now) {
          m.now = target;
          await this.provider.request({ method: "evm_mine", params: [Number(m.now)] });
        }
        return `jump to ${m.now} (notices end at ${moments.slice(0, 4).join(", ")})`;
      }
      case "pause": {
        const from = action.other ? e.outsider.address : e.pauser.address;
        const tx = await this.ledgerTx(from, "pause", []);
        sameOutcome("pause", tx, m.pause(from));
        return `pause() by ${from}`;
      }
      case "unpause": {
        const from = action.other ? e.outsider.address : e.pauser.address;
        const tx = await this.ledgerTx(from, "unpause", []);
        sameOutcome("unpause", tx, m.unpause(from));
        return `unpause() by ${from}`;
      }
      case "expire": {
        const id = this.agreementRef(action.ref, (s, i) => (s === Status.Active || s === Status.Terminated) && m.now >= m.reportingClose(m.agreements.get(i)!));
        const pendingBefore = m.pendingMigrations.has(id);
        const tx = await this.ledgerTx(e.relayer.address, "expireCredits", [id]);
        const out = sameOutcome("expireCredits", tx, m.expireCredits(e.relayer.address, id));
        if (tx.ok && pendingBefore) count("expireCredits: ended a pending migration");
        if (out && tx.ok) same("CreditsExpired.burned", this.ledgerEvents(tx.logs, "CreditsExpired")[0]?.args.burned, out.burned);
        return `expireCredits(${id})`;
      }
      case "migrate": {
        const open = (st: Status) => st === Status.Active || st === Status.Proposed || st === Status.Terminated;
        const id = this.agreementRef(action.ref, open);
        const to = this.walletRef(action.wallet);
        const from = this.partyCaller(action.caller, this.startupOf(id));
        const pendingBefore = m.pendingMigrations.has(id);
        const tx = await this.ledgerTx(from, "migrateStartup", [id, to]);
        const out = sameOutcome("migrateStartup", tx, m.migrateStartup(from, id, to));
        if (out && tx.ok) {
          if (out.migrated) {
            const ev = this.ledgerEvents(tx.logs, "StartupMigrated")[0];
            same("StartupMigrated.from", ev?.args.from, out.from);
            same("StartupMigrated.to", ev?.args.to, to);
            same("StartupMigrated.credits", ev?.args.credits, out.moved);
            count(`migrateStartup: by the startup, at once${pendingBefore ? " (ended a pending migration)" : ""}`);
          } else {
            same("StartupMigrated events of a proposal", this.ledgerEvents(tx.logs, "StartupMigrated").length, 0);
            const ev = this.ledgerEvents(tx.logs, "StartupMigrationProposed")[0];
            same("StartupMigrationProposed.from", ev?.args.from, out.from);
            same("StartupMigrationProposed.to", ev?.args.to, to);
            same("StartupMigrationProposed.effectiveAt", ev?.args.effectiveAt, out.effectiveAt);
            count(`migrateStartup: proposed by PROGRAM${m.pendingMigrations.size > 1 ? " (another pending)" : ""}`);
          }
        }
        return `migrateStartup(${id}, ${to}) by ${from}`;
      }
      case "cancelMigration": {
        const open = (st: Status) => st === Status.Active || st === Status.Proposed || st === Status.Terminated;
        const id = this.agreementRef(action.ref, (_s, i) => m.pendingMigrations.has(i), open);
        const from = this.partyCaller(action.caller, this.startupOf(id));
        const tx = await this.ledgerTx(from, "cancelStartupMigration", [id]);
        sameOutcome("cancelStartupMigration", tx, m.cancelStartupMigration(from, id));
        if (tx.ok) same("StartupMigrationCancelled.id", this.ledgerEvents(tx.logs, "StartupMigrationCancelled")[0]?.args.id, id);
        return `cancelStartupMigration(${id}) by ${from}`;
      }
      case "executeMigration": {
        const pending = (i: bigint) => m.pendingMigrations.get(i);
        const id = this.agreementRef(action.ref, (_s, i) => (pending(i)?.at ?? MAX_UINT256) <= m.now + 1n, (_s, i) => pending(i) !== undefined);
        const tx = await this.ledgerTx(e.relayer.address, "executeStartupMigration", [id]);
        const out = sameOutcome("executeStartupMigration", tx, m.executeStartupMigration(e.relayer.address, id));
        if (out && tx.ok) {
          const ev = this.ledgerEvents(tx.logs, "StartupMigrated")[0];
          same("StartupMigrated.from", ev?.args.from, out.from);
          same("StartupMigrated.to", ev?.args.to, out.to);
          same("StartupMigrated.credits", ev?.args.credits, out.moved);
        }
        return `executeStartupMigration(${id})`;
      }
      case "setSigners": {
        const partner = [e.partnerF.address, e.partnerB.address, e.outsider.address][action.partner];
        const from = this.partyCaller(action.caller, partner);
        const { signers, threshold } = this.signerSetOf(action.set);
        const tx = await this.ledgerTx(from, "setPartnerSigners", [partner, signers, threshold]);
        const out = sameOutcome("setPartnerSigners", tx, m.setPartnerSigners(from, partner, signers, threshold));
        if (out && tx.ok) {
          const ev = this.ledgerEvents(tx.logs, out.atOnce ? "PartnerSignersSet" : "PartnerSignersProposed")[0];
          same(`${ev?.name ?? "signer set event"}.set`, setKey((ev?.args.signers as string[]) ?? [], ev?.args.threshold), setKey(signers, threshold));
          if (!out.atOnce) same("PartnerSignersProposed.effectiveAt", ev?.args.effectiveAt, out.effectiveAt);
          this.signerHistory.get(partner.toLowerCase())!.push({ signers: signers.map((x) => x.toLowerCase()), threshold });
          count(`setPartnerSigners: ${out.atOnce ? "by the partner, at once" : "proposed by PROGRAM"}${from === e.partnerB.address ? " (partner B, also PROGRAM)" : ""}`);
        }
        return `setPartnerSigners(${partner}, ${threshold} of [${signers.join(", ")}]) by ${from}`;
      }
      case "setPayout": {
        const partner = [e.partnerF.address, e.partnerB.address, e.outsider.address][action.partner];
        const otherPartner = partner === e.partnerF.address ? e.partnerB.address : e.partnerF.address;
        const payout = [...e.payoutWallets, otherPartner, partner, ZERO][action.target];
        const from = this.partyCaller(action.caller, partner);
        const tx = await this.ledgerTx(from, "setPayoutAddress", [partner, payout]);
        const out = sameOutcome("setPayoutAddress", tx, m.setPayoutAddress(from, partner, payout));
        if (out && tx.ok) {
          const ev = this.ledgerEvents(tx.logs, "PayoutAddressSet")[0];
          same("PayoutAddressSet.payout", ev?.args.payout, payout);
          same("PayoutAddressSet.effectiveAt", ev?.args.effectiveAt, out.effectiveAt);
          count(`setPayoutAddress: ${out.effectiveAt === m.now ? "by the partner, at once" : "proposed by PROGRAM"}${from === e.partnerB.address ? " (partner B, also PROGRAM)" : ""}`);
        }
        return `setPayoutAddress(${partner}, ${payout}) by ${from}`;
      }
      case "setRevenueSigners": {
        const from = action.other ? e.outsider.address : e.program.address;
        const { signers, threshold } = this.signerSetOf(action.set);
        const tx = await this.ledgerTx(from, "setRevenueSigners", [signers, threshold]);
        const out = sameOutcome("setRevenueSigners", tx, m.setRevenueSigners(from, signers, threshold));
        if (out && tx.ok) {
          const ev = this.ledgerEvents(tx.logs, out.atOnce ? "RevenueSignersSet" : "RevenueSignersProposed")[0];
          same(`${ev?.name ?? "revenue signer event"}.set`, setKey((ev?.args.signers as string[]) ?? [], ev?.args.threshold), setKey(signers, threshold));
          if (!out.atOnce) same("RevenueSignersProposed.effectiveAt", ev?.args.effectiveAt, out.effectiveAt);
          this.signerHistory.get("revenue")!.push({ signers: signers.map((x) => x.toLowerCase()), threshold });
          count(`setRevenueSigners: ${out.atOnce ? "the first, at once" : "proposed"}`);
        }
        return `setRevenueSigners(${threshold} of [${signers.join(", ")}]) by ${from}`;
      }
      case "approveCredits": {
        const owner = e.wallets[action.owner];
        const spender = [e.ledgerAddress, e.outsider.address, e.relayer.address][action.spender];
        const C = e.credit.interface as Interface;
        const data = action.permit
          ? C.encodeFunctionData("permit", [owner, spender, 1n, MAX_UINT256, 27, ethers.ZeroHash, ethers.ZeroHash])
          : C.encodeFunctionData("approve", [spender, DSXC]);
        const from = action.permit ? e.relayer.address : owner;
        this.lastCall = `DSXC ${action.permit ? "permit" : "approve"}(owner ${owner}, spender ${spender}) from ${from}`;
        const tx = await this.send(from, e.creditAddress, data);
        sameOutcome(`DSXC ${action.permit ? "permit" : "approve"}`, tx, m.approveCredits(owner, spender));
        return `DSXC ${action.permit ? "permit" : "approve"}(owner ${owner}, spender ${spender}) by ${from}`;
      }
      case "setActive": {
        const partner = [e.partnerF.address, e.partnerB.address][action.partner];
        const tx = await this.ledgerTx(e.program.address, "setPartnerActive", [partner, action.active]);
        sameOutcome("setPartnerActive", tx, m.setPartnerActive(e.program.address, partner, action.active));
        return `setPartnerActive(${partner}, ${action.active})`;
      }
    }
  }

  private async usage(action: Extract<Action, { kind: "usage" }>): Promise<string> {
    const e = this.env;
    const m = this.model;
    const registered = [e.partnerF.address, e.partnerB.address][action.partner];
    const partner = action.fault === 6 ? e.outsider.address : registered;
    // signed with the set in force when the batch lands, the latest (maybe pending) one or an old one
    const keys = this.signingKeys(registered.toLowerCase(), action.keys, m.partnerSignersAt(registered, m.now + 1n)!, m.partnerSignersLatest(registered)!);
    const now = m.now;
    // lines go mostly to agreements whose reporting is open, for skus the partner has a rate for
    const live = (st: Status, id: bigint) => (st === Status.Active || st === Status.Terminated) && now < m.reportingClose(m.agreements.get(id)!);
    const inTerm = (st: Status, id: bigint) => {
      const a = m.agreements.get(id)!;
      return live(st, id) && a.terms.startTime < now && now < m.effectiveEnd(a) && m.partnerPositionView(id, registered).maxGpus > 0n;
    };
    const first = this.agreementRef(action.lines[0].ref, inTerm, live);
    // most further lines report other skus of the same agreement, the rest other agreements
    const ids = action.lines.map((l, i) => (i === 0 || l.ref.pick % 10 < 6 ? first : this.agreementRef(l.ref, inTerm, live)));
    const rated = action.partner === 0 ? [H100] : [B200, H100, T4];
    // the window: mostly recent, inside the first line's term and after the partner's last batch; else anywhere in
    // the last days, or invalid
    let periodEnd = now - BigInt(action.endAgoMin) * 60n;
    let periodStart = periodEnd - BigInt(action.lenMin) * 60n;
    if (action.windowMode <= 6) {
      const target = m.agreements.get(ids[0]);
      const termStart = target?.terms.startTime ?? 0n;
      const termEnd = target ? m.effectiveEnd(target) : now;
      const last = target ? m.position(target, registered).lastUsageEnd : 0n;
      periodEnd = now - BigInt(action.endAgoMin % 360) * 60n;
      if (periodEnd > termEnd) periodEnd = termEnd;
      periodStart = periodEnd - BigInt((action.lenMin % 720) + 10) * 60n;
      for (const bound of [last + BigInt(action.gapMin) * 60n, termStart]) if (bound > periodStart) periodStart = bound;
      if (periodStart >= periodEnd) periodStart = periodEnd - 600n;
    } else if (action.windowMode === 9) {
      [periodStart, periodEnd] = action.endAgoMin % 2 === 0 ? [periodEnd, periodEnd] : [now - 60n, now + 3_600n];
    }
    const duration = periodEnd > periodStart ? periodEnd - periodStart : 1n;
    let lines: UsageLine[] = action.lines.map((l, i) => ({
      agreementId: ids[i],
      sku: l.sku < 8 ? rated[l.sku % rated.length] : l.sku === 8 ? A100 : SKUS[l.ref.pick % SKUS.length],
      gpuSeconds: l.tiny ? BigInt(1 + (l.size % 3)) : (duration * BigInt(l.size)) / 4n || 1n,
    }));
    if (!action.unsorted) {
      lines.sort((x, y) => (x.agreementId !== y.agreementId ? (x.agreementId < y.agreementId ? -1 : 1) : BigInt(x.sku) < BigInt(y.sku) ? -1 : BigInt(x.sku) > BigInt(y.sku) ? 1 : 0));
      lines = lines.filter((l, i) => i === 0 || l.agreementId !== lines[i - 1].agreementId || l.sku !== lines[i - 1].sku);
    }
    if (action.emptyLine) lines[lines.length - 1].gpuSeconds = 0n;
    if (action.fault === 5) lines = [];
    const expectedSequence = m.partners.get(partner.toLowerCase())?.nextSequence ?? 0n;
    const batch = {
      partner, sequence: action.fault === 1 ? expectedSequence + 1n : expectedSequence, periodStart, periodEnd,
      recordsRoot: ethers.id(`records-${this.trace.length}`), lines,
    };
    // signatures (sorted by signer) and faults in them: the EIP-712 digest once, signed by each key
    const digest = hashUsageBatch(this.domain, batch as UsageBatch);
    const signWith = (k: Wallet) => ({ signer: k.address, sig: k.signingKey.sign(digest).serialized });
    const signed = keys.map(signWith);
    let sigs = signed;
    if (action.fault === 2) sigs = signed.slice(0, -1);
    if (action.fault === 3) sigs = [...signed.slice(0, -1), signWith(e.keys.stranger)];
    sigs = [...sigs].sort((x, y) => (BigInt(x.signer) < BigInt(y.signer) ? -1 : 1));
    if (action.fault === 4) sigs = signed.length <= 1 ? [signed[0] ?? signWith(e.keys.stranger), signed[0] ?? signWith(e.keys.stranger)] : [...sigs].reverse();

    const tx = await this.ledgerTx(e.relayer.address, "submitUsage", [batch, sigs.map((s) => s.sig)]);
    const outcome = m.submitUsage(batch, sigs.map((s) => s.signer));
    const out = sameOutcome("submitUsage", tx, outcome);
    const description = `submitUsage(${partner === registered ? (action.partner === 0 ? "F" : "B") : "unregistered"}, seq ${batch.sequence}, [${periodStart}, ${periodEnd}), lines ${lines.map((l) => `${l.agreementId}/${ethers.decodeBytes32String(l.sku)}/${l.gpuSeconds}`).join(" ")}${action.fault ? `, fault ${action.fault}` : ""})`;
    if (!out || !tx.ok) return description;
    this.touchedBatches.add(out.batchId);
    const pm = m.partners.get(partner.toLowerCase());
    if (pm?.pendingSigners && pm.pendingSigners.at <= m.now) count("submitUsage: ok under a PROGRAM set in force without a transaction");

    // line by line: accepted with the model's credits, or rejected for the model's reason
    const events = tx.logs
      .filter((l) => l.address.toLowerCase() === e.ledgerAddress.toLowerCase())
      .map((l) => e.ledger.interface.parseLog(l))
      .filter((d): d is LogDescription => d !== null && (d.name === "UsageRecorded" || d.name === "UsageLineRejected"));
    const got = events.map((d) => d.name === "UsageRecorded"
      ? `${d.args.agreementId}/${d.args.sku}/accepted ${d.args.credits} +${d.args.receivableAdded}`
      : `${d.args.agreementId}/${d.args.sku}/rejected ${Rejection[Number(d.args.reason)]}`);
    const want = out.lines.map((l) => l.accepted
      ? `${l.agreementId}/${l.sku}/accepted ${l.credits} +${l.receivableAdded}`
      : `${l.agreementId}/${l.sku}/rejected ${Rejection[l.reason]}`);
    same("usage lines", got.join("; "), want.join("; "));
    // §10 invariant 8: every line of the batch has one verdict, per agreement all accepted or all rejected (the
    // grouping itself is checked on every receipt in track())
    for (const id of new Set(lines.map((l) => l.agreementId))) {
      const verdicts = events.filter((d) => d.args.agreementId === id);
      holds(`8. each of agreement ${id}'s ${lines.filter((l) => l.agreementId === id).length} lines in the batch has one verdict (got ${verdicts.length})`,
        verdicts.length === lines.filter((l) => l.agreementId === id).length);
      if (lines.filter((l) => l.agreementId === id).length > 1) {
        count(`usage group of several lines: ${verdicts.every((d) => d.name === "UsageRecorded") ? "accepted" : "rejected"}`);
      }
    }
    for (const l of out.lines) count(`usage line: ${l.accepted ? (l.credits === 0n ? "accepted (0 credits)" : "accepted") : Rejection[l.reason]}`);
    const recorded = this.ledgerEvents(tx.logs, "UsageBatchRecorded")[0];
    same("UsageBatchRecorded.batchId", recorded?.args.batchId, out.batchId);
    same("UsageBatchRecorded.linesAccepted", recorded?.args.linesAccepted, out.accepted.length);
    same("UsageBatchRecorded.linesRejected", recorded?.args.linesRejected, lines.length - out.accepted.length);
    return `${description} → ${want.map((w) => w.replace(/0x[0-9a-f]+/i, (s) => ethers.decodeBytes32String(s))).join("; ")}`;
  }

  private async submitRevenue(action: Extract<Action, { kind: "submitRevenue" }>): Promise<string> {
    const e = this.env;
    const m = this.model;
    const reportable = (_s: Status, i: bigint) => {
      const a = m.agreements.get(i)!;
      const k = a.nextPeriodToFinalize;
      return a.acceptedAt !== 0n && k < a.periodCount && m.now >= m.periodEnd(a, k) && a.periods[Number(k)].state !== RevState.Disputed;
    };
    const id = this.agreementRef(action.ref, reportable, (_s, i) => m.agreements.get(i)!.acceptedAt !== 0n);
    const k = this.periodRef(id, action.kOffset);
    const current = m.agreements.get(id)?.periods[Number(k)]?.version ?? 0n;
    const version = current + BigInt(action.versionDelta);
    const report = { agreementId: id, periodIndex: Number(k), revenue: BigInt(action.revenue) * 1_000n + BigInt(action.revenue % 997), evidenceHash: ethers.id(`evidence-${id}-${k}-${version}`), version: Number(version) };
    const digest = hashRevenueReport(this.domain, report as RevenueReport);
    // signed with the revenue set in force when the report lands, the latest (maybe pending) one or an old one
    let signers = this.signingKeys("revenue", action.keys, m.revenueSignersAt(m.now + 1n), m.revenueSignersLatest());
    const [r1, r2] = e.keys.revenue;
    if (action.fault === 1) signers = [];
    if (action.fault === 2) signers = [e.keys.stranger];
    if (action.fault === 3) signers = [signers[0] ?? r1, signers[0] ?? r1];
    if (action.fault === 4) signers = (signers.length > 1 ? [...signers] : [r1, r2]).sort((x, y) => (BigInt(x.address) > BigInt(y.address) ? -1 : 1));
    const sigs = signers.map((k2) => k2.signingKey.sign(digest).serialized);
    const tx = await this.ledgerTx(e.relayer.address, "submitRevenue", [report, sigs]);
    sameOutcome("submitRevenue", tx, m.submitRevenue({ ...report, periodIndex: k, version }, this.signersOf(signers)));
    if (tx.ok && m.pendingRevenueSigners && m.pendingRevenueSigners.at <= m.now) count("submitRevenue: ok under a proposed set in force without a transaction");
    return `submitRevenue(${id}, period ${k}, v${version}, revenue ${report.revenue}${action.fault ? `, fault ${action.fault}` : ""})`;
  }

  // ---- reading the chain and checking

  /**
   * Reads every figure the ledger shows, compares it with the model and checks the §10 invariants on chain. After a
   * reverted transaction (which by EVM semantics leaves the ledger's storage as the previous check saw it, a second
   * later) only the global figures and the agreements the step named are read, to keep the suite's runtime down.
   */
  async check(full = true): Promise<void> {
    const e = this.env;
    const m = this.model;
    const L = e.ledger.interface;
    const C = e.credit.interface;
    const U = e.usdc.interface;
    const ledger = e.ledgerAddress;
    const partners = [e.partnerF.address, e.partnerB.address];
    const beneficiaries = [...partners, e.outsider.address, e.treasury.address];
    // payout addresses are among these: claims must reach the address in force
    const usdcHolders = [ledger, ...partners, e.treasury.address, e.payer.address, e.outsider.address, ...e.payoutWallets];
    const partnerViews = [...partners, e.outsider.address]; // the outsider: an unregistered partner
    const calls: Call[] = [
      { target: ledger, iface: L, fn: "paused", args: [] },
      { target: ledger, iface: L, fn: "lastUnpausedAt", args: [] },
      { target: ledger, iface: L, fn: "agreementCount", args: [] },
      { target: ledger, iface: L, fn: "programClaimable", args: [] },
      { target: e.creditAddress, iface: C, fn: "totalSupply", args: [] },
      ...beneficiaries.map((b) => ({ target: ledger, iface: L, fn: "claimable", args: [b] })),
      ...partnerViews.map((p) => ({ target: ledger, iface: L, fn: "partner", args: [p] })),
      { target: ledger, iface: L, fn: "revenueSigners", args: [] },
      ...e.wallets.map((w) => ({ target: e.creditAddress, iface: C, fn: "balanceOf", args: [w] })),
      ...e.wallets.map((w) => ({ target: ledger, iface: L, fn: "openAgreementOf", args: [w] })),
      ...usdcHolders.map((h) => ({ target: e.usdcAddress, iface: U, fn: "balanceOf", args: [h] })),
    ];
    const ids = [...m.agreements.keys()].filter((id) => full || this.focus.has(id));
    this.focus.clear();
    for (const id of ids) {
      calls.push({ target: ledger, iface: L, fn: "agreement", args: [id] });
      calls.push({ target: ledger, iface: L, fn: "partners", args: [id] });
      calls.push({ target: ledger, iface: L, fn: "reportingClose", args: [id] });
      calls.push({ target: ledger, iface: L, fn: "pendingMigration", args: [id] });
      for (const p of partners) calls.push({ target: ledger, iface: L, fn: "partnerPosition", args: [id, p] });
      for (const k of this.periodsToRead(id)) calls.push({ target: ledger, iface: L, fn: "revenuePeriod", args: [id, k] });
    }
    // batch records and usage disputes change only through the calls naming them: read those the step named
    const batches = [...this.touchedBatches].map((id) => m.batches.get(id)).filter((b) => b !== undefined);
    for (const b of batches) calls.push({ target: ledger, iface: L, fn: "usageBatch", args: [b.id] });
    const disputes = [...this.touchedDisputes].map(([batchId, agreementId]) => m.usageDisputes.get(disputeKey(batchId, agreementId)) ?? { batchId, agreementId, state: 0, refund: 0n });
    for (const d of disputes) calls.push({ target: ledger, iface: L, fn: "usageDispute", args: [d.batchId, d.agreementId] });
    this.touchedBatches.clear();
    this.touchedDisputes.length = 0;

    const r = await readAll(calls);
    let i = 0;
    const next = () => r[i++];
    same("paused", next()[0], m.paused);
    same("lastUnpausedAt", next()[0], m.lastUnpausedAt);
    same("agreementCount", next()[0], m.agreementCount);
    const programClaimable = next()[0] as bigint;
    same("programClaimable", programClaimable, m.programClaimable);
    const totalSupply = next()[0] as bigint;
    same("DSXC totalSupply", totalSupply, m.totalSupply);
    let claimableSum = programClaimable;
    for (const b of beneficiaries) {
      const value = next()[0] as bigint;
      same(`claimable(${b})`, value, m.claimableOf(b));
      claimableSum += value;
    }
    const guarded: Guarded = { at: m.now, startup: new Map(), signers: new Map(), payout: new Map(), revenue: "" };
    for (const p of partnerViews) {
      const v = next()[0] as Fields;
      sameFields(`partner(${p})`, v, m.partnerView(p));
      if (!v.registered) continue;
      guarded.signers.set(p.toLowerCase(), setKey(v.signers as string[], v.threshold));
      guarded.payout.set(p.toLowerCase(), norm(v.payout));
    }
    const revenueSet = next()[0] as Fields;
    sameFields("revenueSigners()", revenueSet, m.revenueSignersView());
    guarded.revenue = setKey(revenueSet.signers as string[], revenueSet.threshold);
    for (const w of e.wallets) same(`DSXC balanceOf(${w})`, next()[0], m.balanceOf(w));
    for (const w of e.wallets) same(`openAgreementOf(${w})`, next()[0], m.openAgreementOf.get(w.toLowerCase()) ?? 0n);
    const usdcOf = new Map<string, bigint>();
    for (const h of usdcHolders) {
      const value = next()[0] as bigint;
      usdcOf.set(h, value);
      same(`USDC balanceOf(${h})`, value, m.usdcBalance(h));
    }

    // §10 invariants 1–3
    holds(`1. ledger USDC ${usdcOf.get(ledger)} = Σ claimable + programClaimable ${claimableSum}`, usdcOf.get(ledger) === claimableSum);
    holds(`2. Σ applied ${this.applied} = Σ distributed ${this.distributed}`, this.applied === this.distributed);
    holds(`2. Σ distributed ${this.distributed} = Σ claimable + programClaimable + Σ claimed ${claimableSum + this.claimed}`, this.distributed === claimableSum + this.claimed);
    holds(`3. DSXC minted ${this.minted} = totalSupply + burned ${totalSupply + this.burned}`, this.minted === totalSupply + this.burned);
    same("Σ applied (model)", this.applied, m.appliedTotal);
    same("DSXC minted (model)", this.minted, m.dsxcMinted);
    same("DSXC burned (model)", this.burned, m.dsxcBurned);

    const snapshot: Snapshot = { agreements: full || !this.previous ? new Map() : new Map(this.previous.agreements) };
    for (const id of ids) {
      const a = m.agreements.get(id)!;
      const view = next()[0] as Fields;
      const list = (next()[0] as string[]).map((x) => x.toLowerCase());
      const close = next()[0];
      const [migrationTo, migrationAt] = next();
      sameFields(`pendingMigration(${id})`, { to: migrationTo, effectiveAt: migrationAt }, m.pendingMigrationView(id));
      const mv = m.agreementView(id);
      const { startup, creditLimit, revenueShareBps, capMultipleBps, partnerFirstBps, startTime, endTime, periodDuration, gracePeriod, termsHash, ...rest } = mv;
      sameFields(`agreement(${id}).terms`, view.terms as Fields, { startup, creditLimit, revenueShareBps, capMultipleBps, partnerFirstBps, startTime, endTime, periodDuration, gracePeriod, termsHash });
      sameFields(`agreement(${id})`, view, rest);
      same(`partners(${id})`, list.join(","), a.partnerList.join(","));
      same(`reportingClose(${id})`, close, m.reportingClose(a));
      holds(`4. paid ≤ obligation for agreement ${id}`, (view.paid as bigint) <= (view.obligation as bigint));
      const positions = new Map<string, Fields>();
      snapshot.agreements.set(id, { view, positions });
      for (const p of partners) {
        const pos = next()[0] as Fields;
        positions.set(p.toLowerCase(), pos);
        sameFields(`partnerPosition(${id}, ${p})`, pos, m.partnerPositionView(id, p));
        const payoutBps = m.partners.get(p.toLowerCase())!.payoutBps;
        holds(`5. paidToPartner ≤ receivable for (${id}, ${p})`, (pos.paidToPartner as bigint) <= (pos.receivable as bigint));
        holds(`5. receivable ≤ burnedAt × payoutBps for (${id}, ${p})`, (pos.receivable as bigint) <= shareMath.applyBps(pos.burnedAt as bigint, payoutBps));
      }
      for (const k of this.periodsToRead(id)) {
        const period = next()[0] as Fields;
        const pv = m.revenuePeriodView(id, k);
        const { revenue, evidenceHash, version, ...periodRest } = pv;
        sameFields(`revenuePeriod(${id}, ${k}).report`, period.report as Fields, { agreementId: id, periodIndex: k, revenue, evidenceHash, version });
        sameFields(`revenuePeriod(${id}, ${k})`, period, periodRest);
      }
    }
    for (const b of batches) {
      const [submittedAt, linesHash] = next();
      same(`usageBatch(${b.id}).submittedAt`, submittedAt, b.submittedAt);
      same(`usageBatch(${b.id}).linesHash`, linesHash, LedgerModel.linesHash(b.partner, b.accepted, keccak256));
    }
    for (const d of disputes) {
      const [state, refund] = next();
      same(`usageDispute(${d.batchId}, ${d.agreementId}).state`, state, d.state);
      same(`usageDispute(${d.batchId}, ${d.agreementId}).refund`, refund, d.refund);
    }
    this.previous = snapshot;

    // §10 invariant 7: from the views just read (agreements not read this time cannot have changed: only a
    // transaction naming them moves a wallet) against the last check's
    for (const [id, { view }] of snapshot.agreements) guarded.startup.set(id, norm((view.terms as Fields).startup));
    this.checkNotices(guarded);
    this.guarded = guarded;
    this.stepChanges = [];
  }

  /** The periods worth reading: period 0, and every period that has ended or has a report. One that has not ended
   * cannot be reported, disputed or finalized (those calls are checked against the model), so its view stays the
   * empty report over its window. */
  private periodsToRead(id: bigint): bigint[] {
    const m = this.model;
    const a = m.agreements.get(id)!;
    const ks: bigint[] = [];
    for (let k = 0n; k < a.periodCount; k++) {
      if (k === 0n || a.periods[Number(k)].state !== RevState.None || m.now >= m.periodEnd(a, k)) ks.push(k);
    }
    return ks;
  }

  /** §10 invariant 5, second half, on chain: every line just accepted kept spent ≤ the spend limit then in force. */
  checkSpendAfterUsage(): void {
    const latest = this.model.batches.get(this.model.batchOrder[this.model.batchOrder.length - 1] ?? "");
    if (!latest || latest.submittedAt !== this.model.now) return;
    for (const line of latest.accepted) {
      const pos = this.previous?.agreements.get(line.agreementId)?.positions.get(latest.partner);
      holds(`5. position of (${line.agreementId}, ${latest.partner}) read`, pos !== undefined);
      holds(`5. spent ≤ spendLimit in force for (${line.agreementId}, ${latest.partner})`, (pos!.spent as bigint) <= (pos!.spendLimit as bigint));
    }
  }
}

interface Snapshot { agreements: Map<bigint, { view: Fields; positions: Map<string, Fields> }> }

/** Coverage of what the runs did (printed with PROPERTIES_STATS=true): outcome per action kind, time per phase. */
const stats = new Map<string, number>();
const count = (key: string, n = 1) => stats.set(key, (stats.get(key) ?? 0) + n);

async function runSequence(actions: (Action | null)[]): Promise<void> {
  const env = await loadFixture(propertiesFixture);
  const now = BigInt(await time.latest());
  const run = new Run(env, now);
  await run.check();
  let stepNo = 0;
  for (const action of actions) {
    stepNo++;
    if (action === null) continue;
    try {
      let t = Date.now();
      run.reverted = false;
      const description = await run.step(action);
      count(`time:step:${action.kind}`, Date.now() - t);
      count(`time:n:${action.kind}`);
      run.trace.push(`${stepNo}. ${description}${action.kind === "travel" || action.kind === "jump" || action.kind === "jumpNotice" ? "" : ` [${lastOutcome}]`}`);
      t = Date.now();
      await run.check(!run.reverted);
      count("time:check", Date.now() - t);
      if (action.kind === "usage") run.checkSpendAfterUsage();
    } catch (err) {
      run.trace.push(`${stepNo}. ${action.kind} ✗ — last call: ${run.lastCall}`);
      const what = err instanceof Mismatch ? err.message : `harness error: ${(err as Error).stack ?? String(err)}`;
      throw new Mismatch(`${what}\n  at step ${stepNo} (${action.kind}); steps run:\n    ${run.trace.join("\n    ")}`);
    }
  }
  if (process.env.PROPERTIES_TRACE === "true") console.log(`run:\n    ${run.trace.join("\n    ")}`);
}

// ------------------------------------------------------------------------------------------------ the suite

describe("RevenueShareLedger model-based properties", function () {
  it(`when ${RUNS} runs of ${ACTIONS_PER_RUN} random user actions are replayed, it accepts and refuses each call as the model does, shows the model's figures and keeps every §10 invariant after every step`, async function () {
    this.timeout(0);
    const seed = process.env.PROPERTIES_SEED ? Number(process.env.PROPERTIES_SEED) : undefined;
    const path = process.env.PROPERTIES_PATH;
    await fc.assert(fc.asyncProperty(actionsArb, runSequence), {
      numRuns: RUNS, seed, path, endOnFailure: process.env.PROPERTIES_NO_SHRINK === "true",
      reporter: (details) => {
        if (!details.failed) return;
        const actions = (details.counterexample?.[0] ?? []) as (Action | null)[];
        const steps = actions.map((a, i) => (a === null ? null : `${i + 1}. ${fc.stringify(a).replace(/__proto__:null,?/g, "")}`)).filter((s) => s !== null);
        throw new Error(
          `Property failed after ${details.numRuns} run(s), shrunk ${details.numShrinks} time(s) ` +
            `(replay: PROPERTIES_SEED=${details.seed} PROPERTIES_PATH=${details.counterexamplePath}).\n` +
            `Shrunk action sequence (${steps.length} actions):\n  ${steps.join("\n  ")}\n` +
            `Failure:\n  ${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`,
        );
      },
    });
    if (process.env.PROPERTIES_STATS === "true") {
      console.log([...stats.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `    ${k}: ${v}`).join("\n"));
    }
  });
});
