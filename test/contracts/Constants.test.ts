import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { DEFAULT_ADMIN_DELAY, DEFAULT_CONSTANTS, LEDGER_LIBRARIES, type LedgerConstants } from "../../scripts/lib/deployLedger";
import { deployLedgerFixture, HOUR, DAY } from "../helpers/fixture";
import type { RevenueShareLedger } from "../../typechain-types";

// PROTOCOL §3: the constructor refuses every constant outside its range with InvalidConstant(name, value).

const MAX_UINT256 = 2n ** 256n - 1n;
const MAX_UINT48 = 2n ** 48n - 1n;

interface Range {
  /** The name InvalidConstant carries and the ledger's view of it. */
  name: "DISPUTE_WINDOW" | "RATE_NOTICE" | "AUTH_NOTICE" | "REPORTING_GRACE" | "SIGNER_NOTICE" | "MIGRATION_NOTICE" | "PAYOUT_NOTICE";
  field: keyof LedgerConstants;
  min: bigint;
  max: bigint;
  /** Values far out of range that older code would have let through (e.g. wrapped in a uint40 sum). */
  huge: bigint[];
}

const RANGES: Range[] = [
  { name: "DISPUTE_WINDOW", field: "disputeWindow", min: HOUR, max: 30n * DAY, huge: [0n, MAX_UINT256] },
  { name: "RATE_NOTICE", field: "rateNotice", min: HOUR, max: 90n * DAY, huge: [0n, MAX_UINT256] },
  // now + AUTH_NOTICE was stored as a uint40: 2^40 would have wrapped to a decreasing effectiveAt
  { name: "AUTH_NOTICE", field: "authNotice", min: HOUR, max: 90n * DAY, huge: [0n, 2n ** 40n, MAX_UINT256] },
  // endTime + REPORTING_GRACE overflowing would have closed reporting at once (or never)
  { name: "REPORTING_GRACE", field: "reportingGrace", min: HOUR, max: 90n * DAY, huge: [0n, 2n ** 64n, MAX_UINT256] },
  { name: "SIGNER_NOTICE", field: "signerNotice", min: HOUR, max: 90n * DAY, huge: [0n, MAX_UINT256] },
  { name: "MIGRATION_NOTICE", field: "migrationNotice", min: HOUR, max: 90n * DAY, huge: [0n, MAX_UINT256] },
  { name: "PAYOUT_NOTICE", field: "payoutNotice", min: HOUR, max: 90n * DAY, huge: [0n, MAX_UINT256] },
];

/** The libraries and a settlement token, deployed once; each case deploys only a ledger. */
async function librariesFixture() {
  const f = await deployLedgerFixture();
  const libraries: Record<string, string> = {};
  for (const name of LEDGER_LIBRARIES) {
    const lib = await (await ethers.getContractFactory(name, f.admin)).deploy();
    libraries[name] = await lib.getAddress();
  }
  const factory = await ethers.getContractFactory("RevenueShareLedger", { signer: f.admin, libraries });
  const deploy = async (constants: LedgerConstants, adminDelay = DEFAULT_ADMIN_DELAY) => {
    const ledger = await factory.deploy(f.admin.address, adminDelay, await f.usdc.getAddress(), f.treasury.address, constants);
    return (await ledger.waitForDeployment()) as unknown as RevenueShareLedger;
  };
  return { ...f, deploy };
}

describe("RevenueShareLedger constructor: constants within their ranges (InvalidConstant)", function () {
  for (const r of RANGES) {
    describe(`${r.name} (${r.min} .. ${r.max} s)`, function () {
      for (const value of [r.min - 1n, r.max + 1n, ...r.huge]) {
        it(`when ${r.name} is ${value}, deployment reverts InvalidConstant("${r.name}", ${value})`, async function () {
          const f = await loadFixture(librariesFixture);
          await expect(f.deploy({ ...DEFAULT_CONSTANTS, [r.field]: value }))
            .to.be.revertedWithCustomError(f.ledger, "InvalidConstant").withArgs(r.name, value);
        });
      }

      it(`when ${r.name} is exactly ${r.min} or ${r.max} (the bounds), the ledger deploys and ${r.name}() reads it`, async function () {
        const f = await loadFixture(librariesFixture);
        for (const value of [r.min, r.max]) {
          const ledger = await f.deploy({ ...DEFAULT_CONSTANTS, [r.field]: value });
          expect(await ledger[r.name]()).to.equal(value);
        }
      });
    });
  }

  describe(`ADMIN_DELAY (${DAY} .. ${90n * DAY} s, the DEFAULT_ADMIN_ROLE transfer delay)`, function () {
    for (const value of [DAY - 1n, 90n * DAY + 1n, 0n, MAX_UINT48]) {
      it(`when the admin delay is ${value}, deployment reverts InvalidConstant("ADMIN_DELAY", ${value})`, async function () {
        const f = await loadFixture(librariesFixture);
        await expect(f.deploy(DEFAULT_CONSTANTS, value)).to.be.revertedWithCustomError(f.ledger, "InvalidConstant").withArgs("ADMIN_DELAY", value);
      });
    }

    it("when the admin delay is exactly 1 day or 90 days (the bounds), the ledger deploys and defaultAdminDelay() reads it", async function () {
      const f = await loadFixture(librariesFixture);
      for (const value of [DAY, 90n * DAY]) {
        const ledger = await f.deploy(DEFAULT_CONSTANTS, value);
        expect(await ledger.defaultAdminDelay()).to.equal(value);
      }
    });

    it("when the admin later changes the delay outside 1 .. 90 days, changeDefaultAdminDelay reverts InvalidConstant and the delay stays", async function () {
      const f = await loadFixture(librariesFixture);
      const ledger = await f.deploy(DEFAULT_CONSTANTS);
      for (const value of [0n, DAY - 1n, 90n * DAY + 1n, MAX_UINT48]) {
        await expect(ledger.connect(f.admin).changeDefaultAdminDelay(value))
          .to.be.revertedWithCustomError(ledger, "InvalidConstant").withArgs("ADMIN_DELAY", value);
      }
      const [pending] = await ledger.pendingDefaultAdminDelay();
      expect(pending).to.equal(0n);
      expect(await ledger.defaultAdminDelay()).to.equal(DEFAULT_ADMIN_DELAY);
      await expect(ledger.connect(f.admin).changeDefaultAdminDelay(2n * DAY)).to.emit(ledger, "DefaultAdminDelayChangeScheduled");
    });
  });

  it("when every constant is at its default, the views read PROTOCOL §3's defaults", async function () {
    const f = await loadFixture(librariesFixture);
    const ledger = await f.deploy(DEFAULT_CONSTANTS);
    const read = await Promise.all(RANGES.map((r) => ledger[r.name]()));
    expect(read).to.deep.equal([3n * DAY, 7n * DAY, 7n * DAY, 7n * DAY, 2n * DAY, 7n * DAY, 7n * DAY]);
  });
});
