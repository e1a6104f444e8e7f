import {
  ContractFunctionRevertedError,
  HttpRequestError,
  LimitExceededRpcError,
  SocketClosedError,
  TimeoutError,
  WaitForTransactionReceiptTimeoutError,
  WebSocketRequestError,
} from "viem";

/** Options shared by every {@link DsxError}. */
export interface DsxErrorOptions {
  /** What the user can do about it, one sentence ("Write it as 1250.5."). */
  fix?: string;
  /** Longer technical context, kept off the one-line message. */
  details?: string;
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * Base class of every error the SDK and services throw on purpose.
 *
 * `message` is one line: the short message followed by the fix, so a CLI can print it as is.
 *
 * @example
 * throw new DsxError('Amount "1e6" is not a decimal number.', { fix: "Write it as 1000000." });
 */
export class DsxError extends Error {
  override name = "DsxError";
  /** The message without the fix. */
  readonly shortMessage: string;
  readonly fix: string | undefined;
  readonly details: string | undefined;

  constructor(shortMessage: string, options: DsxErrorOptions = {}) {
    super(options.fix ? `${shortMessage} ${options.fix}` : shortMessage, { cause: options.cause });
    this.shortMessage = shortMessage;
    this.fix = options.fix;
    this.details = options.details;
  }
}

/** A transient failure (network, rate limit, node overload): the same call may succeed later. */
export class RetryableError extends DsxError {
  override name = "RetryableError";
}

/** A failure that repeating the same call cannot cure (bad input, revert, bad configuration). */
export class FatalError extends DsxError {
  override name = "FatalError";
}

/** An input value is malformed or out of range. */
export class ValidationError extends FatalError {
  override name = "ValidationError";
}

/** A setting (file, environment variable, key) is missing or invalid. */
export class ConfigError extends FatalError {
  override name = "ConfigError";
  /** The setting's name, e.g. `rpcUrl` or `DSX_KEYSTORE_PASSWORD`. */
  readonly setting: string;

  constructor(setting: string, shortMessage: string, options: DsxErrorOptions = {}) {
    super(shortMessage, options);
    this.setting = setting;
  }
}

const RETRYABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_SOCKET",
  // ethers v6 error codes
  "NETWORK_ERROR",
  "TIMEOUT",
]);

/** ethers v6 codes for a refusal by the contract or of the input. */
const FATAL_CODES = new Set(["CALL_EXCEPTION", "INVALID_ARGUMENT", "UNPREDICTABLE_GAS_LIMIT", "ACTION_REJECTED"]);

const isRetryableStatus = (status: number) => status === 408 || status === 429 || (status >= 500 && status <= 599);

/** HTTP status carried by an error: viem `status`, ethers `response.statusCode`, or a plain `statusCode`. */
function httpStatus(err: Record<string, unknown>): number | undefined {
  if (typeof err.status === "number") return err.status;
  if (typeof err.statusCode === "number") return err.statusCode;
  const response = err.response;
  if (typeof response === "object" && response !== null && "statusCode" in response) {
    const code = (response as { statusCode: unknown }).statusCode;
    if (typeof code === "number") return code;
  }
  return undefined;
}

/** Classifies one link of a cause chain: true/false when it decides, undefined to look deeper. */
function classify(err: unknown): boolean | undefined {
  if (err instanceof RetryableError) return true;
  if (err instanceof FatalError) return false;
  if (err instanceof ContractFunctionRevertedError) return false;
  if (err instanceof HttpRequestError) return err.status === undefined || isRetryableStatus(err.status);
  if (
    err instanceof TimeoutError ||
    err instanceof WaitForTransactionReceiptTimeoutError ||
    err instanceof WebSocketRequestError ||
    err instanceof SocketClosedError ||
    err instanceof LimitExceededRpcError
  ) {
    return true;
  }
  if (typeof err !== "object" || err === null) return undefined;
  const fields = err as Record<string, unknown>;
  if (typeof fields.code === "string") {
    if (RETRYABLE_CODES.has(fields.code)) return true;
    if (FATAL_CODES.has(fields.code)) return false;
  }
  const status = httpStatus(fields);
  if (status !== undefined) return isRetryableStatus(status);
  // undici's fetch: TypeError("fetch failed") with the socket error as cause
  if (err instanceof TypeError && err.message === "fetch failed") return true;
  // AbortSignal.timeout() rejects with a DOMException named TimeoutError
  if (fields.name === "TimeoutError") return true;
  return undefined;
}

/**
 * Whether an operation that failed with `err` is worth retrying (with backoff).
 *
 * Walks the cause chain from the outside in and takes the first link that decides:
 * our own {@link RetryableError}/{@link FatalError}; viem `HttpRequestError` (no status, 408,
 * 429 or 5xx), `TimeoutError`, socket errors and rate limits; Node/undici socket codes
 * (ECONNREFUSED, ECONNRESET, ETIMEDOUT, …); `fetch failed`; ethers `NETWORK_ERROR`/`TIMEOUT`
 * and HTTP statuses. Contract reverts, validation and anything unknown are not retryable.
 *
 * @example
 * if (!isRetryable(err)) throw err; // else back off and try again
 */
export function isRetryable(err: unknown): boolean {
  const seen = new Set<unknown>();
  for (let link = err; link !== undefined && link !== null && !seen.has(link); ) {
    seen.add(link);
    const verdict = classify(link);
    if (verdict !== undefined) return verdict;
    link = typeof link === "object" ? (link as { cause?: unknown }).cause : undefined;
  }
  return false;
}
