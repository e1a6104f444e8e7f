// Slurm `sacct -X -P --truncate` exports of a week (SERVICES §2 input 1): local time without a zone, clipped to
// the window, a re-run after an outage.
import type { PartnerSpec } from "../../demo/program";
import { wallClock } from "./format";
import type { ExportWindow, Job } from "./scenario";

const SACCT_HEADER = "JobIDRaw|Cluster|User|Account|Partition|State|Start|End|ElapsedRaw|AllocTRES|NodeList";

/** `billing=…,cpu=…,gres/gpu:<type>=N,gres/gpu=N,mem=…,node=…` in sacct's order. */
function allocTres(job: Job): string {
  const parts = [`billing=${job.cpus}`, `cpu=${job.cpus}`];
  if (job.gpus > 0) {
    if (job.gpuType) parts.push(`gres/gpu:${job.gpuType}=${job.gpus}`);
    parts.push(`gres/gpu=${job.gpus}`);
    if (job.extraTres) parts.push(...job.extraTres.split(","));
  }
  parts.push(job.memG >= 1000 && job.memG % 1000 === 0 ? `mem=${job.memG / 1000}T` : `mem=${job.memG}G`);
  parts.push(`node=${job.nodes}`);
  return parts.join(",");
}

/** The rows `sacct -X -P --truncate -S <from> -E <to>` prints for the window (local time, no zone). */
export function sacctExport(partner: PartnerSpec, jobs: readonly Job[], w: ExportWindow, options: { rerun?: boolean } = {}): string {
  const tz = partner.timezone;
  const lines = [SACCT_HEADER];
  for (const job of jobs) {
    if (job.missedBy === w.fromDate && !options.rerun) continue;
    if (job.start === undefined) {
      // queued (Start Unknown) while the window is open; cancelled before starting: Start None
      if (job.state === "PENDING" && job.submit < w.to) {
        lines.push([job.jobId, partner.cluster, job.user, job.account, job.partition, "PENDING", "Unknown", "Unknown", 0, "", "None assigned"].join("|"));
      } else if (job.state.startsWith("CANCELLED") && job.end >= w.from && job.end < w.to) {
        lines.push([job.jobId, partner.cluster, job.user, job.account, job.partition, job.state, "None", wallClock(job.end, tz), 0, "", "None assigned"].join("|"));
      }
      continue;
    }
    const overlaps = job.start < w.to && (job.end > w.from || (job.end === job.start && job.start >= w.from));
    if (!overlaps) continue;
    const start = Math.max(job.start, w.from);
    const end = Math.min(job.end, w.to);
    const state = job.end > w.to ? "RUNNING" : job.state;
    lines.push(
      [job.jobId, partner.cluster, job.user, job.account, job.partition, state, wallClock(start, tz), wallClock(end, tz), end - start, allocTres(job), job.nodeList].join("|"),
    );
  }
  return `${lines.join("\n")}\n`;
}
