// Deploys the ledger for the demo straight from the Hardhat artifacts with viem: what scripts/deploy.ts does
// on a local chain (a MockUSDC, the six linked libraries, the ledger with its DSXCredit, the roles), without
// loading Hardhat into the process (seconds saved on every start).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Abi, Address, Hex } from "viem";
import { revenueShareLedgerAbi } from "../sdk/abis";
import { deploymentSchema, type Deployment } from "../sdk/deployment";
import { DsxError } from "../sdk/errors";
import { grantRole, type LedgerContext } from "../sdk";
import { DEFAULT_CONSTANTS, DEFAULT_ADMIN_DELAY, LEDGER_LIBRARIES } from "../scripts/lib/deployLedger";
import { linkLibraries, type LinkableArtifact } from "../scripts/lib/linkLibraries";
import { ROOT } from "./node";

interface Artifact extends LinkableArtifact {
  contractName: string;
  abi: Abi;
}

function artifact(path: string): Artifact {
  return JSON.parse(readFileSync(join(ROOT, "artifacts", "contracts", path), "utf8")) as Artifact;
}

/** Addresses the roles go to. */
export interface DemoRoles {
  treasury: Address;
  program: Address;
  auditor: Address;
  pauser: Address;
}

async function deployContract(ctx: Omit<LedgerContext, "deployment">, a: Artifact, bytecode: Hex, args: readonly unknown[] = []) {
  const hash = await ctx.walletClient.deployContract({ abi: a.abi, bytecode, args, account: ctx.account, chain: ctx.walletClient.chain });
  const receipt = await ctx.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 100 });
  if (receipt.status !== "success" || !receipt.contractAddress) throw new DsxError(`Deploying ${a.contractName} reverted in ${hash}.`);
  return { address: receipt.contractAddress, blockNumber: receipt.blockNumber };
}

/**
 * Deploys MockUSDC, the libraries and the ledger from `ctx.account` (which keeps DEFAULT_ADMIN_ROLE), grants
 * PROGRAM, AUDITOR and PAUSER, and writes `<deploymentsDir>/31337.json`.
 */
export async function deployForDemo(ctx: Omit<LedgerContext, "deployment">, roles: DemoRoles, deploymentsDir: string): Promise<Deployment> {
  const usdc = await deployContract(ctx, artifact("mocks/MockUSDC.sol/MockUSDC.json"), artifact("mocks/MockUSDC.sol/MockUSDC.json").bytecode);
  const libraries: Record<string, Address> = {};
  for (const name of LEDGER_LIBRARIES) {
    const a = artifact(`libraries/${name}.sol/${name}.json`);
    libraries[name] = (await deployContract(ctx, a, a.bytecode)).address;
  }
  const ledgerArtifact = artifact("RevenueShareLedger.sol/RevenueShareLedger.json");
  const c = DEFAULT_CONSTANTS;
  const ledger = await deployContract(ctx, ledgerArtifact, linkLibraries(ledgerArtifact, libraries), [
    ctx.account.address,
    Number(DEFAULT_ADMIN_DELAY),
    usdc.address,
    roles.treasury,
    c,
  ]);
  const credit = await ctx.publicClient.readContract({ address: ledger.address, abi: revenueShareLedgerAbi, functionName: "credit" });
  const deployment = deploymentSchema.parse({
    chainId: ctx.publicClient.chain.id,
    ledger: ledger.address,
    credit,
    settlementToken: usdc.address,
    treasury: roles.treasury,
    deploymentBlock: Number(ledger.blockNumber),
    libraries,
    deployedAt: new Date().toISOString(),
  });
  const full: LedgerContext = { ...ctx, deployment };
  await grantRole(full, "PROGRAM", roles.program);
  await grantRole(full, "AUDITOR", roles.auditor);
  await grantRole(full, "PAUSER", roles.pauser);
  mkdirSync(deploymentsDir, { recursive: true });
  writeFileSync(join(deploymentsDir, `${deployment.chainId}.json`), `${JSON.stringify(deployment, null, 2)}\n`);
  return deployment;
}
