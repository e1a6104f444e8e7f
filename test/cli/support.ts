// Shared by the `dsx` tests: the command line in this process (fast) or as the real `bin/dsx.cjs` child
// process, keystores, and a hardhat node with another chain id to stand for a remote network.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { encryptKeystoreJson } from "ethers";
import { privateKeyToAccount } from "viem/accounts";
import type { Address, Hex } from "viem";
import { runCli } from "../../cli/main";
import { startHardhatNode, type RunningNode } from "../helpers/hardhatNode";

export const ROOT = join(__dirname, "..", "..");
export const BIN = join(ROOT, "bin", "dsx.cjs");

export interface DsxRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Parses the one JSON object a `--json` run printed. */
export function jsonOf<T = Record<string, unknown>>(run: DsxRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${run.code}): ${run.stdout} | stderr: ${run.stderr}`);
  }
}

/** Runs `dsx` in this process (the commander program itself), capturing its output. */
export async function dsx(...args: string[]): Promise<DsxRun> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

/** The environment of a child `dsx`: ours without DSX_* settings, plus `env`. */
/** The services' settings a test run may export (the API's PostgreSQL, say): a child sees only what its test gives. */
const SERVICE_ENV = /^(DSX_|HARDHAT_|API_)|^(DATABASE_URL|RPC_URL|CHAIN_ID|DEPLOYMENTS_DIR)$/;

function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !SERVICE_ENV.test(k)));
  return { ...clean, ...env };
}

/**
 * Runs the real `bin/dsx.cjs` as a child process (from a scratch folder unless `cwd`); with `npx`, as
 * `npx --no-install dsx …` from the project folder, the way a user of a fresh clone runs it.
 */
export function spawnDsx(args: string[], options: { env?: Record<string, string>; cwd?: string; npx?: boolean } = {}): Promise<DsxRun> {
  return new Promise((resolve) => {
    const [command, argv, cwd] = options.npx ? ["npx", ["--no-install", "dsx", ...args], ROOT] : [process.execPath, [BIN, ...args], options.cwd ?? tmpdir()];
    const child = spawn(command, argv, { cwd, env: childEnv(options.env ?? {}), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("exit", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Starts the real `dsx` as a long-running child (the API); resolves with its first stdout line. */
export function startDsx(args: string[], env: Record<string, string> = {}): Promise<{ line: string; stop: () => Promise<number | string>; stderr: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: tmpdir(), env: childEnv(env), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    // the exit code, or the name of the signal that ended the process
    const exited = new Promise<number | string>((r) => child.once("exit", (code, signal) => r(code ?? signal ?? "unknown")));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      const end = stdout.indexOf("\n");
      if (end >= 0) {
        resolve({
          line: stdout.slice(0, end),
          stderr: () => stderr,
          stop: async () => {
            child.kill("SIGTERM");
            return exited;
          },
        });
      }
    });
    void exited.then((code) => reject(new Error(`dsx exited (${code}) before printing: ${stderr}`)));
  });
}

/** An address of a private key. */
export const addressOf = (key: Hex): Address => privateKeyToAccount(key).address;

/** Writes an encrypted keystore of `key` (light scrypt parameters, to keep the tests fast) and returns its path. */
export async function writeKeystore(key: Hex, password: string, dir = mkdtempSync(join(tmpdir(), "dsx-keys-"))): Promise<string> {
  const json = await encryptKeystoreJson({ address: addressOf(key), privateKey: key }, password, { scrypt: { N: 1 << 10 } });
  const path = join(dir, `${addressOf(key).slice(2, 10)}.json`);
  writeFileSync(path, json);
  return path;
}

/**
 * A `hardhat node` with chain id 31338, standing for a public network: the project's Hardhat config
 * with another chain id (test/cli/remote-node.config.ts).
 */
export async function startRemoteNode(): Promise<RunningNode> {
  const before = process.env.HARDHAT_CONFIG;
  process.env.HARDHAT_CONFIG = join(__dirname, "remote-node.config.ts");
  try {
    return await startHardhatNode();
  } finally {
    if (before === undefined) delete process.env.HARDHAT_CONFIG;
    else process.env.HARDHAT_CONFIG = before;
  }
}

/** A scratch folder. */
export const scratch = (prefix = "dsx-cli-"): string => mkdtempSync(join(tmpdir(), prefix));

/** Fails with the run's output when it did not exit 0. */
export function ok(run: DsxRun): DsxRun {
  expect(run.code, `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`).to.equal(0);
  return run;
}

/** Expects exit status 1 with exactly one stderr line, `dsx: error: …` matching `pattern`, and no stack trace. */
export function fails(run: DsxRun, pattern: RegExp): void {
  expect(run.code, run.stdout).to.equal(1);
  const lines = run.stderr.trimEnd().split("\n");
  expect(lines, run.stderr).to.have.length(1);
  expect(lines[0]).to.match(/^dsx: error: /);
  expect(lines[0]).to.match(pattern);
  expect(run.stderr).not.to.match(/\n\s+at /);
}
