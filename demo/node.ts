// The demo's chain: a `hardhat node` the demo starts on the loopback address (or one already running),
// and the contract build the deployment needs (compiled only when missing or older than the sources).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createChainClients } from "../sdk/chain";
import { DsxError } from "../sdk/errors";
import { startHardhatNode } from "../scripts/lib/hardhatNode";

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

function isLoopback(url: URL): boolean {
  return url.hostname === "127.0.0.1" || url.hostname === "localhost" || url.hostname === "[::1]";
}

/**
 * Starts `hardhat node` (scripts/lib/hardhatNode.ts) on the port of `url` (loopback only) and waits until it answers.
 * @throws DsxError when the URL is not a loopback address, or the node exits at start or does not answer within 60 s.
 */
export async function startNode(url: string, log: (line: string) => void): Promise<DemoNode> {
  const parsed = new URL(url);
  if (!isLoopback(parsed)) {
    throw new DsxError(`No node answers at ${url}, and the demo starts its own node only on 127.0.0.1.`, {
      fix: "Start that node first, or leave --rpc-url at http://127.0.0.1:8545.",
    });
  }
  const started = Date.now();
  const node = await startHardhatNode({ port: Number(parsed.port || "8545") });
  log(`started a local hardhat node on ${url} (pid ${node.process.pid}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { url, owned: true, pid: node.process.pid, stop: () => node.stop() };
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
