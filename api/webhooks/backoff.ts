// When a failed delivery is tried again (SERVICES §4): exponential backoff with jitter, for up to 3 days after the
// notification was enqueued; then the delivery is `failed` (an operator can still redeliver it).
import { WEBHOOK_DEFAULTS } from "../defaults";

/** How a delivery is retried (milliseconds). */
export interface RetryPolicy {
  /** The wait after the first failed attempt, before jitter. */
  baseDelayMs: number;
  /** The longest wait between two attempts, before jitter. */
  maxDelayMs: number;
  /** How long after its creation a delivery is tried; the last attempt falls on this deadline. */
  retryForMs: number;
}

/** 10 s, 20 s, 40 s, … doubling up to an hour between attempts (before jitter), for 3 days (api/defaults.ts). */
export const DEFAULT_RETRY_POLICY: RetryPolicy = WEBHOOK_DEFAULTS.retry;

/**
 * The time of the next attempt after `attempts` failed ones, or undefined when the retry window has passed: the
 * wait doubles from `baseDelayMs` up to `maxDelayMs`, and is drawn between half of it and all of it ("equal
 * jitter": receivers that came back up are not hit by every sender at once). `random` returns [0, 1).
 * @example nextAttemptAt(DEFAULT_RETRY_POLICY, 1, created, Date.now()) // created + 5..10 s
 */
export function nextAttemptAt(policy: RetryPolicy, attempts: number, createdAt: number, now: number, random: () => number = Math.random): number | undefined {
  const deadline = createdAt + policy.retryForMs;
  if (now >= deadline) return undefined;
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempts - 1));
  const wait = Math.round(ceiling / 2 + (random() * ceiling) / 2);
  return Math.min(now + wait, deadline);
}
