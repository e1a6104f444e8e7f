// usage.credits — the rate applied (PROTOCOL §5, §6): credits = mulDiv(gpuSeconds, rate in effect at the batch's
// periodStart, 3600); receivableAdded = mulDiv(credits, payoutBps, 10 000); the line names the batch's partner.
import type { Address, Hex } from "viem";
import type { Findings, Location } from "../findings";
import { CHECKS } from "./catalog";

const ID = CHECKS.usageCredits.id;

export function checkUsageCredits(
  f: Findings,
  agreementId: bigint,
  c: {
    batchId: Hex; sku: Hex; gpuSeconds: bigint; rate: bigint; payoutBps: bigint; partner: Address; foundPartner: Address;
    expectedCredits: bigint; credits: bigint; expectedReceivable: bigint; receivable: bigint;
  },
  at: Location,
): void {
  const line = () => `batch(${c.batchId}).line ${c.sku}`;
  f.equal(ID, agreementId, () => `${line()}.credits (${c.gpuSeconds} GPU-s × ${c.rate} / 3600)`, c.expectedCredits, c.credits, at);
  f.equal(ID, agreementId, () => `${line()}.receivableAdded (× ${c.payoutBps} bps)`, c.expectedReceivable, c.receivable, at);
  f.equal(ID, agreementId, () => `${line()}.partner`, c.partner, c.foundPartner, at);
}
