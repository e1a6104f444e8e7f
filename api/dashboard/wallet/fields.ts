/// <reference lib="dom" />
// The action forms' fields, parsed exactly: amounts with the sdk's 6-decimal parser (no floats; over-precision
// refused with the reason), checksummed addresses, ids, reasons of bounded size. A refusal names the field and how
// to fix it; nothing is sent.
import { getAddress, isAddress, stringToBytes, type Address, type Hex } from "viem";
import { DsxError } from "../../../sdk/errorClasses";
import { parseUnits6 } from "../../../sdk/units";
import { MAX_REASON_BYTES } from "../../reasons/limits";

export type FieldKind = "amount" | "address" | "uint" | "bytes32" | "reason" | "addresses" | "choice" | "text";

export interface FieldSpec {
  name: string;
  label: string;
  kind: FieldKind;
  /** The value the field starts with. */
  value?: string;
  help?: string;
  /** For "choice": [value, label] pairs. */
  choices?: [string, string][];
  /** Left empty, the field's value is undefined (the action says what is missing). */
  optional?: boolean;
}

/** A field's value refused: shown at the field (role="alert"), nothing sent. */
export class FieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** The longest reason a dispute takes (UTF-8 bytes, the API's own limit): its keccak256 goes on chain, the text is stored by the API. */
export { MAX_REASON_BYTES };

function address(field: string, raw: string): Address {
  if (!isAddress(raw, { strict: false })) throw new FieldError(field, `"${raw}" is not an address: write 0x followed by 40 hex digits.`);
  const checksummed = getAddress(raw);
  if (raw !== checksummed) throw new FieldError(field, `${raw} is not a checksummed address (EIP-55): write it as ${checksummed}, checking that this is the address you meant.`);
  return checksummed;
}

/** Parses one field's text; throws {@link FieldError}. */
export function parseField(spec: FieldSpec, text: string): unknown {
  const raw = text.trim();
  const f = spec.name;
  if (spec.optional && raw === "") return undefined;
  switch (spec.kind) {
    case "amount":
      try {
        return parseUnits6(raw, { allowNegative: false });
      } catch (err) {
        throw new FieldError(f, err instanceof DsxError ? err.message : String(err));
      }
    case "address":
      return address(f, raw);
    case "addresses": {
      const list = raw.split(/[\s,;]+/).filter(Boolean).map((a) => address(f, a));
      if (list.length === 0) throw new FieldError(f, "Give at least one address, one per line.");
      if (new Set(list.map((a) => a.toLowerCase())).size !== list.length) throw new FieldError(f, "An address is listed twice: list each signer once.");
      // the ledger takes a signer set in ascending order
      return list.sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));
    }
    case "uint":
      if (!/^[0-9]{1,78}$/.test(raw)) throw new FieldError(f, `"${raw}" is not a whole number: write digits only, e.g. 3.`);
      return BigInt(raw);
    case "bytes32":
      if (!/^0x[0-9a-fA-F]{64}$/.test(raw)) throw new FieldError(f, `"${raw}" is not a 32-byte id: write 0x followed by 64 hex digits (copy it from the batch's page).`);
      return raw.toLowerCase() as Hex;
    case "reason": {
      if (raw === "") throw new FieldError(f, "Write the reason: the auditor and the program read it to resolve the dispute.");
      const size = stringToBytes(raw).length;
      if (size > MAX_REASON_BYTES) throw new FieldError(f, `The reason is ${size} bytes; at most ${MAX_REASON_BYTES} are allowed. Shorten it (link a longer document instead).`);
      return raw;
    }
    case "choice":
      return raw;
    case "text":
      if (raw === "") throw new FieldError(f, `Write the ${spec.label.toLowerCase()}.`);
      return raw;
  }
}
