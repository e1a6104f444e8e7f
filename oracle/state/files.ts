// Files the usage oracle keeps beside its database: quarantine.jsonl (SERVICES §2) and the
// evidence bundles. Each is written whole to a temporary file, synced and renamed, so a
// reader (or a process killed mid-write) never sees half a file.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import type { UsageState } from "./usageState";

/** File name of the quarantine inside the state folder. */
export const QUARANTINE_FILE = "quarantine.jsonl";

/** Writes `text` to `path` atomically (temporary file, fsync, rename). */
export function writeFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/**
 * Rewrites `<stateDir>/quarantine.jsonl` from the database: one JSON object per line with
 * `id` (the quarantine review's handle), `file`, `line`, `raw`, `reason`, `detail`, any extra
 * fields, what the row would bill (`candidate`) and the operator's `decision` once made, in
 * the order the entries were quarantined. The database is the record; the file is its
 * readable copy, so a crash between the two never loses or repeats an entry.
 */
export function writeQuarantineFile(state: UsageState): string {
  const path = join(state.dir, QUARANTINE_FILE);
  const lines = state.quarantine().map((q) => {
    const decision = q.decision && {
      decision: q.decision.decision,
      by: q.decision.decidedBy,
      at: new Date(q.decision.decidedAt).toISOString(),
      note: q.decision.note,
      ...(q.decision.decision === "accept" ? { account: q.decision.account, agreementId: q.decision.agreementId, sku: q.decision.sku } : {}),
    };
    return JSON.stringify({
      id: q.id,
      file: q.file,
      line: q.line,
      reason: q.reason,
      detail: q.detail,
      raw: q.raw,
      ...q.extra,
      ...(q.candidate ? { candidate: q.candidate } : {}),
      ...(decision ? { decision } : {}),
    });
  });
  writeFileAtomic(path, lines.length === 0 ? "" : `${lines.join("\n")}\n`);
  return path;
}
