// Money in the revenue adapters: signed decimal text in major units → exact 6-decimal units.
import { DsxError } from "../../sdk/errors";
import { parseUnits6 } from "../../sdk/units";

/** The amount in `text` as signed 6-decimal units, or why it is not one (for the quarantine). */
export function readAmount(column: string, text: string): { ok: true; value: bigint } | { ok: false; detail: string } {
  try {
    return { ok: true, value: parseUnits6(text) };
  } catch (err) {
    const why = err instanceof DsxError ? err.message : String(err);
    return { ok: false, detail: `${column}: ${why}` };
  }
}
