// fx-rates.csv: the reference exchange rates the revenue oracle converts non-USD rows at.
/**
 * `fx-rates.csv` (SERVICES §3 "Currencies"): the USD value of one EUR and one GBP for every UTC date from
 * 2026-09-28 to 2026-12-06, as a verifier would derive it from the ECB's daily reference rates re-based to
 * USD. Weekends carry the previous business day's rate (the oracle never guesses a missing date: the file
 * must hold every date a row has). A fixed formula, no random stream: the other files stay as they were.
 */
export function fxRates(): string {
  const lines = ["date,currency,usd_per_unit"];
  const first = Date.UTC(2026, 8, 28) / 1000;
  let business = 0;
  let last = { eur: 0, gbp: 0 };
  for (let day = 0; day < 70; day++) {
    const t = first + day * 86_400;
    const weekday = new Date(t * 1000).getUTCDay();
    if (weekday !== 0 && weekday !== 6) {
      // ten-thousandths: EUR about 1.08, GBP about 1.27, moving a little from day to day
      last = { eur: 10_800 + ((business * 37) % 61) - 30, gbp: 12_700 + ((business * 53) % 83) - 41 };
      business += 1;
    }
    const date = new Date(t * 1000).toISOString().slice(0, 10);
    const text = (v: number) => `${Math.floor(v / 10_000)}.${String(v % 10_000).padStart(4, "0")}`;
    lines.push(`${date},EUR,${text(last.eur)}`, `${date},GBP,${text(last.gbp)}`);
  }
  return `${lines.join("\n")}\n`;
}
