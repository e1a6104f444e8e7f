// The signature of a delivery (SERVICES §4): Stripe's scheme, so existing verifiers work —
// `DSX-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
import { createHmac } from "node:crypto";

/** The request header that carries the signature. */
export const SIGNATURE_HEADER = "DSX-Signature";
/** The request header that carries the notification's stable id (the receiver's idempotency key). */
export const EVENT_ID_HEADER = "DSX-Event-Id";

/**
 * The `DSX-Signature` value of `body` sent at `timestamp` (unix seconds).
 * @example signatureHeader("whsec_…", '{"id":"evt_…"}', 1767225600) // "t=1767225600,v1=5f0c…"
 */
export function signatureHeader(secret: string, body: string, timestamp: number): string {
  const v1 = createHmac("sha256", secret).update(`${timestamp}.${body}`, "utf8").digest("hex");
  return `t=${timestamp},v1=${v1}`;
}
