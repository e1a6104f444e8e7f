// `dsx admin transfer | accept | cancel`: moving DEFAULT_ADMIN_ROLE, which the ledger does in two steps
// (OpenZeppelin AccessControlDefaultAdminRules, PROTOCOL v1.1 §3): the admin names the new admin, which
// accepts once the admin delay has passed; until then the admin can cancel. `dsx status` shows the admin,
// the delay and a pending transfer.
import { Command } from "commander";
import { whenText } from "../../sdk/errors";
import * as ops from "../../sdk";
import { commandOf, emitTx, leaf, withSafeJson } from "../command";
import type { Io } from "../io";
import { parseAddress, signingContext } from "../options";

/** `dsx admin …`; with --safe-json, each subcommand writes its call to a Safe batch file instead of sending it. */
export function adminCommand(io: Io): Command {
  const admin = new Command("admin").description("move the ledger's admin role (DEFAULT_ADMIN_ROLE) in two steps: transfer, then accept after the admin delay");

  leaf(
    admin,
    "transfer <newAdmin>",
    "start moving the admin role to a new address (the admin's key); it accepts after the admin delay",
    ["dsx admin transfer 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --keystore admin.json"],
    "The new admin accepts with `dsx admin accept` in a block after now + the admin delay (dsx status shows\n" +
      "the delay); until it does, the current admin keeps the role and can cancel (dsx admin cancel). A new\n" +
      "transfer replaces a pending one.",
  )
    .calls("beginDefaultAdminTransfer")
    .action(async (who: string, ...rest: unknown[]) => {
      const cmd = commandOf(rest);
      const newAdmin = parseAddress(who, "New admin");
      const r = await ops.beginDefaultAdminTransfer(await signingContext(cmd), newAdmin);
      const replaced = r.replaced ? `; it replaces the pending transfer to ${r.replaced.newAdmin}` : "";
      emitTx(io, cmd, "admin transfer", r, { newAdmin, acceptableAfter: r.acceptableAfter, delay: r.acceptableAfter - r.blockTime, replaced: r.replaced },
        `admin transfer to ${newAdmin} started: it accepts with \`dsx admin accept\` after ${whenText(r.acceptableAfter, r.blockTime)}; until then you stay the admin and can cancel it (dsx admin cancel)${replaced}`);
    });

  leaf(
    admin,
    "accept",
    "take over the admin role with the new admin's key, once the admin delay of the pending transfer has passed",
    ["dsx admin accept --keystore new-admin.json"],
    "Before that time it is refused with the time it becomes possible and how long until then.",
  )
    .calls("acceptDefaultAdminTransfer")
    .action(async (...args: unknown[]) => {
      const cmd = commandOf(args);
      const r = await ops.acceptDefaultAdminTransfer(await signingContext(cmd));
      emitTx(io, cmd, "admin accept", r, { admin: r.admin, previousAdmin: r.previousAdmin }, `${r.admin} is now the admin (DEFAULT_ADMIN_ROLE), taken over from ${r.previousAdmin}`);
    });

  leaf(admin, "cancel", "withdraw the pending admin transfer before it is accepted (the admin's key)", ["dsx admin cancel --keystore admin.json"])
    .calls("cancelDefaultAdminTransfer")
    .action(async (...args: unknown[]) => {
      const cmd = commandOf(args);
      const r = await ops.cancelDefaultAdminTransfer(await signingContext(cmd));
      emitTx(io, cmd, "admin cancel", r, { newAdmin: r.newAdmin, acceptableAfter: r.acceptableAfter },
        `the admin transfer to ${r.newAdmin} (acceptable after ${whenText(r.acceptableAfter)}) is cancelled; the admin stays as it is`);
    });

  // the admin role is usually a Safe's: every step can be prepared for it instead of sent
  return withSafeJson(admin, io);
}
