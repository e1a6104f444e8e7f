// settlement.token — in every transaction the settlement token moved exactly what the ledger's events imply: a
// payment pulls the applied amount from its payer into the ledger (a fee-on-transfer token delivers less), a
// claim sends the claimable amount to its recipient; any other outflow is unexplained. Inflows outside payments
// are direct transfers (allowed: PROTOCOL §10.1). The ledger's balance equals the token's own transfers.
import type { Hex } from "viem";
import type { TokenTransfer } from "../chain/events";
import type { Findings } from "../findings";
import type { LedgerModel } from "../replay/model";
import { CHECKS } from "./catalog";

const ID = CHECKS.settlementToken.id;

export interface SettlementFlows {
  inflow: bigint;
  outflow: bigint;
  /** Inflows in transactions without a payment. */
  direct: bigint;
}

/** Per transaction: payments delivered, claims sent, no unexplained outflow; returns the flows (no view needed). */
export function checkSettlementMoves(f: Findings, m: LedgerModel, ledger: string, transfers: readonly TokenTransfer[], blockOf: ReadonlyMap<Hex, bigint>): SettlementFlows {
  const L = ledger.toLowerCase();
  const actual = new Map<Hex, Map<string, bigint>>();
  const flows: SettlementFlows = { inflow: 0n, outflow: 0n, direct: 0n };
  for (const t of transfers) {
    const from = t.from.toLowerCase();
    const to = t.to.toLowerCase();
    if (from === L && to === L) continue;
    const key = to === L ? `in:${from}` : `out:${to}`;
    if (to === L) flows.inflow += t.value;
    else flows.outflow += t.value;
    let moves = actual.get(t.tx);
    if (!moves) actual.set(t.tx, (moves = new Map()));
    moves.set(key, (moves.get(key) ?? 0n) + t.value);
  }
  for (const tx of new Set([...m.settlementMoves.keys(), ...actual.keys()])) {
    const expected = m.settlementMoves.get(tx);
    const found = actual.get(tx) ?? new Map<string, bigint>();
    const at = { block: String(blockOf.get(tx) ?? "?"), tx };
    if (!expected) {
      for (const [key, value] of found) {
        if (key.startsWith("in:")) flows.direct += value;
        else f.holds(ID, null, `settlement ${key.replace(":", " ")} in tx ${tx}`, false, "no outflow without a claim", value.toString(), at);
      }
      continue;
    }
    for (const key of new Set([...expected.keys(), ...found.keys()])) {
      f.equal(ID, null, `settlement ${key.replace(":", " ")} in tx ${tx}`, expected.get(key) ?? 0n, found.get(key) ?? 0n, at);
    }
  }
  return flows;
}

/** At the audited block: the ledger's balance equals the token's own transfers in and out. */
export function checkSettlementBalance(f: Findings, flows: SettlementFlows, balance: bigint, auditedBlock: bigint): void {
  f.equal(ID, null, "settlement balanceOf(ledger) = Σ transfers in − Σ transfers out", flows.inflow - flows.outflow, balance, { block: auditedBlock.toString() });
}
