// Reading usage evidence bundles (SERVICES §2: `<evidence>/<batchId>.json`, written by the usage oracle): the
// batch, its signatures, the Merkle tree dump of its records, the transaction, the rejected lines and the quarantine
// decisions behind its records. Nothing in a bundle is trusted: it is parsed defensively and every figure is checked
// against the chain.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isAddress, isHex, type Hex } from "viem";
import { z } from "zod";

const hex = z.string().refine((v) => isHex(v), "expected 0x-hex");
const decimal = z.string().regex(/^\d+$/, "expected a decimal integer string");

/** A usage leaf: [recordId, agreementId, sku, sliceStart, sliceEnd, gpuSeconds]. */
const leafSchema = z.tuple([z.string(), decimal, hex, decimal, decimal, decimal]);

const text = z.string().optional();
/** A quarantine decision (oracle/usage/bundle.ts `EvidenceDecision`). */
const usageDecisionSchema = z.object({
  quarantineId: z.number().optional(), file: text, line: z.number().optional(), raw: text, reason: text, decision: text, decidedBy: text,
  note: text, agreementId: text, sku: text, recordIds: z.array(z.string()).optional(),
}).loose();

export const bundleSchema = z.object({
  kind: z.literal("dsx-usage-evidence"),
  version: z.literal(1),
  chainId: z.number().int(),
  ledger: z.string().refine((v) => isAddress(v, { strict: false }), "expected an address"),
  batchId: hex,
  batch: z.object({
    partner: z.string().refine((v) => isAddress(v, { strict: false }), "expected an address"),
    sequence: decimal,
    periodStart: decimal,
    periodEnd: decimal,
    recordsRoot: hex,
    lines: z.array(z.object({ agreementId: decimal, sku: hex, gpuSeconds: decimal })),
  }),
  signatures: z.array(z.object({ signer: z.string(), signature: hex })),
  tree: z.object({
    format: z.literal("standard-v1"),
    leafEncoding: z.array(z.string()),
    tree: z.array(hex),
    values: z.array(z.object({ value: leafSchema, treeIndex: z.number().int() })),
  }),
  transactionHash: hex.nullable(),
  rejectedLines: z.array(z.object({ agreementId: z.string(), sku: z.string(), reason: z.string() })).optional(),
  // v1.1: the operators' decisions behind records of the batch; every field optional here, checked by evidence.decisions
  quarantineDecisions: z.array(usageDecisionSchema).optional(),
}).loose();

export type EvidenceBundleFile = z.output<typeof bundleSchema>;
export type UsageLeafValue = z.output<typeof leafSchema>;

/** A bundle as read: parsed, or the reason it could not be. */
export interface LoadedBundle {
  file: string;
  bundle?: EvidenceBundleFile;
  error?: string;
}

/** Reads every `*.json` of `dir` as an evidence bundle. */
export function loadEvidenceBundles(dir: string): LoadedBundle[] {
  const files = readdirSync(dir).filter((name) => name.endsWith(".json")).sort();
  return files.map((name) => {
    const file = join(dir, name);
    try {
      const parsed = bundleSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
      if (!parsed.success) return { file, error: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") };
      return { file, bundle: parsed.data };
    } catch (err) {
      return { file, error: err instanceof Error ? err.message : String(err) };
    }
  });
}

/** The full lines (with gpuSeconds) of each bundle's batch, by claimed batch id, for the replay. */
export function batchLinesOf(bundles: readonly LoadedBundle[]): Map<string, { agreementId: bigint; sku: Hex; gpuSeconds: bigint }[]> {
  const map = new Map<string, { agreementId: bigint; sku: Hex; gpuSeconds: bigint }[]>();
  for (const { bundle } of bundles) {
    if (!bundle) continue;
    map.set(bundle.batchId.toLowerCase(), bundle.batch.lines.map((l) => ({ agreementId: BigInt(l.agreementId), sku: l.sku as Hex, gpuSeconds: BigInt(l.gpuSeconds) })));
  }
  return map;
}
