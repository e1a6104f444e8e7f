// `revenue plan | run | finalize | quarantine list|accept|reject` (SERVICES §3, §6): the revenue oracle's command line.
//   npm run oracle:revenue -- plan --config revenue-oracle.json [--agreement 3] [--decimal-comma]
//   npm run oracle:revenue -- run --config revenue-oracle.json [--confirm-rejected] [--decimal-comma] [--metrics-file <path>]
//   npm run oracle:revenue -- finalize --config revenue-oracle.json
//   npm run oracle:revenue -- quarantine list --config revenue-oracle.json [--all]
//   npm run oracle:revenue -- quarantine accept|reject <ids…> --note "…" [--by name] --config revenue-oracle.json
// Progress goes to stderr, the table and summary (or --json) to stdout; exit status 1 on any error.
import { Command, InvalidArgumentError, Option } from "commander";
import { DEFAULT_REVENUE_CONFIG_FILE, loadRevenueConfig } from "../revenue/config";
import { openMetricsOutput, revenueRunFigures } from "../metrics";
import { closeRevenueContext, openRevenueContext, type OpenRevenueContextOptions, type RevenueContext } from "../revenue/context";
import { emptyFinalizeSummary, finalizeRevenue, formatFinalizeSummary } from "../revenue/finalize";
import {
  decideQuarantine,
  emptyDecideSummary,
  emptyQuarantineList,
  formatDecideSummary,
  formatQuarantineList,
  listQuarantine,
} from "../revenue/quarantine";
import {
  emptyPlanSummary,
  emptyRunSummary,
  errorLine,
  formatPlanSummary,
  formatRunSummary,
  planRevenue,
  runRevenue,
  type RevenueRunSummary,
} from "../revenue/run";

interface CommonOptions {
  config?: string;
  agreement?: bigint[];
  json?: boolean;
  decimalComma?: boolean;
}

function agreementId(value: string, previous: bigint[] = []): bigint[] {
  if (!/^[1-9][0-9]*$/.test(value)) throw new InvalidArgumentError("expected a positive whole number, e.g. --agreement 3");
  return [...previous, BigInt(value)];
}

const jsonOf = (value: unknown) => JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));

async function withContext<S extends { errors: { agreementId?: string; message: string }[] }>(
  options: CommonOptions,
  empty: () => S,
  work: (ctx: RevenueContext) => Promise<S>,
  format: (summary: S) => string,
  open: Pick<OpenRevenueContextOptions, "keys" | "chain"> = {},
  done?: (summary: S) => Promise<void>,
): Promise<void> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  let summary: S;
  let ctx: RevenueContext | undefined;
  try {
    const config = loadRevenueConfig(options.config ?? process.env.DSX_REVENUE_CONFIG ?? DEFAULT_REVENUE_CONFIG_FILE, process.env, log);
    ctx = await openRevenueContext(config, { log, ...open });
    summary = await work(ctx);
  } catch (err) {
    summary = empty();
    summary.errors.push({ message: errorLine(err) });
    log(`error: ${errorLine(err)}`);
  } finally {
    if (ctx) closeRevenueContext(ctx);
  }
  process.stdout.write(`${options.json ? jsonOf(summary) : format(summary)}\n`);
  if (summary.errors.length > 0) process.exitCode = 1;
  if (done) {
    try {
      await done(summary);
    } catch (err) {
      // the run's work stands; the exit status says its metrics are missing
      log(`error: metrics not written: ${errorLine(err)}`);
      process.exitCode = 1;
    }
  }
}

/** Writes a run's figures to `--metrics-file` (textfile collector), carrying the earlier runs' totals. */
async function writeRunMetrics(file: string, summary: RevenueRunSummary): Promise<void> {
  const out = await openMetricsOutput({ oracle: "revenue", file });
  await out.record(summary.errors.length === 0 ? "success" : "failure", revenueRunFigures(summary));
  await out.close();
}

const GONE_ACCEPT_QUARANTINE =
  '--accept-quarantine is gone (it reported periods without their quarantined rows, all or nothing): decide rows one by one with dsx revenue quarantine list, then dsx revenue quarantine accept|reject <ids…> --note "…", and preview with dsx revenue plan.';

/** The `revenue` command with its subcommands (mounted by the `dsx` CLI too). */
export function revenueCommand(): Command {
  const revenue = new Command("revenue").description("the revenue oracle (SERVICES §3)");
  const common = (cmd: Command) =>
    cmd
      .option("-c, --config <file>", `settings file (default $DSX_REVENUE_CONFIG or ${DEFAULT_REVENUE_CONFIG_FILE})`)
      .option("--agreement <id>", "only this agreement (repeatable)", agreementId)
      .option("--json", "print the summary as JSON");
  const decimalComma = (cmd: Command) =>
    cmd.option("--decimal-comma", 'read input files written with decimal commas ("1.234,56", ";"-separated) as such instead of refusing them');

  decimalComma(common(revenue.command("plan")))
    .description("preview what run would submit, per agreement and period (revenue, version, carry, rows, evidence hash, state, why held); signs and sends nothing")
    .action((options: CommonOptions) =>
      withContext(
        options,
        emptyPlanSummary,
        (ctx) => planRevenue(ctx, { agreementIds: options.agreement, decimalComma: options.decimalComma }),
        formatPlanSummary,
        { keys: false },
      ),
    );

  decimalComma(common(revenue.command("run")))
    .description("report every ended period's revenue (new, restated or rejected) and resend what a crash left behind")
    .option("--confirm-rejected", "resubmit rejected periods whose figures did not change (after review)")
    .option("--metrics-file <path>", "write Prometheus metrics for node_exporter's textfile collector after the run (atomically; see docs/operations.md)")
    .addOption(new Option("--accept-quarantine", "gone: decide rows with revenue quarantine accept|reject").hideHelp())
    .action((options: CommonOptions & { acceptQuarantine?: boolean; confirmRejected?: boolean; metricsFile?: string }) => {
      if (options.acceptQuarantine) {
        process.stderr.write(`error: ${GONE_ACCEPT_QUARANTINE}\n`);
        const summary = emptyRunSummary();
        summary.errors.push({ message: GONE_ACCEPT_QUARANTINE });
        process.stdout.write(`${options.json ? jsonOf(summary) : formatRunSummary(summary)}\n`);
        process.exitCode = 1;
        return;
      }
      return withContext(
        options,
        emptyRunSummary,
        (ctx) => runRevenue(ctx, { confirmRejected: options.confirmRejected, decimalComma: options.decimalComma, agreementIds: options.agreement }),
        formatRunSummary,
        {},
        options.metricsFile === undefined ? undefined : (summary) => writeRunMetrics(options.metricsFile!, summary),
      );
    });

  common(revenue.command("finalize"))
    .description("finalize every revenue period that is due, in order")
    .action((options: CommonOptions) =>
      withContext(options, emptyFinalizeSummary, (ctx) => finalizeRevenue(ctx, { agreementIds: options.agreement }), formatFinalizeSummary),
    );

  const quarantine = revenue.command("quarantine").description("review the rows the oracle cannot count on its own, one by one (SERVICES §3 \"Quarantine review\")");
  decimalComma(common(quarantine.command("list")))
    .description("list the rows waiting for a decision (with --all, the decided ones too), with the period each holds")
    .option("--all", "include decided rows, with who decided and why")
    .action((options: CommonOptions & { all?: boolean }) =>
      withContext(
        options,
        emptyQuarantineList,
        (ctx) => listQuarantine(ctx, { agreementIds: options.agreement, all: options.all, decimalComma: options.decimalComma }),
        formatQuarantineList,
        { keys: false },
      ),
    );
  for (const decision of ["accept", "reject"] as const) {
    decimalComma(common(quarantine.command(decision)))
      .description(
        decision === "accept"
          ? "count these rows (converted where needed): a Stripe row whose net ≠ gross − fee with its figures as written, or one copy of a conflicting transaction"
          : "leave these rows out of the revenue; their periods are reported without them",
      )
      .argument("<ids...>", "entry ids from revenue quarantine list (rq-…)")
      .requiredOption("--note <text>", "why (kept in the period's evidence)")
      .option("--by <name>", "who decides (default: user@host)")
      .action((ids: string[], options: CommonOptions & { note: string; by?: string }) =>
        withContext(
          options,
          () => emptyDecideSummary(decision),
          (ctx) => decideQuarantine(ctx, ids, decision, { note: options.note, by: options.by, agreementIds: options.agreement, decimalComma: options.decimalComma }),
          formatDecideSummary,
          { keys: false, chain: false },
        ),
      );
  }
  return revenue;
}

if (require.main === module) {
  revenueCommand()
    .name("revenue")
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      process.stderr.write(`error: ${errorLine(err)}\n`);
      process.exitCode = 1;
    });
}
