// k-of-n signing of revenue reports (PROTOCOL §7) with the oracle's local keys.
import type { Hex } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { revenueReportTypes, sortSignaturesBySigner, type LedgerDomain, type RevenueReport } from "../../sdk/eip712";
import { ConfigError } from "../../sdk/errors";
import { pendingMembershipNote, type SignerSetView } from "../common/signerSet";

/**
 * Signs `report` with `threshold` of the local keys that belong to the ledger's revenue
 * signer set (the lowest addresses first) and returns the signatures in ascending signer
 * order, as `submitRevenue` wants them.
 * @throws ConfigError when fewer than `threshold` local keys are members of the set (naming a
 * pending set, and its effectiveAt, that some of them belong to).
 * @example const signatures = await signRevenueReport(domain, report, accounts, await readRevenueSigners(client, ledger));
 */
export async function signRevenueReport(
  domain: LedgerDomain,
  report: RevenueReport,
  accounts: readonly PrivateKeyAccount[],
  set: SignerSetView,
): Promise<Hex[]> {
  const members = new Set(set.signers.map((a) => a.toLowerCase()));
  const usable = accounts
    .filter((a) => members.has(a.address.toLowerCase()))
    .sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1))
    .filter((a, i, all) => i === 0 || a.address !== all[i - 1].address);
  if (set.threshold === 0 || usable.length < set.threshold) {
    const note = pendingMembershipNote(
      accounts.filter((a) => !members.has(a.address.toLowerCase())).map((a) => a.address),
      set,
    );
    throw new ConfigError(
      "signers",
      `${usable.length} of the configured signer keys are in the ledger's revenue signer set in force, which needs ${set.threshold || "a set"}.${note}`,
      {
        fix: note
          ? `Run again once that set is in force, or configure keys of at least ${set.threshold || 1} members of ${set.signers.join(", ")}.`
          : `Configure keys of at least ${set.threshold || 1} members of ${set.signers.join(", ") || "the set (the program sets it with dsx program revenue-signers)"}.`,
      },
    );
  }
  const chosen = usable.slice(0, set.threshold);
  const signed = await Promise.all(
    chosen.map(async (account) => ({
      signer: account.address,
      signature: await account.signTypedData({ domain, types: revenueReportTypes, primaryType: "RevenueReport", message: report }),
    })),
  );
  return sortSignaturesBySigner(signed);
}
