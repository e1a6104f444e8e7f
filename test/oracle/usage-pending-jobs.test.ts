// Slurm rows without an end (a pending job: Start/End Unknown; a job running when exported without
// --truncate: End Unknown; a job cancelled before it started: Start None) bill nothing and are not
// kept in the state: they count as waiting, `pendingJobs` says how many, and the job's own row in a
// later export bills it whole from its Start, since its watermark never moved (docs/usage-oracle.md,
// "Accounting of every row"). No chain: the ingestion is run with the chain's clock given.
import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileUsageConfig } from "../../oracle/sources/usage";
import { UsageState } from "../../oracle/state/usageState";
import { ingestFiles, type IngestCounts } from "../../oracle/usage/ingest";
import { emptySummary, formatSummary } from "../../oracle/usage/summary";
import { WindowGrid } from "../../oracle/usage/slicing";

const HEADER = "JobIDRaw|Cluster|User|Account|Partition|State|Start|End|ElapsedRaw|AllocTRES|NodeList";
const H = 1_790_000_000n - (1_790_000_000n % 3600n);
const HOUR = 3600n;
const GPUS = 4n;
const iso = (t: bigint) => new Date(Number(t) * 1000).toISOString().slice(0, 19);
const tres = `billing=64,cpu=64,gres/gpu:h100=${GPUS},gres/gpu=${GPUS},mem=256G,node=1`;

/** One sacct row of job `id` on cluster syd1: times as instants, or sacct's words (Unknown, None). */
function row(id: string, state: string, start: bigint | string, end: bigint | string, elapsed: bigint, allocTres = tres): string {
  const time = (t: bigint | string) => (typeof t === "bigint" ? iso(t) : t);
  return `${id}|syd1|alice|startup-a|gpu-h100|${state}|${time(start)}|${time(end)}|${elapsed}|${allocTres}|n1`;
}

/** read = new + duplicate + quarantined + ignored + waiting. */
function expectAccounted(c: IngestCounts): void {
  expect(c.read).to.equal(c.new + c.duplicate + c.quarantined + c.ignored + c.waiting);
}

describe("usage oracle: Slurm rows without an end (pending, running, never started)", function () {
  this.timeout(60_000);
  const settings = compileUsageConfig({ accounts: { "startup-a": 1n }, skuMap: { h100: "h100-sxm" } });
  const grid = new WindowGrid({});
  let dir: string;
  let state: UsageState;
  let n = 0;
  const exportFile = (...rows: string[]) => {
    const file = join(dir, `sacct-${++n}.txt`);
    writeFileSync(file, [HEADER, ...rows].join("\n") + "\n");
    return file;
  };
  const billed = () => state.sliceTotals().pending.gpuSeconds;

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), "dsx-usage-pending-"));
    state = UsageState.open(join(dir, "state"), { chainId: 31337, ledger: "0xa513E6E4b8f2a923D98304ec87F64353C4D5C853", partner: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" });
  });
  afterEach(function () {
    state.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("when a job is running at export time (End Unknown), its row bills nothing, is not kept, and leaves its file done; its finished row in a later export bills it whole from its Start", async function () {
    const now = H + 24n * HOUR;
    const first = exportFile(row("7001", "RUNNING", H, "Unknown", 2n * HOUR), row("7002", "COMPLETED", H, H + HOUR, HOUR));
    const read = await ingestFiles(state, [first], { settings, grid, now });
    expectAccounted(read);
    expect(read).to.include({ read: 2, new: 1, waiting: 1, pendingJobs: 1 });
    // only the finished job is billed; the running one is kept nowhere (no waiting row), and the file is done
    expect(billed()).to.equal(GPUS * HOUR);
    expect(state.waitingFiles()).to.deep.equal([]);
    expect((await ingestFiles(state, [first], { settings, grid, now })).doneEarlier).to.deep.equal([first]);

    // the next export: the job has finished; every GPU-second from its Start is billed, once
    const second = exportFile(row("7001", "COMPLETED", H, H + 5n * HOUR, 5n * HOUR), row("7002", "COMPLETED", H, H + HOUR, HOUR));
    const later = await ingestFiles(state, [second], { settings, grid, now });
    expectAccounted(later);
    expect(later).to.include({ read: 2, new: 1, duplicate: 1, waiting: 0, pendingJobs: 0 });
    expect(later.gpuSeconds).to.equal(GPUS * 5n * HOUR);
    expect(billed()).to.equal(GPUS * 6n * HOUR);
  });

  it("when a job is pending in one export, running (clipped by --truncate) in the next and finished in the last, it is billed exactly once, in two parts", async function () {
    const now = H + 24n * HOUR;
    const pending = await ingestFiles(state, [exportFile(row("7101", "PENDING", "Unknown", "Unknown", 0n, ""))], { settings, grid, now });
    expectAccounted(pending);
    expect(pending).to.include({ read: 1, waiting: 1, pendingJobs: 1, new: 0 });
    expect(billed()).to.equal(0n);

    // sacct --truncate -E H+2h: the running job's End is the window's end
    const clipped = await ingestFiles(state, [exportFile(row("7101", "RUNNING", H, H + 2n * HOUR, 2n * HOUR))], { settings, grid, now });
    expect(clipped).to.include({ new: 1, waiting: 0, pendingJobs: 0 });
    expect(billed()).to.equal(GPUS * 2n * HOUR);

    // the job's finished row bills the rest after its watermark: nothing twice, nothing lost
    const done = await ingestFiles(state, [exportFile(row("7101", "COMPLETED", H, H + 5n * HOUR, 5n * HOUR))], { settings, grid, now });
    expect(done).to.include({ new: 1, duplicate: 0 });
    expect(done.gpuSeconds).to.equal(GPUS * 3n * HOUR);
    expect(billed()).to.equal(GPUS * 5n * HOUR);
  });

  it("when a job was cancelled before it started (Start None), its row counts as a pending job, bills nothing and keeps no file open", async function () {
    const now = H + 24n * HOUR;
    const file = exportFile(row("7201", "CANCELLED by 1001", "None", H + HOUR, 0n, ""));
    const read = await ingestFiles(state, [file], { settings, grid, now });
    expectAccounted(read);
    expect(read).to.include({ read: 1, new: 0, waiting: 1, pendingJobs: 1 });
    expect(billed()).to.equal(0n);
    expect(state.waitingFiles()).to.deep.equal([]);
    expect((await ingestFiles(state, [file], { settings, grid, now })).doneEarlier).to.deep.equal([file]);
  });

  it("when a run meets such rows, its summary says they are waiting but not kept, and what bills them", function () {
    const text = formatSummary({ ...emptySummary(), read: 3, new: 1, waiting: 2, pendingJobs: 2 });
    expect(text).to.contain("read 3 = new 1 + duplicate 0 + quarantined 0 + ignored 0 + waiting 2 (2 pending jobs: a later export bills them)");
    expect(text).to.contain(
      "usage: 2 of the waiting rows are jobs without an end (pending, running when exported, or never started): not kept, billed whole from the job's Start by its row in a later export",
    );
    expect(formatSummary({ ...emptySummary(), read: 1, new: 1 })).to.not.contain("without an end");
  });
});
