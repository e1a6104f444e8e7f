// The sdk without a chain (sdk/values.ts, sdk/deployment.ts, sdk/errors.ts): amounts, hashes, deployment files and error descriptions.
import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keccak256, stringToHex, zeroHash } from "viem";
import { ConfigError, DsxError, ValidationError } from "../../sdk/errors";
import { describeError, hashOf, readDeployment, ROLES, toUnits } from "../../sdk";
import { SAMPLE_DEPLOYMENT } from "./support";

describe("sdk: values, deployment files and errors", function () {
  const deployment = SAMPLE_DEPLOYMENT;

  it("when given a human decimal or base units, toUnits is exact and refuses negatives and a 7th decimal", function () {
    expect(toUnits("1250.5")).to.equal(1_250_500_000n);
    expect(toUnits("0.000001")).to.equal(1n);
    expect(toUnits(42n)).to.equal(42n);
    expect(() => toUnits("-1", "Refund")).to.throw(ValidationError, /^Refund: Amount "-1" is negative\. Give an amount of 0 or more\.$/);
    expect(() => toUnits("1.0000001")).to.throw(ValidationError, /7 decimal places/);
    expect(() => toUnits(-1n)).to.throw(ValidationError, /negative/);
  });

  it("when given text, hashOf hashes it; a 32-byte hex value passes as is; nothing is zero", function () {
    expect(hashOf("double counted")).to.equal(keccak256(stringToHex("double counted")));
    const h = keccak256(stringToHex("x"));
    expect(hashOf(h)).to.equal(h);
    expect(hashOf(undefined)).to.equal(zeroHash);
    expect(ROLES.PROGRAM).to.equal(keccak256(stringToHex("PROGRAM_ROLE")));
  });

  it("when reading a deployment, it takes a file of any name or a folder, and names what is wrong", function () {
    const dir = mkdtempSync(join(tmpdir(), "dsx-ops-"));
    writeFileSync(join(dir, "31337.json"), JSON.stringify(deployment));
    writeFileSync(join(dir, "mine.json"), JSON.stringify(deployment));
    writeFileSync(join(dir, "bad.json"), "{");
    writeFileSync(join(dir, "partial.json"), JSON.stringify({ ...deployment, ledger: "0x12" }));
    expect(readDeployment(dir, 31337).ledger).to.equal(deployment.ledger);
    expect(readDeployment(join(dir, "mine.json"), undefined).chainId).to.equal(31337);
    expect(() => readDeployment(join(dir, "mine.json"), 1)).to.throw(ConfigError, /is for chain 31337, not 1\. Use the file for chain 1 or connect to chain 31337\.$/);
    expect(() => readDeployment(join(dir, "bad.json"), 31337)).to.throw(ConfigError, /is not valid JSON/);
    expect(() => readDeployment(join(dir, "partial.json"), 31337)).to.throw(ConfigError, /is invalid at ledger/);
    expect(() => readDeployment(dir, undefined)).to.throw(ConfigError, /chain id is needed/);
    expect(() => readDeployment(join(dir, "none"), 31337)).to.throw(ConfigError, /not found\. Deploy first/);
  });

  it("when describing an error, it keeps ours, and anything else whole: its first line the message, the rest the details", function () {
    const ours = new DsxError("Cause.", { fix: "Fix." });
    expect(describeError(ours)).to.equal(ours);
    expect(describeError(new Error("first\nsecond")).message).to.equal("first");
    expect(describeError(new Error("first\n  second\n  third\n")).details).to.equal("  second\n  third");
    expect(describeError(new Error("one line")).details).to.equal(undefined);
    const refused = describeError(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" }));
    expect(refused.message).to.equal("The JSON-RPC node did not answer. Check that the node runs and --rpc-url points at it, then try again.");
  });
});
