// Writes the demo's sample data (data/sample/, docs/demo.md): the partners' Slurm `sacct` exports and
// metering files (SERVICES §2, traps included), the startups' Stripe itemized balance reports
// (SERVICES §3), their legal terms and a manifest saying when each file "arrives" in the demo's
// story. Seeded and deterministic: every run writes the same bytes.
//   npm run gen:sample                  rewrite data/sample/
//   npm run gen:sample -- --out <dir>   write elsewhere (the test compares it with data/sample/)
//   npm run gen:sample -- --check       exit 1 when data/sample/ differs from what would be written
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { TimeZoneClock } from "../oracle/sources/time";
import { SACCT_COMMAND } from "../oracle/sources/slurm";
import {
  DAY,
  HOUR,
  PARTNERS,
  STARTUPS,
  at,
  endTimeOf,
  isoOf,
  partnerSpec,
  rateAt,
  startupSpec,
  type PartnerSpec,
  type StartupSpec,
} from "../demo/program";
import { formatUnits6 } from "../sdk/units";
import { mulberry32 } from "./lib/prng";

/** The seed of every random stream (each file draws from its own stream named after it). */
export const SEED = "dsx-demo-2026";

export const SAMPLE_DIR = join(__dirname, "..", "data", "sample");

// ------------------------------------------------------------------------------------------------
//                                   deterministic randomness
// ------------------------------------------------------------------------------------------------

/** mulberry32 over a FNV-1a hash of `SEED/name`: a stream per file, so one file's change leaves the others as they are. */
class Rng {
  /** A uniform 32-bit unsigned integer. */
  readonly next: () => number;
  constructor(name: string) {
    let h = 0x811c9dc5;
    for (const c of `${SEED}/${name}`) {
      h ^= c.charCodeAt(0);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    this.next = mulberry32(h);
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor((this.next() / 2 ** 32) * (hi - lo + 1));
  }
  /** True with probability `perMille` / 1000. */
  chance(perMille: number): boolean {
    return this.int(0, 999) < perMille;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)];
  }
  /** An item by integer weights. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((s, [, w]) => s + w, 0);
    let r = this.int(0, total - 1);
    for (const [item, w] of items) {
      if (r < w) return item;
      r -= w;
    }
    return items[items.length - 1][0];
  }
  /** `n` characters of [0-9A-Za-z]. */
  base62(n: number): string {
    const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[this.int(0, 61)];
    return s;
  }
}

// ------------------------------------------------------------------------------------------------
//                                            time
// ------------------------------------------------------------------------------------------------

const formats = new Map<string, Intl.DateTimeFormat>();

/** Wall-clock reading of unix time `t` in `timeZone`, as `YYYY-MM-DD<sep>HH:MM:SS`. */
function wallClock(t: number, timeZone: string, sep = "T"): string {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formats.set(timeZone, f);
  }
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(t * 1000)) p[part.type] = part.value;
  return `${p.year}-${p.month}-${p.day}${sep}${p.hour}:${p.minute}:${p.second}`;
}

/** The UTC offset of `timeZone` at `t` as ±HH:MM. */
function offsetText(t: number, timeZone: string): string {
  const offset = new TimeZoneClock(timeZone).offsetAt(t);
  const sign = offset < 0 ? "-" : "+";
  const m = Math.abs(offset) / 60;
  return `${sign}${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}

/** ISO 8601 of `t` with the offset of `timeZone` (`2026-10-03T16:22:05+02:00`), or `Z` for UTC. */
function isoIn(t: number, timeZone: string): string {
  if (timeZone === "UTC") return `${wallClock(t, "UTC")}Z`;
  return `${wallClock(t, timeZone)}${offsetText(t, timeZone)}`;
}

/** Unix seconds of local midnight of `date` (YYYY-MM-DD) in `timeZone`. */
function localMidnight(date: string, timeZone: string): number {
  const [year, month, day] = date.split("-").map(Number);
  return Number(new TimeZoneClock(timeZone).toUnix({ year, month, day, hour: 0, minute: 0, second: 0 }));
}

function addDays(date: string, days: number): string {
  const t = Date.parse(`${date}T00:00:00Z`) + days * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

const n = (t: bigint) => Number(t);

// ------------------------------------------------------------------------------------------------
//                                      the usage exports
// ------------------------------------------------------------------------------------------------

/** One Slurm allocation (times are unix seconds). */
interface Job {
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
interface MeterRecord {
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
interface ExportWindow {
  fromDate: string;
  toDate: string;
  from: number;
  to: number;
}

const EXPORT_START_DATE = "2026-10-01";
const EXPORT_WEEKS = 9;
/** Jobs and sessions of agreements that run on: the last export ends 2026-12-03 local. */
const USAGE_END = n(at("2026-12-02T12:00:00Z"));

function exportWindows(partner: PartnerSpec): ExportWindow[] {
  const out: ExportWindow[] = [];
  for (let w = 0; w < EXPORT_WEEKS; w++) {
    const fromDate = addDays(EXPORT_START_DATE, 7 * w);
    const toDate = addDays(fromDate, 7);
    out.push({ fromDate, toDate, from: localMidnight(fromDate, partner.timezone), to: localMidnight(toDate, partner.timezone) });
  }
  return out;
}

/** When a week's export lands at the oracle: 30 minutes after the window closes (the nightly cron). */
const exportArrival = (w: ExportWindow) => w.to + 1800;

/** GPUs in use per (partner, agreement), so no startup ever exceeds the GPUs it reserved (maxGpus). */
class Occupancy {
  private readonly intervals: { start: number; end: number; gpus: number }[] = [];
  constructor(private readonly max: number) {}
  fits(start: number, end: number, gpus: number): boolean {
    const overlapping = this.intervals.filter((i) => i.start < end && i.end > start);
    const points = [start, ...overlapping.map((i) => i.start).filter((s) => s > start && s < end)];
    return points.every((p) => overlapping.filter((i) => i.start <= p && i.end > p).reduce((s, i) => s + i.gpus, gpus) <= this.max);
  }
  add(start: number, end: number, gpus: number): void {
    this.intervals.push({ start, end, gpus });
  }
}

interface JobTemplate {
  weight: number;
  partition: string;
  gpuType: string | undefined;
  gpus: readonly number[];
  gpusPerNode: number;
  /** Duration in minutes, [min, max]. */
  minutes: readonly [number, number];
}

interface UsageProfile {
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

const PROFILES: Record<string, readonly UsageProfile[]> = {
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

const JOB_STATES: readonly (readonly [string, number])[] = [
  ["COMPLETED", 80],
  ["FAILED", 7],
  ["CANCELLED by 0", 5],
  ["TIMEOUT", 6],
  ["OUT_OF_MEMORY", 2],
];

function nodeListOf(cluster: string, partition: string, first: number, count: number): string {
  if (partition === "nvl72") {
    const rack = String(first % 6 + 1).padStart(2, "0");
    return `osl1-nvl72-r${rack}n[01-18]`;
  }
  const prefix = NODE_PREFIX[`${cluster}/${partition}`];
  const num = (i: number) => String(i).padStart(3, "0");
  return count === 1 ? `${prefix}${num(first)}` : `${prefix}[${num(first)}-${num(first + count - 1)}]`;
}

/** The usage of one partner's cluster: Slurm jobs and metering sessions, plus the special cases. */
interface ClusterUsage {
  jobs: Job[];
  sessions: Map<string, MeterRecord[]>;
  /** recordIds / job ids named in the README and manifest. */
  notes: { nodeFailJob?: Job; lateJob?: Job; dstJobs: Job[] };
}

/** The story's fixed jobs (traps and the disputed job), placed before the random ones. */
function fixedJobs(partner: PartnerSpec): Job[] {
  const base = { nodes: 1, cpus: 96, memG: 1000, state: "COMPLETED" } as const;
  if (partner.key === "southern-cross") {
    const dstStart = localMidnight("2026-10-04", partner.timezone) + 1800; // 00:30 AEST, before the clocks jump at 02:00
    return [
      // runs across the start of Sydney's daylight saving time: 6 h on the wall clock, 5 h of GPU time
      { ...base, jobId: 0, user: "jrivera", account: "quill-ai", partition: "gpu-h100", gpuType: "h100", gpus: 16, nodes: 2, cpus: 192, memG: 2000, submit: dstStart - 600, start: dstStart, end: dstStart + 5 * 3600, nodeList: nodeListOf("scc-syd1", "gpu-h100", 21, 2) },
    ];
  }
  const fallBack = localMidnight("2026-10-25", partner.timezone) + 2.5 * 3600; // 02:30 CEST, the first of the two 02:30s
  const nodeFail = n(at("2026-10-20T06:00:00Z"));
  const late = n(at("2026-10-17T09:12:00Z"));
  return [
    // a GB300 NVL72 rack fails 5 h into a training run: billed by the export, disputed by the startup
    { ...base, jobId: 0, user: "svc-quill-train", account: "quill", partition: "nvl72", gpuType: "gb300", gpus: 72, nodes: 18, cpus: 2592, memG: 17_280, submit: nodeFail - 420, start: nodeFail, end: nodeFail + 5 * 3600, state: "NODE_FAIL", nodeList: "osl1-nvl72-r03n[01-18]" },
    // missing from the regular export of its week (slurmdbd was down), present in the re-run
    { ...base, jobId: 0, user: "tkowalski", account: "helix", partition: "gpu-b200", gpuType: "b200", gpus: 8, submit: late - 95, start: late, end: late + 4 * 3600 + 1234, nodeList: nodeListOf("nrd-osl1", "gpu-b200", 7, 1), missedBy: "2026-10-15" },
    // starts at the first 02:30 of the night Oslo's clocks go back and ends at the second 02:15: 45 minutes
    { ...base, jobId: 0, user: "lweber", account: "tessellate", partition: "gpu-h100", gpuType: "h100", gpus: 8, submit: fallBack - 60, start: fallBack, end: fallBack + 2700, nodeList: nodeListOf("nrd-osl1", "gpu-h100", 3, 1) },
  ];
}

function generateClusterUsage(partner: PartnerSpec): ClusterUsage {
  const rng = new Rng(`usage/${partner.key}`);
  const jobs: Job[] = [];
  const occupancy = new Map<string, Occupancy>();
  const occupancyOf = (startupKey: string) => {
    let o = occupancy.get(startupKey);
    if (!o) {
      const s = startupSpec(startupKey);
      o = new Occupancy(s.partners[partner.key].maxGpus);
      occupancy.set(startupKey, o);
    }
    return o;
  };
  const accountOwner = new Map<string, string>();
  for (const s of STARTUPS) if (s.partners[partner.key]) accountOwner.set(s.partners[partner.key].account, s.key);

  const notes: ClusterUsage["notes"] = { dstJobs: [] };
  for (const job of fixedJobs(partner)) {
    const owner = accountOwner.get(job.account)!;
    occupancyOf(owner).add(job.start!, job.end, job.gpus);
    jobs.push(job);
    if (job.state === "NODE_FAIL") notes.nodeFailJob = job;
    else if (job.missedBy) notes.lateJob = job;
    else notes.dstJobs.push(job);
  }

  for (const profile of PROFILES[partner.key]) {
    const startup = startupSpec(profile.startup);
    const account = startup.partners[partner.key].account;
    const occ = occupancyOf(startup.key);
    const first = n(startup.startTime) + 3600;
    const last = Math.min(n(endTimeOf(startup)) - 12 * 3600, USAGE_END);
    for (let day = n(startup.startTime); day < last; day += 86_400) {
      for (let slot = 0; slot < 4; slot++) {
        if (!rng.chance(profile.slotChance)) continue;
        const t = rng.weighted(profile.templates.map((x) => [x, x.weight] as const));
        const gpus = rng.pick(t.gpus);
        for (let attempt = 0; attempt < 6; attempt++) {
          const start = day + slot * 21_600 + rng.int(0, 21_599);
          const end = start + rng.int(t.minutes[0], t.minutes[1]) * 60 + rng.int(0, 59);
          if (start < first || end > last || !occ.fits(start, end, gpus)) continue;
          occ.add(start, end, gpus);
          const nodes = Math.ceil(gpus / t.gpusPerNode);
          jobs.push({
            jobId: 0,
            user: rng.pick(profile.users),
            account,
            partition: t.partition,
            gpuType: t.gpuType,
            gpus,
            nodes,
            cpus: nodes * (t.partition === "nvl72" ? 144 : 96) * (gpus < t.gpusPerNode ? gpus / t.gpusPerNode : 1),
            memG: nodes * (gpus < t.gpusPerNode ? 500 : 1000),
            submit: start - rng.int(5, 5400),
            start,
            end,
            state: rng.weighted(JOB_STATES),
            nodeList: nodeListOf(partner.cluster, t.partition, rng.int(1, 40), nodes),
            extraTres: partner.key === "nordlys" ? `gres/gpumem=${gpus * 180}G,gres/gpuutil=${rng.int(35, 99)}` : undefined,
          });
          break;
        }
      }
    }
  }

  // Other tenants of the shared cluster (not in the oracle's accounts: quarantined, as SERVICES §2 says),
  // CPU-only jobs (ignored), a queued job, one cancelled before it started, a failed job that never ran.
  const other = partner.key === "southern-cross" ? { account: "anu-physics", user: "rsmith" } : { account: "sintef-energy", user: "ohansen" };
  for (const when of ["2026-10-09T03:00:00Z", "2026-11-12T20:00:00Z"]) {
    const start = n(at(when));
    jobs.push({ jobId: 0, user: other.user, account: other.account, partition: "gpu-h100", gpuType: "h100", gpus: 8, nodes: 1, cpus: 96, memG: 1000, submit: start - 300, start, end: start + 7 * 3600 + 17, state: "COMPLETED", nodeList: nodeListOf(partner.cluster, "gpu-h100", 40, 1) });
  }
  const someone = PROFILES[partner.key][0];
  const someAccount = startupSpec(someone.startup).partners[partner.key].account;
  for (let d = 0; d < 50; d += 3) {
    const start = n(at("2026-10-02T01:00:00Z")) + d * 86_400 + rng.int(0, 40_000);
    jobs.push({ jobId: 0, user: someone.users[0], account: someAccount, partition: "cpu", gpuType: undefined, gpus: 0, nodes: 1, cpus: 64, memG: 256, submit: start - 60, start, end: start + rng.int(600, 14_400), state: "COMPLETED", nodeList: nodeListOf(partner.cluster, "cpu", rng.int(1, 20), 1) });
  }
  const failedAt = n(at("2026-10-13T08:00:00Z"));
  jobs.push({ jobId: 0, user: someone.users[0], account: someAccount, partition: someone.templates[0].partition, gpuType: someone.templates[0].gpuType, gpus: 8, nodes: 1, cpus: 96, memG: 1000, submit: failedAt - 30, start: failedAt, end: failedAt, state: "FAILED", nodeList: nodeListOf(partner.cluster, someone.templates[0].partition, 9, 1) });
  const queuedAt = n(at("2026-11-30T09:00:00Z"));
  jobs.push({ jobId: 0, user: someone.users[0], account: someAccount, partition: someone.templates[0].partition, gpuType: someone.templates[0].gpuType, gpus: 16, nodes: 2, cpus: 192, memG: 2000, submit: queuedAt, start: undefined, end: queuedAt, state: "PENDING", nodeList: "None assigned" });
  const cancelledAt = n(at("2026-10-21T04:10:00Z"));
  jobs.push({ jobId: 0, user: someone.users[0], account: someAccount, partition: someone.templates[0].partition, gpuType: someone.templates[0].gpuType, gpus: 8, nodes: 1, cpus: 96, memG: 1000, submit: cancelledAt - 4000, start: undefined, end: cancelledAt, state: "CANCELLED by 0", nodeList: "None assigned" });

  // Slurm numbers jobs in submission order; other users' jobs take the numbers in between.
  jobs.sort((a, b) => a.submit - b.submit || a.end - b.end);
  let id = partner.key === "southern-cross" ? 4_812_040 : 1_203_377;
  const uid = partner.key === "southern-cross" ? 51_204 : 20_417;
  for (const job of jobs) {
    id += rng.int(1, 37);
    job.jobId = id;
    if (job.state === "CANCELLED by 0") job.state = `CANCELLED by ${uid + rng.int(0, 30)}`;
  }

  const sessions = generateSessions(partner, rng, occupancyOf);
  return { jobs, sessions, notes };
}

/** Metering sessions per export week (file name → records), inside the week so no session straddles two files. */
function generateSessions(partner: PartnerSpec, rng: Rng, occupancyOf: (startup: string) => Occupancy): Map<string, MeterRecord[]> {
  const files = new Map<string, MeterRecord[]>();
  const windows = exportWindows(partner);
  let counter = 0;
  for (const w of windows) {
    const records: MeterRecord[] = [];
    for (const profile of PROFILES[partner.key]) {
      const s = profile.sessions;
      if (!s) continue;
      const startup = startupSpec(profile.startup);
      const account = startup.partners[partner.key].account;
      const occ = occupancyOf(startup.key);
      const first = Math.max(w.from + 3600, n(startup.startTime) + 3600);
      const last = Math.min(w.to - 3600, n(endTimeOf(startup)) - 12 * 3600, USAGE_END);
      const count = rng.int(s.perWeek[0], s.perWeek[1]);
      for (let i = 0; i < count; i++) {
        const gpus = rng.pick(s.gpus);
        for (let attempt = 0; attempt < 8; attempt++) {
          const length = rng.int(s.hours[0] * 60, s.hours[1] * 60) * 60;
          if (last - first < length) break;
          const start = first + rng.int(0, last - first - length);
          const end = start + length;
          if (!occ.fits(start, end, gpus)) continue;
          occ.add(start, end, gpus);
          counter += 1;
          const shared = rng.chance(s.sharedPerMille);
          const record: MeterRecord =
            partner.key === "nordlys"
              ? {
                  recordId: `k8s:osl1-inference:${account}/${account}-serve-${rng.base62(5).toLowerCase()}:${counter}`,
                  account,
                  sku: s.type,
                  start,
                  end,
                  gpus,
                  // time-sliced GPUs bill what the device plugin measured, below the wall-clock bound
                  gpuSeconds: shared ? Math.floor((length * gpus * rng.int(40, 90)) / 100) : undefined,
                  extra: { node: `osl1-inf${String(rng.int(1, 24)).padStart(2, "0")}`, namespace: account },
                }
              : {
                  recordId: `scc-endpoint-${String(counter).padStart(5, "0")}`,
                  account,
                  sku: s.type,
                  start,
                  end,
                  gpus,
                  gpuSeconds: undefined,
                  extra: { endpoint: `${account}-inference-${rng.int(1, 3)}`, site: "syd1" },
                };
          records.push(record);
          break;
        }
      }
    }
    files.set(w.fromDate, records.sort((a, b) => a.start - b.start || (a.recordId < b.recordId ? -1 : 1)));
  }
  // Traps of the generic format: one record claims more GPU-seconds than its GPUs could give, one
  // belongs to the partner's own namespace (no agreement) — both quarantined — and one is sent twice.
  const week2 = files.get(windows[1].fromDate)!;
  const week3 = files.get(windows[2].fromDate)!;
  const t = windows[1].from + 2 * 86_400 + 3 * 3600;
  const someAccount = startupSpec(PROFILES[partner.key].find((p) => p.sessions)!.startup).partners[partner.key].account;
  const type = PROFILES[partner.key].find((p) => p.sessions)!.sessions!.type;
  week2.push({
    recordId: partner.key === "nordlys" ? `k8s:osl1-inference:${someAccount}/${someAccount}-serve-x9k2q:bad-gpu-seconds` : "scc-endpoint-90001",
    account: someAccount,
    sku: type,
    start: t,
    end: t + 3600,
    gpus: 1,
    gpuSeconds: 36_000,
    extra: partner.key === "nordlys" ? { node: "osl1-inf07", namespace: someAccount } : { endpoint: `${someAccount}-inference-1`, site: "syd1" },
    trap: "gpu-seconds-exceed-bound: 36000 GPU-seconds claimed for 1 GPU over one hour",
  });
  const internal = partner.key === "nordlys" ? "nordlys-platform" : "scc-internal";
  week3.push({
    recordId: partner.key === "nordlys" ? "k8s:osl1-inference:nordlys-platform/canary-7f3d:1" : "scc-endpoint-90002",
    account: internal,
    sku: type,
    start: windows[2].from + 86_400,
    end: windows[2].from + 86_400 + 7200,
    gpus: 1,
    gpuSeconds: undefined,
    extra: partner.key === "nordlys" ? { node: "osl1-inf01", namespace: internal } : { endpoint: "canary", site: "syd1" },
    trap: `unknown-account: ${internal} is the partner's own, not a startup's`,
  });
  const resent = week2.find((r) => !r.trap);
  if (resent) resent.resend = true;
  for (const list of files.values()) list.sort((a, b) => a.start - b.start || (a.recordId < b.recordId ? -1 : 1));
  return files;
}

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
function sacctExport(partner: PartnerSpec, jobs: readonly Job[], w: ExportWindow, options: { rerun?: boolean } = {}): string {
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

function csvField(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function csvLine(fields: readonly string[]): string {
  return fields.map(csvField).join(",");
}

/** A metering file: JSON Lines for Nordlys' Kubernetes pods, CSV for Southern Cross' dedicated endpoints. */
function meteringFile(partner: PartnerSpec, records: readonly MeterRecord[]): string {
  if (partner.key === "nordlys") {
    return records
      .map((r) => {
        const obj: Record<string, unknown> = {
          recordId: r.recordId,
          account: r.account,
          sku: r.sku,
          // the pod scheduler writes UTC; the usage exporter writes the node's local offset
          start: isoIn(r.start, "UTC"),
          end: isoIn(r.end, partner.timezone),
          gpus: r.gpus,
          ...(r.gpuSeconds !== undefined ? { gpuSeconds: r.gpuSeconds } : {}),
          ...r.extra,
        };
        return `${JSON.stringify(obj)}\n`;
      })
      .join("");
  }
  const header = "recordId,account,sku,start,end,gpus,gpuSeconds,endpoint,site";
  const rows = records.map((r) =>
    csvLine([r.recordId, r.account, r.sku, isoIn(r.start, partner.timezone), isoIn(r.end, partner.timezone), String(r.gpus), r.gpuSeconds === undefined ? "" : String(r.gpuSeconds), r.extra.endpoint, r.extra.site]),
  );
  return `${[header, ...rows].join("\n")}\n`;
}

// ------------------------------------------------------------------------------------------------
//                                      the Stripe reports
// ------------------------------------------------------------------------------------------------

const STRIPE_COLUMNS = [
  "balance_transaction_id",
  "created_utc",
  "created",
  "available_on_utc",
  "available_on",
  "currency",
  "gross",
  "fee",
  "net",
  "reporting_category",
  "source_id",
  "description",
  "customer_facing_amount",
  "customer_facing_currency",
  "automatic_payout_id",
  "customer_id",
  "customer_email",
  "invoice_id",
  "payment_method_type",
  "card_brand",
  "dispute_reason",
] as const;

interface StripeRow {
  id: string;
  created: number;
  availableOn: number;
  currency: string;
  /** Cents, signed. */
  gross: number;
  fee: number;
  category: string;
  sourceId: string;
  description: string;
  customerId: string;
  customerEmail: string;
  invoiceId: string;
  method: string;
  brand: string;
  disputeReason: string;
  payoutId?: string;
}

const money = (cents: number) => `${cents < 0 ? "-" : ""}${Math.floor(Math.abs(cents) / 100)}.${String(Math.abs(cents) % 100).padStart(2, "0")}`;

/** Stripe's US pricing: cards 2.9 % + 30 ¢; ACH debits 0.8 % capped at 5 $. */
function feeOf(cents: number, method: string): number {
  if (method === "us_bank_account") return Math.min(Math.floor((cents * 8 + 500) / 1000), 500);
  return Math.floor((cents * 29 + 500) / 1000) + 30;
}

interface Customer {
  id: string;
  email: string;
}

interface RevenueProfile {
  startup: string;
  invoicePrefix: string;
  customers: number;
  domainWords: readonly string[];
  /** [count range, amount range in dollars, step in cents] per product line. */
  lines: readonly { name: string; count: [number, number]; dollars: [number, number]; stepCents: number; ach: number }[];
  refundsPerMonth: [number, number];
}

const REVENUE_PROFILES: Record<string, RevenueProfile> = {
  "helix-labs": {
    startup: "helix-labs",
    invoicePrefix: "HLX",
    customers: 60,
    domainWords: ["genomics", "biotech", "therapeutics", "labs", "bio"],
    lines: [
      { name: "Enterprise API", count: [8, 11], dollars: [2_500, 11_000], stepCents: 5_000, ach: 500 },
      { name: "Team plan", count: [55, 70], dollars: [499, 499], stepCents: 100, ach: 0 },
      { name: "Starter plan", count: [40, 55], dollars: [99, 99], stepCents: 100, ach: 0 },
      { name: "API overage", count: [30, 40], dollars: [12, 900], stepCents: 1, ach: 0 },
    ],
    refundsPerMonth: [2, 4],
  },
  "quill-ai": {
    startup: "quill-ai",
    invoicePrefix: "QUI",
    customers: 260,
    domainWords: ["mail", "writers", "studio", "media", "press", "agency"],
    lines: [
      { name: "Quill Plus", count: [210, 240], dollars: [20, 20], stepCents: 100, ach: 0 },
      { name: "Quill Pro", count: [95, 115], dollars: [200, 200], stepCents: 100, ach: 0 },
      { name: "Quill Teams", count: [14, 18], dollars: [1_800, 7_500], stepCents: 10_000, ach: 600 },
    ],
    refundsPerMonth: [6, 9],
  },
  tessellate: {
    startup: "tessellate",
    invoicePrefix: "TSR",
    customers: 14,
    domainWords: ["robotics", "automation", "logistics", "motors"],
    lines: [{ name: "Simulation seats", count: [9, 12], dollars: [900, 4_800], stepCents: 5_000, ach: 700 }],
    refundsPerMonth: [0, 1],
  },
};

function customersOf(rng: Rng, profile: RevenueProfile): Customer[] {
  const out: Customer[] = [];
  for (let i = 0; i < profile.customers; i++) {
    const company = `${rng.pick(["north", "blue", "bright", "open", "quant", "atlas", "river", "nova", "delta", "summit", "maple", "harbor"])}${rng.pick(profile.domainWords)}`;
    out.push({ id: `cus_${rng.base62(14)}`, email: `${rng.pick(["billing", "finance", "ap", "ops", "accounts"])}@${company}.example` });
  }
  return out;
}

/** The revenue rows of one startup over October and November 2026 (UTC), plus payouts and Stripe's own fees. */
function generateStripeRows(startup: StartupSpec): StripeRow[] {
  const profile = REVENUE_PROFILES[startup.key];
  const rng = new Rng(`stripe/${startup.key}`);
  const customers = customersOf(rng, profile);
  const rows: StripeRow[] = [];
  let invoiceNo = 1000 + rng.int(0, 400);
  const months = [
    { from: n(at("2026-10-01T00:00:00Z")), to: n(at("2026-11-01T00:00:00Z")) },
    { from: n(at("2026-11-01T00:00:00Z")), to: n(at("2026-12-01T00:00:00Z")) },
  ];
  const charges: StripeRow[] = [];
  for (const month of months) {
    for (const line of profile.lines) {
      const count = rng.int(line.count[0], line.count[1]);
      for (let i = 0; i < count; i++) {
        const created = month.from + rng.int(0, month.to - month.from - 1);
        const steps = Math.floor(((line.dollars[1] - line.dollars[0]) * 100) / line.stepCents);
        const cents = line.dollars[0] * 100 + rng.int(0, steps) * line.stepCents;
        const ach = rng.chance(line.ach);
        const method = ach ? "us_bank_account" : "card";
        const customer = rng.pick(customers);
        invoiceNo += 1;
        const invoice = `${profile.invoicePrefix}-${invoiceNo}`;
        const description =
          line.name === "Quill Teams" && rng.chance(300) ? `Invoice ${invoice}, "${line.name}" annual seats` : `Invoice ${invoice} (${line.name})`;
        const row: StripeRow = {
          id: `txn_3Q${rng.base62(22)}`,
          created,
          availableOn: created + (ach ? 4 : 2) * 86_400,
          currency: "usd",
          gross: cents,
          fee: feeOf(cents, method),
          category: "charge",
          sourceId: `${ach ? "py" : "ch"}_3Q${rng.base62(22)}`,
          description,
          customerId: customer.id,
          customerEmail: customer.email,
          invoiceId: `in_1Q${rng.base62(22)}`,
          method,
          brand: ach ? "" : rng.weighted([["visa", 55], ["mastercard", 30], ["amex", 15]] as const),
          disputeReason: "",
        };
        rows.push(row);
        charges.push(row);
      }
    }
    // refunds of earlier charges (fee 0: Stripe keeps its fee)
    const refunds = rng.int(profile.refundsPerMonth[0], profile.refundsPerMonth[1]);
    for (let i = 0; i < refunds; i++) {
      const of = rng.pick(charges.filter((c) => c.method === "card" && c.created < month.to - 86_400));
      const created = Math.max(of.created + 3600, month.from) + rng.int(0, 86_400 * 5);
      if (created >= month.to) continue;
      const cents = rng.chance(700) ? of.gross : Math.floor(of.gross / 2);
      rows.push({ ...of, id: `txn_3Q${rng.base62(22)}`, created, availableOn: created, gross: -cents, fee: 0, category: "refund", sourceId: `re_3Q${rng.base62(22)}`, description: `REFUND FOR CHARGE (${of.description.split(" (")[0].split(",")[0]})`, brand: of.brand });
    }
  }

  // The story's special rows: a chargeback lost and won back, a failed ACH debit, a failed refund,
  // an uncaptured amount released; Stripe's own fees and the payouts (not revenue).
  const special = (created: string, base: StripeRow, change: Partial<StripeRow>) => {
    const t = n(at(created));
    rows.push({ ...base, id: `txn_3Q${rng.base62(22)}`, created: t, availableOn: t, ...change });
  };
  const card = charges.find((c) => c.method === "card" && c.created < n(at("2026-10-10T00:00:00Z")))!;
  const achCharge = charges.find((c) => c.method === "us_bank_account" && c.created >= n(at("2026-11-01T00:00:00Z")) && c.created < n(at("2026-11-20T00:00:00Z")));
  const dispute = `dp_1Q${rng.base62(22)}`;
  special("2026-10-14T16:45:00Z", card, { gross: -card.gross, fee: 1_500, category: "dispute", sourceId: dispute, description: `Chargeback withdrawal for ${card.sourceId}`, disputeReason: "fraudulent" });
  special("2026-11-09T10:00:00Z", card, { gross: card.gross, fee: -1_500, category: "dispute_reversal", sourceId: dispute, description: `Chargeback won for ${card.sourceId}`, disputeReason: "fraudulent" });
  if (achCharge) {
    special(isoOf(BigInt(achCharge.created + 4 * 86_400)), achCharge, { gross: -achCharge.gross, fee: 0, category: "charge_failure", description: "ACH payment failed: insufficient funds" });
  }
  const refunded = rows.find((r) => r.category === "refund" && r.created < n(at("2026-10-25T00:00:00Z")));
  if (refunded) {
    special(isoOf(BigInt(refunded.created + 3 * 86_400)), refunded, { gross: -refunded.gross, fee: 0, category: "refund_failure", description: `REFUND FAILURE (${refunded.description.replace("REFUND FOR CHARGE (", "").replace(")", "")})` });
  }
  const uncaptured = charges.find((c) => c.method === "card" && c.gross >= 20_000 && c.created > n(at("2026-11-02T00:00:00Z")));
  if (uncaptured) {
    special(isoOf(BigInt(uncaptured.created + 2 * 86_400)), uncaptured, { gross: -Math.floor(uncaptured.gross / 10), fee: 0, category: "partial_capture_reversal", description: "Uncaptured amount released" });
  }
  if (startup.key === "tessellate") {
    // a European customer paid in EUR into the EUR balance: the oracle converts it at the rate of its date (fx-rates.csv)
    special("2026-11-18T09:30:00Z", charges[0], { currency: "eur", gross: 180_000, fee: feeOf(180_000, "card") + 2_700, category: "charge", sourceId: `ch_3Q${rng.base62(22)}`, description: `Invoice ${profile.invoicePrefix}-EU-0007 (Simulation seats, EUR)`, brand: "visa", method: "card" });
  }
  for (const month of months) {
    const label = new Date(month.from * 1000).toISOString().slice(0, 7);
    special(isoOf(BigInt(month.to - 86_400 + 3600)), charges[0], {
      gross: -(1_500 + rng.int(0, 4_000)),
      fee: 0,
      category: "fee",
      sourceId: "",
      description: `Billing (${label}): Invoicing and Radar fees`,
      customerId: "",
      customerEmail: "",
      invoiceId: "",
      method: "",
      brand: "",
    });
  }
  rows.sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : 1));

  // weekly automatic payouts (Mondays 02:00 UTC) of what became available since the last one
  const payouts: StripeRow[] = [];
  let paidUpTo = 0;
  for (let t = n(at("2026-10-05T02:00:00Z")); t < n(at("2026-12-01T00:00:00Z")); t += 7 * 86_400) {
    const id = `po_1Q${rng.base62(22)}`;
    let sum = 0;
    for (const r of rows) {
      if (r.currency !== "usd" || r.availableOn > t || r.availableOn <= paidUpTo || r.payoutId) continue;
      r.payoutId = id;
      sum += r.gross - r.fee;
    }
    paidUpTo = t;
    if (sum <= 0) continue;
    payouts.push({ id: `txn_1Q${rng.base62(22)}`, created: t, availableOn: t, currency: "usd", gross: -sum, fee: 0, category: "payout", sourceId: id, description: "STRIPE PAYOUT", customerId: "", customerEmail: "", invoiceId: "", method: "", brand: "", disputeReason: "" });
  }
  rows.push(...payouts);
  rows.sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : 1));
  return rows;
}

function stripeCsv(startup: StartupSpec, rows: readonly StripeRow[]): string {
  const tz = startup.stripeTimezone;
  const lines = [STRIPE_COLUMNS.join(",")];
  for (const r of rows) {
    const customerFacing = r.category === "charge" || r.category === "refund";
    lines.push(
      csvLine([
        r.id,
        wallClock(r.created, "UTC", " "),
        wallClock(r.created, tz, " "),
        wallClock(r.availableOn, "UTC", " "),
        wallClock(r.availableOn, tz, " "),
        r.currency,
        money(r.gross),
        money(r.fee),
        money(r.gross - r.fee),
        r.category,
        r.sourceId,
        r.description,
        customerFacing ? money(r.gross) : "",
        customerFacing ? r.currency : "",
        r.payoutId ?? "",
        r.customerId,
        r.customerEmail,
        r.invoiceId,
        r.method,
        r.brand,
        r.disputeReason,
      ]),
    );
  }
  return `${lines.join("\n")}\n`;
}

// ------------------------------------------------------------------------------------------------
//                                  terms, manifest, README
// ------------------------------------------------------------------------------------------------

const pct = (bps: number) => `${bps / 100}`.replace(/\.0+$/, "");

/** The legal terms of a startup's agreement; their keccak256 is the agreement's termsHash. */
function termsDocument(s: StartupSpec): string {
  const partners = Object.entries(s.partners)
    .map(([key, a]) => `- ${partnerSpec(key).name}: account \`${a.account}\`, up to ${formatUnits6(a.spendLimit)} DSXC on at most ${a.maxGpus} GPUs at once`)
    .join("\n");
  return `# DSX compute-credit agreement: ${s.name}

Sample terms for the DSX demo (not legal advice). The keccak256 of this file is the agreement's
\`termsHash\` on chain.

1. **Credits.** ${formatUnits6(s.creditLimit)} DSXC, minted to the startup's wallet on acceptance. 1 DSXC is worth
   1 USD of list-price GPU time at the program's cloud partners.
2. **Term.** ${s.periods} revenue periods of ${Number(s.periodDuration / DAY)} days from ${isoOf(s.startTime)} (until ${isoOf(endTimeOf(s))}).
3. **Revenue share.** ${pct(s.revenueShareBps)} % of each period's revenue, where revenue is the **${s.base}** amount
   (Stripe ${s.base === "gross" ? "`gross`: before Stripe's fees" : "`net`: after Stripe's fees"}) of the Stripe balance
   transactions of the revenue categories (charges, refunds, disputes and their reversals, failures),
   in USD.
4. **Cap.** The total owed never exceeds ${pct(s.capMultipleBps / 100)} × the credits actually consumed (capMultipleBps ${s.capMultipleBps}).
5. **Payment.** Each period's amount is due ${Number(s.gracePeriod / DAY)} days after the period is finalized on the ledger.
   ${pct(s.partnerFirstBps)} % of every payment goes first to the cloud partners while they are owed.
6. **Partners authorized at signing.**
${partners}
`;
}

export interface ManifestFile {
  path: string;
  kind: "slurm" | "metering" | "stripe";
  /** Partner key (usage) or startup key (revenue). */
  owner: string;
  /** When the file reaches the oracle's inbox in the demo's story (ISO 8601 UTC). */
  availableAt: string;
  note?: string;
}

export interface Manifest {
  generator: string;
  seed: string;
  files: ManifestFile[];
  terms: Record<string, string>;
  /** GPU-seconds the exports bill per startup and partner, once every trap is set aside (an independent tally). */
  expectedGpuSeconds: Record<string, Record<string, string>>;
  /** Credits of those GPU-seconds at the rate cards, before any refund (lines round down per batch, so the chain shows up to a few units less). */
  approximateCredits: Record<string, Record<string, string>>;
  usageDispute: { partner: string; startup: string; jobId: string; recordId: string; gpuSeconds: string; sku: string; reason: string };
  revenueDispute: { startup: string; periodIndex: number; reason: string; disputed: string; restatement: string };
}

function usageTally(partner: PartnerSpec, usage: ClusterUsage): { gpuSeconds: Map<string, bigint>; credits: Map<string, bigint> } {
  const owner = new Map<string, StartupSpec>();
  for (const s of STARTUPS) if (s.partners[partner.key]) owner.set(s.partners[partner.key].account, s);
  const gpuSeconds = new Map<string, bigint>();
  const credits = new Map<string, bigint>();
  const add = (s: StartupSpec, sku: string, start: number, end: number, gpuSecondsGiven: bigint) => {
    gpuSeconds.set(s.key, (gpuSeconds.get(s.key) ?? 0n) + gpuSecondsGiven);
    // credits per day window, at the rate in force at the window's start
    const total = BigInt(end - start);
    for (let d = Math.floor(start / 86_400) * 86_400; d < end; d += 86_400) {
      const overlap = BigInt(Math.min(end, d + 86_400) - Math.max(start, d));
      const share = (gpuSecondsGiven * overlap) / total;
      const rate = rateAt(partner, sku, BigInt(d))!;
      credits.set(s.key, (credits.get(s.key) ?? 0n) + (share * rate) / HOUR);
    }
  };
  for (const job of usage.jobs) {
    const s = owner.get(job.account);
    if (!s || job.start === undefined || job.gpus === 0 || job.end <= job.start) continue;
    const sku = job.gpuType ? partner.skuMap[job.gpuType] : partner.partitionSkus[job.partition];
    add(s, sku, job.start, job.end, BigInt(job.gpus * (job.end - job.start)));
  }
  for (const records of usage.sessions.values()) {
    for (const r of records) {
      const s = owner.get(r.account);
      if (!s || r.trap) continue;
      add(s, partner.skuMap[r.sku] ?? r.sku, r.start, r.end, BigInt(r.gpuSeconds ?? r.gpus * (r.end - r.start)));
    }
  }
  return { gpuSeconds, credits };
}

function readme(manifest: Manifest, usage: Map<string, ClusterUsage>): string {
  const scc = usage.get("southern-cross")!;
  const nrd = usage.get("nordlys")!;
  const nf = nrd.notes.nodeFailJob!;
  const late = nrd.notes.lateJob!;
  return `# Sample data of the DSX demo

Generated by \`npm run gen:sample\` (scripts/gen-sample-data.ts, seed \`${SEED}\`): every run writes these
files byte for byte (test/demo/sampleData.test.ts checks it). Do not edit them by hand; change the
generator and regenerate. \`npm start\` (docs/demo.md) feeds them to the oracles as the demo's clock
passes each file's \`availableAt\` in manifest.json.

## The program (demo/program.ts)
- Cloud partners: **Southern Cross Compute** (Slurm cluster \`scc-syd1\`, clocks in Australia/Sydney) and
  **Nordlys Cloud** (Slurm cluster \`nrd-osl1\` and a Kubernetes inference service, clocks in Europe/Oslo).
- Startups: **Helix Labs**, **Quill AI**, **Tessellate Robotics**; their terms are in \`terms/\`.

## usage/<partner>/ (SERVICES §2)
- \`sacct_<cluster>_<from>_<to>.txt\`: weekly exports made with
  \`${SACCT_COMMAND}\`
  (-S/-E at local midnight). Times are the cluster's local time without a zone; \`--truncate\` clips
  Start/End to the window, so a job running at the window's end shows that end and state RUNNING and
  continues in the next week's file (the oracle's per-job watermark bills each GPU-second once).
- Traps in the exports, as SERVICES §2 describes them:
  - typed GPUs (\`gres/gpu:h100=8\`) name the sku through \`skuMap\`; Southern Cross' \`gpu-h200\` nodes record
    only \`gres/gpu=N\`, so the partition's default sku applies;
  - Nordlys accounts \`gres/gpumem\` and \`gres/gpuutil\` too: they are not GPUs;
  - CPU-only jobs and a job that failed at once (Start = End) are ignored; a queued job (Start/End
    \`Unknown\`) and one cancelled before it started (Start \`None\`) wait for a later export;
  - other tenants of the shared clusters (\`anu-physics\`, \`sintef-energy\`): unknown accounts, quarantined;
  - job ${scc.notes.dstJobs[0].jobId} on scc-syd1 runs across the start of daylight saving time (2026-10-04 02:00 → 03:00
    local): 6 hours on the wall clock, ${(scc.notes.dstJobs[0].end - scc.notes.dstJobs[0].start!) / 3600} hours of GPU time;
  - job ${nrd.notes.dstJobs[0].jobId} on nrd-osl1 starts at the first 02:30 of 2026-10-25 and ends at the second 02:15
    (the clocks go back at 03:00): End reads earlier than Start, ElapsedRaw (2700) tells the instants apart;
  - \`sacct_nrd-osl1_2026-10-15_2026-10-22.rerun.txt\`: the week was exported again after a slurmdbd
    outage. It repeats every row of the regular export (duplicates) and adds job ${late.jobId}, which the regular
    export missed: its hours were already reported, so the oracle carries them into the oldest window not
    yet reported (a late slice);
  - job ${nf.jobId} (Quill AI, a GB300 NVL72 rack, 72 GPUs) ended NODE_FAIL after 5 hours: it is billed like
    any other allocation, and Quill AI disputes it on chain (the program refunds it).
- \`endpoints_<from>_<to>.csv\` (Southern Cross, dedicated inference endpoints) and
  \`k8s-gpu_<from>_<to>.jsonl\` (Nordlys, inference pods): generic metering, \`recordId, account, sku,
  start, end, gpus, gpuSeconds\` with zones; an empty gpuSeconds means (end − start) × gpus, a smaller one
  is a time-sliced GPU. Traps: one record claims more GPU-seconds than its GPUs could give
  (quarantined), one belongs to the partner's own namespace (quarantined), one is sent again in the
  next week's file (a duplicate).

## stripe/<startup>/ (SERVICES §3)
Itemized balance reports (\`balance_change_from_activity.itemized.3\`), one per calendar month, with
charges, refunds, a lost chargeback and its reversal, a failed ACH debit, a failed refund, a released
partial capture (each with its sign), and Stripe's payouts and fees (not revenue).
- Quill AI's first October report was downloaded with the interval ending ${manifest.revenueDispute.disputed.match(/to_(\d{4}-\d{2}-\d{2})/)?.[1]}: a week of
  revenue is missing. The auditor disputes the period, the program upholds the dispute, and the
  re-downloaded full report (\`${manifest.revenueDispute.restatement.split("/").pop()}\`) restates it as version 2.
- Tessellate Robotics' November report holds one EUR charge (paid into the EUR balance): the revenue
  oracle converts it to USD at the reference rate of its UTC date from \`fx-rates.csv\`, and the rate
  used goes into the period's evidence.

## fx-rates.csv (SERVICES §3 "Currencies")
The USD value of one EUR and one GBP (\`date,currency,usd_per_unit\`) for every UTC date from 2026-09-28 to
2026-12-06, as a verifier would derive it from the ECB's daily reference rates re-based to USD; weekends
carry the previous business day's rate (the oracle uses the rate of a row's own date and never guesses
one). The demo's revenue config names it as \`fxRates\`.

## manifest.json
Every file with its arrival time in the story; the expected GPU-seconds per startup and partner
(an independent tally of the exports, the traps set aside); the usage and revenue disputes.
`;
}

// ------------------------------------------------------------------------------------------------
//                                    reference exchange rates
// ------------------------------------------------------------------------------------------------

/**
 * `fx-rates.csv` (SERVICES §3 "Currencies"): the USD value of one EUR and one GBP for every UTC date from
 * 2026-09-28 to 2026-12-06, as a verifier would derive it from the ECB's daily reference rates re-based to
 * USD. Weekends carry the previous business day's rate (the oracle never guesses a missing date: the file
 * must hold every date a row has). A fixed formula, no random stream: the other files stay as they were.
 */
function fxRates(): string {
  const lines = ["date,currency,usd_per_unit"];
  const first = Date.UTC(2026, 8, 28) / 1000;
  let business = 0;
  let last = { eur: 0, gbp: 0 };
  for (let day = 0; day < 70; day++) {
    const t = first + day * 86_400;
    const weekday = new Date(t * 1000).getUTCDay();
    if (weekday !== 0 && weekday !== 6) {
      // ten-thousandths: EUR about 1.08, GBP about 1.27, moving a little from day to day
      last = { eur: 10_800 + ((business * 37) % 61) - 30, gbp: 12_700 + ((business * 53) % 83) - 41 };
      business += 1;
    }
    const date = new Date(t * 1000).toISOString().slice(0, 10);
    const text = (v: number) => `${Math.floor(v / 10_000)}.${String(v % 10_000).padStart(4, "0")}`;
    lines.push(`${date},EUR,${text(last.eur)}`, `${date},GBP,${text(last.gbp)}`);
  }
  return `${lines.join("\n")}\n`;
}

// ------------------------------------------------------------------------------------------------
//                                          assembly
// ------------------------------------------------------------------------------------------------

/** Every file of data/sample/: relative path → content. */
export function generateSampleData(): Map<string, string> {
  const files = new Map<string, string>();
  const manifestFiles: ManifestFile[] = [];
  const usage = new Map<string, ClusterUsage>();
  const expectedGpuSeconds: Manifest["expectedGpuSeconds"] = {};
  const approximateCredits: Manifest["approximateCredits"] = {};
  const creditTotals = new Map<string, bigint>();

  for (const partner of PARTNERS) {
    const u = generateClusterUsage(partner);
    usage.set(partner.key, u);
    const windows = exportWindows(partner);
    for (const [i, w] of windows.entries()) {
      const path = `usage/${partner.key}/sacct_${partner.cluster}_${w.fromDate}_${w.toDate}.txt`;
      files.set(path, sacctExport(partner, u.jobs, w));
      manifestFiles.push({ path, kind: "slurm", owner: partner.key, availableAt: isoOf(BigInt(exportArrival(w))) });
      if (u.jobs.some((j) => j.missedBy === w.fromDate)) {
        // re-run after the outage, delivered with the next week's exports
        const rerun = `usage/${partner.key}/sacct_${partner.cluster}_${w.fromDate}_${w.toDate}.rerun.txt`;
        files.set(rerun, sacctExport(partner, u.jobs, w, { rerun: true }));
        manifestFiles.push({ path: rerun, kind: "slurm", owner: partner.key, availableAt: isoOf(BigInt(exportArrival(windows[i + 1]))), note: "re-export after a slurmdbd outage" });
      }
      const records = [...(u.sessions.get(w.fromDate) ?? [])];
      const previous = i > 0 ? u.sessions.get(windows[i - 1].fromDate) ?? [] : [];
      records.push(...previous.filter((r) => r.resend));
      if (records.length === 0) continue;
      const ext = partner.key === "nordlys" ? "jsonl" : "csv";
      const name = partner.key === "nordlys" ? "k8s-gpu" : "endpoints";
      const mpath = `usage/${partner.key}/${name}_${w.fromDate}_${w.toDate}.${ext}`;
      files.set(mpath, meteringFile(partner, records));
      manifestFiles.push({ path: mpath, kind: "metering", owner: partner.key, availableAt: isoOf(BigInt(exportArrival(w))) });
    }
    const tally = usageTally(partner, u);
    for (const [startup, gs] of tally.gpuSeconds) {
      (expectedGpuSeconds[startup] ??= {})[partner.key] = gs.toString();
      const credits = tally.credits.get(startup) ?? 0n;
      (approximateCredits[startup] ??= {})[partner.key] = formatUnits6(credits);
      creditTotals.set(`${startup}/${partner.key}`, credits);
    }
  }

  const terms: Record<string, string> = {};
  for (const s of STARTUPS) {
    const path = `terms/${s.key}.md`;
    files.set(path, termsDocument(s));
    terms[s.key] = path;
  }

  let disputed = "";
  let restatement = "";
  for (const s of STARTUPS) {
    const rows = generateStripeRows(s);
    const monthFile = (from: string, to: string) => `stripe/${s.key}/balance_change_from_activity.itemized.3_${from}_to_${to}.csv`;
    const inRange = (from: string, to: string) => rows.filter((r) => r.created >= n(at(`${from}T00:00:00Z`)) && r.created < n(at(`${to}T00:00:00Z`)) + 86_400);
    const add = (path: string, content: string, availableAt: string, note?: string) => {
      files.set(path, content);
      manifestFiles.push({ path, kind: "stripe", owner: s.key, availableAt, ...(note ? { note } : {}) });
    };
    if (s.key === "quill-ai") {
      disputed = monthFile("2026-10-01", "2026-10-24");
      add(disputed, stripeCsv(s, inRange("2026-10-01", "2026-10-24")), "2026-11-01T15:00:00Z", "downloaded with the wrong interval end: a week is missing");
      restatement = monthFile("2026-10-01", "2026-10-31");
      add(restatement, stripeCsv(s, inRange("2026-10-01", "2026-10-31")), "2026-11-03T11:00:00Z", "the full month, downloaded again after the dispute");
    } else {
      add(monthFile("2026-10-01", "2026-10-31"), stripeCsv(s, inRange("2026-10-01", "2026-10-31")), "2026-11-01T15:00:00Z");
    }
    add(monthFile("2026-11-01", "2026-11-30"), stripeCsv(s, inRange("2026-11-01", "2026-11-30")), "2026-12-01T15:00:00Z");
  }

  const nf = usage.get("nordlys")!.notes.nodeFailJob!;
  const manifest: Manifest = {
    generator: "scripts/gen-sample-data.ts",
    seed: SEED,
    files: manifestFiles.sort((a, b) => (a.availableAt < b.availableAt ? -1 : a.availableAt > b.availableAt ? 1 : a.path < b.path ? -1 : 1)),
    terms,
    expectedGpuSeconds,
    approximateCredits,
    usageDispute: {
      partner: "nordlys",
      startup: "quill-ai",
      jobId: String(nf.jobId),
      recordId: `slurm:nrd-osl1:${nf.jobId}:${nf.start}`,
      gpuSeconds: String(nf.gpus * (nf.end - nf.start!)),
      sku: "gb300",
      reason: `job ${nf.jobId} on nrd-osl1 ended NODE_FAIL: rack osl1-nvl72-r03 lost power; not billable (terms §1)`,
    },
    revenueDispute: {
      startup: "quill-ai",
      periodIndex: 0,
      reason: "October report stops at 2026-10-24: a week of charges is missing (bank deposits show 4 payouts more)",
      disputed,
      restatement,
    },
  };
  files.set("manifest.json", `${JSON.stringify(manifest, null, 2)}\n`);
  files.set("fx-rates.csv", fxRates());
  files.set("README.md", readme(manifest, usage));
  checkLimits(creditTotals);
  return files;
}

/** The sample must fit the program: no startup may run out of authorization or credits (credits by "startup/partner"). */
function checkLimits(credits: ReadonlyMap<string, bigint>): void {
  for (const s of STARTUPS) {
    let total = 0n;
    for (const [partner, a] of Object.entries(s.partners)) {
      const used = credits.get(`${s.key}/${partner}`) ?? 0n;
      total += used;
      if (used * 10n > a.spendLimit * 9n) throw new Error(`${s.key} at ${partner}: ${formatUnits6(used)} credits exceed 90 % of the spend limit`);
    }
    if (total * 10n > s.creditLimit * 9n) throw new Error(`${s.key}: ${formatUnits6(total)} credits exceed 90 % of the credit limit`);
  }
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p).split("\\").join("/"));
    }
  };
  walk(dir);
  return out;
}

/** Writes the files into `dir`, removing files of an earlier generation that are no longer produced. */
export function writeSampleData(dir: string, files: Map<string, string>): void {
  for (const old of listFiles(dir)) if (!files.has(old)) rmSync(join(dir, old));
  for (const [path, content] of files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

/** Paths that differ between `dir` and `files` (changed, missing or extra). */
export function diffSampleData(dir: string, files: Map<string, string>): string[] {
  const diff: string[] = [];
  const present = new Set(listFiles(dir));
  for (const [path, content] of files) {
    if (!present.has(path)) diff.push(`missing ${path}`);
    else if (readFileSync(join(dir, path), "utf8") !== content) diff.push(`changed ${path}`);
  }
  for (const path of present) if (!files.has(path)) diff.push(`extra ${path}`);
  return diff;
}

function main(argv: string[]): number {
  const outIndex = argv.indexOf("--out");
  const dir = outIndex >= 0 ? argv[outIndex + 1] : SAMPLE_DIR;
  if (!dir) {
    process.stderr.write("gen-sample-data: --out needs a folder, e.g. --out /tmp/sample\n");
    return 1;
  }
  const files = generateSampleData();
  if (argv.includes("--check")) {
    const diff = diffSampleData(dir, files);
    for (const d of diff) process.stdout.write(`${d}\n`);
    process.stdout.write(diff.length === 0 ? `${dir} is up to date (${files.size} files)\n` : `${dir} differs: run npm run gen:sample\n`);
    return diff.length === 0 ? 0 : 1;
  }
  writeSampleData(dir, files);
  const bytes = [...files.values()].reduce((s, c) => s + Buffer.byteLength(c), 0);
  process.stdout.write(`wrote ${files.size} files (${bytes} bytes) to ${relative(process.cwd(), dir) || "."}\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
