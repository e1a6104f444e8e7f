// Webhook subscriptions (SERVICES §4 "Notifications"), read from a JSON file: where to POST, with which secret,
// for which notification types, agreements and addresses. Validated with zod; a bad file stops the start with one
// line naming the subscription, the field and the fix.
import { z } from "zod";
import { parseJsonFile } from "../../sdk/config";
import { ConfigError } from "../../sdk/errors";
import { NOTIFICATION_TYPES } from "../notifications/types";

const FAMILIES = new Set(NOTIFICATION_TYPES.map((t) => t.split(".")[0]));

const eventPattern = z.string().refine((s) => s === "*" || (NOTIFICATION_TYPES as readonly string[]).includes(s) || (s.endsWith(".*") && FAMILIES.has(s.slice(0, -2))), {
  error: (issue) =>
    `unknown notification type ${JSON.stringify(issue.input)}: use "*", a family such as "usage.*", or one of ${NOTIFICATION_TYPES.join(", ")}`,
});

const subscriptionSchema = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, { error: 'expected 1–64 letters, digits, "_", "." or "-", e.g. "treasury-ops"' }),
    url: z.url({ protocol: /^https?$/, error: "expected an http(s) URL, e.g. https://hooks.example.com/dsx" }),
    /** The signing secret itself (prefer `secretEnv`: a file in a repository should not hold it). */
    secret: z.string().min(16, { error: "expected at least 16 characters (e.g. `openssl rand -hex 32`)" }).optional(),
    /** The environment variable holding the secret. */
    secretEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "expected an environment variable name, e.g. DSX_WEBHOOK_SECRET_OPS" }).optional(),
    events: z.array(eventPattern).min(1, { error: 'expected at least one type; "*" means all' }).default(["*"]),
    /** Only notifications about these agreements (decimal ids) or these addresses (either matches). */
    agreements: z.array(z.string().regex(/^(0|[1-9][0-9]{0,77})$/, { error: "expected a decimal agreement id, e.g. \"3\"" })).optional(),
    addresses: z.array(z.string().regex(/^0x[0-9a-fA-F]{40}$/, { error: "expected a 0x-prefixed 20-byte address" })).optional(),
    enabled: z.boolean().default(true),
  })
  .refine((s) => (s.secret === undefined) !== (s.secretEnv === undefined), {
    error: 'give exactly one of "secret" and "secretEnv" (the name of an environment variable holding the secret)',
    path: ["secret"],
  });

export const subscriptionsFileSchema = z
  .strictObject({ subscriptions: z.array(subscriptionSchema) })
  .refine((f) => new Set(f.subscriptions.map((s) => s.id)).size === f.subscriptions.length, {
    error: "two subscriptions share an id: give each its own",
    path: ["subscriptions"],
  });

/** A subscription as the outbox uses it: the secret resolved, the filters normalised. */
export interface Subscription {
  id: string;
  url: string;
  secret: string;
  /** Exact types, families ("usage.*") or "*". */
  events: readonly string[];
  /** Decimal agreement ids; undefined: any. */
  agreements?: readonly string[];
  /** Lower-case addresses; undefined: any. */
  addresses?: readonly string[];
  enabled: boolean;
}

/** What a subscription filters on: a notification's type, agreement and the addresses it concerns. */
export interface NotificationFacts {
  type: string;
  agreement_id: string | null;
  /** JSON array of lower-case addresses, as stored. */
  addresses: string;
  /** It concerns everyone: every address filter matches it. */
  broadcast: boolean;
}

/**
 * Whether `subscription` receives `notification`: its type is listed (or its family, or "*"), and when the
 * subscription names agreements or addresses, the notification concerns one of them (a broadcast one, such as a
 * revenue signer change, concerns every address).
 */
export function subscribes(subscription: Subscription, notification: NotificationFacts): boolean {
  if (!subscription.enabled) return false;
  const { type } = notification;
  const family = `${type.split(".")[0]}.*`;
  if (!subscription.events.some((e) => e === "*" || e === type || e === family)) return false;
  if (subscription.agreements === undefined && subscription.addresses === undefined) return true;
  if (notification.agreement_id !== null && subscription.agreements?.includes(notification.agreement_id)) return true;
  if (subscription.addresses) {
    if (notification.broadcast) return true;
    const addresses = (JSON.parse(notification.addresses) as string[]).map((a) => a.toLowerCase());
    return addresses.some((a) => subscription.addresses!.includes(a));
  }
  return false;
}

/**
 * Reads and validates the subscriptions file; `secretEnv` names are looked up in `environment`.
 * @throws ConfigError naming the file, the subscription field and the fix.
 * @example const subscriptions = loadSubscriptions("webhooks.json");
 */
export function loadSubscriptions(file: string, environment: Readonly<Record<string, string | undefined>> = process.env): Subscription[] {
  const parsed = parseJsonFile(subscriptionsFileSchema, file, 'Create it (docs/webhooks.md "Subscriptions") or correct DSX_API_WEBHOOKS_FILE.');
  return parsed.subscriptions.map((s, i) => {
    let secret = s.secret;
    if (s.secretEnv !== undefined) {
      secret = environment[s.secretEnv];
      if (!secret) {
        throw new ConfigError(`subscriptions.${i}.secretEnv`, `Subscription "${s.id}" in ${file} reads its secret from ${s.secretEnv}, which is not set.`, {
          fix: `Set ${s.secretEnv} in the API's environment (e.g. to the output of \`openssl rand -hex 32\`).`,
        });
      }
    }
    return {
      id: s.id,
      url: s.url,
      secret: secret!,
      events: s.events,
      agreements: s.agreements,
      addresses: s.addresses?.map((a) => a.toLowerCase()),
      enabled: s.enabled,
    };
  });
}
