/// <reference lib="dom" />
// What the connected address is to the ledger: the startup of which agreements and a partner (from the API), an
// auditor, the program or the admin (AUDITOR_ROLE / PROGRAM_ROLE / DEFAULT_ADMIN_ROLE read from the ledger through
// the wallet: the API does not give roles).
import { keccak256, stringToBytes, zeroHash, type Address, type PublicClient } from "viem";
import { revenueShareLedgerAbi } from "../../../sdk/abis";
import { apiGet, apiGetOrNull } from "./api";
import type { Program } from "./session";

export interface Roles {
  /** Agreements whose startup wallet this is (any status), with their status. */
  startup: { id: string; status: string }[];
  /** A registered partner (its address is the partner's key). */
  partner: boolean;
  auditor: boolean;
  program: boolean;
  /** DEFAULT_ADMIN_ROLE. */
  admin: boolean;
}

const role = (name: string) => keccak256(stringToBytes(name));

/** The roles of `address` at the latest block the API and the wallet's node know. */
export async function rolesOf(address: Address, program: Program, client: PublicClient): Promise<Roles> {
  const [account, partner, auditor, prog, admin] = await Promise.all([
    apiGetOrNull(`/v1/accounts/${address}`),
    // the list, not /v1/partners/:address: a 404 for every address that is no partner would fill the console
    apiGet("/v1/partners?limit=500"),
    client.readContract({ address: program.ledger, abi: revenueShareLedgerAbi, functionName: "hasRole", args: [role("AUDITOR_ROLE"), address] }),
    client.readContract({ address: program.ledger, abi: revenueShareLedgerAbi, functionName: "hasRole", args: [role("PROGRAM_ROLE"), address] }),
    client.readContract({ address: program.ledger, abi: revenueShareLedgerAbi, functionName: "hasRole", args: [zeroHash, address] }),
  ]);
  const agreements = (account?.data?.agreements ?? []) as { id: string; status: string; role: string }[];
  return {
    startup: agreements.filter((a) => a.role === "startup").map(({ id, status }) => ({ id, status })),
    partner: (partner.data as { address: string }[]).some((p) => p.address.toLowerCase() === address.toLowerCase()),
    auditor,
    program: prog,
    admin,
  };
}

/** The roles in words: "startup of agreement 5, partner", or "none". */
export function rolesText(r: Roles): string {
  const parts = [
    ...r.startup.map((a) => `startup of agreement ${a.id} (${a.status})`),
    r.partner ? "partner" : "",
    r.auditor ? "auditor" : "",
    r.program ? "program" : "",
    // the admin's actions are the program's Safe section: "admin" is said only for an admin without PROGRAM_ROLE
    r.admin && !r.program ? "admin" : "",
  ].filter(Boolean);
  return parts.length ? parts.join(", ") : "none";
}
