// Building blocks of the `dsx` command tree: a leaf command with the global options and an example in its
// --help, the ledger functions each command calls, the way a transaction's result is printed, and the
// commands that prepare their call for a Safe (--safe-json) instead of sending it.
import { existsSync } from "node:fs";
import { Command } from "commander";
import type { ContractFunctionName } from "viem";
import type { revenueShareLedgerAbi } from "../sdk/abis";
import { durationText } from "../sdk/errors";
import { CallPrepared, type ChangeResult, type OperationResult, type PreparedCall } from "../sdk/execute";
import { appendToSafeBatch, newSafeBatch, readSafeBatch, safeBatchTransaction, writeSafeBatch } from "../sdk/safeBatch";
import { emit, time, toJson, type Io } from "./io";
import { globals, safeTarget, withGlobalOptions, withSafeJsonOptions } from "./options";

/** A leaf command: chains `.calls(…)` to declare the ledger functions it calls (see {@link calls}). */
export type LeafCommand = Command & { calls(...functions: LedgerFunction[]): LeafCommand };

/** The commands that prepare their call for a Safe with --safe-json, and where they print. */
const SAFE_JSON = new WeakMap<Command, Io>();
/** Each leaf's first example, to show its --safe-json form. */
const FIRST_EXAMPLE = new WeakMap<Command, string>();

/** A subcommand of `parent` with the global options and, in its --help, what it does and an example. */
export function leaf(parent: Command, nameAndArgs: string, description: string, examples: string[], notes?: string): LeafCommand {
  const cmd = withGlobalOptions(parent.command(nameAndArgs).description(description));
  const text = [notes ? `\n${notes}` : "", "\nExample:", ...examples.map((e) => `  $ ${e}`), ""].join("\n");
  cmd.addHelpText("after", text);
  if (examples[0] !== undefined) FIRST_EXAMPLE.set(cmd, examples[0]);
  // a call prepared for a Safe ends the action where it would have sent: print that instead of a receipt
  const register = cmd.action.bind(cmd);
  cmd.action = (fn: (...args: unknown[]) => void | Promise<void>) =>
    register(async (...args: unknown[]) => {
      try {
        await fn(...args);
      } catch (err) {
        const io = SAFE_JSON.get(cmd);
        if (io === undefined || !(err instanceof CallPrepared)) throw err;
        emitPrepared(io, cmd, err.call);
      }
    });
  return Object.assign(cmd, { calls: (...functions: LedgerFunction[]) => calls(cmd as LeafCommand, ...functions) }) as LeafCommand;
}

/**
 * Gives every leaf under `group` the options to prepare its call for a Safe (--safe-json, --safe, --append)
 * instead of sending it (docs/cli.md, "Prepared for a Safe").
 * @example withSafeJson(programCommand, io);
 */
export function withSafeJson<C extends Command>(group: C, io: Io): C {
  const walk = (cmd: Command) => {
    if (cmd.commands.length === 0) {
      withSafeJsonOptions(cmd);
      SAFE_JSON.set(cmd, io);
      const example = FIRST_EXAMPLE.get(cmd)?.replace(/ --keystore \S+/, "");
      if (example) cmd.addHelpText("after", `  $ ${example} --safe-json batch.json --safe 0x…   # for a Safe: nothing is sent\n`);
    }
    cmd.commands.forEach(walk);
  };
  walk(group);
  return group;
}

/** What a prepared call adds to its description, when the receipt would have said more. */
const PREPARED_NOTES: Partial<Record<string, (call: PreparedCall) => string>> = {
  createAgreement: (call) => `the agreement id is assigned when the Safe executes it: expected ${String(call.result)} if no other agreement is created first`,
  beginDefaultAdminTransfer: () => "the admin delay counts from the block that executes it",
  migrateStartup: () => "its notice counts from the block that executes it",
  setPartnerSigners: () => "its notice counts from the block that executes it",
  setPayoutAddress: () => "its notice counts from the block that executes it",
  setRevenueSigners: () => "a later set's notice counts from the block that executes it",
};

/** `name: value` pairs of a call's arguments, numbers exact. */
function argsOf(call: PreparedCall): Record<string, unknown> {
  return Object.fromEntries(call.abiItem.inputs.map((input, i) => [input.name || String(i), call.args[i]]));
}

/** Writes the prepared call to the batch file (a new one, or appended) and prints what it does; nothing was sent. */
function emitPrepared(io: Io, cmd: Command, call: PreparedCall): void {
  const target = safeTarget(cmd)!;
  const command = fullName(cmd).replace(/^dsx /, "");
  const tx = safeBatchTransaction(call);
  const appended = target.append && existsSync(target.file);
  const batch = appended
    ? appendToSafeBatch(readSafeBatch(target.file, { chainId: call.chainId, safe: call.from }), [tx])
    : newSafeBatch({ chainId: call.chainId, safe: call.from, name: `dsx ${command}`, description: `DSX ledger ${call.to}: calls prepared by the DSX command line`, transactions: [tx] });
  writeSafeBatch(target.file, batch);
  const args = argsOf(call);
  const note = PREPARED_NOTES[call.functionName]?.(call);
  const count = batch.transactions.length;
  const decoded = `${call.functionName}(${Object.entries(args).map(([k, v]) => `${k}: ${typeof v === "object" ? toJson(v) : String(v)}`).join(", ")})`;
  emit(
    io,
    globals(cmd).json,
    {
      command,
      sent: false,
      safeJson: target.file,
      safe: call.from,
      chainId: call.chainId,
      appended,
      batchTransactions: count,
      transaction: { to: call.to, value: call.value, data: call.data, functionName: call.functionName, args, result: call.result, note },
    },
    [
      `NOT SENT: prepared for Safe ${call.from} on chain ${call.chainId}; ${target.file} ${appended ? "now holds" : "written with"} ${count} transaction${count === 1 ? "" : "s"} (Safe Transaction Builder batch)`,
      `  ${cmd.description()}`,
      `  call on ledger ${call.to}: ${decoded}`,
      ...(note ? [`  ${note}`] : []),
      "Import it in Safe{Wallet}: Apps, Transaction Builder, drag the file in; check each decoded call, then create the batch for the owners to sign.",
    ],
  );
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
