import { expect } from "chai";
import { makeError } from "ethers";
import {
  CallExecutionError,
  ContractFunctionExecutionError,
  ContractFunctionRevertedError,
  HttpRequestError,
  TimeoutError,
  WaitForTransactionReceiptTimeoutError,
} from "viem";
import { ConfigError, DsxError, FatalError, RetryableError, ValidationError, isRetryable } from "../../sdk/errors";

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
