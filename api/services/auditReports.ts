// The auditor's reports (docs/auditor.md) as the API serves them: the folder the auditor writes
// (`audit --out <dir>`: `audit-<chainId>-<block>.json`, canonical JSON whose keccak256 is the report hash that
// `audit --record` publishes with recordAudit). The latest report is the valid one with the highest audited block;
// each file is read, checked and hashed once per (size, mtime).
import fs from "node:fs/promises";
import path from "node:path";
import { sql, type Selectable } from "kysely";
import type { Logger } from "pino";
import { z } from "zod";
import { isCanonical, reportHashOf } from "../../auditor/report/canonical";
import { REPORT_KIND, REPORT_VERSION } from "../../auditor/report/build";
import type { AuditsTable } from "../db/schema";
import { qb, QueryTemplate } from "../db/template";
import { auditReportFile, type AgreementAudit, type AuditReportFile } from "../schemas/resources";
import { auditView } from "./agreements";
import { addr, iso } from "./format";
import { checkpointOnce, stateOf, type Reader } from "./snapshot";

/** A report file as read: its name, hash and parsed content. */
export interface LoadedReport {
  file: string;
  reportHash: string;
  report: AuditReportFile;
  /** The report's agreement sections by id. */
  sections: Map<string, AuditReportFile["agreements"][number]>;
}

/** Reports larger than this are not read (a 1 000-agreement program's report is a few MB). */
const MAX_REPORT_BYTES = 256 * 1024 * 1024;
const NAME = /^audit-([0-9]{1,20})-([0-9]{1,20})\.json$/;

interface CacheEntry {
  size: number;
  mtimeMs: number;
  loaded?: LoadedReport;
  /** Why the file is not a usable report (logged once per version of the file). */
  invalid?: string;
}

/** Reads the auditor's report folder. */
export class AuditReports {
  private readonly cache = new Map<string, CacheEntry>();

  constructor(
    readonly dir: string,
    private readonly logger?: Logger,
  ) {}

  /**
   * The latest valid report of `ledger` on `chainId` (highest audited block), or undefined when the folder
   * holds none. Files that are not such a report (edited, truncated, another ledger) are skipped with a warning.
   */
  async latest(chainId: number, ledger: string): Promise<LoadedReport | undefined> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch {
      return undefined;
    }
    const candidates = names
      .map((name) => ({ name, m: NAME.exec(name) }))
      .filter((c): c is { name: string; m: RegExpExecArray } => c.m !== null && Number(c.m[1]) === chainId)
      .sort((a, b) => (BigInt(b.m[2]) > BigInt(a.m[2]) ? 1 : BigInt(b.m[2]) < BigInt(a.m[2]) ? -1 : 0));
    for (const { name, m } of candidates) {
      const loaded = await this.load(name, BigInt(m[2]), chainId);
      if (loaded && loaded.report.chain.ledger.toLowerCase() === ledger.toLowerCase()) return loaded;
    }
    return undefined;
  }

  private async load(name: string, block: bigint, chainId: number): Promise<LoadedReport | undefined> {
    const file = path.join(this.dir, name);
    let stat;
    try {
      stat = await fs.stat(file);
    } catch {
      return undefined;
    }
    const cached = this.cache.get(name);
    if (cached && cached.size === stat.size && cached.mtimeMs === stat.mtimeMs) return cached.loaded;
    const entry: CacheEntry = { size: stat.size, mtimeMs: stat.mtimeMs };
    try {
      entry.loaded = await this.read(file, name, stat.size, block, chainId);
    } catch (err) {
      entry.invalid = err instanceof Error ? err.message : String(err);
      this.logger?.warn({ file, reason: entry.invalid }, "skipping a file of the audit report folder");
    }
    this.cache.set(name, entry);
    return entry.loaded;
  }

  private async read(file: string, name: string, size: number, block: bigint, chainId: number): Promise<LoadedReport> {
    if (size > MAX_REPORT_BYTES) throw new Error(`larger than ${MAX_REPORT_BYTES} bytes`);
    const bytes = await fs.readFile(file);
    const text = bytes.toString("utf8");
    if (!isCanonical(text)) throw new Error("not canonical JSON (edited after the audit, or not a report): its hash would not be the recorded one");
    const parsed = auditReportFile.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`not an audit report: ${z.prettifyError(parsed.error).split("\n")[0]}`);
    const report = parsed.data;
    if (report.kind !== REPORT_KIND || report.version !== REPORT_VERSION) {
      throw new Error(`report kind ${report.kind} version ${report.version}; this API reads ${REPORT_KIND} version ${REPORT_VERSION}`);
    }
    if (report.chain.chainId !== chainId) throw new Error(`a report of chain ${report.chain.chainId}`);
    if (BigInt(report.chain.throughBlock) !== block) throw new Error(`its name says block ${block}, its content ${report.chain.throughBlock}`);
    return { file: name, reportHash: reportHashOf(bytes), report, sections: new Map(report.agreements.map((a) => [a.id, a])) };
  }
}

/** Why no audit can be served for an agreement (each becomes a 404 with this detail). */
export class AuditUnavailable extends Error {
  override name = "AuditUnavailable";
}

type CheckTally = AuditReportFile["program"]["checks"][number];
const withResult = (c: CheckTally) => ({ ...c, result: c.failed === 0 ? ("pass" as const) : ("fail" as const) });

const checkpoint = checkpointOnce({ ledger: true });

const auditsOf = new QueryTemplate((a: { id: string }) =>
  qb
    .selectFrom(checkpoint.table)
    .leftJoin("audits as x", (j) => j.on("x.agreement_id", "=", a.id))
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the derived table's columns
    .select(checkpoint.columns as any)
    .select(sql<boolean>`exists (select 1 from agreements where id = ${a.id})`.as("_found"))
    .selectAll("x")
    .orderBy("x.block_number")
    .orderBy("x.log_index"),
);

/**
 * The agreement's section of the latest report, with the indexed AuditRecorded events that published its hash.
 * One statement reads the checkpoint, the indexed ledger, whether the agreement exists and its audit records.
 */
export async function agreementAudit(r: Reader, reports: AuditReports | undefined, chainId: number, id: string): Promise<AgreementAudit> {
  const { rows } = await r.db.executeQuery(auditsOf.compile({ id }));
  r.at(stateOf(rows[0]));
  const first = rows[0] as (typeof rows)[number] & { _s_ledger: string }; // `_s_ledger`: a column of `checkpoint`
  if (first._found !== true) throw new AuditUnavailable(`No agreement ${id} is indexed.`);
  if (!reports) throw new AuditUnavailable("This server has no audit report folder configured (DSX_API_AUDIT_DIR).");
  const loaded = await reports.latest(chainId, first._s_ledger);
  if (!loaded) throw new AuditUnavailable(`No audit report of ledger ${addr(first._s_ledger)} on chain ${chainId} is in the report folder.`);
  const { report } = loaded;
  const section = loaded.sections.get(id);
  if (!section) {
    throw new AuditUnavailable(`The latest audit report (${loaded.file}, through block ${report.chain.throughBlock}) does not cover agreement ${id}.`);
  }
  const own = report.discrepancies.filter((d) => d.agreementId === id);
  const programWide = report.discrepancies.filter((d) => d.agreementId === null);
  const records = rows
    .filter((row) => row.block_number !== null && row.report_hash === loaded.reportHash)
    .map((row) => auditView(row as Selectable<AuditsTable>));
  return {
    agreementId: id,
    file: loaded.file,
    reportHash: loaded.reportHash,
    chainId: report.chain.chainId,
    ledger: addr(report.chain.ledger.toLowerCase()),
    fromBlock: Number(report.chain.fromBlock),
    throughBlock: Number(report.chain.throughBlock),
    blockHash: report.chain.blockHash.toLowerCase(),
    auditedAt: iso(Number(report.chain.blockTime)),
    clean: own.length === 0 && programWide.length === 0,
    agreementClean: section.checks.every((c) => c.failed === 0),
    programClean: report.program.checks.every((c) => c.failed === 0),
    checks: section.checks.map(withResult),
    programChecks: report.program.checks.map(withResult),
    discrepancies: [...own, ...programWide],
    report: { clean: report.clean, ...report.summary },
    recorded: records.length > 0,
    records,
    section,
  };
}
