// `revenue run | finalize` (SERVICES §6): the revenue oracle's command line.
//   npm run oracle:revenue -- run --config revenue-oracle.json [--accept-quarantine] [--confirm-rejected]
//   npm run oracle:revenue -- finalize --config revenue-oracle.json
// Progress goes to stderr, the summary line (or --json) to stdout; exit status 1 on any error.
import { Command, InvalidArgumentError } from "commander";
import { DEFAULT_REVENUE_CONFIG_FILE, loadRevenueConfig } from "../revenue/config";
import { closeRevenueContext, openRevenueContext, type RevenueContext } from "../revenue/context";
import { emptyFinalizeSummary, finalizeRevenue, formatFinalizeSummary } from "../revenue/finalize";
import { emptyRunSummary, errorLine, formatRunSummary, runRevenue } from "../revenue/run";

interface CommonOptions {
  config?: string;
  agreement?: bigint[];
  json?: boolean;
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
): Promise<void> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  let summary: S;
  let ctx: RevenueContext | undefined;
  try {
    const config = loadRevenueConfig(options.config ?? process.env.DSX_REVENUE_CONFIG ?? DEFAULT_REVENUE_CONFIG_FILE);
    ctx = await openRevenueContext(config, { log });
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
}

/** The `revenue` command with its `run` and `finalize` subcommands (mounted by the `dsx` CLI too). */
export function revenueCommand(): Command {
  const revenue = new Command("revenue").description("the revenue oracle (SERVICES §3)");
  const common = (cmd: Command) =>
    cmd
      .option("-c, --config <file>", `settings file (default $DSX_REVENUE_CONFIG or ${DEFAULT_REVENUE_CONFIG_FILE})`)
      .option("--agreement <id>", "only this agreement (repeatable)", agreementId)
      .option("--json", "print the summary as JSON");
  common(revenue.command("run"))
    .description("report every ended period's revenue (new, restated or rejected) and resend what a crash left behind")
    .option("--accept-quarantine", "report periods even though rows are quarantined (after review)")
    .option("--confirm-rejected", "resubmit rejected periods whose figures did not change (after review)")
    .action((options: CommonOptions & { acceptQuarantine?: boolean; confirmRejected?: boolean }) =>
      withContext(
        options,
        emptyRunSummary,
        (ctx) =>
          runRevenue(ctx, {
            acceptQuarantine: options.acceptQuarantine,
            confirmRejected: options.confirmRejected,
            agreementIds: options.agreement,
          }),
        formatRunSummary,
      ),
    );
  common(revenue.command("finalize"))
    .description("finalize every revenue period that is due, in order")
    .action((options: CommonOptions) =>
      withContext(options, emptyFinalizeSummary, (ctx) => finalizeRevenue(ctx, { agreementIds: options.agreement }), formatFinalizeSummary),
    );
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
