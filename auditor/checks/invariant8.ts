// invariant.8 — PROTOCOL §10.8 (and §6): per batch and agreement, the lines were all accepted or all rejected.
import type { Hex } from "viem";
import type { Findings, Location } from "../findings";
import { CHECKS } from "./catalog";

const ID = CHECKS.invariant8.id;

export function checkInvariant8(f: Findings, agreementId: bigint, c: { batchId: Hex; accepted: number; rejected: number }, at: Location): void {
  f.holds(ID, agreementId, () => `batch(${c.batchId}).lines of agreement ${agreementId}`, c.accepted === 0 || c.rejected === 0,
    "all accepted or all rejected", () => `${c.accepted} accepted, ${c.rejected} rejected`, at);
}
