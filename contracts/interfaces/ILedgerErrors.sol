// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {AgreementStatus, RevenueState, UsageDisputeState} from "../types/LedgerTypes.sol";

/// @title ILedgerErrors
/// @notice Every refusal of the revenue-share ledger, each with the values that explain it.
interface ILedgerErrors {
    // ---- configuration and roles ----
    /// @notice An address argument was the zero address.
    error ZeroAddress();
    /// @notice A basis-point value is outside its allowed range.
    error BpsOutOfRange(uint256 value, uint256 min, uint256 max);
    /// @notice Attestations, acceptance and creation are paused.
    error LedgerPaused();
    /// @notice `unpause` was called while not paused, or `pause` while paused.
    error PauseStateUnchanged(bool paused);
    /// @notice A deployment constant is outside its range (PROTOCOL §3); `name` is the constant's name.
    error InvalidConstant(string name, uint256 value);

    // ---- agreements ----
    /// @notice No agreement has this id.
    error AgreementNotFound(uint256 id);
    /// @notice The agreement is not in a status that allows the call.
    error AgreementWrongStatus(uint256 id, AgreementStatus status);
    /// @notice The terms are invalid; `field` names the offending field.
    error InvalidTerms(string field);
    /// @notice The wallet already has a Proposed, Active or Terminated agreement.
    error WalletHasOpenAgreement(address wallet, uint256 id);
    /// @notice The wallet must hold no DSXC for this call.
    error WalletHoldsCredits(address wallet, uint256 balance);
    /// @notice Only the agreement's startup wallet (at once) or PROGRAM (as a proposal) may call this.
    error NotStartupOrProgram(uint256 id, address caller);
    /// @notice The agreement has no pending wallet migration.
    error NoPendingMigration(uint256 id);
    /// @notice The proposed migration's notice runs until `effectiveAt`.
    error MigrationNotYetEffective(uint256 id, uint256 effectiveAt);
    /// @notice The proposed migration took effect at `effectiveAt`: it can be executed, no longer cancelled.
    error MigrationAlreadyEffective(uint256 id, uint256 effectiveAt);
    /// @notice Only the agreement's startup wallet may call this.
    error NotStartup(uint256 id, address caller);
    /// @notice The term has ended; the proposal can no longer be accepted.
    error AcceptanceClosed(uint256 id, uint64 endTime);
    /// @notice The reporting close has not been reached yet.
    error ReportingStillOpen(uint256 id, uint256 reportingClose);
    /// @notice An agreement can have at most 16 partners.
    error TooManyPartners(uint256 id);
    /// @notice A spend limit below what was already spent.
    error SpendLimitBelowSpent(uint256 id, address partner, uint256 spendLimit, uint256 spent);
    /// @notice A value does not fit the ledger's storage width.
    error ValueTooLarge(uint256 value, uint256 max);

    // ---- partners, signers, rates ----
    /// @notice The partner is not registered.
    error PartnerNotRegistered(address partner);
    /// @notice The partner is already registered.
    error PartnerAlreadyRegistered(address partner);
    /// @notice The partner is deactivated.
    error PartnerInactive(address partner);
    /// @notice Only the partner itself (at once) or PROGRAM (as a proposal) may call this.
    error NotPartnerOrProgram(address partner, address caller);
    /// @notice A signer set needs 1 <= threshold <= signers <= 16, no zero address, no duplicate.
    error InvalidSignerSet(uint256 signers, uint256 threshold);
    /// @notice The signer appears twice in a signer set.
    error DuplicateSigner(address signer);
    /// @notice A sku must be a non-empty name.
    error InvalidSku(bytes32 sku);
    /// @notice A rate must be positive.
    error InvalidRate(uint256 creditsPerGpuHour);
    /// @notice `effectiveFrom` must be a whole hour.
    error RateNotOnHour(uint64 effectiveFrom);
    /// @notice `effectiveFrom` is earlier than allowed (now for a first rate, now + RATE_NOTICE for a change).
    error RateTooEarly(uint64 effectiveFrom, uint256 earliest);
    /// @notice A change must be later than the last scheduled one (or replace a not yet effective one).
    error RateOutOfOrder(uint64 effectiveFrom, uint64 lastEffectiveFrom);

    // ---- signatures ----
    /// @notice Fewer valid signatures than the threshold.
    error BelowThreshold(uint256 signatures, uint256 threshold);
    /// @notice Too many signatures (more than 16).
    error TooManySignatures(uint256 signatures);
    /// @notice A signature is malformed or malleable.
    error InvalidSignature(uint256 index);
    /// @notice The recovered signer is not a member of the signer set.
    error UnknownSigner(address signer);
    /// @notice Signers must be in strictly ascending address order (no duplicates).
    error SignersNotAscending(address previous, address next);

    // ---- usage ----
    /// @notice The batch's sequence is not the partner's next one.
    error UsageSequenceMismatch(address partner, uint64 expected, uint64 got);
    /// @notice A batch has 1..256 lines.
    error UsageLineCount(uint256 count);
    /// @notice Lines must be strictly ascending by (agreementId, sku).
    error UsageLinesNotAscending(uint256 index);
    /// @notice A line with zero GPU-seconds.
    error UsageLineEmpty(uint256 index);
    /// @notice The window must satisfy periodStart < periodEnd <= now.
    error UsageWindowInvalid(uint64 periodStart, uint64 periodEnd);
    /// @notice A rate change of the sku falls strictly inside the batch window.
    error UsageRateStraddled(bytes32 sku, uint64 effectiveFrom);
    /// @notice No batch has this id.
    error UsageBatchNotFound(bytes32 batchId);
    /// @notice The batch's dispute window has ended.
    error UsageDisputeWindowClosed(bytes32 batchId, uint256 closedAt);
    /// @notice The dispute is not in the state the call needs.
    error UsageDisputeWrongState(bytes32 batchId, uint256 agreementId, UsageDisputeState state);
    /// @notice Only the agreement's startup or an auditor may dispute usage.
    error UsageDisputeNotAllowed(address caller);
    /// @notice The lines given do not hash to the batch's stored lines hash.
    error UsageLinesMismatch(bytes32 batchId);
    /// @notice The refund exceeds the credits of the agreement's lines in the batch.
    error RefundTooLarge(uint256 refund, uint256 max);

    // ---- revenue ----
    /// @notice The period index is not below the agreement's period count.
    error RevenuePeriodOutOfRange(uint256 id, uint32 periodIndex, uint256 periodCount);
    /// @notice The period has not ended yet.
    error RevenuePeriodNotEnded(uint256 id, uint32 periodIndex, uint256 periodEnd);
    /// @notice The agreement was never accepted.
    error RevenueAgreementNotAccepted(uint256 id);
    /// @notice The report version must exceed the current one.
    error RevenueVersionNotHigher(uint32 version, uint32 current);
    /// @notice The period's report is not in the state the call needs.
    error RevenueWrongState(uint256 id, uint32 periodIndex, RevenueState state);
    /// @notice The period's dispute window has ended.
    error RevenueDisputeWindowClosed(uint256 id, uint32 periodIndex, uint256 closedAt);
    /// @notice The period's dispute window is still open.
    error RevenueDisputeWindowOpen(uint256 id, uint32 periodIndex, uint256 closesAt);
    /// @notice Periods finalize strictly in order.
    error RevenueOutOfOrder(uint256 id, uint32 periodIndex, uint32 nextPeriodToFinalize);

    // ---- payments ----
    /// @notice The agreement owes nothing.
    error NothingOwed(uint256 id);
    /// @notice An amount of zero.
    error ZeroAmount();
    /// @notice The settlement token delivered less than it was asked to move (fee-on-transfer).
    error TokenDeliveredLess(uint256 expected, uint256 received);
    /// @notice The beneficiary has nothing to claim.
    error NothingToClaim(address beneficiary);
    /// @notice The settlement token must have 6 decimals.
    error SettlementTokenDecimals(uint8 decimals);

    // ---- audits ----
    /// @notice An audit cannot cover a block that does not exist yet.
    error AuditBlockInFuture(uint256 throughBlock, uint256 currentBlock);
}
