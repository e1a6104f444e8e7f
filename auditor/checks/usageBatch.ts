// usage.batch — the batch checks of PROTOCOL §6 as visible in UsageBatchRecorded: the partner was registered and
// active, not paused, sequence = nextSequence, periodStart < periodEnd ≤ submission time, the batch id is
// keccak256(abi.encode(partner, sequence, periodStart, periodEnd, recordsRoot)), 1..256 lines whose events match
// the counts, no scheduled rate strictly inside the window.
import type { Address, Hex } from "viem";
import type { Findings, Location } from "../findings";
import { CHECKS } from "./catalog";

const ID = CHECKS.usageBatch.id;

export interface BatchFacts {
  batchId: Hex;
  expectedBatchId: Hex;
  partner: Address;
  registered: boolean;
  active: boolean;
  paused: boolean;
  expectedSequence: bigint;
  sequence: bigint;
  periodStart: bigint;
  periodEnd: bigint;
  now: bigint;
  lineCount: number;
  linesAccepted: bigint;
  linesRejected: bigint;
  acceptedEvents: number;
  straddles: bigint[];
  known: boolean;
}

export const checkUsageBatch = Object.assign(
  function checkUsageBatch(f: Findings, b: BatchFacts, at: Location): void {
    const name = `batch(${b.batchId})`;
    f.equal(ID, null, () => `${name}.batchId`, b.expectedBatchId, b.batchId, at);
    f.holds(ID, null, `${name}.unique`, !b.known, "a new batch id", "a batch id recorded before", at);
    f.holds(ID, null, `${name}.partner`, b.registered && b.active, "a registered, active partner", b.registered ? "an inactive partner" : "an unregistered partner", at);
    f.holds(ID, null, `${name}.paused`, !b.paused, "not paused", "recorded while paused", at);
    f.equal(ID, null, `${name}.sequence`, b.expectedSequence, b.sequence, at);
    f.holds(ID, null, `${name}.window`, b.periodStart < b.periodEnd && b.periodEnd <= b.now, `periodStart < periodEnd ≤ ${b.now}`, `[${b.periodStart}, ${b.periodEnd})`, at);
    f.holds(ID, null, `${name}.lines`, b.lineCount >= 1 && b.lineCount <= 256, "1..256 lines", String(b.lineCount), at);
    f.equal(ID, null, `${name}.linesAccepted`, BigInt(b.acceptedEvents), b.linesAccepted, at);
    f.equal(ID, null, `${name}.linesRejected`, BigInt(b.lineCount - b.acceptedEvents), b.linesRejected, at);
    f.holds(ID, null, `${name}.rateStraddle`, b.straddles.length === 0, "no rate change inside the window", `a rate from ${b.straddles[0]}`, at);
  },
  {
    /** A line event whose batch never got its UsageBatchRecorded. */
    orphanLine(f: Findings, agreementId: bigint, batchId: string, at: Location): void {
      f.holds(ID, agreementId, `batch(${batchId}).line`, false, "a line of a recorded batch", "a line event without UsageBatchRecorded", at);
    },
  },
);
