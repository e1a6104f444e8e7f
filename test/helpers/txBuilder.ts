// How Safe{Wallet}'s Transaction Builder (safe-global/safe-react-apps, apps/tx-builder src/utils.ts) turns a batch
// file's decoded call back into calldata, ported for the types the ledger's functions take: the CLI's `--safe-json`
// files (test/cli/safe-json.test.ts) and the dashboard's downloads (test/dashboard/wallet-safe.test.ts) are executed
// exactly as the app would.
import { Interface, type JsonFragment } from "ethers";
import type { Hex } from "viem";
import type { SafeBatchTransaction } from "../../sdk/safeBatch";

/** utils.ts `parseStringToArray`: "[a, [b, c]]" → ["a", "[b, c]"]. */
function parseStringToArray(value: string): string[] {
  let items = 0;
  let depth = 0;
  const out: string[] = [];
  for (const char of value.trim().slice(1, -1)) {
    if (char === "," && depth === 0) {
      items++;
      continue;
    }
    if (char === "[") depth++;
    if (char === "]") depth--;
    out[items] = `${out[items] ?? ""}${char}`.trim();
  }
  return out;
}

/** utils.ts `parseInputValue`: a bool is "true"/"1" or "false"/"0" (any other text is refused), tuples are JSON. */
function parseInputValue(type: string, value: string): unknown {
  const trimmed = value.trim();
  if (type === "bool") {
    if (["true", "1"].includes(trimmed.toLowerCase())) return true;
    if (["false", "0"].includes(trimmed.toLowerCase())) return false;
    throw new Error(`Invalid Boolean value "${value}"`);
  }
  if (/^u?int\d*$/.test(type)) return BigInt(trimmed.replace(/["']/g, ""));
  if (type.startsWith("tuple")) return JSON.parse(trimmed);
  if (/^string\[/.test(type)) return JSON.parse(trimmed);
  if (/\[\d*\]$/.test(type)) {
    const base = type.replace(/(\[\d*\])+$/, "");
    return parseStringToArray(trimmed).map((item) => parseInputValue(base, item.replace(/["']/g, "")));
  }
  return value;
}

/**
 * utils.ts `encodeToHexData`: the calldata the Transaction Builder builds from a transaction's `contractMethod` and
 * `contractInputsValues` (a transaction with raw `data` only is sent as it is).
 */
export function txBuilderCalldata(tx: SafeBatchTransaction): Hex {
  if (!tx.contractMethod) return tx.data as Hex;
  const method = tx.contractMethod;
  const values = method.inputs.map((input, i) => parseInputValue(input.type, tx.contractInputsValues?.[input.name || String(i)] ?? ""));
  const fragment: JsonFragment = { type: "function", name: method.name, inputs: method.inputs, outputs: [], stateMutability: method.payable ? "payable" : "nonpayable" };
  return new Interface([fragment]).encodeFunctionData(method.name, values) as Hex;
}
