// The usage of each partner's cluster: the story's fixed jobs, random jobs and metering sessions drawn from the
// profiles (scenario.ts) within the GPUs each startup reserved, other tenants and the traps of SERVICES §2.
import { at, endTimeOf, STARTUPS, startupSpec, type PartnerSpec } from "../../demo/program";
import { Rng } from "./random";
import { exportWindows, fixedJobs, JOB_STATES, nodeListOf, PROFILES, USAGE_END, type ClusterUsage, type Job, type MeterRecord } from "./scenario";

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

/** The jobs and metering sessions of `partner`'s cluster over the story (seeded by the partner's key). */
export function generateClusterUsage(partner: PartnerSpec): ClusterUsage {
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
    const first = Number(startup.startTime) + 3600;
    const last = Math.min(Number(endTimeOf(startup)) - 12 * 3600, USAGE_END);
    for (let day = Number(startup.startTime); day < last; day += 86_400) {
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
    const start = Number(at(when));
    jobs.push({ jobId: 0, user: other.user, account: other.account, partition: "gpu-h100", gpuType: "h100", gpus: 8, nodes: 1, cpus: 96, memG: 1000, submit: start - 300, start, end: start + 7 * 3600 + 17, state: "COMPLETED", nodeList: nodeListOf(partner.cluster, "gpu-h100", 40, 1) });
  }
  const someone = PROFILES[partner.key][0];
  const someAccount = startupSpec(someone.startup).partners[partner.key].account;
  for (let d = 0; d < 50; d += 3) {
    const start = Number(at("2026-10-02T01:00:00Z")) + d * 86_400 + rng.int(0, 40_000);
    jobs.push({ jobId: 0, user: someone.users[0], account: someAccount, partition: "cpu", gpuType: undefined, gpus: 0, nodes: 1, cpus: 64, memG: 256, submit: start - 60, start, end: start + rng.int(600, 14_400), state: "COMPLETED", nodeList: nodeListOf(partner.cluster, "cpu", rng.int(1, 20), 1) });
  }
  const failedAt = Number(at("2026-10-13T08:00:00Z"));
  jobs.push({ jobId: 0, user: someone.users[0], account: someAccount, partition: someone.templates[0].partition, gpuType: someone.templates[0].gpuType, gpus: 8, nodes: 1, cpus: 96, memG: 1000, submit: failedAt - 30, start: failedAt, end: failedAt, state: "FAILED", nodeList: nodeListOf(partner.cluster, someone.templates[0].partition, 9, 1) });
  const queuedAt = Number(at("2026-11-30T09:00:00Z"));
  jobs.push({ jobId: 0, user: someone.users[0], account: someAccount, partition: someone.templates[0].partition, gpuType: someone.templates[0].gpuType, gpus: 16, nodes: 2, cpus: 192, memG: 2000, submit: queuedAt, start: undefined, end: queuedAt, state: "PENDING", nodeList: "None assigned" });
  const cancelledAt = Number(at("2026-10-21T04:10:00Z"));
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
      const first = Math.max(w.from + 3600, Number(startup.startTime) + 3600);
      const last = Math.min(w.to - 3600, Number(endTimeOf(startup)) - 12 * 3600, USAGE_END);
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
