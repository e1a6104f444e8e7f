import { expect } from "chai";
import { mkdtempSync, rmSync, statSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { readSlurmFile } from "../../oracle/sources/slurm";
import { countEvent, emptyCounts } from "../../oracle/sources/types";
import { compileUsageConfig } from "../../oracle/sources/usage";
import { UsageState } from "../../oracle/state/usageState";
import { LeafHasher } from "../../oracle/usage/evidence";
import { sharedLeafHashPool } from "../../oracle/usage/hashPool";
import { ingestFiles } from "../../oracle/usage/ingest";
import { packSliceLeaf, packSlices } from "../../oracle/usage/packs";
import { WindowGrid } from "../../oracle/usage/slicing";
import { sydneyConfig } from "./support";

// 300 000 rows (~48 MB) by default; DSX_BIG_ROWS=1000000 runs the full million (~20 s).
const ROWS = Number(process.env.DSX_BIG_ROWS ?? 300_000);

// The bound is on what the reader keeps, not on garbage the collector has not reached yet (which varies with the
// Node version and the machine's load): the heap is sampled after a full collection.
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;
const retainedHeap = () => {
  collectGarbage();
  return process.memoryUsage().heapUsed;
};

describe("readSlurmFile (large export)", function () {
  this.timeout(300_000);
  let dir: string;
  let path: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "dsx-sacct-"));
    path = join(dir, "sacct-big.txt");
    writeFileSync(path, "JobIDRaw|Cluster|User|Account|Partition|State|Start|End|ElapsedRaw|AllocTRES|NodeList\n");
    const base = Date.UTC(2026, 10, 1) / 1000;
    const iso = (t: number) => new Date(t * 1000).toISOString().slice(0, 19);
    for (let from = 0; from < ROWS; from += 10_000) {
      const chunk: string[] = [];
      for (let i = from; i < Math.min(from + 10_000, ROWS); i++) {
        const start = base + (i % 400_000) * 7;
        chunk.push(
          `${1_000_000 + i}|firmus-syd1|u${i % 50}|startup-${"abc"[i % 3]}|gpu-h100|COMPLETED|${iso(start)}|${iso(start + 3600)}|3600|` +
            `billing=128,cpu=128,gres/gpu:h100=8,gres/gpu=8,mem=1T,node=1|gpu-a${i % 100}\n`,
        );
      }
      appendFileSync(path, chunk.join(""));
    }
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`when a ${ROWS}-row export is streamed, it bills every row and what its heap retains stays far below the file size`, async () => {
    const fileBytes = statSync(path).size;
    const counts = emptyCounts();
    let gpuSeconds = 0n;
    const baseline = retainedHeap();
    let peak = baseline;
    for await (const event of readSlurmFile(path, sydneyConfig)) {
      countEvent(counts, event);
      if (event.kind === "record") gpuSeconds += event.record.gpuSeconds;
      if (counts.read % 50_000 === 0) peak = Math.max(peak, retainedHeap());
    }
    expect(counts).to.deep.equal({ read: ROWS, records: ROWS, quarantined: 0, ignored: 0, waiting: 0 });
    expect(gpuSeconds).to.equal(BigInt(ROWS) * 3600n * 8n);
    expect(peak - baseline).to.be.below(fileBytes / 2);
  });
});

describe("ingestFiles (large export, leaf hashes on the worker thread)", function () {
  this.timeout(300_000);

  it("when 20 000 rows are ingested, every pack's leaf hashes equal those hashed on the main thread alone", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dsx-sacct-worker-"));
    const path = join(dir, "sacct.txt");
    const base = Date.UTC(2026, 10, 1) / 1000;
    const iso = (t: number) => new Date(t * 1000).toISOString().slice(0, 19);
    const lines = ["JobIDRaw|Cluster|User|Account|Partition|State|Start|End|ElapsedRaw|AllocTRES|NodeList"];
    for (let i = 0; i < 20_000; i++) {
      // jobs of 1 to 6 hours, in no time order: slices land in packs all over the grid
      const start = base + ((i * 7919) % 20_000) * 97;
      const hours = 1 + (i % 6);
      lines.push(`${2_000_000 + i}|syd1|u${i % 50}|startup-${"abc"[i % 3]}|gpu-h100|COMPLETED|${iso(start)}Z|${iso(start + hours * 3600)}Z|${hours * 3600}|gres/gpu:h100=${1 + (i % 8)}|gpu-a${i % 100}`);
    }
    writeFileSync(path, `${lines.join("\n")}\n`);
    const state = UsageState.open(join(dir, "state"), { chainId: 31337, ledger: "0xa513E6E4b8f2a923D98304ec87F64353C4D5C853", partner: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" });
    try {
      const pool = sharedLeafHashPool()!;
      const before = { ...pool.stats };
      const counts = await ingestFiles(state, [path], {
        settings: compileUsageConfig(sydneyConfig),
        grid: new WindowGrid({ cuts: [BigInt(base)] }),
        now: BigInt(base + 30 * 86_400),
      });
      expect(counts.new).to.equal(20_000);
      const stats = pool.stats;
      expect(stats.worker + stats.taken - before.worker - before.taken, "blocks handed to the worker").to.be.above(10);
      const ids = state.db.prepare("SELECT id FROM packs ORDER BY id").all() as { id: number }[];
      let slices = 0;
      for (const { id } of ids) {
        const pack = state.getPack(id)!;
        const hasher = new LeafHasher({ pool: null });
        for (const slice of packSlices(pack)) hasher.addLeaf(packSliceLeaf(slice));
        slices += hasher.count;
        expect(hasher.hash().equals(pack.hashes), `pack ${id}`).to.equal(true);
      }
      expect(slices).to.equal(counts.slices);
    } finally {
      state.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
