// The deployment file (SERVICES §1): `deployments/<chainId>.json`, written by deploy and read by every
// service, the CLI and the demo through this one loader.
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { addressSchema, parseJsonFile } from "./config";
import { ConfigError } from "./errors";

/** `deployments/<chainId>.json`: the contracts' addresses and where the ledger's history starts. */
export const deploymentSchema = z.object({
  chainId: z.number().int().positive(),
  ledger: addressSchema,
  credit: addressSchema,
  settlementToken: addressSchema,
  treasury: addressSchema,
  deploymentBlock: z.number().int().nonnegative(),
  libraries: z.record(z.string(), addressSchema).optional(),
  deployedAt: z.iso.datetime({ offset: true }).optional(),
});

/** A parsed deployment file. */
export type Deployment = z.output<typeof deploymentSchema>;

/**
 * Reads a deployment from a file (any name) or from `<dir>/<chainId>.json`; with `chainId`, a file for
 * another chain is refused.
 * @example const deployment = readDeployment("deployments", 31337);
 * @example const deployment = readDeployment("deployments/sepolia.json", undefined);
 */
export function readDeployment(fileOrDir: string, chainId: number | undefined): Deployment {
  let isDir: boolean;
  try {
    isDir = statSync(fileOrDir).isDirectory();
  } catch {
    throw new ConfigError("deployment", `Deployment ${fileOrDir} not found.`, {
      fix: "Deploy first (npx dsx deploy), or pass --deployment <file or folder> (env DSX_DEPLOYMENT).",
    });
  }
  if (isDir) {
    if (chainId === undefined) {
      throw new ConfigError("chainId", `The chain id is needed to pick the file in ${fileOrDir}.`, { fix: "Pass --chain-id or a deployment file." });
    }
    return loadDeployment(fileOrDir, chainId);
  }
  return checkChain(readNamedFile(fileOrDir), fileOrDir, chainId, "chainId");
}

/**
 * Reads `<dir>/<chainId>.json` (what the services read from their deployments folder); its errors name the
 * setting in the file.
 * @example const deployment = loadDeployment("deployments", 31337);
 */
export function loadDeployment(dir: string, chainId: number): Deployment {
  const file = join(dir, `${chainId}.json`);
  const deployment = parseJsonFile(deploymentSchema, file, `Deploy to chain ${chainId} first (npx dsx deploy), or point to the folder that holds ${chainId}.json.`);
  return checkChain(deployment, file, chainId, `${file}: chainId`);
}

/** A file the user named: its errors say which deployment file is wrong and where. */
function readNamedFile(file: string): Deployment {
  let input: unknown;
  try {
    input = JSON.parse(readFileSync(file, "utf8"));
  } catch (cause) {
    throw new ConfigError("deployment", `Deployment file ${file} is not valid JSON.`, { fix: "Point to the file written by dsx deploy.", cause });
  }
  const parsed = deploymentSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError("deployment", `Deployment file ${file} is invalid at ${issue.path.join(".") || "(root)"}: ${issue.message}.`, {
      fix: "Point to the file written by dsx deploy.",
    });
  }
  return parsed.data;
}

function checkChain(deployment: Deployment, file: string, chainId: number | undefined, setting: string): Deployment {
  if (chainId !== undefined && deployment.chainId !== chainId) {
    throw new ConfigError(setting, `Deployment file ${file} is for chain ${deployment.chainId}, not ${chainId}.`, {
      fix: `Use the file for chain ${chainId} or connect to chain ${deployment.chainId}.`,
    });
  }
  return deployment;
}
