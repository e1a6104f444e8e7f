// `dsx api` (the indexer and the settlement API), `dsx demo` (the local demo), and the services' own
// command trees mounted as subcommands: `dsx usage …`, `dsx revenue …`, `dsx audit …`.
import { Command, Option } from "commander";
import { auditProgram } from "../../auditor/cli";
import { revenueCommand } from "../../oracle/cli/revenue";
import { usageCommand } from "../../oracle/cli/usage";
import { ValidationError } from "../../sdk/errors";
import { nodeChainIdOf } from "../../sdk/context";
import { calls, commandOf, leaf, type LedgerFunction } from "../command";
import { emit, type Io } from "../io";
import { GLOBAL_GROUP, chainIdOption, deploymentDirFor, globals, parseInt32, withGlobalOptions, type GlobalOptions } from "../options";

export function apiCommand(io: Io, root: Command): void {
  leaf(
    root,
    "api",
    "run the indexer and the settlement HTTP API until Ctrl-C (SIGINT/SIGTERM stop it gracefully)",
    ["dsx api --port 8080", "DATABASE_URL=postgres://dsx@db/dsx dsx api --rpc-url https://rpc.example --deployment deployments/8453.json --host 0.0.0.0"],
    "Other settings come from the API's environment variables (DSX_API_CONFIG, DATABASE_URL, DSX_API_CONFIRMATIONS, …; see docs/api.md).",
  )
    .option("--port <n>", "port to listen on (0: any free port; default DSX_API_PORT or 8080)")
    .option("--host <host>", "address to listen on (default DSX_API_HOST or 127.0.0.1)")
    .option("--database-url <url>", "PostgreSQL connection string (default DATABASE_URL; unset: embedded PGlite)")
    .option("--data-dir <dir>", "PGlite folder (default DSX_API_DATA_DIR or .dsx/index)")
    .option("--no-indexer", "serve only; another process indexes")
    .action(async (o: { port?: string; host?: string; databaseUrl?: string; dataDir?: string; indexer: boolean }, ...rest: unknown[]) => {
      const cmd = commandOf(rest);
      const g = globals(cmd);
      const chainId = chainIdOption(g.chainId) ?? (await nodeChainIdOf(g.rpcUrl));
      const environment: Record<string, string | undefined> = {
        ...process.env,
        DSX_RPC_URL: g.rpcUrl,
        DSX_CHAIN_ID: String(chainId),
        DSX_DEPLOYMENTS_DIR: deploymentDirFor(g.deployment).dir,
      };
      if (o.port !== undefined) environment.DSX_API_PORT = String(parseInt32(o.port, "--port", 0, 65_535));
      if (o.host !== undefined) environment.DSX_API_HOST = o.host;
      if (o.databaseUrl !== undefined && o.dataDir !== undefined) {
        throw new ValidationError("--database-url and --data-dir name two different databases.", {
          fix: "Give one: --database-url for PostgreSQL, --data-dir for the embedded PGlite folder.",
        });
      }
      if (o.databaseUrl !== undefined) environment.DATABASE_URL = o.databaseUrl;
      if (o.dataDir !== undefined) {
        // the flag wins over a DATABASE_URL in the environment
        environment.DSX_API_DATA_DIR = o.dataDir;
        delete environment.DATABASE_URL;
      }
      if (!o.indexer) environment.DSX_API_INDEXER = "false";
      // loaded here, not at start-up: the API's dependencies (Express, PGlite, Kysely) take a while to load
      /* eslint-disable @typescript-eslint/no-require-imports -- loaded when the command runs (above) */
      const { loadApiConfig } = require("../../api/config") as typeof import("../../api/config");
      const { startApi } = require("../../api/server") as typeof import("../../api/server");
      const pino = require("pino") as typeof import("pino");
      /* eslint-enable @typescript-eslint/no-require-imports */
      const config = loadApiConfig(environment);
      // logs go to stderr: stdout carries the URL line (or JSON) for scripts
      const logger = pino({ level: config.logLevel }, pino.destination(2));
      const api = await startApi(config, logger);
      emit(io, g.json, { command: "api", url: api.url, chainId, indexer: config.indexer }, `API listening on ${api.url} (chain ${chainId}${config.indexer ? ", indexing" : ""}); Ctrl-C stops it`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      await api.close();
    });
}

export function demoCommand(root: Command): void {
  leaf(root, "demo", "run the end-to-end demo: a local chain, the program, partners, usage, revenue, payments and the dashboard", [
    "dsx demo",
    "dsx demo --rpc-url http://127.0.0.1:8545 --port 8080",
  ])
    .option("--port <n>", "port of the demo's API and dashboard")
    .action(async (o: { port?: string }, ...rest: unknown[]) => {
      const cmd = commandOf(rest);
      const given = cmd.optsWithGlobals<GlobalOptions>();
      const rpcUrl = given.rpcUrl ?? (process.env.DSX_RPC_URL || undefined);
      const port = o.port === undefined ? undefined : parseInt32(o.port, "--port", 0, 65_535);
      // loaded here, not at start-up: the demo pulls in the whole stack
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs (above)
      const { runDemo } = require("../../demo/run") as typeof import("../../demo/run");
      await runDemo({ rpcUrl, port, json: given.json });
    });
}

// ------------------------------------------------------------------------------------------------
//                                     MOUNTED SERVICE COMMANDS
// ------------------------------------------------------------------------------------------------

const EXAMPLES: Record<string, string[]> = {
  "usage run": [
    "dsx usage run --config oracle-usage.json",
    "dsx usage run --config oracle-usage.json --input exports/ --follow --interval 300 --metrics-port 9464",
    "dsx usage run --config oracle-usage.json --metrics-file /var/lib/node_exporter/textfile/dsx-usage.prom",
  ],
  "usage sign": ["dsx usage sign --batch state/outbox/batch-000042.json --keystore signer-2.json --chain-id 8453 --out sig-2.json"],
  "usage submit": ["dsx usage submit --config oracle-usage.json sig-1.json sig-2.json"],
  "usage quarantine list": ["dsx usage quarantine list --config oracle-usage.json", "dsx usage quarantine list --config oracle-usage.json --all --json"],
  "usage quarantine accept": [
    'dsx usage quarantine accept 12 13 --config oracle-usage.json --account startup-a --note "project account renamed; confirmed by the customer"',
    'dsx usage quarantine accept 17 --config oracle-usage.json --sku h100-sxm --note "A100 partition bills as H100 (contract §4)" --by alice',
  ],
  "usage quarantine reject": ['dsx usage quarantine reject 14 --config oracle-usage.json --note "test job of our own staff"'],
  "revenue run": [
    "dsx revenue run --config revenue-oracle.json",
    "dsx revenue run --config revenue-oracle.json --agreement 3 --json",
    "dsx revenue run --config revenue-oracle.json --metrics-file /var/lib/node_exporter/textfile/dsx-revenue.prom",
  ],
  "revenue finalize": ["dsx revenue finalize --config revenue-oracle.json"],
  "revenue plan": ["dsx revenue plan --config revenue-oracle.json", "dsx revenue plan --config revenue-oracle.json --agreement 3 --json"],
  "revenue quarantine list": ["dsx revenue quarantine list --config revenue-oracle.json", "dsx revenue quarantine list --config revenue-oracle.json --agreement 3 --all"],
  "revenue quarantine accept": ['dsx revenue quarantine accept rq-3f9a0c1b2d4e --note "fee exported with its sign reversed; net as written is right" --config revenue-oracle.json'],
  "revenue quarantine reject": ['dsx revenue quarantine reject rq-3f9a0c1b2d4e rq-77b2e0a91c05 --note "test charges, refunded off Stripe" --config revenue-oracle.json'],
  audit: ["dsx audit --evidence evidence/ --out audit-reports", "dsx audit --record --keystore auditor.json --rpc-url https://rpc.example --deployment deployments/8453.json"],
  "audit prove": ["dsx audit prove 0x3f1c…e2 rec-000123 --evidence evidence/"],
  "audit verify": ["dsx audit verify audit-reports/audit-31337-1234.json"],
};

/** The ledger functions the services' commands send (see `calls` in cli/command.ts). */
const SENDS: Record<string, LedgerFunction[]> = {
  "usage run": ["submitUsage"],
  "usage submit": ["submitUsage"],
  "revenue run": ["submitRevenue"],
  "revenue finalize": ["finalizeRevenue"],
  audit: ["recordAudit"],
};

/** The global options a mounted command gains when it lacks them (all its services read the chain, but `usage sign`). */
const HANDED_OVER = new Set(["--rpc-url", "--deployment", "--chain-id"]);
const OFFLINE = new Set(["usage sign"]);
const HANDED_OVER_HELP: Record<string, string> = {
  "--rpc-url": "JSON-RPC endpoint; overrides the settings (as env DSX_RPC_URL does)",
  "--deployment": "deployment file, or folder of <chainId>.json; overrides the settings (env DSX_DEPLOYMENT)",
  "--chain-id": "chain id; overrides the settings (as env DSX_CHAIN_ID does)",
};

/** The commands of a tree that run an action, with their full names under the mount point. */
function actionCommands(cmd: Command, prefix = ""): { name: string; cmd: Command }[] {
  const name = prefix ? `${prefix} ${cmd.name()}` : cmd.name();
  const own = (cmd as unknown as { _actionHandler?: unknown })._actionHandler ? [{ name, cmd }] : [];
  return [...own, ...cmd.commands.flatMap((c) => actionCommands(c, name))];
}

/**
 * Mounts a service's command tree: adds the examples to each --help, adds the global options it lacks, and
 * before each action hands the global options over: as environment variables the service reads
 * (DSX_RPC_URL, DSX_CHAIN_ID, DSX_DEPLOYMENTS_DIR) and as the values of its own same-meaning options.
 */
function mount(root: Command, tree: Command): void {
  for (const { name, cmd } of actionCommands(tree)) {
    calls(cmd, ...(SENDS[name] ?? []));
    const examples = EXAMPLES[name];
    if (examples) cmd.addHelpText("after", ["", "Example:", ...examples.map((e) => `  $ ${e}`), ""].join("\n"));
    const taken = new Set(cmd.options.flatMap((opt: Option) => [opt.long, opt.short].filter(Boolean)));
    // the endpoint, deployment and output options; keys stay where each service reads them (its config or own flags)
    const extra = OFFLINE.has(name) ? [] : withGlobalOptions(new Command()).options.filter((opt: Option) => HANDED_OVER.has(opt.long ?? "") && !taken.has(opt.long));
    for (const opt of extra) cmd.addOption(new Option(opt.flags, `${HANDED_OVER_HELP[opt.long!]}`).helpGroup(GLOBAL_GROUP));
    cmd.hook("preAction", (_this, action) => handOver(action));
  }
  root.addCommand(tree);
}

/** Sets an option of the service's command unless the user gave it on that command's own line. */
function setIfNotGiven(cmd: Command, name: string, value: unknown): void {
  if (value === undefined || !cmd.options.some((o: Option) => o.attributeName() === name)) return;
  if (cmd.getOptionValueSource(name) === "cli") return;
  cmd.setOptionValueWithSource(name, value, "cli");
}

/** Whether a mounted service's action ran in this process: it prints its own output, --json included. */
export const mounted = { ran: false };

function handOver(cmd: Command): void {
  mounted.ran = true;
  const all = cmd.optsWithGlobals<GlobalOptions>();
  const rpcUrl = all.rpcUrl ?? (process.env.DSX_RPC_URL || undefined);
  const deploymentArg = all.deployment ?? (process.env.DSX_DEPLOYMENT || undefined);
  let chainId = all.chainId ?? (process.env.DSX_CHAIN_ID || undefined);
  if (rpcUrl !== undefined) {
    process.env.DSX_RPC_URL = rpcUrl;
    setIfNotGiven(cmd, "rpcUrl", rpcUrl);
  }
  if (deploymentArg !== undefined) {
    const { dir, deployment } = deploymentDirFor(deploymentArg);
    chainId ??= deployment ? String(deployment.chainId) : undefined;
    process.env.DSX_DEPLOYMENTS_DIR = dir;
    setIfNotGiven(cmd, "deployments", dir);
  }
  if (chainId !== undefined) {
    process.env.DSX_CHAIN_ID = chainId;
    setIfNotGiven(cmd, "chainId", chainId);
  }
  for (const name of ["keystore", "passwordEnv", "privateKey", "json"] as const) {
    const value = all[name] ?? (name === "keystore" ? process.env.DSX_KEYSTORE || undefined : name === "privateKey" ? process.env.DSX_PRIVATE_KEY || undefined : undefined);
    setIfNotGiven(cmd, name, value);
  }
}

export function mountServices(root: Command): void {
  mount(root, usageCommand());
  mount(root, revenueCommand());
  mount(root, auditProgram());
}
