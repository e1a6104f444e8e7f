// The tests' chain: a real `hardhat node` (started by scripts/lib/hardhatNode.ts, the launcher the demo uses too),
// its development keys, a deployment with scripts/deploy.ts, and its clock.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadDeployment, type Deployment } from "../../sdk/deployment";
import type { RunningNode } from "../../scripts/lib/hardhatNode";

export { freePort, startHardhatNode, type RunningNode } from "../../scripts/lib/hardhatNode";

const ROOT = path.join(__dirname, "..", "..");
const HARDHAT = path.join(ROOT, "node_modules", ".bin", "hardhat");

/** The first 10 accounts of `hardhat node` (its well-known development mnemonic). */
export const NODE_KEYS = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
  "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
  "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
  "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
  "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
  "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
  "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
] as const;

async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

/** Runs scripts/deploy.ts against `node` and returns the parsed deployment (written to a temporary folder). */
export async function deployTo(node: RunningNode, env: Record<string, string> = {}): Promise<{ deployment: Deployment; dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dsx-deployments-"));
  await new Promise<void>((resolve, reject) => {
    const child = spawn(HARDHAT, ["run", "--no-compile", "--network", "localhost", "scripts/deploy.ts"], {
      cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, DSX_RPC_URL: node.url, DSX_DEPLOYMENTS_DIR: dir, ...env },
    });
    let output = "";
    child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`deploy failed (${code}): ${output}`))));
  });
  return { deployment: loadDeployment(dir, 31337), dir };
}

/** Moves the node's clock: `evm_increaseTime` + `evm_mine`, or to an absolute time with `evm_setNextBlockTimestamp`. */
export async function advanceTime(node: RunningNode, by: { seconds?: number; to?: number }): Promise<void> {
  if (by.to !== undefined) await rpc(node.url, "evm_setNextBlockTimestamp", [by.to]);
  else await rpc(node.url, "evm_increaseTime", [by.seconds ?? 0]);
  await rpc(node.url, "evm_mine");
}

export { rpc as nodeRpc };
