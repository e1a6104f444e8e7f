// Crash safety of the usage oracle (SERVICES §2 "Submission", "Accounting of every row"): the
// oracle runs as a child process and is killed with SIGKILL at random moments (and at the named
// points where a crash hurts most: after waiting rows of earlier runs are billed, after a chunk
// of rows is committed, after planning, after the signed batch is persisted, after the
// transaction is sent, after the receipt is committed), then started again. Every export holds
// rows ahead of the chain's clock (one partly, one wholly): they wait in the state and are billed
// by the next trial's runs. After every trial the chain must hold exactly the GPU-seconds the
// chain's clock has reached per agreement: nothing twice, nothing lost.
import { expect } from "chai";
import { readdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { UsageState } from "../../oracle/state/usageState";
import { chainGpuSeconds, HOUR, runUsageCli, SACCT_HEADER, sacctLine, setChainTime, type UsageChain } from "./crash/usageChain";
import { startUsageOracle } from "./support";
import { prng } from "../../scripts/lib/prng";

const TRIALS = 20;
const FAULTS = ["after-resume", "after-ingest-chunk", "after-plan", "after-persist", "after-send", "after-confirm"] as const;

describe("usage oracle: SIGKILL at random points, restart, exact totals", function () {
  this.timeout(240_000);
  let chain: UsageChain;
  let dir: string;
  let config: string;
  let cli: string;
  // CI pins the seed (.ci/run); a local run draws one. Either way a failure names it, to replay the same kills.
  const seed = Number(process.env.DSX_CRASH_SEED ?? Date.now() % 1_000_000);
  if (!Number.isSafeInteger(seed)) throw new Error(`DSX_CRASH_SEED=${process.env.DSX_CRASH_SEED} is not a whole number`);

  before(async function () {
    ({ chain, dir, config, cli } = await startUsageOracle({
      chain: { signers: 1, threshold: 1, days: 10n },
      config: { retry: { attempts: 6, baseDelayMs: 100, maxDelayMs: 1000 } },
      cli: true,
    }));
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed") process.stderr.write(`    usage crash suite failed with DSX_CRASH_SEED=${seed}: run it again with that seed to replay the same kills\n`);
  });
  after(async function () {
    await chain?.node.stop();
  });

  it(`when killed in ${TRIALS} trials and restarted, the chain ends with exactly the exported GPU-seconds per agreement`, async function () {
    const random = prng(seed);
    const expected = new Map<bigint, bigint>([
      [1n, 0n],
      [2n, 0n],
    ]);
    let killed = 0;
    let previousLine: string | undefined;
    // Usage ahead of the chain's clock in the previous trial's export: due once the clock has passed it.
    let waitingDue = new Map<bigint, bigint>();
    const addTo = (totals: Map<bigint, bigint>, id: bigint, gpuSeconds: bigint) => totals.set(id, (totals.get(id) ?? 0n) + gpuSeconds);
    const check = async (label: string) => {
      const onChain = await chainGpuSeconds(chain);
      for (const [id, gpuSeconds] of expected) {
        expect(onChain.get(id) ?? 0n, `agreement ${id} ${label} (seed ${seed})`).to.equal(gpuSeconds);
      }
    };
    for (let trial = 0; trial < TRIALS; trial++) {
      const base = chain.h0 + BigInt(trial) * 3n * HOUR;
      const lines = [SACCT_HEADER];
      const meter: string[] = [];
      for (const agreement of chain.agreements) {
        const jobs = 2 + Math.floor(random() * 3);
        for (let j = 0; j < jobs; j++) {
          const start = base + BigInt(Math.floor(random() * 80)) * 60n;
          const end = start + BigInt(1 + Math.floor(random() * 30)) * 60n + BigInt(Math.floor(random() * 60));
          const gpus = 1 + Math.floor(random() * 4);
          lines.push(sacctLine({ id: `${trial}${j}${agreement.id}`, account: agreement.account, start, end, gpus }));
          expected.set(agreement.id, expected.get(agreement.id)! + BigInt(gpus) * (end - start));
        }
        const mStart = base + 100n * 60n;
        meter.push(
          JSON.stringify({
            recordId: `m-${trial}-${agreement.id}`,
            account: agreement.account,
            sku: "b200",
            start: new Date(Number(mStart) * 1000).toISOString(),
            end: new Date(Number(mStart + 600n) * 1000).toISOString(),
            gpus: 2,
          }),
        );
        expected.set(agreement.id, expected.get(agreement.id)! + 1200n);
      }
      // A re-exported row of the previous trial: a duplicate the watermark must absorb.
      if (previousLine) lines.push(previousLine);
      previousLine = lines[1];
      // Rows ahead of the clock this trial sets (base + 2h20m): job …8 partly, job …9 wholly. They
      // wait in the state through this trial and are billed in the next one (the window they
      // fall in closes then).
      const thisWaiting = new Map<bigint, bigint>();
      for (const agreement of chain.agreements) {
        const partly = { start: base + 130n * 60n, end: base + 130n * 60n + BigInt(20 + Math.floor(random() * 20)) * 60n, gpus: 1 + Math.floor(random() * 3) };
        const wholly = { start: base + 145n * 60n, end: base + 145n * 60n + BigInt(5 + Math.floor(random() * 20)) * 60n, gpus: 1 + Math.floor(random() * 3) };
        lines.push(sacctLine({ id: `${trial}8${agreement.id}`, account: agreement.account, ...partly }));
        lines.push(sacctLine({ id: `${trial}9${agreement.id}`, account: agreement.account, ...wholly }));
        addTo(thisWaiting, agreement.id, BigInt(partly.gpus) * (partly.end - partly.start) + BigInt(wholly.gpus) * (wholly.end - wholly.start));
      }
      for (const [id, gpuSeconds] of waitingDue) addTo(expected, id, gpuSeconds);
      waitingDue = thisWaiting;
      writeFileSync(join(dir, "inbox", `sacct-${String(trial).padStart(2, "0")}.txt`), `${lines.join("\n")}\n`);
      writeFileSync(join(dir, "inbox", `meter-${String(trial).padStart(2, "0")}.jsonl`), `${meter.join("\n")}\n`);
      await setChainTime(chain, base + 2n * HOUR + 20n * 60n);

      // Until one kill has landed (a random moment may come after the run ended), then sometimes one more.
      const kills = random() < 0.3 ? 2 : 1;
      let landed = 0;
      for (let attempts = 0; landed < kills && attempts < 4; attempts++) {
        const fault = random() < 0.5 ? FAULTS[Math.floor(random() * FAULTS.length)] : undefined;
        const result = fault
          ? await runUsageCli(cli, ["run", "--config", config], { env: { DSX_USAGE_FAULT: fault } })
          : await runUsageCli(cli, ["run", "--config", config], { killAfterMs: 100 + Math.floor(random() * 900) });
        if (result.signal === "SIGKILL") landed += 1;
        else expect(result.code, `trial ${trial} (seed ${seed}): ${result.stderr}`).to.equal(0);
      }
      killed += landed;
      const done = await runUsageCli(cli, ["run", "--config", config, "--json"]);
      expect(done.code, `trial ${trial} (seed ${seed}): ${done.stderr}`).to.equal(0);
      await check(`after trial ${trial}`);
      // The rows ahead of the clock are still waiting, in the state (not lost with a killed run).
      const summary = JSON.parse(done.stdout) as { waitingFiles: { file: string; rows: number }[] };
      expect(summary.waitingFiles.map((w) => [basename(w.file), w.rows]), `trial ${trial} (seed ${seed})`).to.deep.equal([[`sacct-${String(trial).padStart(2, "0")}.txt`, 4]]);
    }
    expect(killed, `processes killed (seed ${seed})`).to.be.at.least(20);

    // The clock passes the last export's waiting rows: one more run bills them.
    await setChainTime(chain, chain.h0 + BigInt(TRIALS) * 3n * HOUR + 2n * HOUR + 20n * 60n);
    for (const [id, gpuSeconds] of waitingDue) addTo(expected, id, gpuSeconds);
    const last = await runUsageCli(cli, ["run", "--config", config]);
    expect(last.code, `last run (seed ${seed}): ${last.stderr}`).to.equal(0);
    await check("after the last run");

    const state = UsageState.open(join(dir, "state"), { chainId: 31337, ledger: chain.deployment.ledger, partner: chain.partner });
    try {
      expect(state.openBatches()).to.have.length(0);
      expect(state.sliceTotals().pending.slices).to.equal(0);
      expect(state.waitingFiles()).to.deep.equal([]);
      const confirmed = state.confirmedBatches();
      expect(confirmed.map((b) => b.sequence)).to.deep.equal(confirmed.map((_, i) => BigInt(i)));
      expect(readdirSync(join(dir, "evidence")).filter((f) => f.endsWith(".json"))).to.have.length(confirmed.length);
    } finally {
      state.close();
    }
  });
});
