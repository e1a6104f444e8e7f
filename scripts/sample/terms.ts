// The legal terms of each startup's agreement (terms/<startup>.md); their keccak256 is the agreement's termsHash.
import { DAY, endTimeOf, isoOf, partnerSpec, type StartupSpec } from "../../demo/program";
import { formatUnits6 } from "../../sdk/units";
import { fillTemplate } from "./template";

/** Basis points as a percentage without trailing zeros (800 → "8", 1250 → "12.5"). */
const pct = (bps: number) => `${bps / 100}`.replace(/\.0+$/, "");

/** The terms document of `s` (terms.template.md). */
export function termsDocument(s: StartupSpec): string {
  const partners = Object.entries(s.partners)
    .map(([key, a]) => `- ${partnerSpec(key).name}: account \`${a.account}\`, up to ${formatUnits6(a.spendLimit)} DSXC on at most ${a.maxGpus} GPUs at once`)
    .join("\n");
  return fillTemplate("terms.template.md", {
    name: s.name,
    creditLimit: formatUnits6(s.creditLimit),
    periods: s.periods,
    periodDays: Number(s.periodDuration / DAY),
    start: isoOf(s.startTime),
    end: isoOf(endTimeOf(s)),
    revenueSharePercent: pct(s.revenueShareBps),
    base: s.base,
    baseMeaning: s.base === "gross" ? "`gross`: before Stripe's fees" : "`net`: after Stripe's fees",
    capMultiple: pct(s.capMultipleBps / 100),
    capMultipleBps: s.capMultipleBps,
    graceDays: Number(s.gracePeriod / DAY),
    partnerFirstPercent: pct(s.partnerFirstBps),
    partners,
  });
}
