// The demo's closing summary: every participant's position read from the ledger's views (the source of
// truth the API indexes), printed as a short table or as JSON.
import type { Address, Hex } from "viem";
import { dsxCreditAbi, mockUsdcAbi, revenueShareLedgerAbi } from "../sdk/abis";
import { createChainClients } from "../sdk/chain";
import type { Deployment } from "../sdk/deployment";
import { hasTakenEffect } from "../sdk/ledgerRules";
import { agreementStatusName } from "../sdk/errors";
import { formatUnits6 } from "../sdk/units";
import type { AgreementIds, Cast } from "./cast";
import { isoOf } from "./program";

/** How a startup stands with its payments. */
export type Standing = "settled" | "partly paid" | "delinquent" | "unpaid" | "nothing owed yet";

/** The standing the demo (and its test, from the API's fields) reads off an agreement's figures. */
export function standingOf(a: { obligation: bigint; paid: bigint; outstanding: bigint; delinquent: boolean }): Standing {
  if (a.delinquent) return "delinquent";
  if (a.obligation === 0n) return "nothing owed yet";
  if (a.outstanding === 0n) return "settled";
  return a.paid > 0n ? "partly paid" : "unpaid";
}

export interface DemoSummary {
  chain: { rpcUrl: string; chainId: number; ledger: Address; credit: Address; settlementToken: Address; block: string; time: string };
  startups: {
    key: string;
    name: string;
    agreementId: string;
    wallet: Address;
    status: string;
    standing: Standing;
    creditsMinted: string;
    consumed: string;
    creditBalance: string;
    cap: string;
    obligation: string;
    paid: string;
    outstanding: string;
    delinquent: boolean;
    nextDue: string | null;
    periodsFinalized: number;
    periods: number;
  }[];
  /** `claimed`: the sum of its Claimed events; `payout`: where its claims are paid now, holding `payoutBalance`. */
  partners: { key: string; name: string; wallet: Address; payout: Address; receivable: string; paidToPartner: string; claimed: string; claimable: string; payoutBalance: string }[];
  /** Changes with a notice (PROTOCOL v1.1), from the ledger's events: signer sets and payout addresses. */
  changes: {
    signerSets: { partner: Address; name: string; signers: Address[]; threshold: number; by: "partner" | "program"; at: string; effectiveAt: string; inForce: boolean }[];
    payoutAddresses: { partner: Address; name: string; payout: Address; by: "partner" | "program"; at: string; effectiveAt: string; inForce: boolean }[];
  };
  treasury: { address: Address; usdcBalance: string; programClaimable: string };
  audit?: { clean: boolean; reportHash: Hex; reportFile: string; throughBlock: string; recorded: number };
  urls: { api: string; dashboard: string; docs: string; openapi: string; agreements: string; partners: string };
  dataDir: string;
}

/** Reads every participant's position at the latest block. */
export async function readSummary(input: {
  rpcUrl: string;
  deployment: Deployment;
  cast: Cast;
  ids: AgreementIds;
  apiUrl: string;
  dataDir: string;
  audit?: DemoSummary["audit"];
}): Promise<DemoSummary> {
  const { rpcUrl, deployment, cast, ids } = input;
  const { publicClient } = createChainClients({ rpcUrl, chainId: deployment.chainId });
  const block = await publicClient.getBlock({ blockTag: "latest" });
  const at = { blockNumber: block.number };
  const ledger = { address: deployment.ledger, abi: revenueShareLedgerAbi, ...at } as const;
  const usdc = (owner: Address) => publicClient.readContract({ address: deployment.settlementToken, abi: mockUsdcAbi, functionName: "balanceOf", args: [owner], ...at });

  const startups: DemoSummary["startups"] = [];
  for (const { spec, wallet } of cast.startups.values()) {
    const id = ids.get(spec.key)!;
    const v = await publicClient.readContract({ ...ledger, functionName: "agreement", args: [id] });
    const balance = await publicClient.readContract({ address: deployment.credit, abi: dsxCreditAbi, functionName: "balanceOf", args: [wallet.address], ...at });
    startups.push({
      key: spec.key,
      name: spec.name,
      agreementId: id.toString(),
      wallet: wallet.address,
      status: agreementStatusName(v.status),
      standing: standingOf(v),
      creditsMinted: formatUnits6(v.creditsMinted),
      consumed: formatUnits6(v.consumed),
      creditBalance: formatUnits6(balance),
      cap: formatUnits6(v.cap),
      obligation: formatUnits6(v.obligation),
      paid: formatUnits6(v.paid),
      outstanding: formatUnits6(v.outstanding),
      delinquent: v.delinquent,
      nextDue: v.nextDue === 0n ? null : isoOf(v.nextDue),
      periodsFinalized: v.nextPeriodToFinalize,
      periods: v.periodCount,
    });
  }
  const partners: DemoSummary["partners"] = [];
  const events = <const N extends "Claimed" | "PartnerSignersSet" | "PartnerSignersProposed" | "PayoutAddressSet">(eventName: N) =>
    publicClient.getContractEvents({ address: deployment.ledger, abi: revenueShareLedgerAbi, eventName, fromBlock: BigInt(deployment.deploymentBlock), toBlock: block.number, strict: true });
  const claims = await events("Claimed");
  for (const { spec, wallet } of cast.partners.values()) {
    let receivable = 0n;
    let paidToPartner = 0n;
    for (const s of cast.startups.values()) {
      if (!s.spec.partners[spec.key]) continue;
      const p = await publicClient.readContract({ ...ledger, functionName: "partnerPosition", args: [ids.get(s.spec.key)!, wallet.address] });
      receivable += p.receivable;
      paidToPartner += p.paidToPartner;
    }
    const view = await publicClient.readContract({ ...ledger, functionName: "partner", args: [wallet.address] });
    const claimed = claims.filter((c) => c.args.beneficiary.toLowerCase() === wallet.address.toLowerCase()).reduce((sum, c) => sum + c.args.amount, 0n);
    partners.push({
      key: spec.key,
      name: spec.name,
      wallet: wallet.address,
      payout: view.payout,
      receivable: formatUnits6(receivable),
      paidToPartner: formatUnits6(paidToPartner),
      claimed: formatUnits6(claimed),
      claimable: formatUnits6(await publicClient.readContract({ ...ledger, functionName: "claimable", args: [wallet.address] })),
      payoutBalance: formatUnits6(await usdc(view.payout)),
    });
  }
  const nameOf = (partner: Address) => partners.find((p) => p.wallet.toLowerCase() === partner.toLowerCase())?.name ?? partner;
  const timeOf = async (blockNumber: bigint) => (await publicClient.getBlock({ blockNumber })).timestamp;
  const signerSets: DemoSummary["changes"]["signerSets"] = [];
  for (const e of [...(await events("PartnerSignersSet")), ...(await events("PartnerSignersProposed"))].sort((a, b) => Number(a.blockNumber - b.blockNumber) || a.logIndex - b.logIndex)) {
    const t = await timeOf(e.blockNumber);
    const effectiveAt = "effectiveAt" in e.args ? BigInt(e.args.effectiveAt) : t;
    signerSets.push({
      partner: e.args.partner,
      name: nameOf(e.args.partner),
      signers: [...e.args.signers],
      threshold: e.args.threshold,
      by: e.eventName === "PartnerSignersProposed" ? "program" : "partner",
      at: isoOf(t),
      effectiveAt: isoOf(effectiveAt),
      inForce: hasTakenEffect(effectiveAt, block.timestamp),
    });
  }
  const payoutAddresses: DemoSummary["changes"]["payoutAddresses"] = [];
  for (const e of await events("PayoutAddressSet")) {
    const t = await timeOf(e.blockNumber);
    const effectiveAt = BigInt(e.args.effectiveAt);
    payoutAddresses.push({
      partner: e.args.partner,
      name: nameOf(e.args.partner),
      payout: e.args.payout,
      // the partner's own change is in force at once; the program's proposal waits PAYOUT_NOTICE
      by: hasTakenEffect(effectiveAt, t) ? "partner" : "program",
      at: isoOf(t),
      effectiveAt: isoOf(effectiveAt),
      inForce: hasTakenEffect(effectiveAt, block.timestamp),
    });
  }
  const programClaimable = await publicClient.readContract({ ...ledger, functionName: "programClaimable" });
  const api = input.apiUrl;
  return {
    chain: { rpcUrl, chainId: deployment.chainId, ledger: deployment.ledger, credit: deployment.credit, settlementToken: deployment.settlementToken, block: block.number.toString(), time: isoOf(block.timestamp) },
    startups,
    partners,
    treasury: { address: deployment.treasury, usdcBalance: formatUnits6(await usdc(deployment.treasury)), programClaimable: formatUnits6(programClaimable) },
    changes: { signerSets, payoutAddresses },
    audit: input.audit,
    urls: {
      api,
      dashboard: `${api}/`,
      docs: `${api}/docs`,
      openapi: `${api}/openapi.json`,
      agreements: `${api}/v1/agreements`,
      partners: `${api}/v1/partners`,
    },
    dataDir: input.dataDir,
  };
}

/** "12345.5" → "12,345.50"; exact (the decimals are kept, at least two). */
export function money(decimal: string): string {
  const [whole, fraction = ""] = decimal.replace("-", "").split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${decimal.startsWith("-") ? "-" : ""}${grouped}.${fraction.padEnd(2, "0")}`;
}

/** Columns padded to their widest cell; `right` marks right-aligned (numeric) columns. */
function table(rows: string[][], right: ReadonlySet<number>): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows.map((r) => `  ${r.map((cell, c) => (right.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join("  ").trimEnd()}`);
}

const day = (iso: string | null) => (iso ? iso.slice(0, 10) : "-");
const minute = (iso: string) => iso.slice(0, 16).replace("T", " ");

/** The summary as the lines printed at the end of the demo. */
export function formatSummary(s: DemoSummary): string[] {
  const lines: string[] = [];
  lines.push(`DSX demo ready: chain ${s.chain.chainId} at ${s.chain.time.replace("T", " ").replace("Z", " UTC")} (block ${s.chain.block}), ledger ${s.chain.ledger}`);
  lines.push("");
  lines.push("Startups (credits in DSXC, money in USDC)");
  const startups = [["#", "startup", "status", "standing", "consumed", "cap", "owed", "paid", "outstanding", "periods", "next due"]];
  for (const a of s.startups) {
    startups.push([
      a.agreementId,
      a.name,
      a.status,
      a.standing,
      money(a.consumed),
      money(a.cap),
      money(a.obligation),
      money(a.paid),
      money(a.outstanding),
      `${a.periodsFinalized}/${a.periods} final`,
      a.delinquent ? `${day(a.nextDue)} (overdue)` : day(a.nextDue),
    ]);
  }
  lines.push(...table(startups, new Set([4, 5, 6, 7, 8])));
  lines.push("");
  lines.push("Cloud partners and the program (USDC)");
  const partners = [["", "receivable", "paid to it", "claimed", "claimable", "paid at"]];
  for (const p of s.partners) {
    partners.push([p.name, money(p.receivable), money(p.paidToPartner), money(p.claimed), money(p.claimable), p.payout.toLowerCase() === p.wallet.toLowerCase() ? "its own address" : `payout address ${p.payout}`]);
  }
  partners.push(["program treasury", "", "", money(s.treasury.usdcBalance), money(s.treasury.programClaimable), s.treasury.address]);
  lines.push(...table(partners, new Set([1, 2, 3, 4])));
  const changes = [
    ...s.changes.signerSets.map(
      (c) =>
        `${c.name}'s oracle signers -> ${c.threshold}-of-${c.signers.length} (${c.signers.join(", ")}): ` +
        (c.by === "program" ? `proposed by the program ${minute(c.at)}, ${c.inForce ? "in force since" : "in force from"} ${minute(c.effectiveAt)} (SIGNER_NOTICE)` : `set by the partner ${minute(c.at)}, at once`),
    ),
    ...s.changes.payoutAddresses.map((c) => {
      const p = s.partners.find((x) => x.wallet.toLowerCase() === c.partner.toLowerCase());
      const landed = p && p.payout.toLowerCase() === c.payout.toLowerCase() ? `; ${money(p.payoutBalance)} USDC of its claims landed there` : "";
      return (
        `${c.name}'s payout address -> ${c.payout}: ` +
        (c.by === "partner" ? `set by the partner itself ${minute(c.at)}, at once` : `proposed by the program ${minute(c.at)}, ${c.inForce ? "in force since" : "in force from"} ${minute(c.effectiveAt)} (PAYOUT_NOTICE)`) +
        landed
      );
    }),
  ];
  if (changes.length > 0) {
    lines.push("");
    lines.push("Changes with a notice (signer sets, payout addresses)");
    lines.push(...changes.map((c) => `  ${c}`));
  }
  if (s.audit) {
    lines.push("");
    lines.push(
      `Audit: ${s.audit.clean ? "CLEAN" : "DISCREPANCIES"} through block ${s.audit.throughBlock}, recorded on chain for ${s.audit.recorded} agreements; report ${s.audit.reportFile}`,
    );
  }
  lines.push("");
  lines.push("Open:");
  lines.push(
    ...table(
      [
        [s.urls.dashboard, "dashboard"],
        [s.urls.docs, `API reference (OpenAPI document: ${s.urls.openapi})`],
        [s.urls.agreements, `the agreements; one of them: ${s.urls.agreements}/${s.startups[0]?.agreementId ?? 1}`],
        [s.urls.partners, "the cloud partners"],
      ],
      new Set(),
    ),
  );
  lines.push(`Chain: ${s.chain.rpcUrl}. Oracle configs, inboxes, evidence and the audit report: ${s.dataDir}`);
  lines.push("Press Ctrl-C to stop.");
  return lines;
}
