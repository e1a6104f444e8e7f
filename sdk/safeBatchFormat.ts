// Safe Transaction Builder batch files: the JSON that Safe{Wallet}'s Transaction Builder app imports
// (safe-global/safe-react-apps, apps/tx-builder: src/typings/models.ts `BatchFile`, src/lib/checksum.ts).
// Each transaction carries its contract method and inputs and no raw data, so the app shows the call
// decoded and encodes it itself (its `encodeToHexData`); `meta.checksum` is the app's: keccak256 of its
// key-sorted serialization with `meta.name` set to null and no `checksum` key.
// The pure builders, with no node: imports, so that the dashboard's browser bundle can use them too.
import { getAddress, keccak256, stringToHex, type AbiParameter, type Address } from "viem";
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
/** JSON.stringify replacer: undefined written as null (the app's export does the same). */
export const nullForUndefined = (_key: string, value: unknown): unknown => (value === undefined ? null : value);

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
