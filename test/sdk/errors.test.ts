import { expect } from "chai";
import { Command } from "commander";
import { makeError } from "ethers";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";
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
import { commandsByLedgerFunction } from "../../cli/command";
import { buildProgram, runCli } from "../../cli/main";

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the package has no types; it is what better-sqlite3 loads its native module with
const bindings = require("bindings") as (options: { bindings: string; module_root: string }) => unknown;

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

  it("when the two-step admin refuses, it names the dsx admin commands and when the transfer can be accepted", () => {
    expect(line("AccessControlEnforcedDefaultAdminRules", [])).to.equal(
      "AccessControlEnforcedDefaultAdminRules: DEFAULT_ADMIN_ROLE cannot be granted, revoked or re-administered directly: the ledger has one admin, changed in two steps. " +
        "Have the admin run `dsx admin transfer <newAdmin>`, then the new admin `dsx admin accept` once the admin delay has passed (dsx status shows the admin and the delay).",
    );
    expect(line("AccessControlEnforcedDefaultAdminDelay", [Number(effectiveAt)], effectiveAt - 86_400n)).to.equal(
      "AccessControlEnforcedDefaultAdminDelay: The admin delay of this transfer runs until 2026-10-09T00:00:00Z (in 1 day): it can only be accepted after that. Run `dsx admin accept` with the new admin's key then (a renouncement, renounceRole, likewise).",
    );
    expect(line("AccessControlEnforcedDefaultAdminDelay", [0])).to.match(/No admin transfer \(or renouncement\) is scheduled\. Have the admin start one with `dsx admin transfer <newAdmin>`; the new admin accepts it with `dsx admin accept`/);
    expect(line("AccessControlInvalidDefaultAdmin", [B])).to.equal(
      `AccessControlInvalidDefaultAdmin: ${B} is not the pending admin, so it cannot accept the admin role. Run \`dsx admin accept\` with the key of the address the admin named in \`dsx admin transfer\` (dsx status shows the pending admin).`,
    );
    expect(line("AccessControlInvalidDefaultAdmin", ["0x0000000000000000000000000000000000000000"])).to.match(/The initial admin is the zero address\. Deploy with a non-zero admin/);
    expect(line("AccessControlUnauthorizedAccount", [B, keccak256(stringToHex("PROGRAM_ROLE"))])).to.equal(
      `AccessControlUnauthorizedAccount: Account ${B} does not hold PROGRAM_ROLE. Use a key that holds PROGRAM_ROLE, or have the admin grant it.`,
    );
    expect(line("AccessControlUnauthorizedAccount", [B, "0x0000000000000000000000000000000000000000000000000000000000000000"])).to.equal(
      `AccessControlUnauthorizedAccount: Account ${B} is not the admin (DEFAULT_ADMIN_ROLE). Use the admin's key (dsx status shows the admin); the admin role itself moves only by dsx admin transfer and dsx admin accept.`,
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
    // data that is none of our errors: the message whole, its first line first and the rest as details
    const other = Object.assign(new Error("something else\nmore"), { code: -32603, data: { data: "0xdeadbeef00" } });
    expect(describeError(other)).to.include({ message: "something else", details: "more" });
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

describe("messages name the dsx command, not the contract function, wherever a command exists", function () {
  // the map from the CLI's own command tree: each command declares the ledger functions it calls
  const root = buildProgram();
  const byFunction = commandsByLedgerFunction(root);
  const ledgerFunctions = revenueShareLedgerAbi.filter((i) => i.type === "function").map((i) => (i as { name: string }).name);
  const hasAction = (cmd: Command) => Boolean((cmd as unknown as { _actionHandler?: unknown })._actionHandler);

  /**
   * The ledger functions a text names: a camelCase name as a word ("setRevenueSigners"), an all-lower-case
   * one only as a call ("pause()", "claim("), since "pay", "claim" and "pause" are words too.
   */
  const functionsNamed = (text: string) =>
    ledgerFunctions.filter((fn) => new RegExp(/[a-z][A-Z]/.test(fn) ? `\\b${fn}\\b` : `\\b${fn}\\(`).test(text));

  /**
   * The `dsx …` references of a text that are no command: the first word must be a command, and a word after
   * a group of commands must be one of them ("dsx program, …" names the group; "dsx program frobnicate" nothing).
   */
  function unknownCommands(text: string): string[] {
    const bad: string[] = [];
    for (const m of text.matchAll(/(?<![\w/@.-])dsx((?: [a-z][a-z-]*)+)/g)) {
      const words = m[1].trim().split(" ");
      let cmd = root;
      let matched = 0;
      for (const word of words) {
        const sub = cmd.commands.find((c) => c.name() === word);
        if (!sub) break;
        cmd = sub;
        matched++;
      }
      if (matched === 0 || (matched < words.length && !hasAction(cmd) && cmd.commands.length > 0)) bad.push(m[0]);
    }
    return bad;
  }

  /**
   * What is wrong with a message: contract functions named where a command exists (but the command `own`
   * the message belongs to may say what it sends), and `dsx` references to no command.
   */
  function problems(text: string, own?: string): string[] {
    return [
      ...functionsNamed(text)
        .filter((fn) => byFunction.has(fn) && !byFunction.get(fn)!.includes(own ?? ""))
        .map((fn) => `names ${fn}: say ${byFunction.get(fn)!.join(" or ")} instead`),
      ...unknownCommands(text).map((ref) => `names "${ref}", which is no dsx command`),
    ];
  }

  it("when a message names a function that has a command, the check catches it (the map comes from the command tree)", () => {
    expect(byFunction.get("setRevenueSigners")).to.deep.equal(["dsx program revenue-signers"]);
    expect(byFunction.get("setPartnerSigners")).to.have.members(["dsx program partner-signers", "dsx partner signers"]);
    expect(byFunction.get("acceptDefaultAdminTransfer")).to.deep.equal(["dsx admin accept"]);
    expect(byFunction.get("submitUsage")).to.have.members(["dsx usage run", "dsx usage submit"]);
    expect(problems("Ask the program: it sets them with setRevenueSigners.")).to.deep.equal(["names setRevenueSigners: say dsx program revenue-signers instead"]);
    expect(problems("Call acceptDefaultAdminTransfer() once pendingDefaultAdmin() says so.")).to.have.length(2);
    expect(problems("Wait until it is unpaused (unpause()).")).to.have.length(1);
    // plain words are not calls; a function without a command may be named; a reference must be a command
    expect(problems("Nothing to claim; pay first, or renounceRole(role, account).")).to.deep.equal([]);
    expect(problems("Run dsx program frobnicate. Or dsx pays. Or dsx frobnicate.")).to.have.length(3);
    expect(problems("Usage: dsx program [options] [command]; postgres://dsx@db/dsx dsx api --port 1")).to.deep.equal([]);
    // a command's own help may say which function it sends
    expect(problems("--record: publish the result with recordAudit", "dsx audit")).to.deep.equal([]);
    expect(problems("--record: publish the result with recordAudit")).to.have.length(1);
    expect(problems("Run `dsx migration execute 3`; dsx status 3 shows it; dsx audit --record.")).to.deep.equal([]);
  });

  it("when a ledger function changes state, a dsx command sends it, except the few listed here", () => {
    const withoutCommand = ["expireCredits", "grantRole", "revokeRole", "renounceRole", "changeDefaultAdminDelay", "rollbackDefaultAdminDelay"];
    const writes = revenueShareLedgerAbi
      .filter((i) => i.type === "function" && i.stateMutability !== "view" && i.stateMutability !== "pure")
      .map((i) => (i as { name: string }).name);
    expect(writes.filter((fn) => !byFunction.has(fn))).to.have.members(withoutCommand);
    for (const fn of byFunction.keys()) expect(ledgerFunctions, fn).to.include(fn);
  });

  it("when every refusal is explained, with every kind of value, no explanation names a function that has a command", () => {
    const PROGRAM = keccak256(stringToHex("PROGRAM_ROLE"));
    const samples = (type: string): unknown[] =>
      type === "address" ? ["0x00000000000000000000000000000000000000aa", "0x0000000000000000000000000000000000000000"]
      : type === "bool" ? [true, false]
      : type === "string" ? [...Object.keys(CONSTANT_RANGES), "SOMETHING_ELSE", "creditLimit", "periodDuration", "endTime", "startTime"]
      : type.startsWith("bytes") ? [`0x${"00".repeat(32)}`, PROGRAM, `0x${"ab".repeat(32)}`]
      : [0n, 1n, 2n, 5n, 1_790_000_000n];
    const product = (lists: unknown[][]): unknown[][] => lists.reduce<unknown[][]>((acc, list) => acc.flatMap((a) => list.map((v) => [...a, v])), [[]]);
    const errors = new Map<string, { type: string }[]>();
    for (const abi of [revenueShareLedgerAbi, dsxCreditAbi, mockUsdcAbi]) {
      for (const item of abi.filter((i) => i.type === "error")) errors.set((item as { name: string }).name, (item as unknown as { inputs: { type: string }[] }).inputs);
    }
    const found: string[] = [];
    let walked = 0;
    for (const [name, inputs] of errors) {
      for (const args of product(inputs.map((i) => samples(i.type)))) {
        for (const now of [undefined, 1_790_000_000n - 3_600n, 1_790_000_000n + 3_600n]) {
          const [cause, fix] = explainRevert(name, args, { now })!;
          walked++;
          for (const p of problems(`${cause} ${fix}`)) found.push(`${name}(${args.map(String).join(", ")}): ${p}`);
        }
      }
    }
    for (const reason of USAGE_REJECTION_REASONS) {
      const { cause, fix } = USAGE_REJECTION_EXPLANATIONS[reason];
      for (const p of problems(`${cause}. ${fix}`)) found.push(`${reason}: ${p}`);
    }
    expect(walked).to.be.greaterThan(1_000);
    expect([...new Set(found)]).to.deep.equal([]);
  });

  it("when the CLI, the SDK and the oracles speak (every text of cli/, oracle/, sdk/errors.ts, the sdk's actions and what they share), no text names a function that has a command", () => {
    const top = join(__dirname, "..", "..");
    const sdk = ["errors.ts", "context.ts", "deployment.ts", "execute.ts", "values.ts", ...readdirSync(join(top, "sdk", "actions")).map((f) => join("actions", f))];
    const tree = (dir: string) =>
      readdirSync(join(top, dir), { recursive: true, encoding: "utf8" })
        .filter((f) => f.endsWith(".ts"))
        .map((f) => join(top, dir, f));
    const files = [...sdk.map((f) => join(top, "sdk", f)), ...tree("cli"), ...tree("oracle")];
    expect(files.filter((f) => f.startsWith(join(top, "oracle", "usage"))).length).to.be.greaterThan(10);
    const found: string[] = [];
    for (const file of files) {
      const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
      const visit = (node: ts.Node) => {
        let text: string | undefined;
        if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) text = node.text;
        else if (ts.isTemplateExpression(node)) text = [node.head.text, ...node.templateSpans.map((span) => span.literal.text)].join("…");
        // a text a person reads has a space; "setTreasury" alone is the code's own reference to the function
        if (text !== undefined && /\s/.test(text)) for (const p of problems(text)) found.push(`${file.slice(top.length + 1)}: "${text}" ${p}`);
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
    expect(files.length).to.be.greaterThan(10);
    expect(found).to.deep.equal([]);
  });

  it("when any command's --help is shown, it names commands, not the functions behind them", async () => {
    const paths: string[][] = [];
    const walk = (cmd: Command, path: string[]) => {
      paths.push(path);
      for (const sub of cmd.commands) if (sub.name() !== "help") walk(sub, [...path, sub.name()]);
    };
    walk(root, []);
    const found: string[] = [];
    for (const path of paths) {
      let out = "";
      const code = await runCli([...path, "--help"], { stdout: (t) => (out += t), stderr: (t) => (out += t) });
      expect(code, path.join(" ")).to.equal(0);
      for (const p of problems(out, ["dsx", ...path].join(" "))) found.push(`dsx ${path.join(" ")} --help: ${p}`);
    }
    expect(paths.length).to.be.greaterThan(40);
    expect(found).to.deep.equal([]);
  });
});

describe("a multi-line cause, kept whole", function () {
  it("when a native module cannot be found (the real `bindings` error), every path it tried is kept, with the fix", () => {
    const moduleRoot = mkdtempSync(join(tmpdir(), "dsx-bindings-"));
    let thrown: unknown;
    try {
      bindings({ bindings: "better_sqlite3.node", module_root: moduleRoot });
    } catch (err) {
      thrown = err;
    }
    expect((thrown as Error).message).to.match(/^Could not locate the bindings file\. Tried:\n/);
    const tried = (thrown as Error).message.split("\n").slice(1);
    expect(tried.length).to.be.greaterThan(5);
    const e = describeError(thrown);
    expect(e.shortMessage).to.equal("Could not locate the bindings file. Tried:");
    expect(e.details!.split("\n")).to.deep.equal(tried);
    expect(e.fix).to.match(/^A native module is missing or was built for another Node\.js version: run `npm rebuild`/);
  });
});
