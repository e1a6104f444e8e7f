// The demo's participants as keys of Hardhat's development accounts (public, funded by `hardhat node`),
// and the program's set-up on chain through the sdk's actions (sdk/actions/): partners with their signers and rate cards,
// the revenue signer set, the startups' agreements, acceptances, authorizations and stablecoins.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { HDNodeWallet } from "ethers";
import { keccak256, type Address, type Hex, type PrivateKeyAccount } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { createChainClients } from "../sdk/chain";
import type { Deployment } from "../sdk/deployment";
import { BPS } from "../sdk/shareMath";
import {
  acceptAgreement,
  authorizePartner,
  createAgreement,
  mintSettlement,
  registerPartner,
  scheduleRate,
  setRevenueSigners,
  type LedgerContext,
} from "../sdk";
import { DEMO_ACCOUNTS, DEV_MNEMONIC, PARTNERS, ROLES, STARTUPS, UNIT, type PartnerSpec, type StartupSpec } from "./program";

/** Private keys of the first `count` accounts of {@link DEV_MNEMONIC} (m/44'/60'/0'/0/i). */
export function devKeys(count: number): Hex[] {
  const root = HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, "m/44'/60'/0'/0");
  return Array.from({ length: count }, (_, i) => root.deriveChild(i).privateKey as Hex);
}

/** Everyone in the demo, with the key each one signs with. */
export interface Cast {
  keys: Hex[];
  operator: PrivateKeyAccount;
  treasury: PrivateKeyAccount;
  auditor: PrivateKeyAccount;
  revenueSigners: PrivateKeyAccount[];
  partners: Map<string, { spec: PartnerSpec; wallet: PrivateKeyAccount; signers: PrivateKeyAccount[] }>;
  startups: Map<string, { spec: StartupSpec; wallet: PrivateKeyAccount }>;
}

export function castOf(keys: Hex[] = devKeys(DEMO_ACCOUNTS)): Cast {
  const account = (i: number) => privateKeyToAccount(keys[i]);
  return {
    keys,
    operator: account(ROLES.operator),
    treasury: account(ROLES.treasury),
    auditor: account(ROLES.auditor),
    revenueSigners: ROLES.revenueSigners.map(account),
    partners: new Map(PARTNERS.map((p) => [p.key, { spec: p, wallet: account(p.wallet), signers: p.signers.map(account) }])),
    startups: new Map(STARTUPS.map((s) => [s.key, { spec: s, wallet: account(s.wallet) }])),
  };
}

/** Clients of the local chain that sign with `account` (before there is a deployment). */
export function clientsFor(rpcUrl: string, account: PrivateKeyAccount, chainId = 31337): Omit<LedgerContext, "deployment"> {
  const { publicClient, walletClient } = createChainClients({ rpcUrl, chainId, account });
  return { publicClient, walletClient: walletClient!, account, retry: { attempts: 3, baseDelayMs: 200 } };
}

/** A {@link LedgerContext} that signs with `account`. */
export function contextFor(rpcUrl: string, deployment: Deployment, account: PrivateKeyAccount): LedgerContext {
  return { ...clientsFor(rpcUrl, account, deployment.chainId), deployment };
}

const ascending = (addresses: Address[]) => [...addresses].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));

/** The keccak256 of a startup's terms document (data/sample/terms/<key>.md): its termsHash. */
export function termsHashOf(sampleDir: string, startup: StartupSpec): Hex {
  return keccak256(readFileSync(join(sampleDir, "terms", `${startup.key}.md`)));
}

/** Agreement ids by startup key. */
export type AgreementIds = Map<string, bigint>;

/** The stablecoins each startup starts with (MockUSDC, local chain). */
const STARTING_USDC: Record<string, bigint> = { "helix-labs": 25_000n * UNIT, "quill-ai": 60_000n * UNIT, tessellate: 5_000n * UNIT };

/**
 * Sets up the program on a fresh deployment: partners (signers, payout share, rate cards), the revenue signer
 * set, one agreement per startup (created by the program, accepted by the startup, partners authorized by the
 * startup) and the startups' stablecoins. Returns the agreement ids.
 */
export async function setUpProgram(rpcUrl: string, deployment: Deployment, cast: Cast, sampleDir: string, log: (line: string) => void): Promise<AgreementIds> {
  const program = contextFor(rpcUrl, deployment, cast.operator);
  for (const { spec, wallet, signers } of cast.partners.values()) {
    await registerPartner(program, { partner: wallet.address, signers: ascending(signers.map((s) => s.address)), threshold: spec.threshold, payoutBps: spec.payoutBps });
    for (const rate of spec.rates) {
      await scheduleRate(program, { partner: wallet.address, sku: rate.sku, creditsPerGpuHour: rate.creditsPerGpuHour, effectiveFrom: rate.effectiveFrom });
    }
    log(`registered ${spec.name} (${spec.threshold}-of-${spec.signers.length} oracle signers, payout ${spec.payoutBps / 100} %, ${spec.rates.length} rate entries)`);
  }
  await setRevenueSigners(program, { signers: ascending(cast.revenueSigners.map((s) => s.address)), threshold: ROLES.revenueThreshold });

  const ids: AgreementIds = new Map();
  for (const { spec, wallet } of cast.startups.values()) {
    const { agreementId } = await createAgreement(program, {
      startup: wallet.address,
      creditLimit: spec.creditLimit,
      revenueShareBps: spec.revenueShareBps,
      capMultipleBps: spec.capMultipleBps,
      partnerFirstBps: spec.partnerFirstBps,
      startTime: spec.startTime,
      periods: spec.periods,
      periodDuration: Number(spec.periodDuration),
      gracePeriod: Number(spec.gracePeriod),
      termsHash: termsHashOf(sampleDir, spec),
    });
    ids.set(spec.key, agreementId);
    const startup = contextFor(rpcUrl, deployment, wallet);
    await acceptAgreement(startup, agreementId);
    for (const [partnerKey, auth] of Object.entries(spec.partners)) {
      const partner = cast.partners.get(partnerKey)!;
      await authorizePartner(startup, { agreementId, partner: partner.wallet.address, spendLimit: auth.spendLimit, maxGpus: auth.maxGpus });
    }
    await mintSettlement(program, wallet.address, STARTING_USDC[spec.key] ?? 0n);
    log(
      `agreement ${agreementId}: ${spec.name}, ${Number(spec.creditLimit / UNIT).toLocaleString("en-US")} DSXC, ${spec.revenueShareBps / 100} % of ${spec.base} revenue, ` +
        `cap ${spec.capMultipleBps / Number(BPS)}x, ${spec.partnerFirstBps / 100} % partner-first, ${spec.periods} x ${Number(spec.periodDuration / 86_400n)} days; ` +
        `authorizes ${Object.keys(spec.partners).map((k) => cast.partners.get(k)!.spec.name).join(" and ")}`,
    );
  }
  return ids;
}
