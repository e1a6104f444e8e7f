import { readFileSync } from "node:fs";
import { getAddress, isAddress, type Address } from "viem";
import { z } from "zod";
import { ConfigError } from "./errors";

/** An EVM address (checksummed or all lower-case), output checksummed. */
export const addressSchema = z
  .string()
  .refine((s) => isAddress(s), { error: "expected a 0x-prefixed 20-byte address with a valid checksum" })
  .transform((s): Address => getAddress(s));

/** Where each setting came from, to tell the user what to fix. */
interface Sources {
  file?: string;
  /** setting path → environment variable that set it */
  fromEnv: Map<string, string>;
  /** setting path → environment variable that could set it */
  env: Readonly<Record<string, string>>;
}

function readJson(path: string, setting: string, missingFix: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === "ENOENT";
    throw new ConfigError(setting, missing ? `File ${path} not found.` : `File ${path} cannot be read.`, {
      fix: missing ? missingFix : "Check its permissions.",
      cause,
    });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(setting, `File ${path} is not valid JSON.`, {
      fix: "Correct its syntax (a JSON object of settings).",
      details: (cause as Error).message,
      cause,
    });
  }
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((node, key) => (typeof node === "object" && node !== null ? (node as Record<PropertyKey, unknown>)[key] : undefined), root);
}

/** Turns the first zod issue into one line naming the setting and where to fix it. */
function toConfigError(error: z.ZodError, input: unknown, sources: Sources): ConfigError {
  const [issue] = error.issues;
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more: see details)` : "";
  const details = z.prettifyError(error);
  const inFile = sources.file ? ` in ${sources.file}` : "";
  if (issue.code === "unrecognized_keys") {
    const names = issue.keys.map((k) => [...issue.path, k].join(".")).join(", ");
    return new ConfigError(names, `Unknown setting ${names}${inFile}${more}.`, {
      fix: "Remove it or correct its spelling.",
      details,
    });
  }
  const setting = issue.path.map(String).join(".") || "(root)";
  const envName = sources.env[setting];
  const envVar = sources.fromEnv.get(setting);
  if (envVar) {
    return new ConfigError(setting, `Invalid setting ${setting} from environment variable ${envVar}: ${issue.message}${more}.`, {
      fix: `Correct ${envVar}.`,
      details,
    });
  }
  const where = [sources.file && `"${setting}" in ${sources.file}`, envName && `the environment variable ${envName}`]
    .filter(Boolean)
    .join(" or ");
  if (issue.code === "invalid_type" && valueAt(input, issue.path) === undefined) {
    return new ConfigError(setting, `Missing setting ${setting}${more}.`, { fix: `Set ${where || setting}.`, details });
  }
  return new ConfigError(setting, `Invalid setting ${setting}${inFile}: ${issue.message}${more}.`, {
    fix: `Correct ${where || setting}.`,
    details,
  });
}

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions<S extends z.ZodType> {
  /** The settings' schema. Settings fed from the environment arrive as strings: use `z.coerce.number()`, `z.stringbool()`, … */
  schema: S;
  /** A JSON file of settings; optional. */
  file?: string;
  /** Setting path (dot-separated, e.g. `rpc.url`) → environment variable that overrides it. */
  env?: Readonly<Record<string, string>>;
  /** The environment to read; default `process.env`. Empty variables count as unset. */
  environment?: Readonly<Record<string, string | undefined>>;
}

/**
 * Loads settings: the JSON file, overridden by the mapped environment variables, parsed by
 * `schema`. A bad setting throws one {@link ConfigError} whose message names the setting,
 * its source and the fix (values are never echoed: they may be secrets).
 *
 * @example
 * const config = loadConfig({
 *   schema: z.object({ rpcUrl: z.url(), chainId: z.coerce.number().int() }),
 *   file: "oracle.json",
 *   env: { rpcUrl: "DSX_RPC_URL", chainId: "DSX_CHAIN_ID" },
 * });
 */
export function loadConfig<S extends z.ZodType>(options: LoadConfigOptions<S>): z.output<S> {
  const { schema, file, env = {}, environment = process.env } = options;
  const sources: Sources = { file, env, fromEnv: new Map() };
  const input: unknown = file ? readJson(file, file, `Create it or pass the right path.`) : {};
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new ConfigError(file ?? "(root)", `File ${file} does not hold a JSON object.`, {
      fix: 'Write the settings as an object, e.g. { "rpcUrl": "http://127.0.0.1:8545" }.',
    });
  }
  const merged = structuredClone(input) as Record<string, unknown>;
  for (const [setting, envVar] of Object.entries(env)) {
    const value = environment[envVar];
    if (value === undefined || value === "") continue;
    const keys = setting.split(".");
    let node = merged;
    for (const key of keys.slice(0, -1)) {
      if (typeof node[key] !== "object" || node[key] === null) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[keys[keys.length - 1]] = value;
    sources.fromEnv.set(setting, envVar);
  }
  const result = schema.safeParse(merged);
  if (!result.success) throw toConfigError(result.error, merged, sources);
  return result.data;
}

/**
 * Reads the JSON file `file` and parses it with `schema`; a missing file, bad JSON or a bad value throws one
 * {@link ConfigError} naming the file and the setting (`missingFix` says what to do when the file is missing).
 * @example const deployment = parseJsonFile(deploymentSchema, "deployments/31337.json", "Deploy first.");
 */
export function parseJsonFile<S extends z.ZodType>(schema: S, file: string, missingFix: string): z.output<S> {
  const input = readJson(file, file, missingFix);
  const result = schema.safeParse(input);
  if (!result.success) throw toConfigError(result.error, input, { file, env: {}, fromEnv: new Map() });
  return result.data;
}
