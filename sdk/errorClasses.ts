// The error classes every part of DSX throws on purpose (one line: what was wrong and how to fix it). They have no
// imports, so any module (sdk/units.ts too) can throw them; sdk/errors.ts re-exports them beside its explanations.

/** Options shared by every {@link DsxError}. */
export interface DsxErrorOptions {
  /** What the user can do about it, one sentence ("Write it as 1250.5."). */
  fix?: string;
  /** Longer technical context (the rest of a multi-line cause), kept off the one-line message; `dsx` prints it below. */
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
