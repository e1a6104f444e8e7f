// The startups' Stripe itemized balance reports (SERVICES §3): charges, refunds, disputes, failures, fees and
// payouts over October and November 2026, written as Stripe's CSV.
import { at, isoOf, type StartupSpec } from "../../demo/program";
import { csvLine, wallClock } from "./format";
import { Rng } from "./random";

const STRIPE_COLUMNS = [
  "balance_transaction_id",
  "created_utc",
  "created",
  "available_on_utc",
  "available_on",
  "currency",
  "gross",
  "fee",
  "net",
  "reporting_category",
  "source_id",
  "description",
  "customer_facing_amount",
  "customer_facing_currency",
  "automatic_payout_id",
  "customer_id",
  "customer_email",
  "invoice_id",
  "payment_method_type",
  "card_brand",
  "dispute_reason",
] as const;

/** One balance transaction of a Stripe report (amounts in cents). */
export interface StripeRow {
  id: string;
  created: number;
  availableOn: number;
  currency: string;
  /** Cents, signed. */
  gross: number;
  fee: number;
  category: string;
  sourceId: string;
  description: string;
  customerId: string;
  customerEmail: string;
  invoiceId: string;
  method: string;
  brand: string;
  disputeReason: string;
  payoutId?: string;
}

const money = (cents: number) => `${cents < 0 ? "-" : ""}${Math.floor(Math.abs(cents) / 100)}.${String(Math.abs(cents) % 100).padStart(2, "0")}`;

/** Stripe's US pricing: cards 2.9 % + 30 ¢; ACH debits 0.8 % capped at 5 $. */
function feeOf(cents: number, method: string): number {
  if (method === "us_bank_account") return Math.min(Math.floor((cents * 8 + 500) / 1000), 500);
  return Math.floor((cents * 29 + 500) / 1000) + 30;
}

interface Customer {
  id: string;
  email: string;
}

interface RevenueProfile {
  startup: string;
  invoicePrefix: string;
  customers: number;
  domainWords: readonly string[];
  /** [count range, amount range in dollars, step in cents] per product line. */
  lines: readonly { name: string; count: [number, number]; dollars: [number, number]; stepCents: number; ach: number }[];
  refundsPerMonth: [number, number];
}

const REVENUE_PROFILES: Record<string, RevenueProfile> = {
  "helix-labs": {
    startup: "helix-labs",
    invoicePrefix: "HLX",
    customers: 60,
    domainWords: ["genomics", "biotech", "therapeutics", "labs", "bio"],
    lines: [
      { name: "Enterprise API", count: [8, 11], dollars: [2_500, 11_000], stepCents: 5_000, ach: 500 },
      { name: "Team plan", count: [55, 70], dollars: [499, 499], stepCents: 100, ach: 0 },
      { name: "Starter plan", count: [40, 55], dollars: [99, 99], stepCents: 100, ach: 0 },
      { name: "API overage", count: [30, 40], dollars: [12, 900], stepCents: 1, ach: 0 },
    ],
    refundsPerMonth: [2, 4],
  },
  "quill-ai": {
    startup: "quill-ai",
    invoicePrefix: "QUI",
    customers: 260,
    domainWords: ["mail", "writers", "studio", "media", "press", "agency"],
    lines: [
      { name: "Quill Plus", count: [210, 240], dollars: [20, 20], stepCents: 100, ach: 0 },
      { name: "Quill Pro", count: [95, 115], dollars: [200, 200], stepCents: 100, ach: 0 },
      { name: "Quill Teams", count: [14, 18], dollars: [1_800, 7_500], stepCents: 10_000, ach: 600 },
    ],
    refundsPerMonth: [6, 9],
  },
  tessellate: {
    startup: "tessellate",
    invoicePrefix: "TSR",
    customers: 14,
    domainWords: ["robotics", "automation", "logistics", "motors"],
    lines: [{ name: "Simulation seats", count: [9, 12], dollars: [900, 4_800], stepCents: 5_000, ach: 700 }],
    refundsPerMonth: [0, 1],
  },
};

function customersOf(rng: Rng, profile: RevenueProfile): Customer[] {
  const out: Customer[] = [];
  for (let i = 0; i < profile.customers; i++) {
    const company = `${rng.pick(["north", "blue", "bright", "open", "quant", "atlas", "river", "nova", "delta", "summit", "maple", "harbor"])}${rng.pick(profile.domainWords)}`;
    out.push({ id: `cus_${rng.base62(14)}`, email: `${rng.pick(["billing", "finance", "ap", "ops", "accounts"])}@${company}.example` });
  }
  return out;
}

/** The revenue rows of one startup over October and November 2026 (UTC), plus payouts and Stripe's own fees. */
export function generateStripeRows(startup: StartupSpec): StripeRow[] {
  const profile = REVENUE_PROFILES[startup.key];
  const rng = new Rng(`stripe/${startup.key}`);
  const customers = customersOf(rng, profile);
  const rows: StripeRow[] = [];
  let invoiceNo = 1000 + rng.int(0, 400);
  const months = [
    { from: Number(at("2026-10-01T00:00:00Z")), to: Number(at("2026-11-01T00:00:00Z")) },
    { from: Number(at("2026-11-01T00:00:00Z")), to: Number(at("2026-12-01T00:00:00Z")) },
  ];
  const charges: StripeRow[] = [];
  for (const month of months) {
    for (const line of profile.lines) {
      const count = rng.int(line.count[0], line.count[1]);
      for (let i = 0; i < count; i++) {
        const created = month.from + rng.int(0, month.to - month.from - 1);
        const steps = Math.floor(((line.dollars[1] - line.dollars[0]) * 100) / line.stepCents);
        const cents = line.dollars[0] * 100 + rng.int(0, steps) * line.stepCents;
        const ach = rng.chance(line.ach);
        const method = ach ? "us_bank_account" : "card";
        const customer = rng.pick(customers);
        invoiceNo += 1;
        const invoice = `${profile.invoicePrefix}-${invoiceNo}`;
        const description =
          line.name === "Quill Teams" && rng.chance(300) ? `Invoice ${invoice}, "${line.name}" annual seats` : `Invoice ${invoice} (${line.name})`;
        const row: StripeRow = {
          id: `txn_3Q${rng.base62(22)}`,
          created,
          availableOn: created + (ach ? 4 : 2) * 86_400,
          currency: "usd",
          gross: cents,
          fee: feeOf(cents, method),
          category: "charge",
          sourceId: `${ach ? "py" : "ch"}_3Q${rng.base62(22)}`,
          description,
          customerId: customer.id,
          customerEmail: customer.email,
          invoiceId: `in_1Q${rng.base62(22)}`,
          method,
          brand: ach ? "" : rng.weighted([["visa", 55], ["mastercard", 30], ["amex", 15]] as const),
          disputeReason: "",
        };
        rows.push(row);
        charges.push(row);
      }
    }
    // refunds of earlier charges (fee 0: Stripe keeps its fee)
    const refunds = rng.int(profile.refundsPerMonth[0], profile.refundsPerMonth[1]);
    for (let i = 0; i < refunds; i++) {
      const of = rng.pick(charges.filter((c) => c.method === "card" && c.created < month.to - 86_400));
      const created = Math.max(of.created + 3600, month.from) + rng.int(0, 86_400 * 5);
      if (created >= month.to) continue;
      const cents = rng.chance(700) ? of.gross : Math.floor(of.gross / 2);
      rows.push({ ...of, id: `txn_3Q${rng.base62(22)}`, created, availableOn: created, gross: -cents, fee: 0, category: "refund", sourceId: `re_3Q${rng.base62(22)}`, description: `REFUND FOR CHARGE (${of.description.split(" (")[0].split(",")[0]})`, brand: of.brand });
    }
  }

  // The story's special rows: a chargeback lost and won back, a failed ACH debit, a failed refund,
  // an uncaptured amount released; Stripe's own fees and the payouts (not revenue).
  const special = (created: string, base: StripeRow, change: Partial<StripeRow>) => {
    const t = Number(at(created));
    rows.push({ ...base, id: `txn_3Q${rng.base62(22)}`, created: t, availableOn: t, ...change });
  };
  const card = charges.find((c) => c.method === "card" && c.created < Number(at("2026-10-10T00:00:00Z")))!;
  const achCharge = charges.find((c) => c.method === "us_bank_account" && c.created >= Number(at("2026-11-01T00:00:00Z")) && c.created < Number(at("2026-11-20T00:00:00Z")));
  const dispute = `dp_1Q${rng.base62(22)}`;
  special("2026-10-14T16:45:00Z", card, { gross: -card.gross, fee: 1_500, category: "dispute", sourceId: dispute, description: `Chargeback withdrawal for ${card.sourceId}`, disputeReason: "fraudulent" });
  special("2026-11-09T10:00:00Z", card, { gross: card.gross, fee: -1_500, category: "dispute_reversal", sourceId: dispute, description: `Chargeback won for ${card.sourceId}`, disputeReason: "fraudulent" });
  if (achCharge) {
    special(isoOf(BigInt(achCharge.created + 4 * 86_400)), achCharge, { gross: -achCharge.gross, fee: 0, category: "charge_failure", description: "ACH payment failed: insufficient funds" });
  }
  const refunded = rows.find((r) => r.category === "refund" && r.created < Number(at("2026-10-25T00:00:00Z")));
  if (refunded) {
    special(isoOf(BigInt(refunded.created + 3 * 86_400)), refunded, { gross: -refunded.gross, fee: 0, category: "refund_failure", description: `REFUND FAILURE (${refunded.description.replace("REFUND FOR CHARGE (", "").replace(")", "")})` });
  }
  const uncaptured = charges.find((c) => c.method === "card" && c.gross >= 20_000 && c.created > Number(at("2026-11-02T00:00:00Z")));
  if (uncaptured) {
    special(isoOf(BigInt(uncaptured.created + 2 * 86_400)), uncaptured, { gross: -Math.floor(uncaptured.gross / 10), fee: 0, category: "partial_capture_reversal", description: "Uncaptured amount released" });
  }
  if (startup.key === "tessellate") {
    // a European customer paid in EUR into the EUR balance: the oracle converts it at the rate of its date (fx-rates.csv)
    special("2026-11-18T09:30:00Z", charges[0], { currency: "eur", gross: 180_000, fee: feeOf(180_000, "card") + 2_700, category: "charge", sourceId: `ch_3Q${rng.base62(22)}`, description: `Invoice ${profile.invoicePrefix}-EU-0007 (Simulation seats, EUR)`, brand: "visa", method: "card" });
  }
  for (const month of months) {
    const label = new Date(month.from * 1000).toISOString().slice(0, 7);
    special(isoOf(BigInt(month.to - 86_400 + 3600)), charges[0], {
      gross: -(1_500 + rng.int(0, 4_000)),
      fee: 0,
      category: "fee",
      sourceId: "",
      description: `Billing (${label}): Invoicing and Radar fees`,
      customerId: "",
      customerEmail: "",
      invoiceId: "",
      method: "",
      brand: "",
    });
  }
  rows.sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : 1));

  // weekly automatic payouts (Mondays 02:00 UTC) of what became available since the last one
  const payouts: StripeRow[] = [];
  let paidUpTo = 0;
  for (let t = Number(at("2026-10-05T02:00:00Z")); t < Number(at("2026-12-01T00:00:00Z")); t += 7 * 86_400) {
    const id = `po_1Q${rng.base62(22)}`;
    let sum = 0;
    for (const r of rows) {
      if (r.currency !== "usd" || r.availableOn > t || r.availableOn <= paidUpTo || r.payoutId) continue;
      r.payoutId = id;
      sum += r.gross - r.fee;
    }
    paidUpTo = t;
    if (sum <= 0) continue;
    payouts.push({ id: `txn_1Q${rng.base62(22)}`, created: t, availableOn: t, currency: "usd", gross: -sum, fee: 0, category: "payout", sourceId: id, description: "STRIPE PAYOUT", customerId: "", customerEmail: "", invoiceId: "", method: "", brand: "", disputeReason: "" });
  }
  rows.push(...payouts);
  rows.sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : 1));
  return rows;
}

/** The itemized balance report of `rows`: Stripe's columns, times in UTC and in the account's zone. */
export function stripeCsv(startup: StartupSpec, rows: readonly StripeRow[]): string {
  const tz = startup.stripeTimezone;
  const lines = [STRIPE_COLUMNS.join(",")];
  for (const r of rows) {
    const customerFacing = r.category === "charge" || r.category === "refund";
    lines.push(
      csvLine([
        r.id,
        wallClock(r.created, "UTC", " "),
        wallClock(r.created, tz, " "),
        wallClock(r.availableOn, "UTC", " "),
        wallClock(r.availableOn, tz, " "),
        r.currency,
        money(r.gross),
        money(r.fee),
        money(r.gross - r.fee),
        r.category,
        r.sourceId,
        r.description,
        customerFacing ? money(r.gross) : "",
        customerFacing ? r.currency : "",
        r.payoutId ?? "",
        r.customerId,
        r.customerEmail,
        r.invoiceId,
        r.method,
        r.brand,
        r.disputeReason,
      ]),
    );
  }
  return `${lines.join("\n")}\n`;
}
