// `usage run | sign | submit` (SERVICES §6): the cloud partner's usage oracle.
//   usage run --config oracle-usage.json [--input <path>…] [--follow] [--interval <s>] [--json]
//   usage sign --batch <file> (--config <file> --signer <i> | --keystore <file> [--password-env <VAR>]) [--out <file>]
//   usage submit --config <file> <signature files…>
// A summary line is always printed; a progress bar only on a terminal. Errors are one line
// naming the cause and the fix, with exit status 1.
import { statSync, watch, type FSWatcher } from "node:fs";
import { Command } from "commander";
import { SingleBar, Presets } from "cli-progress";
import { DsxError } from "../../sdk/errors";
import { loadAccount } from "../../sdk/keys";
import { loadUsageConfig } from "../usage/config";
import { signBatchFile, submitSignatureFiles } from "../usage/cosign";
import { emptySummary, formatSummary, openUsageRuntime, runUsageOnce, type UsageProgress, type UsageRunSummary } from "../usage/run";

function printSummary(summary: UsageRunSummary, json: boolean): void {
  if (json) process.stdout.write(`${JSON.stringify({ ...summary, gasUsed: summary.gasUsed.toString() })}\n`);
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

async function runCommand(options: { config?: string; input?: string[]; follow?: boolean; interval: string; json?: boolean }): Promise<number> {
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
  let status = 0;
  try {
    do {
      const bar = progressBar();
      const summary = emptySummary();
      try {
        await runUsageOnce(rt, { inputs, onProgress: bar.update, summary });
      } finally {
        // the summary line is printed always, also when the pass stops on an error
        bar.stop();
        printSummary(summary, options.json ?? false);
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
    .action(async (options) => {
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
  return usage;
}

if (require.main === module) {
  usageCommand()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      const message = err instanceof DsxError ? err.message : err instanceof Error ? err.message.split("\n")[0] : String(err);
      process.stderr.write(`usage: error: ${message}\n`);
      process.exitCode = 1;
    });
}
