// The one launcher of a local `hardhat node` (the project's network settings: chain 31337, clock from 2026-09-01),
// used by the demo (demo/node.ts) and the tests (test/helpers/hardhatNode.ts): started on a loopback port, ready
// when it says so on its output, stopped with SIGTERM (SIGKILL after 5 s) and killed with the process that started it.
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { join } from "node:path";
import { DsxError } from "../../sdk/errors";

const ROOT = join(__dirname, "..", "..");
const HARDHAT = join(ROOT, "node_modules", ".bin", "hardhat");

/** What `hardhat node` prints once its JSON-RPC server accepts requests. */
const READY = "Started HTTP and WebSocket JSON-RPC server at";

/** A `hardhat node` this process started. */
export interface RunningNode {
  url: string;
  port: number;
  process: ChildProcess;
  /** Stops the node (SIGTERM, then SIGKILL after 5 s) and waits for it to exit; nothing when it has exited. */
  stop(): Promise<void>;
}

/** Options of {@link startHardhatNode}. */
export interface StartNodeOptions {
  /** The loopback port (default: a free one, {@link freePort}). */
  port?: number;
  /** Another Hardhat config file (`hardhat --config <file> node`); default the project's (or `HARDHAT_CONFIG`). */
  config?: string;
  /** How long to wait for the node to answer, in ms (default 60 000). */
  timeoutMs?: number;
}

/** A TCP port free on loopback at the time of the call. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The chain id of the node at `url`, or undefined when nothing answers within `timeoutMs` (default 2 s). */
export async function probeNode(url: string, timeoutMs = 2_000): Promise<number | undefined> {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await res.json()) as { result?: string };
    return body.result ? Number(BigInt(body.result)) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the node at `url` answers before `deadline` (its first answer can take seconds on a loaded machine). */
async function answers(url: string, deadline: number): Promise<boolean> {
  for (;;) {
    if ((await probeNode(url, Math.max(deadline - Date.now(), 1_000))) !== undefined) return true;
    if (Date.now() >= deadline) return false;
    await sleep(200); // a refused or reset connection: try again
  }
}

/**
 * Starts `hardhat node` on 127.0.0.1 and resolves once it answers: after it printed that its server is up and
 * `eth_chainId` answers. A process that exits without stopping it takes the node with it.
 * @throws DsxError when the node exits at start (a port in use says so) or does not answer within the timeout.
 * @example const node = await startHardhatNode(); // node.url: http://127.0.0.1:<free port>
 */
export async function startHardhatNode(options: StartNodeOptions = {}): Promise<RunningNode> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const args = [...(options.config ? ["--config", options.config] : []), "node", "--hostname", "127.0.0.1", "--port", String(port)];
  const child = spawn(HARDHAT, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env } });
  let output = "";
  let announced: () => void = () => {};
  const ready = new Promise<void>((resolve) => (announced = resolve));
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-4_000);
    if (output.includes(READY)) announced();
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  // a binary that cannot start emits "error" and maybe no "exit"
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", (err) => {
      output += String(err);
      resolve();
    });
  });
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const node: RunningNode = {
    url,
    port,
    process: child,
    async stop() {
      process.removeListener("exit", killOnExit);
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    ready.then(() => "ready" as const),
    exited.then(() => "exited" as const),
    new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), timeoutMs))),
  ]);
  clearTimeout(timer);
  if (outcome === "ready" && (await answers(url, deadline))) return node;
  await node.stop();
  if (outcome !== "exited") throw new DsxError(`hardhat node did not answer on ${url} within ${timeoutMs / 1000} s.`, { fix: "Check the machine's load and try again." });
  const busy = /EADDRINUSE|address already in use/i.test(output);
  throw new DsxError(`hardhat node exited at start${busy ? `: port ${port} is in use` : ""}: ${output.trim().split("\n").slice(-3).join(" ")}`, {
    fix: busy ? `Free port ${port} or pass another --rpc-url.` : "Check that npm ci completed.",
  });
}
