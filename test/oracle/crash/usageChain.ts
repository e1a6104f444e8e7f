// Shared by the usage oracle's chain tests: a real hardhat node with the ledger deployed, a
// partner with k-of-n oracle signers and rates, accepted agreements that authorize it, the
// oracle's config file (its keys in USAGE_KEYS_ENV), an independent tally of the exports and
// the chain's own figures.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keccak256, stringToHex, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { revenueShareLedgerAbi } from "../../../sdk/abis";
import { createChainClients } from "../../../sdk/chain";
import { loadDeployment, type Deployment } from "../../../sdk/deployment";
import { skuToBytes32 } from "../../../sdk/eip712";
import { loadUsageConfig, type UsageConfig } from "../../../oracle/usage/config";
import { advanceTime, NODE_KEYS, startHardhatNode, type RunningNode } from "../../helpers/hardhatNode";

const ROOT = join(__dirname, "..", "..", "..");
const HARDHAT = join(ROOT, "node_modules", ".bin", "hardhat");

/**
 * A Hardhat config that is the project's own with private artifact and cache folders, so
 * these tests deploy what they compiled even while other work (coverage, a compile of edited
 * contracts) rewrites `artifacts/` in a shared work tree. Compiled once, then cached; on CI
 * (a fresh clone compiled by `npm test`) the project's own artifacts are used.
 */
let compiledConfig: string | undefined;

function privateConfig(): string {
  if (compiledConfig !== undefined) return compiledConfig;
  // CI compiles a clean clone right before the tests: its artifacts are the ones to deploy.
  if (process.env.CI) return (compiledConfig = join(ROOT, "hardhat.config.ts"));
  const dir = join(ROOT, "cache", "usage-oracle-tests");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "hardhat.config.ts");
  writeFileSync(
    file,
    [
      `import base from ${JSON.stringify(join(ROOT, "hardhat.config"))};`,
      `export default { ...base, paths: { root: ${JSON.stringify(ROOT)}, artifacts: ${JSON.stringify(join(dir, "artifacts"))}, cache: ${JSON.stringify(join(dir, "cache"))} } };`,
      "",
    ].join("\n"),
  );
  execFileSync(HARDHAT, ["--config", file, "compile", "--quiet"], { cwd: ROOT, stdio: "pipe" });
  compiledConfig = file;
  return file;
}

/** Starts `hardhat node` (the project's network settings) on a free port and deploys the ledger with scripts/deploy.ts. */
async function startAndDeploy(): Promise<{ node: RunningNode; deployment: Deployment; dir: string }> {
  const config = privateConfig();
  const node = await startHardhatNode({ config });
  const dir = mkdtempSync(join(tmpdir(), "dsx-usage-deploy-"));
  execFileSync(HARDHAT, ["--config", config, "run", "--no-compile", "--network", "localhost", "scripts/deploy.ts"], {
    cwd: ROOT,
    stdio: "pipe",
    env: { ...process.env, DSX_RPC_URL: node.url, DSX_DEPLOYMENTS_DIR: dir },
  });
  return { node, deployment: loadDeployment(dir, 31337), dir };
}

export const HOUR = 3600n;
export const DAY = 86_400n;
export const RATES: Record<string, bigint> = { "h100-sxm": 2_500_000n, b200: 4_000_000n };

export interface UsageChain {
  node: RunningNode;
  deployment: Deployment;
  deploymentsDir: string;
  partner: Address;
  /** The key that sends the oracle's transactions (NODE_KEYS[2]). */
  senderKey: Hex;
  signerKeys: Hex[];
  threshold: number;
  /** The hour the rates and the agreements start. */
  h0: bigint;
  agreements: { id: bigint; account: string; startup: Address; endTime: bigint }[];
}

/** Options of {@link setupUsageChain}. */
export interface SetupOptions {
  signers?: number;
  threshold?: number;
  /** Days of each agreement's term (1-day periods). */
  days?: bigint;
  maxGpus?: number;
}

/**
 * Starts a node, deploys, registers the partner (NODE_KEYS[1]'s address) with signers
 * NODE_KEYS[5…], schedules rates for h100-sxm and b200 from the current hour, and opens two
 * accepted agreements (startups NODE_KEYS[3], NODE_KEYS[4]) that authorize the partner.
 */
export async function setupUsageChain(options: SetupOptions = {}): Promise<UsageChain> {
  const { node, deployment, dir } = await startAndDeploy();
  const signerKeys = NODE_KEYS.slice(5, 5 + (options.signers ?? 1)) as unknown as Hex[];
  const threshold = options.threshold ?? 1;
  const partner = privateKeyToAccount(NODE_KEYS[1]).address;
  const admin = createChainClients({ rpcUrl: node.url, chainId: 31337, account: privateKeyToAccount(NODE_KEYS[0]) });
  const pc = admin.publicClient;
  const send = async (client: typeof admin, functionName: string, args: readonly unknown[]) => {
    // one helper for the setup transactions; the ABI's overloads make a generic call untyped here
    const hash = await client.walletClient!.writeContract({ address: deployment.ledger, abi: revenueShareLedgerAbi, functionName, args } as never);
    const receipt = await pc.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${functionName} reverted`);
  };
  const now = (await pc.getBlock()).timestamp;
  const h0 = (now / HOUR) * HOUR;
  const signerAddrs = signerKeys.map((k) => privateKeyToAccount(k).address).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
  await send(admin, "registerPartner", [partner, signerAddrs, threshold, 7000]);
  for (const [sku, rate] of Object.entries(RATES)) await send(admin, "scheduleRate", [partner, skuToBytes32(sku), rate, h0]);
  const days = options.days ?? 10n;
  const agreements: UsageChain["agreements"] = [];
  for (const [i, account] of ["startup-a", "startup-b"].entries()) {
    const startupKey = NODE_KEYS[3 + i];
    const startup = privateKeyToAccount(startupKey).address;
    const terms = {
      startup,
      creditLimit: 1_000_000n * 1_000_000n,
      revenueShareBps: 800,
      capMultipleBps: 15_000,
      partnerFirstBps: 6_000,
      startTime: h0,
      endTime: h0 + days * DAY,
      periodDuration: Number(DAY),
      gracePeriod: Number(15n * DAY),
      termsHash: keccak256(stringToHex(`terms ${account}`)),
    };
    await send(admin, "createAgreement", [terms]);
    const id = BigInt(i + 1);
    const client = createChainClients({ rpcUrl: node.url, chainId: 31337, account: privateKeyToAccount(startupKey) });
    await send(client, "acceptAgreement", [id]);
    await send(client, "authorizePartner", [id, partner, 900_000n * 1_000_000n, options.maxGpus ?? 64]);
    agreements.push({ id, account, startup, endTime: terms.endTime });
  }
  return { node, deployment, deploymentsDir: dir, partner, senderKey: NODE_KEYS[2], signerKeys, threshold, h0, agreements };
}

/**
 * The environment the oracle under test reads its keys from: `DSX_TEST_NODE_KEY_<i>` holds
 * NODE_KEYS[i] (the config {@link writeUsageConfig} writes names them with `privateKeyEnv`).
 */
export const USAGE_KEYS_ENV: Readonly<Record<string, string>> = Object.fromEntries(NODE_KEYS.map((key, i) => [`DSX_TEST_NODE_KEY_${i}`, key]));

/** The variable of USAGE_KEYS_ENV that holds `key`. */
function keyEnv(key: Hex): string {
  const i = (NODE_KEYS as readonly string[]).indexOf(key);
  if (i < 0) throw new Error(`${key} is not a hardhat node key: the test oracle's keys come from NODE_KEYS`);
  return `DSX_TEST_NODE_KEY_${i}`;
}

/** Overrides of {@link writeUsageConfig}. */
export interface UsageConfigOverrides {
  rpcUrl?: string;
  signerKeys?: Hex[];
  inputs?: string[];
  retry?: Record<string, number>;
}

/**
 * Writes the oracle's config file for `chain` into `dir` in the settings' current vocabulary
 * (deploymentsDir, sender, privateKeyEnv naming a variable of USAGE_KEYS_ENV); returns its path.
 */
export function writeUsageConfig(chain: UsageChain, dir: string, overrides: UsageConfigOverrides = {}): string {
  const path = join(dir, "oracle-usage.json");
  const config = {
    rpcUrl: overrides.rpcUrl ?? chain.node.url,
    chainId: 31337,
    deploymentsDir: chain.deploymentsDir,
    partner: chain.partner,
    stateDir: join(dir, "state"),
    evidenceDir: join(dir, "evidence"),
    inputs: overrides.inputs ?? [join(dir, "inbox")],
    accounts: Object.fromEntries(chain.agreements.map((a) => [a.account, a.id.toString()])),
    skuMap: { h100: "h100-sxm", b200: "b200", gb300: "gb300" },
    partitionSkus: { "gpu-h100": "h100-sxm", "gpu-b200": "b200" },
    timezone: "UTC",
    signers: (overrides.signerKeys ?? chain.signerKeys).map((key) => ({ privateKeyEnv: keyEnv(key) })),
    sender: { privateKeyEnv: keyEnv(chain.senderKey) },
    ...(overrides.retry ? { retry: overrides.retry } : {}),
  };
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/** Loads a config {@link writeUsageConfig} wrote, its keys read from USAGE_KEYS_ENV. */
export function loadTestUsageConfig(path: string): UsageConfig {
  return loadUsageConfig(path, { ...process.env, ...USAGE_KEYS_ENV });
}

/** A fresh temporary folder with an empty `inbox`. */
export function tempOracleDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "dsx-usage-"));
  execFileSync("mkdir", ["-p", join(dir, "inbox")]);
  return dir;
}

/** Σ gpuSeconds of the UsageRecorded events per agreement (the chain's own figures). */
export async function chainGpuSeconds(chain: UsageChain): Promise<Map<bigint, bigint>> {
  const { publicClient } = createChainClients({ rpcUrl: chain.node.url, chainId: 31337 });
  const logs = await publicClient.getContractEvents({
    address: chain.deployment.ledger,
    abi: revenueShareLedgerAbi,
    eventName: "UsageRecorded",
    fromBlock: 0n,
    toBlock: "latest",
  });
  const totals = new Map<bigint, bigint>();
  for (const log of logs) {
    const id = log.args.agreementId as bigint;
    totals.set(id, (totals.get(id) ?? 0n) + BigInt(log.args.gpuSeconds as bigint));
  }
  return totals;
}

/** Moves the chain's clock to `t` (unix seconds) and mines a block. */
export async function setChainTime(chain: UsageChain, t: bigint): Promise<void> {
  await advanceTime(chain.node, { to: Number(t) });
}

/** A sacct export line (UTC times). */
export function sacctLine(job: { id: string; account: string; start: bigint; end: bigint; gpus: number; type?: string; partition?: string }): string {
  const iso = (t: bigint) => new Date(Number(t) * 1000).toISOString().slice(0, 19);
  const type = job.type ?? "h100";
  const tres = `billing=64,cpu=64,gres/gpu:${type}=${job.gpus},gres/gpu=${job.gpus},mem=512G,node=1`;
  return [job.id, "syd1", "alice", job.account, job.partition ?? `gpu-${type}`, "COMPLETED", iso(job.start), iso(job.end), String(job.end - job.start), tres, "gpu-a001"].join("|");
}

export const SACCT_HEADER = "JobIDRaw|Cluster|User|Account|Partition|State|Start|End|ElapsedRaw|AllocTRES|NodeList";

/** Bundles the usage CLI into one CommonJS file (starts in a fraction of tsx's time); returns its path. */
export function bundleUsageCli(outDir: string): string {
  const out = join(outDir, "usage-cli.cjs");
  execFileSync(
    join(__dirname, "..", "..", "..", "node_modules", ".bin", "esbuild"),
    ["oracle/cli/usage.ts", "--bundle", "--platform=node", "--target=node20", "--external:better-sqlite3", "--log-level=error", `--outfile=${out}`],
    { cwd: join(__dirname, "..", "..", "..") },
  );
  return out;
}

/** Runs the usage CLI as a child process; `killAfterMs` sends SIGKILL after that long. */
export function runUsageCli(
  cli: string,
  args: string[],
  options: { killAfterMs?: number; env?: Record<string, string> } = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: join(__dirname, "..", "..", ".."),
      env: { ...process.env, NODE_PATH: join(__dirname, "..", "..", "..", "node_modules"), ...USAGE_KEYS_ENV, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = options.killAfterMs !== undefined ? setTimeout(() => child.kill("SIGKILL"), options.killAfterMs) : undefined;
    child.once("exit", (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
