// One vocabulary for both oracles' settings files (docs/revenue-oracle.md "Settings"):
//   deploymentsDir   the folder of deployments/<chainId>.json     (was `deployments` in the usage oracle)
//   sender           the key that sends transactions and pays gas  (was `relayer` in the usage oracle)
//   a key            { keystore, passwordEnv? } or, on chain 31337 only, { privateKeyEnv }: the name of an
//                    environment variable holding the raw key      (was an inline `privateKey` in the usage oracle)
// The old names still work; loading a file that uses them prints one deprecation line.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { ConfigError } from "../../sdk/errors";

/** Old top-level setting → its name now. */
export const RENAMED_SETTINGS: Readonly<Record<string, string>> = { deployments: "deploymentsDir", relayer: "sender" };

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const envName = z.string().regex(ENV_NAME, { error: "expected an environment variable name" });

/**
 * A signing key: an encrypted keystore (password in `passwordEnv`, default DSX_KEYSTORE_PASSWORD)
 * or, on chain 31337 only, `privateKeyEnv`, the name of an environment variable holding a raw key.
 * `privateKey` (the raw key written in the file) is deprecated but still read.
 */
export const oracleKeySchema = z
  .object({
    keystore: z.string().min(1).optional(),
    passwordEnv: envName.optional(),
    privateKeyEnv: envName.optional(),
    /** @deprecated the raw key in the file; use privateKeyEnv. */
    privateKey: z.string().min(1).optional(),
  })
  .strict()
  .refine((k) => [k.keystore, k.privateKeyEnv, k.privateKey].filter((v) => v !== undefined).length === 1, {
    error: "give exactly one of keystore and privateKeyEnv",
  });

/** One configured key, as written. */
export type OracleKeySetting = z.output<typeof oracleKeySchema>;

/** A key ready for `loadAccount`: `privateKeyEnv` resolved to the key it names. */
export interface ResolvedKey {
  keystore?: string;
  passwordEnv?: string;
  privateKey?: string;
}

/**
 * Renames old top-level settings to their names now (for `z.preprocess`, after the environment
 * was merged in): when both names are present the new one wins, so `DSX_DEPLOYMENTS_DIR`
 * overrides an old `deployments` in the file.
 */
export function canonicalSettings(input: unknown): unknown {
  if (typeof input !== "object" || input === null || Array.isArray(input)) return input;
  const out: Record<string, unknown> = { ...(input as Record<string, unknown>) };
  for (const [old, now] of Object.entries(RENAMED_SETTINGS)) {
    if (!(old in out)) continue;
    if (!(now in out)) out[now] = out[old];
    delete out[old];
  }
  return out;
}

function keyPaths(input: Record<string, unknown>): [string, unknown][] {
  const out: [string, unknown][] = [];
  if (Array.isArray(input.signers)) input.signers.forEach((k, i) => out.push([`signers.${i}`, k]));
  for (const name of ["sender", "relayer"]) if (input[name] !== undefined) out.push([name, input[name]]);
  return out;
}

/**
 * The old names a settings file uses, as one deprecation line (undefined when it uses none).
 * @throws ConfigError when the file gives a setting under both its old and its new name.
 */
export function deprecationLine(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  let input: unknown;
  try {
    input = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined; // loadConfig reports an unreadable or invalid file with its fix
  }
  if (typeof input !== "object" || input === null || Array.isArray(input)) return undefined;
  const settings = input as Record<string, unknown>;
  const found: string[] = [];
  for (const [old, now] of Object.entries(RENAMED_SETTINGS)) {
    if (!(old in settings)) continue;
    if (now in settings) {
      throw new ConfigError(old, `Settings ${old} and ${now} in ${file} name the same thing.`, { fix: `Keep ${now} (${old} is its old name).` });
    }
    found.push(`${old} (now ${now})`);
  }
  for (const [path, key] of keyPaths(settings)) {
    if (typeof key === "object" && key !== null && "privateKey" in key) found.push(`${path}.privateKey (put the key in an environment variable and name it with privateKeyEnv)`);
  }
  if (found.length === 0) return undefined;
  return `warning: ${file} uses deprecated settings: ${found.join(", ")}; they still work, see docs/revenue-oracle.md "Settings".`;
}

/**
 * Reads the key a `privateKeyEnv` names from `environment`.
 * @throws ConfigError naming the variable when it is unset.
 */
export function resolveKey(key: OracleKeySetting, setting: string, environment: Readonly<Record<string, string | undefined>>): ResolvedKey {
  if (key.privateKeyEnv === undefined) {
    const { keystore, passwordEnv, privateKey } = key;
    return { ...(keystore !== undefined ? { keystore } : {}), ...(passwordEnv !== undefined ? { passwordEnv } : {}), ...(privateKey !== undefined ? { privateKey } : {}) };
  }
  const value = environment[key.privateKeyEnv];
  if (value === undefined || value === "") {
    throw new ConfigError(key.privateKeyEnv, `Environment variable ${key.privateKeyEnv} (the private key of ${setting}) is not set.`, {
      fix: `Set ${key.privateKeyEnv}, or use a keystore.`,
    });
  }
  return { privateKey: value };
}
