// invariant.3 — PROTOCOL §10.3: DSXC minted = DSXC total supply + DSXC burned (Transfer events from and to
// address(0) against totalSupply at the audited block), and minted/burned equal what the ledger's events imply.
import type { TokenTransfer } from "../chain/events";
import type { Findings } from "../findings";
import type { LedgerModel } from "../replay/model";
import { CHECKS } from "./catalog";

const ID = CHECKS.invariant3.id;
const ZERO = "0x0000000000000000000000000000000000000000";

export function checkInvariant3(f: Findings, m: LedgerModel, transfers: readonly TokenTransfer[], totalSupply: bigint, block: bigint): void {
  let minted = 0n;
  let burned = 0n;
  for (const t of transfers) {
    if (t.from.toLowerCase() === ZERO) minted += t.value;
    if (t.to.toLowerCase() === ZERO) burned += t.value;
  }
  let expectedMinted = 0n;
  let expectedBurned = 0n;
  for (const moves of m.creditMoves.values()) {
    for (const [key, value] of moves) {
      if (key.startsWith("mint:")) expectedMinted += value;
      else if (key.startsWith("burn:")) expectedBurned += value;
    }
  }
  const at = { block: block.toString() };
  f.equal(ID, null, "DSXC minted = totalSupply + burned", minted, totalSupply + burned, at);
  f.equal(ID, null, "DSXC minted (the ledger's events)", expectedMinted, minted, at);
  f.equal(ID, null, "DSXC burned (the ledger's events)", expectedBurned, burned, at);
}
