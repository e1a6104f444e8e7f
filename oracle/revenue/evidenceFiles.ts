// The revenue evidence folder (SERVICES §3): per report, the canonical evidence JSON under its
// hash (an auditor hashes the file and compares it with the on-chain evidenceHash), a
// description of the report (figures, the rows' sources, the conversions and the quarantine
// decisions of the period, signatures, transaction), and per agreement the log of every
// quarantine decision.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Hex } from "viem";
import type { RevenueReport } from "../../sdk/eip712";
import { writeFileAtomic } from "../state/files";
import type { RevenueBase } from "./periods";
import type { Decision } from "./review";

/** `<evidenceDir>/revenue-<evidenceHash>.json`: the canonical JSON, byte for byte. */
export function evidenceFile(evidenceDir: string, evidenceHash: Hex): string {
  return join(evidenceDir, `revenue-${evidenceHash.toLowerCase()}.json`);
}

/** `<evidenceDir>/revenue-<agreementId>-<periodIndex>-v<version>.json`: the report's description. */
export function reportFile(evidenceDir: string, report: RevenueReport): string {
  return join(evidenceDir, `revenue-${report.agreementId}-${report.periodIndex}-v${report.version}.json`);
}

/** The description of a report kept beside its evidence. Amounts are decimal strings of 6-decimal units. */
export interface ReportDescription {
  chainId: number;
  ledger: string;
  agreementId: string;
  periodIndex: number;
  version: number;
  periodStart: string;
  periodEnd: string;
  base: RevenueBase;
  /** Σ of the period's transactions. */
  sum: string;
  carryIn: string;
  revenue: string;
  carryOut: string;
  transactions: number;
  evidenceHash: Hex;
  evidenceFile: string;
  signatures: Hex[];
  /** The period's rows: id, amount in USD units, where it was read, and the review entry that made it count (accepted rows). */
  rows?: { id: string; amount: string; file?: string; line?: number; acceptedAs?: string }[];
  /** The rate file used, when one is configured. */
  fxRates?: string;
  /** Rows converted to USD: the rate of their UTC date and both amounts (6-decimal units). */
  conversions?: { id: string; currency: string; date: string; usdPerUnit: string; amount: string; usd: string }[];
  /** The quarantine decisions on rows of this period (accepted ones count, rejected ones do not). */
  decisions?: Decision[];
  /** Set when the revenue is 0 while the period holds quarantined or decided rows. */
  flagged?: string;
  /** Input files read with decimal commas (`--decimal-comma`). */
  decimalCommaFiles?: string[];
  /** Set once the report is confirmed on chain. */
  txHash?: Hex;
  blockNumber?: string;
}

/** Writes the evidence JSON (if not there yet: it is content-addressed) and the report description. */
export function writeEvidence(evidenceDir: string, evidenceJson: string, description: ReportDescription, report: RevenueReport): void {
  writeFileAtomic(evidenceFile(evidenceDir, report.evidenceHash), evidenceJson);
  writeFileAtomic(reportFile(evidenceDir, report), `${JSON.stringify(description, null, 2)}\n`);
}

/** `<evidenceDir>/revenue-<agreementId>-decisions.json`: every quarantine decision on the agreement's rows, oldest first. */
export function decisionsFile(evidenceDir: string, agreementId: bigint | string): string {
  return join(evidenceDir, `revenue-${agreementId}-decisions.json`);
}

/** Rewrites an agreement's decision log in the evidence folder (atomically). */
export function writeDecisions(evidenceDir: string, agreementId: bigint | string, decisions: readonly Decision[]): void {
  writeFileAtomic(decisionsFile(evidenceDir, agreementId), `${JSON.stringify(decisions, null, 2)}\n`);
}

/** Adds the confirming transaction to a report's description (rebuilding a minimal one if it is gone). */
export function recordReportTransaction(
  evidenceDir: string,
  report: RevenueReport,
  evidenceJson: string,
  tx: { txHash: Hex; blockNumber: bigint },
): void {
  const file = reportFile(evidenceDir, report);
  let description: Record<string, unknown>;
  try {
    description = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch {
    description = {
      agreementId: report.agreementId.toString(),
      periodIndex: report.periodIndex,
      version: report.version,
      revenue: report.revenue.toString(),
      evidenceHash: report.evidenceHash,
    };
  }
  writeFileAtomic(evidenceFile(evidenceDir, report.evidenceHash), evidenceJson);
  writeFileAtomic(file, `${JSON.stringify({ ...description, txHash: tx.txHash, blockNumber: tx.blockNumber.toString() }, null, 2)}\n`);
}
