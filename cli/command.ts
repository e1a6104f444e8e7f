// Building blocks of the `dsx` command tree: a leaf command with the global options and an example in its
// --help, the ledger functions each command calls, and the way a transaction's result is printed.
import { Command } from "commander";
import type { ContractFunctionName } from "viem";
import type { revenueShareLedgerAbi } from "../sdk/abis";
import { durationText } from "../sdk/errors";
import type { ChangeResult, OperationResult } from "../sdk/execute";
import { emit, time, type Io } from "./io";
import { globals, withGlobalOptions } from "./options";

/** A leaf command: chains `.calls(…)` to declare the ledger functions it calls (see {@link calls}). */
export type LeafCommand = Command & { calls(...functions: LedgerFunction[]): LeafCommand };

/** A subcommand of `parent` with the global options and, in its --help, what it does and an example. */
export function leaf(parent: Command, nameAndArgs: string, description: string, examples: string[], notes?: string): LeafCommand {
  const cmd = withGlobalOptions(parent.command(nameAndArgs).description(description));
  const text = [notes ? `\n${notes}` : "", "\nExample:", ...examples.map((e) => `  $ ${e}`), ""].join("\n");
  cmd.addHelpText("after", text);
  return Object.assign(cmd, { calls: (...functions: LedgerFunction[]) => calls(cmd as LeafCommand, ...functions) }) as LeafCommand;
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

/** A function of the ledger's ABI (a name that is not one does not compile). */
export type LedgerFunction = ContractFunctionName<typeof revenueShareLedgerAbi>;

const LEDGER_FUNCTIONS = new WeakMap<Command, readonly LedgerFunction[]>();

/**
 * Declares the ledger functions `cmd` calls for its user: those it sends, and for `dsx status` the views it
 * shows. Messages name the command instead of the function (test/sdk/errors.test.ts holds them to it).
 * @example leaf(program, "pause", …).calls("pause").action(…)
 */
export function calls<C extends Command>(cmd: C, ...functions: LedgerFunction[]): C {
  LEDGER_FUNCTIONS.set(cmd, [...(LEDGER_FUNCTIONS.get(cmd) ?? []), ...functions]);
  return cmd;
}

/** The full name of a command, e.g. "dsx startup pay". */
export function fullName(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/**
 * Every ledger function a command of the tree under `root` calls, with the commands that call it, from the
 * tree itself: e.g. "setRevenueSigners" → ["dsx program revenue-signers"].
 */
export function commandsByLedgerFunction(root: Command): Map<string, string[]> {
  const map = new Map<string, string[]>();
  const walk = (cmd: Command) => {
    for (const fn of LEDGER_FUNCTIONS.get(cmd) ?? []) map.set(fn, [...(map.get(fn) ?? []), fullName(cmd)]);
    for (const sub of cmd.commands) walk(sub);
  };
  walk(root);
  return map;
}
