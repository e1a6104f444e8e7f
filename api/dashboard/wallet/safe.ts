/// <reference lib="dom" />
// Program and admin actions prepared for a Safe (issue 16): each is simulated as the Safe (`account: <safe>`), its
// refusal decoded with its fix, then added to a batch shown on the page and downloaded as a Safe Transaction Builder
// file (sdk/safeBatchFormat.ts). The page never sends these: the Safe's owners import the file into Safe{Wallet}.
import { getAbiItem, type Abi, type AbiFunction, type Address, type Hex } from "viem";
import { revenueShareLedgerAbi } from "../../../sdk/abis";
import { skuToBytes32 } from "../../../sdk/eip712";
import { termEnd } from "../../../sdk/ledgerRules";
import { newSafeBatch, safeBatchTransaction, type SafeBatchTransaction } from "../../../sdk/safeBatchFormat";
import { formatUnits6 } from "../../../sdk/units";
import { refusalOf, Refusal, type ActionSpec, type Call, type Ctx, type Prepared } from "./actions";
import { apiGet } from "./api";
import { FieldError, parseField } from "./fields";
import { actionForm, type FormHooks } from "./form";
import type { Session } from "./session";
import { h, uid } from "./ui";

/** One call of the batch, with what the page said it does. */
interface BatchEntry {
  title: string;
  lines: string[];
  tx: SafeBatchTransaction;
}

// kept across the panel's redraws (and account changes): cleared by the user or by a reload
const batch: { safe: Address | null; entries: BatchEntry[] } = { safe: null, entries: [] };
let safeText = "";
/** Whether the user opened (or closed) the section: kept across redraws. */
let sectionOpen: boolean | null = null;

const ZERO32 = `0x${"0".repeat(64)}` as Hex;
const dsxc = (v: bigint) => `${formatUnits6(v)} DSXC`;
const at = (t: bigint) => `${new Date(Number(t) * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC`;

const ledgerCall = (ctx: Ctx, functionName: string, args: readonly unknown[]): Call => ({ address: ctx.session.program.ledger, abi: revenueShareLedgerAbi as Abi, functionName, args });

/** Simulates `call` as the Safe (ctx.account) and returns what it returns; a refusal is decoded with its fix. */
async function asSafe(ctx: Ctx, call: Call): Promise<unknown> {
  try {
    return (await ctx.session.publicClient.simulateContract({ ...call, account: ctx.account })).result;
  } catch (err) {
    throw refusalOf(err, ctx.now);
  }
}

/**
 * A prepared Safe call, simulated as the Safe (unless `simulated` already): its sentence(s); the step is never sent
 * (its send refuses), only added to the batch.
 */
async function prepared(ctx: Ctx, call: Call, lines: string[], simulated = false): Promise<Prepared> {
  if (!simulated) await asSafe(ctx, call);
  return {
    lines,
    steps: [{ label: call.functionName, call, send: () => Promise.reject(new Refusal("Program actions are not sent from the page.", "Download the batch and execute it from the Safe.")) }],
  };
}

const signerFields = [
  { name: "signers", label: "Signer addresses (one per line)", kind: "addresses" as const },
  { name: "threshold", label: "Signatures needed (threshold)", kind: "uint" as const },
];

/** The program's actions, each simulated as the Safe. */
export function programSafeActions(program: Session["program"]): ActionSpec[] {
  const notice = (s: number) => `${s % 86_400 === 0 ? `${s / 86_400} days` : `${Math.round(s / 3600)} hours`}`;
  return [
    {
      key: "safe-create-agreement",
      title: "Create an agreement",
      fields: [
        { name: "startup", label: "Startup wallet", kind: "address" },
        { name: "creditLimit", label: "Credit limit (DSXC)", kind: "amount" },
        { name: "revenueShareBps", label: "Revenue share (basis points)", kind: "uint", value: "800" },
        { name: "capMultipleBps", label: "Cap multiple (basis points)", kind: "uint", value: "15000" },
        { name: "partnerFirstBps", label: "Partners first (basis points)", kind: "uint", value: "6000" },
        { name: "startTime", label: "Start (unix seconds)", kind: "uint" },
        { name: "periods", label: "Number of periods", kind: "uint", value: "12" },
        { name: "periodDuration", label: "Period length (seconds)", kind: "uint", value: String(30 * 86_400) },
        { name: "gracePeriod", label: "Grace period (seconds)", kind: "uint", value: String(15 * 86_400) },
        { name: "termsHash", label: "Terms hash (bytes32, optional)", kind: "bytes32", optional: true },
      ],
      async prepare(v, ctx) {
        const start = v.startTime as bigint;
        const duration = v.periodDuration as bigint;
        const terms = {
          startup: v.startup as Address,
          creditLimit: v.creditLimit as bigint,
          revenueShareBps: Number(v.revenueShareBps),
          capMultipleBps: Number(v.capMultipleBps),
          partnerFirstBps: Number(v.partnerFirstBps),
          startTime: start,
          endTime: termEnd(start, v.periods as bigint, duration),
          periodDuration: Number(duration),
          gracePeriod: Number(v.gracePeriod),
          termsHash: (v.termsHash as Hex | undefined) ?? ZERO32,
        };
        const call = ledgerCall(ctx, "createAgreement", [terms]);
        const id = (await asSafe(ctx, call)) as bigint;
        return prepared(ctx, call, [
          `A new agreement (id ${id} if the Safe executes it next) is proposed to ${terms.startup}: ${dsxc(terms.creditLimit)} of credits, ${terms.revenueShareBps} bps of revenue up to ${terms.capMultipleBps} bps of the credits used, partners first ${terms.partnerFirstBps} bps.`,
          `From ${at(start)} to ${at(terms.endTime)}, ${String(v.periods)} periods; the startup accepts it from its wallet.`,
        ], true);
      },
    },
    {
      key: "safe-register-partner",
      title: "Register a partner",
      fields: [{ name: "partner", label: "Partner address", kind: "address" }, ...signerFields, { name: "payoutBps", label: "Partner payout (basis points of credits)", kind: "uint", value: "7000" }],
      async prepare(v, ctx) {
        const call = ledgerCall(ctx, "registerPartner", [v.partner, v.signers, Number(v.threshold), Number(v.payoutBps)]);
        return prepared(ctx, call, [`${v.partner as string} becomes an active partner paid ${String(v.payoutBps)} bps, its usage signed by ${String(v.threshold)} of ${(v.signers as string[]).length} signers.`]);
      },
    },
    {
      key: "safe-schedule-rate",
      title: "Schedule a rate",
      fields: [
        { name: "partner", label: "Partner address", kind: "address" },
        { name: "sku", label: "Sku (e.g. h100-sxm)", kind: "text" },
        { name: "rate", label: "Credits per GPU hour (DSXC)", kind: "amount" },
        { name: "effectiveFrom", label: "In force from (unix seconds, a whole hour)", kind: "uint" },
      ],
      async prepare(v, ctx) {
        let sku: Hex;
        try {
          sku = skuToBytes32(v.sku as string);
        } catch (err) {
          throw new Refusal(err instanceof Error ? err.message : String(err), "Write the sku as lower-case letters, digits and dashes, e.g. h100-sxm.");
        }
        const from = v.effectiveFrom as bigint;
        const call = ledgerCall(ctx, "scheduleRate", [v.partner, sku, v.rate, from]);
        return prepared(ctx, call, [`${v.partner as string} bills ${v.sku as string} at ${dsxc(v.rate as bigint)} per GPU hour from ${at(from)}.`]);
      },
    },
    {
      key: "safe-resolve-usage",
      title: "Resolve a usage dispute",
      fields: [
        { name: "batchId", label: "Usage batch id", kind: "bytes32" },
        { name: "agreementId", label: "Agreement id", kind: "uint" },
        { name: "refund", label: "Refund (DSXC; 0 rejects the dispute)", kind: "amount" },
      ],
      async prepare(v, ctx) {
        const b = (await apiGet(`/v1/usage-batches/${v.batchId as string}`).catch(() => {
          throw new Refusal(`The API knows no usage batch ${v.batchId as string}.`, "Copy the batch id from the agreement's or the partner's page.");
        })).data as { partner: Address; lines: { agreementId: string; sku: string; gpuSeconds: string; credits: string; accepted: boolean }[] };
        const lines = b.lines.filter((l) => l.accepted).map((l) => ({ agreementId: BigInt(l.agreementId), sku: /^0x[0-9a-fA-F]{64}$/.test(l.sku) ? l.sku : skuToBytes32(l.sku), gpuSeconds: BigInt(l.gpuSeconds), credits: BigInt(l.credits) }));
        const refund = v.refund as bigint;
        const call = ledgerCall(ctx, "resolveUsageDispute", [v.batchId, v.agreementId, b.partner, lines, refund]);
        return prepared(ctx, call, [
          refund === 0n
            ? `The dispute of agreement ${String(v.agreementId)} on this batch is rejected: nothing is refunded.`
            : `${dsxc(refund)} is re-minted to agreement ${String(v.agreementId)}'s startup and taken off ${b.partner}'s receivable.`,
        ]);
      },
    },
    {
      key: "safe-resolve-revenue",
      title: "Resolve a revenue dispute",
      fields: [
        { name: "agreementId", label: "Agreement id", kind: "uint" },
        { name: "periodIndex", label: "Period", kind: "uint" },
        { name: "upheld", label: "Decision", kind: "choice", choices: [["cleared", "The report stands (Cleared)"], ["upheld", "The dispute is upheld (Rejected: a new report is needed)"]] },
      ],
      async prepare(v, ctx) {
        const upheld = v.upheld === "upheld";
        const call = ledgerCall(ctx, "resolveRevenueDispute", [v.agreementId, Number(v.periodIndex), upheld]);
        return prepared(ctx, call, [`Agreement ${String(v.agreementId)}, period ${String(v.periodIndex)}: Disputed → ${upheld ? "Rejected (a new report is needed)" : "Cleared"}.`]);
      },
    },
    {
      key: "safe-propose-migration",
      title: "Propose a startup wallet migration",
      fields: [
        { name: "agreementId", label: "Agreement id", kind: "uint" },
        { name: "newWallet", label: "New startup wallet", kind: "address" },
      ],
      async prepare(v, ctx) {
        const call = ledgerCall(ctx, "migrateStartup", [v.agreementId, v.newWallet]);
        return prepared(ctx, call, [`Agreement ${String(v.agreementId)}'s startup wallet is proposed to become ${v.newWallet as string}, after the ${notice(program.constants.migrationNotice)} notice; the startup may cancel it until then.`]);
      },
    },
    {
      key: "safe-partner-signers",
      title: "Propose a partner's signers",
      fields: [{ name: "partner", label: "Partner address", kind: "address" }, ...signerFields],
      async prepare(v, ctx) {
        const call = ledgerCall(ctx, "setPartnerSigners", [v.partner, v.signers, Number(v.threshold)]);
        return prepared(ctx, call, [`${v.partner as string}'s usage signers are proposed to become ${String(v.threshold)} of ${(v.signers as string[]).join(", ")}, in force after the ${notice(program.constants.signerNotice)} notice.`]);
      },
    },
    {
      key: "safe-revenue-signers",
      title: "Propose the revenue signers",
      fields: signerFields,
      async prepare(v, ctx) {
        const call = ledgerCall(ctx, "setRevenueSigners", [v.signers, Number(v.threshold)]);
        return prepared(ctx, call, [`The revenue signers become ${String(v.threshold)} of ${(v.signers as string[]).join(", ")} (the first set at once, a later one after the ${notice(program.constants.signerNotice)} notice).`]);
      },
    },
    {
      key: "safe-partner-payout",
      title: "Set a partner's payout address",
      fields: [
        { name: "partner", label: "Partner address", kind: "address" },
        { name: "payout", label: "New payout address", kind: "address" },
      ],
      async prepare(v, ctx) {
        const call = ledgerCall(ctx, "setPayoutAddress", [v.partner, v.payout]);
        return prepared(ctx, call, [`${v.partner as string}'s payouts are proposed to go to ${v.payout as string}, in force after the ${notice(program.constants.payoutNotice)} notice.`]);
      },
    },
  ];
}

/** The batch transaction of a prepared call: its method and inputs, so Safe{Wallet} shows it decoded. */
function txOf(call: Call): SafeBatchTransaction {
  const abiItem = getAbiItem({ abi: call.abi, name: call.functionName, args: call.args }) as AbiFunction;
  return safeBatchTransaction({ to: call.address, value: 0n, abiItem, args: call.args });
}

/**
 * The "Prepared for a Safe" section: the Safe's address, the program actions (simulated as the Safe, added to the
 * batch) and the batch with its download. `holder`: the connected address holds PROGRAM_ROLE or the admin role
 * (the section is open and the Safe field starts with it).
 */
export function safeSection(session: Session, account: Address, holder: boolean, ctxOf: () => Promise<Ctx>, redraw: () => void): HTMLElement {
  if (!safeText && holder) safeText = account;
  const id = uid("safe-address");
  const error = h("p", { id: `${id}-error`, class: "field-error", role: "alert" });
  const input = h("input", { id, type: "text", value: safeText, autocomplete: "off", spellcheck: "false", "data-field": "safeAddress", "aria-describedby": `${id}-help ${id}-error` }) as HTMLInputElement;
  input.addEventListener("input", () => (safeText = input.value));
  const safe = (): Address => {
    try {
      const a = parseField({ name: "safe", label: "Safe address", kind: "address" }, input.value) as Address;
      error.textContent = "";
      input.removeAttribute("aria-invalid");
      return a;
    } catch (err) {
      error.textContent = err instanceof FieldError ? `Safe address: ${err.message}` : String(err);
      input.setAttribute("aria-invalid", "true");
      throw new Refusal("The Safe address is not valid.", "Write the Safe's checksummed address in the Safe address field.");
    }
  };
  const hooks: FormHooks = {
    ctx: async () => ({ ...(await ctxOf()), account: safe() }),
    done: () => undefined,
    batch: {
      add(spec, p, ctx) {
        if (batch.safe && batch.safe !== ctx.account) {
          throw new Refusal(`The batch on this page is for Safe ${batch.safe}, not ${ctx.account}.`, "Download or clear the batch first, or give the same Safe.");
        }
        batch.safe = ctx.account;
        batch.entries.push(...p.steps.map((s) => ({ title: spec.title, lines: p.lines, tx: txOf(s.call) })));
        redraw();
        return `Added to the batch for Safe ${ctx.account} (${batch.entries.length} ${batch.entries.length === 1 ? "call" : "calls"}): download it below.`;
      },
    },
  };
  const file = () =>
    newSafeBatch({
      chainId: session.program.chainId,
      safe: batch.safe!,
      name: `dsx program actions (${batch.entries.length})`,
      description: batch.entries.map((e) => `${e.title}: ${e.lines.join(" ")}`).join("\n"),
      transactions: batch.entries.map((e) => e.tx),
    });
  const download = () => {
    const url = URL.createObjectURL(new Blob([`${JSON.stringify(file(), (_k, v: unknown) => (v === undefined ? null : v), 2)}\n`], { type: "application/json" }));
    const a = h("a", { href: url, download: `dsx-safe-batch-${session.program.chainId}-${batch.entries.length}.json` });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  };
  const list = batch.entries.length
    ? h(
        "div",
        { "data-field": "safeBatch", "data-count": batch.entries.length },
        h("p", null, `The batch for Safe `, h("code", null, batch.safe), `, chain ${session.program.chainId}:`),
        h("ol", null, ...batch.entries.map((e) => h("li", null, h("strong", null, `${e.title} (${e.tx.contractMethod?.name ?? "call"}): `), e.lines.join(" ")))),
        h(
          "div",
          { class: "actions" },
          h("button", { type: "button", "data-safe-download": "", onclick: download }, "Download the batch (Transaction Builder JSON)"),
          " ",
          h("button", { type: "button", class: "link", onclick: () => { batch.entries = []; batch.safe = null; redraw(); } }, "Clear the batch"),
        ),
      )
    : h("p", { class: "muted", "data-field": "safeBatch", "data-count": 0 }, "The batch is empty: check an action below and add it.");
  const section = h(
    "details",
    { class: "wallet-group safe", "data-role": "safe", open: sectionOpen ?? (holder || batch.entries.length > 0) },
    h("summary", null, h("h3", null, holder ? "Program actions, prepared for a Safe" : "Prepare for a Safe")),
    h("p", { class: "muted" }, "Program and admin actions are prepared for a Safe multisig, not sent from this wallet: each is simulated as the Safe, then added to a batch you download and import into Safe{Wallet}'s Transaction Builder."),
    h("div", { class: "field" }, h("label", { for: id }, "Safe address"), input, h("p", { id: `${id}-help`, class: "muted" }, "The Safe that holds PROGRAM_ROLE (every call is simulated from it)."), error),
    list,
    ...programSafeActions(session.program).map((s) => actionForm(s, hooks)),
  );
  section.addEventListener("toggle", () => (sectionOpen = (section as HTMLDetailsElement).open));
  return section;
}
