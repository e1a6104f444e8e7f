// The demo's story, in chain time: the partners' weekly exports arrive and their usage oracles bill them;
// Quill AI disputes a failed job's usage and the program refunds it; the revenue oracle reports October,
// the auditor disputes Quill AI's incomplete report and it is restated; the program rotates Southern Cross's
// oracle signer (a proposal, in force after its notice) and Nordlys sets its own payout address; periods
// finalize; the startups pay (one in full, one in part, one hardly); the term of Helix Labs ends; partners and
// the program claim; the auditor audits everything and records it on chain. The clock moves with
// evm_setNextBlockTimestamp.
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Address, Hex } from "viem";
import { recordAudits, agreementClean } from "../auditor/record";
import { runAudit } from "../auditor/audit";
import { finalizeRevenue as finalizeDue, formatFinalizeSummary } from "../oracle/revenue/finalize";
import { runRevenue, type RevenueRunSummary } from "../oracle/revenue/run";
import { runUsageOnce, type UsageRunSummary } from "../oracle/usage/run";
import type { EvidenceBundle } from "../oracle/usage/bundle";
import { revenueShareLedgerAbi } from "../sdk/abis";
import { skuToBytes32 } from "../sdk/eip712";
import { credits } from "../sdk/shareMath";
import {
  claim,
  claimProgram,
  disputeRevenue,
  disputeUsage,
  expireCredits,
  pay,
  readPartner,
  resolveRevenueDispute,
  resolveUsageDispute,
  setPartnerSigners,
  setPayoutAddress,
  type LedgerContext,
} from "../sdk";
import { formatUnits6 } from "../sdk/units";
import { privateKeyToAccount } from "viem/accounts";
import { contextFor, type AgreementIds, type Cast } from "./cast";
import { money } from "./summary";
import { deliver, type DemoOracles, type DemoPaths } from "./oracles";
import { at, GOVERNANCE, isoOf } from "./program";
import type { Deployment } from "../sdk/deployment";
import type { Manifest } from "../scripts/sample/manifest";

/** The sample's manifest.json. */
export type SampleManifest = Manifest;

export function readManifest(sampleDir: string): SampleManifest {
  return JSON.parse(readFileSync(join(sampleDir, "manifest.json"), "utf8")) as SampleManifest;
}

/** What a story step works with. */
export interface StoryContext {
  rpcUrl: string;
  deployment: Deployment;
  cast: Cast;
  ids: AgreementIds;
  oracles: DemoOracles;
  paths: DemoPaths;
  sampleDir: string;
  manifest: SampleManifest;
  /** Sets the next block's timestamp and mines it. */
  setTime(t: bigint): Promise<void>;
  /** Audit results, filled by the audit step. */
  audit?: { clean: boolean; reportHash: Hex; reportFile: string; throughBlock: bigint; recorded: number };
}

/** One step: at a chain time, an action that returns the line to print. */
interface Step {
  at: bigint;
  run(ctx: StoryContext): Promise<string>;
}

const usd = (v: bigint) => money(formatUnits6(v));
const who = (ctx: StoryContext, key: string) => ctx.cast.startups.get(key)?.spec.name ?? ctx.cast.partners.get(key)?.spec.name ?? key;
const whose = (ctx: StoryContext, key: string) => {
  const name = who(ctx, key);
  return name.endsWith("s") ? `${name}'` : `${name}'s`;
};

function ledgerAs(ctx: StoryContext, account: Cast["operator"]): LedgerContext {
  return contextFor(ctx.rpcUrl, ctx.deployment, account);
}

async function agreementView(ctx: StoryContext, key: string) {
  const { publicClient } = ledgerAs(ctx, ctx.cast.operator);
  return publicClient.readContract({ address: ctx.deployment.ledger, abi: revenueShareLedgerAbi, functionName: "agreement", args: [ctx.ids.get(key)!] });
}

function usageLine(s: UsageRunSummary): string {
  const parts = [`${s.new} new records`];
  if (s.duplicate) parts.push(`${s.duplicate} duplicates`);
  if (s.quarantined) parts.push(`${s.quarantined} quarantined`);
  if (s.waiting) parts.push(`${s.waiting} waiting`);
  parts.push(`${s.submitted} daily batches on chain`);
  if (s.rejected) parts.push(`${s.rejected} lines held back`);
  if (s.blocked) parts.push(`stopped: ${s.blocked}`);
  return parts.join(", ");
}

async function runUsage(ctx: StoryContext, partner: string): Promise<UsageRunSummary> {
  const summary = await runUsageOnce(ctx.oracles.usage.get(partner)!);
  if (summary.blocked) throw new Error(`the ${partner} usage oracle stopped: ${summary.blocked}`);
  return summary;
}

function revenueLine(ctx: StoryContext, s: RevenueRunSummary): string {
  const reports = s.reports.map((r) => {
    const key = [...ctx.ids].find(([, id]) => id.toString() === r.agreementId)![0];
    return `${who(ctx, key)} period ${r.periodIndex} v${r.version} ${usd(BigInt(r.revenue))} USD${r.why === "restated" ? " (restated)" : ""}`;
  });
  const extra = [s.held ? `${s.held} held (quarantined rows)` : "", s.errors.length ? `errors: ${s.errors.map((e) => e.message).join("; ")}` : ""].filter(Boolean);
  return `${reports.length ? reports.join("; ") : "nothing due"}${extra.length ? `; ${extra.join("; ")}` : ""}`;
}

async function revenueRun(ctx: StoryContext, options: Parameters<typeof runRevenue>[1] = {}): Promise<RevenueRunSummary> {
  const summary = await runRevenue(ctx.oracles.revenue, options);
  if (summary.errors.length > 0) throw new Error(`revenue oracle: ${summary.errors.map((e) => e.message).join("; ")}`);
  return summary;
}

async function finalize(ctx: StoryContext): Promise<string> {
  const s = await finalizeDue(ctx.oracles.revenue);
  if (s.errors.length > 0) throw new Error(formatFinalizeSummary(s));
  const done = s.finalized.map((f) => {
    const key = [...ctx.ids].find(([, id]) => id.toString() === f.agreementId)![0];
    return `${who(ctx, key)} period ${f.periodIndex}`;
  });
  return done.length ? `finalized ${done.join(", ")}` : "nothing to finalize";
}

/** Pays `percent` of the outstanding amount (rounded down to cents; 100: all of it, to the last unit) from the startup's wallet. */
async function payShare(ctx: StoryContext, key: string, percent: bigint, method: "permit" | "approve"): Promise<string> {
  const view = await agreementView(ctx, key);
  const amount = percent === 100n ? view.outstanding : ((view.outstanding * percent) / 100n / 10_000n) * 10_000n;
  const wallet = ctx.cast.startups.get(key)!.wallet;
  const r = await pay(ledgerAs(ctx, wallet), { agreementId: ctx.ids.get(key)!, amount, method });
  return `${who(ctx, key)} pays ${usd(r.applied)} USDC of ${usd(view.outstanding)} outstanding (${r.method === "permit" ? "EIP-2612 permit" : "approve + pay"}): ${usd(r.toPartners)} to partners, ${usd(r.toProgram)} to the program`;
}

/** The batch holding the disputed job's record, and the credits of that record in it. */
function findDisputedRecord(ctx: StoryContext): { batchId: Hex; gpuSeconds: bigint; periodStart: bigint } {
  const { recordId } = ctx.manifest.usageDispute;
  for (const name of readdirSync(ctx.paths.evidence)) {
    if (!name.endsWith(".json")) continue;
    const bundle = JSON.parse(readFileSync(join(ctx.paths.evidence, name), "utf8")) as EvidenceBundle;
    const leaves = bundle.tree.values.filter((v) => v.value[0] === recordId);
    if (leaves.length === 0) continue;
    const gpuSeconds = leaves.reduce((sum, l) => sum + BigInt(l.value[5] as string), 0n);
    return { batchId: bundle.batchId as Hex, gpuSeconds, periodStart: BigInt(bundle.batch.periodStart) };
  }
  throw new Error(`record ${recordId} is in no evidence bundle: the usage oracle has not billed it`);
}

/** The account of the demo's key number `i`. */
const castAccount = (ctx: StoryContext, i: number) => privateKeyToAccount(ctx.cast.keys[i]);

/** How many of a partner's usage batches (evidence bundles) each signer signed. */
function batchesBySigner(ctx: StoryContext, partner: Address): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of readdirSync(ctx.paths.evidence)) {
    if (!name.endsWith(".json")) continue;
    const bundle = JSON.parse(readFileSync(join(ctx.paths.evidence, name), "utf8")) as EvidenceBundle;
    if (bundle.batch.partner.toLowerCase() !== partner.toLowerCase()) continue;
    for (const { signer } of bundle.signatures) counts.set(signer.toLowerCase(), (counts.get(signer.toLowerCase()) ?? 0) + 1);
  }
  return counts;
}

/**
 * The changes with a notice (PROTOCOL v1.1): the program proposes a partner's new oracle signer set, which
 * is in force SIGNER_NOTICE later with no further transaction (its oracle holds both keys and signs with the
 * one in force); a partner sets its own payout address, in force at once, and its claims land there.
 */
function governanceSteps(): Step[] {
  const rotation = GOVERNANCE.signerRotation;
  const payout = GOVERNANCE.payoutAddress;
  let proposed: { effectiveAt: bigint; oldSigners: Address[] } | undefined;
  return [
    {
      at: rotation.proposeAt,
      async run(ctx) {
        const partner = ctx.cast.partners.get(rotation.partner)!;
        const signers = rotation.signers.map((i) => castAccount(ctx, i).address);
        const before = await readPartner(ledgerAs(ctx, ctx.cast.operator), partner.wallet.address);
        const r = await setPartnerSigners(ledgerAs(ctx, ctx.cast.operator), { partner: partner.wallet.address, signers, threshold: rotation.threshold });
        if (r.mode !== "proposed") throw new Error(`the program's signer rotation for ${partner.spec.name} took effect at once`);
        proposed = { effectiveAt: r.effectiveAt, oldSigners: before.signers };
        return (
          `the program proposes ${whose(ctx, rotation.partner)} new oracle signer set (${rotation.threshold}-of-${signers.length}: ${signers.join(", ")}, its new HSM key): ` +
          `in force from ${isoOf(r.effectiveAt)} after the ${Number(r.effectiveAt - r.blockTime) / 86_400}-day SIGNER_NOTICE, with no further transaction`
        );
      },
    },
    {
      at: rotation.checkAt,
      async run(ctx) {
        const partner = ctx.cast.partners.get(rotation.partner)!;
        const now = await readPartner(ledgerAs(ctx, ctx.cast.operator), partner.wallet.address);
        const expected = rotation.signers.map((i) => castAccount(ctx, i).address.toLowerCase());
        if (now.pendingSigners || now.signers.map((s) => s.toLowerCase()).join() !== expected.join()) {
          throw new Error(`${partner.spec.name}'s proposed signer set is not in force at ${isoOf(rotation.checkAt)}: ${JSON.stringify(now)}`);
        }
        const counts = batchesBySigner(ctx, partner.wallet.address);
        const byNew = expected.reduce((sum, s) => sum + (counts.get(s) ?? 0), 0);
        const byOld = proposed!.oldSigners.reduce((sum, s) => sum + (counts.get(s.toLowerCase()) ?? 0), 0);
        if (byNew === 0) throw new Error(`${partner.spec.name}'s oracle signed no batch with its new key after the rotation`);
        return (
          `${whose(ctx, rotation.partner)} new signer set has been in force since ${isoOf(proposed!.effectiveAt)} (no transaction needed): ` +
          `its oracle signed ${byNew} batches with the new key, ${byOld} before with the old one`
        );
      },
    },
    {
      at: payout.setAt,
      async run(ctx) {
        const partner = ctx.cast.partners.get(payout.partner)!;
        const to = castAccount(ctx, payout.payout).address;
        const r = await setPayoutAddress(ledgerAs(ctx, partner.wallet), { payout: to });
        if (r.mode !== "immediate") throw new Error(`${partner.spec.name}'s own payout address was only proposed`);
        return `${partner.spec.name} sets its payout address to ${to} (its treasury) with its own key: in force at once, its claims are paid there`;
      },
    },
  ];
}

/** The story's steps, in time order: the sample files' arrivals and the participants' actions. */
export function storySteps(manifest: SampleManifest): Step[] {
  const steps: Step[] = [];
  const usageArrivals = new Map<string, { at: bigint; partner: string; files: string[] }>();
  for (const f of manifest.files) {
    if (f.kind === "stripe") continue;
    const key = `${f.availableAt}/${f.owner}`;
    const entry = usageArrivals.get(key) ?? { at: at(f.availableAt), partner: f.owner, files: [] };
    entry.files.push(f.path);
    usageArrivals.set(key, entry);
  }
  for (const arrival of usageArrivals.values()) {
    steps.push({
      at: arrival.at,
      async run(ctx) {
        const s = await runUsage(ctx, arrival.partner);
        const names = arrival.files.map((p) => p.split("/").pop()).join(", ");
        return `${who(ctx, arrival.partner)}: ${names} → ${usageLine(s)}`;
      },
    });
  }

  const d = manifest.usageDispute;
  let disputed: { batchId: Hex; gpuSeconds: bigint; periodStart: bigint } | undefined;
  const r = manifest.revenueDispute;
  steps.push(
    {
      at: at("2026-10-22T08:00:00Z"),
      async run(ctx) {
        disputed = findDisputedRecord(ctx);
        const wallet = ctx.cast.startups.get(d.startup)!.wallet;
        await disputeUsage(ledgerAs(ctx, wallet), { batchId: disputed.batchId, agreementId: ctx.ids.get(d.startup)!, reason: d.reason });
        return `${who(ctx, d.startup)} disputes ${whose(ctx, d.partner)} batch ${disputed.batchId.slice(0, 10)}…: job ${d.jobId} ended NODE_FAIL (${disputed.gpuSeconds} GPU-seconds)`;
      },
    },
    {
      at: at("2026-10-23T09:00:00Z"),
      async run(ctx) {
        const program = ledgerAs(ctx, ctx.cast.operator);
        const partner = ctx.cast.partners.get(d.partner)!.wallet.address;
        const rate = await program.publicClient.readContract({
          address: ctx.deployment.ledger,
          abi: revenueShareLedgerAbi,
          functionName: "rate",
          args: [partner, skuToBytes32(d.sku), disputed!.periodStart],
        });
        const refund = credits(disputed!.gpuSeconds, rate.creditsPerGpuHour);
        const res = await resolveUsageDispute(program, { batchId: disputed!.batchId, agreementId: ctx.ids.get(d.startup)!, refund });
        return `the program upholds it: ${usd(res.refund)} DSXC of credits re-minted to ${who(ctx, d.startup)}, ${whose(ctx, d.partner)} receivable cut by ${usd(res.receivableRemoved)}`;
      },
    },
    { at: at("2026-11-02T01:00:00Z"), run: async (ctx) => `revenue oracle (October): ${revenueLine(ctx, await revenueRun(ctx))}` },
    {
      at: at("2026-11-02T16:00:00Z"),
      async run(ctx) {
        await disputeRevenue(ledgerAs(ctx, ctx.cast.auditor), { agreementId: ctx.ids.get(r.startup)!, periodIndex: r.periodIndex, reason: r.reason });
        return `the auditor disputes ${whose(ctx, r.startup)} period ${r.periodIndex}: ${r.reason}`;
      },
    },
    {
      at: at("2026-11-03T09:00:00Z"),
      async run(ctx) {
        await resolveRevenueDispute(ledgerAs(ctx, ctx.cast.operator), { agreementId: ctx.ids.get(r.startup)!, periodIndex: r.periodIndex, upheld: true });
        return `the program upholds the dispute: period ${r.periodIndex} is Rejected until restated`;
      },
    },
    {
      at: at("2026-11-03T12:00:00Z"),
      run: async (ctx) => `revenue oracle (${whose(ctx, r.startup)} full October report): ${revenueLine(ctx, await revenueRun(ctx))}`,
    },
    { at: at("2026-11-05T02:00:00Z"), run: finalize },
    { at: at("2026-11-06T13:00:00Z"), run: finalize },
    { at: at("2026-11-10T17:00:00Z"), run: (ctx) => payShare(ctx, "helix-labs", 100n, "permit") },
    { at: at("2026-11-12T10:00:00Z"), run: (ctx) => payShare(ctx, "tessellate", 25n, "permit") },
    { at: at("2026-11-18T15:00:00Z"), run: (ctx) => payShare(ctx, "quill-ai", 100n, "approve") },
    {
      at: at("2026-11-20T00:00:00Z"),
      async run(ctx) {
        const p = ctx.cast.partners.get("southern-cross")!;
        const res = await claim(ledgerAs(ctx, p.wallet), p.wallet.address);
        return `${p.spec.name} claims ${usd(res.amount)} USDC`;
      },
    },
    { at: at("2026-12-02T01:00:00Z"), run: async (ctx) => `revenue oracle (November): ${revenueLine(ctx, await revenueRun(ctx))}` },
    { at: at("2026-12-05T11:00:00Z"), run: finalize },
    { at: at("2026-12-07T01:00:00Z"), run: finalize },
    {
      at: at("2026-12-07T02:00:00Z"),
      async run(ctx) {
        const res = await expireCredits(ledgerAs(ctx, ctx.cast.operator), ctx.ids.get("helix-labs")!);
        return `${whose(ctx, "helix-labs")} term and reporting grace are over: ${usd(res.burned)} unused DSXC expire`;
      },
    },
    { at: at("2026-12-07T18:00:00Z"), run: (ctx) => payShare(ctx, "helix-labs", 100n, "permit") },
    { at: at("2026-12-08T15:00:00Z"), run: (ctx) => payShare(ctx, "quill-ai", 40n, "approve") },
    {
      at: at("2026-12-08T19:00:00Z"),
      async run(ctx) {
        const lines: string[] = [];
        for (const key of ctx.oracles.usage.keys()) lines.push(`${who(ctx, key)} ${(await runUsage(ctx, key)).submitted}`);
        return `usage oracles report the last closed windows (batches: ${lines.join(", ")})`;
      },
    },
    {
      at: at("2026-12-08T20:00:00Z"),
      async run(ctx) {
        const out: string[] = [];
        for (const p of ctx.cast.partners.values()) {
          const c = await claim(ledgerAs(ctx, p.wallet), p.wallet.address);
          out.push(`${p.spec.name} ${usd(c.amount)}${c.to.toLowerCase() === p.wallet.address.toLowerCase() ? "" : ` (to its payout address ${c.to})`}`);
        }
        const program = await claimProgram(ledgerAs(ctx, ctx.cast.operator));
        out.push(`treasury ${usd(program.amount)}`);
        return `claims (USDC): ${out.join(", ")}`;
      },
    },
    {
      at: at("2026-12-08T21:00:00Z"),
      async run(ctx) {
        const result = await runAudit({
          rpcUrl: ctx.rpcUrl,
          chainId: ctx.deployment.chainId,
          ledger: ctx.deployment.ledger,
          fromBlock: BigInt(ctx.deployment.deploymentBlock),
          credit: ctx.deployment.credit,
          settlementToken: ctx.deployment.settlementToken,
          evidenceDir: ctx.paths.evidence,
          revenueEvidenceDir: ctx.paths.revenueEvidence,
        });
        const { report, reportHash } = result;
        mkdirSync(ctx.paths.audit, { recursive: true });
        const base = join(ctx.paths.audit, `audit-${report.chain.chainId}-${report.chain.throughBlock}`);
        writeFileSync(`${base}.json`, result.json);
        writeFileSync(`${base}.md`, result.markdown);
        const auditor = ledgerAs(ctx, ctx.cast.auditor);
        const recorded = await recordAudits(auditor.publicClient, auditor.walletClient, auditor.account, report, reportHash);
        const clean = report.agreements.every((a) => agreementClean(report, a.id));
        ctx.audit = { clean: report.clean && clean, reportHash, reportFile: `${base}.json`, throughBlock: BigInt(report.chain.throughBlock), recorded: recorded.length };
        return (
          `the auditor replays ${report.summary.events} events and re-verifies the evidence: ${report.clean ? "CLEAN" : `${report.discrepancies.length} discrepancies`} ` +
          `(${report.summary.checksPassed} checks); recordAudit for ${recorded.length} agreements, report ${reportHash.slice(0, 10)}…`
        );
      },
    },
  );
  steps.push(...governanceSteps());
  return steps.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

/**
 * Runs the story: before each step, the clock moves to the step's time and every sample file that has
 * arrived by then is copied into its inbox. `onLine` gets one line per step; `shouldStop` is checked
 * between steps (Ctrl-C).
 */
export async function runStory(ctx: StoryContext, onLine: (at: bigint, line: string) => void, shouldStop: () => boolean): Promise<void> {
  const delivered = new Set<string>();
  for (const step of storySteps(ctx.manifest)) {
    if (shouldStop()) return;
    await ctx.setTime(step.at);
    for (const f of ctx.manifest.files) {
      if (delivered.has(f.path) || at(f.availableAt) > step.at) continue;
      deliver(ctx.sampleDir, ctx.paths, f.path);
      delivered.add(f.path);
    }
    onLine(step.at, await step.run(ctx));
  }
}

