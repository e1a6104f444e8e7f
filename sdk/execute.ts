// The send engine every action shares: simulate first, so a refusal is reported before anything is sent,
// as one line naming the ledger's custom error, its values and the fix (sdk/errors.ts); then send, wait for
// the receipt, and let the action pick what it returns from the ledger's events.
import { parseEventLogs, type ContractEventName, type Hex, type TransactionReceipt } from "viem";
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

/**
 * Runs `simulate` (a typed `simulateContract`), then sends its request and waits for the receipt. A refusal
 * (simulation or send) is thrown as {@link describeError} explains it; a lost receipt or an on-chain revert
 * as a DsxError saying what to check.
 * @example
 * const result = await execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "pause" }));
 */
export async function execute(ctx: LedgerContext, simulate: () => Promise<{ request: unknown }>): Promise<OperationResult> {
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
