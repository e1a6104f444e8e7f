// evidence.lines — each line's gpuSeconds equals the sum of its records' gpuSeconds; every record belongs to a line
// of the batch, appears once, bills > 0 GPU-seconds and lies in the batch's window (a carried late slice keeps its
// true times, so it ends at or before periodStart).
import type { Hex } from "viem";
import type { Findings, Location } from "../findings";
import { CHECKS } from "./catalog";

const ID = CHECKS.evidenceLines.id;

export const checkEvidenceLines = {
  sum(f: Findings, agreementId: bigint, batchId: Hex, sku: Hex, lineGpuSeconds: bigint, recordsGpuSeconds: bigint, at: Location): void {
    f.equal(ID, agreementId, `batch(${batchId}).line ${sku}.gpuSeconds = Σ records`, recordsGpuSeconds, lineGpuSeconds, at);
  },
  orphan(f: Findings, agreementId: bigint, batchId: Hex, sku: Hex, gpuSeconds: bigint, at: Location): void {
    f.holds(ID, agreementId, `batch(${batchId}).records of ${sku}`, false, "records of a line of the batch", `${gpuSeconds} GPU-s with no line`, at);
  },
  record(f: Findings, agreementId: bigint, batchId: Hex, recordId: string, ok: boolean, expected: string, found: string, at: Location): boolean {
    return f.holds(ID, agreementId, `batch(${batchId}).record ${recordId}`, ok, expected, found, at);
  },
};
