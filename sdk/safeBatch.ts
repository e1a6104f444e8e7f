// Safe Transaction Builder batch files: the JSON that Safe{Wallet}'s Transaction Builder app imports
// (safe-global/safe-react-apps, apps/tx-builder: src/typings/models.ts `BatchFile`, src/lib/checksum.ts).
// Each transaction carries its contract method and inputs and no raw data, so the app shows the call
// decoded and encodes it itself (its `encodeToHexData`); `meta.checksum` is the app's: keccak256 of its
// key-sorted serialization with `meta.name` set to null and no `checksum` key.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { getAddress, keccak256, stringToHex, type AbiParameter, type Address } from "viem";
import { z } from "zod";
import { ValidationError } from "./errorClasses";
import type { PreparedCall } from "./execute";

/** The Transaction Builder version whose file format this follows (apps/tx-builder/package.json). */
export const TX_BUILDER_VERSION = "1.18.3";

/** An input of a contract method, as the ABI has it. */
export interface SafeBatchContractInput {
  internalType: string;
  name: string;
  type: string;
  components?: SafeBatchContractInput[];
}

/** The method a transaction calls. */
export interface SafeBatchContractMethod {
  inputs: SafeBatchContractInput[];
  name: string;
  payable: boolean;
}

/** One transaction of a batch: a decoded call (`contractMethod` + `contractInputsValues`, `data` null) or raw data. */
export interface SafeBatchTransaction {
  to: string;
  value: string;
  data?: string | null;
  contractMethod?: SafeBatchContractMethod | null;
  contractInputsValues?: Record<string, string> | null;
}

/** A Transaction Builder batch file. */
export interface SafeBatchFile {
  version: string;
  chainId: string;
  createdAt: number;
  meta: {
    name: string | null;
    description?: string | null;
    txBuilderVersion?: string | null;
    createdFromSafeAddress?: string | null;
    createdFromOwnerAddress?: string | null;
    checksum?: string | null;
  };
  transactions: SafeBatchTransaction[];
}

// undefined is written as null (JSON has no undefined), as the app does, so the checksum reads back the same
const nullForUndefined = (_key: string, value: unknown): unknown => (value === undefined ? null : value);

/** The app's serialization (`serializeJSONObject`): keys sorted, each object as its key list then its values. */
function serialize(json: unknown): string {
  if (Array.isArray(json)) return `[${json.map(serialize).join(",")}]`;
  if (typeof json === "object" && json !== null) {
    const keys = Object.keys(json).sort();
    const record = json as Record<string, unknown>;
    return `{${JSON.stringify(keys)}${keys.map((k) => `${serialize(record[k])},`).join("")}}`;
  }
  return JSON.stringify(json, nullForUndefined);
}

/**
 * The checksum the Transaction Builder computes for a batch (its `calculateChecksum`): keccak256 of the
 * serialized file with `meta.name` null; a `meta.checksum` key, if any, is left out as its `validateChecksum` does.
 * @example const checksum = safeBatchChecksum(batch);
 */
export function safeBatchChecksum(batch: SafeBatchFile): string {
  const { checksum: _checksum, ...meta } = batch.meta;
  return keccak256(stringToHex(serialize({ ...batch, meta: { ...meta, name: null } })));
}

/**
 * Whether `meta.checksum` is the one the Transaction Builder computes on import (it warns that the file was
 * modified otherwise).
 * @example if (!validSafeBatchChecksum(batch)) throw …;
 */
export const validSafeBatchChecksum = (batch: SafeBatchFile): boolean => batch.meta.checksum === safeBatchChecksum(batch);

/** An ABI parameter as the file's `contractMethod.inputs` has it (name, type, internalType, components). */
function contractInput(param: AbiParameter): SafeBatchContractInput {
  const components = "components" in param ? param.components.map(contractInput) : undefined;
  return { internalType: param.internalType ?? param.type, name: param.name ?? "", type: param.type, ...(components ? { components } : {}) };
}

/** A value as JSON the app's parser reads back exactly: numbers as decimal strings, tuples as arrays in component order. */
function jsonValue(param: AbiParameter, value: unknown): unknown {
  const array = /^(.*)\[\d*\]$/.exec(param.type);
  if (array) return (value as readonly unknown[]).map((item) => jsonValue({ ...param, type: array[1] } as AbiParameter, item));
  if (param.type === "tuple" && "components" in param) {
    return param.components.map((c, i) => jsonValue(c, Array.isArray(value) ? value[i] : (value as Record<string, unknown>)[c.name ?? ""]));
  }
  if (typeof value === "bigint" || typeof value === "number") return value.toString();
  return value;
}

/**
 * An argument as the Transaction Builder's input field holds it (its `parseInputValue` reads it): a scalar as
 * text (integers in decimal, bool as true/false), a tuple or an array as JSON (JSON.parse keeps 2^256 exact as
 * the numbers are strings).
 */
export function contractInputValue(param: AbiParameter, value: unknown): string {
  if (param.type.startsWith("tuple") || param.type.endsWith("]")) return JSON.stringify(jsonValue(param, value));
  return String(value);
}

/**
 * The batch transaction of a prepared call: its method and inputs, so the app shows it decoded.
 * @example const tx = safeBatchTransaction(prepared);
 */
export function safeBatchTransaction(call: Pick<PreparedCall, "to" | "value" | "abiItem" | "args">): SafeBatchTransaction {
  const { abiItem } = call;
  const values: Record<string, string> = {};
  abiItem.inputs.forEach((input, i) => {
    values[input.name || String(i)] = contractInputValue(input, call.args[i]);
  });
  return {
    to: getAddress(call.to),
    value: call.value.toString(),
    data: null,
    contractMethod: { inputs: abiItem.inputs.map(contractInput), name: abiItem.name, payable: abiItem.stateMutability === "payable" },
    contractInputsValues: values,
  };
}

/** What a new batch needs. */
export interface NewSafeBatchOptions {
  chainId: number;
  safe: Address;
  name: string;
  description?: string;
  transactions: SafeBatchTransaction[];
  /** Milliseconds since 1970; default now. */
  createdAt?: number;
}

/**
 * A new batch for `safe` on `chainId`, with its checksum.
 * @example const batch = newSafeBatch({ chainId: 1, safe, name: "dsx program pause", transactions: [tx] });
 */
export function newSafeBatch(options: NewSafeBatchOptions): SafeBatchFile {
  return withChecksum({
    version: "1.0",
    chainId: String(options.chainId),
    createdAt: options.createdAt ?? Date.now(),
    meta: {
      name: options.name,
      description: options.description ?? "",
      txBuilderVersion: TX_BUILDER_VERSION,
      createdFromSafeAddress: getAddress(options.safe),
      createdFromOwnerAddress: "",
    },
    transactions: options.transactions,
  });
}

/** `batch` with `transactions` added at its end and its checksum computed again. */
export const appendToSafeBatch = (batch: SafeBatchFile, transactions: SafeBatchTransaction[]): SafeBatchFile =>
  withChecksum({ ...batch, transactions: [...batch.transactions, ...transactions] });

function withChecksum(batch: SafeBatchFile): SafeBatchFile {
  const { checksum: _checksum, ...meta } = batch.meta;
  return { ...batch, meta: { ...meta, checksum: safeBatchChecksum(batch) } };
}

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
