// `npm run bench:index`: indexing throughput against raw eth_getLogs over the same block range.
// Starts a hardhat node, deploys, submits usage batches (BENCH_BATCHES × BENCH_LINES lines), then times
// (1) eth_getLogs alone over the range in the indexer's chunk size and (2) a full index from scratch
// into a fresh database (PGlite in a temporary folder, or PostgreSQL when BENCH_DATABASE_URL names an
// empty database the bench may fill).
// A benchmark, not a test: it prints figures.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { keccak256, stringToHex, type Hex } from "viem";
import { openDatabase } from "../api/db/database";
import { createIndexerClient } from "../api/indexer/client";
import { Indexer } from "../api/indexer/indexer";
import { skuToBytes32 } from "../sdk/eip712";
import { deployTo, startHardhatNode } from "../test/helpers/hardhatNode";
import { DAY, DSXC, LedgerDriver } from "../test/api/helpers/ledgerDriver";

const BATCHES = Number(process.env.BENCH_BATCHES ?? 120);
const LINES = Number(process.env.BENCH_LINES ?? 40);
const CHUNK = Number(process.env.BENCH_CHUNK ?? 2000);

async function main(): Promise<void> {
  const node = await startHardhatNode();
  try {
    const { deployment } = await deployTo(node);
    const d = new LedgerDriver(node, deployment);
    await d.setupProgram();
    const start = ((await d.now()) / DAY) * DAY + DAY;
    const terms = {
      creditLimit: 50_000_000n * DSXC, revenueShareBps: 800, capMultipleBps: 15_000, partnerFirstBps: 6_000,
      startTime: start, endTime: start + 12n * 30n * DAY, periodDuration: 30 * 86_400, gracePeriod: 15 * 86_400,
    };
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

    // (1) raw eth_getLogs over the same range, same chunk size, same addresses
    let logs = 0;
    const r0 = performance.now();
    for (let from = deployment.deploymentBlock; from <= head; from += CHUNK) {
      const to = Math.min(head, from + CHUNK - 1);
      logs += (await d.publicClient.getLogs({ address: [deployment.ledger, deployment.credit], fromBlock: BigInt(from), toBlock: BigInt(to) })).length;
    }
    const rawMs = performance.now() - r0;

    // (2) the indexer from scratch
    const url = process.env.BENCH_DATABASE_URL;
    const dataDir = url ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), "dsx-bench-index-"));
    const handle = await openDatabase({ databaseUrl: url, dataDir });
    try {
      const indexer = new Indexer({ db: handle.db, publicClient: createIndexerClient(node.url, deployment.chainId), deployment, logger: pino({ level: process.env.LOG_LEVEL ?? "warn" }), chunkSize: CHUNK, confirmations: 0 });
      const i0 = performance.now();
      await indexer.syncToHead();
      const indexMs = performance.now() - i0;
      await indexer.stop();
      const lines = await handle.db.selectFrom("usage_lines").select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow();
      console.log(`engine ${handle.engine}; ${logs} logs (${lines.n} usage lines) over ${head - deployment.deploymentBlock + 1} blocks, chunk ${CHUNK}`);
      console.log(`raw eth_getLogs: ${rawMs.toFixed(0)} ms (${(logs / (rawMs / 1000)).toFixed(0)} logs/s)`);
      console.log(`indexer:         ${indexMs.toFixed(0)} ms (${(logs / (indexMs / 1000)).toFixed(0)} logs/s)`);
      console.log(`ratio indexer/raw throughput: ${((rawMs / indexMs) * 100).toFixed(1)} % (goal ≥ 50 %)`);
    } finally {
      await handle.close();
    }
  } finally {
    await node.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
