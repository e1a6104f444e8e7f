// Follow mode of the usage oracle (`usage run --follow`) on a real hardhat node: the CLI runs as
// a child process watching its input folder; an export dropped into the folder is read,
// batched and submitted without a restart; SIGTERM ends it cleanly between passes.
import { expect } from "chai";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UsageState } from "../../oracle/state/usageState";
import { chainGpuSeconds, HOUR, SACCT_HEADER, sacctLine, setChainTime, USAGE_KEYS_ENV, type UsageChain } from "./crash/usageChain";
import { startUsageOracle } from "./support";
import { until } from "../helpers/until";

/** A running `usage run --follow` and the summary lines it printed so far. */
interface Follower {
  child: ChildProcessWithoutNullStreams;
  summaries: string[];
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function follow(cli: string, config: string): Follower {
  const child = spawn(process.execPath, [cli, "run", "--config", config, "--follow", "--interval", "300"], {
    cwd: join(__dirname, "..", ".."),
    env: { ...process.env, NODE_PATH: join(__dirname, "..", "..", "node_modules"), ...USAGE_KEYS_ENV },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const summaries: string[] = [];
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
    const lines = stdout.split("\n");
    stdout = lines.pop() ?? "";
    summaries.push(...lines.filter((l) => l.startsWith("usage: read")));
  });
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, summaries, stderr: () => stderr, exited };
}


describe("usage oracle: follow mode on a hardhat node", function () {
  this.timeout(180_000);
  let chain: UsageChain;
  let dir: string;
  let config: string;
  let cli: string;
  let follower: Follower | undefined;

  before(async function () {
    ({ chain, dir, config, cli } = await startUsageOracle({ chain: { signers: 1, threshold: 1, days: 2n }, cli: true }));
  });
  after(async function () {
    if (follower && follower.child.exitCode === null && follower.child.signalCode === null) follower.child.kill("SIGKILL");
    await chain?.node.stop();
  });

  it("when an export is dropped into the watched folder, it is batched and submitted in the next pass; SIGTERM stops it cleanly", async function () {
    const h = chain.h0;
    await setChainTime(chain, h + HOUR + 20n * 60n);
    follower = follow(cli, config);
    const f = follower;
    const detail = () => `summaries: ${JSON.stringify(f.summaries)}; stderr: ${f.stderr()}`;
    await until("the first pass over the empty folder", () => f.summaries.length >= 1, 60_000, detail);
    expect(f.summaries[0]).to.match(/^usage: read 0 = new 0 \+ duplicate 0 \+ quarantined 0 \+ ignored 0 \+ waiting 0; batched 0, submitted 0/);

    // An export lands the way exporters write files: under a temporary name, then renamed.
    const [a, b] = chain.agreements;
    const jobs = [
      { id: "7001", account: a.account, start: h + 5n * 60n, end: h + 35n * 60n, gpus: 4 },
      { id: "7002", account: b.account, start: h + 10n * 60n, end: h + 50n * 60n, gpus: 2, type: "b200" },
    ];
    const tmp = join(dir, "inbox", "sacct-follow.txt.tmp");
    writeFileSync(tmp, `${[SACCT_HEADER, ...jobs.map((j) => sacctLine(j))].join("\n")}\n`);
    renameSync(tmp, join(dir, "inbox", "sacct-follow.txt"));

    // No restart and a 300 s interval: only the folder watch can start this pass.
    await until("a pass that submits the export", () => f.summaries.some((s) => /submitted [1-9]/.test(s)), 60_000, detail);
    const pass = f.summaries.find((s) => /submitted [1-9]/.test(s))!;
    expect(pass).to.match(/read 2 = new 2 \+ duplicate 0 \+ quarantined 0 \+ ignored 0 \+ waiting 0; batched 1, submitted 1, rejected 0, gas used \d+ for 3\.3 GPU-hours attested \(\d+ gas per GPU-hour\)/);
    const onChain = await chainGpuSeconds(chain);
    expect(onChain.get(a.id)).to.equal(4n * 30n * 60n);
    expect(onChain.get(b.id)).to.equal(2n * 40n * 60n);

    f.child.kill("SIGTERM");
    const { code, signal } = await Promise.race([
      f.exited,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`follow did not stop on SIGTERM; ${detail()}`)), 15_000)),
    ]);
    expect({ code, signal }).to.deep.equal({ code: 0, signal: null });
    const state = UsageState.open(join(dir, "state"), { chainId: 31337, ledger: chain.deployment.ledger, partner: chain.partner });
    try {
      expect(state.openBatches()).to.have.length(0);
      expect(state.confirmedBatches()).to.have.length(1);
      expect(state.sliceTotals().pending.slices).to.equal(0);
    } finally {
      state.close();
    }
  });
});
