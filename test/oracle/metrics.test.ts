// The oracles' Prometheus metrics (SERVICES §7) on a real hardhat node: a one-shot `dsx usage run --metrics-file`
// writes exactly the figures of its summary, in the text format, replacing the file by rename and carrying the
// totals and the last success over a failed run; `usage run --follow --metrics-port` serves the same figures at
// GET /metrics while it runs; `revenue run --metrics-file` writes the revenue oracle's. Every file and answer is
// read by a strict parser of the text format.
import { expect } from "chai";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { parsePrometheusText, sampleValue, samplesOf, type Family } from "../helpers/prometheusText";
import { HOUR, SACCT_HEADER, sacctLine, setChainTime, tempOracleDir, USAGE_KEYS_ENV, writeUsageConfig, type UsageChain } from "./crash/usageChain";
import { openAgreement, ORACLE_ENV, scratch, startRevenueChain, writeConfig, type RevenueChain } from "./revenue-support";
import { fixturePath, startUsageOracle } from "./support";
import { until } from "../helpers/until";

const ROOT = join(__dirname, "..", "..");
const BIN = join(ROOT, "bin", "dsx.cjs");

/** The summary `usage run --json` prints (the fields the metrics carry). */
interface UsageSummaryJson {
  read: number;
  new: number;
  duplicate: number;
  quarantined: number;
  ignored: number;
  waiting: number;
  earlier: Record<string, number>;
  accepted: Record<string, number>;
  submitted: number;
  gasUsed: string;
  gasPerGpuHour: string | null;
}

/** A child's environment: ours without the services' settings, plus the oracle's keys. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^DSX_/.test(k)));
  return { ...clean, NODE_PATH: join(ROOT, "node_modules"), ...USAGE_KEYS_ENV, ...extra };
}

/** Runs a command to its end. */
function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: childEnv(env), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The last JSON line a `--json` run printed. */
function lastJson<T>(stdout: string): T {
  const line = stdout.trim().split("\n").filter((l) => l.startsWith("{")).pop();
  if (!line) throw new Error(`no JSON summary in: ${stdout}`);
  return JSON.parse(line) as T;
}

/** Expects the usage figures of `families` to be exactly those of `summary` (last run) and `totals` (all runs). */
function expectUsageFigures(families: Map<string, Family>, summary: UsageSummaryJson, totals: UsageSummaryJson[] = [summary]) {
  const oracle = "usage";
  const sources: [string, (s: UsageSummaryJson) => Record<string, number>][] = [
    ["export", (s) => ({ read: s.read, new: s.new, duplicate: s.duplicate, quarantined: s.quarantined, ignored: s.ignored, waiting: s.waiting })],
    ["earlier", (s) => s.earlier],
    ["accepted", (s) => s.accepted],
  ];
  for (const [source, counts] of sources) {
    for (const [outcome, count] of Object.entries(counts(summary))) {
      expect(sampleValue(families, "dsx_oracle_last_run_rows", { oracle, source, outcome }), `${source} ${outcome}`).to.equal(count);
      const total = totals.reduce((sum, s) => sum + counts(s)[outcome], 0);
      expect(sampleValue(families, "dsx_oracle_rows_total", { oracle, source, outcome }), `${source} ${outcome} total`).to.equal(total);
    }
  }
  expect(samplesOf(families, "dsx_oracle_last_run_rows")).to.have.length(6 + 4 + 4);
  expect(sampleValue(families, "dsx_oracle_last_run_submitted", { oracle, kind: "batch" })).to.equal(summary.submitted);
  expect(sampleValue(families, "dsx_oracle_submitted_total", { oracle, kind: "batch" })).to.equal(totals.reduce((sum, s) => sum + s.submitted, 0));
  expect(sampleValue(families, "dsx_oracle_last_run_gas_used", { oracle })).to.equal(Number(summary.gasUsed));
  expect(sampleValue(families, "dsx_oracle_gas_used_total", { oracle })).to.equal(totals.reduce((sum, s) => sum + Number(s.gasUsed), 0));
  if (summary.gasPerGpuHour === null) expect(samplesOf(families, "dsx_oracle_last_run_gas_per_gpu_hour")).to.deep.equal([]);
  else expect(sampleValue(families, "dsx_oracle_last_run_gas_per_gpu_hour", { oracle })).to.equal(Number(summary.gasPerGpuHour));
}


describe("oracle/metrics: --metrics-file and --metrics-port", function () {
  this.timeout(240_000);
  let chain: UsageChain;
  let dir: string;
  let config: string;
  let cli: string;
  let metricsFile: string;
  const first: { summary?: UsageSummaryJson; text?: string } = {};

  before(async function () {
    ({ chain, dir, config, cli } = await startUsageOracle({ chain: { signers: 1, threshold: 1, days: 2n }, cli: true }));
    metricsFile = join(dir, "textfile", "dsx-usage.prom");
  });
  after(async function () {
    await chain?.node.stop();
  });

  it("a one-shot `dsx usage run --metrics-file` writes the figures of its summary exactly, in the text format", async function () {
    const h = chain.h0;
    await setChainTime(chain, h + HOUR + 20n * 60n);
    const [a, b] = chain.agreements;
    const rows = [
      sacctLine({ id: "8001", account: a.account, start: h + 5n * 60n, end: h + 35n * 60n, gpus: 4 }),
      sacctLine({ id: "8002", account: b.account, start: h + 10n * 60n, end: h + 50n * 60n, gpus: 2, type: "b200" }),
      sacctLine({ id: "8003", account: "nobody", start: h, end: h + 60n, gpus: 1 }),
      // a CPU-only job: ignored
      sacctLine({ id: "8004", account: a.account, start: h, end: h + 60n, gpus: 0 }).replace(/gres\/gpu:h100=0,gres\/gpu=0,/, ""),
    ];
    writeFileSync(join(dir, "inbox", "sacct-1.txt"), `${[SACCT_HEADER, ...rows].join("\n")}\n`);
    const started = Math.floor(Date.now() / 1000);
    const result = await run([BIN, "usage", "run", "--config", config, "--json", "--metrics-file", metricsFile]);
    const ended = Math.ceil(Date.now() / 1000);
    expect(result.code, result.stderr).to.equal(0);
    const summary = lastJson<UsageSummaryJson>(result.stdout);
    expect(summary).to.include({ read: 4, new: 2, quarantined: 1, ignored: 1, submitted: 1 });
    const text = readFileSync(metricsFile, "utf8");
    const families = parsePrometheusText(text);
    expectUsageFigures(families, summary);
    expect(sampleValue(families, "dsx_oracle_runs_total", { oracle: "usage", result: "success" })).to.equal(1);
    expect(sampleValue(families, "dsx_oracle_last_success_timestamp_seconds", { oracle: "usage" })).to.be.within(started, ended);
    expect(samplesOf(families, "dsx_oracle_last_failure_timestamp_seconds"), "no failure yet").to.deep.equal([]);
    expect(samplesOf(families, "dsx_oracle_runs_total")).to.have.length(1);
    // the textfile collector reads the oracle's figures only: node_exporter has process metrics of its own
    expect([...families.keys()].filter((name) => !name.startsWith("dsx_oracle_"))).to.deep.equal([]);
    expect(readdirSync(join(dir, "textfile")), "no temporary file left").to.deep.equal(["dsx-usage.prom"]);
    first.summary = summary;
    first.text = text;
  });

  it("a later run replaces the file by rename and adds to its totals; a failed run keeps the last success time", async function () {
    if (!first.summary) this.skip();
    const before = statSync(metricsFile);
    const lastSuccess = sampleValue(parsePrometheusText(first.text!), "dsx_oracle_last_success_timestamp_seconds", { oracle: "usage" });
    // a reader polling the file meanwhile only ever sees a whole file
    const seen = new Set<string>();
    let reading = true;
    const reader = (async () => {
      while (reading) {
        seen.add(readFileSync(metricsFile, "utf8"));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const again = await run([BIN, "usage", "run", "--config", config, "--json", "--metrics-file", metricsFile]);
    expect(again.code, again.stderr).to.equal(0);
    const second = lastJson<UsageSummaryJson>(again.stdout);
    const after = statSync(metricsFile);
    expect(after.ino, "a new file renamed over the old one").to.not.equal(before.ino);
    let families = parsePrometheusText(readFileSync(metricsFile, "utf8"));
    expectUsageFigures(families, second, [first.summary!, second]);
    expect(sampleValue(families, "dsx_oracle_runs_total", { oracle: "usage", result: "success" })).to.equal(2);
    const secondSuccess = sampleValue(families, "dsx_oracle_last_success_timestamp_seconds", { oracle: "usage" });
    expect(secondSuccess).to.be.at.least(lastSuccess);

    // the node is unreachable for this run: it fails, and says so without losing when the oracle last succeeded
    const otherDir = tempOracleDir();
    const broken = writeUsageConfig(chain, otherDir, { rpcUrl: "http://127.0.0.1:9", retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    const failedAt = Math.floor(Date.now() / 1000);
    const failed = await run([BIN, "usage", "run", "--config", broken, "--metrics-file", metricsFile]);
    reading = false;
    await reader;
    expect(failed.code, failed.stdout).to.equal(1);
    families = parsePrometheusText(readFileSync(metricsFile, "utf8"));
    expect(sampleValue(families, "dsx_oracle_runs_total", { oracle: "usage", result: "success" })).to.equal(2);
    expect(sampleValue(families, "dsx_oracle_runs_total", { oracle: "usage", result: "failure" })).to.equal(1);
    expect(sampleValue(families, "dsx_oracle_last_success_timestamp_seconds", { oracle: "usage" })).to.equal(secondSuccess);
    expect(sampleValue(families, "dsx_oracle_last_failure_timestamp_seconds", { oracle: "usage" })).to.be.at.least(failedAt);
    expect(sampleValue(families, "dsx_oracle_rows_total", { oracle: "usage", source: "export", outcome: "read" })).to.equal(first.summary!.read + second.read);
    for (const text of seen) {
      expect(text.endsWith("\n"), "a whole file").to.equal(true);
      expect(() => parsePrometheusText(text)).not.to.throw();
    }
    expect(readdirSync(join(dir, "textfile"))).to.deep.equal(["dsx-usage.prom"]);
  });

  it("`usage run --follow --metrics-port` serves the figures of each pass at GET /metrics, with process metrics", async function () {
    const h = chain.h0;
    const child: ChildProcessWithoutNullStreams = spawn(
      process.execPath,
      [cli, "run", "--config", config, "--follow", "--interval", "300", "--json", "--metrics-port", "0"],
      { cwd: ROOT, env: childEnv(), stdio: ["pipe", "pipe", "pipe"] },
    );
    const summaries: UsageSummaryJson[] = [];
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      const lines = stdout.split("\n");
      stdout = lines.pop() ?? "";
      summaries.push(...lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as UsageSummaryJson));
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    const detail = () => `summaries: ${JSON.stringify(summaries)}; stderr: ${stderr}`;
    try {
      await until("the metrics endpoint's URL", () => /metrics at (\S+)/.test(stderr), 60_000, detail);
      const url = /metrics at (\S+)/.exec(stderr)![1];
      await until("the first pass", () => summaries.length >= 1, 60_000, detail);
      const scrape = async () => {
        const res = await fetch(url);
        expect(res.status).to.equal(200);
        expect(res.headers.get("content-type")).to.match(/^text\/plain; version=0\.0\.4/);
        return parsePrometheusText(await res.text());
      };
      let families = await scrape();
      expectUsageFigures(families, summaries[0]);
      expect(sampleValue(families, "dsx_oracle_runs_total", { oracle: "usage", result: "success" })).to.equal(1);
      expect(sampleValue(families, "process_cpu_user_seconds_total")).to.be.greaterThan(0);

      // the next hour's jobs, dropped into the watched folder
      await setChainTime(chain, h + 2n * HOUR + 20n * 60n);
      const [a] = chain.agreements;
      const tmp = join(dir, "inbox", "sacct-2.txt.tmp");
      writeFileSync(tmp, `${[SACCT_HEADER, sacctLine({ id: "8101", account: a.account, start: h + HOUR + 60n, end: h + HOUR + 1860n, gpus: 8 })].join("\n")}\n`);
      renameSync(tmp, join(dir, "inbox", "sacct-2.txt"));
      await until("a pass that submits the new export", () => summaries.some((s) => s.submitted > 0), 60_000, detail);
      const pass = summaries.find((s) => s.submitted > 0)!;
      families = await scrape();
      expectUsageFigures(families, pass, summaries);
      expect(sampleValue(families, "dsx_oracle_last_run_gas_per_gpu_hour", { oracle: "usage" })).to.be.greaterThan(0);
      expect(sampleValue(families, "dsx_oracle_runs_total", { oracle: "usage", result: "success" })).to.equal(summaries.length);

      expect((await fetch(url.replace(/\/metrics$/, "/other"))).status).to.equal(404);
      const post = await fetch(url, { method: "POST" });
      expect(post.status).to.equal(405);
      expect(post.headers.get("allow")).to.equal("GET, HEAD");
      child.kill("SIGTERM");
      expect(await exited).to.deep.equal({ code: 0, signal: null });
      const refused = await fetch(url).then(
        () => false,
        () => true,
      );
      expect(refused, "the endpoint stops with the oracle").to.equal(true);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  });

  it("when --metrics-port is given without --follow, or is not a port, it refuses and says what to do", async function () {
    const oneShot = await run([cli, "run", "--config", config, "--metrics-port", "9464"]);
    expect(oneShot.code).to.equal(1);
    expect(oneShot.stderr).to.match(/--metrics-port .*--follow.*--metrics-file/s);
    const bad = await run([cli, "run", "--config", config, "--follow", "--metrics-port", "http"]);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.match(/expected a port number 0\.\.65535/);
    // a port someone else listens on
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    try {
      const port = String((taken.address() as AddressInfo).port);
      const busy = await run([cli, "run", "--config", config, "--follow", "--metrics-port", port]);
      expect(busy.code).to.equal(1);
      expect(busy.stderr).to.include(`could not listen on 127.0.0.1:${port}: EADDRINUSE. Pick a free port with --metrics-port`);
    } finally {
      taken.close();
    }
  });
});

describe("oracle/metrics: `revenue run --metrics-file` on a hardhat node", function () {
  this.timeout(240_000);
  let chain: RevenueChain | undefined;

  before(async function () {
    chain = await startRevenueChain();
  });
  after(async function () {
    await chain?.node.stop();
  });

  it("it writes the figures of the run's summary exactly; a failed run after it keeps the last success", async function () {
    const dir = scratch();
    const id = await openAgreement(chain!, 1);
    const stripeDir = join(dir, "stripe");
    mkdirSync(stripeDir);
    copyFileSync(fixturePath("stripe", "revenue-e2e-2026-10.csv"), join(stripeDir, "revenue-e2e-2026-10.csv"));
    const config = writeConfig(dir, chain!, [{ id, base: "gross", stripe: [stripeDir] }]);
    await chain!.setTime("2026-11-02T00:00:00Z");
    const file = join(dir, "textfile", "dsx-revenue.prom");
    const result = await run([BIN, "revenue", "run", "--config", config, "--json", "--metrics-file", file], ORACLE_ENV);
    expect(result.code, result.stderr).to.equal(0);
    const summary = lastJson<Record<string, number | string | unknown[]>>(result.stdout);
    expect(summary.submitted).to.equal(1);
    let families = parsePrometheusText(readFileSync(file, "utf8"));
    const oracle = "revenue";
    const outcomes: Record<string, string> = {
      read: "rowsRead",
      revenue: "revenueRows",
      ignored: "ignored",
      quarantined: "quarantined",
      duplicate: "duplicates",
      conflicting: "conflicts",
      out_of_term: "outOfTerm",
      unplaced: "unplaced",
    };
    for (const [outcome, field] of Object.entries(outcomes)) {
      expect(sampleValue(families, "dsx_oracle_last_run_rows", { oracle, source: "input", outcome }), outcome).to.equal(summary[field]);
    }
    expect(samplesOf(families, "dsx_oracle_last_run_rows")).to.have.length(8);
    expect(sampleValue(families, "dsx_oracle_last_run_rows", { oracle, outcome: "read" })).to.be.greaterThan(0);
    expect(sampleValue(families, "dsx_oracle_last_run_submitted", { oracle, kind: "report" })).to.equal(1);
    expect(sampleValue(families, "dsx_oracle_last_run_gas_used", { oracle })).to.equal(Number(summary.gasUsed)).and.greaterThan(0);
    expect(sampleValue(families, "dsx_oracle_runs_total", { oracle, result: "success" })).to.equal(1);
    const succeeded = sampleValue(families, "dsx_oracle_last_success_timestamp_seconds", { oracle });
    expect(samplesOf(families, "dsx_oracle_last_run_gas_per_gpu_hour"), "usage only").to.deep.equal([]);

    // a run that cannot start (its settings file is gone) is a failure, and says so in the same file
    const failed = await run([BIN, "revenue", "run", "--config", join(dir, "missing.json"), "--json", "--metrics-file", file], ORACLE_ENV);
    expect(failed.code).to.equal(1);
    expect(lastJson<{ errors: unknown[] }>(failed.stdout).errors).to.have.length(1);
    families = parsePrometheusText(readFileSync(file, "utf8"));
    expect(sampleValue(families, "dsx_oracle_runs_total", { oracle, result: "failure" })).to.equal(1);
    expect(sampleValue(families, "dsx_oracle_runs_total", { oracle, result: "success" })).to.equal(1);
    expect(sampleValue(families, "dsx_oracle_last_success_timestamp_seconds", { oracle })).to.equal(succeeded);
    expect(sampleValue(families, "dsx_oracle_last_failure_timestamp_seconds", { oracle })).to.be.at.least(succeeded);
    expect(sampleValue(families, "dsx_oracle_submitted_total", { oracle, kind: "report" })).to.equal(1);
    expect(sampleValue(families, "dsx_oracle_last_run_submitted", { oracle, kind: "report" })).to.equal(0);
  });
});
