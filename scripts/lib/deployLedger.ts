import type { HardhatEthersHelpers } from "@nomicfoundation/hardhat-ethers/types";
import type { Signer } from "ethers";
import type { DSXCredit, MockUSDC, RevenueShareLedger } from "../../typechain-types";

/** The ledger's constants (PROTOCOL §3), in seconds: the constructor's `LedgerConstants` struct. */
export interface LedgerConstants {
  disputeWindow: bigint;
  rateNotice: bigint;
  authNotice: bigint;
  reportingGrace: bigint;
  signerNotice: bigint;
  migrationNotice: bigint;
  payoutNotice: bigint;
}

export const DEFAULT_CONSTANTS: LedgerConstants = {
  disputeWindow: 3n * 86_400n,
  rateNotice: 7n * 86_400n,
  authNotice: 7n * 86_400n,
  reportingGrace: 7n * 86_400n,
  signerNotice: 2n * 86_400n,
  migrationNotice: 7n * 86_400n,
  payoutNotice: 7n * 86_400n,
};

/** The delay of a DEFAULT_ADMIN_ROLE transfer (OpenZeppelin AccessControlDefaultAdminRules), 1 .. 90 days. */
export const DEFAULT_ADMIN_DELAY = 86_400n;

/** The external libraries the ledger links against, in deployment order. */
export const LEDGER_LIBRARIES = [
  "AgreementLogic",
  "PartnerLogic",
  "RevenueLogic",
  "SettlementLogic",
  "ProgramLogic",
  "LedgerViews",
] as const;

export type LibraryName = (typeof LEDGER_LIBRARIES)[number];

export interface DeployLedgerOptions {
  deployer: Signer;
  admin: string;
  treasury: string;
  /** The settlement token; when omitted a MockUSDC is deployed (local chains only). */
  settlementToken?: string;
  constants?: LedgerConstants;
  adminDelay?: bigint;
}

export interface DeployedLedger {
  ledger: RevenueShareLedger;
  credit: DSXCredit;
  settlementToken: string;
  mockUsdc?: MockUSDC;
  libraries: Record<LibraryName, string>;
  deploymentBlock: number;
}

/** Deploys the libraries, the ledger (which deploys its DSXCredit) and, if asked, a MockUSDC. */
export async function deployLedger(ethers: HardhatEthersHelpers, options: DeployLedgerOptions): Promise<DeployedLedger> {
  const { deployer } = options;
  const constants = options.constants ?? DEFAULT_CONSTANTS;
  const firstBlock = await deployer.provider!.getBlockNumber();

  let mockUsdc: MockUSDC | undefined;
  let settlementToken = options.settlementToken;
  if (!settlementToken) {
    mockUsdc = (await (await ethers.getContractFactory("MockUSDC", deployer)).deploy()) as unknown as MockUSDC;
    await mockUsdc.waitForDeployment();
    settlementToken = await mockUsdc.getAddress();
  }

  const libraries = {} as Record<LibraryName, string>;
  for (const name of LEDGER_LIBRARIES) {
    const lib = await (await ethers.getContractFactory(name, deployer)).deploy();
    await lib.waitForDeployment();
    libraries[name] = await lib.getAddress();
  }

  const factory = await ethers.getContractFactory("RevenueShareLedger", { signer: deployer, libraries });
  const ledger = (await factory.deploy(
    options.admin,
    options.adminDelay ?? DEFAULT_ADMIN_DELAY,
    settlementToken,
    options.treasury,
    constants,
  )) as unknown as RevenueShareLedger;
  await ledger.waitForDeployment();
  const credit = (await ethers.getContractAt("DSXCredit", await ledger.credit())) as unknown as DSXCredit;
  return { ledger, credit, settlementToken, mockUsdc, libraries, deploymentBlock: firstBlock + 1 };
}
