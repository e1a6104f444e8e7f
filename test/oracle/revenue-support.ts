// Shared by the revenue oracle's chain tests: a real hardhat node with the ledger deployed,
// agreements opened through the deployer (PROGRAM) and startup keys, revenue signer keys,
// config files, and an RPC proxy that can fail, drop or intercept requests.
import http from "node:http";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keccak256, stringToHex, toHex, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { revenueShareLedgerAbi } from "../../sdk/abis";
import { createChainClients } from "../../sdk/chain";
import type { Deployment } from "../../sdk/deployment";
import { loadRevenueConfig, type RevenueConfig } from "../../oracle/revenue/config";
import { closeRevenueContext, openRevenueContext, type RevenueContext } from "../../oracle/revenue/context";
import { advanceTime, deployTo, NODE_KEYS, nodeRpc, startHardhatNode, type RunningNode } from "../helpers/hardhatNode";

export const DAY = 86_400n;
export const USD = 1_000_000n;
/** Agreement terms the revenue tests use: 4 periods of 30 days from 2026-10-01. */
export const START = BigInt(Date.parse("2026-10-01T00:00:00Z") / 1000);
export const PERIOD = 30n * DAY;
export const PERIODS = 4n;

/** Unix seconds of an ISO time with a zone. */
export const at = (iso: string): bigint => BigInt(Date.parse(iso) / 1000);

/** Deterministic revenue signer keys (they need no ether: a funded node key sends). */
export const REVENUE_KEYS: Hex[] = [0, 1, 2].map((i) => keccak256(toHex(`dsx-revenue-signer-${i}`)));
export const revenueSigner = (i: number): Address => privateKeyToAccount(REVENUE_KEYS[i]).address;

/** The environment a test's oracle runs with: signer keys and the sender (NODE_KEYS[9]). */
export const ORACLE_ENV: Record<string, string> = {
  DSX_TEST_REVENUE_KEY_0: REVENUE_KEYS[0],
  DSX_TEST_REVENUE_KEY_1: REVENUE_KEYS[1],
  DSX_TEST_REVENUE_KEY_2: REVENUE_KEYS[2],
  DSX_TEST_REVENUE_SENDER: NODE_KEYS[9],
};

/** A running node with the ledger deployed and a revenue signer set of 2 of REVENUE_KEYS[0..2]. */
export interface RevenueChain {
  node: RunningNode;
  deployment: Deployment;
  deploymentsDir: string;
  /** Sends a ledger transaction from NODE_KEYS[i] and waits for it. */
  send(i: number, functionName: string, args: readonly unknown[]): Promise<void>;
  read<T>(functionName: string, args?: readonly unknown[]): Promise<T>;
  setTime(iso: string): Promise<void>;
  /** evm_snapshot / evm_revert around each test. */
  snapshot(): Promise<string>;
  revert(id: string): Promise<void>;
}

export async function startRevenueChain(): Promise<RevenueChain> {
  const node = await startHardhatNode();
  let deployed: Awaited<ReturnType<typeof deployTo>>;
  try {
    deployed = await deployTo(node);
  } catch (err) {
    await node.stop();
    throw err;
  }
  const { deployment, dir } = deployed;
  const { publicClient } = createChainClients({ rpcUrl: node.url, chainId: 31337 });
  const chain: RevenueChain = {
    node,
    deployment,
    deploymentsDir: dir,
    async send(i, functionName, args) {
      const account = privateKeyToAccount(NODE_KEYS[i]);
      const { walletClient } = createChainClients({ rpcUrl: node.url, chainId: 31337, account });
      // the ABI is typed; tests name functions dynamically
      const hash = await walletClient!.writeContract({
        address: deployment.ledger,
        abi: revenueShareLedgerAbi,
        functionName,
        args,
      } as unknown as Parameters<NonNullable<typeof walletClient>["writeContract"]>[0]);
      const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 50 });
      if (receipt.status !== "success") throw new Error(`${functionName} reverted`);
    },
    async read<T>(functionName: string, args: readonly unknown[] = []) {
      return (await publicClient.readContract({
        address: deployment.ledger,
        abi: revenueShareLedgerAbi,
        functionName,
        args,
      } as unknown as Parameters<typeof publicClient.readContract>[0])) as T;
    },
    setTime: (iso) => advanceTime(node, { to: Number(at(iso)) }),
    snapshot: async () => (await nodeRpc(node.url, "evm_snapshot")) as string,
    revert: async (id) => {
      await nodeRpc(node.url, "evm_revert", [id]);
    },
  };
  await chain.send(0, "setRevenueSigners", [[revenueSigner(0), revenueSigner(1), revenueSigner(2)].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)), 2]);
  return chain;
}

/** What {@link useRevenueChain} gives a suite. */
export interface RevenueSuite {
  /** The suite's chain: filled in by the suite's `before` hook, so use it inside hooks and tests only. */
  chain: RevenueChain;
  /** Opens the oracle's context on `configFile` (closing the one opened before); closed after each test. */
  oracle(configFile: string, log?: string[]): Promise<RevenueContext>;
}

/**
 * The lifecycle of a revenue suite's chain, as mocha hooks: started (and snapshotted) before the
 * suite, put back to that snapshot after each test (the oracle's context closed first), stopped
 * after the suite. Call it in the `describe` body.
 * @example const { chain, oracle } = useRevenueChain();
 */
export function useRevenueChain(): RevenueSuite {
  // Filled with the started chain's fields in before(); its methods close over their own node.
  const chain = {} as RevenueChain;
  let started = false;
  let base = "";
  let ctx: RevenueContext | undefined;
  before(async () => {
    Object.assign(chain, await startRevenueChain());
    started = true;
    base = await chain.snapshot();
  });
  after(async () => {
    if (started) await chain.node.stop();
  });
  afterEach(async () => {
    if (ctx) closeRevenueContext(ctx);
    ctx = undefined;
    await chain.revert(base);
    base = await chain.snapshot();
  });
  return {
    chain,
    async oracle(configFile, log = []) {
      if (ctx) closeRevenueContext(ctx);
      ctx = (await openContext(configFile, log)).ctx;
      return ctx;
    },
  };
}

/** Creates (PROGRAM = NODE_KEYS[0]) and accepts (NODE_KEYS[startup]) an agreement of 4 × 30 days from 2026-10-01; returns its id. */
export async function openAgreement(chain: RevenueChain, startup: number): Promise<bigint> {
  const terms = {
    startup: privateKeyToAccount(NODE_KEYS[startup]).address,
    creditLimit: 100_000n * USD,
    revenueShareBps: 800,
    capMultipleBps: 15_000,
    partnerFirstBps: 6_000,
    startTime: START,
    endTime: START + PERIODS * PERIOD,
    periodDuration: Number(PERIOD),
    gracePeriod: Number(15n * DAY),
    termsHash: stringToHex(`revenue-test-terms-${startup}`, { size: 32 }),
  };
  await chain.send(0, "createAgreement", [terms]);
  const id = await chain.read<bigint>("agreementCount");
  await chain.send(startup, "acceptAgreement", [id]);
  return id;
}

/** A period as the ledger holds it. */
export interface PeriodView {
  report: { agreementId: bigint; periodIndex: number; revenue: bigint; evidenceHash: Hex; version: number };
  state: number;
  submittedAt: bigint;
}

export const State = { None: 0, Pending: 1, Disputed: 2, Rejected: 3, Cleared: 4, Finalized: 5 } as const;

export const periodOf = (chain: RevenueChain, id: bigint, k: number) => chain.read<PeriodView>("revenuePeriod", [id, k]);

/** A scratch folder for one test: config, inputs, state and evidence. */
export function scratch(): string {
  return mkdtempSync(join(tmpdir(), "dsx-revenue-"));
}

/** Writes a Stripe itemized CSV (the columns the oracle needs plus a description) with `rows`. */
export function writeStripe(path: string, rows: readonly [id: string, created: string, gross: string, fee: string, net: string, category: string, currency?: string][]): void {
  const header = "balance_transaction_id,created_utc,currency,gross,fee,net,reporting_category,description";
  const lines = rows.map(([id, created, gross, fee, net, category, currency]) => `${id},${created},${currency ?? "usd"},${gross},${fee},${net},${category},test row`);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, [header, ...lines].join("\n") + "\n");
}

/** Writes the oracle's config file in `dir` and returns its path. */
export function writeConfig(
  dir: string,
  chain: RevenueChain,
  agreements: { id: bigint; base: "gross" | "net"; stripe?: string[]; revenueCsv?: string[]; extraCategories?: string[] }[],
  overrides: { rpcUrl?: string; signers?: number[]; retry?: { attempts: number; baseDelayMs: number; maxDelayMs: number }; fxRates?: string } = {},
): string {
  const file = join(dir, "revenue-oracle.json");
  const config = {
    rpcUrl: overrides.rpcUrl ?? chain.node.url,
    chainId: 31337,
    deploymentsDir: chain.deploymentsDir,
    stateDir: "state",
    evidenceDir: "evidence",
    signers: (overrides.signers ?? [0, 1]).map((i) => ({ privateKeyEnv: `DSX_TEST_REVENUE_KEY_${i}` })),
    sender: { privateKeyEnv: "DSX_TEST_REVENUE_SENDER" },
    retry: overrides.retry ?? { attempts: 6, baseDelayMs: 100, maxDelayMs: 1_000 },
    ...(overrides.fxRates ? { fxRates: overrides.fxRates } : {}),
    agreements: agreements.map((a) => ({
      id: Number(a.id),
      base: a.base,
      stripe: a.stripe ?? [],
      revenueCsv: a.revenueCsv ?? [],
      ...(a.extraCategories ? { extraCategories: a.extraCategories } : {}),
    })),
  };
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/** Loads the config at `file` and opens a context on it (the caller closes it). */
export async function openContext(file: string, log: string[] = []): Promise<{ config: RevenueConfig; ctx: RevenueContext }> {
  const config = loadRevenueConfig(file, { ...process.env, ...ORACLE_ENV });
  const ctx = await openRevenueContext(config, { environment: { ...process.env, ...ORACLE_ENV }, log: (line) => log.push(line) });
  return { config, ctx };
}

/** What the proxy does with one JSON-RPC request. */
export type ProxyAction = "forward" | "drop" | "forward-then-drop" | "fail-503";

/**
 * An HTTP JSON-RPC proxy in front of `target`: `decide` sees each request's method (and the
 * parsed body) and says whether to forward it, drop the connection before forwarding, forward
 * it and drop the connection instead of answering, or answer 503.
 */
export async function startProxy(
  target: string,
  decide: (method: string, body: unknown) => ProxyAction | Promise<ProxyAction>,
  /** Called after a "forward-then-drop" request reached the node, before its connection is dropped. */
  onForwarded: (method: string) => void = () => undefined,
): Promise<{ url: string; close(): Promise<void>; methods: string[] }> {
  const methods: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        const method = Array.isArray(body) ? "batch" : String((body as { method?: unknown } | undefined)?.method);
        methods.push(method);
        const action = await decide(method, body);
        if (action === "drop") return req.socket.destroy();
        if (action === "fail-503") {
          res.writeHead(503, { "content-type": "text/plain" }).end("unavailable");
          return;
        }
        const upstream = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body: text });
        const answer = await upstream.text();
        if (action === "forward-then-drop") {
          onForwarded(method);
          return req.socket.destroy();
        }
        res.writeHead(upstream.status, { "content-type": "application/json" }).end(answer);
      })().catch(() => req.socket.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    methods,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
