// `npm run bench:index`: indexing throughput against raw eth_getLogs over the same block range.
// Starts a hardhat node, deploys, submits usage batches (BENCH_BATCHES × BENCH_LINES lines), then times, in
// rounds and against the same node: (1) eth_getLogs alone over the range in the indexer's largest chunk
// (BENCH_CHUNK, default 2000 like API_CHUNK_SIZE) and (2) a full index from scratch into a fresh database
// (PGlite in a temporary folder, or a new PostgreSQL database when BENCH_DATABASE_URL names a server: created
// and dropped by the bench). The median round of each is compared. A benchmark, not a test: it prints figures.
//   npm run bench:index
//   BENCH_DATABASE_URL=postgres://dsx:dsx@127.0.0.1:5432/dsx_test npm run bench:index
//   BENCH_ROUNDS=3 BENCH_CHUNK=2000 BENCH_BATCHES=120 BENCH_LINES=40 LOG_LEVEL=debug (per-chunk timings)
//   BENCH_PROFILE=<dir>   a V8 CPU profile of the first round's indexing in <dir>
//   BENCH_NOTIFICATIONS=0 index without deriving notifications (what they cost, by difference)
import os from "node:os";
import pino from "pino";
import { keccak256, stringToHex, toHex, type Hex } from "viem";
import { createIndexerClient } from "../api/indexer/client";
import { Indexer } from "../api/indexer/indexer";
import { skuToBytes32 } from "../sdk/eip712";
import { deployTo, startHardhatNode } from "../test/helpers/hardhatNode";
import { startCpuProfile } from "./lib/cpuProfile";
import { CpuMeter } from "./lib/cpuTime";
import { scratchDatabase } from "./lib/scratchDatabase";
import { DSXC, LedgerDriver } from "../test/helpers/ledgerDriver";

const BATCHES = Number(process.env.BENCH_BATCHES ?? 120);
const LINES = Number(process.env.BENCH_LINES ?? 40);
const CHUNK = Number(process.env.BENCH_CHUNK ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

async function main(): Promise<void> {
  const node = await startHardhatNode();
  try {
    const { deployment } = await deployTo(node);
    const d = new LedgerDriver(node, deployment);
    await d.setupProgram();
    const terms = { ...(await d.standardTerms(12n)), creditLimit: 50_000_000n * DSXC };
    const start = terms.startTime;
    const ids: bigint[] = [];
    for (let i = 0; i < LINES; i++) ids.push((await d.openAgreement(terms, { f: [40_000_000n * DSXC, 1000] })).id);
    const sku = skuToBytes32("h100-sxm");
    const t0 = Date.now();
    for (let b = 0; b < BATCHES; b++) {
      const ws = start + BigInt(b) * 3600n;
      await d.timeTo(ws + 3600n + 1n);
      await d.usage(d.partnerF, ws, ws + 3600n, ids.map((id) => [id, sku, 3600n * 4n] as [bigint, Hex, bigint]), keccak256(stringToHex(`bench:${b}`)));
    }
    const head = Number(await d.publicClient.getBlockNumber());
    console.log(`activity: ${LINES} agreements, ${BATCHES} batches × ${LINES} lines in ${((Date.now() - t0) / 1000).toFixed(1)} s; blocks ${deployment.deploymentBlock}..${head}`);

    const rawMs: number[] = [];
    const headersMs: number[] = [];
    const cpu: Record<string, number>[] = [];
    const meter = new CpuMeter({ indexer: { pid: process.pid }, node: { root: node.process.pid! }, postgres: { comm: "postgres" } });
    const indexMs: number[] = [];
    let logs = 0;
    let engine = "";
    let lines = "";
    const headerClient = createIndexerClient(node.url, deployment.chainId);
    const blockNumbers = Array.from({ length: head - deployment.deploymentBlock + 1 }, (_, k) => deployment.deploymentBlock + k);
    for (let round = 0; round < ROUNDS; round++) {
      // (1) raw eth_getLogs over the same range, the indexer's largest chunk, the same addresses
      logs = 0;
      const r0 = performance.now();
      for (let from = deployment.deploymentBlock; from <= head; from += CHUNK) {
        const to = Math.min(head, from + CHUNK - 1);
        logs += (await d.publicClient.getLogs({ address: [deployment.ledger, deployment.credit], fromBlock: BigInt(from), toBlock: BigInt(to) })).length;
      }
      rawMs.push(performance.now() - r0);
      // (1b) what else the node must serve the indexer: the headers of the range's blocks (Hardhat's logs carry no
      // blockTimestamp), in JSON-RPC batches of 250 as the indexer asks for them
      const h0 = performance.now();
      await Promise.all(blockNumbers.map((n) => headerClient.request({ method: "eth_getBlockByNumber", params: [toHex(n), false] })));
      headersMs.push(performance.now() - h0);

      // (2) the indexer from scratch, into a fresh database
      const handle = await scratchDatabase(process.env.BENCH_DATABASE_URL, "dsx_bench_index");
      try {
        const indexer = new Indexer({
          db: handle.db,
          publicClient: createIndexerClient(node.url, deployment.chainId),
          deployment,
          logger: pino({ level: process.env.LOG_LEVEL ?? "warn" }),
          chunkSize: CHUNK,
          confirmations: 0,
          notifications: process.env.BENCH_NOTIFICATIONS === "0" ? false : undefined,
        });
        const stopProfile = process.env.BENCH_PROFILE && round === 0 ? await startCpuProfile() : undefined;
        meter.start();
        const i0 = performance.now();
        await indexer.syncToHead();
        indexMs.push(performance.now() - i0);
        cpu.push(meter.stop());
        await stopProfile?.(process.env.BENCH_PROFILE!, `index-${handle.engine}`);
        await indexer.stop();
        engine = handle.engine;
        lines = (await handle.db.selectFrom("usage_lines").select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow()).n;
      } finally {
        await handle.close();
      }
      const used = Object.entries(cpu[round]).map(([name, ms]) => `${name} ${ms.toFixed(0)}`).join(", ");
      console.log(`round ${round + 1}: raw ${rawMs[round].toFixed(0)} ms, headers ${headersMs[round].toFixed(0)} ms, indexer ${indexMs[round].toFixed(0)} ms (CPU ms: ${used})`);
    }
    const raw = median(rawMs);
    const index = median(indexMs);
    console.log(`engine ${engine}; ${logs} logs (${lines} usage lines) over ${head - deployment.deploymentBlock + 1} blocks, chunk ≤ ${CHUNK} blocks, median of ${ROUNDS} rounds`);
    console.log(`raw eth_getLogs: ${raw.toFixed(0)} ms (${(logs / (raw / 1000)).toFixed(0)} logs/s)`);
    console.log(`headers alone:   ${median(headersMs).toFixed(0)} ms (every block's, batched: node work the indexer needs beside the logs)`);
    console.log(`indexer:         ${index.toFixed(0)} ms (${(logs / (index / 1000)).toFixed(0)} logs/s)`);
    const mid = indexMs.indexOf(index);
    const total = Object.values(cpu[mid]).reduce((a, b) => a + b, 0);
    const cores = os.availableParallelism();
    console.log(
      `CPU while indexing (median round): ${Object.entries(cpu[mid]).map(([name, ms]) => `${name} ${ms.toFixed(0)} ms`).join(", ")}; ` +
        `${total.toFixed(0)} ms over ${cores} cores: no schedule of this work finishes in under ${(total / cores).toFixed(0)} ms`,
    );
    console.log(`ratio indexer/raw throughput: ${((raw / index) * 100).toFixed(1)} % (goal ≥ ${engine === "postgres" ? 60 : 50} %)`);
  } finally {
    await node.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
