// The admin's actions (DEFAULT_ADMIN_ROLE; pause: PAUSER_ROLE): treasury, pause, roles, and moving the admin
// role in two steps (OpenZeppelin AccessControlDefaultAdminRules, PROTOCOL v1.1 §3). The ledger has one
// DEFAULT_ADMIN_ROLE holder. The admin names a new one (beginDefaultAdminTransfer); that address accepts
// (acceptDefaultAdminTransfer) in a block after the schedule (now + the admin delay); until then the admin can
// cancel (cancelDefaultAdminTransfer). A newer transfer replaces a pending one.
import { zeroAddress, type Address } from "viem";
import type { LedgerContext } from "../context";
import { FatalError, LedgerRevertError, ValidationError } from "../errors";
import { blockTimeOf, execute, ledgerCall, ledgerEvent, ledgerEvents, type OperationResult } from "../execute";
import { ROLES, toAddress, type RoleName } from "../values";
import { readAdmin, type PendingAdminTransfer } from "./read";

export type SetTreasuryParameters = [treasury: Address];
export type SetTreasuryReturnType = OperationResult;

/**
 * Sets the treasury that `claimProgram` pays (DEFAULT_ADMIN_ROLE).
 * @example await setTreasury(ctx, "0x90F79bf6EB2c4f870365E785982E1f101E93b906");
 */
export async function setTreasury(ctx: LedgerContext, ...[treasury]: SetTreasuryParameters): Promise<SetTreasuryReturnType> {
  return execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "setTreasury", args: [toAddress(treasury, "Treasury")] }));
}

export type PauseReturnType = OperationResult;

/**
 * Pauses attestations, acceptance and creation (PAUSER_ROLE). Pay, claim, dispute, resolve and finalize go on.
 * @example await pause(ctx);
 */
export async function pause(ctx: LedgerContext): Promise<PauseReturnType> {
  return execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "pause" }));
}

export type UnpauseReturnType = OperationResult;

/**
 * Unpauses (PAUSER_ROLE); reporting grace counts from here.
 * @example await unpause(ctx);
 */
export async function unpause(ctx: LedgerContext): Promise<UnpauseReturnType> {
  return execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "unpause" }));
}

export type GrantRoleParameters = [role: RoleName, account: Address];
export type GrantRoleReturnType = OperationResult;

/**
 * Grants a role (DEFAULT_ADMIN_ROLE), e.g. PROGRAM to the program's multisig.
 * @example await grantRole(ctx, "AUDITOR", "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65");
 */
export async function grantRole(ctx: LedgerContext, ...[role, account]: GrantRoleParameters): Promise<GrantRoleReturnType> {
  return execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "grantRole", args: [ROLES[role], toAddress(account, "Account")] }));
}

export type RevokeRoleParameters = [role: RoleName, account: Address];
export type RevokeRoleReturnType = OperationResult;

/**
 * Revokes a role (DEFAULT_ADMIN_ROLE).
 * @example await revokeRole(ctx, "AUDITOR", "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65");
 */
export async function revokeRole(ctx: LedgerContext, ...[role, account]: RevokeRoleParameters): Promise<RevokeRoleReturnType> {
  return execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "revokeRole", args: [ROLES[role], toAddress(account, "Account")] }));
}

export type BeginDefaultAdminTransferParameters = [newAdmin: Address];
export type BeginDefaultAdminTransferReturnType = OperationResult & { newAdmin: Address; acceptableAfter: bigint; blockTime: bigint; replaced?: PendingAdminTransfer };

/**
 * Starts moving DEFAULT_ADMIN_ROLE to `newAdmin` (the admin's key): `newAdmin` accepts it after
 * `acceptableAfter` (now + the admin delay) with {@link acceptDefaultAdminTransfer}. A pending transfer is
 * replaced (`replaced`).
 * @example const { acceptableAfter } = await beginDefaultAdminTransfer(adminCtx, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
 */
export async function beginDefaultAdminTransfer(ctx: LedgerContext, ...[newAdmin]: BeginDefaultAdminTransferParameters): Promise<BeginDefaultAdminTransferReturnType> {
  const to = toAddress(newAdmin, "New admin");
  if (to === zeroAddress) {
    throw new ValidationError("The new admin is the zero address: the ledger would be left without an admin.", {
      fix: "Give the address that should hold DEFAULT_ADMIN_ROLE (a multisig, a new key).",
    });
  }
  const before = await readAdmin(ctx);
  const result = await execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "beginDefaultAdminTransfer", args: [to] }));
  const event = ledgerEvent(ctx, result.receipt, "DefaultAdminTransferScheduled");
  return { ...result, newAdmin: to, acceptableAfter: BigInt(event.args.acceptSchedule), blockTime: await blockTimeOf(ctx, result), replaced: before.pending };
}

export type AcceptDefaultAdminTransferReturnType = OperationResult & { admin: Address; previousAdmin: Address };

/**
 * Takes over DEFAULT_ADMIN_ROLE with the key of the pending admin, once the schedule has passed. Refused
 * before sending when no transfer is pending.
 * @example const { admin, previousAdmin } = await acceptDefaultAdminTransfer(newAdminCtx);
 */
export async function acceptDefaultAdminTransfer(ctx: LedgerContext): Promise<AcceptDefaultAdminTransferReturnType> {
  const before = await readAdmin(ctx);
  // the ledger checks the caller first, which would hide that nothing is pending at all
  if (!before.pending) throw LedgerRevertError.of("AccessControlEnforcedDefaultAdminDelay", [0]);
  const result = await execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "acceptDefaultAdminTransfer" }));
  const granted = ledgerEvents(ctx, result.receipt, "RoleGranted").find((e) => e.args.role === ROLES.ADMIN);
  return { ...result, admin: granted?.args.account ?? before.pending.newAdmin, previousAdmin: before.admin };
}

export type CancelDefaultAdminTransferReturnType = OperationResult & PendingAdminTransfer;

/**
 * Withdraws the pending admin transfer (the admin's key). Refused before sending when none is pending (the
 * ledger would accept the call and change nothing).
 * @example const { newAdmin } = await cancelDefaultAdminTransfer(adminCtx);
 */
export async function cancelDefaultAdminTransfer(ctx: LedgerContext): Promise<CancelDefaultAdminTransferReturnType> {
  const before = await readAdmin(ctx);
  if (!before.pending) {
    throw new FatalError("No admin transfer is pending, so there is nothing to cancel.", { fix: `The admin is still ${before.admin}; dsx status shows it.` });
  }
  const result = await execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "cancelDefaultAdminTransfer" }));
  ledgerEvent(ctx, result.receipt, "DefaultAdminTransferCanceled");
  return { ...result, ...before.pending };
}
