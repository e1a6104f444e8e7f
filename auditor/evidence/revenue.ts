// Reading the revenue oracle's evidence folder (SERVICES §3, docs/revenue-oracle.md "Evidence"): each report's
// description `revenue-<agreementId>-<k>-v<version>.json` and the hashed evidence `revenue-<evidenceHash>.json` it
// names. The quarantine decisions a description carries are checked against the report the chain recorded and the
// evidence file whose bytes hash to its evidenceHash; nothing in a description is trusted.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isHex, type Hex } from "viem";
import { z } from "zod";
import { checkRevenueDecisions, checkRevenueDescription, checkRevenueEvidenceFile } from "../checks/evidenceDecisions";
import type { Findings } from "../findings";
import type { LedgerModel } from "../replay/model";

const DESCRIPTION = /^revenue-(\d+)-(\d+)-v(\d+)\.json$/;
const text = z.string().optional();

const descriptionSchema = z.object({
  agreementId: z.string().regex(/^\d+$/),
  periodIndex: z.number().int().nonnegative(),
  version: z.number().int().positive(),
  evidenceHash: z.string().refine((v) => isHex(v) && v.length === 66, "expected a 32-byte hash"),
  rows: z.array(z.object({ id: z.string(), amount: z.string(), acceptedAs: text }).loose()).optional(),
  decisions: z.array(z.object({ entryId: z.string(), agreementId: text, decision: text, decidedBy: text, note: text, reason: text, transactionId: text, raw: text }).loose()).optional(),
}).loose();

/** What the revenue decisions check found, for the report. */
export interface RevenueEvidenceSummary {
  /** Report descriptions read. */
  descriptions: number;
  /** Descriptions that carry decisions and describe a report the chain recorded (checked). */
  checked: number;
  decisions: number;
}

/**
 * Checks the quarantine decisions of every report description in `dir` whose report the chain recorded (the same
 * agreement, period and version). A description that cannot be read is a discrepancy; one of a version the chain
 * never recorded (a report not sent, or sent and replaced before it landed) attests nothing and is skipped.
 */
export function verifyRevenueEvidence(f: Findings, m: LedgerModel, dir: string): RevenueEvidenceSummary {
  const summary: RevenueEvidenceSummary = { descriptions: 0, checked: 0, decisions: 0 };
  for (const name of readdirSync(dir).filter((n) => DESCRIPTION.test(n)).sort()) {
    summary.descriptions += 1;
    const file = join(dir, name);
    let parsed: z.output<typeof descriptionSchema>;
    try {
      const result = descriptionSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
      if (!result.success) throw new Error(result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
      parsed = result.data;
    } catch (err) {
      checkRevenueDescription(f, name, err instanceof Error ? err.message : String(err));
      continue;
    }
    const decisions = parsed.decisions ?? [];
    if (decisions.length === 0) continue;
    const agreementId = BigInt(parsed.agreementId);
    const version = BigInt(parsed.version);
    const report = m.agreements.get(agreementId)?.periods.find((p) => p.index === parsed.periodIndex)?.reports.find((r) => r.version === version);
    if (!report) continue;
    summary.checked += 1;
    summary.decisions += decisions.length;
    const at = report.at;
    let bytes: Uint8Array | undefined;
    try {
      bytes = readFileSync(join(dir, `revenue-${report.evidenceHash.toLowerCase()}.json`));
    } catch {
      bytes = undefined;
    }
    const attested = { agreementId, periodIndex: parsed.periodIndex, version, evidenceHash: report.evidenceHash, revenue: report.revenue, at };
    const pairs = checkRevenueEvidenceFile(f, attested, parsed.evidenceHash as Hex, bytes);
    checkRevenueDecisions(f, { agreementId, periodIndex: parsed.periodIndex, version, pairs, rows: parsed.rows ?? [], at }, decisions);
  }
  return summary;
}
