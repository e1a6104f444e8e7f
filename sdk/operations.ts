// Every state-changing ledger operation a participant performs, one typed viem function each (SERVICES §6).
// Each simulates first, so a refusal is reported before anything is sent, as one line naming the ledger's
// custom error, its values and the fix; then it sends, waits for the receipt and returns what the caller
// needs (the new agreement id, the amount applied, the amount claimed, …) decoded from the events.
//
// Amounts: a `bigint` is exact 6-decimal base units; a `string` is a human decimal ("1250.5") converted
// exactly by `parseUnits6`. Never a float.
import { readFileSync, statSync } from "node:fs";
import {
  getAddress,
  hashDomain,
  isAddress,
  isHex,
  keccak256,
  parseEventLogs,
  parseSignature,
  stringToHex,
  zeroAddress,
  zeroHash,
  type Account,
  type Address,
  type Chain,
  type ContractEventName,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
  type Transport,
  type WalletClient,
} from "viem";
import { mockUsdcAbi, revenueShareLedgerAbi } from "./abis";
import { createChainClients, withRetry, type RetryOptions } from "./chain";
import { deploymentSchema, loadDeployment, type Deployment } from "./config";
import {
  ConfigError,
  DsxError,
  FatalError,
  LedgerRevertError,
  ValidationError,
  agreementStatusName,
  describeError,
  revenueStateName,
  usageDisputeStateName,
} from "./errors";
import { skuToBytes32 } from "./eip712";
import { LOCAL_CHAIN_ID, loadAccount } from "./keys";
import { formatUnits6, parseUnits6 } from "./units";

// ------------------------------------------------------------------------------------------------
//                                           CONTEXT
// ------------------------------------------------------------------------------------------------

/** What every operation needs: clients for one chain, the signing account and the deployment. */
export interface LedgerContext {
  publicClient: PublicClient<Transport, Chain>;
  walletClient: WalletClient<Transport, Chain, Account>;
  account: Account;
  deployment: Deployment;
  /** Retries of reads and receipt waits on transient RPC failures (never of the send itself). */
  retry?: RetryOptions;
  /** Receipt wait timeout; default 120 s. */
  receiptTimeoutMs?: number;
}

/** Options of {@link openLedgerContext}. */
export interface OpenLedgerContextOptions {
  rpcUrl: string;
  /** A deployment file, or a folder holding `<chainId>.json`; or the parsed deployment. */
  deployment: string | Deployment;
  /** Expected chain id; default the deployment file's, or the node's. Checked against the node. */
  chainId?: number;
  /** An encrypted keystore (password from `passwordEnv`, default DSX_KEYSTORE_PASSWORD) … */
  keystore?: string;
  passwordEnv?: string;
  /** … or a raw private key, accepted on chain 31337 only; or a ready viem account. */
  privateKey?: string;
  account?: Account;
  retry?: RetryOptions;
}

/**
 * Reads a deployment from a file (any name) or from `<dir>/<chainId>.json`.
 * @example const deployment = readDeployment("deployments", 31337);
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
  let input: unknown;
  try {
    input = JSON.parse(readFileSync(fileOrDir, "utf8"));
  } catch (cause) {
    throw new ConfigError("deployment", `Deployment file ${fileOrDir} is not valid JSON.`, { fix: "Point to the file written by dsx deploy.", cause });
  }
  const parsed = deploymentSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError("deployment", `Deployment file ${fileOrDir} is invalid at ${issue.path.join(".") || "(root)"}: ${issue.message}.`, {
      fix: "Point to the file written by dsx deploy.",
    });
  }
  if (chainId !== undefined && parsed.data.chainId !== chainId) {
    throw new ConfigError("chainId", `Deployment file ${fileOrDir} is for chain ${parsed.data.chainId}, not ${chainId}.`, {
      fix: `Use the file for chain ${chainId} or connect to chain ${parsed.data.chainId}.`,
    });
  }
  return parsed.data;
}

/**
 * Connects to a node, checks its chain id, loads the deployment and the key (SERVICES §1) and returns a
 * {@link LedgerContext}.
 * @example
 * const ctx = await openLedgerContext({ rpcUrl: "http://127.0.0.1:8545", deployment: "deployments", privateKey: NODE_KEYS[0] });
 */
export async function openLedgerContext(options: OpenLedgerContextOptions): Promise<LedgerContext> {
  const nodeChainId = await nodeChainIdOf(options.rpcUrl, options.retry);
  if (options.chainId !== undefined && options.chainId !== nodeChainId) {
    throw new ConfigError("chainId", `The node at ${options.rpcUrl} is chain ${nodeChainId}, not ${options.chainId}.`, {
      fix: "Pass the right --chain-id or --rpc-url.",
    });
  }
  const deployment = typeof options.deployment === "string" ? readDeployment(options.deployment, nodeChainId) : options.deployment;
  if (deployment.chainId !== nodeChainId) {
    throw new ConfigError("chainId", `The deployment is for chain ${deployment.chainId} but the node at ${options.rpcUrl} is chain ${nodeChainId}.`, {
      fix: "Point --rpc-url and --deployment at the same chain.",
    });
  }
  const account =
    options.account ??
    (await loadAccount({ chainId: nodeChainId, keystore: options.keystore, passwordEnv: options.passwordEnv, privateKey: options.privateKey }));
  const { publicClient, walletClient } = createChainClients({ rpcUrl: options.rpcUrl, chainId: nodeChainId, account });
  return { publicClient, walletClient: walletClient!, account, deployment, retry: options.retry };
}

/** The chain id the node at `rpcUrl` reports; a dead endpoint is one line with the fix. */
export async function nodeChainIdOf(rpcUrl: string, retry: RetryOptions = { attempts: 3 }): Promise<number> {
  const { publicClient } = createChainClients({ rpcUrl, chainId: 1, timeoutMs: 10_000 });
  try {
    return await withRetry(() => publicClient.getChainId(), retry);
  } catch (cause) {
    throw new ConfigError("rpcUrl", `No JSON-RPC node answers at ${rpcUrl}.`, {
      fix: "Start the node or pass the right --rpc-url (env DSX_RPC_URL).",
      cause,
    });
  }
}

// ------------------------------------------------------------------------------------------------
//                                       VALUES AND ERRORS
// ------------------------------------------------------------------------------------------------

/** An amount: `bigint` base units (6 decimals) or a human decimal string such as "1250.5". */
export type Amount = bigint | string;

/** Converts an {@link Amount} to base units; a negative amount is refused. */
export function toUnits(amount: Amount, what = "Amount"): bigint {
  if (typeof amount === "bigint") {
    if (amount < 0n) throw new ValidationError(`${what} ${amount} is negative.`, { fix: "Give an amount of 0 or more." });
    return amount;
  }
  try {
    return parseUnits6(amount, { allowNegative: false });
  } catch (err) {
    if (err instanceof DsxError) throw new ValidationError(`${what}: ${err.shortMessage}`, { fix: err.fix });
    throw err;
  }
}

/**
 * A bytes32 reason or report hash: a 0x-prefixed 32-byte hex value as is, any other text hashed
 * with keccak256 (so a reason can be written in words and kept off chain).
 * @example hashOf("double-counted node 17"); // keccak256 of the UTF-8 text
 */
export function hashOf(textOrHash: string | undefined): Hex {
  if (textOrHash === undefined || textOrHash === "") return zeroHash;
  if (isHex(textOrHash, { strict: true }) && textOrHash.length === 66) return textOrHash;
  return keccak256(stringToHex(textOrHash));
}

/** Role names and their ids (PROTOCOL §3). */
export const ROLES = {
  ADMIN: zeroHash,
  PROGRAM: keccak256(stringToHex("PROGRAM_ROLE")),
  AUDITOR: keccak256(stringToHex("AUDITOR_ROLE")),
  PAUSER: keccak256(stringToHex("PAUSER_ROLE")),
} as const;

export type RoleName = keyof typeof ROLES;


// The names of the ledger's codes and its refusals, explained: sdk/errors.ts (re-exported here).
export { agreementStatusName, describeError, LedgerRevertError, revenueStateName, usageDisputeStateName };

// ------------------------------------------------------------------------------------------------
//                                            SENDING
// ------------------------------------------------------------------------------------------------

/** What every operation returns. */
export interface OperationResult {
  transactionHash: Hex;
  blockNumber: bigint;
  gasUsed: bigint;
  receipt: TransactionReceipt;
}

/** `simulate` (a typed `simulateContract`), then send its request and wait; errors via {@link describeError}. */
async function execute(ctx: LedgerContext, simulate: () => Promise<{ request: unknown }>): Promise<OperationResult> {
  let request: unknown;
  try {
    ({ request } = await withRetry(simulate, ctx.retry));
  } catch (err) {
    // the chain's time lets a refusal say how long until (or since) the times it names
    throw describeError(err, { now: await chainNow(ctx).catch(() => undefined) });
  }
  let hash: Hex;
  try {
    // the request is the one simulateContract built for this wallet's account: its exact type is
    // per-function, which this shared helper does not need to know
    hash = await ctx.walletClient.writeContract(request as Parameters<typeof ctx.walletClient.writeContract>[0]);
  } catch (err) {
    throw describeError(err);
  }
  let receipt: TransactionReceipt;
  try {
    receipt = await withRetry(
      () => ctx.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 250, timeout: ctx.receiptTimeoutMs ?? 120_000 }),
      ctx.retry,
    );
  } catch (err) {
    throw new DsxError(`Transaction ${hash} was sent but its receipt did not arrive.`, {
      fix: "Check the transaction on the chain before sending it again.",
      cause: err,
    });
  }
  if (receipt.status !== "success") {
    throw new FatalError(`Transaction ${hash} reverted on chain although its simulation passed (the state changed in between).`, {
      fix: "Run the command again.",
    });
  }
  return { transactionHash: hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed, receipt };
}

/** The chain's time: the latest block's timestamp. */
async function chainNow(ctx: Pick<LedgerContext, "publicClient" | "retry">): Promise<bigint> {
  return (await withRetry(() => ctx.publicClient.getBlock({ blockTag: "latest" }), ctx.retry)).timestamp;
}

/** The `eventName` events the ledger emitted in the transaction. */
function ledgerEvents<const N extends ContractEventName<typeof revenueShareLedgerAbi>>(ctx: LedgerContext, receipt: TransactionReceipt, eventName: N) {
  return parseEventLogs({
    abi: revenueShareLedgerAbi,
    logs: receipt.logs.filter((l) => l.address.toLowerCase() === ctx.deployment.ledger.toLowerCase()),
    eventName,
    strict: true,
  });
}

/** The first `eventName` event the ledger emitted in the transaction. */
function ledgerEvent<const N extends ContractEventName<typeof revenueShareLedgerAbi>>(ctx: LedgerContext, receipt: TransactionReceipt, eventName: N) {
  const [event] = ledgerEvents(ctx, receipt, eventName);
  if (event === undefined) {
    throw new FatalError(`Transaction ${receipt.transactionHash} succeeded but ledger ${ctx.deployment.ledger} emitted no ${eventName} event.`, {
      fix: "Check that --deployment names the ledger this chain runs.",
    });
  }
  return event;
}

const ledgerCall = (ctx: LedgerContext) => ({ address: ctx.deployment.ledger, abi: revenueShareLedgerAbi, account: ctx.account }) as const;

function address(value: string, what: string): Address {
  if (!isAddress(value, { strict: false })) {
    throw new ValidationError(`${what} ${JSON.stringify(value)} is not an address.`, { fix: "Give a 0x-prefixed 20-byte address." });
  }
  return getAddress(value);
}

function wholeNumber(value: bigint | number | string, what: string, max: bigint): bigint {
  const text = String(value);
  if (!/^\d+$/.test(text) || BigInt(text) > max) {
    throw new ValidationError(`${what} ${JSON.stringify(text)} is not a whole number in 0..${max}.`, { fix: `Give a whole number ${what === "Agreement id" ? "such as 1" : "in range"}.` });
  }
  return BigInt(text);
}

const U256 = 2n ** 256n - 1n;
const id256 = (id: bigint | number | string) => wholeNumber(id, "Agreement id", U256);

// ------------------------------------------------------------------------------------------------
//                                        PROGRAM (PROGRAM_ROLE)
// ------------------------------------------------------------------------------------------------

/** Terms of a new agreement (PROTOCOL §4). Give `endTime` or `periods`. */
export interface AgreementTermsInput {
  startup: Address;
  creditLimit: Amount;
  revenueShareBps: number;
  capMultipleBps: number;
  partnerFirstBps: number;
  /** Unix seconds. */
  startTime: bigint;
  /** Unix seconds: startTime + n × periodDuration. */
  endTime?: bigint;
  /** Number of revenue periods, 1..120 (instead of endTime). */
  periods?: number;
  periodDuration: number;
  gracePeriod: number;
  /** A 32-byte hash, or the text of (or a pointer to) the legal terms, hashed; default zero. */
  termsHash?: string;
}

/**
 * Proposes an agreement to a startup (PROGRAM_ROLE). Returns the new agreement id.
 * @example
 * const { agreementId } = await createAgreement(ctx, {
 *   startup: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", creditLimit: "100000", revenueShareBps: 800,
 *   capMultipleBps: 15_000, partnerFirstBps: 6_000, startTime: 1790812800n, periods: 12,
 *   periodDuration: 30 * 86_400, gracePeriod: 15 * 86_400, termsHash: "ipfs://terms-v1.pdf",
 * });
 */
export async function createAgreement(ctx: LedgerContext, terms: AgreementTermsInput): Promise<OperationResult & { agreementId: bigint }> {
  const periodDuration = terms.periodDuration;
  let endTime = terms.endTime;
  if (endTime === undefined) {
    if (terms.periods === undefined) throw new ValidationError("The terms need an end time or a number of periods.", { fix: "Give --periods <n> or --end <time>." });
    endTime = terms.startTime + BigInt(terms.periods) * BigInt(periodDuration);
  }
  const args = {
    startup: address(terms.startup, "Startup"),
    creditLimit: toUnits(terms.creditLimit, "Credit limit"),
    revenueShareBps: terms.revenueShareBps,
    capMultipleBps: terms.capMultipleBps,
    partnerFirstBps: terms.partnerFirstBps,
    startTime: terms.startTime,
    endTime,
    periodDuration,
    gracePeriod: terms.gracePeriod,
    termsHash: hashOf(terms.termsHash),
  };
  const result = await execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "createAgreement", args: [args] }));
  const event = ledgerEvent(ctx, result.receipt, "AgreementCreated");
  return { ...result, agreementId: event.args.id };
}

/**
 * Cancels a Proposed agreement (PROGRAM_ROLE).
 * @example await cancelAgreement(ctx, 3n);
 */
export async function cancelAgreement(ctx: LedgerContext, agreementId: bigint): Promise<OperationResult> {
  return execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "cancelAgreement", args: [id256(agreementId)] }));
}

/**
 * Terminates an Active agreement for breach (PROGRAM_ROLE); `reason` is text (hashed) or a 32-byte hash.
 * @example const { terminatedAt } = await terminateAgreement(ctx, 3n, "payments 90 days late");
 */
export async function terminateAgreement(ctx: LedgerContext, agreementId: bigint, reason?: string): Promise<OperationResult & { terminatedAt: bigint; reasonHash: Hex }> {
  const reasonHash = hashOf(reason);
  const result = await execute(ctx, () =>
    ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "terminateAgreement", args: [id256(agreementId), reasonHash] }),
  );
  const event = ledgerEvent(ctx, result.receipt, "AgreementTerminated");
  return { ...result, terminatedAt: event.args.terminatedAt, reasonHash };
}

/** A k-of-n signer set. */
export interface SignerSetInput {
  signers: readonly Address[];
  threshold: number;
}

/**
 * Registers a cloud partner with its oracle signers and payout share (PROGRAM_ROLE).
 * @example await registerPartner(ctx, { partner: firmus, signers: [s1, s2, s3], threshold: 2, payoutBps: 7_000 });
 */
export async function registerPartner(ctx: LedgerContext, input: SignerSetInput & { partner: Address; payoutBps: number }): Promise<OperationResult> {
  const signers = input.signers.map((s) => address(s, "Signer"));
  return execute(ctx, () =>
    ctx.publicClient.simulateContract({
      ...ledgerCall(ctx),
      functionName: "registerPartner",
      args: [address(input.partner, "Partner"), signers, input.threshold, input.payoutBps],
    }),
  );
}

/**
 * (De)activates a partner: an inactive partner's usage batches are refused (PROGRAM_ROLE).
 * @example await setPartnerActive(ctx, firmus, false);
 */
export async function setPartnerActive(ctx: LedgerContext, partner: Address, active: boolean): Promise<OperationResult> {
  return execute(ctx, () =>
    ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "setPartnerActive", args: [address(partner, "Partner"), active] }),
  );
}

/**
 * Schedules a partner's rate for a sku (PROGRAM_ROLE). `creditsPerGpuHour` is an {@link Amount} of credits;
 * `effectiveFrom` a whole hour in unix seconds (a change needs RATE_NOTICE).
 * @example await scheduleRate(ctx, { partner: firmus, sku: "h100-sxm", creditsPerGpuHour: "2.5", effectiveFrom: 1790812800n });
 */
export async function scheduleRate(
  ctx: LedgerContext,
  input: { partner: Address; sku: string; creditsPerGpuHour: Amount; effectiveFrom: bigint },
): Promise<OperationResult & { skuHash: Hex }> {
  const skuHash = skuToBytes32(input.sku);
  const rate = toUnits(input.creditsPerGpuHour, "Rate");
  const result = await execute(ctx, () =>
    ctx.publicClient.simulateContract({
      ...ledgerCall(ctx),
      functionName: "scheduleRate",
      args: [address(input.partner, "Partner"), skuHash, rate, wholeNumber(input.effectiveFrom, "Effective time", 2n ** 64n - 1n)],
    }),
  );
  return { ...result, skuHash };
}

/** An accepted usage line as stored in a batch's lines hash. */
export interface AcceptedLine {
  agreementId: bigint;
  sku: Hex;
  gpuSeconds: bigint;
  credits: bigint;
}

/**
 * A usage batch's partner and accepted lines, rebuilt from its `UsageBatchRecorded` and `UsageRecorded` events
 * (what `resolveUsageDispute` must send back to the ledger).
 * @example const { partner, lines } = await usageBatchLines(ctx, batchId);
 */
export async function usageBatchLines(ctx: Pick<LedgerContext, "publicClient" | "deployment" | "retry">, batchId: Hex): Promise<{ partner: Address; lines: AcceptedLine[] }> {
  const { publicClient, deployment } = ctx;
  const address = deployment.ledger;
  const latest = await withRetry(() => publicClient.getBlockNumber(), ctx.retry);
  const find = (fromBlock: bigint, toBlock: bigint) =>
    withRetry(
      () => publicClient.getContractEvents({ address, abi: revenueShareLedgerAbi, eventName: "UsageBatchRecorded", args: { batchId }, fromBlock, toBlock, strict: true }),
      ctx.retry,
    );
  const first = BigInt(deployment.deploymentBlock);
  let found: Awaited<ReturnType<typeof find>>;
  try {
    found = await find(first, latest);
  } catch {
    // nodes that cap the block range: walk it in chunks
    found = [];
    for (let from = first; from <= latest && found.length === 0; from += 10_000n) {
      found = await find(from, from + 9_999n > latest ? latest : from + 9_999n);
    }
  }
  const [recorded] = found;
  if (!recorded) {
    throw new ValidationError(`No usage batch ${batchId} was recorded by ledger ${address}.`, { fix: "Check the batch id (UsageBatchRecorded event)." });
  }
  // the batch's accepted lines are the UsageRecorded events of its transaction, in order
  const receipt = await withRetry(() => publicClient.getTransactionReceipt({ hash: recorded.transactionHash }), ctx.retry);
  const lines = parseEventLogs({
    abi: revenueShareLedgerAbi,
    logs: receipt.logs.filter((l) => l.address.toLowerCase() === address.toLowerCase()),
    eventName: "UsageRecorded",
    strict: true,
  })
    .filter((l) => l.args.batchId === batchId)
    .map((l) => ({ agreementId: l.args.agreementId, sku: l.args.sku, gpuSeconds: l.args.gpuSeconds, credits: l.args.credits }));
  return { partner: recorded.args.partner, lines };
}

/**
 * Settles a usage dispute (PROGRAM_ROLE): `refund` credits (0 rejects the dispute) are re-minted to the startup
 * and taken off the partner's receivable. The batch's lines are rebuilt from the chain's events unless given.
 * @example const { refund, receivableRemoved } = await resolveUsageDispute(ctx, { batchId, agreementId: 3n, refund: "120.5" });
 */
export async function resolveUsageDispute(
  ctx: LedgerContext,
  input: { batchId: Hex; agreementId: bigint; refund: Amount; partner?: Address; acceptedLines?: readonly AcceptedLine[] },
): Promise<OperationResult & { refund: bigint; receivableRemoved: bigint }> {
  if (!isHex(input.batchId, { strict: true }) || input.batchId.length !== 66) {
    throw new ValidationError(`Batch id ${JSON.stringify(input.batchId)} is not a 32-byte hex value.`, { fix: "Give 0x followed by 64 hex digits." });
  }
  const refund = toUnits(input.refund, "Refund");
  let { partner, acceptedLines } = input;
  if (partner === undefined || acceptedLines === undefined) {
    const fromChain = await usageBatchLines(ctx, input.batchId);
    partner ??= fromChain.partner;
    acceptedLines ??= fromChain.lines;
  }
  const result = await execute(ctx, () =>
    ctx.publicClient.simulateContract({
      ...ledgerCall(ctx),
      functionName: "resolveUsageDispute",
      args: [input.batchId, id256(input.agreementId), address(partner, "Partner"), acceptedLines, refund],
    }),
  );
  const event = ledgerEvent(ctx, result.receipt, "UsageDisputeResolved");
  return { ...result, refund: event.args.refund, receivableRemoved: event.args.receivableRemoved };
}

/**
 * Settles a revenue dispute (PROGRAM_ROLE): upheld → Rejected (a new version is needed), else → Cleared.
 * @example await resolveRevenueDispute(ctx, { agreementId: 3n, periodIndex: 0, upheld: true });
 */
export async function resolveRevenueDispute(ctx: LedgerContext, input: { agreementId: bigint; periodIndex: number; upheld: boolean }): Promise<OperationResult> {
  return execute(ctx, () =>
    ctx.publicClient.simulateContract({
      ...ledgerCall(ctx),
      functionName: "resolveRevenueDispute",
      args: [id256(input.agreementId), input.periodIndex, input.upheld],
    }),
  );
}

/**
 * Sets the treasury that `claimProgram` pays (DEFAULT_ADMIN_ROLE).
 * @example await setTreasury(ctx, "0x90F79bf6EB2c4f870365E785982E1f101E93b906");
 */
export async function setTreasury(ctx: LedgerContext, treasury: Address): Promise<OperationResult> {
  return execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "setTreasury", args: [address(treasury, "Treasury")] }));
}

/**
 * Pauses attestations, acceptance and creation (PAUSER_ROLE). Pay, claim, dispute, resolve and finalize go on.
 * @example await pause(ctx);
 */
export async function pause(ctx: LedgerContext): Promise<OperationResult> {
  return execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "pause" }));
}

/**
 * Unpauses (PAUSER_ROLE); reporting grace counts from here.
 * @example await unpause(ctx);
 */
export async function unpause(ctx: LedgerContext): Promise<OperationResult> {
  return execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "unpause" }));
}

/**
 * Grants a role (DEFAULT_ADMIN_ROLE), e.g. PROGRAM to the program's multisig.
 * @example await grantRole(ctx, "AUDITOR", "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65");
 */
export async function grantRole(ctx: LedgerContext, role: RoleName, account: Address): Promise<OperationResult> {
  return execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "grantRole", args: [ROLES[role], address(account, "Account")] }));
}

/**
 * Revokes a role (DEFAULT_ADMIN_ROLE).
 * @example await revokeRole(ctx, "AUDITOR", "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65");
 */
export async function revokeRole(ctx: LedgerContext, role: RoleName, account: Address): Promise<OperationResult> {
  return execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "revokeRole", args: [ROLES[role], address(account, "Account")] }));
}

// ------------------------------------------------------------------------------------------------
//            THE ADMIN, IN TWO STEPS (OpenZeppelin AccessControlDefaultAdminRules, PROTOCOL v1.1 §3)
// ------------------------------------------------------------------------------------------------
// The ledger has one DEFAULT_ADMIN_ROLE holder. The admin names a new one (beginDefaultAdminTransfer); that
// address accepts (acceptDefaultAdminTransfer) in a block after the schedule (now + the admin delay); until
// then the admin can cancel (cancelDefaultAdminTransfer). A newer transfer replaces a pending one.

/** A pending admin transfer: `newAdmin` can accept it in a block whose time is after `acceptableAfter`. */
export interface PendingAdminTransfer {
  newAdmin: Address;
  acceptableAfter: bigint;
}

/** The admin, its transfer delay (seconds) and the pending transfer, if any. */
export interface AdminInfo {
  admin: Address;
  delay: bigint;
  pending?: PendingAdminTransfer;
}

/**
 * The ledger's admin, the delay of a transfer and the pending transfer (undefined when none).
 * @example const { admin, delay, pending } = await readAdmin(ctx);
 */
export async function readAdmin(ctx: LedgerReader): Promise<AdminInfo> {
  const read = <T>(functionName: "defaultAdmin" | "defaultAdminDelay" | "pendingDefaultAdmin") =>
    withRetry(() => ctx.publicClient.readContract({ address: ctx.deployment.ledger, abi: revenueShareLedgerAbi, functionName }), ctx.retry) as Promise<T>;
  const [admin, delay, [newAdmin, schedule]] = await Promise.all([
    read<Address>("defaultAdmin"),
    read<number>("defaultAdminDelay"),
    read<readonly [Address, number]>("pendingDefaultAdmin"),
  ]);
  return { admin, delay: BigInt(delay), pending: schedule === 0 ? undefined : { newAdmin, acceptableAfter: BigInt(schedule) } };
}

/**
 * Starts moving DEFAULT_ADMIN_ROLE to `newAdmin` (the admin's key): `newAdmin` accepts it after
 * `acceptableAfter` (now + the admin delay) with {@link acceptDefaultAdminTransfer}. A pending transfer is
 * replaced (`replaced`).
 * @example const { acceptableAfter } = await beginDefaultAdminTransfer(adminCtx, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
 */
export async function beginDefaultAdminTransfer(
  ctx: LedgerContext,
  newAdmin: Address,
): Promise<OperationResult & { newAdmin: Address; acceptableAfter: bigint; blockTime: bigint; replaced?: PendingAdminTransfer }> {
  const to = address(newAdmin, "New admin");
  if (to === zeroAddress) {
    throw new ValidationError("The new admin is the zero address: the ledger would be left without an admin.", {
      fix: "Give the address that should hold DEFAULT_ADMIN_ROLE (a multisig, a new key).",
    });
  }
  const before = await readAdmin(ctx);
  const result = await execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "beginDefaultAdminTransfer", args: [to] }));
  const event = ledgerEvent(ctx, result.receipt, "DefaultAdminTransferScheduled");
  return { ...result, newAdmin: to, acceptableAfter: BigInt(event.args.acceptSchedule), blockTime: await blockTimeOf(ctx, result), replaced: before.pending };
}

/**
 * Takes over DEFAULT_ADMIN_ROLE with the key of the pending admin, once the schedule has passed. Refused
 * before sending when no transfer is pending.
 * @example const { admin, previousAdmin } = await acceptDefaultAdminTransfer(newAdminCtx);
 */
export async function acceptDefaultAdminTransfer(ctx: LedgerContext): Promise<OperationResult & { admin: Address; previousAdmin: Address }> {
  const before = await readAdmin(ctx);
  // the ledger checks the caller first, which would hide that nothing is pending at all
  if (!before.pending) throw LedgerRevertError.of("AccessControlEnforcedDefaultAdminDelay", [0]);
  const result = await execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "acceptDefaultAdminTransfer" }));
  const granted = ledgerEvents(ctx, result.receipt, "RoleGranted").find((e) => e.args.role === ROLES.ADMIN);
  return { ...result, admin: granted?.args.account ?? before.pending.newAdmin, previousAdmin: before.admin };
}

/**
 * Withdraws the pending admin transfer (the admin's key). Refused before sending when none is pending (the
 * ledger would accept the call and change nothing).
 * @example const { newAdmin } = await cancelDefaultAdminTransfer(adminCtx);
 */
export async function cancelDefaultAdminTransfer(ctx: LedgerContext): Promise<OperationResult & PendingAdminTransfer> {
  const before = await readAdmin(ctx);
  if (!before.pending) {
    throw new FatalError("No admin transfer is pending, so there is nothing to cancel.", { fix: `The admin is still ${before.admin}; dsx status shows it.` });
  }
  const result = await execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "cancelDefaultAdminTransfer" }));
  ledgerEvent(ctx, result.receipt, "DefaultAdminTransferCanceled");
  return { ...result, ...before.pending };
}

// ------------------------------------------------------------------------------------------------
//        CHANGES WITH A NOTICE: WALLET MIGRATION, SIGNER SETS, PAYOUT ADDRESSES (PROTOCOL v1.1 §3-§5)
// ------------------------------------------------------------------------------------------------
// The affected party's own transaction changes things at once; PROGRAM's only proposes, and the proposal
// is in force from its effectiveAt (now + the notice) without a further transaction, except a wallet
// migration, which someone executes then.

/** Whether a change was made at once (the party's own key) or proposed with a notice (PROGRAM's key). */
export type ChangeMode = "immediate" | "proposed";

/** What a change returns: how it went and from when it is in force. */
export interface ChangeResult extends OperationResult {
  mode: ChangeMode;
  /** When the change is in force: the block's time when immediate, the block's time + the notice when proposed. */
  effectiveAt: bigint;
  /** The time of the block that carried the transaction. */
  blockTime: bigint;
}

async function blockTimeOf(ctx: LedgerContext, result: OperationResult): Promise<bigint> {
  return (await withRetry(() => ctx.publicClient.getBlock({ blockNumber: result.blockNumber }), ctx.retry)).timestamp;
}

/**
 * Moves an agreement and its credits to a new wallet (a multisig, lost keys). Sent by the agreement's startup
 * wallet it happens at once (`mode: "immediate"`, `credits` moved); sent by PROGRAM it is only proposed and
 * can be executed by anyone from `effectiveAt` (MIGRATION_NOTICE later; {@link executeStartupMigration}).
 * `as: "startup"` refuses before sending when the key is not the startup wallet (so a PROGRAM key cannot
 * propose by mistake).
 * @example const { mode, effectiveAt } = await migrateStartup(programCtx, 3n, "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
 */
export async function migrateStartup(
  ctx: LedgerContext,
  agreementId: bigint,
  newWallet: Address,
  options: { as?: "startup" | "program" } = {},
): Promise<ChangeResult & { agreementId: bigint; from: Address; to: Address; credits?: bigint }> {
  const id = id256(agreementId);
  const to = address(newWallet, "New wallet");
  if (options.as === "startup") {
    const view = await withRetry(() => ctx.publicClient.readContract({ ...ledgerCall(ctx), functionName: "agreement", args: [id] }), ctx.retry);
    // an unknown agreement is refused by the simulation with its own error
    if (view.status !== 0 && view.terms.startup.toLowerCase() !== ctx.account.address.toLowerCase()) {
      throw LedgerRevertError.of("NotStartup", [id, ctx.account.address]);
    }
  }
  const result = await execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "migrateStartup", args: [id, to] }));
  const blockTime = await blockTimeOf(ctx, result);
  const [migrated] = ledgerEvents(ctx, result.receipt, "StartupMigrated");
  if (migrated) {
    return { ...result, mode: "immediate", effectiveAt: blockTime, blockTime, agreementId: id, from: migrated.args.from, to, credits: migrated.args.credits };
  }
  const proposed = ledgerEvent(ctx, result.receipt, "StartupMigrationProposed");
  return { ...result, mode: "proposed", effectiveAt: BigInt(proposed.args.effectiveAt), blockTime, agreementId: id, from: proposed.args.from, to };
}

/**
 * Withdraws PROGRAM's pending migration of an agreement before it takes effect (the startup wallet or PROGRAM).
 * @example await cancelStartupMigration(startupCtx, 3n);
 */
export async function cancelStartupMigration(ctx: LedgerContext, agreementId: bigint): Promise<OperationResult & { agreementId: bigint; to: Address; effectiveAt: bigint }> {
  const id = id256(agreementId);
  const pending = await readPendingMigration(ctx, id);
  const result = await execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "cancelStartupMigration", args: [id] }));
  ledgerEvent(ctx, result.receipt, "StartupMigrationCancelled");
  return { ...result, agreementId: id, to: pending?.to ?? zeroAddress, effectiveAt: pending?.effectiveAt ?? 0n };
}

/**
 * Carries out PROGRAM's migration of an agreement once its notice has passed (anyone; the target wallet is
 * checked again).
 * @example const { from, to, credits } = await executeStartupMigration(ctx, 3n);
 */
export async function executeStartupMigration(ctx: LedgerContext, agreementId: bigint): Promise<OperationResult & { agreementId: bigint; from: Address; to: Address; credits: bigint }> {
  const id = id256(agreementId);
  const result = await execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "executeStartupMigration", args: [id] }));
  const event = ledgerEvent(ctx, result.receipt, "StartupMigrated");
  return { ...result, agreementId: id, from: event.args.from, to: event.args.to, credits: event.args.credits };
}

/**
 * Sets a partner's oracle signer set. Sent by the partner's own key (`partner` omitted or equal to it) it is
 * in force at once; sent by PROGRAM it is proposed and in force from `effectiveAt` (SIGNER_NOTICE later),
 * with no further transaction. Batch signatures count against the set in force at submission.
 * @example await setPartnerSigners(partnerCtx, { signers: [s1, s4], threshold: 2 }); // the partner's own rotation
 * @example const { effectiveAt } = await setPartnerSigners(programCtx, { partner: firmus, signers: [s5], threshold: 1 });
 */
export async function setPartnerSigners(
  ctx: LedgerContext,
  input: SignerSetInput & { partner?: Address },
): Promise<ChangeResult & { partner: Address; signers: Address[]; threshold: number }> {
  const partner = input.partner === undefined ? ctx.account.address : address(input.partner, "Partner");
  const signers = input.signers.map((s) => address(s, "Signer"));
  const result = await execute(ctx, () =>
    ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "setPartnerSigners", args: [partner, signers, input.threshold] }),
  );
  const blockTime = await blockTimeOf(ctx, result);
  const [proposed] = ledgerEvents(ctx, result.receipt, "PartnerSignersProposed");
  if (proposed) return { ...result, mode: "proposed", effectiveAt: BigInt(proposed.args.effectiveAt), blockTime, partner, signers, threshold: input.threshold };
  ledgerEvent(ctx, result.receipt, "PartnerSignersSet");
  return { ...result, mode: "immediate", effectiveAt: blockTime, blockTime, partner, signers, threshold: input.threshold };
}

/**
 * Sets where a partner's claims are paid. Sent by the partner's own key (`partner` omitted or equal to it)
 * it is in force at once; sent by PROGRAM (lost key, a blacklisted address) it is proposed and in force
 * from `effectiveAt` (PAYOUT_NOTICE later).
 * @example await setPayoutAddress(partnerCtx, { payout: "0x976EA74026E726554dB657fA54763abd0C3a0aa9" });
 */
export async function setPayoutAddress(ctx: LedgerContext, input: { payout: Address; partner?: Address }): Promise<ChangeResult & { partner: Address; payout: Address }> {
  const partner = input.partner === undefined ? ctx.account.address : address(input.partner, "Partner");
  const payout = address(input.payout, "Payout address");
  const result = await execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "setPayoutAddress", args: [partner, payout] }));
  const blockTime = await blockTimeOf(ctx, result);
  const event = ledgerEvent(ctx, result.receipt, "PayoutAddressSet");
  const effectiveAt = BigInt(event.args.effectiveAt);
  return { ...result, mode: effectiveAt > blockTime ? "proposed" : "immediate", effectiveAt, blockTime, partner, payout };
}

/**
 * Sets the program-wide revenue oracle signer set (PROGRAM_ROLE): the first set is in force at once, every
 * later one is proposed and in force from `effectiveAt` (SIGNER_NOTICE later).
 * @example const { mode, effectiveAt } = await setRevenueSigners(ctx, { signers: [v1, v2], threshold: 2 });
 */
export async function setRevenueSigners(ctx: LedgerContext, input: SignerSetInput): Promise<ChangeResult & { signers: Address[]; threshold: number }> {
  const signers = input.signers.map((s) => address(s, "Signer"));
  const result = await execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "setRevenueSigners", args: [signers, input.threshold] }));
  const blockTime = await blockTimeOf(ctx, result);
  const [proposed] = ledgerEvents(ctx, result.receipt, "RevenueSignersProposed");
  if (proposed) return { ...result, mode: "proposed", effectiveAt: BigInt(proposed.args.effectiveAt), blockTime, signers, threshold: input.threshold };
  ledgerEvent(ctx, result.receipt, "RevenueSignersSet");
  return { ...result, mode: "immediate", effectiveAt: blockTime, blockTime, signers, threshold: input.threshold };
}

/** What the reads below need: clients and the deployment, no key. */
export type LedgerReader = Pick<LedgerContext, "publicClient" | "deployment" | "retry">;

/** A signer set that is pending: in force from `effectiveAt`. */
export interface PendingSignerSet {
  signers: Address[];
  threshold: number;
  effectiveAt: bigint;
}

/** A migration PROGRAM proposed, executable from `effectiveAt`. */
export interface PendingMigration {
  to: Address;
  effectiveAt: bigint;
}

/**
 * The pending migration of an agreement, or undefined when there is none.
 * @example const pending = await readPendingMigration(ctx, 3n); // { to, effectiveAt } | undefined
 */
export async function readPendingMigration(ctx: LedgerReader, agreementId: bigint): Promise<PendingMigration | undefined> {
  const [to, effectiveAt] = await withRetry(
    () => ctx.publicClient.readContract({ address: ctx.deployment.ledger, abi: revenueShareLedgerAbi, functionName: "pendingMigration", args: [id256(agreementId)] }),
    ctx.retry,
  );
  return effectiveAt === 0n ? undefined : { to, effectiveAt: BigInt(effectiveAt) };
}

/** A partner as the ledger sees it now: the signer set and payout address in force, and what is pending. */
export interface PartnerInfo {
  partner: Address;
  registered: boolean;
  active: boolean;
  payoutBps: number;
  nextSequence: bigint;
  signers: Address[];
  threshold: number;
  /** Where its claims are paid now (the partner itself when none was set). */
  payout: Address;
  pendingSigners?: PendingSignerSet;
  pendingPayout?: { payout: Address; effectiveAt: bigint };
}

/**
 * A partner's registration, signer set and payout address in force, and its pending changes (those not yet
 * in force).
 * @example const { signers, threshold, payout, pendingSigners } = await readPartner(ctx, firmus);
 */
export async function readPartner(ctx: LedgerReader, partner: Address): Promise<PartnerInfo> {
  const who = address(partner, "Partner");
  const p = await withRetry(
    () => ctx.publicClient.readContract({ address: ctx.deployment.ledger, abi: revenueShareLedgerAbi, functionName: "partner", args: [who] }),
    ctx.retry,
  );
  return {
    partner: who,
    registered: p.registered,
    active: p.active,
    payoutBps: p.payoutBps,
    nextSequence: BigInt(p.nextSequence),
    signers: [...p.signers],
    threshold: p.threshold,
    payout: p.payout,
    pendingSigners: p.pendingSignersAt === 0n ? undefined : { signers: [...p.pendingSigners], threshold: p.pendingThreshold, effectiveAt: BigInt(p.pendingSignersAt) },
    pendingPayout: p.pendingPayoutAt === 0n ? undefined : { payout: p.pendingPayout, effectiveAt: BigInt(p.pendingPayoutAt) },
  };
}

/**
 * The revenue signer set in force and the pending one, if any.
 * @example const { signers, threshold, pending } = await readRevenueSigners(ctx);
 */
export async function readRevenueSigners(ctx: LedgerReader): Promise<{ signers: Address[]; threshold: number; pending?: PendingSignerSet }> {
  const r = await withRetry(
    () => ctx.publicClient.readContract({ address: ctx.deployment.ledger, abi: revenueShareLedgerAbi, functionName: "revenueSigners" }),
    ctx.retry,
  );
  return {
    signers: [...r.signers],
    threshold: r.threshold,
    pending: r.pendingAt === 0n ? undefined : { signers: [...r.pendingSigners], threshold: r.pendingThreshold, effectiveAt: BigInt(r.pendingAt) },
  };
}

// ------------------------------------------------------------------------------------------------
//                                           STARTUP
// ------------------------------------------------------------------------------------------------

/**
 * Accepts a Proposed agreement with the startup's wallet; mints the credit limit in DSXC.
 * @example const { creditsMinted } = await acceptAgreement(startupCtx, 3n);
 */
export async function acceptAgreement(ctx: LedgerContext, agreementId: bigint): Promise<OperationResult & { creditsMinted: bigint }> {
  const result = await execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "acceptAgreement", args: [id256(agreementId)] }));
  const event = ledgerEvent(ctx, result.receipt, "AgreementAccepted");
  return { ...result, creditsMinted: event.args.creditsMinted };
}

/**
 * Authorizes a partner to bill the agreement up to a cumulative `spendLimit` of credits on at most `maxGpus`
 * GPUs at once (the startup). A decrease takes effect AUTH_NOTICE later: see `effectiveAt`.
 * @example const { effectiveAt } = await authorizePartner(startupCtx, { agreementId: 3n, partner: firmus, spendLimit: "50000", maxGpus: 16 });
 */
export async function authorizePartner(
  ctx: LedgerContext,
  input: { agreementId: bigint; partner: Address; spendLimit: Amount; maxGpus: number },
): Promise<OperationResult & { effectiveAt: bigint }> {
  const result = await execute(ctx, () =>
    ctx.publicClient.simulateContract({
      ...ledgerCall(ctx),
      functionName: "authorizePartner",
      args: [id256(input.agreementId), address(input.partner, "Partner"), toUnits(input.spendLimit, "Spend limit"), input.maxGpus],
    }),
  );
  const event = ledgerEvent(ctx, result.receipt, "PartnerAuthorized");
  return { ...result, effectiveAt: event.args.effectiveAt };
}

/** How `pay` lets the ledger pull the tokens. */
export type PayMethod = "permit" | "approve" | "allowance";

const DOMAIN_FIELDS = [
  { name: "name", type: "string" },
  { name: "version", type: "string" },
  { name: "chainId", type: "uint256" },
  { name: "verifyingContract", type: "address" },
] as const;

/** The reads that tell whether a token takes EIP-2612 permits, and with which EIP-712 domain. */
const PERMIT_ABI = [
  { type: "function", name: "DOMAIN_SEPARATOR", stateMutability: "view", inputs: [], outputs: [{ type: "bytes32" }] },
  { type: "function", name: "name", stateMutability: "view", inputs: [], outputs: [{ type: "string" }] },
  { type: "function", name: "version", stateMutability: "view", inputs: [], outputs: [{ type: "string" }] },
  {
    type: "function",
    name: "eip712Domain",
    stateMutability: "view",
    inputs: [],
    outputs: [
      { type: "bytes1" }, { type: "string" }, { type: "string" }, { type: "uint256" }, { type: "address" }, { type: "bytes32" }, { type: "uint256[]" },
    ],
  },
  { type: "function", name: "nonces", stateMutability: "view", inputs: [{ type: "address" }], outputs: [{ type: "uint256" }] },
] as const;

/**
 * The token's EIP-712 domain when it takes EIP-2612 permits: the candidate versions (ERC-5267 `eip712Domain`,
 * a `version()` getter, "1", "2") are checked against its `DOMAIN_SEPARATOR`, so a permit is only signed for a
 * domain the token will recognise. Undefined otherwise.
 */
async function permitDomain(ctx: LedgerContext, token: Address) {
  const read = <const F extends "DOMAIN_SEPARATOR" | "name" | "version" | "eip712Domain">(functionName: F) =>
    ctx.publicClient.readContract({ address: token, abi: PERMIT_ABI, functionName }).catch(() => undefined);
  const [separator, name, version, domain5267] = await Promise.all([read("DOMAIN_SEPARATOR"), read("name"), read("version"), read("eip712Domain")]);
  if (separator === undefined || name === undefined) return undefined;
  const candidates = [domain5267?.[2], version, "1", "2"].filter((v): v is string => typeof v === "string");
  const chainId = ctx.publicClient.chain.id;
  for (const candidate of candidates) {
    const domain = { name, version: candidate, chainId, verifyingContract: token };
    const hash = hashDomain({ domain: { ...domain, chainId: BigInt(chainId) }, types: { EIP712Domain: DOMAIN_FIELDS } });
    if (hash.toLowerCase() === separator.toLowerCase()) return domain;
  }
  return undefined;
}

/**
 * Pays an agreement's outstanding amount in the settlement token (anyone; usually the startup). Pays
 * `min(amount, outstanding)`. Uses an EIP-2612 permit when the token supports it (one transaction),
 * otherwise approves the ledger first when the allowance is short. Refuses before sending when the wallet
 * holds too little of the token.
 * @example const { applied, toPartners, toProgram } = await pay(startupCtx, { agreementId: 3n, amount: "1000" });
 */
export async function pay(
  ctx: LedgerContext,
  input: { agreementId: bigint; amount: Amount; method?: "auto" | "permit" | "approve" },
): Promise<OperationResult & { applied: bigint; toPartners: bigint; toProgram: bigint; method: PayMethod; approval?: OperationResult }> {
  const agreementId = id256(input.agreementId);
  const asked = toUnits(input.amount, "Amount");
  if (asked === 0n) throw new ValidationError("The amount to pay is zero.", { fix: "Give an amount above 0, e.g. 1250.5." });
  const { publicClient, account, deployment } = ctx;
  const token = deployment.settlementToken;
  const [view, balance, allowance] = await withRetry(
    () =>
      Promise.all([
        publicClient.readContract({ address: deployment.ledger, abi: revenueShareLedgerAbi, functionName: "agreement", args: [agreementId] }),
        publicClient.readContract({ address: token, abi: mockUsdcAbi, functionName: "balanceOf", args: [account.address] }),
        publicClient.readContract({ address: token, abi: mockUsdcAbi, functionName: "allowance", args: [account.address, deployment.ledger] }),
      ]),
    ctx.retry,
  ).catch((err: unknown) => {
    throw describeError(err);
  });
  if (view.status === 0) throw LedgerRevertError.of("AgreementNotFound", [agreementId]);
  if (view.outstanding === 0n) throw LedgerRevertError.of("NothingOwed", [agreementId]);
  const amount = asked < view.outstanding ? asked : view.outstanding;
  if (balance < amount) {
    throw new ValidationError(`Wallet ${account.address} holds ${formatUnits6(balance)} of the settlement token; the payment needs ${formatUnits6(amount)}.`, {
      fix: "Fund the wallet with the settlement token, or pay less.",
    });
  }
  let method: PayMethod = allowance >= amount ? "allowance" : "approve";
  let approval: OperationResult | undefined;
  let permit: { deadline: bigint; v: number; r: Hex; s: Hex } | undefined;
  if (method === "approve" && input.method !== "approve") {
    const domain = await permitDomain(ctx, token);
    if (domain) {
      const nonce = await publicClient.readContract({ address: token, abi: PERMIT_ABI, functionName: "nonces", args: [account.address] });
      const now = (await publicClient.getBlock({ blockTag: "latest" })).timestamp;
      const deadline = now + 3600n;
      const signature = await ctx.walletClient.signTypedData({
        account,
        domain,
        types: {
          Permit: [
            { name: "owner", type: "address" },
            { name: "spender", type: "address" },
            { name: "value", type: "uint256" },
            { name: "nonce", type: "uint256" },
            { name: "deadline", type: "uint256" },
          ],
        },
        primaryType: "Permit",
        message: { owner: account.address, spender: deployment.ledger, value: amount, nonce, deadline },
      });
      const { r, s, v, yParity } = parseSignature(signature);
      permit = { deadline, v: v === undefined ? yParity + 27 : Number(v), r, s };
      method = "permit";
    } else if (input.method === "permit") {
      throw new ValidationError(`The settlement token ${token} does not support EIP-2612 permits.`, { fix: "Pay with --method approve." });
    }
  }
  if (method === "approve") {
    approval = await approveSettlement(ctx, amount);
  }
  const result = permit
    ? await execute(ctx, () =>
        publicClient.simulateContract({
          ...ledgerCall(ctx),
          functionName: "payWithPermit",
          args: [agreementId, amount, permit.deadline, permit.v, permit.r, permit.s],
        }),
      )
    : await execute(ctx, () => publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "pay", args: [agreementId, amount] }));
  const event = ledgerEvent(ctx, result.receipt, "PaymentApplied");
  return {
    ...result,
    applied: event.args.amount,
    toPartners: event.args.toPartners,
    toProgram: event.args.toProgram,
    method,
    approval,
  };
}

/**
 * Disputes a usage batch's lines for one agreement within DISPUTE_WINDOW (the agreement's startup or an
 * AUDITOR). `reason` is text (hashed) or a 32-byte hash.
 * @example await disputeUsage(startupCtx, { batchId, agreementId: 3n, reason: "node 17 was down on Oct 3" });
 */
export async function disputeUsage(ctx: LedgerContext, input: { batchId: Hex; agreementId: bigint; reason?: string }): Promise<OperationResult & { reasonHash: Hex }> {
  if (!isHex(input.batchId, { strict: true }) || input.batchId.length !== 66) {
    throw new ValidationError(`Batch id ${JSON.stringify(input.batchId)} is not a 32-byte hex value.`, { fix: "Give 0x followed by 64 hex digits." });
  }
  const reasonHash = hashOf(input.reason);
  const result = await execute(ctx, () =>
    ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "disputeUsage", args: [input.batchId, id256(input.agreementId), reasonHash] }),
  );
  return { ...result, reasonHash };
}

/**
 * Burns a startup's remaining credits once the agreement's reporting has closed (anyone).
 * @example const { burned } = await expireCredits(ctx, 3n);
 */
export async function expireCredits(ctx: LedgerContext, agreementId: bigint): Promise<OperationResult & { burned: bigint }> {
  const result = await execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "expireCredits", args: [id256(agreementId)] }));
  const event = ledgerEvent(ctx, result.receipt, "CreditsExpired");
  return { ...result, burned: event.args.burned };
}

// ------------------------------------------------------------------------------------------------
//                                        AUDITOR (AUDITOR_ROLE)
// ------------------------------------------------------------------------------------------------

/**
 * Disputes a Pending revenue report within DISPUTE_WINDOW (AUDITOR_ROLE).
 * @example await disputeRevenue(auditorCtx, { agreementId: 3n, periodIndex: 0, reason: "refunds not deducted" });
 */
export async function disputeRevenue(ctx: LedgerContext, input: { agreementId: bigint; periodIndex: number; reason?: string }): Promise<OperationResult & { reasonHash: Hex }> {
  const reasonHash = hashOf(input.reason);
  const result = await execute(ctx, () =>
    ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "disputeRevenue", args: [id256(input.agreementId), input.periodIndex, reasonHash] }),
  );
  return { ...result, reasonHash };
}

/**
 * Records on chain who verified an agreement's books up to which block, with which report (AUDITOR_ROLE).
 * @example await recordAudit(auditorCtx, { agreementId: 3n, throughBlock: 1234n, reportHash: keccak256(reportBytes), clean: true });
 */
export async function recordAudit(ctx: LedgerContext, input: { agreementId: bigint; throughBlock: bigint; reportHash: Hex; clean: boolean }): Promise<OperationResult> {
  return execute(ctx, () =>
    ctx.publicClient.simulateContract({
      ...ledgerCall(ctx),
      functionName: "recordAudit",
      args: [id256(input.agreementId), input.throughBlock, hashOf(input.reportHash), input.clean],
    }),
  );
}

// ------------------------------------------------------------------------------------------------
//                                   ANYONE: CLAIMS AND FINALIZATION
// ------------------------------------------------------------------------------------------------

/**
 * Sends a beneficiary's (a partner's) claimable settlement tokens to its payout address in force (the
 * partner itself when none was set; `to`); anyone may trigger it.
 * @example const { amount, to } = await claim(ctx, firmus);
 */
export async function claim(ctx: LedgerContext, beneficiary?: Address): Promise<OperationResult & { beneficiary: Address; to: Address; amount: bigint }> {
  const who = beneficiary === undefined ? ctx.account.address : address(beneficiary, "Beneficiary");
  const result = await execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "claim", args: [who] }));
  const event = ledgerEvent(ctx, result.receipt, "Claimed");
  return { ...result, beneficiary: who, to: event.args.to, amount: event.args.amount };
}

/**
 * Sends the program's claimable share to the treasury of the moment; anyone may trigger it.
 * @example const { amount, treasury } = await claimProgram(ctx);
 */
export async function claimProgram(ctx: LedgerContext): Promise<OperationResult & { treasury: Address; amount: bigint }> {
  const result = await execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "claimProgram" }));
  const event = ledgerEvent(ctx, result.receipt, "Claimed");
  return { ...result, treasury: event.args.to, amount: event.args.amount };
}

/**
 * Finalizes a revenue period whose dispute window has ended (anyone; strictly in period order).
 * @example const { owed, due } = await finalizeRevenue(ctx, 3n, 0);
 */
export async function finalizeRevenue(ctx: LedgerContext, agreementId: bigint, periodIndex: number): Promise<OperationResult & { owed: bigint; due: bigint }> {
  const result = await execute(ctx, () =>
    ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "finalizeRevenue", args: [id256(agreementId), periodIndex] }),
  );
  const event = ledgerEvent(ctx, result.receipt, "RevenueFinalized");
  return { ...result, owed: event.args.owed, due: event.args.due };
}

// ------------------------------------------------------------------------------------------------
//                                        SETTLEMENT TOKEN
// ------------------------------------------------------------------------------------------------

/**
 * Approves the ledger (or `spender`) to pull `amount` of the settlement token from the account.
 * @example await approveSettlement(startupCtx, "5000");
 */
export async function approveSettlement(ctx: LedgerContext, amount: Amount, spender?: Address): Promise<OperationResult> {
  const to = spender === undefined ? ctx.deployment.ledger : address(spender, "Spender");
  return execute(ctx, () =>
    ctx.publicClient.simulateContract({
      address: ctx.deployment.settlementToken,
      abi: mockUsdcAbi,
      account: ctx.account,
      functionName: "approve",
      args: [to, toUnits(amount)],
    }),
  );
}

/**
 * Mints MockUSDC to `to` — local demo chains only (chain 31337, where deploy put a MockUSDC).
 * @example await mintSettlement(ctx, startup, "25000");
 */
export async function mintSettlement(ctx: LedgerContext, to: Address, amount: Amount): Promise<OperationResult> {
  if (ctx.publicClient.chain.id !== LOCAL_CHAIN_ID) {
    throw new ValidationError(`Minting the settlement token is for the local chain ${LOCAL_CHAIN_ID} only, not chain ${ctx.publicClient.chain.id}.`, {
      fix: "Fund wallets with the real stablecoin on this chain.",
    });
  }
  return execute(ctx, () =>
    ctx.publicClient.simulateContract({
      address: ctx.deployment.settlementToken,
      abi: mockUsdcAbi,
      account: ctx.account,
      functionName: "mint",
      args: [address(to, "Recipient"), toUnits(amount)],
    }),
  );
}

