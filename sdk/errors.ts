import {
  BaseError,
  ContractFunctionRevertedError,
  HttpRequestError,
  InsufficientFundsError,
  LimitExceededRpcError,
  SocketClosedError,
  TimeoutError,
  WaitForTransactionReceiptTimeoutError,
  WebSocketRequestError,
  decodeErrorResult,
  isHex,
  keccak256,
  stringToHex,
  zeroAddress,
  zeroHash,
  type Abi,
  type Hex,
} from "viem";
import { dsxCreditAbi, mockUsdcAbi, revenueShareLedgerAbi, USAGE_REJECTION, type UsageRejectionName } from "./abis";
import { DsxError, FatalError, RetryableError } from "./errorClasses";
import { formatUnits6 } from "./units";

export { ConfigError, DsxError, FatalError, RetryableError, ValidationError, type DsxErrorOptions } from "./errorClasses";

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

// ------------------------------------------------------------------------------------------------
//                      THE LEDGER'S REFUSALS, EXPLAINED: ONE LINE OF CAUSE AND ONE OF FIX
// ------------------------------------------------------------------------------------------------

const HOUR = 3_600n;
const DAY = 86_400n;

/** A unix time as ISO 8601 UTC without fractions ("2026-10-09T00:00:00Z"); other values as they are. */
export function isoTime(seconds: bigint | number): string {
  const t = BigInt(seconds);
  return t > 0n && t < 10n ** 11n ? new Date(Number(t) * 1000).toISOString().replace(".000Z", "Z") : String(t);
}

/** A length of time in words, to the two largest units: "6 days 23 h", "2 h 5 min", "40 s". */
export function durationText(seconds: bigint | number): string {
  let s = BigInt(seconds);
  if (s < 0n) s = -s;
  const parts: [bigint, string][] =
    s >= DAY ? [[s / DAY, s / DAY === 1n ? "day" : "days"], [(s % DAY) / HOUR, "h"]]
    : s >= HOUR ? [[s / HOUR, "h"], [(s % HOUR) / 60n, "min"]]
    : s >= 60n ? [[s / 60n, "min"], [s % 60n, "s"]]
    : [[s, "s"]];
  return parts.filter(([n], i) => i === 0 || n > 0n).map(([n, unit]) => `${n} ${unit}`).join(" ");
}

/** "2026-10-09T00:00:00Z (in 6 days 23 h)", "… (3 h ago)", "… (now)"; just the time when `now` is unknown. */
export function whenText(at: bigint | number, now?: bigint): string {
  const t = BigInt(at);
  if (now === undefined) return isoTime(t);
  if (t === now) return `${isoTime(t)} (now)`;
  return `${isoTime(t)} (${t > now ? `in ${durationText(t - now)}` : `${durationText(now - t)} ago`})`;
}

const AGREEMENT_STATUS = ["None", "Proposed", "Active", "Terminated", "Expired", "Cancelled"] as const;
const REVENUE_STATE = ["None", "Pending", "Disputed", "Rejected", "Cleared", "Finalized"] as const;
const DISPUTE_STATE = ["None", "Open", "Resolved"] as const;

/** Name of an agreement status code. */
export const agreementStatusName = (code: number): string => AGREEMENT_STATUS[code] ?? `status ${code}`;
/** Name of a revenue period state code. */
export const revenueStateName = (code: number): string => REVENUE_STATE[code] ?? `state ${code}`;
/** Name of a usage dispute state code. */
export const usageDisputeStateName = (code: number): string => DISPUTE_STATE[code] ?? `state ${code}`;

/** The ledger's role names by role id (PROTOCOL §3). */
const ROLE_NAMES = new Map<string, string>([
  [zeroHash, "DEFAULT_ADMIN_ROLE"],
  ...["PROGRAM_ROLE", "AUDITOR_ROLE", "PAUSER_ROLE"].map((name): [string, string] => [keccak256(stringToHex(name)), name]),
]);

/**
 * The ranges the ledger's constructor enforces on its constants (PROTOCOL §3), in seconds, with the
 * `dsx deploy` option that sets each.
 */
export const CONSTANT_RANGES: Readonly<Record<string, { min: bigint; max: bigint; option: string }>> = {
  DISPUTE_WINDOW: { min: HOUR, max: 30n * DAY, option: "--dispute-window" },
  RATE_NOTICE: { min: HOUR, max: 90n * DAY, option: "--rate-notice" },
  AUTH_NOTICE: { min: HOUR, max: 90n * DAY, option: "--auth-notice" },
  REPORTING_GRACE: { min: HOUR, max: 90n * DAY, option: "--reporting-grace" },
  SIGNER_NOTICE: { min: HOUR, max: 90n * DAY, option: "--signer-notice" },
  MIGRATION_NOTICE: { min: HOUR, max: 90n * DAY, option: "--migration-notice" },
  PAYOUT_NOTICE: { min: HOUR, max: 90n * DAY, option: "--payout-notice" },
  ADMIN_DELAY: { min: DAY, max: 90n * DAY, option: "--admin-delay" },
};

/** What is known when a refusal is explained: the chain's time (for "in 6 days 23 h"). */
export interface ExplainContext {
  /** The chain's latest block timestamp, unix seconds. */
  now?: bigint;
}

/** A custom error's explanation from its values: one sentence of cause and one of fix. */
export type Explain = (args: readonly unknown[], context: ExplainContext) => [cause: string, fix: string];

const units = (v: unknown) => formatUnits6(v as bigint);
const when = (t: unknown, c: ExplainContext) => whenText(t as bigint, c.now);
const dur = (v: unknown) => durationText(v as bigint);
/** A duration as `dsx` options take it: "30d", "1h". */
const compact = (s: bigint) => (s % DAY === 0n ? `${s / DAY}d` : s % HOUR === 0n ? `${s / HOUR}h` : `${s}s`);
const isZero = (a: unknown) => String(a).toLowerCase() === zeroAddress;

/**
 * Every custom error the ledger, DSXC and the settlement token (MockUSDC) can revert with, explained: the
 * cause with the error's values decoded, and what to do about it. test/sdk/errors.test.ts checks that every
 * error of the three ABIs is here.
 */
export const REVERT_EXPLANATIONS: Readonly<Record<string, Explain>> = {
  // ---- constructor and program-wide
  InvalidConstant: ([name, value]) => {
    const range = CONSTANT_RANGES[String(name)];
    if (!range) return [`Constant ${name} = ${value} s is out of range.`, "Give a value within the range PROTOCOL.md §3 names."];
    return [
      `${name} = ${value} s (${dur(value)}) is outside its range, ${dur(range.min)} .. ${dur(range.max)}.`,
      `Deploy with ${range.option} between ${compact(range.min)} and ${compact(range.max)}.`,
    ];
  },
  ZeroAddress: () => ["An address argument is the zero address.", "Pass a non-zero address."],
  BpsOutOfRange: ([v, min, max]) => [`Basis points ${v} are outside ${min}..${max}.`, "Give a value in that range (10000 = 100 %)."],
  LedgerPaused: () => ["The ledger is paused.", "Wait until a PAUSER unpauses it (dsx program unpause)."],
  PauseStateUnchanged: ([p]) => [`The ledger is already ${p ? "paused" : "unpaused"}.`, "Nothing to do."],
  SettlementTokenDecimals: ([d]) => [`The settlement token has ${d} decimals.`, "Use a 6-decimal token."],
  AuditBlockInFuture: ([b, cur]) => [`Block ${b} is after the current block ${cur}.`, "Audit through an existing block."],
  ValueTooLarge: ([v, max]) => [`Value ${v} is larger than the ledger stores (max ${max}).`, "Give a smaller value."],

  // ---- agreements and wallet migration
  AgreementNotFound: ([id]) => [`Agreement ${id} does not exist.`, "Check the agreement id (dsx status --account <startup> shows a wallet's agreement)."],
  AgreementWrongStatus: ([id, s]) => [
    `Agreement ${id} is ${agreementStatusName(Number(s))}, which does not allow this call.`,
    `Check its state with dsx status ${id}.`,
  ],
  InvalidTerms: ([field]) => [
    `Invalid terms: ${field}.`,
    ({
      creditLimit: "Give a credit limit above 0 and below 72057594037.927936.",
      periodDuration: "Give a period of at least 1 day (86400 s).",
      endTime: "Make endTime = startTime + n x periodDuration with 1 <= n <= 120.",
    } as Record<string, string>)[String(field)] ?? "Correct that field.",
  ],
  WalletHasOpenAgreement: ([w, id]) => [
    `Wallet ${w} already has open agreement ${id}.`,
    `Use a wallet without an open agreement (one wallet holds at most one), or cancel or expire agreement ${id} first.`,
  ],
  WalletHoldsCredits: ([w, b]) => [`Wallet ${w} holds ${units(b)} DSXC.`, "Use a wallet holding 0 DSXC."],
  NotStartup: ([id, caller]) => [`Only agreement ${id}'s startup wallet may do this, not ${caller}.`, `Use the startup wallet's key (dsx status ${id} shows it).`],
  NotStartupOrProgram: ([id, caller]) => [
    `Only agreement ${id}'s startup wallet or a PROGRAM_ROLE holder may migrate it or cancel its migration, not ${caller}.`,
    `Use the startup wallet's key (dsx startup migrate ${id} <wallet>: at once), or a PROGRAM key (dsx program migrate-startup: a proposal that takes effect after MIGRATION_NOTICE).`,
  ],
  NoPendingMigration: ([id]) => [
    `Agreement ${id} has no pending wallet migration (none was proposed, or it was cancelled, carried out, or ended by a migration, a cancellation or the credits' expiry).`,
    `Check with dsx status ${id}; the program proposes one with dsx program migrate-startup ${id} <wallet>.`,
  ],
  MigrationNotYetEffective: ([id, at], c) => [
    `The migration of agreement ${id} takes effect at ${when(at, c)}.`,
    `Run \`dsx migration execute ${id}\` then (anyone may).`,
  ],
  MigrationAlreadyEffective: ([id, at], c) => [
    `The migration of agreement ${id} took effect at ${when(at, c)}, so it can no longer be cancelled.`,
    `Carry it out with \`dsx migration execute ${id}\`, or let the startup wallet move the agreement itself at once (dsx startup migrate ${id} <wallet>), which replaces it.`,
  ],
  AcceptanceClosed: ([id, end]) => [`Agreement ${id}'s term ended at ${isoTime(end as bigint)}; it can no longer be accepted.`, "Ask the program for a new agreement."],
  ReportingStillOpen: ([id, close], c) => [`Agreement ${id}'s reporting stays open until ${when(close, c)}.`, "Try again after that time."],
  TooManyPartners: ([id]) => [`Agreement ${id} already has 16 partners.`, "Raise an existing partner's authorization instead."],
  SpendLimitBelowSpent: ([id, p, limit, spent]) => [
    `Spend limit ${units(limit)} for partner ${p} on agreement ${id} is below the ${units(spent)} already spent.`,
    `Give a spend limit of at least ${units(spent)}.`,
  ],

  // ---- partners, signer sets, payout addresses, rates
  PartnerNotRegistered: ([p]) => [`Partner ${p} is not registered.`, "Register it first (dsx program partner-register)."],
  PartnerAlreadyRegistered: ([p]) => [
    `Partner ${p} is already registered.`,
    "Rotate its signers instead: dsx partner signers with its own key (at once), or dsx program partner-signers (a proposal).",
  ],
  PartnerInactive: ([p]) => [`Partner ${p} is deactivated.`, "Reactivate it with dsx program partner-active --partner <address> --active true."],
  NotPartnerOrProgram: ([p, caller]) => [
    `Only partner ${p} itself or a PROGRAM_ROLE holder may change its signers or payout address, not ${caller}.`,
    "Use the partner's own key (dsx partner signers / dsx partner payout-address: at once), or a PROGRAM key (dsx program partner-signers / payout-address: a proposal that takes effect after its notice).",
  ],
  InvalidSignerSet: ([n, k]) => [`Signer set of ${n} with threshold ${k} is invalid.`, "Use 1 <= threshold <= signers <= 16, with no zero address."],
  DuplicateSigner: ([s]) => [`Signer ${s} appears twice.`, "List each signer once."],
  InvalidSku: ([s]) => [`Sku ${s} is empty.`, 'Give a sku name such as "h100-sxm".'],
  InvalidRate: ([r]) => [`Rate ${r} is not positive.`, "Give a rate above 0 credits per GPU-hour."],
  RateNotOnHour: ([t]) => [`Effective time ${isoTime(t as bigint)} is not a whole hour.`, "Use a multiple of 3600 seconds (a whole UTC hour)."],
  RateTooEarly: ([t, earliest]) => [
    `Effective time ${isoTime(t as bigint)} is earlier than allowed (${isoTime(earliest as bigint)}).`,
    `Give a whole hour at or after ${isoTime(earliest as bigint)} (a change needs RATE_NOTICE).`,
  ],
  RateOutOfOrder: ([t, last]) => [`Effective time ${isoTime(t as bigint)} is before the last scheduled change ${isoTime(last as bigint)}.`, "Schedule after it."],

  // ---- signatures (usage and revenue batches)
  BelowThreshold: ([n, k]) => [`Only ${n} valid signatures; the threshold is ${k}.`, "Collect more signatures from the signer set in force (dsx status --account <partner> shows it)."],
  TooManySignatures: ([n]) => [`${n} signatures are too many.`, "Send at most 16."],
  InvalidSignature: ([i]) => [`Signature ${i} is malformed or malleable.`, "Sign again."],
  UnknownSigner: ([s]) => [
    `Signer ${s} is not in the signer set in force.`,
    "Sign with a key of the set in force now: a set PROGRAM proposed counts only from its effectiveAt (dsx status shows sets in force and pending).",
  ],
  SignersNotAscending: ([a, b]) => [`Signatures are not in ascending signer order (${a} before ${b}).`, "Sort them by signer address."],

  // ---- usage
  UsageSequenceMismatch: ([p, want, got]) => [`Partner ${p}'s next batch is sequence ${want}, not ${got}.`, "Submit the batches in order."],
  UsageLineCount: ([n]) => [`A batch of ${n} lines is refused.`, "Send 1 to 256 lines."],
  UsageLinesNotAscending: ([i]) => [`Line ${i} is out of order.`, "Sort lines by (agreementId, sku)."],
  UsageLineEmpty: ([i]) => [`Line ${i} has no GPU-seconds.`, "Drop empty lines."],
  UsageWindowInvalid: ([a, b]) => [`Window [${isoTime(a as bigint)}, ${isoTime(b as bigint)}) is invalid.`, "Use periodStart < periodEnd <= now."],
  UsageRateStraddled: ([sku, t]) => [`A rate change of ${sku} at ${isoTime(t as bigint)} falls inside the batch window.`, "Split the window at that time."],
  UsageBatchNotFound: ([b]) => [`No usage batch ${b} on this ledger.`, "Check the batch id (the UsageBatchRecorded event)."],
  UsageDisputeWindowClosed: ([b, at]) => [`The dispute window of batch ${b} closed at ${isoTime(at as bigint)}.`, "Disputes are only possible within DISPUTE_WINDOW of submission."],
  UsageDisputeWrongState: ([b, id, s]) => [
    `The dispute of batch ${b} for agreement ${id} is ${usageDisputeStateName(Number(s))}.`,
    Number(s) === 0 ? "Dispute it first (dsx startup dispute-usage / dsx auditor dispute-usage)." : "It was already disputed or resolved; nothing to do.",
  ],
  UsageDisputeNotAllowed: ([c]) => [`${c} may not dispute this usage.`, "Use the agreement's startup key or an AUDITOR key."],
  UsageLinesMismatch: ([b]) => [`The lines given do not match batch ${b}'s stored lines.`, "Omit --lines to rebuild them from the chain's events."],
  RefundTooLarge: ([r, max]) => [`Refund ${units(r)} exceeds the ${units(max)} credits of the disputed lines.`, `Give a refund of at most ${units(max)}.`],

  // ---- revenue
  RevenuePeriodOutOfRange: ([id, k, n]) => [`Agreement ${id} has ${n} periods; period ${k} does not exist.`, `Give a period index 0..${Number(n) - 1}.`],
  RevenuePeriodNotEnded: ([id, k, end]) => [`Period ${k} of agreement ${id} ends at ${isoTime(end as bigint)}.`, "Report it after it has ended."],
  RevenueAgreementNotAccepted: ([id]) => [`Agreement ${id} was never accepted.`, "The startup must accept it first."],
  RevenueVersionNotHigher: ([v, cur]) => [`Version ${v} is not above the current ${cur}.`, `Use version ${Number(cur) + 1}.`],
  RevenueWrongState: ([id, k, s]) => [`Period ${k} of agreement ${id} is ${revenueStateName(Number(s))}.`, `Check it with dsx status ${id}.`],
  RevenueDisputeWindowClosed: ([id, k, at]) => [`The dispute window of agreement ${id} period ${k} closed at ${isoTime(at as bigint)}.`, "It can no longer be disputed."],
  RevenueDisputeWindowOpen: ([id, k, at], c) => [`The dispute window of agreement ${id} period ${k} is open until ${when(at, c)}.`, "Finalize after that time."],
  RevenueOutOfOrder: ([id, k, next]) => [`Agreement ${id} finalizes period ${next} next, not ${k}.`, `Finalize period ${next} first.`],

  // ---- payments and claims
  NothingOwed: ([id]) => [`Agreement ${id} owes nothing at the moment.`, `Check its outstanding amount with dsx status ${id}.`],
  ZeroAmount: () => ["The amount is zero.", "Give an amount above 0."],
  TokenDeliveredLess: ([want, got]) => [`The settlement token delivered ${units(got)} instead of ${units(want)}.`, "Fee-on-transfer tokens are not supported."],
  NothingToClaim: ([b]) => [`${isZero(b) ? "The program" : b} has nothing to claim.`, "Check the claimable amount with dsx status --account <address>."],
  SafeERC20FailedOperation: ([token]) => [`The token ${token} refused a transfer.`, "Check the token (a 6-decimal ERC-20 that returns true or nothing) and the balances involved."],
  ReentrancyGuardReentrantCall: () => ["A re-entrant call was refused.", "Do not call the ledger from a token callback."],
  SafeCastOverflowedUintDowncast: ([bits, v]) => [`Value ${v} does not fit in ${bits} bits.`, "Give a smaller value (times before the year 36812, amounts within the ledger's limits)."],

  // ---- roles and the two-step admin (OpenZeppelin AccessControlDefaultAdminRules)
  AccessControlUnauthorizedAccount: ([a, role]) => {
    const name = ROLE_NAMES.get(String(role)) ?? String(role);
    if (name === "DEFAULT_ADMIN_ROLE") {
      return [`Account ${a} is not the admin (DEFAULT_ADMIN_ROLE).`, "Use the admin's key (dsx status shows the admin); the admin role itself moves only by dsx admin transfer and dsx admin accept."];
    }
    return [`Account ${a} does not hold ${name}.`, `Use a key that holds ${name}, or have the admin grant it.`];
  },
  AccessControlEnforcedDefaultAdminRules: () => [
    "DEFAULT_ADMIN_ROLE cannot be granted, revoked or re-administered directly: the ledger has one admin, changed in two steps.",
    "Have the admin run `dsx admin transfer <newAdmin>`, then the new admin `dsx admin accept` once the admin delay has passed (dsx status shows the admin and the delay).",
  ],
  AccessControlEnforcedDefaultAdminDelay: ([schedule], c) =>
    BigInt(schedule as bigint) === 0n
      ? ["No admin transfer (or renouncement) is scheduled.", "Have the admin start one with `dsx admin transfer <newAdmin>`; the new admin accepts it with `dsx admin accept` once the admin delay has passed."]
      : [
          `The admin delay of this transfer runs until ${when(schedule, c)}: it can only be accepted after that.`,
          "Run `dsx admin accept` with the new admin's key then (a renouncement, renounceRole, likewise).",
        ],
  AccessControlInvalidDefaultAdmin: ([a]) =>
    isZero(a)
      ? ["The initial admin is the zero address.", "Deploy with a non-zero admin (dsx deploy --admin <address>, default the deployer)."]
      : [
          `${a} is not the pending admin, so it cannot accept the admin role.`,
          "Run `dsx admin accept` with the key of the address the admin named in `dsx admin transfer` (dsx status shows the pending admin).",
        ],
  AccessControlBadConfirmation: () => ["A role can only be renounced by its holder for itself.", "Call renounceRole(role, yourOwnAddress) from that address."],

  // ---- DSXC (the credit token)
  TransferRestricted: ([f, t]) => [`DSXC cannot move from ${f} to ${t}.`, "Credits are not transferable: only the ledger mints and burns them."],
  ApprovalRestricted: ([owner, spender]) => [
    `DSXC refuses approvals (approve and permit), here from ${owner} to ${spender}.`,
    "Credits are spent only through the partners' usage batches on the ledger; no approval is needed or possible.",
  ],
  OnlyLedger: ([c]) => [`Only the ledger may mint or burn DSXC, not ${c}.`, "Go through the ledger's functions (accept, usage, migration, expiry)."],

  // ---- ERC-20 and EIP-2612 (the settlement token and DSXC)
  ERC20InsufficientBalance: ([s, bal, need]) => [`Wallet ${s} holds ${units(bal)} of the token; ${units(need)} are needed.`, "Fund the wallet with the settlement token."],
  ERC20InsufficientAllowance: ([, allowance, need]) => [`The ledger may pull ${units(allowance)} but needs ${units(need)}.`, "Approve the ledger for the amount (dsx startup pay does so itself, with a permit or an approval)."],
  ERC20InvalidApprover: ([a]) => [`Approver ${a} is invalid (the zero address).`, "Approve from a real account."],
  ERC20InvalidSpender: ([a]) => [`Spender ${a} is invalid (the zero address).`, "Approve the ledger's address."],
  ERC20InvalidSender: ([a]) => [`Sender ${a} is invalid (the zero address).`, "Send from a real account."],
  ERC20InvalidReceiver: ([a]) => [`Receiver ${a} is invalid (the zero address).`, "Send to a non-zero address."],
  ERC2612ExpiredSignature: ([deadline], c) => [`The permit expired at ${when(deadline, c)}.`, "Run the payment again (a new permit is signed)."],
  ERC2612InvalidSigner: ([signer, owner]) => [`The permit was signed by ${signer}, not by the payer ${owner}.`, "Run the payment again with the payer's key."],
  InvalidAccountNonce: ([a, nonce]) => [`The permit's nonce is not ${a}'s current nonce ${nonce}.`, "Run the payment again (a new permit is signed with the current nonce)."],
  ECDSAInvalidSignature: () => ["The signature does not recover to an address.", "Sign again."],
  ECDSAInvalidSignatureLength: ([n]) => [`The signature is ${n} bytes long, not 65.`, "Sign again."],
  ECDSAInvalidSignatureS: ([s]) => [`The signature's s value ${s} is in the upper half (malleable).`, "Sign again with a standard signer (low s)."],
  InvalidShortString: () => ["A token name or version is invalid.", "This comes from a token's EIP-712 set-up; deploy with the project's contracts."],
  StringTooLong: ([s]) => [`The string "${s}" is too long for a short string.`, "Use at most 31 bytes."],
};

/** The explanation of a custom error with its values, or undefined when the error is not one of ours. */
export function explainRevert(name: string, args: readonly unknown[], context: ExplainContext = {}): [cause: string, fix: string] | undefined {
  return REVERT_EXPLANATIONS[name]?.(args, context);
}

/** A call the ledger (or a token) refused, decoded: the error name, its values, and one line of cause and fix. */
export class LedgerRevertError extends FatalError {
  override name = "LedgerRevertError";
  constructor(
    readonly errorName: string,
    readonly errorArgs: readonly unknown[],
    cause: string,
    fix: string,
    options: { cause?: unknown } = {},
  ) {
    super(`${errorName}: ${cause}`, { fix, cause: options.cause });
  }

  /**
   * The explained refusal `name(args)`, as the ledger would revert with it (for checks made before sending).
   * @example throw LedgerRevertError.of("NothingOwed", [3n]);
   */
  static of(name: string, args: readonly unknown[], context: ExplainContext = {}): LedgerRevertError {
    const [cause, fix] = explainRevert(name, args, context) ?? [`The call would revert (${args.map(String).join(", ")}).`, "Check the arguments against PROTOCOL.md."];
    return new LedgerRevertError(name, args, cause, fix);
  }
}

/** Every custom error the ledger and the tokens can revert with, for decoding raw revert data. */
const ERROR_ABI = [...revenueShareLedgerAbi, ...dsxCreditAbi, ...mockUsdcAbi].filter((item) => item.type === "error") as Abi;

/** A custom error of ours from raw revert data, or undefined when its selector is none of ours. */
function decodeRevertData(data: Hex): { name: string; args: readonly unknown[] } | undefined {
  try {
    const decoded = decodeErrorResult({ abi: ERROR_ABI, data });
    return { name: decoded.errorName, args: decoded.args ?? [] };
  } catch {
    return undefined;
  }
}

/**
 * The custom error inside a viem error; or in an ethers CALL_EXCEPTION (`revert` decoded, or `data`) or a
 * Hardhat ProviderError (`data.data`), as Hardhat's deploy throws them.
 */
function revertOf(err: unknown): { name: string; args: readonly unknown[] } | undefined {
  if (err instanceof BaseError) {
    const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError);
    if (!(reverted instanceof ContractFunctionRevertedError)) return undefined;
    if (reverted.data?.errorName) return { name: reverted.data.errorName, args: reverted.data.args ?? [] };
    if (reverted.raw) return decodeRevertData(reverted.raw) ?? { name: `unknown error ${reverted.raw.slice(0, 10)}`, args: [] };
    return { name: reverted.reason ? `Error("${reverted.reason}")` : "revert without a reason", args: [] };
  }
  const fields = (typeof err === "object" && err !== null ? err : {}) as { code?: unknown; revert?: unknown; data?: unknown };
  const revert = fields.revert as { name?: unknown; args?: unknown } | null | undefined;
  if (fields.code === "CALL_EXCEPTION" && revert && typeof revert.name === "string") {
    return { name: revert.name, args: Array.isArray(revert.args) ? [...(revert.args as unknown[])] : [] };
  }
  const nested = typeof fields.data === "object" && fields.data !== null ? (fields.data as { data?: unknown }).data : undefined;
  const data = typeof fields.data === "string" ? fields.data : nested;
  return typeof data === "string" && isHex(data) && data.length >= 10 ? decodeRevertData(data) : undefined;
}

/**
 * Turns anything thrown by an operation into a {@link DsxError} whose message is one line of cause and fix:
 * a decoded custom error (with `context.now`, times are told as "in 6 days 23 h"), a node that does not
 * answer, a wallet without gas money; anything else keeps its first line as the message and the rest of
 * its text (and a viem error's details) as `details`, so nothing of the cause is lost.
 * @example catch (err) { console.error(describeError(err).message); }
 */
export function describeError(err: unknown, context: ExplainContext = {}): DsxError {
  if (err instanceof DsxError) return err;
  const revert = revertOf(err);
  if (revert) {
    const [cause, fix] = explainRevert(revert.name, revert.args, context) ?? [`The call reverted (${revert.args.map(String).join(", ")}).`, "Check the arguments against PROTOCOL.md."];
    return new LedgerRevertError(revert.name, revert.args, cause, fix, { cause: err });
  }
  if (err instanceof BaseError && err.walk((e) => e instanceof InsufficientFundsError)) {
    return new FatalError("The sending account has too little native currency to pay for gas.", { fix: "Fund the account and try again.", cause: err });
  }
  if (isRetryable(err)) {
    return new DsxError("The JSON-RPC node did not answer.", { fix: "Check that the node runs and --rpc-url points at it, then try again.", cause: err });
  }
  // ethers (Hardhat's deploy) errors: a short message and a code
  const fields = (typeof err === "object" && err !== null ? err : {}) as { shortMessage?: unknown; code?: unknown };
  if (fields.code === "INSUFFICIENT_FUNDS") {
    return new FatalError("The sending account has too little native currency to pay for gas.", { fix: "Fund the account and try again.", cause: err });
  }
  const text =
    err instanceof BaseError ? err.shortMessage : typeof fields.shortMessage === "string" ? fields.shortMessage : err instanceof Error ? err.message : String(err);
  // the cause whole: its first line is the message, the rest (a list of paths tried, the node's own words) the details
  const [first, ...rest] = text.split("\n");
  const more = [rest.join("\n"), err instanceof BaseError && err.details && !text.includes(err.details) ? err.details : ""];
  const details = more.map((part) => part.replace(/^\s*\n|\s+$/g, "")).filter(Boolean).join("\n");
  // a native module (better-sqlite3's) missing or built for another Node.js: the paths tried say which
  const fix = NATIVE_MODULE_PROBLEM.test(text)
    ? "A native module is missing or was built for another Node.js version: run `npm rebuild` (or `npm ci`) in the project folder with the Node.js that runs dsx."
    : undefined;
  return new DsxError(first.trim() || "Unknown error.", { fix, details: details || undefined, cause: err });
}

/** The messages of a native module that cannot be loaded (the `bindings` package, Node's ABI check). */
const NATIVE_MODULE_PROBLEM = /Could not locate the bindings file|was compiled against a different Node\.js version|NODE_MODULE_VERSION/;

// ------------------------------------------------------------------------------------------------
//                         USAGE LINES THE LEDGER REJECTS (UsageLineRejected reasons)
// ------------------------------------------------------------------------------------------------

/** UsageRejection reasons by ordinal (PROTOCOL §6; `SiblingRejected` since v1.1), generated from the compiler's output. */
export const USAGE_REJECTION_REASONS = USAGE_REJECTION;

export type UsageRejectionReason = UsageRejectionName;

/**
 * What each UsageLineRejected reason means and what to do. A batch's lines for one agreement are accepted or
 * rejected together and a rejected group books nothing, so every rejected line can be reported again once
 * its cause is fixed.
 */
export const USAGE_REJECTION_EXPLANATIONS: Readonly<Record<UsageRejectionReason, { cause: string; fix: string }>> = {
  NotOpen: { cause: "the agreement is not Active or Terminated", fix: "Bill only accepted agreements; check it with dsx status <id>." },
  OutsideTerm: { cause: "the batch window lies outside the agreement's term (before its start or after its end or termination)", fix: "Report usage inside the term only." },
  ReportingClosed: { cause: "the agreement's reporting has closed (REPORTING_GRACE after its end) or its last period is finalized", fix: "Nothing can be billed any more; report earlier next time." },
  NoRate: { cause: "the partner has no rate for this sku at the window's start", fix: "Have the program schedule a rate (dsx program rate-schedule), then report again." },
  Overlap: { cause: "the window starts before the end of usage already billed for this agreement and partner", fix: "Report windows after the last one billed (the partner position's lastUsageEnd)." },
  OverGpuBound: { cause: "the agreement's lines exceed maxGpus x the window's length", fix: "Check the records; the startup raises --max-gpus with dsx startup authorize if it reserved more GPUs." },
  OverAuthorization: { cause: "the credits exceed the partner's spend limit on this agreement", fix: "The startup raises the spend limit (dsx startup authorize), then report again." },
  InsufficientCredits: { cause: "the startup's DSXC balance does not cover the credits", fix: "Report again once the startup holds the credits (a usage refund re-mints them), or stop billing." },
  SiblingRejected: {
    cause: "another line of the same agreement in this batch failed a check, and an agreement's lines are accepted or rejected together",
    fix: "Look at the line of that agreement that carries its own reason; once that is fixed, report all of them again (nothing was booked).",
  },
};

/**
 * A UsageLineRejected reason (its ordinal or name) explained.
 * @example explainUsageRejection(8); // { reason: "SiblingRejected", cause: "another line of …", fix: "Look at …" }
 */
export function explainUsageRejection(reason: number | bigint | string): { reason: string; cause: string; fix: string } {
  const name = typeof reason === "string" ? reason : USAGE_REJECTION_REASONS[Number(reason)];
  const known = name !== undefined && name in USAGE_REJECTION_EXPLANATIONS ? USAGE_REJECTION_EXPLANATIONS[name as UsageRejectionReason] : undefined;
  if (!known) return { reason: name ?? `reason ${reason}`, cause: "an unknown rejection reason", fix: "Check PROTOCOL.md §6 for this ledger's reasons." };
  return { reason: name!, ...known };
}
