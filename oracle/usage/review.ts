// Quarantine review (SERVICES §2): an operator decides each quarantined row by its id — accept
// (saying, where the row does not, which account and sku it is) or reject — with a note; the
// decision is kept with who made it and when. Accepted rows are billed by the next run
// (resume.ts) and their decisions go into the evidence bundles of the batches that bill them
// (bundle.ts). A decision is final: it is evidence.
import { ValidationError } from "../../sdk/errors";
import type { UsageSourceSettings } from "../sources/usage";
import type { StoredDecision, StoredQuarantine, UsageState } from "../state/usageState";
import { writeQuarantineFile } from "../state/files";

/** Reasons whose rows an operator may accept: the row is well formed, the config could not say what it is (or it is unusually large). */
const ACCEPTABLE = new Set(["unknown-account", "unknown-sku", "mixed-sku", "too-large"]);

/** Why a row quarantined for these reasons cannot be accepted, and what to do instead. */
const NOT_ACCEPTABLE: Readonly<Record<string, string>> = {
  "parse-error": "its fields could not be read, so there is nothing to bill; correct the export and send the row again",
  "job-step": "a job step repeats its allocation's usage; the allocation's own row (sacct -X) bills it",
  "malformed-tres": "its GPUs could not be read; correct the export and send the row again",
  "end-before-start": "it ends before it starts; correct the export and send the row again",
  "gpu-seconds-exceed-bound": "it claims more GPU-seconds than its GPUs could give; send a corrected row under a new recordId",
  "late-after-term": "the ledger has no window left for it inside the agreement's term",
  "line-rejected": "the ledger refuses it for good (the agreement's reporting grace has ended)",
};

/** What an accept or reject says besides the ids. */
export interface DecisionInput {
  ids: readonly number[];
  note: string;
  /** Who decides (the CLI: `--by`, else the OS user). */
  by: string;
  /** Accept: the account (a name in the config's `accounts`) the rows are billed to, where they do not say it. */
  account?: string;
  /** Accept: the sku (a configured sku or a skuMap type name), where the rows do not say it. */
  sku?: string;
  /** Unix milliseconds; default now. */
  at?: number;
}

/** What an accepted row is billed as, or why it cannot be accepted. */
function acceptAs(entry: StoredQuarantine, settings: UsageSourceSettings, input: DecisionInput): { account: string; agreementId: string; sku: string } | string {
  if (!ACCEPTABLE.has(entry.reason)) return `${entry.reason}: ${NOT_ACCEPTABLE[entry.reason] ?? "it cannot be billed"}; reject it with a note`;
  const c = entry.candidate;
  if (c === undefined || c.source === "slice") return "nothing to bill was read from it; reject it with a note";
  const account = input.account ?? c.account;
  const agreementId = account === undefined ? undefined : settings.accounts.get(account);
  if (account === undefined || agreementId === undefined) {
    const known = [...settings.accounts.keys()].join(", ");
    return `account ${JSON.stringify(account ?? "")} is not in the config's accounts; pass --account with one of: ${known} (or add the account to the config)`;
  }
  const skuName = input.sku ?? c.sku;
  const sku = skuName === undefined ? undefined : (settings.skuMap.get(skuName) ?? (settings.knownSkus.has(skuName) ? skuName : undefined));
  if (sku === undefined) {
    const given = skuName ?? (c.gpuTypes ?? []).join(", ");
    return `the sku ${JSON.stringify(given)} is not one the config knows; pass --sku with one of: ${[...settings.knownSkus].join(", ")}`;
  }
  const start = BigInt(c.start);
  const end = BigInt(c.end);
  const gpus = BigInt(c.gpus ?? "0");
  if (end <= start || gpus <= 0n || BigInt(c.gpuSeconds) <= 0n) return "it bills nothing (no GPUs, or it does not end after it starts); reject it with a note";
  if (BigInt(c.gpuSeconds) > (end - start) * gpus) return `${NOT_ACCEPTABLE["gpu-seconds-exceed-bound"]}; reject it with a note`;
  return { account, agreementId: agreementId.toString(), sku };
}

function describeDecision(d: StoredDecision): string {
  return `${d.decision === "accept" ? "accepted" : "rejected"} by ${d.decidedBy} at ${new Date(d.decidedAt).toISOString()} (${JSON.stringify(d.note)})`;
}

/**
 * Records one decision per id (all or none): accept bills each row as it says, with the
 * account and sku the input adds; reject sets it aside for good. The quarantine file is
 * rewritten with the decisions.
 * @throws ValidationError naming every id that cannot be decided so (unknown, decided before,
 * not acceptable, unknown account or sku) and what to do; nothing is recorded then.
 */
export function decide(state: UsageState, settings: UsageSourceSettings, decision: "accept" | "reject", input: DecisionInput): StoredQuarantine[] {
  const note = input.note.trim();
  if (note === "") throw new ValidationError("A decision needs a note saying why.", { fix: '--note "checked with the customer: …"' });
  if (input.by.trim() === "") throw new ValidationError("A decision needs who made it.", { fix: "--by <your name>" });
  if (decision === "reject" && (input.account !== undefined || input.sku !== undefined)) {
    throw new ValidationError("--account and --sku say what an accepted row is; a rejected row is billed as nothing.", { fix: "Leave them out of reject." });
  }
  const ids = [...new Set(input.ids)];
  if (ids.length === 0) throw new ValidationError("No quarantine ids given.", { fix: "`dsx usage quarantine list` shows them." });
  const entries = new Map(state.quarantine(ids).map((q) => [q.id as number, q]));
  const problems: string[] = [];
  const decisions: Omit<StoredDecision, "taken">[] = [];
  const at = input.at ?? Date.now();
  for (const id of ids) {
    const entry = entries.get(id);
    if (entry === undefined) {
      problems.push(`#${id}: no such quarantine entry`);
      continue;
    }
    if (entry.decision !== undefined) {
      problems.push(`#${id}: already ${describeDecision(entry.decision)}; decisions are final`);
      continue;
    }
    const base = { quarantineId: id, decision, decidedBy: input.by.trim(), decidedAt: at, note };
    if (decision === "reject") {
      decisions.push({ ...base, account: null, agreementId: null, sku: null });
      continue;
    }
    const as = acceptAs(entry, settings, input);
    if (typeof as === "string") problems.push(`#${id} (${entry.file}:${entry.line}): ${as}`);
    else decisions.push({ ...base, ...as });
  }
  if (problems.length > 0) {
    const head = problems.length === 1 ? problems[0] : `${problems.length} of ${ids.length} entries cannot be ${decision}ed`;
    throw new ValidationError(`Nothing was recorded: ${head}.`, {
      fix: "`dsx usage quarantine list --all` shows every entry with its reason and decision; decide the others on their own.",
      details: problems.join("\n"),
    });
  }
  // Durable: the decision is the operator's word; it is on disk before the command says so.
  state.transaction(() => {
    for (const d of decisions) state.addDecision(d);
  }, { durable: true });
  writeQuarantineFile(state);
  return state.quarantine(ids);
}

/** The quarantine entries to review: undecided ones, or with `all` every one. */
export function quarantineEntries(state: UsageState, options: { all?: boolean } = {}): StoredQuarantine[] {
  const entries = state.quarantine();
  return options.all ? entries : entries.filter((q) => q.decision === undefined);
}

/** Unix seconds as an ISO time without milliseconds. */
function iso(seconds: string): string {
  return new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z");
}

/** What a row would bill, in words: its job or recordId, account, sku, GPUs, interval and GPU-seconds. */
export function wouldBill(entry: StoredQuarantine): string {
  const c = entry.candidate;
  if (c === undefined) return "nothing could be read to bill";
  const what = c.source === "slurm" ? `job ${c.cluster}:${c.jobId}` : `record ${c.recordId}`;
  const whose = c.source === "slice" ? `agreement ${c.agreementId}` : `account ${c.account}`;
  const sku = c.sku ?? (c.gpuTypes && c.gpuTypes.length > 0 ? `GPU type ${c.gpuTypes.join("+")} (no sku)` : "no sku");
  const gpus = c.gpus === undefined ? "" : `${c.gpus} GPU${c.gpus === "1" ? "" : "s"}, `;
  const hours = Number(BigInt(c.gpuSeconds) / 36n) / 100;
  return `${what}, ${whose}, ${sku}, ${gpus}${iso(c.start)} → ${iso(c.end)}: ${c.gpuSeconds} GPU-seconds (${hours} GPU-hours)`;
}

/** One entry for `quarantine list`: id, place, reason and detail, what it would bill, its decision. */
export function formatEntry(entry: StoredQuarantine): string {
  const lines = [`#${entry.id}  ${entry.file}:${entry.line}  ${entry.reason}: ${entry.detail}`, `    would bill: ${wouldBill(entry)}`];
  const d = entry.decision;
  if (d !== undefined) {
    const as = d.decision === "accept" ? ` as account ${d.account} (agreement ${d.agreementId}), sku ${d.sku}; ${d.taken ? "billed" : "billed by the next run"}` : "";
    lines.push(`    ${describeDecision(d)}${as}`);
  } else if (!ACCEPTABLE.has(entry.reason)) {
    lines.push(`    cannot be accepted: ${NOT_ACCEPTABLE[entry.reason] ?? "it cannot be billed"}`);
  }
  return lines.join("\n");
}
