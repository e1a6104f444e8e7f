// Files the oracles keep beside their state: the usage oracle's quarantine.jsonl (SERVICES §2),
// evidence bundles, outbox batches and signatures, and the revenue oracle's evidence folder.
// Each is written whole with writeFileAtomic, so a reader (or a process killed mid-write)
// never sees half a file.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import type { StoredQuarantine, UsageState } from "./usageState";

/** File name of the quarantine inside the state folder. */
export const QUARANTINE_FILE = "quarantine.jsonl";

/**
 * Writes `text` to `path` atomically and durably: a temporary file beside it is written and
 * synced (fsync), renamed over `path`, then the folder is synced so the rename itself survives
 * a power loss. A reader, or a process killed mid-write, sees the old file or the new one, never
 * half of one. Missing folders are created.
 * @example writeFileAtomic("state/outbox/0xab….json", `${JSON.stringify(batch, null, 2)}\n`);
 */
export function writeFileAtomic(path: string, text: string): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    syncedWrite(tmp, text);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  syncFolder(dir);
}

function syncedWrite(path: string, text: string): void {
  const fd = openSync(path, "w");
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsync of a folder, which makes a rename in it durable (Windows cannot open a folder for it, and needs no such step). */
function syncFolder(dir: string): void {
  if (process.platform === "win32") return;
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** What every printed form of a quarantine entry starts with (quarantine.jsonl, `dsx usage quarantine list --json`). */
export function quarantineEntryFields(q: StoredQuarantine): Record<string, unknown> {
  return { id: q.id, file: q.file, line: q.line, reason: q.reason, detail: q.detail, raw: q.raw, ...q.extra };
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
      ...quarantineEntryFields(q),
      ...(q.candidate ? { candidate: q.candidate } : {}),
      ...(decision ? { decision } : {}),
    });
  });
  writeFileAtomic(path, lines.length === 0 ? "" : `${lines.join("\n")}\n`);
  return path;
}
