// Global options of `dsx` (SERVICES §1, §6) and the parsers of its arguments: human amounts, times,
// durations, addresses, whole numbers. Every parser throws a ValidationError of one line naming the
// option and the fix.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { Command, Option } from "commander";
import { getAddress, isAddress, keccak256, type Address, type Hex } from "viem";
import { createChainClients } from "../sdk/chain";
import type { Deployment } from "../sdk/deployment";
import { ConfigError, DsxError, ValidationError } from "../sdk/errors";
import { DEFAULT_PASSWORD_ENV } from "../sdk/keys";
import { readSafeBatch } from "../sdk/safeBatch";
import { nodeChainIdOf, openLedgerContext, readDeployment, type LedgerContext } from "../sdk";
import { parseUnits6 } from "../sdk/units";

export const DEFAULT_RPC_URL = "http://127.0.0.1:8545";
export const DEFAULT_DEPLOYMENT = "deployments";

/** The options every command accepts, before or after its name. */
export interface GlobalOptions {
  rpcUrl?: string;
  deployment?: string;
  chainId?: string;
  keystore?: string;
  passwordEnv?: string;
  privateKey?: string;
  json?: boolean;
}

/** Adds the global options (no commander defaults: a leaf's default would hide a value given before it). */
export function withGlobalOptions(cmd: Command): Command {
  const options = [
    new Option("--rpc-url <url>", `JSON-RPC endpoint (env DSX_RPC_URL, default ${DEFAULT_RPC_URL})`),
    new Option("--deployment <file|dir>", `deployment file, or folder of <chainId>.json (env DSX_DEPLOYMENT, default ./${DEFAULT_DEPLOYMENT})`),
    new Option("--chain-id <id>", "expected chain id (env DSX_CHAIN_ID; default: the node's)"),
    new Option("--keystore <file>", "encrypted JSON keystore of the signing key (env DSX_KEYSTORE)"),
    new Option("--password-env <VAR>", `environment variable holding the keystore password (default ${DEFAULT_PASSWORD_ENV})`),
    new Option("--private-key <hex>", "raw private key, chain 31337 only (env DSX_PRIVATE_KEY)"),
    new Option("--json", "print one JSON object instead of text"),
  ];
  for (const option of options) cmd.addOption(option.helpGroup(GLOBAL_GROUP));
  return cmd;
}

/** The --help heading of the global options (listed after a command's own). */
export const GLOBAL_GROUP = "Global options:";

/** The global options of `cmd` and its ancestors, completed from the environment. */
export function globals(cmd: Command, env: NodeJS.ProcessEnv = process.env): Required<Pick<GlobalOptions, "rpcUrl" | "deployment">> & GlobalOptions {
  const o = cmd.optsWithGlobals<GlobalOptions>();
  const pick = (value: string | undefined, name: string) => value ?? (env[name] || undefined);
  return {
    rpcUrl: pick(o.rpcUrl, "DSX_RPC_URL") ?? DEFAULT_RPC_URL,
    deployment: pick(o.deployment, "DSX_DEPLOYMENT") ?? DEFAULT_DEPLOYMENT,
    chainId: pick(o.chainId, "DSX_CHAIN_ID"),
    keystore: pick(o.keystore, "DSX_KEYSTORE"),
    passwordEnv: o.passwordEnv,
    privateKey: pick(o.privateKey, "DSX_PRIVATE_KEY"),
    json: o.json,
  };
}

/** The chain id given with --chain-id, checked. */
export function chainIdOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d{0,15}$/.test(value)) throw new ValidationError(`--chain-id ${JSON.stringify(value)} is not a chain id.`, { fix: "Give a positive whole number, e.g. --chain-id 31337." });
  return Number(value);
}

/** The options of a command that can prepare its call for a Safe instead of sending it. */
export interface SafeJsonOptions {
  safeJson?: string;
  safe?: string;
  append?: boolean;
}

/** The --help heading of the Safe options. */
export const SAFE_GROUP = "Prepared for a Safe (nothing is sent, no key needed):";

/** Adds --safe-json, --safe and --append to `cmd`. */
export function withSafeJsonOptions(cmd: Command): Command {
  const options = [
    new Option("--safe-json <file>", "write the call to a Safe Transaction Builder batch file instead of sending it"),
    new Option("--safe <address>", "the Safe that holds the role: the call is simulated as it (default with --append: the file's Safe)"),
    new Option("--append", "add the call to the batch in --safe-json (same chain and Safe) instead of writing a new file"),
  ];
  for (const option of options) cmd.addOption(option.helpGroup(SAFE_GROUP));
  return cmd;
}

/** Where a call is prepared for a Safe: the batch file, the Safe, and whether the file is appended to. */
export interface SafeTarget {
  file: string;
  safe: Address;
  append: boolean;
}

/**
 * The Safe target of `cmd`, checked before anything is simulated, or undefined when the call is sent as usual.
 * A file that exists is only written with --append (a batch being collected is never overwritten).
 */
export function safeTarget(cmd: Command): SafeTarget | undefined {
  const o = cmd.opts<SafeJsonOptions>();
  if (o.safeJson === undefined) {
    if (o.safe !== undefined || o.append) {
      throw new ValidationError(`${o.safe !== undefined ? "--safe" : "--append"} only applies with --safe-json <file>.`, {
        fix: "Add --safe-json <file> to prepare the call for the Safe, or leave the option out to send it.",
      });
    }
    return undefined;
  }
  const file = o.safeJson;
  const exists = existsSync(file);
  if (exists && !o.append) {
    throw new ValidationError(`${file} exists already.`, { fix: "Add --append to add this call to its batch, or give a new file name." });
  }
  const given = o.safe !== undefined ? parseAddress(o.safe, "--safe") : undefined;
  // the batch appended to is checked (content, Safe) before anything is simulated
  const fileSafe = exists ? readSafeBatch(file, { safe: given }).meta.createdFromSafeAddress : undefined;
  const safe = given ?? (fileSafe && isAddress(fileSafe, { strict: false }) ? getAddress(fileSafe) : undefined);
  if (safe === undefined) {
    throw new ValidationError("--safe-json needs the Safe that makes the call.", { fix: "Pass --safe <address>: the Safe that holds the role." });
  }
  return { file, safe, append: Boolean(o.append) };
}

/**
 * A signing context for a command that sends transactions; with --safe-json, a context that prepares the call
 * for the Safe instead (simulated as the Safe, no key loaded).
 */
export async function signingContext(cmd: Command): Promise<LedgerContext> {
  const g = globals(cmd);
  const target = safeTarget(cmd);
  if (target !== undefined) {
    const ctx = await openLedgerContext({ rpcUrl: g.rpcUrl, deployment: g.deployment, chainId: chainIdOption(g.chainId), safe: target.safe, retry: { attempts: 3 } });
    if (target.append && existsSync(target.file)) readSafeBatch(target.file, { chainId: ctx.publicClient.chain.id });
    return ctx;
  }
  if (g.keystore === undefined && g.privateKey === undefined) {
    throw new ConfigError("keystore", "This command sends a transaction and needs a signing key.", {
      fix: `Pass --keystore <file> (password in ${g.passwordEnv ?? DEFAULT_PASSWORD_ENV}, or env DSX_KEYSTORE); on chain 31337 --private-key <hex> also works.`,
    });
  }
  return openLedgerContext({
    rpcUrl: g.rpcUrl,
    deployment: g.deployment,
    chainId: chainIdOption(g.chainId),
    keystore: g.keystore,
    passwordEnv: g.passwordEnv,
    privateKey: g.privateKey,
    retry: { attempts: 3 },
  });
}

/** A read-only context: clients and the deployment, no key. */
export async function readContext(cmd: Command): Promise<Pick<LedgerContext, "publicClient" | "deployment">> {
  const g = globals(cmd);
  const chainId = await nodeChainIdOf(g.rpcUrl);
  const expected = chainIdOption(g.chainId);
  if (expected !== undefined && expected !== chainId) {
    throw new ConfigError("chainId", `The node at ${g.rpcUrl} is chain ${chainId}, not ${expected}.`, { fix: "Pass the right --chain-id or --rpc-url." });
  }
  const deployment = readDeployment(g.deployment, chainId);
  const { publicClient } = createChainClients({ rpcUrl: g.rpcUrl, chainId });
  return { publicClient, deployment };
}

/**
 * The folder the mounted services (usage, revenue, audit, api) read `<chainId>.json` from, for a
 * --deployment that may be a file of any name (copied into a temporary folder when it must be).
 */
export function deploymentDirFor(fileOrDir: string): { dir: string; deployment?: Deployment } {
  let isDir: boolean;
  try {
    isDir = statSync(fileOrDir).isDirectory();
  } catch {
    return { dir: fileOrDir };
  }
  if (isDir) return { dir: fileOrDir };
  const deployment = readDeployment(fileOrDir, undefined);
  if (basename(fileOrDir) === `${deployment.chainId}.json`) return { dir: dirname(fileOrDir), deployment };
  const dir = mkdtempSync(join(tmpdir(), "dsx-deployment-"));
  copyFileSync(fileOrDir, join(dir, `${deployment.chainId}.json`));
  return { dir, deployment };
}

// ------------------------------------------------------------------------------------------------
//                                         ARGUMENT PARSERS
// ------------------------------------------------------------------------------------------------

/** A human amount ("1250.5") in exact 6-decimal units; `what` names the option. */
export function parseAmount(value: string, what: string, options: { allowZero?: boolean } = {}): bigint {
  let units: bigint;
  try {
    units = parseUnits6(value, { allowNegative: false });
  } catch (err) {
    // an option is named before the message ("--rate: Amount …"); a positional amount speaks for itself
    if (err instanceof DsxError) throw new ValidationError(what.startsWith("--") ? `${what}: ${err.shortMessage}` : err.shortMessage, { fix: err.fix });
    throw err;
  }
  if (units === 0n && !options.allowZero) throw new ValidationError(`${what.startsWith("--") ? `${what}: the amount` : "The amount"} is zero.`, { fix: "Give an amount above 0, e.g. 1250.5." });
  return units;
}

/** A whole number in [min, max]. */
export function parseWhole(value: string, what: string, min: bigint, max: bigint): bigint {
  if (!/^\d+$/.test(value) || BigInt(value) < min || BigInt(value) > max) {
    throw new ValidationError(`${what} ${JSON.stringify(value)} is not a whole number in ${min}..${max}.`, { fix: `Give a whole number such as ${min === 0n ? 0 : min}.` });
  }
  return BigInt(value);
}

/** A small whole number (bps, thresholds, GPU counts, period indexes). */
export const parseInt32 = (value: string, what: string, min = 0, max = 2 ** 32 - 1): number => Number(parseWhole(value, what, BigInt(min), BigInt(max)));

/** An agreement id (1, 2, …). */
export const parseAgreementId = (value: string): bigint => parseWhole(value, "Agreement id", 1n, 2n ** 256n - 1n);

/** An address. */
export function parseAddress(value: string, what: string): Address {
  if (!isAddress(value, { strict: false })) throw new ValidationError(`${what} ${JSON.stringify(value)} is not an address.`, { fix: "Give a 0x-prefixed 20-byte address." });
  return getAddress(value);
}

/** A comma-separated list of addresses. */
export function parseAddressList(value: string, what: string): Address[] {
  const parts = value.split(",").map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) throw new ValidationError(`${what} is empty.`, { fix: "Give addresses separated by commas: 0xabc…,0xdef…" });
  return parts.map((p) => parseAddress(p, what));
}

/** A 32-byte hex value (batch ids). */
export function parseBytes32(value: string, what: string): Hex {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) throw new ValidationError(`${what} ${JSON.stringify(value)} is not a 32-byte hex value.`, { fix: "Give 0x followed by 64 hex digits." });
  return value.toLowerCase() as Hex;
}

/** true/false, yes/no, on/off. */
export function parseBool(value: string, what: string): boolean {
  const v = value.toLowerCase();
  if (["true", "yes", "on", "1"].includes(v)) return true;
  if (["false", "no", "off", "0"].includes(v)) return false;
  throw new ValidationError(`${what} ${JSON.stringify(value)} is not true or false.`, { fix: "Give true or false." });
}

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:\d{2}))?$/;

/** A time: unix seconds, or ISO 8601 with a zone ("2026-10-01T00:00Z", or a bare date, read as UTC). */
export function parseTime(value: string, what: string): bigint {
  if (/^\d+$/.test(value)) return BigInt(value);
  if (ISO.test(value)) {
    const ms = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
    if (!Number.isNaN(ms)) return BigInt(Math.floor(ms / 1000));
  }
  throw new ValidationError(`${what} ${JSON.stringify(value)} is not a time.`, {
    fix: 'Give unix seconds or ISO 8601 with a zone, e.g. "2026-10-01T00:00Z" or "2026-10-01".',
  });
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** A duration: seconds, or a number with s/m/h/d/w ("30d"). */
export function parseDuration(value: string, what: string): number {
  const m = /^(\d+)([smhdw]?)$/.exec(value);
  if (!m) throw new ValidationError(`${what} ${JSON.stringify(value)} is not a duration.`, { fix: 'Give seconds or a number with s, m, h, d or w, e.g. "30d".' });
  const seconds = Number(m[1]) * UNIT_SECONDS[m[2] || "s"];
  if (!Number.isSafeInteger(seconds) || seconds > 2 ** 32 - 1) throw new ValidationError(`${what} ${value} is too long.`, { fix: "Give at most 136 years." });
  return seconds;
}

/** A reason or report hash: a 32-byte hex value or text as is (`hashOf` hashes text), or `@path`: the file's keccak256. */
export function reasonInput(value: string | undefined): string | undefined {
  if (value === undefined || !value.startsWith("@")) return value;
  const path = value.slice(1);
  try {
    return keccak256(readFileSync(path));
  } catch {
    throw new ValidationError(`File ${path} cannot be read.`, { fix: "Check the path after @." });
  }
}
