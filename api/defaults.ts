// The defaults of settings that are both configurable (api/config.ts, SERVICES §1) and applied by the modules
// themselves when a caller passes none: one home, with no imports, so the settings' schema can name them without
// loading the modules.

/** `payment.due_soon` goes out, and `dsx_agreements_due_soon` counts, this long before a due date: 3 days. */
export const DEFAULT_DUE_SOON_SECONDS = 3 * 86_400;

/** Webhook delivery (docs/webhooks.md). */
export const WEBHOOK_DEFAULTS = {
  /** Deliveries in flight at once. */
  concurrency: 4,
  /** One attempt's time limit. */
  timeoutMs: 10_000,
  /** 10 s, 20 s, 40 s, … doubling up to an hour between attempts (before jitter), for 3 days: about 100 attempts. */
  retry: { baseDelayMs: 10_000, maxDelayMs: 3_600_000, retryForMs: 3 * 86_400_000 },
  /** Finished deliveries are kept 30 days, then deleted by the lease holder. */
  retentionMs: 30 * 86_400_000,
} as const;
