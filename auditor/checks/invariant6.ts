// invariant.6 — PROTOCOL §10.6: per partner, sequences accepted 0, 1, 2, … with no gap or repeat; per
// (agreement, period) at most one Finalized report.
import type { Address } from "viem";
import type { Findings, Location } from "../findings";
import type { AgreementModel } from "../replay/model";
import { CHECKS } from "./catalog";

const ID = CHECKS.invariant6.id;

export const checkInvariant6 = {
  sequence(f: Findings, partner: Address, expected: bigint, found: bigint, at: Location): void {
    f.equal(ID, null, `partner(${partner}).sequence`, expected, found, at);
  },
  finalizedOnce(f: Findings, a: AgreementModel, k: number, finalizations: number, at: Location): void {
    f.holds(ID, a.id, `period[${k}].finalizations`, finalizations === 1, "1", String(finalizations), at);
  },
};
