// Dispute reason texts, content-addressed: a text is stored only under its own keccak256, and only when that hash
// is the reason of an indexed dispute (usage: `usage_disputes`; revenue: the `revenue.disputed` notification).
import type { Kysely } from "kysely";
import { reasonHash } from "../../sdk/values";
import type { Database } from "../db/schema";

import { MAX_REASON_BYTES } from "./limits";

export { MAX_REASON_BYTES };

/** keccak256 of `text`'s UTF-8 bytes, lower-case: the `reasonHash` the CLI, the page and the SDK put on chain. */
export const reasonHashOf = (text: string): string => reasonHash(text).toLowerCase();

/** Why a text was refused (the route turns each into a problem with its fix). */
export type ReasonRefusal =
  | { kind: "too-long"; bytes: number }
  | { kind: "hash-mismatch"; actual: string }
  | { kind: "no-dispute" }
  | { kind: "conflict" };

/** A stored reason. */
export interface StoredReason {
  hash: string;
  text: string;
  storedAt: Date;
}

/** Whether `hash` is the reason of a usage or revenue dispute in the index. */
export async function isDisputeReason(db: Kysely<Database>, hash: string): Promise<boolean> {
  const usage = await db.selectFrom("usage_disputes").select("batch_id").where("reason_hash", "=", hash).limit(1).executeTakeFirst();
  if (usage) return true;
  const period = await db.selectFrom("revenue_periods").select("agreement_id").where("dispute_reason_hash", "=", hash).limit(1).executeTakeFirst();
  if (period) return true;
  // a period keeps the reason of its dispute since the latest report; an earlier one's is in its notification's `data`
  const revenue = await db
    .selectFrom("notifications")
    .select("seq")
    .where("type", "=", "revenue.disputed")
    .where("data", "like", `%"reasonHash":"${hash}"%`)
    .limit(1)
    .executeTakeFirst();
  return revenue !== undefined;
}

/**
 * Stores `text` under `hash` (lower-case). Idempotent: the same text again answers `created: false`.
 * @example await storeReason(db, reasonHashOf("too many GPU-hours"), "too many GPU-hours")
 */
export async function storeReason(
  db: Kysely<Database>,
  hash: string,
  text: string,
): Promise<{ ok: true; created: boolean; reason: StoredReason } | { ok: false; refusal: ReasonRefusal }> {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > MAX_REASON_BYTES) return { ok: false, refusal: { kind: "too-long", bytes } };
  const actual = reasonHashOf(text);
  if (actual !== hash) return { ok: false, refusal: { kind: "hash-mismatch", actual } };
  const existing = await getReason(db, hash);
  if (existing) return existing.text === text ? { ok: true, created: false, reason: existing } : { ok: false, refusal: { kind: "conflict" } };
  if (!(await isDisputeReason(db, hash))) return { ok: false, refusal: { kind: "no-dispute" } };
  await db.insertInto("dispute_reasons").values({ hash, text, stored_at: Date.now() }).onConflict((oc) => oc.column("hash").doNothing()).execute();
  const stored = (await getReason(db, hash))!;
  return stored.text === text ? { ok: true, created: true, reason: stored } : { ok: false, refusal: { kind: "conflict" } };
}

/** The stored text of `hash`, if any. */
export async function getReason(db: Kysely<Database>, hash: string): Promise<StoredReason | undefined> {
  const row = await db.selectFrom("dispute_reasons").selectAll().where("hash", "=", hash).executeTakeFirst();
  return row && { hash: row.hash, text: row.text, storedAt: new Date(Number(row.stored_at)) };
}
