// `npm run bench:audit` (issue #5): audits a history of ≥ 10 000 ledger events on a real `hardhat node` and
// compares the audit's wall time with merely fetching the same logs from the same node in the same run.
// Goal: audit ≤ 2 × fetch. Prints the figures and the ratio; BENCH_AGREEMENTS / BENCH_DAYS size the history.
import { runAudit } from "../auditor/audit";
import { fetchAuditLogs } from "../auditor/chain/logs";
import { createChainReader } from "../auditor/chain/reader";
import { startHardhatNode } from "../test/helpers/hardhatNode";
import { LedgerDriver } from "../test/helpers/ledgerDriver";
import { playRandomHistory } from "../test/auditor/helpers/histories";

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const agreements = Number(process.env.BENCH_AGREEMENTS ?? 100);
  const days = Number(process.env.BENCH_DAYS ?? 14);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const node = await startHardhatNode();
  try {
    const d = await LedgerDriver.deploy(node);
    const started = Date.now();
    await playRandomHistory(d, {
      seed: 5, agreements, partners: 4, days, density: 0.9, revenueAgreements: Math.min(agreements, 25),
      onProgress: (day) => process.stderr.write(`\rhistory: day ${day}/${days}`),
    });
    process.stderr.write(`\rhistory: ${days} days in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    const reader = createChainReader({ rpcUrl: node.url });
    const toBlock = await reader.client.getBlockNumber();
    const credit = (await d.view<`0x${string}`>("credit"));
    const fetchTimes: number[] = [];
    const auditTimes: number[] = [];
    let events = 0;
    let logs = 0;
    let timings: Record<string, number> = {};
    let clean = false;
    for (let i = 0; i < rounds; i++) {
      let t = performance.now();
      const fetched = await fetchAuditLogs(reader, { ledger: d.ledger, credit, settlementToken: d.usdc, fromBlock: d.deploymentBlock, toBlock });
      fetchTimes.push(performance.now() - t);
      logs = fetched.ledgerAndCredit.length + fetched.settlement.length;
      t = performance.now();
      const result = await runAudit({ rpcUrl: node.url, chainId: 31337, ledger: d.ledger, fromBlock: d.deploymentBlock, throughBlock: toBlock, reader });
      auditTimes.push(performance.now() - t);
      events = result.report.summary.events;
      timings = result.timings;
      clean = result.report.clean;
    }
    const fetchMs = median(fetchTimes);
    const auditMs = median(auditTimes);
    const ratio = auditMs / fetchMs;
    console.log(`history: ${agreements} agreements, ${events} ledger events (${logs} logs with DSXC and settlement transfers), blocks ${d.deploymentBlock}–${toBlock}; audit clean: ${clean}`);
    console.log(`fetch logs only: ${fetchMs.toFixed(0)} ms (median of ${rounds}); full audit: ${auditMs.toFixed(0)} ms; ratio ${ratio.toFixed(2)}× (goal ≤ 2×)`);
    console.log(`audit phases (last run, ms): ${Object.entries(timings).map(([k, v]) => `${k} ${v}`).join(", ")}`);
    if (events < 10_000) console.log(`note: fewer than 10 000 events; raise BENCH_DAYS or BENCH_AGREEMENTS`);
    if (!clean) process.exitCode = 1;
  } finally {
    await node.stop();
  }
}

main().catch((err: unknown) => {
  console.error(`bench-audit failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
