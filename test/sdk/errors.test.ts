import { expect } from "chai";
import { makeError } from "ethers";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  CallExecutionError,
  ContractFunctionExecutionError,
  ContractFunctionRevertedError,
  HttpRequestError,
  TimeoutError,
  WaitForTransactionReceiptTimeoutError,
  encodeErrorResult,
  keccak256,
  stringToHex,
} from "viem";
import { dsxCreditAbi, mockUsdcAbi, revenueShareLedgerAbi } from "../../sdk/abis";
import {
  CONSTANT_RANGES,
  ConfigError,
  DsxError,
  FatalError,
  LedgerRevertError,
  RetryableError,
  USAGE_REJECTION_EXPLANATIONS,
  USAGE_REJECTION_REASONS,
  ValidationError,
  describeError,
  durationText,
  explainRevert,
  explainUsageRejection,
  isRetryable,
  isoTime,
  whenText,
} from "../../sdk/errors";

const errnoError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:8545`), { code });
const http = (status?: number) => new HttpRequestError({ url: "http://127.0.0.1:8545", status });

describe("DsxError", () => {
  it("when built with a fix, it puts the short message and the fix on one line", () => {
    const cause = new Error("inner");
    const err = new DsxError("Amount is empty.", { fix: "Write a number.", details: "more", cause });
    expect(err.message).to.equal("Amount is empty. Write a number.");
    expect(err.shortMessage).to.equal("Amount is empty.");
    expect(err).to.include({ fix: "Write a number.", details: "more", cause, name: "DsxError" });
    expect(err.message).not.to.include("\n");
  });

  it("when subclassed, it keeps the class chain and the name", () => {
    const err = new ConfigError("rpcUrl", "Missing setting rpcUrl.");
    expect(err).to.be.instanceOf(FatalError).and.instanceOf(DsxError).and.instanceOf(Error);
    expect(err).to.include({ name: "ConfigError", setting: "rpcUrl", message: "Missing setting rpcUrl." });
    expect(new ValidationError("x")).to.be.instanceOf(FatalError);
    expect(new RetryableError("x")).not.to.be.instanceOf(FatalError);
  });
});

describe("isRetryable", () => {
  const retryable: [string, unknown][] = [
    ["a RetryableError", new RetryableError("node busy")],
    ["ECONNREFUSED", errnoError("ECONNREFUSED")],
    ["ECONNRESET", errnoError("ECONNRESET")],
    ["ETIMEDOUT", errnoError("ETIMEDOUT")],
    ["an AggregateError with code ECONNREFUSED (Node 20 dual-stack connect)", Object.assign(new AggregateError([]), { code: "ECONNREFUSED" })],
    ["undici's fetch failed", new TypeError("fetch failed", { cause: errnoError("ECONNREFUSED") })],
    ["viem HttpRequestError 429", http(429)],
    ["viem HttpRequestError 503", http(503)],
    ["viem HttpRequestError 408", http(408)],
    ["viem HttpRequestError without a status (no response)", http()],
    ["viem TimeoutError", new TimeoutError({ body: {}, url: "http://127.0.0.1:8545" })],
    ["viem WaitForTransactionReceiptTimeoutError", new WaitForTransactionReceiptTimeoutError({ hash: "0x01" })],
    ["an AbortSignal.timeout DOMException", new DOMException("The operation was aborted due to timeout", "TimeoutError")],
    ["ethers NETWORK_ERROR", makeError("network changed", "NETWORK_ERROR", { event: "changed" })],
    ["ethers TIMEOUT", makeError("timeout", "TIMEOUT", { operation: "request", reason: "timeout" })],
    ["an error with statusCode 502", Object.assign(new Error("bad gateway"), { statusCode: 502 })],
    [
      "viem ContractFunctionExecutionError over a failed HTTP call",
      new ContractFunctionExecutionError(new CallExecutionError(http(), {}), { abi: [], functionName: "agreement" }),
    ],
  ];
  for (const [name, err] of retryable) {
    it(`when given ${name}, it returns true`, () => expect(isRetryable(err)).to.equal(true));
  }

  const fatal: [string, unknown][] = [
    ["a FatalError", new FatalError("bad")],
    ["a ValidationError wrapping a network error", new ValidationError("bad", { cause: errnoError("ECONNRESET") })],
    ["viem ContractFunctionRevertedError", new ContractFunctionRevertedError({ abi: [], functionName: "pay" })],
    [
      "viem ContractFunctionExecutionError over a revert",
      new ContractFunctionExecutionError(new ContractFunctionRevertedError({ abi: [], functionName: "pay" }), { abi: [], functionName: "pay" }),
    ],
    ["viem HttpRequestError 400", http(400)],
    ["ethers CALL_EXCEPTION", makeError("execution reverted", "CALL_EXCEPTION", { action: "call", data: "0x", reason: null, transaction: { to: null, data: "0x" }, invocation: null, revert: null })],
    ["ethers INVALID_ARGUMENT", makeError("bad", "INVALID_ARGUMENT", { argument: "x", value: 1 })],
    ["a plain Error", new Error("something")],
    ["a string", "ECONNREFUSED"],
    ["undefined", undefined],
    ["null", null],
  ];
  for (const [name, err] of fatal) {
    it(`when given ${name}, it returns false`, () => expect(isRetryable(err)).to.equal(false));
  }

  it("when a RetryableError wraps a revert, it trusts the outer classification", () => {
    const revert = new ContractFunctionRevertedError({ abi: [], functionName: "pay" });
    expect(isRetryable(new RetryableError("race, try again", { cause: revert }))).to.equal(true);
  });

  it("when the cause chain is circular, it stops and returns false", () => {
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(isRetryable(a)).to.equal(false);
  });
});

describe("the ledger's refusals, explained", () => {
  const ABIS = { RevenueShareLedger: revenueShareLedgerAbi, DSXCredit: dsxCreditAbi, MockUSDC: mockUsdcAbi };
  const sample = (type: string): unknown =>
    type === "address" ? "0x00000000000000000000000000000000000000aa"
    : type === "bool" ? true
    : type === "string" ? "DISPUTE_WINDOW"
    : type.startsWith("bytes") ? `0x${"ab".repeat(32)}`
    : 1_790_000_000n;

  for (const [contract, abi] of Object.entries(ABIS)) {
    for (const item of abi.filter((i) => i.type === "error")) {
      const name = (item as { name: string }).name;
      it(`when ${contract} reverts with ${name}, there is a cause and a fix, on one line each`, () => {
        const args = (item as unknown as { inputs: { type: string }[] }).inputs.map((i) => sample(i.type));
        const explained = explainRevert(name, args, { now: 1_790_000_000n - 3_600n });
        expect(explained, `${name} has no explanation in sdk/errors.ts`).to.not.equal(undefined);
        const [cause, fix] = explained!;
        for (const text of [cause, fix]) {
          expect(text).to.match(/^\S.*[.)]$/);
          expect(text).not.to.include("\n");
          expect(text).not.to.match(/undefined|\[object/);
        }
      });
    }
  }

  const A = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
  const B = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65";
  const effectiveAt = 1_791_504_000n; // 2026-10-09T00:00:00Z
  const line = (name: string, args: unknown[], now?: bigint) => {
    const [cause, fix] = explainRevert(name, args, { now })!;
    return `${name}: ${cause} ${fix}`;
  };

  it("when a migration is not yet in effect, it names the time, how long until then, and the command to run then", () => {
    expect(line("MigrationNotYetEffective", [3n, effectiveAt], effectiveAt - (6n * 86_400n + 23n * 3_600n + 120n))).to.equal(
      "MigrationNotYetEffective: The migration of agreement 3 takes effect at 2026-10-09T00:00:00Z (in 6 days 23 h). Run `dsx migration execute 3` then (anyone may).",
    );
    // without the chain's time, only the time
    expect(line("MigrationNotYetEffective", [3n, effectiveAt])).to.include("takes effect at 2026-10-09T00:00:00Z. Run");
  });

  it("when a migration is already in effect, cancelling is refused with how long ago and what can still be done", () => {
    expect(line("MigrationAlreadyEffective", [3n, effectiveAt], effectiveAt + 5_400n)).to.equal(
      "MigrationAlreadyEffective: The migration of agreement 3 took effect at 2026-10-09T00:00:00Z (1 h 30 min ago), so it can no longer be cancelled. " +
        "Carry it out with `dsx migration execute 3`, or let the startup wallet move the agreement itself at once (dsx startup migrate 3 <wallet>), which replaces it.",
    );
  });

  it("when nothing is pending, or the caller is neither party nor PROGRAM, it says who may act and how", () => {
    expect(line("NoPendingMigration", [3n])).to.match(/^NoPendingMigration: Agreement 3 has no pending wallet migration .* Check with dsx status 3; the program proposes one with dsx program migrate-startup 3 <wallet>\.$/);
    expect(line("NotStartupOrProgram", [3n, B])).to.equal(
      `NotStartupOrProgram: Only agreement 3's startup wallet or a PROGRAM_ROLE holder may migrate it or cancel its migration, not ${B}. ` +
        "Use the startup wallet's key (dsx startup migrate 3 <wallet>: at once), or a PROGRAM key (dsx program migrate-startup: a proposal that takes effect after MIGRATION_NOTICE).",
    );
    expect(line("NotPartnerOrProgram", [A, B])).to.match(
      new RegExp(`^NotPartnerOrProgram: Only partner ${A} itself or a PROGRAM_ROLE holder may change its signers or payout address, not ${B}\\. Use the partner's own key \\(dsx partner signers / dsx partner payout-address: at once\\), or a PROGRAM key`),
    );
  });

  it("when a constant is out of range, it names the constant, its value, the range and the deploy option", () => {
    expect(line("InvalidConstant", ["DISPUTE_WINDOW", 31n * 86_400n])).to.equal(
      "InvalidConstant: DISPUTE_WINDOW = 2678400 s (31 days) is outside its range, 1 h .. 30 days. Deploy with --dispute-window between 1h and 30d.",
    );
    expect(line("InvalidConstant", ["ADMIN_DELAY", 3_600n])).to.equal("InvalidConstant: ADMIN_DELAY = 3600 s (1 h) is outside its range, 1 day .. 90 days. Deploy with --admin-delay between 1d and 90d.");
    for (const [name, range] of Object.entries(CONSTANT_RANGES)) {
      expect(line("InvalidConstant", [name, 0n]), name).to.include(`Deploy with ${range.option} between`);
    }
    // the ranges are the contract's (LedgerStore._checkRange and the ledger's constructor)
    const store = readFileSync(join(__dirname, "..", "..", "contracts", "abstracts", "LedgerStore.sol"), "utf8");
    for (const name of Object.keys(CONSTANT_RANGES).filter((n) => n !== "ADMIN_DELAY")) {
      const max = Number(CONSTANT_RANGES[name].max / 86_400n);
      expect(store, name).to.match(new RegExp(`_checkRange\\("${name}", c\\.\\w+, ${max} days\\)`));
    }
  });

  it("when the two-step admin refuses, it says how an admin transfer is made and when it can be accepted", () => {
    expect(line("AccessControlEnforcedDefaultAdminRules", [])).to.match(/^AccessControlEnforcedDefaultAdminRules: DEFAULT_ADMIN_ROLE cannot be granted, revoked .* Have the admin call beginDefaultAdminTransfer\(newAdmin\), then the new admin acceptDefaultAdminTransfer\(\)/);
    expect(line("AccessControlEnforcedDefaultAdminDelay", [Number(effectiveAt)], effectiveAt - 86_400n)).to.equal(
      "AccessControlEnforcedDefaultAdminDelay: The admin transfer can only complete at 2026-10-09T00:00:00Z (in 1 day) (the admin delay). Call acceptDefaultAdminTransfer() (or renounceRole, for a transfer to the zero address) from then on.",
    );
    expect(line("AccessControlEnforcedDefaultAdminDelay", [0])).to.match(/No admin transfer \(or renouncement\) is scheduled\. Have the admin call beginDefaultAdminTransfer/);
    expect(line("AccessControlInvalidDefaultAdmin", [B])).to.match(new RegExp(`${B} is not the pending admin, so it cannot accept the admin role\\. Accept with the key of the address`));
    expect(line("AccessControlInvalidDefaultAdmin", ["0x0000000000000000000000000000000000000000"])).to.match(/The initial admin is the zero address\. Deploy with a non-zero admin/);
    expect(line("AccessControlUnauthorizedAccount", [B, keccak256(stringToHex("PROGRAM_ROLE"))])).to.equal(
      `AccessControlUnauthorizedAccount: Account ${B} does not hold PROGRAM_ROLE. Use a key that holds PROGRAM_ROLE, or have the admin grant it.`,
    );
  });

  it("when DSXC refuses an approval, it says credits need none", () => {
    expect(line("ApprovalRestricted", [A, B])).to.equal(
      `ApprovalRestricted: DSXC refuses approvals (approve and permit), here from ${A} to ${B}. Credits are spent only through the partners' usage batches on the ledger; no approval is needed or possible.`,
    );
  });

  it("when a viem call reverts with raw DSXC data, describeError decodes it with the chain's time", () => {
    const data = encodeErrorResult({ abi: dsxCreditAbi, errorName: "ApprovalRestricted", args: [A, B] });
    const err = describeError(new ContractFunctionExecutionError(new ContractFunctionRevertedError({ abi: [], functionName: "approve", data }), { abi: [], functionName: "approve" }));
    expect(err).to.be.instanceOf(LedgerRevertError);
    expect(err).to.include({ errorName: "ApprovalRestricted", shortMessage: `ApprovalRestricted: DSXC refuses approvals (approve and permit), here from ${A} to ${B}.` });
    const early = encodeErrorResult({ abi: revenueShareLedgerAbi, errorName: "MigrationNotYetEffective", args: [3n, effectiveAt] });
    const withNow = describeError(new ContractFunctionRevertedError({ abi: [], functionName: "executeStartupMigration", data: early }), { now: effectiveAt - 7n * 86_400n });
    expect(withNow.message).to.include("(in 7 days). Run `dsx migration execute 3` then");
  });

  it("when an ethers deployment reverts (Hardhat's deploy), the custom error is decoded too", () => {
    const data = encodeErrorResult({ abi: revenueShareLedgerAbi, errorName: "InvalidConstant", args: ["PAYOUT_NOTICE", 0n] });
    const raw = makeError("execution reverted", "CALL_EXCEPTION", { action: "estimateGas", data, reason: null, transaction: { to: null, data: "0x" }, invocation: null, revert: null });
    expect(describeError(raw).message).to.equal("InvalidConstant: PAYOUT_NOTICE = 0 s (0 s) is outside its range, 1 h .. 90 days. Deploy with --payout-notice between 1h and 90d.");
    const decoded = Object.assign(new Error("reverted"), { code: "CALL_EXCEPTION", revert: { name: "ZeroAddress", signature: "ZeroAddress()", args: [] } });
    expect(describeError(decoded).message).to.equal("ZeroAddress: An address argument is the zero address. Pass a non-zero address.");
    // Hardhat's ProviderError: { code: -32603, data: { message, data } }
    const delay = encodeErrorResult({ abi: revenueShareLedgerAbi, errorName: "InvalidConstant", args: ["ADMIN_DELAY", 7_200n] });
    const provider = Object.assign(new Error("Error: VM Exception while processing transaction"), { code: -32603, data: { message: "VM Exception", data: delay } });
    expect(describeError(provider).message).to.equal("InvalidConstant: ADMIN_DELAY = 7200 s (2 h) is outside its range, 1 day .. 90 days. Deploy with --admin-delay between 1d and 90d.");
    // data that is none of our errors: the first line of the message
    const other = Object.assign(new Error("something else\nmore"), { code: -32603, data: { data: "0xdeadbeef00" } });
    expect(describeError(other).message).to.equal("something else");
  });
});

describe("usage line rejections, explained", () => {
  it("when the ledger's UsageRejection enum is read, the names match it in order, SiblingRejected last", () => {
    const types = readFileSync(join(__dirname, "..", "..", "contracts", "types", "LedgerTypes.sol"), "utf8");
    const body = /enum UsageRejection \{([^}]*)\}/.exec(types)![1];
    expect(body.split(",").map((s) => s.trim()).filter(Boolean)).to.deep.equal([...USAGE_REJECTION_REASONS]);
    expect(USAGE_REJECTION_REASONS[8]).to.equal("SiblingRejected");
  });

  for (const reason of USAGE_REJECTION_REASONS) {
    it(`when a line is rejected with ${reason}, there is a cause and a fix`, () => {
      const { cause, fix } = USAGE_REJECTION_EXPLANATIONS[reason];
      expect(cause).to.match(/^[a-z].{10,}[^.]$/);
      expect(fix).to.match(/^[A-Z].+\.$/);
    });
  }

  it("when a SiblingRejected line is explained, it points at the sibling's own reason and says all can be reported again", () => {
    const e = explainUsageRejection(8);
    expect(e.reason).to.equal("SiblingRejected");
    expect(e.cause).to.include("accepted or rejected together");
    expect(e.fix).to.include("report all of them again");
    expect(explainUsageRejection("NoRate").fix).to.include("dsx program rate-schedule");
    expect(explainUsageRejection(42).reason).to.equal("reason 42");
  });
});

describe("times in words", () => {
  it("when a duration is written, it takes the two largest units", () => {
    expect(durationText(7n * 86_400n)).to.equal("7 days");
    expect(durationText(6n * 86_400n + 23n * 3_600n + 59n * 60n)).to.equal("6 days 23 h");
    expect(durationText(86_400n + 60n)).to.equal("1 day");
    expect(durationText(7_500)).to.equal("2 h 5 min");
    expect(durationText(61n)).to.equal("1 min 1 s");
    expect(durationText(0n)).to.equal("0 s");
  });

  it("when a time is given with the chain's time, it says how long until or since", () => {
    expect(whenText(1_791_504_000n, 1_791_504_000n - 90n)).to.equal("2026-10-09T00:00:00Z (in 1 min 30 s)");
    expect(whenText(1_791_504_000n, 1_791_504_000n + 86_400n)).to.equal("2026-10-09T00:00:00Z (1 day ago)");
    expect(whenText(1_791_504_000n, 1_791_504_000n)).to.equal("2026-10-09T00:00:00Z (now)");
    expect(isoTime(1_791_504_000)).to.equal("2026-10-09T00:00:00Z");
  });
});
