// `dsx webhooks list | deliveries | redeliver | test` (SERVICES §4 "Notifications", §6): an operator's view of the
// webhook subscriptions and the outbox in the index database, replays, and a signed test delivery.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { nodeChainIdOf } from "../../sdk/context";
import { DsxError, isoTime, ValidationError } from "../../sdk/errors";
import { commandOf, leaf } from "../command";
import { emit, type Io } from "../io";
import { chainIdOption, globals, parseInt32 } from "../options";
import type { DatabaseHandle } from "../../api/db/database";
import type { DeliveryStatus } from "../../api/webhooks/schema";
import type { Delivery } from "../../api/webhooks/outbox";
import type { Subscription } from "../../api/webhooks/subscriptions";

/* eslint-disable @typescript-eslint/no-require-imports -- the API's modules (Kysely, PGlite) load when a command runs */
const outbox = () => require("../../api/webhooks/outbox") as typeof import("../../api/webhooks/outbox");
const subscriptionsModule = () => require("../../api/webhooks/subscriptions") as typeof import("../../api/webhooks/subscriptions");
/* eslint-enable @typescript-eslint/no-require-imports */

interface IndexOptions {
  databaseUrl?: string;
  dataDir?: string;
}

const STATUSES: readonly DeliveryStatus[] = ["pending", "delivered", "failed"];

function withIndexOptions(cmd: Command): Command {
  return cmd
    .option("--database-url <url>", "the index's PostgreSQL (default DATABASE_URL)")
    .option("--data-dir <dir>", "the index's PGlite folder (default DSX_API_DATA_DIR or .dsx/index)");
}

function withFileOption(cmd: Command): Command {
  return cmd.option("--file <file>", "the subscriptions file (default DSX_API_WEBHOOKS_FILE)");
}

/** Opens the index database the way `dsx api` does; a PGlite folder must exist and not be open in another process. */
async function openIndex(o: IndexOptions): Promise<DatabaseHandle> {
  if (o.databaseUrl !== undefined && o.dataDir !== undefined) {
    throw new ValidationError("--database-url and --data-dir name two different databases.", {
      fix: "Give one: --database-url for PostgreSQL, --data-dir for the embedded PGlite folder.",
    });
  }
  const databaseUrl = o.dataDir === undefined ? (o.databaseUrl ?? (process.env.DATABASE_URL || undefined)) : undefined;
  const dataDir = o.dataDir ?? (process.env.DSX_API_DATA_DIR || ".dsx/index");
  if (!databaseUrl) {
    if (!existsSync(join(dataDir, "PG_VERSION"))) {
      throw new ValidationError(`No index database in ${dataDir}.`, {
        fix: "Give the API's folder with --data-dir (or DSX_API_DATA_DIR), or its PostgreSQL with --database-url (or DATABASE_URL).",
      });
    }
    if (existsSync(join(dataDir, "postmaster.pid"))) {
      throw new ValidationError(`The PGlite index in ${dataDir} is open in another process (the API?); PGlite serves one process at a time.`, {
        fix: `Stop the API first, or run the index on PostgreSQL (DATABASE_URL). If no process has it open (one was killed), delete ${join(dataDir, "postmaster.pid")}.`,
      });
    }
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs (above)
  const { openDatabase } = require("../../api/db/database") as typeof import("../../api/db/database");
  return openDatabase({ databaseUrl, dataDir, poolSize: 2 });
}

async function withIndex<T>(o: IndexOptions, fn: (handle: DatabaseHandle) => Promise<T>): Promise<T> {
  const handle = await openIndex(o);
  try {
    return await fn(handle);
  } finally {
    await handle.close();
  }
}

function readSubscriptions(file: string | undefined): { file: string; subscriptions: Subscription[] } {
  const path = file ?? (process.env.DSX_API_WEBHOOKS_FILE || undefined);
  if (!path) {
    throw new ValidationError("No subscriptions file.", { fix: "Give it with --file, or set DSX_API_WEBHOOKS_FILE as for the API." });
  }
  return { file: path, subscriptions: subscriptionsModule().loadSubscriptions(path) };
}

/** A delivery as printed (`--json`): times ISO 8601, no internals. */
function deliveryJson(d: Delivery) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: d.id,
    eventId: d.notification_id,
    subscription: d.subscription_id,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.status === "pending" ? iso(d.next_attempt_at) : null,
    lastStatus: d.last_status,
    lastError: d.last_error,
    lastAttemptAt: iso(d.last_attempt_at),
    deliveredAt: iso(d.delivered_at),
    createdAt: iso(d.created_at),
  };
}

function deliveryLine(d: Delivery): string {
  const j = deliveryJson(d);
  const last = j.lastStatus !== null ? `HTTP ${j.lastStatus}` : (j.lastError ?? "not tried yet");
  const when = d.status === "delivered" ? `delivered ${j.deliveredAt}` : d.status === "pending" ? `next ${j.nextAttemptAt}` : `failed, last ${j.lastAttemptAt}`;
  return `#${d.id} ${d.notification_id} → ${d.subscription_id}: ${d.status}, ${d.attempts} attempt${d.attempts === 1 ? "" : "s"} (${last}), ${when}`;
}

export function webhooksCommand(io: Io): Command {
  const webhooks = new Command("webhooks").description("webhook subscriptions and their deliveries: list, inspect, redeliver, test (docs/webhooks.md)");

  withIndexOptions(
    withFileOption(
      leaf(webhooks, "list", "list the subscriptions of the file with their deliveries by status (secrets are never shown)", [
        "dsx webhooks list --file webhooks.json",
        "DATABASE_URL=postgres://dsx@db/dsx dsx webhooks list --json",
      ]),
    ),
  )
    .option("--no-counts", "do not open the index database (the file only)")
    .action(async (o: IndexOptions & { file?: string; counts: boolean }, ...rest: unknown[]) => {
      const cmd = commandOf(rest);
      const { file, subscriptions } = readSubscriptions(o.file);
      const counts = new Map<string, Record<DeliveryStatus, number>>();
      if (o.counts) {
        await withIndex(o, async ({ db }) => {
          const rows = await db
            .selectFrom("webhook_deliveries")
            .select(["subscription_id", "status", (eb) => eb.fn.countAll<string>().as("n")])
            .groupBy(["subscription_id", "status"])
            .execute();
          for (const r of rows) {
            const c = counts.get(r.subscription_id) ?? { pending: 0, delivered: 0, failed: 0 };
            c[r.status] = Number(r.n);
            counts.set(r.subscription_id, c);
          }
        });
      }
      const list = subscriptions.map((s) => ({
        id: s.id,
        url: s.url,
        enabled: s.enabled,
        events: s.events,
        agreements: s.agreements ?? null,
        addresses: s.addresses ?? null,
        deliveries: o.counts ? (counts.get(s.id) ?? { pending: 0, delivered: 0, failed: 0 }) : undefined,
      }));
      const human = [
        `${list.length} subscription${list.length === 1 ? "" : "s"} in ${file}`,
        ...list.map((s) => {
          const filters = [s.agreements && `agreements ${s.agreements.join(",")}`, s.addresses && `addresses ${s.addresses.join(",")}`].filter(Boolean).join("; ");
          const d = s.deliveries ? `; ${STATUSES.map((k) => `${s.deliveries![k]} ${k}`).join(", ")}` : "";
          return `  ${s.id}${s.enabled ? "" : " (disabled)"}: ${s.url} — ${s.events.join(", ")}${filters ? ` (${filters})` : ""}${d}`;
        }),
      ];
      emit(io, globals(cmd).json, { command: "webhooks list", file, subscriptions: list }, human);
    });

  withIndexOptions(
    leaf(webhooks, "deliveries", "list deliveries from the outbox, newest first", [
      "dsx webhooks deliveries --status failed",
      "dsx webhooks deliveries --subscription treasury-ops --limit 200 --json",
      "dsx webhooks deliveries --event evt_3f1c…",
    ]),
  )
    .option("--status <status>", `only deliveries in this status (${STATUSES.join(", ")})`)
    .option("--subscription <id>", "only this subscription's")
    .option("--event <evt_id>", "only this notification's")
    .option("--limit <n>", "at most this many (1..10000, default 50)")
    .action(async (o: IndexOptions & { status?: string; subscription?: string; event?: string; limit?: string }, ...rest: unknown[]) => {
      const cmd = commandOf(rest);
      if (o.status !== undefined && !STATUSES.includes(o.status as DeliveryStatus)) {
        throw new ValidationError(`--status ${JSON.stringify(o.status)} is not a delivery status.`, { fix: `Give one of ${STATUSES.join(", ")}.` });
      }
      const limit = o.limit === undefined ? 50 : parseInt32(o.limit, "--limit", 1, 10_000);
      const rows = await withIndex(o, ({ db }) =>
        outbox().listDeliveries(db, { status: o.status as DeliveryStatus | undefined, subscriptionId: o.subscription, notificationId: o.event, limit }),
      );
      emit(io, globals(cmd).json, { command: "webhooks deliveries", deliveries: rows.map(deliveryJson) }, rows.length === 0 ? "no deliveries" : rows.map(deliveryLine));
    });

  withIndexOptions(
    leaf(
      webhooks,
      "redeliver <id>",
      "queue a delivery again, due now with a fresh retry window: a delivery id (#12), or an event id (evt_…) for all its deliveries",
      ["dsx webhooks redeliver 12", "dsx webhooks redeliver evt_3f1c… --subscription treasury-ops"],
      "The running API (the process holding the indexer's lease) sends it within a poll interval, with the same event id.",
    ),
  )
    .option("--subscription <id>", "with an event id: only to this subscription (added if it had no delivery of that event)")
    .action(async (id: string, o: IndexOptions & { subscription?: string }, ...rest: unknown[]) => {
      const cmd = commandOf(rest);
      const target = /^#?\d{1,15}$/.test(id)
        ? { deliveryId: Number(id.replace("#", "")) }
        : /^evt_[0-9a-f]{64}$/.test(id)
          ? { notificationId: id, subscriptionId: o.subscription }
          : undefined;
      if (!target) throw new ValidationError(`${JSON.stringify(id)} is neither a delivery id nor an event id.`, { fix: 'Give a delivery id (e.g. 12) or an event id ("evt_" and 64 hex digits), as `dsx webhooks deliveries` lists them.' });
      if ("deliveryId" in target && o.subscription !== undefined) {
        throw new ValidationError("--subscription goes with an event id, not a delivery id.", { fix: "Drop --subscription, or give the event id (evt_…)." });
      }
      const queued = await withIndex(o, ({ db }) => outbox().redeliver(db, target, Date.now()));
      if (queued.length === 0) {
        throw new ValidationError(`No delivery matches ${id}${o.subscription ? ` for subscription ${o.subscription}` : ""}.`, {
          fix: "List them with `dsx webhooks deliveries` (an event id with --subscription needs the event in the index).",
        });
      }
      emit(io, globals(cmd).json, { command: "webhooks redeliver", deliveries: queued.map(deliveryJson) }, [
        `queued again (the API sends ${queued.length === 1 ? "it" : "them"} within a poll interval):`,
        ...queued.map((d) => `  ${deliveryLine(d)}`),
      ]);
    });

  withFileOption(
    leaf(webhooks, "test <subscriptionId>", "send a signed `webhook.test` event to a subscription now and show its answer (not recorded in the outbox)", [
      "dsx webhooks test treasury-ops --file webhooks.json",
    ]),
  )
    .option("--timeout <ms>", "how long to wait for the answer (default 10000)")
    .action(async (subscriptionId: string, o: { file?: string; timeout?: string }, ...rest: unknown[]) => {
      const cmd = commandOf(rest);
      const g = globals(cmd);
      const { file, subscriptions } = readSubscriptions(o.file);
      const subscription = subscriptions.find((s) => s.id === subscriptionId);
      if (!subscription) {
        throw new ValidationError(`No subscription "${subscriptionId}" in ${file}.`, { fix: `Give one of: ${subscriptions.map((s) => s.id).join(", ") || "(the file has none)"}.` });
      }
      const timeoutMs = o.timeout === undefined ? 10_000 : parseInt32(o.timeout, "--timeout", 100, 600_000);
      const chainId = chainIdOption(g.chainId) ?? (await nodeChainIdOf(g.rpcUrl));
      const id = `evt_test_${randomBytes(16).toString("hex")}`;
      const created = Math.floor(Date.now() / 1000);
      const body = JSON.stringify({ id, type: "webhook.test", created: isoTime(created), chainId, data: { subscription: subscription.id, message: "a test delivery from dsx webhooks test" } });
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs (above)
      const { postWebhook } = require("../../api/webhooks/delivery") as typeof import("../../api/webhooks/delivery");
      const outcome = await postWebhook(subscription, body, id, timeoutMs);
      if (!outcome.ok) {
        throw new DsxError(`${subscription.url} answered the test event ${id} with ${outcome.status !== undefined ? `HTTP ${outcome.status}` : outcome.error}.`, {
          fix: "Check the receiver is up, answers 2xx and verifies with this subscription's secret (docs/webhooks.md \"Verifying a delivery\").",
        });
      }
      emit(io, g.json, { command: "webhooks test", subscription: subscription.id, url: subscription.url, eventId: id, status: outcome.status }, `${subscription.url} answered HTTP ${outcome.status} to the test event ${id}`);
    });

  return webhooks;
}
