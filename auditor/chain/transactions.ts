// The few transactions whose sender or calldata a rule needs (PROTOCOL §10.7): events do not say who sent them. A
// wallet migration, its cancellation and a partner's signer set or payout address in force at once must come from the
// affected party; a batch recorded while PROGRAM's proposed signer set was pending must carry signatures of the set
// then in force (recovered from the submitUsage calldata). Read with eth_getTransactionByHash, only for those.
import { decodeFunctionData, getAddress, recoverAddress, type Address, type Hex } from "viem";
import { revenueShareLedgerAbi } from "../../sdk/abis";
import { hashUsageBatch, ledgerDomain } from "../../sdk/eip712";
import { withRetry } from "../../sdk/chain";
import type { Sender } from "../checks/invariant7";
import { batchIdOf } from "../replay/replay";
import type { LedgerEvent } from "./events";
import type { ChainReader } from "./reader";

/** A transaction as the rules need it. */
export interface TransactionFacts extends Sender {
  input: Hex;
}

/** What to read: transactions whose sender matters, and batches (by transaction) whose signatures to recover. */
export interface TransactionsWanted {
  senders: Set<Hex>;
  batches: Map<Hex, Hex>;
}

/**
 * The transactions to read, from the events and their blocks' times: every migration, migration cancellation and
 * partner signer set set at once, every payout address in force at once (effectiveAt = its block's time), and every
 * batch recorded while its partner had a proposed signer set not yet in force.
 */
export function transactionsToRead(events: readonly LedgerEvent[], blockTimes: ReadonlyMap<bigint, bigint>): TransactionsWanted {
  const wanted: TransactionsWanted = { senders: new Set(), batches: new Map() };
  const pendingUntil = new Map<string, bigint>();
  for (const e of events) {
    switch (e.eventName) {
      case "StartupMigrated":
      case "StartupMigrationCancelled":
        wanted.senders.add(e.tx);
        break;
      case "PartnerSignersSet":
        wanted.senders.add(e.tx);
        pendingUntil.delete(e.args.partner.toLowerCase());
        break;
      case "PayoutAddressSet":
        if (BigInt(e.args.effectiveAt) <= (blockTimes.get(e.block) ?? 0n)) wanted.senders.add(e.tx);
        break;
      case "PartnerSignersProposed":
        pendingUntil.set(e.args.partner.toLowerCase(), BigInt(e.args.effectiveAt));
        break;
      case "UsageBatchRecorded": {
        const until = pendingUntil.get(e.args.partner.toLowerCase());
        if (until !== undefined && (blockTimes.get(e.block) ?? 0n) < until) wanted.batches.set(e.tx, e.args.batchId);
        break;
      }
      default:
        break;
    }
  }
  return wanted;
}

/** Reads `hashes` (JSON-RPC batched), by lower-case hash. */
export async function readTransactions(reader: ChainReader, hashes: Iterable<Hex>): Promise<Map<string, TransactionFacts>> {
  const list = [...new Set([...hashes].map((h) => h.toLowerCase() as Hex))];
  const read = await Promise.all(list.map((hash) => withRetry(async () => {
    const tx = (await reader.client.request({ method: "eth_getTransactionByHash", params: [hash] } as never)) as { from: Address; to: Address | null; input: Hex } | null;
    if (!tx) throw new Error(`Transaction ${hash} is not known to the node.`);
    return tx;
  }, { attempts: 4 })));
  return new Map(list.map((hash, i) => [hash, { from: getAddress(read[i].from), to: read[i].to ? getAddress(read[i].to!) : null, input: read[i].input }]));
}

/**
 * The signers of each wanted batch, recovered from its submitUsage calldata (by lower-case batch id). A transaction
 * that is not a direct submitUsage call to the ledger (a relayer contract) has no decodable signatures: left out.
 */
export async function recoverBatchSigners(
  transactions: ReadonlyMap<string, TransactionFacts>,
  batches: ReadonlyMap<Hex, Hex>,
  chain: { chainId: number; ledger: Address },
): Promise<Map<string, Address[]>> {
  const domain = ledgerDomain(chain.chainId, chain.ledger);
  const out = new Map<string, Address[]>();
  for (const [tx, batchId] of batches) {
    const facts = transactions.get(tx.toLowerCase());
    if (!facts || facts.to?.toLowerCase() !== chain.ledger.toLowerCase()) continue;
    let call;
    try {
      call = decodeFunctionData({ abi: revenueShareLedgerAbi, data: facts.input });
    } catch {
      continue;
    }
    if (call.functionName !== "submitUsage") continue;
    const [batch, signatures] = call.args;
    if (batchIdOf(batch.partner, batch.sequence, batch.periodStart, batch.periodEnd, batch.recordsRoot).toLowerCase() !== batchId.toLowerCase()) continue;
    const digest = hashUsageBatch(domain, { ...batch, lines: [...batch.lines] });
    const signers: Address[] = [];
    for (const signature of signatures) {
      try {
        signers.push(await recoverAddress({ hash: digest, signature }));
      } catch {
        // an unrecoverable signature counts for nothing
      }
    }
    out.set(batchId.toLowerCase(), signers);
  }
  return out;
}
