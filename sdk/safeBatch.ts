// Safe Transaction Builder batch files on disk: reading (shape, checksum, chain, Safe checked) and writing.
// The format and its pure builders are in ./safeBatchFormat (no node: imports; the dashboard bundles them).
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { getAddress, type Address } from "viem";
import { z } from "zod";
import { ValidationError } from "./errorClasses";
import { nullForUndefined, validSafeBatchChecksum, type SafeBatchContractInput, type SafeBatchFile } from "./safeBatchFormat";

export {
  TX_BUILDER_VERSION,
  appendToSafeBatch,
  contractInputValue,
  newSafeBatch,
  safeBatchChecksum,
  safeBatchTransaction,
  validSafeBatchChecksum,
  type NewSafeBatchOptions,
  type SafeBatchContractInput,
  type SafeBatchContractMethod,
  type SafeBatchFile,
  type SafeBatchTransaction,
} from "./safeBatchFormat";

const contractInputSchema: z.ZodType<SafeBatchContractInput> = z.lazy(() =>
  z.object({ internalType: z.string(), name: z.string(), type: z.string(), components: z.array(contractInputSchema).optional() }),
);

const batchSchema = z.object({
  version: z.string(),
  chainId: z.string(),
  createdAt: z.number(),
  meta: z.looseObject({
    name: z.string().nullable(),
    description: z.string().nullish(),
    txBuilderVersion: z.string().nullish(),
    createdFromSafeAddress: z.string().nullish(),
    createdFromOwnerAddress: z.string().nullish(),
    checksum: z.string().nullish(),
  }),
  transactions: z.array(
    z.looseObject({
      to: z.string(),
      // the app refuses numbers: 2^256 does not fit a JavaScript number
      value: z.string(),
      data: z.string().nullish(),
      contractMethod: z.object({ inputs: z.array(contractInputSchema), name: z.string(), payable: z.boolean() }).nullish(),
      contractInputsValues: z.record(z.string(), z.string()).nullish(),
    }),
  ),
});

/**
 * Reads a batch file and checks it is one the Transaction Builder imports without a warning: its shape and its
 * checksum; with `expect`, also its chain and its Safe. A refusal names the file and the fix.
 * @example const batch = readSafeBatch("out.json", { chainId: 31337, safe });
 */
export function readSafeBatch(path: string, expect: { chainId?: number; safe?: Address } = {}): SafeBatchFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new ValidationError(`Safe batch file ${path} cannot be read.`, { fix: "Check the path, or leave out --append to write a new file." });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ValidationError(`${path} is not JSON.`, { fix: "Give a Transaction Builder batch file, or a new file name without --append." });
  }
  const result = batchSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ValidationError(`${path} is not a Transaction Builder batch file: ${issue.path.join(".") || "the file"}: ${issue.message}.`, {
      fix: "Give a file the Transaction Builder or `dsx … --safe-json` wrote, or a new file name without --append.",
    });
  }
  const batch = result.data as SafeBatchFile;
  if (!validSafeBatchChecksum(batch)) {
    throw new ValidationError(`${path} was modified after it was written: its meta.checksum does not match its content.`, {
      fix: "Write the batch again (without --append), or export it again from the Transaction Builder.",
    });
  }
  if (expect.chainId !== undefined && batch.chainId !== String(expect.chainId)) {
    throw new ValidationError(`${path} is a batch for chain ${batch.chainId}, not chain ${expect.chainId}.`, {
      fix: "Append to a batch for this chain, or give a new file name.",
    });
  }
  const fileSafe = batch.meta.createdFromSafeAddress;
  if (expect.safe !== undefined && fileSafe && fileSafe.toLowerCase() !== expect.safe.toLowerCase()) {
    throw new ValidationError(`${path} is a batch for Safe ${fileSafe}, not ${getAddress(expect.safe)}.`, {
      fix: `Pass --safe ${fileSafe}, or give a new file name for the other Safe.`,
    });
  }
  return batch;
}

/**
 * Writes a batch file as the Transaction Builder exports it (undefined as null), whole or not at all.
 * @example writeSafeBatch("out.json", batch);
 */
export function writeSafeBatch(path: string, batch: SafeBatchFile): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(batch, nullForUndefined, 2)}\n`);
  renameSync(tmp, path);
}
