// The sdk's entry point: every state-changing ledger operation a participant performs, one typed viem
// function each (SERVICES §6), grouped by who sends it in sdk/actions/, with what they need (context,
// deployment, values, the send engine, struct types) and the ledger's refusals explained (sdk/errors.ts).
//
// Amounts: a `bigint` is exact 6-decimal base units; a `string` is a human decimal ("1250.5") converted
// exactly by `parseUnits6`. Never a float.
export * from "./actions/admin";
export * from "./actions/anyone";
export * from "./actions/auditor";
export * from "./actions/partner";
export * from "./actions/program";
export * from "./actions/read";
export * from "./actions/settlement";
export * from "./actions/startup";
export * from "./context";
export * from "./deployment";
export {
  blockTimeOf,
  CallPrepared,
  chainNow,
  execute,
  ledgerCall,
  ledgerEvent,
  ledgerEvents,
  prepareCall,
  type ChangeMode,
  type ChangeResult,
  type OperationResult,
  type PreparedCall,
} from "./execute";
export * from "./safeBatch";
export * from "./types";
export * from "./values";
export { agreementStatusName, describeError, LedgerRevertError, revenueStateName, usageDisputeStateName } from "./errors";
