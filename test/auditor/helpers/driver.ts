// Drives a ledger on a real `hardhat node` with viem, for the auditor's tests and benchmark: deployment from the
// Hardhat artifacts (optionally linking a doctored library from contracts/test/ in place of a real one, or using a
// hostile settlement token), and one method per ledger action, each mined in its own block.
import fs from "node:fs";
import path from "node:path";
import {
  createPublicClient, createWalletClient, defineChain, encodeFunctionData, getAddress, http, keccak256, stringToBytes,
  type Abi, type Account, type Address, type Chain, type Hex, type PublicClient, type TransactionReceipt, type WalletClient,
} from "viem";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { revenueShareLedgerAbi, mockUsdcAbi } from "../../../sdk/abis";
import { ledgerDomain, revenueReportTypes, sortSignaturesBySigner, usageBatchTypes, type RevenueReport, type UsageBatch } from "../../../sdk/eip712";
import { NODE_KEYS, nodeRpc, type RunningNode } from "../../helpers/hardhatNode";

const ROOT = path.join(__dirname, "..", "..", "..");
const LIBRARIES = ["AgreementLogic", "PartnerLogic", "RevenueLogic", "SettlementLogic", "ProgramLogic", "LedgerViews"] as const;
export type LibraryName = (typeof LIBRARIES)[number];

export const DAY = 86_400n;
export const HOUR = 3_600n;
export const UNIT = 1_000_000n;
export const CONSTANTS = { disputeWindow: 3n * DAY, rateNotice: 7n * DAY, authNotice: 7n * DAY, reportingGrace: 7n * DAY };

interface Artifact {
  abi: Abi;
  bytecode: Hex;
  linkReferences: Record<string, Record<string, { start: number; length: number }[]>>;
}

const artifactCache = new Map<string, Artifact>();
/** Finds `name`'s artifact anywhere under artifacts/contracts. */
export function artifact(name: string): Artifact {
  const cached = artifactCache.get(name);
  if (cached) return cached;
  const search = (dir: string): string | undefined => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        const found = search(p);
        if (found) return found;
      } else if (entry.name === `${name}.json`) return p;
    }
    return undefined;
  };
  const file = search(path.join(ROOT, "artifacts", "contracts"));
  if (!file) throw new Error(`No artifact for ${name}: run npx hardhat compile.`);
  const a = JSON.parse(fs.readFileSync(file, "utf8")) as Artifact;
  artifactCache.set(name, a);
  return a;
}

function link(a: Artifact, addresses: Record<string, Address>): Hex {
  let code = a.bytecode.slice(2);
  for (const libs of Object.values(a.linkReferences)) {
    for (const [lib, refs] of Object.entries(libs)) {
      const address = addresses[lib];
      if (!address) throw new Error(`No address to link ${lib}.`);
      for (const { start, length } of refs) code = code.slice(0, start * 2) + address.slice(2).toLowerCase() + code.slice((start + length) * 2);
    }
  }
  return `0x${code}`;
}

/** The hardhat node's chain (31337). */
export function localChain(url: string): Chain {
  return defineChain({ id: 31337, name: "hardhat", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [url] } } });
}

export interface DeployOptions {
  /** Replace a real library by a doctored one (its artifact name). */
  libraries?: Partial<Record<LibraryName, string>>;
  /** The settlement token: MockUSDC (default) or a FeeOnTransferToken burning `feeBps`. */
  feeOnTransferBps?: bigint;
}

/** Terms as the ledger takes them. */
export interface TermsInput {
  startup: Address;
  creditLimit: bigint;
  revenueShareBps: number;
  capMultipleBps: number;
  partnerFirstBps: number;
  startTime: bigint;
  endTime: bigint;
  periodDuration: number;
  gracePeriod: number;
  termsHash: Hex;
}

/** A ledger deployed on a node, and the actions to drive it. */
export class LedgerDriver {
  readonly publicClient: PublicClient;
  readonly chain: Chain;
  readonly admin: PrivateKeyAccount;
  readonly treasury: Address;
  ledger!: Address;
  credit!: Address;
  usdc!: Address;
  deploymentBlock!: bigint;
  private wallets = new Map<string, WalletClient>();

  constructor(readonly node: RunningNode) {
    this.chain = localChain(node.url);
    this.publicClient = createPublicClient({ chain: this.chain, transport: http(node.url, { retryCount: 0 }) }) as PublicClient;
    this.admin = privateKeyToAccount(NODE_KEYS[0]);
    this.treasury = privateKeyToAccount(NODE_KEYS[9]).address;
  }

  /** Deploys libraries (real or doctored), the settlement token and the ledger; grants PROGRAM, AUDITOR, PAUSER to the admin. */
  static async deploy(node: RunningNode, options: DeployOptions = {}): Promise<LedgerDriver> {
    const d = new LedgerDriver(node);
    d.deploymentBlock = (await d.publicClient.getBlockNumber()) + 1n;
    d.usdc = options.feeOnTransferBps !== undefined
      ? await d.deployContract("FeeOnTransferToken", [options.feeOnTransferBps])
      : await d.deployContract("MockUSDC", []);
    const libs: Record<string, Address> = {};
    for (const name of LIBRARIES) libs[name] = await d.deployContract(options.libraries?.[name] ?? name, []);
    const ledgerArtifact = artifact("RevenueShareLedger");
    d.ledger = await d.deployBytecode(link(ledgerArtifact, libs), ledgerArtifact.abi, [
      d.admin.address, d.usdc, d.treasury, CONSTANTS.disputeWindow, CONSTANTS.rateNotice, CONSTANTS.authNotice, CONSTANTS.reportingGrace,
    ]);
    d.credit = (await d.publicClient.readContract({ address: d.ledger, abi: revenueShareLedgerAbi, functionName: "credit" })) as Address;
    for (const role of ["PROGRAM_ROLE", "AUDITOR_ROLE", "PAUSER_ROLE"] as const) {
      await d.send(d.admin, "grantRole", [keccak256(stringToBytes(role)), d.admin.address]);
    }
    return d;
  }

  private wallet(account: Account): WalletClient {
    let w = this.wallets.get(account.address);
    if (!w) this.wallets.set(account.address, (w = createWalletClient({ account, chain: this.chain, transport: http(this.node.url, { retryCount: 0 }) })));
    return w;
  }

  private async deployContract(name: string, args: unknown[]): Promise<Address> {
    const a = artifact(name);
    return this.deployBytecode(a.bytecode, a.abi, args);
  }

  private async deployBytecode(bytecode: Hex, abi: Abi, args: unknown[]): Promise<Address> {
    const hash = await this.wallet(this.admin).deployContract({ abi, bytecode, args, account: this.admin, chain: this.chain });
    const receipt = await this.publicClient.getTransactionReceipt({ hash });
    if (receipt.status !== "success" || !receipt.contractAddress) throw new Error(`deployment failed: ${hash}`);
    return getAddress(receipt.contractAddress);
  }

  /** Sends a ledger call from `account` and returns its (successful) receipt. */
  async send(account: Account, functionName: string, args: readonly unknown[], to: Address = this.ledger, abi: Abi = revenueShareLedgerAbi as Abi): Promise<TransactionReceipt> {
    const data = encodeFunctionData({ abi, functionName, args });
    const hash = await this.wallet(account).sendTransaction({ account, chain: this.chain, to, data });
    const receipt = await this.publicClient.getTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${functionName} reverted (${hash})`);
    return receipt;
  }

  /** Calls a ledger view. */
  async read<T>(functionName: string, args: readonly unknown[] = []): Promise<T> {
    return (await this.publicClient.readContract({ address: this.ledger, abi: revenueShareLedgerAbi as Abi, functionName, args })) as T;
  }

  // ------------------------------------------------------------------ time and accounts
  async now(): Promise<bigint> {
    return (await this.publicClient.getBlock()).timestamp;
  }

  /** The next block is mined at `t` (which must be later than the latest block). */
  async at(t: bigint): Promise<void> {
    await nodeRpc(this.node.url, "evm_setNextBlockTimestamp", [Number(t)]);
  }

  /** Mines an empty block at `t`. */
  async mineAt(t: bigint): Promise<void> {
    await this.at(t);
    await nodeRpc(this.node.url, "evm_mine");
  }

  /** A fresh account with 100 ETH. */
  async newAccount(): Promise<PrivateKeyAccount> {
    const account = privateKeyToAccount(generatePrivateKey());
    await nodeRpc(this.node.url, "hardhat_setBalance", [account.address, "0x56BC75E2D63100000"]);
    return account;
  }

  /** A deterministic signer key (never funded: oracles only sign). */
  static signer(label: string): PrivateKeyAccount {
    return privateKeyToAccount(keccak256(stringToBytes(`auditor-test-signer:${label}`)));
  }

  // ------------------------------------------------------------------ program
  registerPartner(partner: Address, signers: PrivateKeyAccount[], threshold: number, payoutBps: number): Promise<TransactionReceipt> {
    return this.send(this.admin, "registerPartner", [partner, sortAddresses(signers.map((s) => s.address)), threshold, payoutBps]);
  }
  scheduleRate(partner: Address, sku: Hex, rate: bigint, from: bigint): Promise<TransactionReceipt> {
    return this.send(this.admin, "scheduleRate", [partner, sku, rate, from]);
  }
  setRevenueSigners(signers: PrivateKeyAccount[], threshold: number): Promise<TransactionReceipt> {
    return this.send(this.admin, "setRevenueSigners", [sortAddresses(signers.map((s) => s.address)), threshold]);
  }
  async createAgreement(terms: TermsInput): Promise<bigint> {
    await this.send(this.admin, "createAgreement", [terms]);
    return this.read<bigint>("agreementCount");
  }
  accept(startup: Account, id: bigint): Promise<TransactionReceipt> {
    return this.send(startup, "acceptAgreement", [id]);
  }
  authorize(startup: Account, id: bigint, partner: Address, spendLimit: bigint, maxGpus: number): Promise<TransactionReceipt> {
    return this.send(startup, "authorizePartner", [id, partner, spendLimit, maxGpus]);
  }

  // ------------------------------------------------------------------ usage
  async sign<T extends "UsageBatch" | "RevenueReport">(keys: PrivateKeyAccount[], primaryType: T, message: T extends "UsageBatch" ? UsageBatch : RevenueReport): Promise<Hex[]> {
    const domain = ledgerDomain(31337, this.ledger);
    const types = primaryType === "UsageBatch" ? usageBatchTypes : revenueReportTypes;
    const signed = await Promise.all(keys.map(async (k) => ({
      signer: k.address,
      signature: await k.signTypedData({ domain, types, primaryType, message } as never),
    })));
    return sortSignaturesBySigner(signed);
  }
  async submitUsage(batch: UsageBatch, keys: PrivateKeyAccount[], relayer: Account = this.admin): Promise<TransactionReceipt> {
    return this.send(relayer, "submitUsage", [batch, await this.sign(keys, "UsageBatch", batch)]);
  }
  async nextSequence(partner: Address): Promise<bigint> {
    return (await this.read<{ nextSequence: bigint }>("partner", [partner])).nextSequence;
  }

  // ------------------------------------------------------------------ revenue
  async submitRevenue(report: RevenueReport, keys: PrivateKeyAccount[]): Promise<TransactionReceipt> {
    return this.send(this.admin, "submitRevenue", [report, await this.sign(keys, "RevenueReport", report)]);
  }
  finalize(id: bigint, k: number): Promise<TransactionReceipt> {
    return this.send(this.admin, "finalizeRevenue", [id, k]);
  }

  // ------------------------------------------------------------------ money
  async fund(payer: Account, amount: bigint): Promise<void> {
    await this.send(this.admin, "mint", [payer.address, amount], this.usdc, mockUsdcAbi as Abi);
    await this.send(payer, "approve", [this.ledger, amount], this.usdc, mockUsdcAbi as Abi);
  }
  async pay(payer: Account, id: bigint, amount: bigint): Promise<TransactionReceipt> {
    await this.fund(payer, amount);
    return this.send(payer, "pay", [id, amount]);
  }
  claim(beneficiary: Address): Promise<TransactionReceipt> {
    return this.send(this.admin, "claim", [beneficiary]);
  }
  claimProgram(): Promise<TransactionReceipt> {
    return this.send(this.admin, "claimProgram", []);
  }
  /** Sends settlement tokens straight to the ledger (outside any payment). */
  async donate(amount: bigint): Promise<void> {
    await this.send(this.admin, "mint", [this.ledger, amount], this.usdc, mockUsdcAbi as Abi);
  }
}

export function sortAddresses(list: Address[]): Address[] {
  return [...list].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
}
