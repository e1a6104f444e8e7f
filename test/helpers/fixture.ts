import { ethers } from "hardhat";
import { Wallet, type Signer } from "ethers";
import type { Address, Hex } from "viem";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { deployLedger, DEFAULT_CONSTANTS } from "../../scripts/lib/deployLedger";
import {
  ledgerDomain, usageBatchTypes, revenueReportTypes, skuToBytes32, sortSignaturesBySigner, type UsageBatch, type RevenueReport,
} from "../../sdk/eip712";
import type { DSXCredit, MockUSDC, RevenueShareLedger } from "../../typechain-types";

export const HOUR = 3_600n;
export const DAY = 86_400n;
export const USDC = 1_000_000n;
export const {
  disputeWindow: DISPUTE_WINDOW, rateNotice: RATE_NOTICE, authNotice: AUTH_NOTICE, reportingGrace: REPORTING_GRACE,
  signerNotice: SIGNER_NOTICE, migrationNotice: MIGRATION_NOTICE, payoutNotice: PAYOUT_NOTICE,
} = DEFAULT_CONSTANTS;

export const H100 = skuToBytes32("h100-sxm");
export const B200 = skuToBytes32("b200");

export interface Actors {
  admin: HardhatEthersSigner;
  program: HardhatEthersSigner;
  auditor: HardhatEthersSigner;
  pauser: HardhatEthersSigner;
  treasury: HardhatEthersSigner;
  startup: HardhatEthersSigner;
  startup2: HardhatEthersSigner;
  partnerF: HardhatEthersSigner;
  partnerB: HardhatEthersSigner;
  payer: HardhatEthersSigner;
  outsider: HardhatEthersSigner;
  relayer: HardhatEthersSigner;
}

export interface LedgerFixture extends Actors {
  ledger: RevenueShareLedger;
  credit: DSXCredit;
  usdc: MockUSDC;
  ledgerAddress: string;
  chainId: number;
  /** Oracle signer keys: partners' and the revenue verifier's (plain wallets, as an outside oracle holds them). */
  oracleKeys: Wallet[];
}

/** Deploys the ledger with a MockUSDC and grants PROGRAM, AUDITOR and PAUSER to their actors. */
export async function deployLedgerFixture(): Promise<LedgerFixture> {
  const s = await ethers.getSigners();
  const actors: Actors = {
    admin: s[0], program: s[1], auditor: s[2], pauser: s[3], treasury: s[4], startup: s[5], startup2: s[6],
    partnerF: s[7], partnerB: s[8], payer: s[9], outsider: s[10], relayer: s[11],
  };
  const deployed = await deployLedger(ethers, { deployer: actors.admin, admin: actors.admin.address, treasury: actors.treasury.address });
  const { ledger, credit } = deployed;
  await ledger.grantRole(await ledger.PROGRAM_ROLE(), actors.program.address);
  await ledger.grantRole(await ledger.AUDITOR_ROLE(), actors.auditor.address);
  await ledger.grantRole(await ledger.PAUSER_ROLE(), actors.pauser.address);
  const oracleKeys = Array.from({ length: 6 }, (_, i) => new Wallet(ethers.keccak256(ethers.toUtf8Bytes(`dsx-oracle-${i}`))));
  const { chainId } = await ethers.provider.getNetwork();
  return {
    ...actors, ledger, credit, usdc: deployed.mockUsdc!, ledgerAddress: await ledger.getAddress(),
    chainId: Number(chainId), oracleKeys,
  };
}

/** Signs a usage batch as a partner's oracle would: ethers signTypedData, the spec's domain, sorted by signer. */
export async function signUsageBatch(
  keys: Wallet[], batch: UsageBatch, chainId: number, ledger: string,
): Promise<string[]> {
  const domain = ledgerDomain(chainId, ledger as `0x${string}`);
  return sortSignaturesBySigner(
    await Promise.all(keys.map(async (k) => ({ signer: k.address as Address, signature: (await k.signTypedData(domain, usageBatchTypes, batch)) as Hex }))),
  );
}

/** Signs a revenue report as the revenue oracle would. */
export async function signRevenueReport(
  keys: Wallet[], report: RevenueReport, chainId: number, ledger: string,
): Promise<string[]> {
  const domain = ledgerDomain(chainId, ledger as `0x${string}`);
  return sortSignaturesBySigner(
    await Promise.all(keys.map(async (k) => ({ signer: k.address as Address, signature: (await k.signTypedData(domain, revenueReportTypes, report)) as Hex }))),
  );
}

/** Addresses of `keys` in ascending order (how signer sets are usually registered). */
export function addressesOf(keys: Wallet[]): string[] {
  return keys.map((k) => k.address).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
}

export type { Signer };
