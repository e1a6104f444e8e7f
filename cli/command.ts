// Building blocks of the `dsx` command tree: a leaf command with the global options and an example in its
// --help, and the way a transaction's result is printed.
import { Command } from "commander";
import { durationText } from "../sdk/errors";
import type { ChangeResult, OperationResult } from "../sdk/operations";
import { emit, time, type Io } from "./io";
import { globals, withGlobalOptions } from "./options";

/** A subcommand of `parent` with the global options and, in its --help, what it does and an example. */
export function leaf(parent: Command, nameAndArgs: string, description: string, examples: string[], notes?: string): Command {
  const cmd = withGlobalOptions(parent.command(nameAndArgs).description(description));
  const text = [notes ? `\n${notes}` : "", "\nExample:", ...examples.map((e) => `  $ ${e}`), ""].join("\n");
  return cmd.addHelpText("after", text);
}

/** The last argument commander passes to an action: the command itself. */
export const commandOf = (args: unknown[]): Command => args[args.length - 1] as Command;

/** The transaction fields every state-changing command prints. */
export const txFields = (r: OperationResult) => ({ transactionHash: r.transactionHash, blockNumber: r.blockNumber, gasUsed: r.gasUsed });

/** " (tx 0x…, block n)". */
export const txSuffix = (r: OperationResult) => ` (tx ${r.transactionHash}, block ${r.blockNumber})`;

/** Prints a transaction's result. */
export function emitTx(io: Io, cmd: Command, command: string, result: OperationResult, data: Record<string, unknown>, human: string): void {
  emit(io, globals(cmd).json, { command, ...data, ...txFields(result) }, `${human}${txSuffix(result)}`);
}

/** The fields a change with a notice adds to its JSON: how it went, from when it is in force, the notice. */
export const changeFields = (r: ChangeResult) => ({ mode: r.mode, effectiveAt: r.effectiveAt, notice: r.effectiveAt - r.blockTime });

/**
 * How a proposal reads: "PROPOSED: in force from 2026-10-09T00:00:00Z (in 7 days)"; an immediate change reads
 * `immediate`.
 */
export function changeText(r: ChangeResult, immediate = "in force at once", from = "in force from"): string {
  if (r.mode === "immediate") return immediate;
  return `PROPOSED: ${from} ${time(r.effectiveAt)} (in ${durationText(r.effectiveAt - r.blockTime)})`;
}
