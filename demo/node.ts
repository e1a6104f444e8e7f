// The demo's chain: a `hardhat node` the demo starts on the loopback address (or one already running),
// and the contract build the deployment needs (compiled only when missing or older than the sources).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createChainClients } from "../sdk/chain";
import { DsxError } from "../sdk/errors";

export const ROOT = join(__dirname, "..");
const HARDHAT = join(ROOT, "node_modules", ".bin", "hardhat");

/** A node the demo talks to; `stop` ends it when the demo started it (and does nothing otherwise). */
export interface DemoNode {
  url: string;
  /** Whether this process started the node (and so stops it). */
  owned: boolean;
  pid?: number;
  stop(): Promise<void>;
}

/** The chain id of the node at `url`, or undefined when nothing answers. */
export async function probeNode(url: string): Promise<number | undefined> {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(2_000),
    });
    const body = (await res.json()) as { result?: string };
    return body.result ? Number(BigInt(body.result)) : undefined;
  } catch {
    return undefined;
  }
}

function isLoopback(url: URL): boolean {
  return url.hostname === "127.0.0.1" || url.hostname === "localhost" || url.hostname === "[::1]";
}

/**
 * Starts `hardhat node` on the host and port of `url` (loopback only) with the project's network settings
 * (chain 31337, clock starting 2026-09-01) and waits until it answers.
 * @throws DsxError when the URL is not a loopback address or the node does not come up within 60 s.
 */
export async function startNode(url: string, log: (line: string) => void): Promise<DemoNode> {
  const parsed = new URL(url);
  if (!isLoopback(parsed)) {
    throw new DsxError(`No node answers at ${url}, and the demo starts its own node only on 127.0.0.1.`, {
      fix: "Start that node first, or leave --rpc-url at http://127.0.0.1:8545.",
    });
  }
  const port = parsed.port || "8545";
  const child: ChildProcess = spawn(HARDHAT, ["node", "--hostname", "127.0.0.1", "--port", port], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env },
  });
  let output = "";
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-4_000));
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // a demo that dies without its shutdown still takes its node with it
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const node: DemoNode = {
    url,
    owned: true,
    pid: child.pid,
    async stop() {
      process.removeListener("exit", killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const busy = /EADDRINUSE|address already in use/i.test(output);
      throw new DsxError(`hardhat node exited at start${busy ? `: port ${port} is in use` : ""}: ${output.trim().split("\n").slice(-3).join(" ")}`, {
        fix: busy ? `Free port ${port} or pass another --rpc-url.` : "Check that npm ci completed.",
      });
    }
    if ((await probeNode(url)) !== undefined) break;
    if (Date.now() - started > 60_000) {
      await node.stop();
      throw new DsxError(`hardhat node did not answer on ${url} within 60 s.`, { fix: "Check the machine's load and try again." });
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  log(`started a local hardhat node on ${url} (pid ${child.pid}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return node;
}

/** A node that was already running: the demo uses it and leaves it running. */
export function attachNode(url: string): DemoNode {
  return { url, owned: false, async stop() {} };
}

/** The latest block's timestamp. */
export async function chainTime(url: string): Promise<bigint> {
  const { publicClient } = createChainClients({ rpcUrl: url, chainId: 31337 });
  return (await publicClient.getBlock({ blockTag: "latest" })).timestamp;
}

/** The artifacts the demo deploys, relative to artifacts/contracts. */
export const DEMO_ARTIFACTS = [
  "RevenueShareLedger.sol/RevenueShareLedger.json",
  "mocks/MockUSDC.sol/MockUSDC.json",
  "libraries/AgreementLogic.sol/AgreementLogic.json",
  "libraries/PartnerLogic.sol/PartnerLogic.json",
  "libraries/RevenueLogic.sol/RevenueLogic.json",
  "libraries/SettlementLogic.sol/SettlementLogic.json",
  "libraries/ProgramLogic.sol/ProgramLogic.json",
  "libraries/LedgerViews.sol/LedgerViews.json",
] as const;

function newestSource(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    if (stat.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (name.endsWith(".sol")) newest = Math.max(newest, stat.mtimeMs);
  }
  return newest;
}

/** Written after a compile the demo ran, so sources that compile to other artifacts (test contracts) do not trigger it again. */
const BUILD_STAMP = join("cache", "dsx-demo-build.stamp");

/**
 * Why the build must run before deploying, or undefined when the demo's artifacts are there and newer than
 * every contract source and hardhat.config.ts (or than the demo's last compile).
 */
export function staleArtifacts(root = ROOT): string | undefined {
  const files = DEMO_ARTIFACTS.map((a) => join(root, "artifacts", "contracts", a));
  const missing = files.find((f) => !existsSync(f));
  if (missing) return `${missing.slice(root.length + 1)} is missing`;
  const stamp = join(root, BUILD_STAMP);
  const built = Math.max(Math.min(...files.map((f) => statSync(f).mtimeMs)), existsSync(stamp) ? statSync(stamp).mtimeMs : 0);
  const sources = Math.max(newestSource(join(root, "contracts")), statSync(join(root, "hardhat.config.ts")).mtimeMs);
  return sources > built ? "a contract source changed since the last build" : undefined;
}

/**
 * Compiles the contracts (`hardhat compile`, incremental) when {@link staleArtifacts} says so. A first compile
 * with the solc npm package takes minutes on a small machine; it happens once per checkout.
 */
export async function ensureArtifacts(log: (line: string) => void): Promise<void> {
  const why = staleArtifacts();
  if (!why) return;
  log(`compiling the contracts (${why}); the first compile takes minutes with the solc npm package, later runs skip it`);
  const started = Date.now();
  const child = spawn(HARDHAT, ["compile", "--quiet"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-4_000)));
  child.stderr?.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-4_000)));
  const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
  if (code !== 0) {
    throw new DsxError(`hardhat compile failed: ${output.trim().split("\n").slice(-5).join(" ")}`, { fix: "Run npx hardhat compile to see the whole error." });
  }
  mkdirSync(join(ROOT, "cache"), { recursive: true });
  writeFileSync(join(ROOT, BUILD_STAMP), `${new Date().toISOString()}\n`);
  log(`compiled in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
