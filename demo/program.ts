// The demo program (docs/demo.md): who takes part, the partners' clusters and rate cards, the
// startups' terms and authorizations. The sample data generator (scripts/gen-sample-data.ts)
// writes exports for exactly these accounts, GPU types and terms; the demo sets them up on chain.
// Amounts are 6-decimal base units (bigint); times are unix seconds (bigint).
import { rateEntryAt, termEnd } from "../sdk/ledgerRules";

/** Hardhat's development mnemonic: `hardhat node` funds its first 20 accounts. */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";

/** 1.000000 credit or USDC. */
export const UNIT = 1_000_000n;
export const HOUR = 3_600n;
export const DAY = 86_400n;

/** Unix seconds of an ISO 8601 time with a zone. */
export function at(iso: string): bigint {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms) || !/(Z|[+-]\d\d:\d\d)$/.test(iso)) throw new Error(`${iso} is not an ISO 8601 time with a zone`);
  return BigInt(ms / 1000);
}

/** ISO 8601 UTC without fractions. */
export function isoOf(t: bigint): string {
  return new Date(Number(t) * 1000).toISOString().replace(".000Z", "Z");
}

/** Account indexes (of {@link DEV_MNEMONIC}) of the roles that are not partners or startups. */
export const ROLES = {
  /** Deploys; holds DEFAULT_ADMIN, PROGRAM and PAUSER. */
  operator: 0,
  /** Receives the program's share (claimProgram). */
  treasury: 1,
  /** AUDITOR_ROLE: disputes, records audits. */
  auditor: 2,
  /** The program-wide revenue signer set (2 of 3); the revenue oracle holds the first two, the first sends. */
  revenueSigners: [12, 13, 14],
  revenueThreshold: 2,
} as const;

/**
 * The story's changes with a notice (PROTOCOL v1.1 §5): the program rotates a partner's oracle signers (a
 * proposal, in force SIGNER_NOTICE later without a further transaction), and a partner sets its own payout
 * address (in force at once; its claims land there).
 */
export const GOVERNANCE = {
  signerRotation: { partner: "southern-cross", signers: [15], threshold: 1, proposeAt: at("2026-10-26T10:00:00Z"), checkAt: at("2026-10-28T14:00:00Z") },
  payoutAddress: { partner: "nordlys", payout: 16, setAt: at("2026-11-19T09:00:00Z") },
} as const;

/** How many of {@link DEV_MNEMONIC}'s accounts the demo uses. */
export const DEMO_ACCOUNTS = 17;

/** A rate card entry: credits per GPU-hour from `effectiveFrom`. */
export interface RateEntry {
  sku: string;
  creditsPerGpuHour: bigint;
  effectiveFrom: bigint;
}

/** A cloud partner: its payout wallet, oracle signers, cluster and rate card. */
export interface PartnerSpec {
  key: string;
  name: string;
  /** Payout wallet (account index). */
  wallet: number;
  /** Oracle signer keys (account indexes); the oracle holds `localSigners` of them. */
  signers: number[];
  threshold: number;
  localSigners: number[];
  payoutBps: number;
  /** Slurm `Cluster` column. */
  cluster: string;
  /** Where the cluster's clocks are (sacct prints local time without a zone). */
  timezone: string;
  skuMap: Record<string, string>;
  partitionSkus: Record<string, string>;
  rates: RateEntry[];
}

/** Terms of one startup's agreement (PROTOCOL §4), plus who it is and which partners it uses. */
export interface StartupSpec {
  key: string;
  name: string;
  wallet: number;
  /** Stripe revenue base of the legal terms. */
  base: "gross" | "net";
  /** The time zone of the startup's Stripe account (the report's local columns). */
  stripeTimezone: string;
  creditLimit: bigint;
  revenueShareBps: number;
  capMultipleBps: number;
  partnerFirstBps: number;
  startTime: bigint;
  periods: number;
  periodDuration: bigint;
  gracePeriod: bigint;
  /** Per partner key: the account name on that partner's cluster, the spend limit and the GPUs reserved. */
  partners: Record<string, { account: string; spendLimit: bigint; maxGpus: number }>;
}

const TERM_START = at("2026-10-01T00:00:00Z");

export const PARTNERS: readonly PartnerSpec[] = [
  {
    key: "southern-cross",
    name: "Southern Cross Compute",
    wallet: 3,
    signers: [4],
    threshold: 1,
    // #15 is its new HSM key, which the program rotates in (GOVERNANCE): the oracle signs with whichever is in force
    localSigners: [4, 15],
    payoutBps: 7_000,
    cluster: "scc-syd1",
    timezone: "Australia/Sydney",
    skuMap: { h100: "h100-sxm", h200: "h200", b200: "b200" },
    partitionSkus: { "gpu-h100": "h100-sxm", "gpu-h200": "h200", "gpu-b200": "b200" },
    rates: [
      { sku: "h100-sxm", creditsPerGpuHour: 2_500_000n, effectiveFrom: TERM_START },
      { sku: "h200", creditsPerGpuHour: 3_200_000n, effectiveFrom: TERM_START },
      { sku: "b200", creditsPerGpuHour: 4_900_000n, effectiveFrom: TERM_START },
      // announced at set-up, more than RATE_NOTICE ahead: H100 list price falls in November
      { sku: "h100-sxm", creditsPerGpuHour: 2_250_000n, effectiveFrom: at("2026-11-01T00:00:00Z") },
    ],
  },
  {
    key: "nordlys",
    name: "Nordlys Cloud",
    wallet: 5,
    signers: [6, 7, 8],
    threshold: 2,
    localSigners: [6, 7],
    payoutBps: 7_500,
    cluster: "nrd-osl1",
    timezone: "Europe/Oslo",
    skuMap: { h100: "h100-sxm", b200: "b200", gb300: "gb300" },
    partitionSkus: { "gpu-h100": "h100-sxm", "gpu-b200": "b200", "nvl72": "gb300" },
    rates: [
      { sku: "h100-sxm", creditsPerGpuHour: 2_400_000n, effectiveFrom: TERM_START },
      { sku: "b200", creditsPerGpuHour: 5_000_000n, effectiveFrom: TERM_START },
      { sku: "gb300", creditsPerGpuHour: 7_800_000n, effectiveFrom: TERM_START },
    ],
  },
];

export const STARTUPS: readonly StartupSpec[] = [
  {
    key: "helix-labs",
    name: "Helix Labs",
    wallet: 9,
    base: "net",
    stripeTimezone: "America/Los_Angeles",
    creditLimit: 60_000n * UNIT,
    revenueShareBps: 800,
    capMultipleBps: 15_000,
    partnerFirstBps: 6_000,
    startTime: TERM_START,
    periods: 2,
    periodDuration: 30n * DAY,
    gracePeriod: 15n * DAY,
    partners: {
      "southern-cross": { account: "helix-labs", spendLimit: 40_000n * UNIT, maxGpus: 32 },
      nordlys: { account: "helix", spendLimit: 20_000n * UNIT, maxGpus: 16 },
    },
  },
  {
    key: "quill-ai",
    name: "Quill AI",
    wallet: 10,
    base: "gross",
    stripeTimezone: "America/New_York",
    creditLimit: 150_000n * UNIT,
    revenueShareBps: 1_200,
    capMultipleBps: 20_000,
    partnerFirstBps: 5_000,
    startTime: TERM_START,
    periods: 6,
    periodDuration: 30n * DAY,
    gracePeriod: 15n * DAY,
    partners: {
      "southern-cross": { account: "quill-ai", spendLimit: 60_000n * UNIT, maxGpus: 64 },
      nordlys: { account: "quill", spendLimit: 90_000n * UNIT, maxGpus: 72 },
    },
  },
  {
    key: "tessellate",
    name: "Tessellate Robotics",
    wallet: 11,
    base: "net",
    stripeTimezone: "Europe/Berlin",
    creditLimit: 40_000n * UNIT,
    revenueShareBps: 500,
    capMultipleBps: 12_500,
    partnerFirstBps: 8_000,
    startTime: TERM_START,
    periods: 12,
    periodDuration: 30n * DAY,
    gracePeriod: 10n * DAY,
    partners: {
      nordlys: { account: "tessellate", spendLimit: 30_000n * UNIT, maxGpus: 16 },
    },
  },
];

/** End of a startup's term. */
export function endTimeOf(s: StartupSpec): bigint {
  return termEnd(s.startTime, s.periods, s.periodDuration);
}

/** The partner with key `key`. */
export function partnerSpec(key: string): PartnerSpec {
  const p = PARTNERS.find((x) => x.key === key);
  if (!p) throw new Error(`no partner ${key} in demo/program.ts`);
  return p;
}

/** The startup with key `key`. */
export function startupSpec(key: string): StartupSpec {
  const s = STARTUPS.find((x) => x.key === key);
  if (!s) throw new Error(`no startup ${key} in demo/program.ts`);
  return s;
}

/** The rate of `sku` at `partner` in force at `t` (sdk/ledgerRules.ts `rateEntryAt`); undefined when none. */
export function rateAt(partner: PartnerSpec, sku: string, t: bigint): bigint | undefined {
  return rateEntryAt(partner.rates.filter((r) => r.sku === sku), t)?.creditsPerGpuHour;
}
