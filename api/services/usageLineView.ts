// A usage line as the API answers it (`UsageLine` of api/schemas/resources.ts). The one home of that shape: the
// indexer renders it when it writes a line (`usage_lines.view`, api/indexer/store.ts) and the routes send it as
// stored; a route that reads the columns (a batch's lines) maps them here too.
import type { UsageLineFacts } from "../db/schema";
import type { UsageLine } from "../schemas/resources";
import { addr, iso, skuName } from "./format";

/** The response item of a stored usage line. */
export function usageLineView(r: Omit<UsageLineFacts, "log_index">): UsageLine {
  return {
    batchId: r.batch_id,
    agreementId: r.agreement_id,
    partner: addr(r.partner),
    sku: skuName(r.sku),
    gpuSeconds: r.gpu_seconds,
    accepted: r.accepted,
    reason: r.reason,
    credits: r.credits,
    receivableAdded: r.receivable_added,
    recordedAt: iso(r.timestamp),
    blockNumber: r.block_number,
    txHash: r.tx_hash,
  };
}

/** What `usage_lines.view` holds: the JSON text of {@link usageLineView}. */
export const usageLineJson = (r: Omit<UsageLineFacts, "log_index">): string => JSON.stringify(usageLineView(r));
