// Key loading (SERVICES §1). No function here prints, logs or puts a key in an error.
import { readFileSync } from "node:fs";
import { Wallet } from "ethers";
import type { Hex } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { ConfigError } from "./errors";

/** The only chain on which a raw private key is accepted (Hardhat's local chain). */
export const LOCAL_CHAIN_ID = 31337;

/** Default environment variable holding the keystore password. */
export const DEFAULT_PASSWORD_ENV = "DSX_KEYSTORE_PASSWORD";

/** Options of {@link loadAccount}: exactly one of `keystore` and `privateKey`. */
export interface LoadAccountOptions {
  /** The chain the key will sign for. */
  chainId: number;
  /** Path of an encrypted JSON keystore (ethers `Wallet.encrypt` format). */
  keystore?: string;
  /** Environment variable with the keystore password; default {@link DEFAULT_PASSWORD_ENV}. */
  passwordEnv?: string;
  /** A raw 0x-prefixed private key, accepted only on chain {@link LOCAL_CHAIN_ID}. */
  privateKey?: string;
  /** The environment to read; default `process.env`. */
  environment?: Readonly<Record<string, string | undefined>>;
}

const PRIVATE_KEY = /^0x[0-9a-fA-F]{64}$/;

/**
 * Loads a signing account: an encrypted keystore decrypted with the password from the
 * environment, or (on chain 31337 only) a raw private key. Throws a {@link ConfigError}
 * naming the setting and the fix.
 *
 * @example
 * const account = await loadAccount({ chainId: 1, keystore: "keys/oracle.json" }); // password from DSX_KEYSTORE_PASSWORD
 */
export async function loadAccount(options: LoadAccountOptions): Promise<PrivateKeyAccount> {
  const { chainId, keystore, privateKey, passwordEnv = DEFAULT_PASSWORD_ENV, environment = process.env } = options;
  if (keystore !== undefined && privateKey !== undefined) {
    throw new ConfigError("keystore", "Both a keystore and a raw private key were given.", { fix: "Give only one of them." });
  }
  if (privateKey !== undefined) {
    if (chainId !== LOCAL_CHAIN_ID) {
      throw new ConfigError("privateKey", `A raw private key is accepted only on the local chain ${LOCAL_CHAIN_ID}, not on chain ${chainId}.`, {
        fix: `Use an encrypted keystore file with its password in ${passwordEnv}.`,
      });
    }
    // The key is never echoed and the underlying error (which could quote it) is not kept.
    if (!PRIVATE_KEY.test(privateKey)) {
      throw new ConfigError("privateKey", "The private key is not 0x followed by 64 hex digits.", { fix: "Correct the private key." });
    }
    try {
      return privateKeyToAccount(privateKey as Hex);
    } catch {
      throw new ConfigError("privateKey", "The private key is not a valid secp256k1 key.", { fix: "Use another key." });
    }
  }
  if (keystore === undefined) {
    throw new ConfigError("keystore", "No signing key configured.", {
      fix: `Give an encrypted keystore file (password in ${passwordEnv}); a raw private key only on chain ${LOCAL_CHAIN_ID}.`,
    });
  }
  const password = environment[passwordEnv];
  if (password === undefined || password === "") {
    throw new ConfigError(passwordEnv, `Environment variable ${passwordEnv} (the keystore password) is not set.`, {
      fix: `Set ${passwordEnv} to the password of ${keystore}.`,
    });
  }
  let json: string;
  try {
    json = readFileSync(keystore, "utf8");
  } catch (cause) {
    throw new ConfigError("keystore", `Keystore file ${keystore} cannot be read.`, {
      fix: "Check the keystore path and its permissions.",
      cause,
    });
  }
  try {
    const wallet = await Wallet.fromEncryptedJson(json, password);
    return privateKeyToAccount(wallet.privateKey as Hex);
  } catch (cause) {
    // ethers redacts the password in its errors; the cause holds no key material.
    throw new ConfigError("keystore", `Keystore ${keystore} cannot be decrypted: wrong password or not a keystore file.`, {
      fix: `Check ${passwordEnv} and that the file was written by Wallet.encrypt.`,
      cause,
    });
  }
}
