// data/sample/README.md: what the files are and which traps they hold (README.template.md), with the job ids and
// file names this generation drew.
import { SACCT_COMMAND } from "../../oracle/sources/slurm";
import type { Manifest } from "./manifest";
import { SEED } from "./random";
import type { ClusterUsage } from "./scenario";
import { fillTemplate } from "./template";

/** The sample's README for `manifest` and the clusters' usage (by partner key). */
export function readme(manifest: Manifest, usage: ReadonlyMap<string, ClusterUsage>): string {
  const scc = usage.get("southern-cross")!;
  const nrd = usage.get("nordlys")!;
  const sydneyDst = scc.notes.dstJobs[0];
  return fillTemplate("README.template.md", {
    seed: SEED,
    sacctCommand: SACCT_COMMAND,
    sydneyDstJob: sydneyDst.jobId,
    sydneyDstHours: (sydneyDst.end - sydneyDst.start!) / 3600,
    osloDstJob: nrd.notes.dstJobs[0].jobId,
    lateJob: nrd.notes.lateJob!.jobId,
    nodeFailJob: nrd.notes.nodeFailJob!.jobId,
    disputedUntil: String(manifest.revenueDispute.disputed.match(/to_(\d{4}-\d{2}-\d{2})/)?.[1]),
    restatementFile: String(manifest.revenueDispute.restatement.split("/").pop()),
  });
}
