// Drives a real `hardhat node` with viem (sdk/chain) and EIP-712 signatures (sdk/eip712): the ledger
// activity the indexer and the API tests read back.
import { keccak256, type Abi, parseEther, stringToHex, type Address, type Hex, type PrivateKeyAccount } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { mockUsdcAbi, revenueShareLedgerAbi } from "../../../sdk/abis";
import { createChainClients, type ChainClients } from "../../../sdk/chain";
import type { Deployment } from "../../../sdk/config";
import {
  ledgerDomain,
  revenueReportTypes,
  skuToBytes32,
  sortSignaturesBySigner,
  usageBatchId,
  usageBatchTypes,
  type RevenueReport,
  type UsageBatch,
} from "../../../sdk/eip712";
import { NODE_KEYS, nodeRpc, type RunningNode } from "../../helpers/hardhatNode";

export const DAY = 86_400n;
export const HOUR = 3_600n;
export const DSXC = 1_000_000n;
export const H100 = skuToBytes32("h100-sxm");
export const B200 = skuToBytes32("b200");
export const GB300 = skuToBytes32("gb300");

/** Addresses in ascending numeric order (signer sets are given sorted). */
export function sortAddresses(addresses: readonly Address[]): Address[] {
  return [...addresses].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1));
}

/** A contract write: the ABI is the generated one, checked by the node (tests pass literal names). */
interface WriteCall {
  address: Address;
  abi: Abi;
  functionName: string;
  args: readonly unknown[];
}

/** A partner: its address (and the key that sends as it), and its oracle's signing key. */
export interface PartnerActor {
  address: Address;
  wallet: PrivateKeyAccount;
  oracle: PrivateKeyAccount;
}

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

export interface AcceptedLine {
  agreementId: bigint;
  sku: Hex;
  gpuSeconds: bigint;
  credits: bigint;
}

/** A viem-driven actor set on one node: the deployer holds every role. */
export class LedgerDriver {
  readonly admin = privateKeyToAccount(NODE_KEYS[0]);
  readonly payer = privateKeyToAccount(NODE_KEYS[9]);
  readonly revenueOracle = privateKeyToAccount(keccak256(stringToHex("dsx-api-test-revenue-oracle")));
  readonly partnerF: PartnerActor = {
    address: privateKeyToAccount(NODE_KEYS[7]).address,
    wallet: privateKeyToAccount(NODE_KEYS[7]),
    oracle: privateKeyToAccount(keccak256(stringToHex("dsx-api-test-oracle-f"))),
  };
  readonly partnerB: PartnerActor = {
    address: privateKeyToAccount(NODE_KEYS[8]).address,
    wallet: privateKeyToAccount(NODE_KEYS[8]),
    oracle: privateKeyToAccount(keccak256(stringToHex("dsx-api-test-oracle-b"))),
  };
  readonly clients: ChainClients;
  private readonly sequences = new Map<Address, bigint>();

  constructor(
    readonly node: RunningNode,
    readonly deployment: Deployment,
  ) {
    this.clients = createChainClients({ rpcUrl: node.url, chainId: deployment.chainId });
  }

  get publicClient() {
    return this.clients.publicClient;
  }

  /** Sends a ledger (or token) call from `account` and waits for its receipt; throws on a revert. */
  async send(account: PrivateKeyAccount, call: WriteCall): Promise<{ blockNumber: bigint; timestamp: bigint; hash: Hex }> {
    const { walletClient } = createChainClients({ rpcUrl: this.node.url, chainId: this.deployment.chainId, account });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- names are checked by the node, not the compiler
    const hash = await walletClient!.writeContract({ ...call, account, chain: this.clients.chain } as any);
    const receipt = await this.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 });
    if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
    const block = await this.publicClient.getBlock({ blockNumber: receipt.blockNumber });
    return { blockNumber: receipt.blockNumber, timestamp: block.timestamp, hash };
  }

  private ledger(functionName: string, args: readonly unknown[]): WriteCall {
    return { address: this.deployment.ledger, abi: revenueShareLedgerAbi, functionName, args };
  }

  async call(account: PrivateKeyAccount, functionName: string, ...args: unknown[]) {
    return this.send(account, this.ledger(functionName, args));
  }

  async now(): Promise<bigint> {
    return (await this.publicClient.getBlock()).timestamp;
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

  /** Reads a ledger view (at `blockNumber`, else the latest block). */
  async view<T>(functionName: string, args: readonly unknown[] = [], blockNumber?: bigint): Promise<T> {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- names are checked by the node, not the compiler
    return (await this.publicClient.readContract({ address: this.deployment.ledger, abi: revenueShareLedgerAbi, functionName, args, blockNumber } as any)) as T;
  }

  /** Mines the next block at `t` (or later when the chain is already there). */
  async timeTo(t: bigint): Promise<void> {
    const now = await this.now();
    if (t <= now) return;
    await nodeRpc(this.node.url, "evm_setNextBlockTimestamp", [Number(t)]);
    await nodeRpc(this.node.url, "evm_mine");
  }

  /** A fresh wallet with ETH (for another startup). */
  async newWallet(): Promise<PrivateKeyAccount> {
    const account = privateKeyToAccount(generatePrivateKey());
    await nodeRpc(this.node.url, "hardhat_setBalance", [account.address, `0x${parseEther("100").toString(16)}`]);
    return account;
  }

  /** Registers partners F and B, the revenue signer set, and rates from the current hour. */
  async setupProgram(): Promise<void> {
    await this.call(this.admin, "registerPartner", this.partnerF.address, [this.partnerF.oracle.address], 1, 7_000);
    await this.call(this.admin, "registerPartner", this.partnerB.address, [this.partnerB.oracle.address], 1, 8_000);
    await this.call(this.admin, "setRevenueSigners", [this.revenueOracle.address], 1);
    const hour = ((await this.now()) / HOUR) * HOUR;
    await this.call(this.admin, "scheduleRate", this.partnerF.address, H100, 2_500_000n, hour);
    await this.call(this.admin, "scheduleRate", this.partnerF.address, B200, 4_000_000n, hour);
    await this.call(this.admin, "scheduleRate", this.partnerB.address, B200, 5_000_000n, hour);
  }

  /** Creates, accepts and authorizes an agreement for a new wallet; returns its id and startup. */
  async openAgreement(terms: Omit<TermsInput, "startup" | "termsHash">, auth: { f?: [bigint, number]; b?: [bigint, number] } = {}) {
    const startup = await this.newWallet();
    const full: TermsInput = { ...terms, startup: startup.address, termsHash: keccak256(stringToHex(`terms:${startup.address}`)) };
    await this.call(this.admin, "createAgreement", full);
    const id = (await this.publicClient.readContract({ address: this.deployment.ledger, abi: revenueShareLedgerAbi, functionName: "agreementCount" })) as bigint;
    await this.call(startup, "acceptAgreement", id);
    if (auth.f) await this.call(startup, "authorizePartner", id, this.partnerF.address, auth.f[0], auth.f[1]);
    if (auth.b) await this.call(startup, "authorizePartner", id, this.partnerB.address, auth.b[0], auth.b[1]);
    return { id, startup, terms: full };
  }

  /** Signs and submits a usage batch; returns its id and the accepted lines (from UsageRecorded). */
  async usage(partner: PartnerActor, periodStart: bigint, periodEnd: bigint, lines: [bigint, Hex, bigint][], recordsRoot?: Hex) {
    const sequence = this.sequences.get(partner.address) ?? 0n;
    const batch: UsageBatch = {
      partner: partner.address,
      sequence,
      periodStart,
      periodEnd,
      recordsRoot: recordsRoot ?? keccak256(stringToHex(`records:${partner.address}:${sequence}`)),
      lines: lines.map(([agreementId, sku, gpuSeconds]) => ({ agreementId, sku, gpuSeconds })),
    };
    const domain = ledgerDomain(this.deployment.chainId, this.deployment.ledger);
    const signature = await partner.oracle.signTypedData({ domain, types: usageBatchTypes, primaryType: "UsageBatch", message: batch });
    const sent = await this.call(this.admin, "submitUsage", batch, sortSignaturesBySigner([{ signer: partner.oracle.address, signature }]));
    this.sequences.set(partner.address, sequence + 1n);
    const batchId = usageBatchId(partner.address, sequence, periodStart, periodEnd, batch.recordsRoot);
    const logs = await this.publicClient.getContractEvents({
      address: this.deployment.ledger,
      abi: revenueShareLedgerAbi,
      eventName: "UsageRecorded",
      args: { batchId },
      fromBlock: sent.blockNumber,
      toBlock: sent.blockNumber,
    });
    const accepted: AcceptedLine[] = logs.map((l) => ({
      agreementId: l.args.agreementId!,
      sku: l.args.sku!,
      gpuSeconds: l.args.gpuSeconds!,
      credits: l.args.credits!,
    }));
    return { batchId, accepted, ...sent };
  }

  async revenue(id: bigint, periodIndex: number, revenue: bigint, version = 1) {
    const report: RevenueReport = { agreementId: id, periodIndex, revenue, evidenceHash: keccak256(stringToHex(`evidence:${id}:${periodIndex}:${version}`)), version };
    const domain = ledgerDomain(this.deployment.chainId, this.deployment.ledger);
    const signature = await this.revenueOracle.signTypedData({ domain, types: revenueReportTypes, primaryType: "RevenueReport", message: report });
    return this.call(this.admin, "submitRevenue", report, [signature]);
  }

  /** Mints settlement tokens to the payer, approves and pays. */
  async pay(id: bigint, amount: bigint) {
    await this.send(this.admin, { address: this.deployment.settlementToken, abi: mockUsdcAbi, functionName: "mint", args: [this.payer.address, amount] });
    await this.send(this.payer, { address: this.deployment.settlementToken, abi: mockUsdcAbi, functionName: "approve", args: [this.deployment.ledger, amount] });
    return this.call(this.payer, "pay", id, amount);
  }
}
