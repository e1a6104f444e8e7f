// evidence.decisions — the operators' quarantine decisions the evidence carries (SERVICES §2 and §3, "quarantine
// review"): each says who decided and why, names a row the oracle quarantined, and is honoured by what was attested.
// Usage: an accepted row's recordIds are leaves of the batch's tree under the decision's agreement and sku (so their
// GPU-seconds are in the batch's lines, which evidence.lines sums), a rejected row's are not. Revenue: an accepted
// row's transaction is a pair of the hashed evidence of the report (so its amount is in the reported revenue), a
// rejected row's is not. The rules are written from the oracles' documents, not taken from their code.
import { keccak256, stringToBytes, stringToHex, type Hex } from "viem";
import type { Findings, Location } from "../findings";
import { CHECKS } from "./catalog";

const ID = CHECKS.evidenceDecisions.id;

/** A usage decision as the bundle carries it (`quarantineDecisions`); every field is checked, none trusted. */
export interface UsageDecisionFile {
  quarantineId?: number;
  file?: string;
  line?: number;
  raw?: string;
  reason?: string;
  decision?: string;
  decidedBy?: string;
  note?: string;
  agreementId?: string;
  sku?: string;
  recordIds?: string[];
}

/** A revenue decision as a report's description carries it (`decisions`). */
export interface RevenueDecisionFile {
  entryId: string;
  agreementId?: string;
  decision?: string;
  decidedBy?: string;
  note?: string;
  reason?: string;
  transactionId?: string;
  raw?: string;
}

/** docs/usage-oracle.md "Quarantine review": the reasons whose rows may be accepted, and those that may only be rejected. */
const USAGE_ACCEPTABLE = new Set(["unknown-account", "unknown-sku", "mixed-sku", "too-large"]);
const USAGE_REJECT_ONLY = new Set(["parse-error", "job-step", "malformed-tres", "end-before-start", "gpu-seconds-exceed-bound", "late-after-term", "line-rejected"]);
/** docs/revenue-oracle.md "Quarantine review": accept means something only for these. */
const REVENUE_ACCEPTABLE = new Set(["net-mismatch", "conflict"]);

const blank = (v: string | undefined): boolean => v === undefined || v.trim() === "";
const agreementOf = (v: string | undefined): bigint | null => (v !== undefined && /^\d+$/.test(v) ? BigInt(v) : null);

/**
 * A revenue review entry's id as docs/revenue-oracle.md defines it: `rq-` + the first 12 hex digits of
 * keccak256("<agreementId>\n<reason>\n<row text>") (a missing row: its transaction id as the text).
 */
export function revenueEntryId(agreementId: string, reason: string, text: string): string {
  return `rq-${keccak256(stringToBytes(`${agreementId}\n${reason}\n${text}`)).slice(2, 14)}`;
}

/** Who decided and why: both are required of every decision. */
function signedOff(f: Findings, agreementId: bigint | null, figure: string, d: { decidedBy?: string; note?: string }, at?: Location): void {
  const missing = [blank(d.decidedBy) ? "who decided" : "", blank(d.note) ? "a note" : ""].filter(Boolean);
  f.holds(ID, agreementId, `${figure}.decidedBy, note`, missing.length === 0, "who decided and a note", () => `no ${missing.join(", no ")}`, at);
}

/** The usage leaves of a batch's bundle, by recordId: [agreementId, sku] of each. */
type LeavesByRecord = ReadonlyMap<string, readonly (readonly [agreementId: string, sku: string])[]>;

/** Indexes a bundle's leaf values ([recordId, agreementId, sku, …]) by recordId. */
export function leavesByRecord(values: readonly (readonly string[])[]): LeavesByRecord {
  const map = new Map<string, [string, string][]>();
  for (const [recordId, agreementId, sku] of values) {
    const list = map.get(recordId) ?? [];
    list.push([agreementId, sku.toLowerCase()]);
    map.set(recordId, list);
  }
  return map;
}

/** The bytes32 of a sku as a decision names it (its name, or already the bytes32). */
function skuWord(sku: string): string | undefined {
  if (/^0x[0-9a-fA-F]{64}$/.test(sku)) return sku.toLowerCase();
  try {
    return stringToHex(sku, { size: 32 }).toLowerCase();
  } catch {
    return undefined; // longer than 32 bytes: no leaf can carry it
  }
}

/** Checks the quarantine decisions of one usage batch's bundle against the batch's records. */
export function checkUsageDecisions(f: Findings, batchId: Hex, decisions: readonly UsageDecisionFile[], leaves: LeavesByRecord, at: Location): void {
  for (const d of decisions) {
    const agreementId = agreementOf(d.agreementId);
    const figure = `batch(${batchId}).quarantineDecision ${d.quarantineId ?? "?"}`;
    signedOff(f, agreementId, figure, d, at);
    const reason = d.reason ?? "";
    const names = Number.isInteger(d.quarantineId) && !blank(d.raw) && (USAGE_ACCEPTABLE.has(reason) || USAGE_REJECT_ONLY.has(reason));
    f.holds(ID, agreementId, `${figure}.row`, names, "a quarantined row (id, raw text and a quarantine reason)", () => `id ${d.quarantineId ?? "none"}, reason ${JSON.stringify(reason)}, raw ${blank(d.raw) ? "none" : "given"}`, at);
    const recordIds = d.recordIds ?? [];
    if (d.decision === "accept") {
      f.holds(ID, agreementId, `${figure}.reason`, USAGE_ACCEPTABLE.has(reason), `a reason an accept applies to (${[...USAGE_ACCEPTABLE].join(", ")})`, reason, at);
      const sku = skuWord(d.sku ?? "");
      const billed = recordIds.length > 0 && recordIds.every((id) => {
        const found = leaves.get(id);
        return found !== undefined && found.every(([a, s]) => a === d.agreementId && s === sku);
      });
      f.holds(ID, agreementId, `${figure}.recordIds`, billed, `records of the batch billed to agreement ${d.agreementId ?? "?"}, sku ${d.sku ?? "?"}`, () => {
        if (recordIds.length === 0) return "no recordIds";
        const off = recordIds.filter((id) => !leaves.has(id));
        return off.length > 0 ? `not in the batch: ${off.join(", ")}` : "billed to another agreement or sku";
      }, at);
    } else if (d.decision === "reject") {
      const billed = recordIds.filter((id) => leaves.has(id));
      f.holds(ID, agreementId, `${figure}.recordIds`, billed.length === 0, "none of its records in the batch (a rejected row is not billed)", () => `billed: ${billed.join(", ")}`, at);
    } else {
      f.holds(ID, agreementId, `${figure}.decision`, false, "accept or reject", String(d.decision), at);
    }
  }
}

/** What the chain and the hashed evidence say of one revenue report. */
export interface AttestedRevenue {
  agreementId: bigint;
  periodIndex: number;
  version: bigint;
  /** The evidence's [id, units] pairs (without the carry); undefined when the evidence file is missing or not the one hashed on chain. */
  pairs?: ReadonlyMap<string, string>;
  /** The description's rows: id, USD units and the review entry that made it count. */
  rows: readonly { id: string; amount: string; acceptedAs?: string }[];
  at: Location;
}

/** Checks the quarantine decisions a revenue report's description carries against the report's hashed evidence. */
export function checkRevenueDecisions(f: Findings, report: AttestedRevenue, decisions: readonly RevenueDecisionFile[]): void {
  const { agreementId, at } = report;
  const id = agreementId.toString();
  const entryIds = new Set(decisions.map((d) => d.entryId));
  for (const d of decisions) {
    const figure = `report(${id}, ${report.periodIndex}, v${report.version}).decision ${d.entryId}`;
    signedOff(f, agreementId, figure, d, at);
    const reason = d.reason ?? "";
    // the entry id is a hash of the row: recomputed where the decision keeps the row's text (a conflict keeps only its figures in words)
    const text = reason === "missing" ? d.transactionId : reason === "conflict" ? undefined : d.raw;
    const expectedId = text === undefined ? undefined : revenueEntryId(id, reason, text);
    const names = d.agreementId === id && /^rq-[0-9a-f]{12}$/.test(d.entryId) && !blank(reason) && (reason === "conflict" ? !blank(d.transactionId) : expectedId === d.entryId);
    f.holds(ID, agreementId, `${figure}.row`, names, () => `a quarantined row of agreement ${id}${expectedId ? ` whose entry id is ${expectedId}` : ""}`, () => `agreement ${d.agreementId ?? "none"}, reason ${JSON.stringify(reason)}, ${text === undefined ? "no row text" : `entry id ${d.entryId}`}`, at);
    const counted = report.rows.filter((r) => r.acceptedAs === d.entryId);
    if (d.decision === "accept") {
      f.holds(ID, agreementId, `${figure}.reason`, REVENUE_ACCEPTABLE.has(reason), `a reason an accept applies to (${[...REVENUE_ACCEPTABLE].join(", ")})`, reason, at);
      // an accepted foreign-currency row with no rate for its date becomes a no-fx-rate entry of its own; rejected, the row does not count
      const noRate = d.raw !== undefined && entryIds.has(revenueEntryId(id, "no-fx-rate", d.raw));
      if (noRate || !report.pairs) continue;
      const pairs = report.pairs;
      const inEvidence = d.transactionId !== undefined && pairs.has(d.transactionId) && counted.every((r) => r.id === d.transactionId && pairs.get(r.id) === r.amount);
      f.holds(ID, agreementId, `${figure}.counted`, inEvidence, () => `transaction ${d.transactionId ?? "?"} in the report's evidence${counted[0] ? ` with ${counted[0].amount}` : ""}`, () => {
        if (d.transactionId === undefined) return "no transaction named";
        const units = pairs.get(d.transactionId);
        return units === undefined ? "not in the evidence" : `${units} in the evidence`;
      }, at);
    } else if (d.decision === "reject") {
      const stillCounted = counted.length > 0 || (reason === "missing" && d.transactionId !== undefined && report.pairs?.has(d.transactionId) === true);
      f.holds(ID, agreementId, `${figure}.counted`, !stillCounted, "not counted (a rejected row is not in the report)", () => `counted: transaction ${counted[0]?.id ?? d.transactionId}`, at);
    } else {
      f.holds(ID, agreementId, `${figure}.decision`, false, "accept or reject", String(d.decision), at);
    }
  }
}

/** A report description that cannot be read. */
export function checkRevenueDescription(f: Findings, file: string, error: string): void {
  f.holds(ID, null, `revenue description ${file}`, false, "a readable report description", error);
}

/**
 * A report's hashed evidence: the description names the report's on-chain evidenceHash, the evidence file's bytes
 * hash to it, and its pairs (the carry included) total the reported revenue (0 when negative). Returns the pairs
 * without the carry, or undefined when the evidence cannot be tied to the report.
 */
export function checkRevenueEvidenceFile(
  f: Findings,
  report: { agreementId: bigint; periodIndex: number; version: bigint; evidenceHash: Hex; revenue: bigint; at: Location },
  described: Hex,
  bytes: Uint8Array | undefined,
): Map<string, string> | undefined {
  const figure = `report(${report.agreementId}, ${report.periodIndex}, v${report.version}).evidence`;
  if (!f.equal(ID, report.agreementId, `${figure}Hash (description)`, report.evidenceHash, described, report.at)) return undefined;
  const hash = bytes ? keccak256(bytes) : undefined;
  if (!f.equal(ID, report.agreementId, `${figure} keccak256`, report.evidenceHash, hash ?? "no evidence file", report.at)) return undefined;
  let pairs: Map<string, string> | undefined;
  let total = 0n;
  try {
    const parsed = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    if (!Array.isArray(parsed)) throw new Error("not an array");
    pairs = new Map();
    for (const pair of parsed) {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "string" || typeof pair[1] !== "string" || !/^-?\d+$/.test(pair[1])) throw new Error("not an [id, units] pair");
      total += BigInt(pair[1]);
      if (pair[0] !== "carry") pairs.set(pair[0], pair[1]);
    }
  } catch {
    f.holds(ID, report.agreementId, figure, false, "[id, units] pairs (SERVICES §3)", "another shape", report.at);
    return undefined;
  }
  f.equal(ID, report.agreementId, `${figure} Σ pairs (the reported revenue)`, report.revenue, total > 0n ? total : 0n, report.at);
  return pairs;
}
