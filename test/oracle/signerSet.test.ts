// The warnings and refusals both oracles give when their configured keys and a signer set
// PROGRAM proposed (pending until effectiveAt) disagree, without a chain.
import { expect } from "chai";
import { privateKeyToAccount } from "viem/accounts";
import { ConfigError } from "../../sdk/errors";
import { ledgerDomain } from "../../sdk/eip712";
import { signRevenueReport } from "../../oracle/revenue/signing";
import { pendingMembershipNote, signerSetWarnings, type SignerSetView } from "../../oracle/common/signerSet";
import { NODE_KEYS } from "../helpers/hardhatNode";

const [a, b, c] = NODE_KEYS.slice(5, 8).map((k) => privateKeyToAccount(k));
const AT = 1_790_000_000n;
const WHEN = "2026-09-21T14:13:20Z (effectiveAt 1790000000)";

describe("signer sets in force and pending", function () {
  it("when nothing is pending, or the keys are in both sets, there is nothing to say", function () {
    expect(signerSetWarnings([a.address], { signers: [a.address], threshold: 1 }, "the set")).to.deep.equal([]);
    expect(signerSetWarnings([a.address], { signers: [a.address], threshold: 1, pendingSigners: [], pendingThreshold: 0, pendingAt: 0n }, "the set")).to.deep.equal([]);
    const both: SignerSetView = { signers: [a.address, b.address], threshold: 1, pendingSigners: [a.address], pendingThreshold: 1, pendingAt: AT };
    expect(signerSetWarnings([a.address], both, "the set")).to.deep.equal([]);
  });

  it("when configured keys leave or join with the pending set, each gets one warning naming effectiveAt", function () {
    const set: SignerSetView = { signers: [a.address, b.address], threshold: 2, pendingSigners: [b.address, c.address], pendingThreshold: 1, pendingAt: AT };
    const [joining, leaving] = signerSetWarnings([a.address.toLowerCase() as `0x${string}`, b.address, c.address], set, "partner P's signer set");
    expect(joining).to.include(`${c.address} are not in partner P's signer set in force, only in the set PROGRAM proposed (1 of 2)`).and.include(WHEN);
    expect(leaving).to.include("are in partner P's signer set in force but not in the set PROGRAM proposed").and.include(WHEN);
    expect(leaving.split(" are in ")[0]).to.include(a.address.toLowerCase()).and.not.include(b.address);
    expect(pendingMembershipNote([c.address], set)).to.equal(` ${c.address} is in the set PROGRAM proposed, in force from ${WHEN}.`);
    expect(pendingMembershipNote([a.address], set)).to.equal("");
  });

  it("when the revenue keys are only in the pending set, signing is refused with when they count", async function () {
    const set: SignerSetView = { signers: [a.address], threshold: 1, pendingSigners: [c.address], pendingThreshold: 1, pendingAt: AT };
    const report = { agreementId: 1n, periodIndex: 0, revenue: 1n, evidenceHash: `0x${"11".repeat(32)}` as const, version: 1 };
    let refusal: unknown;
    try {
      await signRevenueReport(ledgerDomain(31337, a.address), report, [c], set);
    } catch (err) {
      refusal = err;
    }
    expect(refusal).to.be.instanceOf(ConfigError);
    expect((refusal as ConfigError).message).to.include("0 of the configured signer keys are in the ledger's revenue signer set in force").and.include(WHEN);
    expect(String((refusal as ConfigError).fix)).to.include("Run again once that set is in force");
    const signed = await signRevenueReport(ledgerDomain(31337, a.address), report, [a, c], set);
    expect(signed).to.have.length(1);
  });
});
