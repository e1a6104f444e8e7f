// Deploys the DSX ledger (its libraries, the ledger and its DSXCredit; a MockUSDC on local chains only),
// grants the roles and writes deployments/<chainId>.json.
//   npx hardhat run scripts/deploy.ts --network localhost
//   SETTLEMENT_TOKEN=0x… TREASURY=0x… PROGRAM=0x… AUDITOR=0x… PAUSER=0x… \
//     REMOTE_RPC_URL=https://… DEPLOYER_PRIVATE_KEY=… npx hardhat run scripts/deploy.ts --network remote
import fs from "node:fs";
import path from "node:path";
import hre from "hardhat";
import { getAddress } from "ethers";
import { deployLedger, DEFAULT_ADMIN_DELAY, DEFAULT_CONSTANTS, type LedgerConstants } from "./lib/deployLedger";
import { deploymentSchema, type Deployment } from "../sdk/deployment";

const LOCAL_CHAINS = new Set([31337, 1337]);

function envAddress(name: string, fallback?: string): string {
  const value = process.env[name];
  if (!value) {
    if (fallback) return fallback;
    throw new Error(`${name} is not set: set it to the address that should hold this role (0x…)`);
  }
  try {
    return getAddress(value);
  } catch {
    throw new Error(`${name}=${value} is not an address: set it to a 0x-prefixed 20-byte address`);
  }
}

function envSeconds(name: string, fallback: bigint): bigint {
  const value = process.env[name];
  if (!value) return fallback;
  if (!/^\d+$/.test(value)) throw new Error(`${name}=${value} is not a whole number of seconds`);
  return BigInt(value);
}

export async function main(): Promise<Deployment> {
  const [deployer] = await hre.ethers.getSigners();
  if (!deployer) throw new Error("no deployer account: set DEPLOYER_PRIVATE_KEY for this network");
  const chainId = Number((await hre.ethers.provider.getNetwork()).chainId);
  const local = LOCAL_CHAINS.has(chainId);
  const settlementToken = process.env.SETTLEMENT_TOKEN ? envAddress("SETTLEMENT_TOKEN") : undefined;
  if (!local && !settlementToken) {
    throw new Error(`chain ${chainId} is not local: set SETTLEMENT_TOKEN to the 6-decimal stablecoin's address`);
  }
  const admin = envAddress("ADMIN", deployer.address);
  const treasury = envAddress("TREASURY", local ? deployer.address : undefined);
  const constants: LedgerConstants = {
    disputeWindow: envSeconds("DISPUTE_WINDOW", DEFAULT_CONSTANTS.disputeWindow),
    rateNotice: envSeconds("RATE_NOTICE", DEFAULT_CONSTANTS.rateNotice),
    authNotice: envSeconds("AUTH_NOTICE", DEFAULT_CONSTANTS.authNotice),
    reportingGrace: envSeconds("REPORTING_GRACE", DEFAULT_CONSTANTS.reportingGrace),
    signerNotice: envSeconds("SIGNER_NOTICE", DEFAULT_CONSTANTS.signerNotice),
    migrationNotice: envSeconds("MIGRATION_NOTICE", DEFAULT_CONSTANTS.migrationNotice),
    payoutNotice: envSeconds("PAYOUT_NOTICE", DEFAULT_CONSTANTS.payoutNotice),
  };
  const adminDelay = envSeconds("ADMIN_DELAY", DEFAULT_ADMIN_DELAY);

  const deployed = await deployLedger(hre.ethers, { deployer, admin: deployer.address, treasury, settlementToken, constants, adminDelay });
  const { ledger } = deployed;
  const roles: [string, string][] = [
    ["PROGRAM", await ledger.PROGRAM_ROLE()],
    ["AUDITOR", await ledger.AUDITOR_ROLE()],
    ["PAUSER", await ledger.PAUSER_ROLE()],
  ];
  for (const [name, role] of roles) {
    const holder = envAddress(name, local ? deployer.address : undefined);
    await (await ledger.grantRole(role, holder)).wait();
  }
  if (admin !== deployer.address) {
    // AccessControlDefaultAdminRules: the admin changes in two steps; ADMIN accepts once the delay has passed.
    await (await ledger.beginDefaultAdminTransfer(admin)).wait();
    const [, schedule] = await ledger.pendingDefaultAdmin();
    console.log(`admin transfer to ${admin} started: it accepts with acceptDefaultAdminTransfer() from ${new Date(Number(schedule) * 1000).toISOString()}`);
  }

  const deployment = deploymentSchema.parse({
    chainId,
    ledger: await ledger.getAddress(),
    credit: await deployed.credit.getAddress(),
    settlementToken: deployed.settlementToken,
    treasury,
    deploymentBlock: deployed.deploymentBlock,
    libraries: deployed.libraries,
    deployedAt: new Date().toISOString(),
  });
  if (process.env.DEPLOYMENTS_DIR !== undefined && process.env.DSX_DEPLOYMENTS_DIR === undefined) {
    console.error("warning: DEPLOYMENTS_DIR is deprecated; use DSX_DEPLOYMENTS_DIR (same meaning).");
  }
  const dir = process.env.DSX_DEPLOYMENTS_DIR ?? process.env.DEPLOYMENTS_DIR ?? path.join(__dirname, "..", "deployments");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${chainId}.json`);
  fs.writeFileSync(file, JSON.stringify(deployment, null, 2) + "\n");
  console.log(`deployed the DSX ledger on chain ${chainId}: ledger ${deployment.ledger}, credit ${deployment.credit}, ` +
    `settlement ${deployment.settlementToken}; wrote ${path.relative(process.cwd(), file)}`);
  return deployment;
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`deploy failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
}
