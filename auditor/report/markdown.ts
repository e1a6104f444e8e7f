// The Markdown summary of a report: per agreement its figures, who was paid what and why, and each check with
// pass/fail; the discrepancies first, each naming the agreement, the figure, the expected and the found value.
import { formatUnits6 } from "../../sdk/units";
import type { AgreementReport, AuditReport, CheckRow } from "./build";

const usd = (units: string | null | undefined): string => (units === null || units === undefined ? "—" : formatUnits6(BigInt(units)));
const when = (unix: string | null | undefined): string => (!unix || unix === "0" ? "—" : new Date(Number(unix) * 1000).toISOString().replace(".000Z", "Z"));
const short = (a: string): string => (a.startsWith("0x") && a.length === 42 ? `${a.slice(0, 6)}…${a.slice(-4)}` : a);
const esc = (s: string): string => s.replace(/\|/g, "\\|");

function checksTable(checks: CheckRow[]): string[] {
  if (checks.length === 0) return ["(no checks)"];
  return [
    "| check | what | passed | failed | result |",
    "|---|---|---:|---:|---|",
    ...checks.map((c) => `| ${c.check} | ${esc(c.title)} | ${c.passed} | ${c.failed} | ${c.failed === 0 ? "pass" : "**FAIL**"} |`),
  ];
}

function agreementSection(a: AgreementReport): string[] {
  const f = a.figures;
  const lines = [
    `## Agreement ${a.id} — ${a.status}${a.clean ? "" : " — **DISCREPANCIES**"}`,
    "",
    `Startup ${a.startup}${a.wallets.length > 1 ? ` (wallets: ${a.wallets.join(" → ")})` : ""}. Terms: credit limit ${usd(a.terms.creditLimit)} DSXC, revenue share ${a.terms.revenueShareBps} bps, cap ${a.terms.capMultipleBps} bps of consumption, partners first ${a.terms.partnerFirstBps} bps, ${a.terms.periodCount} periods of ${Number(a.terms.periodDuration) / 86_400} days from ${when(a.terms.startTime)}, grace ${Number(a.terms.gracePeriod) / 86_400} days.`,
    "",
    "| figure | value |",
    "|---|---:|",
    `| credits minted (DSXC) | ${usd(f.creditsMinted as string)} |`,
    `| credits burned by usage | ${usd(f.creditsBurnedByUsage as string)} |`,
    `| credits refunded (credit notes) | ${usd(f.creditsRefunded as string)} |`,
    `| credits expired | ${usd(f.creditsExpired as string)} |`,
    `| credits held | ${usd(f.creditsHeld as string)} |`,
    `| consumed | ${usd(f.consumed as string)} |`,
    `| cap | ${usd(f.cap as string)} |`,
    `| obligation (USD) | ${usd(f.obligation as string)} |`,
    `| paid | ${usd(f.paid as string)} |`,
    `| outstanding | ${usd(f.outstanding as string)} |`,
    `| delinquent | ${f.delinquent ? "yes" : "no"} |`,
    `| next due | ${when(f.nextDue as string)} |`,
    "",
  ];
  if (a.partners.length > 0) {
    lines.push("Partners (what consumption made them owed, and what they were paid):", "", "| partner | payout bps | lines | GPU-hours | credits spent | refunded | receivable | paid | still owed |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const p of a.partners) {
      lines.push(`| ${p.partner} | ${p.payoutBps} | ${p.linesAccepted} | ${(Number(p.gpuSeconds) / 3600).toFixed(2)} | ${usd(String(p.spent))} | ${usd(String(p.refunded))} | ${usd(String(p.receivable))} | ${usd(String(p.paidToPartner))} | ${usd(String(p.stillOwed))} |`);
    }
    lines.push("");
  }
  if (a.periods.length > 0) {
    lines.push("Revenue periods (owed = min(share, cap − obligation before)):", "", "| k | state | revenue | share | cap then | obligation before | owed | due | settled |", "|---:|---|---:|---:|---:|---:|---:|---|---|");
    for (const p of a.periods) {
      lines.push(`| ${p.index} | ${p.state} | ${usd(p.revenue as string)} | ${usd(p.share as string | null)} | ${usd(p.capAtFinalization as string | null)} | ${usd(p.obligationBefore as string | null)} | ${usd(p.owed as string)} | ${when(p.due as string)} | ${p.settled ? `yes (payment ${p.settledByPayment})` : "no"} |`);
    }
    lines.push("");
  }
  if (a.payments.length > 0) {
    lines.push("Payments and who was paid what (partners first, pro rata to what each was still owed; the program takes the rest):", "");
    for (const p of a.payments) {
      const parts = p.parts.map((x) => (x.beneficiary === "program" ? `program ${usd(x.amount)}` : `${short(x.beneficiary)} ${usd(x.amount)} (owed ${usd(x.owedBefore)})`)).join(", ");
      const settles = p.settles.length > 0 ? `; settles period${p.settles.length > 1 ? "s" : ""} ${p.settles.join(", ")}` : "";
      lines.push(`- #${p.index} ${when(p.time)} by ${short(p.payer)}: ${usd(p.amount)} of ${usd(p.outstandingBefore)} outstanding; partners were owed ${usd(p.stillOwedToPartners)} → ${parts}${settles}.`);
    }
    lines.push("");
  }
  lines.push("Checks:", "", ...checksTable(a.checks), "");
  return lines;
}

/** Renders `report` (whose file hashes to `reportHash`) as Markdown. */
export function renderMarkdown(report: AuditReport, reportHash: string): string {
  const c = report.chain;
  const lines = [
    `# DSX ledger audit — ${report.clean ? "CLEAN" : `${report.discrepancies.length} DISCREPANC${report.discrepancies.length === 1 ? "Y" : "IES"}`}`,
    "",
    `Ledger ${c.ledger} on chain ${c.chainId}, blocks ${c.fromBlock}–${c.throughBlock} (block hash ${c.blockHash}, ${when(c.blockTime)}).`,
    `Report hash (keccak256 of the JSON report file): \`${reportHash}\`.`,
    `${report.summary.events} ledger events, ${report.summary.agreements} agreements, ${report.summary.batches} usage batches; ${report.summary.checksPassed} check evaluations passed, ${report.summary.checksFailed} failed.`,
    "",
  ];
  if (report.discrepancies.length > 0) {
    lines.push("## Discrepancies", "", "| agreement | check | figure | expected | found | where |", "|---|---|---|---|---|---|");
    for (const d of report.discrepancies.slice(0, 500)) {
      const where = d.at ? `block ${d.at.block}${d.at.tx ? ` tx ${short(d.at.tx)}` : ""}` : "";
      lines.push(`| ${d.agreementId ?? "program"} | ${d.check} | ${esc(d.figure)} | ${esc(d.expected)} | ${esc(d.found)} | ${where} |`);
    }
    if (report.discrepancies.length > 500) lines.push("", `(${report.discrepancies.length - 500} more in the JSON report)`);
    lines.push("");
  }
  for (const a of report.agreements) lines.push(...agreementSection(a));
  const p = report.program;
  lines.push(
    "## Program",
    "",
    `Treasury ${p.treasury}; program claimable ${usd(p.programClaimable)}, claimed ${usd(p.programClaimed)}; ledger holds ${usd(p.settlementBalance)} (direct transfers ${usd(p.directTransfers)}); DSXC supply ${usd(p.creditSupply)}.`,
    "",
  );
  if (p.beneficiaries.length > 0) {
    lines.push("| beneficiary | distributed | claimed | claimable |", "|---|---:|---:|---:|", ...p.beneficiaries.map((b) => `| ${b.beneficiary} | ${usd(b.distributed)} | ${usd(b.claimed)} | ${usd(b.claimable)} |`), "");
  }
  lines.push("Checks:", "", ...checksTable(p.checks), "");
  if (report.evidence) {
    const e = report.evidence;
    lines.push("## Usage evidence", "", `${e.bundles} bundles (${e.unreadable} unreadable), ${e.records} records; ${e.batchesWithoutBundle} batches without a bundle, ${e.bundlesWithoutBatch} bundles without a batch.`, "");
    if (e.batches.length > 0) {
      lines.push("| batch | partner | sequence | records | root | lines | signatures |", "|---|---|---:|---:|---|---|---|");
      for (const b of e.batches.slice(0, 500)) lines.push(`| ${short(b.batchId)} | ${short(b.partner)} | ${b.sequence} | ${b.records} | ${b.root} | ${b.lines} | ${b.signatures} |`);
      lines.push("");
    }
  }
  return `${lines.join("\n")}\n`;
}
