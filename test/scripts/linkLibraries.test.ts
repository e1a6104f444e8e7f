// scripts/lib/linkLibraries.ts on the real ledger artifact: every reference the compiler recorded holds its library's
// address, every other byte is the compiler's, and a missing library is refused by name.
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { getAddress, type Address } from "viem";
import { LEDGER_LIBRARIES } from "../../scripts/lib/deployLedger";
import { linkLibraries, type LinkableArtifact } from "../../scripts/lib/linkLibraries";
import { DsxError } from "../../sdk/errors";

const ARTIFACTS = join(__dirname, "..", "..", "artifacts", "contracts");
const read = (path: string) => JSON.parse(readFileSync(join(ARTIFACTS, path), "utf8")) as LinkableArtifact;

describe("scripts/lib/linkLibraries.ts", function () {
  const ledger = read("RevenueShareLedger.sol/RevenueShareLedger.json");
  // distinct addresses with upper-case hex digits, so a wrong slot or a case slip shows
  const addresses = Object.fromEntries(LEDGER_LIBRARIES.map((name, i) => [name, getAddress(`0x${"AbCdEf0123456789".repeat(3).slice(i, i + 40)}`)])) as Record<string, Address>;

  it("when every library has an address, each recorded reference holds it and every other byte is unchanged", function () {
    const linked = linkLibraries(ledger, addresses);
    expect(linked.length).to.equal(ledger.bytecode.length);
    let expected = ledger.bytecode.slice(2);
    let references = 0;
    for (const libs of Object.values(ledger.linkReferences)) {
      for (const [name, positions] of Object.entries(libs)) {
        for (const { start, length } of positions) {
          expect(length).to.equal(20);
          expected = expected.slice(0, start * 2) + addresses[name].slice(2).toLowerCase() + expected.slice((start + length) * 2);
          references += 1;
        }
      }
    }
    expect(references, "the ledger links its libraries").to.be.greaterThan(LEDGER_LIBRARIES.length);
    expect(linked).to.equal(`0x${expected}`);
    expect(linked).to.not.include("__$");
  });

  it("when a library it links has no address, it refuses naming the contract and the library", function () {
    const without = Object.fromEntries(Object.entries(addresses).filter(([name]) => name !== "LedgerViews"));
    expect(() => linkLibraries({ ...ledger, contractName: "RevenueShareLedger" }, without))
      .to.throw(DsxError, "RevenueShareLedger links library LedgerViews, which was not deployed.");
  });

  it("when the contract links no library, its bytecode comes back as compiled", function () {
    const usdc = read("mocks/MockUSDC.sol/MockUSDC.json");
    expect(Object.keys(usdc.linkReferences)).to.deep.equal([]);
    expect(linkLibraries(usdc, addresses)).to.equal(usdc.bytecode);
  });
});
