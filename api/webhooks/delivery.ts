// Webhook delivery (SERVICES §4 "Notifications"): while this process holds the indexer's writer lease, claims due
// deliveries from the outbox, POSTs each signed body with bounded concurrency and a timeout, and records the
// outcome (2xx: delivered; anything else: the next attempt of the backoff, or failed after 3 days).
import type { Kysely, Transaction } from "kysely";
import type { Logger } from "pino";
import type { Database } from "../db/schema";
import { WEBHOOK_DEFAULTS } from "../defaults";
import type { Indexer } from "../indexer/indexer";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./backoff";
import { claimDue, enqueueDeliveries, notificationsById, pruneFinished, recordOutcome, type AttemptOutcome, type Delivery, type StoredNotification } from "./outbox";
import { deliveryBody } from "./payload";
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signatureHeader } from "./signature";
import type { Subscription } from "./subscriptions";

/** Finished deliveries are kept this long by default (30 days), looked at hourly, deleted 1 000 rows a statement. */
export const DEFAULT_RETENTION_MS = WEBHOOK_DEFAULTS.retentionMs;
const PRUNE_EVERY_MS = 3_600_000;
const PRUNE_BATCH = 1000;

/** The part of the indexer delivery needs: who holds the lease, and when a chunk committed. */
export type LeaseSource = Pick<Indexer, "owner" | "status" | "onLeaseAttempt" | "onCheckpoint">;

export interface WebhookDeliveryOptions {
  db: Kysely<Database>;
  logger: Logger;
  subscriptions: readonly Subscription[];
  /** Delivery runs only while this indexer holds the writer lease. */
  indexer: LeaseSource;
  /** The chain, in every body. */
  chainId: number;
  /** Attempts in flight at most (default 4). */
  concurrency?: number;
  /** An attempt without an answer by then counts as failed (default 10 000 ms). */
  timeoutMs?: number;
  /** Wait between looks at the outbox when nothing is due (default 1000 ms); a committed chunk looks at once. */
  pollIntervalMs?: number;
  retry?: RetryPolicy;
  /**
   * How long finished deliveries (delivered, failed for good) are kept after their last event before the lease holder
   * deletes them, hourly (default 30 days; 0: kept forever). Pending deliveries are never deleted.
   */
  retentionMs?: number;
  /** The clock (unix ms) and the jitter's randomness; injected by tests. */
  now?: () => number;
  random?: () => number;
}

/** Attempts and outcomes since the start, for metrics (monotonic). */
export interface WebhookCounters {
  attempts: number;
  delivered: number;
  /** Attempts answered with a non-2xx status or not at all. */
  failedAttempts: number;
  /** Deliveries given up after the retry window. */
  exhausted: number;
}

/** A running delivery loop. */
export interface WebhookDelivery {
  /** Waits for the attempts in flight (each bounded by its timeout) and stops. */
  stop(): Promise<void>;
  /** Replaces the subscriptions (a reloaded file): new notifications and attempts use them at once. */
  setSubscriptions(subscriptions: readonly Subscription[]): void;
  /** The enqueue step for the notifications' transaction (registered with the notification feed). */
  enqueue(trx: Transaction<Database> | Kysely<Database>, notifications: readonly StoredNotification[]): Promise<number>;
  readonly metrics: Readonly<WebhookCounters>;
}

/**
 * Starts delivering in the background. Register `enqueue` with the notification feed before the indexer starts, so
 * every notification it commits gets its deliveries in the same transaction.
 * @example const delivery = startWebhookDelivery({ db, logger, subscriptions, indexer, chainId: 31337 }); … await delivery.stop();
 */
export function startWebhookDelivery(options: WebhookDeliveryOptions): WebhookDelivery {
  const { db, indexer, chainId } = options;
  const log = options.logger.child({ component: "webhooks" });
  const concurrency = options.concurrency ?? WEBHOOK_DEFAULTS.concurrency;
  const timeoutMs = options.timeoutMs ?? WEBHOOK_DEFAULTS.timeoutMs;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const policy = options.retry ?? DEFAULT_RETRY_POLICY;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
  let prunedAt = -Infinity;
  // held past the timeout by a margin (as long again, at most 5 s) for the outcome's write; a process killed
  // mid-attempt leaves the delivery to be claimed again after it
  const holdMs = timeoutMs + Math.min(timeoutMs, 5_000);
  let subscriptions = new Map(options.subscriptions.map((s) => [s.id, s]));
  const metrics: WebhookCounters = { attempts: 0, delivered: 0, failedAttempts: 0, exhausted: 0 };
  const inFlight = new Set<Promise<void>>();
  let stopping = false;
  let wake: (() => void) | undefined;
  const poke = () => wake?.();
  indexer.onCheckpoint(poke);
  indexer.onLeaseAttempt((held) => {
    if (held) poke();
  });

  async function attempt(delivery: Delivery, notification: StoredNotification | undefined): Promise<void> {
    const subscription = subscriptions.get(delivery.subscription_id);
    let outcome: AttemptOutcome;
    if (!notification) outcome = { ok: false, error: `notification ${delivery.notification_id} is not in the index` };
    else if (!subscription) outcome = { ok: false, error: `subscription ${delivery.subscription_id} is no longer configured` };
    else outcome = await postWebhook(subscription, deliveryBody(notification, chainId), delivery.notification_id, timeoutMs, now);
    metrics.attempts += 1;
    if (outcome.ok) metrics.delivered += 1;
    else metrics.failedAttempts += 1;
    const status = await recordOutcome(db, delivery, outcome, policy, now(), random);
    if (status === "failed") metrics.exhausted += 1;
    const fields = { delivery: delivery.id, event: delivery.notification_id, subscription: delivery.subscription_id, attempt: delivery.attempts };
    if (outcome.ok) log.debug({ ...fields, status: outcome.status }, "webhook delivered");
    else if (status === "failed") log.error({ ...fields, status: outcome.status, error: outcome.error }, "webhook failed for good: the retry window has passed");
    else log.warn({ ...fields, status: outcome.status, error: outcome.error }, "webhook attempt failed; retrying later");
  }

  /** Deletes finished deliveries past the retention, at most hourly, in bounded statements. */
  async function prune(): Promise<void> {
    if (retentionMs <= 0 || now() - prunedAt < PRUNE_EVERY_MS) return;
    prunedAt = now();
    const before = prunedAt - retentionMs;
    let deleted = 0;
    let batch: number;
    do {
      batch = await pruneFinished(db, before, PRUNE_BATCH);
      deleted += batch;
    } while (batch === PRUNE_BATCH && !stopping);
    if (deleted > 0) log.info({ deleted, retentionMs }, "finished webhook deliveries past the retention deleted");
  }

  async function round(): Promise<number> {
    if (!indexer.status().holdsLease) return 0;
    await prune();
    const enabled = [...subscriptions.values()].filter((s) => s.enabled).map((s) => s.id);
    const claimed = await claimDue(db, { owner: indexer.owner, now: now(), limit: concurrency - inFlight.size, holdMs, subscriptionIds: enabled });
    if (claimed.length === 0) return 0;
    const notifications = await notificationsById(db, [...new Set(claimed.map((d) => d.notification_id))]);
    for (const delivery of claimed) {
      const running: Promise<void> = attempt(delivery, notifications.get(delivery.notification_id))
        .catch((err: unknown) => log.error({ err, delivery: delivery.id }, "recording a webhook attempt failed; it is tried again after its hold"))
        .finally(() => {
          inFlight.delete(running);
          poke();
        });
      inFlight.add(running);
    }
    return claimed.length;
  }

  async function run(): Promise<void> {
    let backoff = 250;
    while (!stopping) {
      let claimed: number;
      try {
        claimed = await round();
        backoff = 250;
      } catch (err) {
        log.error({ err }, "claiming webhook deliveries failed; retrying");
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 10_000);
        continue;
      }
      if (claimed === 0 || inFlight.size >= concurrency) await sleep(pollIntervalMs);
    }
  }

  async function sleep(ms: number): Promise<void> {
    if (stopping) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    wake = undefined;
  }

  const loop = run();
  return {
    async stop() {
      stopping = true;
      poke();
      await loop;
      await Promise.all(inFlight);
    },
    setSubscriptions(next) {
      subscriptions = new Map(next.map((s) => [s.id, s]));
      poke();
    },
    enqueue: (trx, notifications) => enqueueDeliveries(trx, notifications, [...subscriptions.values()], now()),
    metrics,
  };
}

/**
 * One signed POST of `body` to the subscription; 2xx is delivered, a redirect is not followed (it counts as a
 * failure, as with Stripe), no answer within `timeoutMs` is a failure.
 * @example await postWebhook(subscription, deliveryBody(n, 31337), n.id, 10_000)
 */
export async function postWebhook(subscription: Subscription, body: string, eventId: string, timeoutMs: number, now: () => number = Date.now): Promise<AttemptOutcome> {
  const timestamp = Math.floor(now() / 1000);
  try {
    const res = await fetch(subscription.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "dsx-webhooks/1",
        [SIGNATURE_HEADER]: signatureHeader(subscription.secret, body, timestamp),
        [EVENT_ID_HEADER]: eventId,
      },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel().catch(() => undefined);
    return res.status >= 200 && res.status < 300 ? { ok: true, status: res.status } : { ok: false, status: res.status };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const reason = e.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
    return { ok: false, error: reason };
  }
}
