// usage.line — each line of a batch accepted, or rejected with the right reason, as the line checks of PROTOCOL §6
// decide in order: NotOpen, OutsideTerm, ReportingClosed (every line of the agreement in the batch), NoRate, Overlap,
// OverGpuBound, OverAuthorization, InsufficientCredits (the first failing line; the agreement's other lines in the
// batch SiblingRejected). A rejected line's gpuSeconds are not in its event: without the batch's evidence bundle,
// the last three reasons can only be checked to be one of them, at one of the places they could occur.
import type { Hex } from "viem";
import type { Findings, Location } from "../findings";
import type { UsageRejection } from "../replay/model";
import { CHECKS } from "./catalog";

const ID = CHECKS.usageLine.id;
const NEEDS_GPU_SECONDS: readonly UsageRejection[] = ["OverGpuBound", "OverAuthorization", "InsufficientCredits"];

/** Accepted, or rejected with a reason (undefined: the reason depends on gpuSeconds the auditor does not know). */
export type LineOutcome = { accepted: true } | { accepted: false; reason: UsageRejection | undefined };

const show = (o: LineOutcome): string => (o.accepted ? "accepted" : o.reason ? `rejected ${o.reason}` : `rejected (${NEEDS_GPU_SECONDS.join(" | ")})`);

export function checkUsageLine(
  f: Findings,
  agreementId: bigint,
  c: { batchId: Hex; index: number; sku: Hex; expected: LineOutcome; found: LineOutcome },
  at: Location,
): void {
  const { expected, found } = c;
  let ok: boolean;
  if (expected.accepted || found.accepted) ok = expected.accepted === found.accepted && expected.accepted === true;
  else if (expected.reason === undefined) ok = found.reason !== undefined && NEEDS_GPU_SECONDS.includes(found.reason);
  else ok = expected.reason === found.reason;
  // an accepted line whose gpuSeconds were unknown cannot happen: accepted lines carry them
  f.holds(ID, agreementId, () => `batch(${c.batchId}).line[${c.index}] ${c.sku}`, ok, () => show(expected), () => show(found), at);
}
