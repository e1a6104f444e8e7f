// The send engine every action shares: simulate first, so a refusal is reported before anything is sent,
// as one line naming the ledger's custom error, its values and the fix (sdk/errors.ts); then send, wait for
// the receipt, and let the action pick what it returns from the ledger's events. In prepare mode (a context
// for a Safe, `ctx.prepare`) the simulation runs as the Safe and the call is handed back instead of sent.
import {
  encodeFunctionData,
  getAbiItem,
  parseEventLogs,
  type Abi,
  type AbiFunction,
  type Address,
  type ContractEventName,
  type Hex,
  type TransactionReceipt,
} from "viem";
import { revenueShareLedgerAbi } from "./abis";
import { withRetry } from "./chain";
import type { LedgerContext } from "./context";
import { describeError, DsxError, FatalError } from "./errors";

/** What every operation returns. */
export interface OperationResult {
  transactionHash: Hex;
  blockNumber: bigint;
  gasUsed: bigint;
  receipt: TransactionReceipt;
}

/** Whether a change was made at once (the party's own key) or proposed with a notice (PROGRAM's key). */
export type ChangeMode = "immediate" | "proposed";

/** What a change with a notice returns: how it went and from when it is in force. */
export interface ChangeResult extends OperationResult {
  mode: ChangeMode;
  /** When the change is in force: the block's time when immediate, the block's time + the notice when proposed. */
  effectiveAt: bigint;
  /** The time of the block that carried the transaction. */
  blockTime: bigint;
}

/** A call prepared for a Safe instead of sent: what the Safe's transaction carries, and the call decoded. */
export interface PreparedCall {
  chainId: number;
  /** The Safe: the simulation ran with it as the sender. */
  from: Address;
  to: Address;
  value: bigint;
  data: Hex;
  functionName: string;
  abiItem: AbiFunction;
  args: readonly unknown[];
  /** What the call returns when the Safe executes it now (e.g. createAgreement: the id it will be given). */
  result: unknown;
}

/**
 * Thrown by {@link execute} in prepare mode once the call passed its simulation as the Safe: it ends the
 * action where it would have sent. {@link prepareCall} (or the CLI) catches it and takes `call`.
 */
export class CallPrepared extends Error {
  override name = "CallPrepared";
  constructor(readonly call: PreparedCall) {
    super(`${call.functionName} was prepared for Safe ${call.from}, not sent.`);
  }
}

/** The call a simulation's `request` describes, as the Safe would send it. */
function preparedCallOf(ctx: LedgerContext, request: unknown, result: unknown): PreparedCall {
  const r = request as { abi: Abi; address: Address; functionName: string; args?: readonly unknown[]; value?: bigint };
  const args = r.args ?? [];
  const abiItem = getAbiItem({ abi: r.abi, name: r.functionName, args }) as AbiFunction;
  const data = encodeFunctionData({ abi: [abiItem], functionName: abiItem.name, args });
  return { chainId: ctx.publicClient.chain.id, from: ctx.account.address, to: r.address, value: r.value ?? 0n, data, functionName: abiItem.name, abiItem, args, result };
}

/**
 * Runs an action with a context in prepare mode (`openLedgerContext({ safe })`) and returns the call it would
 * have sent, simulated as the Safe; a call the Safe may not make is refused as a direct one is.
 * @example
 * const ctx = await openLedgerContext({ rpcUrl, deployment: "deployments", safe: "0x…" });
 * const call = await prepareCall(ctx, (c) => pause(c)); // call.to, call.data for the Safe
 */
export async function prepareCall(ctx: LedgerContext, action: (ctx: LedgerContext) => Promise<unknown>): Promise<PreparedCall> {
  if (!ctx.prepare) throw new FatalError("prepareCall needs a context for a Safe.", { fix: "Open it with openLedgerContext({ …, safe })." });
  try {
    await action(ctx);
  } catch (err) {
    if (err instanceof CallPrepared) return err.call;
    throw err;
  }
  throw new FatalError("The action ended without a ledger call to prepare.", { fix: "Prepare an action that sends a transaction." });
}

/**
 * Runs `simulate` (a typed `simulateContract`), then sends its request and waits for the receipt. A refusal
 * (simulation or send) is thrown as {@link describeError} explains it; a lost receipt or an on-chain revert
 * as a DsxError saying what to check. In prepare mode (`ctx.prepare`) nothing is sent: the call that passed
 * the simulation as the Safe is thrown as {@link CallPrepared}.
 * @example
 * const result = await execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "pause" }));
 */
export async function execute(ctx: LedgerContext, simulate: () => Promise<{ request: unknown; result?: unknown }>): Promise<OperationResult> {
  let request: unknown;
  let result: unknown;
  try {
    ({ request, result } = await withRetry(simulate, ctx.retry));
  } catch (err) {
    // the chain's time lets a refusal say how long until (or since) the times it names
    throw describeError(err, { now: await chainNow(ctx).catch(() => undefined) });
  }
  if (ctx.prepare) throw new CallPrepared(preparedCallOf(ctx, request, result));
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

/**
 * The address, ABI and account of a ledger call, to spread into `simulateContract`.
 * @example ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "claim", args: [partner] });
 */
export const ledgerCall = (ctx: LedgerContext) => ({ address: ctx.deployment.ledger, abi: revenueShareLedgerAbi, account: ctx.account }) as const;

/**
 * The chain's time: the latest block's timestamp.
 * @example const now = await chainNow(ctx);
 */
export async function chainNow(ctx: Pick<LedgerContext, "publicClient" | "retry">): Promise<bigint> {
  return (await withRetry(() => ctx.publicClient.getBlock({ blockTag: "latest" }), ctx.retry)).timestamp;
}

/**
 * The time of the block that carried an operation's transaction.
 * @example const blockTime = await blockTimeOf(ctx, result);
 */
export async function blockTimeOf(ctx: Pick<LedgerContext, "publicClient" | "retry">, result: Pick<OperationResult, "blockNumber">): Promise<bigint> {
  return (await withRetry(() => ctx.publicClient.getBlock({ blockNumber: result.blockNumber }), ctx.retry)).timestamp;
}

/**
 * The `eventName` events the ledger (the deployment's, no other contract) emitted in the transaction.
 * @example const granted = ledgerEvents(ctx, result.receipt, "RoleGranted");
 */
export function ledgerEvents<const N extends ContractEventName<typeof revenueShareLedgerAbi>>(
  ctx: Pick<LedgerContext, "deployment">,
  receipt: TransactionReceipt,
  eventName: N,
) {
  return parseEventLogs({
    abi: revenueShareLedgerAbi,
    logs: receipt.logs.filter((l) => l.address.toLowerCase() === ctx.deployment.ledger.toLowerCase()),
    eventName,
    strict: true,
  });
}

/**
 * The first `eventName` event the ledger emitted in the transaction; none is a FatalError (the deployment
 * names another ledger than the one that ran the call).
 * @example const { args } = ledgerEvent(ctx, result.receipt, "AgreementCreated");
 */
export function ledgerEvent<const N extends ContractEventName<typeof revenueShareLedgerAbi>>(
  ctx: Pick<LedgerContext, "deployment">,
  receipt: TransactionReceipt,
  eventName: N,
) {
  const [event] = ledgerEvents(ctx, receipt, eventName);
  if (event === undefined) {
    throw new FatalError(`Transaction ${receipt.transactionHash} succeeded but ledger ${ctx.deployment.ledger} emitted no ${eventName} event.`, {
      fix: "Check that --deployment names the ledger this chain runs.",
    });
  }
  return event;
}
