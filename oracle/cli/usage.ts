// `usage run | sign | submit | quarantine` (SERVICES §6): the cloud partner's usage oracle.
//   usage run --config oracle-usage.json [--input <path>…] [--follow] [--interval <s>] [--json]
//             [--metrics-file <path>] [--metrics-port <port> --metrics-host <host>]   (docs/operations.md)
//   usage sign --batch <file> (--config <file> --signer <i> | --keystore <file> [--password-env <VAR>]) [--out <file>]
//   usage submit --config <file> <signature files…>
//   usage quarantine list --config <file> [--all] [--json]
//   usage quarantine accept <ids…> --config <file> --note "…" [--account <name>] [--sku <sku>] [--by <name>] [--json]
//   usage quarantine reject <ids…> --config <file> --note "…" [--by <name>] [--json]
// A summary line is always printed; a progress bar only on a terminal. Errors are one line
// naming the cause and the fix, with exit status 1.
import { statSync, watch, type FSWatcher } from "node:fs";
import { userInfo } from "node:os";
import { Command, InvalidArgumentError } from "commander";
import { SingleBar, Presets } from "cli-progress";
import { DsxError, ValidationError } from "../../sdk/errors";
import { loadAccount } from "../../sdk/keys";
import { openMetricsOutput, usageRunFigures, type MetricsOutput } from "../metrics";
import { compileUsageConfig } from "../sources/usage";
import { quarantineEntryFields } from "../state/files";
import type { StoredQuarantine } from "../state/usageState";
import { loadUsageConfig, sourceConfigOf } from "../usage/config";
import { signBatchFile, submitSignatureFiles } from "../usage/cosign";
import { decide, formatEntry, quarantineEntries, wouldBill } from "../usage/review";
import { emptySummary, formatSummary, openUsageRuntime, openUsageState, runUsageOnce, summaryJson, type UsageProgress, type UsageRunSummary } from "../usage/run";

function printSummary(summary: UsageRunSummary, json: boolean): void {
  if (json) process.stdout.write(`${JSON.stringify(summaryJson(summary))}\n`);
  else process.stdout.write(`${formatSummary(summary)}\n`);
}

function log(message: string): void {
  process.stderr.write(`usage: ${message}\n`);
}

/** A progress bar on stderr when it is a terminal; otherwise nothing. */
function progressBar(): { update: (p: UsageProgress) => void; stop: () => void } {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new SingleBar(
    { format: "{phase} [{bar}] {value}/{total} {detail}", stream: process.stderr, hideCursor: true, clearOnComplete: true },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      if (p.phase === "ingest") {
        if (!started) bar.start(Math.max(p.totalFiles, 1), 0, { phase: "files", detail: "" });
        started = true;
        bar.setTotal(Math.max(p.totalFiles, 1));
        bar.update(p.files, { phase: "files", detail: `${p.read} rows` });
      } else {
        if (!started) bar.start(p.batched, 0, { phase: "batches", detail: "" });
        started = true;
        bar.setTotal(Math.max(p.batched, 1));
        bar.update(p.submitted, { phase: "batches", detail: `${p.batched} signed, ${p.submitted} sent` });
      }
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

/** Waits until an input folder changes or `ms` pass, whichever comes first (or `stop` is called). */
function waitForInputs(inputs: readonly string[], ms: number, stopping: { requested: boolean; wake?: () => void }): Promise<void> {
  return new Promise((resolve) => {
    const watchers: FSWatcher[] = [];
    const done = () => {
      clearTimeout(timer);
      for (const w of watchers) w.close();
      stopping.wake = undefined;
      resolve();
    };
    const timer = setTimeout(done, ms);
    stopping.wake = done;
    for (const input of inputs) {
      try {
        if (statSync(input).isDirectory()) watchers.push(watch(input, () => setTimeout(done, 500)));
      } catch {
        // a folder that does not exist yet: the interval picks it up
      }
    }
  });
}

interface RunCommandOptions {
  config?: string;
  input?: string[];
  follow?: boolean;
  interval: string;
  json?: boolean;
  metricsFile?: string;
  metricsPort?: number;
  metricsHost?: string;
}

/** `--metrics-port`: a TCP port, 0 for any free one. */
function metricsPort(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65_535) throw new InvalidArgumentError("expected a port number 0..65535, e.g. --metrics-port 9464");
  return Number(value);
}

/** The metrics outputs the options ask for (none: undefined); `--metrics-port` needs `--follow`. */
async function openMetrics(options: RunCommandOptions): Promise<MetricsOutput | undefined> {
  if (options.metricsPort !== undefined && !options.follow) {
    throw new ValidationError("--metrics-port serves metrics while the oracle keeps running, which only --follow does.", {
      fix: "Add --follow, or write a one-shot run's metrics for node_exporter's textfile collector with --metrics-file <path>.",
    });
  }
  if (options.metricsFile === undefined && options.metricsPort === undefined) return undefined;
  const out = await openMetricsOutput({ oracle: "usage", file: options.metricsFile, port: options.metricsPort, host: options.metricsHost });
  if (out.url) log(`metrics at ${out.url}`);
  return out;
}

async function runCommand(options: RunCommandOptions): Promise<number> {
  const metrics = await openMetrics(options);
  let recorded = false;
  let unwritten = false;
  const record = async (failed: boolean, summary: UsageRunSummary) => {
    recorded = true;
    try {
      await metrics?.record(failed ? "failure" : "success", usageRunFigures(summary));
    } catch (err) {
      // the oracle's work stands; the exit status says the metrics are missing
      log(`metrics file ${options.metricsFile} not written: ${err instanceof Error ? err.message : String(err)}`);
      unwritten = true;
    }
  };
  try {
    const status = await runPasses(options, record);
    return unwritten ? 1 : status;
  } catch (err) {
    // the run failed before its first pass (settings, node): that is a failed run too
    if (!recorded) await record(true, emptySummary());
    throw err;
  } finally {
    await metrics?.close();
  }
}

async function runPasses(options: RunCommandOptions, record: (failed: boolean, summary: UsageRunSummary) => Promise<void>): Promise<number> {
  const config = loadUsageConfig(options.config);
  const rt = await openUsageRuntime(config, log);
  const inputs = options.input && options.input.length > 0 ? options.input : config.inputs;
  const stopping: { requested: boolean; wake?: () => void } = { requested: false };
  const stop = () => {
    stopping.requested = true;
    stopping.wake?.();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  let status: number;
  try {
    do {
      const bar = progressBar();
      const summary = emptySummary();
      let failed = true;
      try {
        await runUsageOnce(rt, { inputs, onProgress: bar.update, summary });
        failed = summary.blocked !== undefined;
      } finally {
        // the summary line is printed always, also when the pass stops on an error; so are its metrics
        bar.stop();
        printSummary(summary, options.json ?? false);
        await record(failed, summary);
      }
      status = summary.blocked ? 1 : 0;
      if (!options.follow || stopping.requested) break;
      await waitForInputs(inputs, Number(options.interval) * 1000, stopping);
    } while (!stopping.requested);
  } finally {
    rt.state.close();
  }
  return status;
}

async function signCommand(options: { batch: string; config?: string; signer?: string; keystore?: string; passwordEnv?: string; privateKey?: string; chainId?: string; out?: string }): Promise<number> {
  let account;
  if (options.config !== undefined) {
    const config = loadUsageConfig(options.config);
    const index = Number(options.signer ?? "0");
    const key = config.signers[index];
    if (key === undefined) throw new DsxError(`The config has no signer number ${index}.`, { fix: `Pass --signer 0..${config.signers.length - 1}.` });
    account = await loadAccount({ chainId: config.chainId, ...key });
  } else {
    account = await loadAccount({
      chainId: Number(options.chainId ?? "0"),
      keystore: options.keystore,
      passwordEnv: options.passwordEnv,
      privateKey: options.privateKey,
    });
  }
  const path = await signBatchFile(options.batch, account, options.out);
  process.stdout.write(`usage: signature of ${account.address} written to ${path}\n`);
  return 0;
}

async function submitCommand(files: string[], options: { config?: string; json?: boolean }): Promise<number> {
  const config = loadUsageConfig(options.config);
  const rt = await openUsageRuntime(config, log);
  try {
    const summary = await submitSignatureFiles(rt, files);
    printSummary(summary, options.json ?? false);
    return summary.blocked ? 1 : 0;
  } finally {
    rt.state.close();
  }
}

/** A quarantine entry as `--json` prints it. */
function entryJson(q: StoredQuarantine): Record<string, unknown> {
  const d = q.decision;
  return {
    ...quarantineEntryFields(q),
    wouldBill: q.candidate ?? null,
    wouldBillText: wouldBill(q),
    decision: d === undefined ? null : { ...d, decidedAt: new Date(d.decidedAt).toISOString() },
  };
}

/** Quarantine ids from the command line: whole numbers, `#` allowed. */
function parseIds(ids: readonly string[]): number[] {
  return ids.map((text) => {
    const id = text.replace(/^#/, "");
    if (!/^\d+$/.test(id)) throw new ValidationError(`${JSON.stringify(text)} is not a quarantine id.`, { fix: "`dsx usage quarantine list` shows the ids (#7 or 7)." });
    return Number(id);
  });
}

/** Who decides: --by, else the OS user. */
function operator(by: string | undefined): string {
  if (by !== undefined) return by;
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? "";
  }
}

function quarantineListCommand(options: { config?: string; all?: boolean; json?: boolean }): number {
  const state = openUsageState(loadUsageConfig(options.config));
  try {
    const entries = quarantineEntries(state, { all: options.all });
    if (options.json) process.stdout.write(`${JSON.stringify(entries.map(entryJson))}\n`);
    else if (entries.length === 0) process.stdout.write(`usage: no quarantined rows${options.all ? "" : " wait for a decision (--all shows the decided ones)"}\n`);
    else process.stdout.write(`${entries.map(formatEntry).join("\n")}\n`);
    return 0;
  } finally {
    state.close();
  }
}

function quarantineDecideCommand(
  decision: "accept" | "reject",
  ids: string[],
  options: { config?: string; note: string; by?: string; account?: string; sku?: string; json?: boolean },
): number {
  const config = loadUsageConfig(options.config);
  const state = openUsageState(config);
  try {
    const decided = decide(state, compileUsageConfig(sourceConfigOf(config)), decision, {
      ids: parseIds(ids),
      note: options.note,
      by: operator(options.by),
      account: options.account,
      sku: options.sku,
    });
    if (options.json) process.stdout.write(`${JSON.stringify(decided.map(entryJson))}\n`);
    else {
      const what = decision === "accept" ? "accepted; the next `dsx usage run` bills" : "rejected; never billed:";
      process.stdout.write(`usage: ${decided.length} row${decided.length === 1 ? "" : "s"} ${what}\n${decided.map(formatEntry).join("\n")}\n`);
    }
    return 0;
  } finally {
    state.close();
  }
}

/** `usage quarantine list | accept | reject` (SERVICES §2 "Quarantine review"). */
function quarantineCommand(): Command {
  const quarantine = new Command("quarantine").description("review quarantined rows one by one: list, accept (billed by the next run) or reject, with a note");
  quarantine
    .command("list")
    .description("show each quarantined row: id, file and line, reason, what it would bill, the decision")
    .option("-c, --config <file>", "settings file (JSON)")
    .option("--all", "also the rows decided already")
    .option("--json", "print the entries as JSON")
    .action((options) => {
      process.exitCode = quarantineListCommand(options);
    });
  for (const decision of ["accept", "reject"] as const) {
    const cmd = quarantine
      .command(decision)
      .description(
        decision === "accept"
          ? "accept quarantined rows: the next run bills them (as --account/--sku say where the row does not)"
          : "reject quarantined rows: never billed, the decision kept",
      )
      .argument("<ids...>", "quarantine ids (from `quarantine list`)")
      .option("-c, --config <file>", "settings file (JSON)")
      .requiredOption("--note <text>", "why (kept with the decision, and in the evidence bundle of the batch that bills an accepted row)")
      .option("--by <name>", "who decides (default: the OS user)");
    if (decision === "accept") {
      cmd.option("--account <name>", "the account (a name in the config's accounts) the rows are billed to");
      cmd.option("--sku <sku>", "the sku (a configured sku or skuMap type) the rows are billed as");
    }
    cmd.option("--json", "print the decided entries as JSON").action((ids: string[], options) => {
      process.exitCode = quarantineDecideCommand(decision, ids, options);
    });
  }
  return quarantine;
}

/** The `usage` command tree (also mounted by `dsx usage`). */
export function usageCommand(): Command {
  const usage = new Command("usage").description("the cloud partner's usage oracle (SERVICES §2)");
  usage
    .command("run")
    .description("read exports, batch closed windows, sign, simulate, submit, write evidence")
    .option("-c, --config <file>", "settings file (JSON)")
    .option("-i, --input <paths...>", "export files or folders (default: the config's inputs)")
    .option("-f, --follow", "keep running: watch the input folders and run again on changes and every interval")
    .option("--interval <seconds>", "follow mode: seconds between passes", "60")
    .option("--json", "print the summary as JSON")
    .option("--metrics-file <path>", "write Prometheus metrics for node_exporter's textfile collector after each run (atomically; see docs/operations.md)")
    .option("--metrics-port <port>", "follow mode: serve Prometheus metrics at GET /metrics on this port (0: any free one)", metricsPort)
    .option("--metrics-host <host>", "address the metrics endpoint listens on", "127.0.0.1")
    .action(async (options: RunCommandOptions) => {
      process.exitCode = await runCommand(options);
    });
  usage
    .command("sign")
    .description("sign a batch file for co-signing with one key; writes a signature file")
    .requiredOption("-b, --batch <file>", "batch file from the oracle's outbox folder")
    .option("-c, --config <file>", "settings file whose signers[] holds the key")
    .option("-s, --signer <index>", "index into the config's signers", "0")
    .option("--keystore <file>", "encrypted keystore (password from --password-env, default DSX_KEYSTORE_PASSWORD)")
    .option("--password-env <name>", "environment variable holding the keystore password")
    .option("--private-key <hex>", "raw key (chain 31337 only)")
    .option("--chain-id <id>", "chain id, without --config")
    .option("-o, --out <file>", "signature file to write")
    .action(async (options) => {
      process.exitCode = await signCommand(options);
    });
  usage
    .command("submit")
    .description("combine signature files into the waiting batch and submit it")
    .argument("<files...>", "signature files written by `usage sign`")
    .option("-c, --config <file>", "settings file (JSON)")
    .option("--json", "print the summary as JSON")
    .action(async (files: string[], options) => {
      process.exitCode = await submitCommand(files, options);
    });
  usage.addCommand(quarantineCommand());
  return usage;
}

if (require.main === module) {
  usageCommand()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      const message = err instanceof DsxError ? err.message : err instanceof Error ? err.message.split("\n")[0] : String(err);
      // a DsxError's details (e.g. each quarantine id that could not be decided) follow, one per line
      const details = err instanceof DsxError && err.details ? `${err.details.replace(/^/gm, "  ")}\n` : "";
      process.stderr.write(`usage: error: ${message}\n${details}`);
      process.exitCode = 1;
    });
}
