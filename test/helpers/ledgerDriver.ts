// Drives a ledger on a real `hardhat node` with viem (sdk/chain) and EIP-712 signatures (sdk/eip712), for the
// auditor's, the API's and the dashboard's tests and the benchmarks: one method per ledger action, each mined in its
// own block, and a ready-made program (partners F and B, a revenue oracle, standard terms) for activity runs.
import {
  createWalletClient, encodeFunctionData, http, keccak256, parseEther, parseEventLogs, stringToBytes,
  type Abi, type Account, type Address, type Chain, type Hex, type PublicClient, type TransactionReceipt, type Transport, type WalletClient,
} from "viem";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { mockUsdcAbi, revenueShareLedgerAbi } from "../../sdk/abis";
import { createChainClients } from "../../sdk/chain";
import type { Deployment } from "../../sdk/deployment";
import type { AgreementTerms } from "../../sdk/types";
import {
  ledgerDomain, revenueReportTypes, skuToBytes32, sortSignaturesBySigner, usageBatchId, usageBatchTypes, type RevenueReport, type UsageBatch,
} from "../../sdk/eip712";
import { UNIT } from "../../sdk/units";
import { deployFromArtifacts, type DeployOptions } from "./artifactDeploy";
import { NODE_KEYS, nodeRpc, type RunningNode } from "./hardhatNode";

export const DAY = 86_400n;
export const HOUR = 3_600n;
/** One DSXC (6 decimals, like the settlement token). */
export const DSXC = UNIT;
export const H100 = skuToBytes32("h100-sxm");
export const B200 = skuToBytes32("b200");
export const GB300 = skuToBytes32("gb300");

/** Addresses in ascending numeric order (signer sets are given sorted). */
export function sortAddresses(addresses: readonly Address[]): Address[] {
  return [...addresses].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1));
}

/** A partner: its address (and the key that sends as it), and its oracle's signing key. */
export interface PartnerActor {
  address: Address;
  wallet: PrivateKeyAccount;
  oracle: PrivateKeyAccount;
}

/** Terms as the ledger takes them. */
export type TermsInput = AgreementTerms;

/** A usage line the ledger accepted (its UsageRecorded event). */
export interface AcceptedLine {
  agreementId: bigint;
  sku: Hex;
  gpuSeconds: bigint;
  credits: bigint;
}

/** A contract write: the ABI is the generated one, the function name is checked by the node (tests pass literal names). */
interface WriteCall {
  address: Address;
  abi: Abi;
  functionName: string;
  args: readonly unknown[];
}

const keyOf = (seed: string): PrivateKeyAccount => privateKeyToAccount(keccak256(stringToBytes(seed)));
const partnerActor = (wallet: PrivateKeyAccount, oracleSeed: string): PartnerActor => ({ address: wallet.address, wallet, oracle: keyOf(oracleSeed) });

/** A ledger deployed on a node and the actions to drive it; the admin (the node's first account) holds every role. */
export class LedgerDriver {
  readonly admin = privateKeyToAccount(NODE_KEYS[0]);
  /** Pays for {@link LedgerDriver.pay}'s two-argument form. */
  readonly payer = privateKeyToAccount(NODE_KEYS[9]);
  readonly revenueOracle = keyOf("dsx-api-test-revenue-oracle");
  readonly partnerF = partnerActor(privateKeyToAccount(NODE_KEYS[7]), "dsx-api-test-oracle-f");
  readonly partnerB = partnerActor(privateKeyToAccount(NODE_KEYS[8]), "dsx-api-test-oracle-b");
  readonly chain: Chain;
  readonly publicClient: PublicClient<Transport, Chain>;
  private readonly wallets = new Map<Address, WalletClient<Transport, Chain, Account>>();

  constructor(
    readonly node: RunningNode,
    readonly deployment: Deployment,
  ) {
    ({ chain: this.chain, publicClient: this.publicClient } = createChainClients({ rpcUrl: node.url, chainId: deployment.chainId }));
  }

  /**
   * Deploys from the artifacts (real or doctored build, see {@link DeployOptions}) with the treasury at the node's
   * tenth account, and grants PROGRAM, AUDITOR and PAUSER to the admin.
   */
  static async deploy(node: RunningNode, options: DeployOptions = {}): Promise<LedgerDriver> {
    const admin = privateKeyToAccount(NODE_KEYS[0]);
    const d = new LedgerDriver(node, await deployFromArtifacts(node, admin, privateKeyToAccount(NODE_KEYS[9]).address, options));
    for (const role of ["PROGRAM_ROLE", "AUDITOR_ROLE", "PAUSER_ROLE"]) await d.call(d.admin, "grantRole", keccak256(stringToBytes(role)), d.admin.address);
    return d;
  }

  get ledger(): Address {
    return this.deployment.ledger;
  }
  get credit(): Address {
    return this.deployment.credit;
  }
  /** The settlement token. */
  get usdc(): Address {
    return this.deployment.settlementToken;
  }
  get treasury(): Address {
    return this.deployment.treasury;
  }
  get deploymentBlock(): bigint {
    return BigInt(this.deployment.deploymentBlock);
  }

  private wallet(account: Account): WalletClient<Transport, Chain, Account> {
    let w = this.wallets.get(account.address);
    if (!w) this.wallets.set(account.address, (w = createWalletClient({ account, chain: this.chain, transport: http(this.node.url, { retryCount: 0 }) })));
    return w;
  }

  /** Sends `call` from `account` and returns its receipt; throws on a revert. */
  private async send(account: Account, { address, abi, functionName, args }: WriteCall): Promise<TransactionReceipt> {
    const data = encodeFunctionData({ abi, functionName, args });
    const hash = await this.wallet(account).sendTransaction({ to: address, data });
    // the node mines each transaction as it arrives: the receipt is there
    const receipt = await this.publicClient.getTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${functionName} reverted (${hash})`);
    return receipt;
  }

  /** Sends a ledger call from `account` and returns its receipt; throws on a revert. */
  call(account: Account, functionName: string, ...args: unknown[]): Promise<TransactionReceipt> {
    return this.send(account, { address: this.ledger, abi: revenueShareLedgerAbi, functionName, args });
  }

  /** Reads a ledger view (at `blockNumber`, else the latest block). */
  async view<T>(functionName: string, args: readonly unknown[] = [], blockNumber?: bigint): Promise<T> {
    const abi = revenueShareLedgerAbi as Abi; // names are checked by the node, not the compiler
    return (await this.publicClient.readContract({ address: this.ledger, abi, functionName, args, blockNumber })) as T;
  }

  // ------------------------------------------------------------------ time and accounts
  async now(): Promise<bigint> {
    return (await this.publicClient.getBlock()).timestamp;
  }

  /** The next block is mined at `t` (which must be later than the latest block). */
  async at(t: bigint): Promise<void> {
    await nodeRpc(this.node.url, "evm_setNextBlockTimestamp", [Number(t)]);
  }

  /** Mines the next block at `t` (nothing when the chain is already there). */
  async timeTo(t: bigint): Promise<void> {
    if (t <= (await this.now())) return;
    await this.at(t);
    await nodeRpc(this.node.url, "evm_mine");
  }

  /**
   * Moves the chain's clock at least `seconds` past the latest block with evm_increaseTime and mines a block there
   * (the node's clock may run behind the latest block after blocks mined at set times: then it moves again).
   */
  async increaseTime(seconds: bigint): Promise<{ blockNumber: bigint; timestamp: bigint }> {
    const target = (await this.now()) + seconds;
    let step = seconds;
    for (;;) {
      await nodeRpc(this.node.url, "evm_increaseTime", [Number(step)]);
      await nodeRpc(this.node.url, "evm_mine");
      const block = await this.publicClient.getBlock();
      if (block.timestamp >= target) return { blockNumber: block.number, timestamp: block.timestamp };
      step = target - block.timestamp;
    }
  }

  /** A fresh account with 100 ETH. */
  async newWallet(): Promise<PrivateKeyAccount> {
    const account = privateKeyToAccount(generatePrivateKey());
    await nodeRpc(this.node.url, "hardhat_setBalance", [account.address, `0x${parseEther("100").toString(16)}`]);
    return account;
  }

  /** A deterministic signer key (never funded: oracles only sign). */
  static signer(label: string): PrivateKeyAccount {
    return keyOf(`auditor-test-signer:${label}`);
  }

  // ------------------------------------------------------------------ program
  registerPartner(partner: Address, signers: PrivateKeyAccount[], threshold: number, payoutBps: number): Promise<TransactionReceipt> {
    return this.call(this.admin, "registerPartner", partner, sortAddresses(signers.map((s) => s.address)), threshold, payoutBps);
  }
  scheduleRate(partner: Address, sku: Hex, rate: bigint, from: bigint): Promise<TransactionReceipt> {
    return this.call(this.admin, "scheduleRate", partner, sku, rate, from);
  }
  setRevenueSigners(signers: PrivateKeyAccount[], threshold: number): Promise<TransactionReceipt> {
    return this.call(this.admin, "setRevenueSigners", sortAddresses(signers.map((s) => s.address)), threshold);
  }
  /** Sets a partner's signer set: sent by the partner (`from` its account) it is in force at once, by PROGRAM (the admin) it is proposed. */
  setPartnerSigners(from: Account, partner: Address, signers: PrivateKeyAccount[], threshold: number): Promise<TransactionReceipt> {
    return this.call(from, "setPartnerSigners", partner, sortAddresses(signers.map((s) => s.address)), threshold);
  }
  /** Creates an agreement; returns its id. */
  async createAgreement(terms: TermsInput): Promise<bigint> {
    await this.call(this.admin, "createAgreement", terms);
    return this.view<bigint>("agreementCount");
  }
  accept(startup: Account, id: bigint): Promise<TransactionReceipt> {
    return this.call(startup, "acceptAgreement", id);
  }
  authorize(startup: Account, id: bigint, partner: Address, spendLimit: bigint, maxGpus: number): Promise<TransactionReceipt> {
    return this.call(startup, "authorizePartner", id, partner, spendLimit, maxGpus);
  }

  // ------------------------------------------------------------------ oracles
  /** The EIP-712 signatures of `keys` on `message`, sorted by signer. */
  async sign<T extends "UsageBatch" | "RevenueReport">(keys: PrivateKeyAccount[], primaryType: T, message: T extends "UsageBatch" ? UsageBatch : RevenueReport): Promise<Hex[]> {
    const domain = ledgerDomain(this.deployment.chainId, this.ledger);
    const types = primaryType === "UsageBatch" ? usageBatchTypes : revenueReportTypes;
    const signed = await Promise.all(keys.map(async (k) => ({
      signer: k.address,
      signature: await k.signTypedData({ domain, types, primaryType, message } as never),
    })));
    return sortSignaturesBySigner(signed);
  }
  async submitUsage(batch: UsageBatch, keys: PrivateKeyAccount[], relayer: Account = this.admin): Promise<TransactionReceipt> {
    return this.call(relayer, "submitUsage", batch, await this.sign(keys, "UsageBatch", batch));
  }
  async nextSequence(partner: Address): Promise<bigint> {
    return (await this.view<{ nextSequence: bigint }>("partner", [partner])).nextSequence;
  }
  /** The lines a usage submission's receipt shows accepted (UsageRecorded), in batch order. */
  acceptedLines(receipt: TransactionReceipt): AcceptedLine[] {
    const logs = receipt.logs.filter((log) => log.address.toLowerCase() === this.ledger.toLowerCase());
    return parseEventLogs({ abi: revenueShareLedgerAbi, logs, eventName: "UsageRecorded" }).map(({ args }) => ({
      agreementId: args.agreementId, sku: args.sku, gpuSeconds: args.gpuSeconds, credits: args.credits,
    }));
  }
  async submitRevenue(report: RevenueReport, keys: PrivateKeyAccount[]): Promise<TransactionReceipt> {
    return this.call(this.admin, "submitRevenue", report, await this.sign(keys, "RevenueReport", report));
  }
  finalize(id: bigint, k: number): Promise<TransactionReceipt> {
    return this.call(this.admin, "finalizeRevenue", id, k);
  }

  // ------------------------------------------------------------------ money
  /** Mints settlement tokens to `payer` and approves the ledger for them. */
  async fund(payer: Account, amount: bigint): Promise<void> {
    await this.send(this.admin, { address: this.usdc, abi: mockUsdcAbi, functionName: "mint", args: [payer.address, amount] });
    await this.send(payer, { address: this.usdc, abi: mockUsdcAbi, functionName: "approve", args: [this.ledger, amount] });
  }
  /** Funds `payer` (default {@link LedgerDriver.payer}) with `amount` and pays it to agreement `id`. */
  pay(id: bigint, amount: bigint): Promise<TransactionReceipt>;
  pay(payer: Account, id: bigint, amount: bigint): Promise<TransactionReceipt>;
  async pay(...args: [bigint, bigint] | [Account, bigint, bigint]): Promise<TransactionReceipt> {
    const [payer, id, amount] = args.length === 2 ? [this.payer, ...args] : args;
    await this.fund(payer, amount);
    return this.call(payer, "pay", id, amount);
  }
  claim(beneficiary: Address): Promise<TransactionReceipt> {
    return this.call(this.admin, "claim", beneficiary);
  }
  claimProgram(): Promise<TransactionReceipt> {
    return this.call(this.admin, "claimProgram");
  }
  /** Sends settlement tokens straight to the ledger (outside any payment). */
  async donate(amount: bigint): Promise<void> {
    await this.send(this.admin, { address: this.usdc, abi: mockUsdcAbi, functionName: "mint", args: [this.ledger, amount] });
  }

  // ------------------------------------------------------------------ a ready-made program (partners F and B)
  /** Registers partners F and B, the revenue signer set, and rates from the current hour. */
  async setupProgram(): Promise<void> {
    await this.registerPartner(this.partnerF.address, [this.partnerF.oracle], 1, 7_000);
    await this.registerPartner(this.partnerB.address, [this.partnerB.oracle], 1, 8_000);
    await this.setRevenueSigners([this.revenueOracle], 1);
    const hour = ((await this.now()) / HOUR) * HOUR;
    await this.scheduleRate(this.partnerF.address, H100, 2_500_000n, hour);
    await this.scheduleRate(this.partnerF.address, B200, 4_000_000n, hour);
    await this.scheduleRate(this.partnerB.address, B200, 5_000_000n, hour);
  }

  /**
   * The tests' usual terms: 100 000 DSXC, 8 % of revenue up to 1.5×, 60 % to partners first, `periods` periods of
   * 30 days from the next UTC midnight of the chain, 15 days' grace.
   */
  async standardTerms(periods = 4n): Promise<Omit<TermsInput, "startup" | "termsHash">> {
    const start = ((await this.now()) / DAY) * DAY + DAY;
    const period = 30n * DAY;
    return {
      creditLimit: 100_000n * DSXC,
      revenueShareBps: 800,
      capMultipleBps: 15_000,
      partnerFirstBps: 6_000,
      startTime: start,
      endTime: start + periods * period,
      periodDuration: Number(period),
      gracePeriod: Number(15n * DAY),
    };
  }

  /** Creates, accepts and authorizes (F and/or B: [spendLimit, maxGpus]) an agreement for a new wallet. */
  async openAgreement(terms: Omit<TermsInput, "startup" | "termsHash">, auth: { f?: [bigint, number]; b?: [bigint, number] } = {}) {
    const startup = await this.newWallet();
    const full: TermsInput = { ...terms, startup: startup.address, termsHash: keccak256(stringToBytes(`terms:${startup.address}`)) };
    const id = await this.createAgreement(full);
    await this.accept(startup, id);
    if (auth.f) await this.authorize(startup, id, this.partnerF.address, ...auth.f);
    if (auth.b) await this.authorize(startup, id, this.partnerB.address, ...auth.b);
    return { id, startup, terms: full };
  }

  /** Signs (by the partner's oracle) and submits a usage batch of [agreementId, sku, gpuSeconds] lines at the partner's next sequence. */
  async usage(partner: PartnerActor, periodStart: bigint, periodEnd: bigint, lines: [bigint, Hex, bigint][], recordsRoot?: Hex) {
    const sequence = await this.nextSequence(partner.address);
    const batch: UsageBatch = {
      partner: partner.address,
      sequence,
      periodStart,
      periodEnd,
      recordsRoot: recordsRoot ?? keccak256(stringToBytes(`records:${partner.address}:${sequence}`)),
      lines: lines.map(([agreementId, sku, gpuSeconds]) => ({ agreementId, sku, gpuSeconds })),
    };
    const receipt = await this.submitUsage(batch, [partner.oracle]);
    const batchId = usageBatchId(partner.address, sequence, periodStart, periodEnd, batch.recordsRoot);
    return { batchId, accepted: this.acceptedLines(receipt), blockNumber: receipt.blockNumber, receipt };
  }

  /** Signs (by the revenue oracle) and submits a revenue report. */
  revenue(id: bigint, periodIndex: number, revenue: bigint, version = 1): Promise<TransactionReceipt> {
    const report: RevenueReport = { agreementId: id, periodIndex, revenue, evidenceHash: keccak256(stringToBytes(`evidence:${id}:${periodIndex}:${version}`)), version };
    return this.submitRevenue(report, [this.revenueOracle]);
  }
}
