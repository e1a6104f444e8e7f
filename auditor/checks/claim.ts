// claim — PROTOCOL §8: claim(beneficiary) sends the whole claimable balance to the beneficiary's payout address in
// force at the claim (§5: the partner itself unless one was set; PROGRAM's proposal only from its effectiveAt);
// claimProgram() sends programClaimable to the treasury of the moment (beneficiary address(0)).
import type { Address } from "viem";
import type { Findings, Location } from "../findings";
import { CHECKS } from "./catalog";

const ID = CHECKS.claim.id;

export function checkClaim(
  f: Findings,
  c: { beneficiary: Address | "program"; expectedAmount: bigint; amount: bigint; expectedTo: Address; to: Address },
  at: Location,
): void {
  const name = `claim(${c.beneficiary})`;
  f.holds(ID, null, `${name}.amount`, c.amount === c.expectedAmount && c.amount > 0n, `${c.expectedAmount} (the whole claimable balance, > 0)`, c.amount.toString(), at);
  f.equal(ID, null, `${name}.to`, c.expectedTo, c.to, at);
}
