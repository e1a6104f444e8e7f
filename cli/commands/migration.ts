// `dsx migration execute | cancel`: the second step of a startup wallet migration the program proposed
// (PROTOCOL v1.1 §4): anyone executes it once its notice has passed; the startup wallet or the program
// cancels it before.
import { Command } from "commander";
import * as ops from "../../sdk";
import { commandOf, emitTx, leaf, withSafeJson } from "../command";
import { amount, time, type Io } from "../io";
import { parseAgreementId, signingContext } from "../options";

export function migrationCommand(io: Io): Command {
  const migration = new Command("migration").description("a wallet migration the program proposed: execute it once in effect, or cancel it before");

  leaf(
    migration,
    "execute <agreementId>",
    "carry out the program's proposed migration of an agreement once its effectiveAt has passed (anyone)",
    ["dsx migration execute 3 --keystore any.json"],
    "The new wallet is checked again (0 DSXC, no open agreement); the credits move with the agreement.",
  ).calls("executeStartupMigration").action(async (id: string, ...rest: unknown[]) => {
    const cmd = commandOf(rest);
    const agreementId = parseAgreementId(id);
    const r = await ops.executeStartupMigration(await signingContext(cmd), agreementId);
    emitTx(io, cmd, "migration execute", r, { agreementId, from: r.from, to: r.to, credits: amount(r.credits) },
      `agreement ${agreementId} moved from ${r.from} to ${r.to} with ${amount(r.credits)} DSXC`);
  });

  const cancel = leaf(
    migration,
    "cancel <agreementId>",
    "withdraw the program's proposed migration of an agreement before it takes effect (the startup wallet or PROGRAM_ROLE)",
    ["dsx migration cancel 3 --keystore startup.json"],
  ).calls("cancelStartupMigration").action(async (id: string, ...rest: unknown[]) => {
    const cmd = commandOf(rest);
    const agreementId = parseAgreementId(id);
    const r = await ops.cancelStartupMigration(await signingContext(cmd), agreementId);
    emitTx(io, cmd, "migration cancel", r, { agreementId, to: r.to, effectiveAt: r.effectiveAt },
      `the migration of agreement ${agreementId} to ${r.to} (due ${time(r.effectiveAt)}) is cancelled`);
  });

  // the program's side of a cancel can be prepared for the Safe that holds PROGRAM_ROLE
  withSafeJson(cancel, io);
  return migration;
}
