// sdk/values.ts: the values an action takes, checked before anything is sent (no chain needed: nothing here
// reads one). toUnits, hashOf and ROLES also run in test/cli/operations.test.ts; ROLES against a deployed
// ledger in test/sdk/actions.test.ts.
import { expect } from "chai";
import { keccak256, stringToHex } from "viem";
import { ValidationError } from "../../sdk/errors";
import { hashOf, toAddress, toAgreementId, toBatchId, toUnits, toWholeNumber } from "../../sdk/values";

describe("sdk/values", function () {
  describe("toAddress", function () {
    it("when given an address in any case, it returns it checksummed", function () {
      expect(toAddress("0x70997970c51812dc3a010c7d01b50e0d17dc79c8", "Partner")).to.equal("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    });

    it("when given anything else, it names the value and what it was for", function () {
      expect(() => toAddress("0x1234", "Partner")).to.throw(ValidationError, /^Partner "0x1234" is not an address\. Give a 0x-prefixed 20-byte address\.$/);
    });
  });

  describe("toWholeNumber and toAgreementId", function () {
    it("when given digits within range (as text, number or bigint), it returns a bigint", function () {
      expect(toWholeNumber("1790812800", "Effective time", 2n ** 64n - 1n)).to.equal(1_790_812_800n);
      expect(toWholeNumber(7, "Effective time", 7n)).to.equal(7n);
      expect(toAgreementId(3n)).to.equal(3n);
      expect(toAgreementId((2n ** 256n - 1n).toString())).to.equal(2n ** 256n - 1n);
    });

    it("when given a sign, a fraction or a value past the maximum, it refuses with the range", function () {
      expect(() => toWholeNumber("-1", "Effective time", 10n)).to.throw(ValidationError, /^Effective time "-1" is not a whole number in 0\.\.10\. Give a whole number in range\.$/);
      expect(() => toWholeNumber("11", "Effective time", 10n)).to.throw(ValidationError, /not a whole number in 0\.\.10/);
      expect(() => toAgreementId("1.5")).to.throw(ValidationError, /^Agreement id "1\.5" is not a whole number in 0\.\.\d+\. Give a whole number such as 1\.$/);
      expect(() => toAgreementId(2n ** 256n)).to.throw(ValidationError, /Agreement id/);
    });
  });

  describe("toBatchId", function () {
    it("when given 32 bytes of hex, it passes them; anything else is refused with the form it needs", function () {
      const id = keccak256(stringToHex("batch"));
      expect(toBatchId(id)).to.equal(id);
      expect(() => toBatchId("0x1234")).to.throw(ValidationError, /^Batch id "0x1234" is not a 32-byte hex value\. Give 0x followed by 64 hex digits\.$/);
      expect(() => toBatchId(`0x${"zz".repeat(32)}`)).to.throw(ValidationError, /not a 32-byte hex value/);
    });
  });

  describe("toUnits and hashOf", function () {
    it("when an amount is named, its refusal names it; an empty reason is the zero hash", function () {
      expect(() => toUnits("abc", "Spend limit")).to.throw(ValidationError, /^Spend limit: /);
      expect(() => toUnits(-5n, "Refund")).to.throw(ValidationError, /^Refund -5 is negative\./);
      expect(hashOf("")).to.equal(`0x${"0".repeat(64)}`);
      expect(hashOf("0xabcd")).to.equal(keccak256(stringToHex("0xabcd")));
    });
  });
});
