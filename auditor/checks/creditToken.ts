// credit.token — DSXC (PROTOCOL §9): in every transaction the token minted and burned exactly what the ledger's
// events imply (acceptance, usage burns, refunds, expiry, migration), nothing moved between wallets, and every
// wallet's balance at the audited block equals the recomputation.
import type { Hex } from "viem";
import type { TokenTransfer } from "../chain/events";
import type { Findings } from "../findings";
import type { LedgerModel } from "../replay/model";
import { CHECKS } from "./catalog";

const ID = CHECKS.creditToken.id;
const ZERO = "0x0000000000000000000000000000000000000000";

/** Aggregates DSXC transfers per transaction as mint:/burn:/transfer: keys. */
export function creditMovesOf(transfers: readonly TokenTransfer[]): Map<Hex, Map<string, bigint>> {
  const moves = new Map<Hex, Map<string, bigint>>();
  for (const t of transfers) {
    const from = t.from.toLowerCase();
    const to = t.to.toLowerCase();
    const key = from === ZERO ? `mint:${to}` : to === ZERO ? `burn:${from}` : `transfer:${from}->${to}`;
    let m = moves.get(t.tx);
    if (!m) moves.set(t.tx, (m = new Map()));
    m.set(key, (m.get(key) ?? 0n) + t.value);
  }
  return moves;
}

/** Per transaction: DSXC minted and burned exactly as the ledger's events imply (no view needed). */
export function checkCreditMoves(f: Findings, m: LedgerModel, transfers: readonly TokenTransfer[], blockOf: ReadonlyMap<Hex, bigint>): void {
  const actual = creditMovesOf(transfers);
  for (const tx of new Set([...m.creditMoves.keys(), ...actual.keys()])) {
    const expected = m.creditMoves.get(tx) ?? new Map<string, bigint>();
    const found = actual.get(tx) ?? new Map<string, bigint>();
    for (const key of new Set([...expected.keys(), ...found.keys()])) {
      f.equal(ID, null, () => `DSXC ${key.replace(":", " ")} in tx ${tx}`, expected.get(key) ?? 0n, found.get(key) ?? 0n, { block: String(blockOf.get(tx) ?? "?"), tx });
    }
  }
}

/** At the audited block: every wallet's DSXC balance equals the recomputation. */
export function checkCreditBalances(f: Findings, m: LedgerModel, balances: ReadonlyMap<string, bigint>, auditedBlock: bigint): void {
  for (const [wallet, expected] of m.creditBalances) {
    f.equal(ID, null, () => `DSXC balanceOf(${wallet})`, expected, balances.get(wallet) ?? 0n, { block: auditedBlock.toString() });
  }
}
