// The webhook figures for Prometheus (SERVICES §7): the outbox's depth by status (read from the database at each
// scrape, so every API process reports the shared queue) and this process's attempts and failures.
import { Counter, Gauge, type Registry } from "prom-client";
import type { Kysely } from "kysely";
import type { Database } from "../db/schema";
import type { WebhookCounters } from "./delivery";
import { countByStatus } from "./outbox";

/**
 * Registers `dsx_webhook_deliveries{status}` (the outbox by status) and, when this process delivers,
 * `dsx_webhook_attempts_total`, `dsx_webhook_failures_total` (attempts without a 2xx answer) and
 * `dsx_webhook_exhausted_total` (deliveries given up after the retry window).
 * @example registerWebhookMetrics(registry, db, () => delivery.metrics);
 */
export function registerWebhookMetrics(registry: Registry, db: Kysely<Database>, counters?: () => Readonly<WebhookCounters>): void {
  new Gauge({
    name: "dsx_webhook_deliveries",
    help: "Webhook deliveries in the outbox by status (pending, delivered, failed)",
    labelNames: ["status"] as const,
    registers: [registry],
    async collect() {
      for (const [status, n] of Object.entries(await countByStatus(db))) this.set({ status }, n);
    },
  });
  if (!counters) return;
  const counter = (name: string, help: string, read: (c: Readonly<WebhookCounters>) => number) => {
    let seen = 0;
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        // the loop keeps the totals; the counter goes up by the increase since the last scrape
        const total = read(counters());
        if (total > seen) this.inc(total - seen);
        seen = total;
      },
    });
  };
  counter("dsx_webhook_attempts_total", "Webhook delivery attempts made by this process", (c) => c.attempts);
  counter("dsx_webhook_failures_total", "Webhook attempts without a 2xx answer (error status, timeout, refused connection)", (c) => c.failedAttempts);
  counter("dsx_webhook_exhausted_total", "Webhook deliveries given up after the retry window (status failed)", (c) => c.exhausted);
}
