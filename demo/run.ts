// `npm start` / `dsx demo` (docs/demo.md): a local chain with the DSX program set up and run through two
// months of the sample data (data/sample/), then the API on top of it, until Ctrl-C.
//
// Fresh or resumed: when no node answers at the RPC URL, the demo starts its own `hardhat node` and runs
// everything from scratch (its data folder is cleared first). When a node answers and holds the run this data
// folder recorded (same block hash at the recorded block), the demo only serves the API again; a node that
// answers with a clock still before the story's start gets a fresh run; any other node is refused.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import pino from "pino";
import type { Hex } from "viem";
import { apiConfigSchema } from "../api/config";
import type { DatabaseHandle } from "../api/db/database";
import { startApi, type RunningApi } from "../api/server";
import { createChainClients } from "../sdk/chain";
import { loadDeployment, type Deployment } from "../sdk/deployment";
import { DsxError } from "../sdk/errors";
import { probeNode } from "../scripts/lib/hardhatNode";
import { castOf, clientsFor, setUpProgram, type AgreementIds } from "./cast";
import { deployForDemo } from "./deploy";
import { openIndexDatabase } from "./indexDb";
import { attachNode, chainTime, ensureArtifacts, ROOT, startNode, type DemoNode } from "./node";
import { demoPaths, openOracles, type DemoOracles, type DemoPaths } from "./oracles";
import { at, isoOf } from "./program";
import { readManifest, runStory, type StoryContext } from "./story";
import { formatSummary, readSummary, type DemoSummary } from "./summary";

/** Options of {@link runDemo}; each falls back to an environment variable, then to its default. */
export interface DemoOptions {
  /** JSON-RPC URL of the chain (DSX_DEMO_RPC_URL, default http://127.0.0.1:8545). */
  rpcUrl?: string;
  /** API port (DSX_DEMO_PORT, default 3000; 0 picks a free one). */
  port?: number;
  /** Print the final summary as one JSON line on stdout (the story goes to stderr). */
  json?: boolean;
  /** API host (DSX_DEMO_HOST, default 127.0.0.1). */
  host?: string;
  /** The demo's data folder (DSX_DEMO_DATA_DIR, default .data/demo). */
  dataDir?: string;
  /** Where the deployment file goes (DSX_DEMO_DEPLOYMENTS_DIR, default ./deployments, read by every tool). */
  deploymentsDir?: string;
  /** The sample data (DSX_DEMO_SAMPLE_DIR, default data/sample). */
  sampleDir?: string;
}

/** The latest the chain's clock may be for a fresh run: rates take effect on 2026-10-01, announced changes a week ahead. */
const FRESH_RUN_DEADLINE = at("2026-09-24T00:00:00Z");

/** What a completed run leaves in the data folder, so a later start against the same node can resume. */
interface DemoState {
  rpcUrl: string;
  chainId: number;
  ledger: string;
  completedBlock: string;
  completedBlockHash: Hex;
  agreements: Record<string, string>;
  audit?: DemoSummary["audit"];
}

function resolveOptions(options: DemoOptions, env: NodeJS.ProcessEnv = process.env) {
  const portText = options.port ?? env.DSX_DEMO_PORT ?? 3000;
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new DsxError(`API port ${JSON.stringify(String(portText))} is not a port number.`, { fix: "Give --port 0..65535 (0: any free port)." });
  }
  return {
    rpcUrl: options.rpcUrl ?? env.DSX_DEMO_RPC_URL ?? "http://127.0.0.1:8545",
    port,
    host: options.host ?? env.DSX_DEMO_HOST ?? "127.0.0.1",
    json: options.json ?? false,
    dataDir: resolve(options.dataDir ?? env.DSX_DEMO_DATA_DIR ?? join(".data", "demo")),
    deploymentsDir: resolve(options.deploymentsDir ?? env.DSX_DEMO_DEPLOYMENTS_DIR ?? "deployments"),
    sampleDir: resolve(options.sampleDir ?? env.DSX_DEMO_SAMPLE_DIR ?? join(ROOT, "data", "sample")),
  };
}

function readState(paths: DemoPaths): DemoState | undefined {
  try {
    return JSON.parse(readFileSync(paths.state, "utf8")) as DemoState;
  } catch {
    return undefined;
  }
}

/** Removes what a previous run left in the data folder (only the demo's own entries). */
function clearDataDir(paths: DemoPaths): void {
  // the index folder stays: it is emptied instead (see indexDb.ts)
  for (const p of [paths.inbox, paths.oracles, join(paths.dataDir, "evidence"), paths.audit, paths.logs, paths.state]) {
    rmSync(p, { recursive: true, force: true });
  }
  mkdirSync(paths.logs, { recursive: true });
}

async function recordedRunOnNode(rpcUrl: string, paths: DemoPaths, deploymentsDir: string): Promise<{ state: DemoState; deployment: Deployment } | undefined> {
  const state = readState(paths);
  if (!state || state.rpcUrl !== rpcUrl) return undefined;
  const { publicClient } = createChainClients({ rpcUrl, chainId: state.chainId });
  try {
    const block = await publicClient.getBlock({ blockNumber: BigInt(state.completedBlock) });
    if (block.hash !== state.completedBlockHash) return undefined;
    const deployment = loadDeployment(deploymentsDir, state.chainId);
    return deployment.ledger === state.ledger ? { state, deployment } : undefined;
  } catch {
    return undefined;
  }
}

/** Moves the chain's clock to `t` (never backwards) and mines a block there. */
async function setChainTime(rpcUrl: string, t: bigint): Promise<void> {
  const call = async (method: string, params: unknown[]) => {
    const res = await fetch(rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
    const body = (await res.json()) as { error?: { message: string } };
    if (body.error) throw new DsxError(`${method} failed: ${body.error.message}`, { fix: "Use a Hardhat node (it supports evm_setNextBlockTimestamp)." });
  };
  if ((await chainTime(rpcUrl)) >= t) return;
  await call("evm_setNextBlockTimestamp", [Number(t)]);
  await call("evm_mine", []);
}

async function waitUntilReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${url}/v1/ready`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new DsxError(`The API at ${url} did not catch up with the chain within ${timeoutMs / 1000} s.`, { fix: "See the API log in the demo's logs folder." });
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Thrown inside the run when Ctrl-C arrives before the API is up. */
class Interrupted extends Error {}

/**
 * Runs the demo and serves the API until SIGINT or SIGTERM; then closes the API, stops the node it started
 * and resolves. Progress goes to stdout (stderr with `json`), the summary last.
 * @throws DsxError (one line with the fix) when the chain or the API cannot be started.
 */
export async function runDemo(options: DemoOptions = {}): Promise<void> {
  const o = resolveOptions(options);
  const paths = demoPaths(o.dataDir);
  const out = (line: string) => (o.json ? process.stderr : process.stdout).write(`${line}\n`);
  const started = Date.now();
  const mark = (label: string) => process.env.DSX_DEMO_TIMING === "1" && out(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${label}`);

  let node: DemoNode | undefined;
  let api: RunningApi | undefined;
  let oracles: DemoOracles | undefined;
  let stopping = false;
  let stoppingSince = 0;
  let wake: (() => void) | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      // npm forwards the terminal's Ctrl-C to us as well: only a later, second Ctrl-C forces the exit
      if (Date.now() - stoppingSince < 2_000) return;
      out(`${signal} again: exiting without cleaning up`);
      process.exit(130);
    }
    stopping = true;
    stoppingSince = Date.now();
    out(`${signal}: stopping the demo`);
    wake?.();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const checkStop = () => {
    if (stopping) throw new Interrupted();
  };

  let nodeStarting: Promise<DemoNode> | undefined;
  let databaseOpening: Promise<DatabaseHandle> | undefined;
  try {
    const manifest = readManifest(o.sampleDir);
    const cast = castOf();
    const chainId = await probeNode(o.rpcUrl);
    let deployment: Deployment;
    let ids: AgreementIds;
    let audit: DemoSummary["audit"];
    const resumed = chainId !== undefined ? await recordedRunOnNode(o.rpcUrl, paths, o.deploymentsDir) : undefined;

    if (resumed) {
      out(`the node at ${o.rpcUrl} holds the demo this folder recorded (ledger ${resumed.state.ledger}): serving it again`);
      deployment = resumed.deployment;
      ids = new Map(Object.entries(resumed.state.agreements).map(([k, v]) => [k, BigInt(v)]));
      audit = resumed.state.audit;
      node = attachNode(o.rpcUrl);
      databaseOpening = openIndexDatabase(paths.index, false);
    } else {
      if (chainId !== undefined) {
        if (chainId !== 31337) {
          throw new DsxError(`The node at ${o.rpcUrl} is chain ${chainId}; the demo runs on a local Hardhat chain (31337) only.`, { fix: "Point --rpc-url at a hardhat node." });
        }
        const now = await chainTime(o.rpcUrl);
        if (now >= FRESH_RUN_DEADLINE) {
          throw new DsxError(`The node at ${o.rpcUrl} is already at ${isoOf(now)}, past the demo's start, and holds no run recorded in ${o.dataDir}.`, {
            fix: "Stop that node (npm start then starts its own), or restart it with npm run node.",
          });
        }
        node = attachNode(o.rpcUrl);
        out(`using the hardhat node already running at ${o.rpcUrl} (clock at ${isoOf(now)})`);
      }
      clearDataDir(paths);
      // the node, the build check and the API's database come up side by side
      nodeStarting = node ? Promise.resolve(node) : startNode(o.rpcUrl, out);
      nodeStarting.then((n) => (node = n)).catch(() => undefined);
      databaseOpening = openIndexDatabase(paths.index, true);
      databaseOpening.catch(() => undefined);
      await ensureArtifacts(out);
      node = await nodeStarting;
      mark("node up");
      checkStop();

      deployment = await deployForDemo(clientsFor(o.rpcUrl, cast.operator), { treasury: cast.treasury.address, program: cast.operator.address, auditor: cast.auditor.address, pauser: cast.operator.address }, o.deploymentsDir);
      out(`deployed the ledger ${deployment.ledger} (credit ${deployment.credit}, MockUSDC ${deployment.settlementToken}); wrote ${join(o.deploymentsDir, "31337.json")}`);
      mark("deployed");
      ids = await setUpProgram(o.rpcUrl, deployment, cast, o.sampleDir, out);
      mark("program set up");
      checkStop();

      oracles = await openOracles(paths, o.rpcUrl, deployment, o.deploymentsDir, cast, ids, (line) => out(line));
      const ctx: StoryContext = {
        rpcUrl: o.rpcUrl,
        deployment,
        cast,
        ids,
        oracles,
        paths,
        sampleDir: o.sampleDir,
        manifest,
        setTime: (t) => setChainTime(o.rpcUrl, t),
      };
      out("");
      const timing = process.env.DSX_DEMO_TIMING === "1";
      let lap = Date.now();
      await runStory(
        ctx,
        (t, line) => {
          out(`${isoOf(t).slice(0, 16).replace("T", " ")}  ${line}${timing ? ` [${Date.now() - lap} ms]` : ""}`);
          lap = Date.now();
        },
        () => stopping,
      );
      checkStop();
      oracles.close();
      oracles = undefined;
      audit = ctx.audit && { ...ctx.audit, throughBlock: ctx.audit.throughBlock.toString() };

      const { publicClient } = createChainClients({ rpcUrl: o.rpcUrl, chainId: 31337 });
      const last = await publicClient.getBlock({ blockTag: "latest" });
      const state: DemoState = {
        rpcUrl: o.rpcUrl,
        chainId: 31337,
        ledger: deployment.ledger,
        completedBlock: last.number.toString(),
        completedBlockHash: last.hash,
        agreements: Object.fromEntries([...ids].map(([k, v]) => [k, v.toString()])),
        audit,
      };
      writeFileSync(paths.state, `${JSON.stringify(state, null, 2)}\n`);
      mark("story done");
    }

    mkdirSync(paths.logs, { recursive: true });
    const logger = pino({ level: "info" }, pino.destination({ dest: join(paths.logs, "api.log"), mkdir: true, sync: true }));
    const apiConfig = apiConfigSchema.parse({
      rpcUrl: o.rpcUrl,
      chainId: deployment.chainId,
      deploymentsDir: o.deploymentsDir,
      dataDir: paths.index,
      host: o.host,
      port: o.port,
      // a local chain without reorgs: every indexed block counts as final
      confirmations: 0,
      pollIntervalMs: 500,
      evidenceDir: paths.evidence,
      auditDir: paths.audit,
      shutdownTimeoutMs: 3_000,
    });
    const database = await databaseOpening;
    databaseOpening = undefined;
    api = await startApi(apiConfig, logger, { deployment, database }).catch(async (err: unknown) => {
      await database.close();
      if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
      throw new DsxError(`Port ${o.port} on ${o.host} is in use, so the API cannot listen there.`, { fix: "Stop what uses it or pass another --port." });
    });
    mark("API started");
    await waitUntilReady(api.url, 120_000);
    mark("API caught up");
    checkStop();
    const summary = await readSummary({ rpcUrl: o.rpcUrl, deployment, cast, ids, apiUrl: api.url, dataDir: o.dataDir, audit });
    if (o.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else {
      out("");
      for (const line of formatSummary(summary)) out(line);
    }
    out(`(ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    if (!stopping) await new Promise<void>((r) => (wake = r));
  } catch (err) {
    if (!(err instanceof Interrupted)) throw err;
  } finally {
    oracles?.close();
    await api?.close();
    if (databaseOpening) await (await databaseOpening.catch(() => undefined))?.close();
    if (nodeStarting) await nodeStarting.catch(() => undefined);
    await node?.stop();
    if (stopping) out(`stopped: ${api ? "API closed, " : ""}${node?.owned ? "node stopped" : "node left running"}`);
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  }
}

/** `tsx demo/run.ts`: the demo without the dsx CLI (options from the environment). */
if (require.main === module) {
  runDemo({ json: process.argv.includes("--json") }).then(
    () => (process.exitCode = 0),
    (err: unknown) => {
      process.stderr.write(`demo: ${err instanceof DsxError ? err.message : err instanceof Error ? err.message.split("\n")[0] : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

