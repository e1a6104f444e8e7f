// The audit report (JSON): per agreement its figures, who was paid what and why, and each check with its
// pass/fail tally; program-wide figures and checks; every discrepancy with the agreement, figure, expected and
// found. It holds nothing that depends on when or where the audit ran, so the same chain at the same block gives
// the same bytes and the same hash.
import type { Address, Hex } from "viem";
import * as shareMath from "../../sdk/shareMath";
import { CHECK_LIST } from "../checks/catalog";
import type { Discrepancy, Findings } from "../findings";
import { consumedOf, oldestUnsettled, type AgreementModel, type LedgerModel } from "../replay/model";
import type { EvidenceSummary } from "../evidence/verify";
import type { JsonValue } from "./canonical";

export const REPORT_KIND = "dsx-audit-report";
export const REPORT_VERSION = 1;

export interface CheckRow {
  check: string;
  title: string;
  passed: number;
  failed: number;
}

export interface AgreementReport {
  id: string;
  clean: boolean;
  status: string;
  startup: string;
  wallets: string[];
  terms: Record<string, string>;
  figures: Record<string, string | boolean>;
  partners: Record<string, string | number>[];
  periods: Record<string, string | boolean | null>[];
  payments: { index: number; block: string; tx: string; payer: string; time: string; amount: string; outstandingBefore: string; stillOwedToPartners: string; toPartners: string; toProgram: string; settles: number[]; parts: { beneficiary: string; amount: string; owedBefore: string | null }[] }[];
  checks: CheckRow[];
  discrepancies: number;
}

export interface AuditReport {
  kind: typeof REPORT_KIND;
  version: typeof REPORT_VERSION;
  chain: { chainId: number; ledger: string; credit: string; settlementToken: string; fromBlock: string; throughBlock: string; blockHash: string; blockTime: string };
  constants: Record<string, string>;
  clean: boolean;
  summary: { agreements: number; events: number; batches: number; checksPassed: number; checksFailed: number; discrepancies: number };
  program: {
    treasury: string;
    programClaimable: string;
    programClaimed: string;
    settlementBalance: string;
    directTransfers: string;
    creditSupply: string;
    beneficiaries: { beneficiary: string; distributed: string; claimed: string; claimable: string }[];
    checks: CheckRow[];
  };
  agreements: AgreementReport[];
  evidence: EvidenceSummary | null;
  discrepancies: Discrepancy[];
}

const s = (v: bigint | number): string => v.toString();
const titleOf = new Map(CHECK_LIST.map((c) => [c.id, c.title]));

function rows(findings: Findings, scope: string): CheckRow[] {
  return findings.talliesOf(scope).map((t) => ({ check: t.check, title: titleOf.get(t.check) ?? t.check, passed: t.passed, failed: t.failed }));
}

function agreementReport(m: LedgerModel, a: AgreementModel, findings: Findings, blockTime: bigint): AgreementReport {
  const t = a.terms;
  const consumed = consumedOf(a);
  const oldest = oldestUnsettled(a);
  const checks = rows(findings, a.id.toString());
  const failed = checks.reduce((n, c) => n + c.failed, 0);
  let refunds = 0n;
  for (const p of a.positions.values()) refunds += p.refunded;
  return {
    id: s(a.id),
    clean: failed === 0,
    status: a.status,
    startup: a.startup,
    wallets: a.wallets,
    terms: {
      creditLimit: s(t.creditLimit), revenueShareBps: s(t.revenueShareBps), capMultipleBps: s(t.capMultipleBps), partnerFirstBps: s(t.partnerFirstBps),
      startTime: s(t.startTime), endTime: s(t.endTime), periodDuration: s(t.periodDuration), periodCount: s(a.periodCount), gracePeriod: s(t.gracePeriod), termsHash: t.termsHash,
    },
    figures: {
      acceptedAt: s(a.acceptedAt), terminatedAt: s(a.terminatedAt), creditsMinted: s(a.creditsMinted), creditsBurnedByUsage: s(a.creditsBurnedByUsage),
      creditsRefunded: s(refunds), creditsExpired: s(a.creditsExpired), creditsHeld: s(a.creditsHeld), consumed: s(consumed),
      cap: s(shareMath.cap(consumed, t.capMultipleBps)), obligation: s(a.obligation), paid: s(a.paid), outstanding: s(a.obligation - a.paid),
      delinquent: oldest !== undefined && blockTime >= oldest.due, nextDue: s(oldest?.due ?? 0n), nextPeriodToFinalize: s(a.nextPeriodToFinalize),
    },
    partners: a.partnerList.map((address) => {
      const p = a.positions.get(address.toLowerCase())!;
      return {
        partner: address, payoutBps: s(m.partners.get(address.toLowerCase())?.payoutBps ?? 0n), linesAccepted: p.linesAccepted, gpuSeconds: s(p.gpuSeconds),
        spent: s(p.spent), burnedAt: s(p.burnedAt), refunded: s(p.refunded), receivable: s(p.receivable), paidToPartner: s(p.paidToPartner),
        stillOwed: s(p.receivable - p.paidToPartner), lastUsageEnd: s(p.lastUsageEnd),
      };
    }),
    periods: a.periods.filter((p) => p.state !== "None").map((p) => ({
      index: s(p.index), start: s(p.start), end: s(p.end), state: p.state, version: s(p.version), revenue: s(p.revenue), reports: s(p.reports.length),
      share: p.share === undefined ? null : s(p.share), capAtFinalization: p.capAtFinalization === undefined ? null : s(p.capAtFinalization),
      obligationBefore: p.obligationBefore === undefined ? null : s(p.obligationBefore), owed: s(p.owed), cumulativeObligation: s(p.cumulativeObligation),
      due: s(p.due), finalizedAt: p.finalizedAt === undefined ? null : s(p.finalizedAt),
      settled: p.state === "Finalized" && p.cumulativeObligation <= a.paid, settledByPayment: p.settledBy === undefined ? null : s(p.settledBy),
    })),
    payments: a.payments.map((p) => ({
      index: p.index, block: p.at.block, tx: p.at.tx ?? "", payer: p.payer, time: s(p.time), amount: s(p.amount), outstandingBefore: s(p.outstandingBefore),
      stillOwedToPartners: s(p.stillOwedToPartners), toPartners: s(p.toPartners), toProgram: s(p.toProgram), settles: p.settles,
      parts: p.parts.map((x) => ({ beneficiary: x.beneficiary === "program" ? "program" : x.beneficiary, amount: s(x.amount), owedBefore: x.owedBefore === undefined ? null : s(x.owedBefore) })),
    })),
    checks,
    discrepancies: findings.discrepancies.filter((d) => d.agreementId === s(a.id)).length,
  };
}

export interface ReportInput {
  chainId: number;
  ledger: Address;
  credit: Address;
  settlementToken: Address;
  fromBlock: bigint;
  throughBlock: bigint;
  blockHash: Hex;
  blockTime: bigint;
  eventCount: number;
  settlementBalance: bigint;
  directTransfers: bigint;
  creditSupply: bigint;
  beneficiaries: Address[];
  evidence: EvidenceSummary | null;
}

/** Builds the report from the replayed model and the findings. */
export function buildReport(m: LedgerModel, findings: Findings, input: ReportInput): AuditReport {
  const agreements = [...m.agreements.values()].sort((x, y) => (x.id < y.id ? -1 : 1)).map((a) => agreementReport(m, a, findings, input.blockTime));
  const all = [...agreements.flatMap((a) => a.checks), ...rows(findings, "program")];
  const distributedTo = new Map<string, bigint>();
  for (const a of m.agreements.values()) {
    for (const p of a.positions.values()) distributedTo.set(p.partner.toLowerCase(), (distributedTo.get(p.partner.toLowerCase()) ?? 0n) + p.paidToPartner);
  }
  return {
    kind: REPORT_KIND,
    version: REPORT_VERSION,
    chain: {
      chainId: input.chainId, ledger: input.ledger, credit: input.credit, settlementToken: input.settlementToken, fromBlock: s(input.fromBlock),
      throughBlock: s(input.throughBlock), blockHash: input.blockHash, blockTime: s(input.blockTime),
    },
    constants: {
      disputeWindow: s(m.constants.disputeWindow), rateNotice: s(m.constants.rateNotice), authNotice: s(m.constants.authNotice), reportingGrace: s(m.constants.reportingGrace),
      signerNotice: s(m.constants.signerNotice), migrationNotice: s(m.constants.migrationNotice), payoutNotice: s(m.constants.payoutNotice),
    },
    clean: findings.discrepancies.length === 0,
    summary: {
      agreements: agreements.length, events: input.eventCount, batches: m.batchOrder.length,
      checksPassed: all.reduce((n, c) => n + c.passed, 0), checksFailed: all.reduce((n, c) => n + c.failed, 0), discrepancies: findings.discrepancies.length,
    },
    program: {
      treasury: m.treasury ?? "none", programClaimable: s(m.programClaimable), programClaimed: s(m.programClaimed), settlementBalance: s(input.settlementBalance),
      directTransfers: s(input.directTransfers), creditSupply: s(input.creditSupply),
      beneficiaries: input.beneficiaries.map((b) => ({
        beneficiary: b, distributed: s(distributedTo.get(b.toLowerCase()) ?? 0n), claimed: s(m.claimed.get(b.toLowerCase()) ?? 0n), claimable: s(m.claimable.get(b.toLowerCase()) ?? 0n),
      })),
      checks: rows(findings, "program"),
    },
    agreements,
    evidence: input.evidence,
    discrepancies: findings.discrepancies,
  };
}

/** A lone surrogate (U+D800–U+DFFF not part of a pair). */
const LONE_SURROGATE = /\p{Surrogate}/gu;

/**
 * The report as a JSON value (for canonicalization). Text read from evidence files (a record id, a rejected line)
 * may hold a lone surrogate, which RFC 8785 refuses: each is written as the six characters of its `\uXXXX` escape,
 * so such a bundle yields a discrepancy in a canonical report instead of an audit that cannot write its report.
 */
export function reportJson(report: AuditReport): JsonValue {
  const text = JSON.stringify(report);
  // JSON.stringify writes a lone surrogate as \udXXX: without one, no string needs a look
  if (!/\\ud[89a-f]/.test(text)) return JSON.parse(text) as JsonValue;
  return JSON.parse(text, (_key, value: unknown) =>
    typeof value === "string" ? value.replace(LONE_SURROGATE, (c) => `\\u${c.charCodeAt(0).toString(16)}`) : value) as JsonValue;
}
