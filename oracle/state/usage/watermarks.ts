// What was billed before (SERVICES §2 "Deduplication"): per Slurm job the time up to which it
// was billed (its watermark), and the metering recordIds seen. Jobs whose JobIDRaw is a plain
// number below 2^32 are keyed by one integer (cluster id × 2^32 + JobIDRaw) in job_watermarks;
// the other forms (1234_7, 1234+0, …) by name in watermarks.
import type Database from "better-sqlite3";
import { FatalError } from "../../../sdk/errors";
import { int } from "./columns";
import type { Statements } from "./statements";

/** A plain JobIDRaw (no leading zeros, so the number gives the text back). */
const PLAIN_JOB = /^(?:0|[1-9]\d{0,9})$/;
/** Job keys of one cluster: cluster id × JOB_SPAN + JobIDRaw. */
const JOB_SPAN = 2 ** 32;
/** Cluster ids stay below this, so job keys stay below 2^53. */
const CLUSTER_LIMIT = 2 ** 20;

/** Key of a Slurm job in {@link Watermarks.of}'s map. */
export function jobKey(cluster: string, jobId: string): string {
  return `${cluster}\n${jobId}`;
}

/** The statements of the hot path (one lookup per chunk of rows), prepared once. */
function prepare(db: Database.Database) {
  return {
    addRecord: db.prepare("INSERT INTO records (record_id, source_file, source_line) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"),
    watermarksOf: db.prepare<[string], { k: string; billed_until: number }>(
      `SELECT (j.value ->> 0) || char(10) || (j.value ->> 1) AS k, w.billed_until FROM json_each(?) AS j
         CROSS JOIN watermarks AS w ON w.cluster = j.value ->> 0 AND w.job_id = j.value ->> 1`,
    ),
    setWatermarks: db.prepare(
      `INSERT INTO watermarks (cluster, job_id, billed_until) SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?) WHERE true
         ON CONFLICT (cluster, job_id) DO UPDATE SET billed_until = excluded.billed_until`,
    ),
    jobWatermarksOf: db.prepare<[string], { job: number; billed_until: number }>(
      "SELECT w.job, w.billed_until FROM json_each(?) AS j CROSS JOIN job_watermarks AS w ON w.job = j.value",
    ),
    setJobWatermarks: db.prepare(
      `INSERT INTO job_watermarks (job, billed_until) SELECT value ->> 0, value ->> 1 FROM json_each(?) WHERE true
         ON CONFLICT (job) DO UPDATE SET billed_until = excluded.billed_until`,
    ),
    maxJob: db.prepare<[number, number], { m: number | null }>("SELECT max(job) AS m FROM job_watermarks WHERE job >= ? AND job < ?"),
    clusterId: db.prepare<[string], { id: number }>("SELECT id FROM clusters WHERE name = ?"),
    addCluster: db.prepare("INSERT INTO clusters (name) VALUES (?)"),
  };
}

/** The clusters, job_watermarks, watermarks and records tables. */
export class Watermarks {
  /** Cluster name → id, and per cluster id the largest numeric job key stored (forgotten on rollback). */
  private readonly clusterIds = new Map<string, number>();
  private readonly maxJobKeys = new Map<number, number>();
  private readonly stmt: ReturnType<typeof prepare>;

  constructor(sql: Statements) {
    this.stmt = prepare(sql.db);
  }

  /** Forgets cached cluster ids and largest job keys (read again from the database when needed). */
  forgetCaches(): void {
    this.clusterIds.clear();
    this.maxJobKeys.clear();
  }

  private clusterIdOf(cluster: string, create: boolean): number | undefined {
    let id = this.clusterIds.get(cluster);
    if (id !== undefined) return id;
    id = this.stmt.clusterId.get(cluster)?.id;
    if (id === undefined && create) id = Number(this.stmt.addCluster.run(cluster).lastInsertRowid);
    if (id !== undefined) {
      if (id >= CLUSTER_LIMIT) throw new FatalError(`The state holds more than ${CLUSTER_LIMIT} Slurm clusters.`);
      this.clusterIds.set(cluster, id);
    }
    return id;
  }

  private maxJobKey(clusterId: number): number {
    let max = this.maxJobKeys.get(clusterId);
    if (max === undefined) {
      max = this.stmt.maxJob.get(clusterId * JOB_SPAN, (clusterId + 1) * JOB_SPAN)?.m ?? -1;
      this.maxJobKeys.set(clusterId, max);
    }
    return max;
  }

  /** The integer key of a job whose JobIDRaw is a plain number below 2^32, else undefined. */
  private jobKeyNumber(cluster: string, jobId: string, create: boolean): number | null | undefined {
    if (!PLAIN_JOB.test(jobId)) return undefined;
    const n = Number(jobId);
    if (n >= JOB_SPAN) return undefined;
    const id = this.clusterIdOf(cluster, create);
    return id === undefined ? null : id * JOB_SPAN + n;
  }

  /**
   * The watermarks of many jobs, read with one statement per table: {@link jobKey} → billed
   * until, for the jobs that have one. A numeric job above the largest one stored has none
   * and is not looked up (Slurm numbers jobs upwards: a fresh export costs no lookups).
   */
  of(jobs: readonly (readonly [cluster: string, jobId: string])[]): Map<string, bigint> {
    const found = new Map<string, bigint>();
    const numeric: number[] = [];
    const names = new Map<number, string>();
    const other: (readonly [string, string])[] = [];
    for (const [cluster, jobId] of jobs) {
      const key = this.jobKeyNumber(cluster, jobId, false);
      if (key === undefined) other.push([cluster, jobId]);
      else if (key !== null && key <= this.maxJobKey(Math.floor(key / JOB_SPAN))) {
        numeric.push(key);
        names.set(key, jobKey(cluster, jobId));
      }
    }
    if (numeric.length > 0) {
      for (const row of this.stmt.jobWatermarksOf.all(JSON.stringify(numeric))) found.set(names.get(row.job) as string, BigInt(row.billed_until));
    }
    if (other.length > 0) {
      for (const row of this.stmt.watermarksOf.all(JSON.stringify(other))) found.set(row.k, BigInt(row.billed_until));
    }
    return found;
  }

  /** Stores many watermarks, with one statement per table. */
  set(entries: readonly (readonly [cluster: string, jobId: string, billedUntil: bigint])[]): void {
    const numeric: [number, number][] = [];
    const other: [string, string, number][] = [];
    for (const [cluster, jobId, billedUntil] of entries) {
      const key = this.jobKeyNumber(cluster, jobId, true);
      if (key === undefined || key === null) other.push([cluster, jobId, int("watermark", billedUntil)]);
      else {
        numeric.push([key, int("watermark", billedUntil)]);
        const clusterId = Math.floor(key / JOB_SPAN);
        if (key > this.maxJobKey(clusterId)) this.maxJobKeys.set(clusterId, key);
      }
    }
    if (numeric.length > 0) this.stmt.setJobWatermarks.run(JSON.stringify(numeric));
    if (other.length > 0) this.stmt.setWatermarks.run(JSON.stringify(other));
  }

  /**
   * Remembers a metering recordId; false when it was seen before (a duplicate). Slurm
   * recordIds are not kept: the watermark makes each one unique (its billed start only grows).
   */
  addRecord(recordId: string, file: string, line: number): boolean {
    return this.stmt.addRecord.run(recordId, file, line).changes === 1;
  }
}
