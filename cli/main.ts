// `dsx`: the DSX ledger's command line (SERVICES §6). `bin/dsx.cjs` runs this file with tsx.
//   dsx [global options] <command> [options]        global options may also follow the command
// Results: human lines on stdout, or one JSON object with --json. Errors: one line of cause and fix on
// stderr, then the rest of a multi-line cause indented (and {"error": …} on stdout with --json), exit
// status 1; never a stack trace unless DSX_DEBUG=1.
import { Command, CommanderError, type Option } from "commander";
import { describeError, LedgerRevertError } from "../sdk/errors";
import { fullName } from "./command";
import { adminCommand } from "./commands/admin";
import { deployCommand } from "./commands/deploy";
import { devCommand } from "./commands/dev";
import { migrationCommand } from "./commands/migration";
import { partnerCommand } from "./commands/partner";
import { programCommand } from "./commands/program";
import { apiCommand, demoCommand, mounted, mountServices } from "./commands/services";
import { auditorCommand, claimCommands, startupCommand } from "./commands/startup";
import { statusCommand } from "./commands/status";
import { webhooksCommand } from "./commands/webhooks";
import { processIo, toJson, type Io } from "./io";
import { GLOBAL_GROUP, withGlobalOptions } from "./options";

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the version, read at run time
const { version } = require("../package.json") as { version: string };

/** Every command of the tree writes through `io` and throws instead of exiting; remembers which one failed. */
function routeOutput(cmd: Command, io: Io, failed: { cmd?: Command }): void {
  // a command's own options first in --help, then the global ones (a stable sort keeps each group's order)
  // (commander types `options` as readonly; reordering the array in place is what it lists in --help)
  (cmd.options as Option[]).sort((a, b) => Number(a.helpGroupHeading === GLOBAL_GROUP) - Number(b.helpGroupHeading === GLOBAL_GROUP));
  cmd.exitOverride();
  cmd.configureOutput({
    writeOut: io.stdout,
    writeErr: io.stderr,
    outputError: () => {
      failed.cmd = cmd;
    },
  });
  for (const sub of cmd.commands) routeOutput(sub, io, failed);
}

/** The whole `dsx` command tree, writing through `io`. */
export function buildProgram(io: Io = processIo, failed: { cmd?: Command } = {}): Command {
  const root = withGlobalOptions(new Command("dsx"))
    .description("DSX revenue-share ledger: deploy it, drive it, feed it, audit it and serve it")
    .version(version, "-V, --version")
    .enablePositionalOptions()
    .showSuggestionAfterError()
    .addHelpText(
      "after",
      [
        "",
        "Keys: --keystore <file> with its password in DSX_KEYSTORE_PASSWORD (or --password-env <VAR>); a raw",
        "--private-key only on chain 31337. Amounts are human decimals (1250.5), exact to 6 places.",
        "",
        "Example:",
        "  $ dsx status 3 --rpc-url http://127.0.0.1:8545 --deployment deployments/31337.json",
        "  $ dsx startup pay 3 1250.5 --keystore startup.json",
        "",
        "Reference: docs/cli.md",
      ].join("\n"),
    );
  deployCommand(io, root);
  root.addCommand(programCommand(io));
  root.addCommand(startupCommand(io));
  root.addCommand(partnerCommand(io));
  root.addCommand(migrationCommand(io));
  root.addCommand(adminCommand(io));
  mountServices(root);
  root.addCommand(auditorCommand(io));
  claimCommands(io, root);
  statusCommand(io, root);
  apiCommand(io, root);
  root.addCommand(webhooksCommand(io));
  demoCommand(root);
  root.addCommand(devCommand(io));
  routeOutput(root, io, failed);
  return root;
}

/**
 * Prints the error: one line of cause and fix; or, when it has details (the rest of a multi-line cause, e.g.
 * the paths a native module was looked for in), the cause, the details indented and the fix last. With
 * --json, also one JSON object on stdout. Returns the exit status.
 */
function report(io: Io, err: unknown, json: boolean): number {
  const e = describeError(err);
  if (e.details) {
    const indented = [...e.details.split("\n"), ...(e.fix ? [e.fix] : [])].map((line) => `  ${line}`);
    io.stderr(`dsx: error: ${e.shortMessage}\n${indented.join("\n")}\n`);
  } else {
    io.stderr(`dsx: error: ${e.message}\n`);
  }
  if (process.env.DSX_DEBUG === "1" && err instanceof Error && err.stack) io.stderr(`${err.stack}\n`);
  // a mounted service has printed its own summary (JSON with --json) already
  if (json && !mounted.ran) {
    const errorName = e instanceof LedgerRevertError ? e.errorName : undefined;
    io.stdout(`${toJson({ error: { message: e.shortMessage, fix: e.fix, kind: e.name, errorName, details: e.details } })}\n`);
  }
  return 1;
}

/**
 * Runs `dsx` with `argv` (the arguments after the program name) and returns the exit status.
 * @example process.exitCode = await runCli(["status", "3", "--json"]);
 */
export async function runCli(argv: readonly string[], io: Io = processIo): Promise<number> {
  const failed: { cmd?: Command } = {};
  const program = buildProgram(io, failed);
  const json = argv.includes("--json");
  const before = process.exitCode;
  process.exitCode = undefined;
  mounted.ran = false;
  try {
    await program.parseAsync([...argv], { from: "user" });
    // the mounted services report their status through process.exitCode
    return Number(process.exitCode ?? 0);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return 0;
      if (err.code === "commander.help" || err.code === "commander.helpDisplayed") return err.exitCode;
      const name = failed.cmd ? fullName(failed.cmd) : "dsx";
      // commander's message, its "(Did you mean …?)" suggestion kept on the same line
      const message = err.message.replace(/^error: /, "").replace(/\s*\n\s*/g, " ").replace(/\.$/, "");
      io.stderr(`dsx: error: ${message}. Run "${name} --help" for usage.\n`);
      if (json) io.stdout(`${toJson({ error: { message, fix: `Run "${name} --help" for usage.`, kind: "UsageError" } })}\n`);
      return 1;
    }
    return report(io, err, json);
  } finally {
    process.exitCode = before;
  }
}
