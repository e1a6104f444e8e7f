// The sample's usage story: what the partners' clusters run for which startup (profiles, job templates, the
// story's fixed jobs and traps) and the weekly export windows they are exported in.
import { at, type PartnerSpec } from "../../demo/program";
import { addDays, localMidnight } from "./format";

/** One Slurm allocation (times are unix seconds). */
export interface Job {
  jobId: number;
  user: string;
  account: string;
  partition: string;
  /** `gres/gpu:<type>` name, or undefined when the cluster records only `gres/gpu=N` (partition default sku). */
  gpuType: string | undefined;
  gpus: number;
  nodes: number;
  cpus: number;
  memG: number;
  submit: number;
  /** undefined: still pending at the end of the data (or cancelled before it started). */
  start: number | undefined;
  end: number;
  state: string;
  nodeList: string;
  /** Extra TRES the cluster accounts for (gres/gpumem, gres/gpuutil): not GPUs. */
  extraTres?: string;
  /** Left out of the regular export of its week (slurmdbd outage); present in the re-run export. */
  missedBy?: string;
}

/** A metering record (generic format, SERVICES §2 input 2). */
export interface MeterRecord {
  recordId: string;
  account: string;
  sku: string;
  start: number;
  end: number;
  gpus: number;
  /** Given only when below (end − start) × gpus (shared GPUs), or deliberately wrong (a trap). */
  gpuSeconds: number | undefined;
  extra: Record<string, string>;
  /** Sent again in the next file (a duplicate the oracle skips). */
  resend?: boolean;
  /** Not billable: quarantined by the oracle (the reason, for the README). */
  trap?: string;
}

/** A week of exports: [from, to) at local midnights of the partner's cluster. */
export interface ExportWindow {
  fromDate: string;
  toDate: string;
  from: number;
  to: number;
}

const EXPORT_START_DATE = "2026-10-01";
const EXPORT_WEEKS = 9;
/** Jobs and sessions of agreements that run on: the last export ends 2026-12-03 local. */
export const USAGE_END = Number(at("2026-12-02T12:00:00Z"));

/** The partner's weekly export windows, from local midnight to local midnight. */
export function exportWindows(partner: PartnerSpec): ExportWindow[] {
  const out: ExportWindow[] = [];
  for (let w = 0; w < EXPORT_WEEKS; w++) {
    const fromDate = addDays(EXPORT_START_DATE, 7 * w);
    const toDate = addDays(fromDate, 7);
    out.push({ fromDate, toDate, from: localMidnight(fromDate, partner.timezone), to: localMidnight(toDate, partner.timezone) });
  }
  return out;
}

/** When a week's export lands at the oracle: 30 minutes after the window closes (the nightly cron). */
export const exportArrival = (w: ExportWindow) => w.to + 1800;

interface JobTemplate {
  weight: number;
  partition: string;
  gpuType: string | undefined;
  gpus: readonly number[];
  gpusPerNode: number;
  /** Duration in minutes, [min, max]. */
  minutes: readonly [number, number];
}

/** How one startup uses one partner's cluster: who submits, how often, which jobs, which metering sessions. */
export interface UsageProfile {
  startup: string;
  users: readonly string[];
  /** Chances (per mille) of a job starting in each 6-hour slot of a day. */
  slotChance: number;
  templates: readonly JobTemplate[];
  /** Metering sessions (k8s pods or dedicated endpoints) per export week. */
  sessions?: { perWeek: [number, number]; type: string; gpus: readonly number[]; hours: [number, number]; sharedPerMille: number };
}

const NODE_PREFIX: Record<string, string> = {
  "scc-syd1/gpu-h100": "syd1-h100-",
  "scc-syd1/gpu-h200": "syd1-h200-",
  "scc-syd1/gpu-b200": "syd1-b200-",
  "scc-syd1/cpu": "syd1-cpu-",
  "nrd-osl1/gpu-h100": "osl1-hgx",
  "nrd-osl1/gpu-b200": "osl1-dgx",
  "nrd-osl1/cpu": "osl1-c",
};

/** The usage profiles per partner key. */
export const PROFILES: Record<string, readonly UsageProfile[]> = {
  "southern-cross": [
    {
      startup: "helix-labs",
      users: ["mchen", "apatel", "svc-helix-ci"],
      slotChance: 190,
      templates: [
        { weight: 6, partition: "gpu-h100", gpuType: "h100", gpus: [8, 8, 16], gpusPerNode: 8, minutes: [45, 600] },
        // the h200 partition's nodes only record gres/gpu=N: the partition names the sku
        { weight: 3, partition: "gpu-h200", gpuType: undefined, gpus: [4, 8], gpusPerNode: 8, minutes: [30, 420] },
      ],
    },
    {
      startup: "quill-ai",
      users: ["jrivera", "sokafor", "svc-quill-train"],
      slotChance: 230,
      templates: [
        { weight: 4, partition: "gpu-h100", gpuType: "h100", gpus: [8, 16, 32], gpusPerNode: 8, minutes: [60, 900] },
        { weight: 5, partition: "gpu-b200", gpuType: "b200", gpus: [8, 16], gpusPerNode: 8, minutes: [90, 1200] },
      ],
      sessions: { perWeek: [1, 2], type: "b200", gpus: [8], hours: [10, 30], sharedPerMille: 0 },
    },
  ],
  nordlys: [
    {
      startup: "helix-labs",
      users: ["mchen", "tkowalski"],
      slotChance: 70,
      templates: [{ weight: 1, partition: "gpu-b200", gpuType: "b200", gpus: [4, 8], gpusPerNode: 8, minutes: [40, 360] }],
      sessions: { perWeek: [3, 5], type: "h100", gpus: [1, 2], hours: [3, 20], sharedPerMille: 400 },
    },
    {
      startup: "quill-ai",
      users: ["jrivera", "nlarsen", "svc-quill-eval"],
      slotChance: 110,
      templates: [
        { weight: 3, partition: "gpu-h100", gpuType: "h100", gpus: [8, 16], gpusPerNode: 8, minutes: [30, 240] },
        { weight: 1, partition: "nvl72", gpuType: "gb300", gpus: [72], gpusPerNode: 4, minutes: [180, 960] },
      ],
      sessions: { perWeek: [2, 4], type: "b200", gpus: [1, 2, 4], hours: [4, 36], sharedPerMille: 250 },
    },
    {
      startup: "tessellate",
      users: ["lweber", "kfischer"],
      slotChance: 60,
      templates: [
        { weight: 2, partition: "gpu-h100", gpuType: "h100", gpus: [8], gpusPerNode: 8, minutes: [60, 480] },
        { weight: 1, partition: "gpu-b200", gpuType: "b200", gpus: [4], gpusPerNode: 8, minutes: [60, 300] },
      ],
      sessions: { perWeek: [2, 3], type: "h100", gpus: [1], hours: [6, 24], sharedPerMille: 500 },
    },
  ],
};

/** How the random jobs end, by weight. */
export const JOB_STATES: readonly (readonly [string, number])[] = [
  ["COMPLETED", 80],
  ["FAILED", 7],
  ["CANCELLED by 0", 5],
  ["TIMEOUT", 6],
  ["OUT_OF_MEMORY", 2],
];

/** Slurm's NodeList of `count` nodes from node number `first` of a partition. */
export function nodeListOf(cluster: string, partition: string, first: number, count: number): string {
  if (partition === "nvl72") {
    const rack = String(first % 6 + 1).padStart(2, "0");
    return `osl1-nvl72-r${rack}n[01-18]`;
  }
  const prefix = NODE_PREFIX[`${cluster}/${partition}`];
  const num = (i: number) => String(i).padStart(3, "0");
  return count === 1 ? `${prefix}${num(first)}` : `${prefix}[${num(first)}-${num(first + count - 1)}]`;
}

/** The usage of one partner's cluster: Slurm jobs and metering sessions, plus the special cases. */
export interface ClusterUsage {
  jobs: Job[];
  sessions: Map<string, MeterRecord[]>;
  /** recordIds / job ids named in the README and manifest. */
  notes: { nodeFailJob?: Job; lateJob?: Job; dstJobs: Job[] };
}

/** The story's fixed jobs (traps and the disputed job), placed before the random ones. */
export function fixedJobs(partner: PartnerSpec): Job[] {
  const base = { nodes: 1, cpus: 96, memG: 1000, state: "COMPLETED" } as const;
  if (partner.key === "southern-cross") {
    const dstStart = localMidnight("2026-10-04", partner.timezone) + 1800; // 00:30 AEST, before the clocks jump at 02:00
    return [
      // runs across the start of Sydney's daylight saving time: 6 h on the wall clock, 5 h of GPU time
      { ...base, jobId: 0, user: "jrivera", account: "quill-ai", partition: "gpu-h100", gpuType: "h100", gpus: 16, nodes: 2, cpus: 192, memG: 2000, submit: dstStart - 600, start: dstStart, end: dstStart + 5 * 3600, nodeList: nodeListOf("scc-syd1", "gpu-h100", 21, 2) },
    ];
  }
  const fallBack = localMidnight("2026-10-25", partner.timezone) + 2.5 * 3600; // 02:30 CEST, the first of the two 02:30s
  const nodeFail = Number(at("2026-10-20T06:00:00Z"));
  const late = Number(at("2026-10-17T09:12:00Z"));
  return [
    // a GB300 NVL72 rack fails 5 h into a training run: billed by the export, disputed by the startup
    { ...base, jobId: 0, user: "svc-quill-train", account: "quill", partition: "nvl72", gpuType: "gb300", gpus: 72, nodes: 18, cpus: 2592, memG: 17_280, submit: nodeFail - 420, start: nodeFail, end: nodeFail + 5 * 3600, state: "NODE_FAIL", nodeList: "osl1-nvl72-r03n[01-18]" },
    // missing from the regular export of its week (slurmdbd was down), present in the re-run
    { ...base, jobId: 0, user: "tkowalski", account: "helix", partition: "gpu-b200", gpuType: "b200", gpus: 8, submit: late - 95, start: late, end: late + 4 * 3600 + 1234, nodeList: nodeListOf("nrd-osl1", "gpu-b200", 7, 1), missedBy: "2026-10-15" },
    // starts at the first 02:30 of the night Oslo's clocks go back and ends at the second 02:15: 45 minutes
    { ...base, jobId: 0, user: "lweber", account: "tessellate", partition: "gpu-h100", gpuType: "h100", gpus: 8, submit: fallBack - 60, start: fallBack, end: fallBack + 2700, nodeList: nodeListOf("nrd-osl1", "gpu-h100", 3, 1) },
  ];
}
