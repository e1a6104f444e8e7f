/// <reference lib="dom" />
// What each role may do, as forms: each action parses its fields, simulates every call with the connected account
// (what will change, or the ledger's refusal decoded with its fix), and returns the steps to send.
import { getEip712Domain } from "viem/actions";
import { keccak256, parseSignature, type Abi, type Address, type Hex } from "viem";
import { mockUsdcAbi, revenueShareLedgerAbi } from "../../../sdk/abis";
import { describeError } from "../../../sdk/errors";
import { split } from "../../../sdk/shareMath";
import { formatUnits6 } from "../../../sdk/units";
import { reasonHash } from "../../../sdk/values";
import { apiGet, storeReasonText } from "./api";
import type { FieldSpec } from "./fields";
import { walletCode, type Session } from "./session";

export interface Ctx {
  session: Session;
  account: Address;
  /** The latest block's time (unix seconds). */
  now: bigint;
}

export interface Call {
  address: Address;
  abi: Abi;
  functionName: string;
  args: readonly unknown[];
}

export interface Step {
  label: string;
  /** The call, to replay at the mined block when it reverts (for its reason). */
  call: Call;
  /** Opens the wallet and returns the transaction hash. */
  send(): Promise<Hex>;
}

export interface Prepared {
  /** What will change, one sentence each. */
  lines: string[];
  steps: Step[];
  /** Runs once the last step's block is indexed (a dispute stores its reason text); its sentence is shown. */
  afterIndexed?(block: bigint): Promise<string>;
}

export interface ActionSpec {
  key: string;
  title: string;
  fields: FieldSpec[];
  submit?: string;
  prepare(values: Record<string, unknown>, ctx: Ctx): Promise<Prepared>;
}

/** A call that would be refused, explained (cause, then fix): shown instead of opening the wallet. */
export class Refusal extends Error {
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(message);
  }
}

const usdc = (v: bigint) => `${formatUnits6(v)} USDC`;
const dsxc = (v: bigint) => `${formatUnits6(v)} DSXC`;
const at = (t: bigint) => `${new Date(Number(t) * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC`;
const days = (s: number) => (s % 86_400 === 0 ? `${s / 86_400} days` : `${Math.round(s / 3600)} hours`);

/** The refusal of a failed simulation: the ledger's decoded error and its fix (sdk describeError). */
export function refusalOf(err: unknown, now?: bigint): Refusal {
  if (err instanceof Refusal) return err;
  const e = describeError(err, { now });
  return new Refusal(e.shortMessage, e.fix);
}

const ledgerCall = (ctx: Ctx, functionName: string, args: readonly unknown[]): Call => ({
  address: ctx.session.program.ledger,
  abi: revenueShareLedgerAbi as Abi,
  functionName,
  args,
});

/**
 * A dispute with a written reason: the text's keccak256 goes on chain (`call` receives it), and once the dispute
 * is indexed the text is stored with the API (api/reasons) where the auditor and the pages read it.
 */
async function disputeWithReason(ctx: Ctx, label: string, reason: string, call: (hash: Hex) => Call, outcome: string): Promise<Prepared> {
  const hash = reasonHash(reason);
  const step = await simulated(ctx, label, call(hash));
  return { lines: [outcome, `Reason hash on chain: ${hash}.`], steps: [step], afterIndexed: (block) => storeReasonText(hash, reason, block) };
}

/** Simulates `call` from the connected account and returns the step that sends it (with the estimated gas, +20 %). */
async function simulated(ctx: Ctx, label: string, call: Call): Promise<Step> {
  const client = ctx.session.publicClient;
  let gas: bigint;
  try {
    await client.simulateContract({ ...call, account: ctx.account });
    gas = await client.estimateContractGas({ ...call, account: ctx.account });
  } catch (err) {
    throw refusalOf(err, ctx.now);
  }
  return { label, call, send: () => ctx.session.walletClient().writeContract({ ...call, account: ctx.account, chain: ctx.session.chain, gas: (gas * 12n) / 10n }) };
}

/** A step simulated only when it is sent (it depends on an earlier step of the same action). */
function later(ctx: Ctx, label: string, call: Call): Step {
  return { label, call, send: async () => (await simulated(ctx, label, call)).send() };
}

// ------------------------------------------------------------------------------------------------ startup

async function agreement(id: string) {
  return (await apiGet(`/v1/agreements/${id}`)).data;
}

/** The startup's actions on agreement `a` (an API agreement), by its status. */
export function startupActions(a: Record<string, any>, program: Session["program"]): ActionSpec[] { // eslint-disable-line @typescript-eslint/no-explicit-any -- API body
  const id = BigInt(a.id);
  const out: ActionSpec[] = [];
  if (a.status === "Proposed") {
    out.push({
      key: `accept-${a.id}`,
      title: `Accept agreement ${a.id}`,
      fields: [],
      async prepare(_v, ctx) {
        const step = await simulated(ctx, "accept", ledgerCall(ctx, "acceptAgreement", [id]));
        return { lines: [`Agreement ${a.id}: Proposed → Active.`, `${dsxc(BigInt(a.terms.creditLimit))} of credits are minted to your wallet.`], steps: [step] };
      },
    });
    out.push({
      key: `cancel-${a.id}`,
      title: `Decline agreement ${a.id}`,
      fields: [],
      async prepare(_v, ctx) {
        const step = await simulated(ctx, "cancel", ledgerCall(ctx, "cancelAgreement", [id]));
        return { lines: [`Agreement ${a.id}: Proposed → Cancelled (it can no longer be accepted).`], steps: [step] };
      },
    });
  }
  if (a.status !== "Active") return out;
  out.push(payAction(a));
  out.push({
    key: `authorize-${a.id}`,
    title: `Authorize a partner on agreement ${a.id}`,
    fields: [
      { name: "partner", label: "Partner address", kind: "address" },
      { name: "spendLimit", label: "Spend limit (DSXC)", kind: "amount", help: "The most credits this partner may bill; 0 withdraws the authorization." },
      { name: "maxGpus", label: "Most GPUs at once", kind: "uint" },
    ],
    async prepare(v, ctx) {
      const partner = v.partner as Address;
      const limit = v.spendLimit as bigint;
      const gpus = v.maxGpus as bigint;
      const pos = (a.partners as Record<string, string>[]).find((p) => p.partner.toLowerCase() === partner.toLowerCase());
      const oldLimit = BigInt(pos?.spendLimit ?? "0");
      const oldGpus = BigInt(pos?.maxGpus ?? "0");
      const step = await simulated(ctx, "authorize", ledgerCall(ctx, "authorizePartner", [id, partner, limit, Number(gpus)]));
      const effective = ctx.now + BigInt(program.constants.authNotice);
      const change = (what: string, from: string, to: string, lower: boolean) =>
        lower
          ? `${what}: ${from} → ${to}, a decrease: it takes the ${days(program.constants.authNotice)} notice (AUTH_NOTICE) and is in force from ${at(effective)}; until then ${from} holds.`
          : `${what}: ${from} → ${to}, in force at once.`;
      return {
        lines: [
          change("Spend limit", dsxc(oldLimit), dsxc(limit), limit < oldLimit),
          change("Most GPUs", String(oldGpus), String(gpus), gpus < oldGpus),
        ],
        steps: [step],
      };
    },
  });
  out.push({
    key: `dispute-usage-${a.id}`,
    title: `Dispute a usage batch on agreement ${a.id}`,
    fields: [
      { name: "batchId", label: "Usage batch id", kind: "bytes32" },
      { name: "reason", label: "Reason", kind: "reason", help: "Its keccak256 goes on chain; keep the text for the program." },
    ],
    async prepare(v, ctx) {
      return disputeWithReason(ctx, "dispute", v.reason as string, (hash) => ledgerCall(ctx, "disputeUsage", [v.batchId, id, hash]),
        `Batch ${short32(v.batchId as string)} is disputed for agreement ${a.id}; the program resolves it (a credit note or a rejection).`);
    },
  });
  out.push({
    key: `migrate-${a.id}`,
    title: `Move agreement ${a.id} to another wallet`,
    fields: [{ name: "newWallet", label: "New wallet address", kind: "address" }],
    async prepare(v, ctx) {
      const step = await simulated(ctx, "migrate", ledgerCall(ctx, "migrateStartup", [id, v.newWallet]));
      return { lines: [`Agreement ${a.id}'s startup wallet becomes ${v.newWallet as string}; its credits move with it. This wallet can no longer act for the agreement.`], steps: [step] };
    },
  });
  if (a.pendingMigration) {
    out.push({
      key: `cancel-migration-${a.id}`,
      title: `Cancel the wallet migration PROGRAM proposed`,
      fields: [],
      async prepare(_v, ctx) {
        const step = await simulated(ctx, "cancel migration", ledgerCall(ctx, "cancelStartupMigration", [id]));
        return { lines: [`PROGRAM's proposed move to ${a.pendingMigration.to as string} (in force from ${String(a.pendingMigration.effectiveAt).replace("T", " ").replace(":00Z", " UTC")}) is cancelled; your wallet stays the agreement's.`], steps: [step] };
      },
    });
  }
  if (a.pendingMigration && Number(a.pendingMigration.secondsLeft) === 0) {
    // from effectiveAt on anyone may execute it (PROTOCOL §5 "Wallet migration"); the ledger checks the target again
    out.push({
      key: `execute-migration-${a.id}`,
      title: `Execute the wallet migration PROGRAM proposed`,
      fields: [],
      async prepare(_v, ctx) {
        const step = await simulated(ctx, "execute migration", ledgerCall(ctx, "executeStartupMigration", [id]));
        return { lines: [`Agreement ${a.id}'s startup wallet becomes ${a.pendingMigration.to as string}; its credits move with it. This wallet can no longer act for the agreement.`], steps: [step] };
      },
    });
  }
  return out;
}

const short32 = (h: string) => `${h.slice(0, 10)}…${h.slice(-6)}`;

/** Whether the token takes EIP-2612 permits: it answers nonces(owner) and its EIP-712 domain. */
async function permitDomain(ctx: Ctx, token: Address) {
  try {
    const [eip5267, nonce] = await Promise.all([
      getEip712Domain(ctx.session.publicClient, { address: token }),
      ctx.session.publicClient.readContract({ address: token, abi: mockUsdcAbi, functionName: "nonces", args: [ctx.account] }),
    ]);
    // EIP-5267's bitmap says which domain fields the token signs with (a salt it does not use changes the hash)
    const { name, version, chainId, verifyingContract, salt } = eip5267.domain;
    const has = (bit: number) => (Number(eip5267.fields) & (1 << bit)) !== 0;
    const domain = { ...(has(0) && { name }), ...(has(1) && { version }), ...(has(2) && { chainId }), ...(has(3) && { verifyingContract }), ...(has(4) && { salt }) };
    return { domain, nonce };
  } catch {
    return null;
  }
}

const isoAt = (iso: string) => at(BigInt(Date.parse(iso) / 1000));

/**
 * "Nothing is owed yet; …": when the next period (nextPeriodToFinalize) closes and, at the earliest, falls due
 * (PROTOCOL §7: due_k = max(periodEnd_k, finalizedAt) + gracePeriod). The API gives no expected amount: none is shown.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API body
export function nothingOwedText(a: Record<string, any>): string {
  const k = Number(a.nextPeriodToFinalize);
  if (k >= Number(a.periodCount)) return "Nothing is owed: every period is finalized and paid.";
  const start = Date.parse(a.terms.startTime) / 1000;
  const end = Math.min(start + (k + 1) * Number(a.terms.periodDuration), Date.parse(a.terms.endTime) / 1000);
  const close = BigInt(end);
  return `Nothing is owed yet; the next period (${k}) closes at ${at(close)} and is due at ${at(close + BigInt(a.terms.gracePeriod))} at the earliest (its grace period after it is finalized). What it will owe is known once its revenue is reported.`;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API body
function payAction(a: Record<string, any>): ActionSpec {
  const id = BigInt(a.id);
  const owed = BigInt(a.outstanding);
  return {
    key: `pay-${a.id}`,
    title: `Pay agreement ${a.id}`,
    fields: [
      owed > 0n
        ? { name: "amount", label: "Amount (USDC)", kind: "amount", value: formatUnits6(owed), help: `Outstanding now: ${usdc(owed)}${a.nextDue ? `, due at ${isoAt(a.nextDue)}` : ""}.` }
        : { name: "amount", label: "Amount (USDC)", kind: "amount", value: "", optional: true, help: nothingOwedText(a) },
      {
        name: "method",
        label: "How to pay",
        kind: "choice",
        choices: [
          ["auto", "A permit when the token takes one (one signature, one transaction), else approve + pay"],
          ["approve", "Approve, then pay (two transactions)"],
        ],
      },
    ],
    async prepare(v, ctx) {
      const fresh = await agreement(a.id);
      const outstanding = BigInt(fresh.outstanding);
      const amount = v.amount as bigint | undefined;
      const client = ctx.session.publicClient;
      // nothing owed: the ledger's own refusal (NothingOwed), whatever the amount, said with when the next period is due
      if (outstanding === 0n) {
        try {
          await simulated(ctx, "pay", ledgerCall(ctx, "pay", [id, 1n]));
        } catch (err) {
          if (err instanceof Refusal && /owes nothing/.test(err.message)) throw new Refusal(`The ledger refuses a payment now (NothingOwed). ${nothingOwedText(fresh)}`, "Pay once a period is finalized and owes something.");
          throw err;
        }
      }
      if (!amount) throw new Refusal(amount === 0n ? "The amount is 0." : "No amount is given.", "Enter the amount to pay, above 0.");
      const applied = amount < outstanding ? amount : outstanding;
      const token = ctx.session.program.settlementToken;
      const ledger = ctx.session.program.ledger;
      const [balance, allowance] = await Promise.all([
        client.readContract({ address: token, abi: mockUsdcAbi, functionName: "balanceOf", args: [ctx.account] }),
        client.readContract({ address: token, abi: mockUsdcAbi, functionName: "allowance", args: [ctx.account, ledger] }),
      ]);
      // the ledger's own checks (NothingOwed, paused, …): with no allowance yet the simulation stops at the token's pull
      try {
        await client.simulateContract({ ...ledgerCall(ctx, "pay", [id, applied === 0n ? amount : applied]), account: ctx.account });
      } catch (err) {
        const r = refusalOf(err, ctx.now);
        if (!/^ERC20InsufficientAllowance/.test(r.message) || allowance >= applied) throw r;
      }
      if (balance < applied) throw new Refusal(`Your wallet holds ${usdc(balance)}; this payment takes ${usdc(applied)}.`, "Fund the wallet with the settlement token, or pay less.");
      const positions = (fresh.partners as Record<string, string>[]).map((p) => ({ partner: p.partner, unpaid: BigInt(p.receivable) - BigInt(p.paidToPartner) }));
      const s = split(applied, BigInt(fresh.terms.partnerFirstBps), positions.map((p) => p.unpaid));
      const lines = [
        amount > outstanding
          ? `${usdc(amount)} is more than the ${usdc(outstanding)} outstanding: the ledger takes ${usdc(applied)} and no more, so the payment is capped at that.`
          : `You pay ${usdc(applied)} of the ${usdc(outstanding)} outstanding.`,
        `Split: ${usdc(s.toPartners)} to the partners (${positions.map((p, i) => `${p.partner}: ${usdc(s.perPartner[i])}`).join("; ") || "none"}), ${usdc(s.toProgram)} to the program.`,
        `Outstanding after: ${usdc(outstanding - applied)}.`,
      ];
      const pay = ledgerCall(ctx, "pay", [id, applied]);
      if (allowance >= applied) return { lines: [...lines, "The ledger may already pull this amount: one transaction."], steps: [await simulated(ctx, "pay", pay)] };
      const permit = v.method === "approve" ? null : await permitDomain(ctx, token);
      if (!permit) {
        const approve: Call = { address: token, abi: mockUsdcAbi as Abi, functionName: "approve", args: [ledger, applied] };
        return { lines: [...lines, `Approve the ledger for ${usdc(applied)}, then pay: two transactions.`], steps: [await simulated(ctx, "approve", approve), later(ctx, "pay", pay)] };
      }
      const deadline = ctx.now + 3600n;
      const payWithPermit: Step = {
        label: "permit + pay",
        call: pay,
        async send() {
          const signature = await ctx.session.walletClient().signTypedData({
            account: ctx.account,
            domain: permit.domain,
            types: { Permit: [{ name: "owner", type: "address" }, { name: "spender", type: "address" }, { name: "value", type: "uint256" }, { name: "nonce", type: "uint256" }, { name: "deadline", type: "uint256" }] },
            primaryType: "Permit",
            message: { owner: ctx.account, spender: ledger, value: applied, nonce: permit.nonce, deadline },
          });
          const { v: sv, yParity, r, s: ss } = parseSignature(signature);
          const call = ledgerCall(ctx, "payWithPermit", [id, applied, deadline, Number(sv ?? BigInt(yParity + 27)), r, ss]);
          this.call = call;
          try {
            await client.simulateContract({ ...call, account: ctx.account });
          } catch (err) {
            const why = refusalOf(err, ctx.now);
            if (/^ERC20InsufficientAllowance/.test(why.message)) throw new Refusal("The token refused the permit signature: nothing was sent.", 'Choose "Approve, then pay" and check again.');
            throw why;
          }
          return (await simulated(ctx, "permit + pay", call)).send();
        },
      };
      return { lines: [...lines, "Sign an EIP-2612 permit for that amount, then one transaction pays."], steps: [payWithPermit] };
    },
  };
}

// ------------------------------------------------------------------------------------------------ partner

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API body
export function partnerActions(p: Record<string, any>, program: Session["program"]): ActionSpec[] {
  return [
    {
      key: "claim-own",
      title: "Claim what you are owed",
      fields: [],
      async prepare(_v, ctx) {
        const claimable = await ctx.session.publicClient.readContract({ address: program.ledger, abi: revenueShareLedgerAbi, functionName: "claimable", args: [ctx.account] });
        const step = await simulated(ctx, "claim", ledgerCall(ctx, "claim", [ctx.account]));
        return { lines: [`${usdc(claimable)} is paid to your payout address in force, ${p.payout as string}.`], steps: [step] };
      },
    },
    {
      key: "payout",
      title: "Set your payout address",
      fields: [{ name: "payout", label: "Payout address", kind: "address", value: p.payout }],
      async prepare(v, ctx) {
        const step = await simulated(ctx, "set payout", ledgerCall(ctx, "setPayoutAddress", [ctx.account, v.payout]));
        return { lines: [`Claims go to ${v.payout as string} from now on (set by the partner itself: in force at once).`], steps: [step] };
      },
    },
    {
      key: "signers",
      title: "Rotate your oracle signers",
      fields: [
        { name: "signers", label: "Signer addresses (one per line)", kind: "addresses", value: (p.signers as string[]).join("\n") },
        { name: "threshold", label: "Signatures needed (threshold)", kind: "uint", value: String(p.threshold) },
      ],
      async prepare(v, ctx) {
        const signers = v.signers as Address[];
        const step = await simulated(ctx, "set signers", ledgerCall(ctx, "setPartnerSigners", [ctx.account, signers, Number(v.threshold as bigint)]));
        return { lines: [`Your usage batches need ${String(v.threshold)} of ${signers.length} signatures: ${signers.join(", ")} (in force at once).`], steps: [step] };
      },
    },
  ];
}

// ------------------------------------------------------------------------------------------------ auditor

export function auditorActions(): ActionSpec[] {
  return [
    {
      key: "dispute-revenue",
      title: "Dispute a revenue report",
      fields: [
        { name: "agreementId", label: "Agreement id", kind: "uint" },
        { name: "period", label: "Period index", kind: "uint" },
        { name: "reason", label: "Reason", kind: "reason" },
      ],
      async prepare(v, ctx) {
        return disputeWithReason(ctx, "dispute revenue", v.reason as string, (hash) => ledgerCall(ctx, "disputeRevenue", [v.agreementId, Number(v.period as bigint), hash]),
          `Agreement ${String(v.agreementId)}, period ${String(v.period)}: Pending → Disputed; it cannot be finalized until the program resolves it.`);
      },
    },
    {
      key: "dispute-usage-auditor",
      title: "Dispute a usage batch",
      fields: [
        { name: "batchId", label: "Usage batch id", kind: "bytes32" },
        { name: "agreementId", label: "Agreement id", kind: "uint" },
        { name: "reason", label: "Reason", kind: "reason" },
      ],
      async prepare(v, ctx) {
        return disputeWithReason(ctx, "dispute usage", v.reason as string, (hash) => ledgerCall(ctx, "disputeUsage", [v.batchId, v.agreementId, hash]),
          `Batch ${short32(v.batchId as string)} is disputed for agreement ${String(v.agreementId)}.`);
      },
    },
  ];
}

/** recordAudit for every agreement of a dropped report file (its bytes hashed in the page: the reportHash). */
export async function prepareAuditRecord(bytes: Uint8Array, ctx: Ctx): Promise<Prepared> {
  let report: { chain?: { ledger?: string; chainId?: number; throughBlock?: number | string }; agreements?: { id: string }[]; discrepancies?: { agreementId: string | null }[] };
  try {
    report = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new Refusal("This file is not an audit report: it is not JSON text.", "Drop the audit-<chain>-<block>.json file the auditor (npm run audit) wrote.");
  }
  if (!report?.chain?.ledger || report.chain.throughBlock === undefined || !Array.isArray(report.agreements) || !Array.isArray(report.discrepancies)) {
    throw new Refusal("This file is not an audit report: it has no chain.ledger, chain.throughBlock, agreements and discrepancies.", "Drop the audit-<chain>-<block>.json file the auditor (npm run audit) wrote.");
  }
  if (report.chain.ledger.toLowerCase() !== ctx.session.program.ledger.toLowerCase()) {
    throw new Refusal(`This report audits the ledger ${report.chain.ledger}, not this deployment's ${ctx.session.program.ledger}.`, "Drop the report of this deployment.");
  }
  const reportHash = keccak256(bytes);
  const through = BigInt(report.chain.throughBlock);
  const discrepancies = report.discrepancies;
  const rows = report.agreements.map((a) => ({ id: a.id, clean: discrepancies.every((d) => d.agreementId !== a.id && d.agreementId !== null) }));
  if (rows.length === 0) throw new Refusal("The report covers no agreement: there is nothing to record.", "Audit a block where agreements exist.");
  const steps: Step[] = [];
  for (const r of rows) steps.push(await simulated(ctx, `record audit of agreement ${r.id}`, ledgerCall(ctx, "recordAudit", [BigInt(r.id), through, reportHash, r.clean])));
  return {
    lines: [`Report hash (keccak256 of the file, computed here): ${reportHash}.`, ...rows.map((r) => `Agreement ${r.id}: audited through block ${through}, ${r.clean ? "clean" : "with discrepancies"}.`)],
    steps,
  };
}

// ------------------------------------------------------------------------------------------------ anyone

export function anyoneActions(program: Session["program"]): ActionSpec[] {
  return [
    {
      key: "finalize",
      title: "Finalize a due revenue period",
      fields: [{ name: "agreementId", label: "Agreement id", kind: "uint" }],
      async prepare(v, ctx) {
        const id = String(v.agreementId);
        const a = await agreement(id).catch(() => {
          throw new Refusal(`There is no agreement ${id}.`, "Check the id on the program overview.");
        });
        const k = Number(a.nextPeriodToFinalize);
        const periods = (await apiGet(`/v1/agreements/${id}/revenue?limit=500`)).data as Record<string, string>[];
        const period = periods.find((p) => Number(p.periodIndex) === k);
        const step = await simulated(ctx, "finalize", ledgerCall(ctx, "finalizeRevenue", [BigInt(id), k]));
        const window = period?.submittedAt ? ` (its dispute window of ${days(program.constants.disputeWindow)} has passed)` : "";
        return { lines: [`Agreement ${id}, period ${k}: ${period?.state ?? "?"} → Finalized${window}; revenue ${usdc(BigInt(period?.revenue ?? "0"))}.`, "What it owes is booked, due at the end of the grace period."], steps: [step] };
      },
    },
    {
      key: "expire",
      title: "Expire an agreement's credits",
      fields: [{ name: "agreementId", label: "Agreement id", kind: "uint" }],
      async prepare(v, ctx) {
        const step = await simulated(ctx, "expire", ledgerCall(ctx, "expireCredits", [v.agreementId]));
        return { lines: [`Agreement ${String(v.agreementId)}: the credits its startup still holds are burned (its reporting has closed).`], steps: [step] };
      },
    },
    {
      key: "claim-for",
      title: "Trigger a claim",
      fields: [{ name: "beneficiary", label: "Partner address, or the treasury's for the program", kind: "address" }],
      async prepare(v, ctx) {
        const who = v.beneficiary as Address;
        const program_ = who.toLowerCase() === program.treasury.toLowerCase();
        const client = ctx.session.publicClient;
        const amount = program_
          ? await client.readContract({ address: program.ledger, abi: revenueShareLedgerAbi, functionName: "programClaimable" })
          : await client.readContract({ address: program.ledger, abi: revenueShareLedgerAbi, functionName: "claimable", args: [who] });
        const step = await simulated(ctx, "claim", program_ ? ledgerCall(ctx, "claimProgram", []) : ledgerCall(ctx, "claim", [who]));
        return { lines: [`${usdc(amount)} is paid to ${program_ ? "the program's treasury" : `${who}'s payout address in force`}; you pay only the gas.`], steps: [step] };
      },
    },
  ];
}

export { walletCode };
