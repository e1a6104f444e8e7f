// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @notice An agreement's terms, fixed at creation (PROTOCOL §4).
struct Terms {
    address startup;
    uint256 creditLimit;
    uint16 revenueShareBps;
    uint32 capMultipleBps;
    uint16 partnerFirstBps;
    uint64 startTime;
    uint64 endTime;
    uint32 periodDuration;
    uint32 gracePeriod;
    bytes32 termsHash;
}

enum AgreementStatus {
    None,
    Proposed,
    Active,
    Terminated,
    Expired,
    Cancelled
}

/// @notice One line of a usage batch: GPU-seconds of one sku for one agreement (PROTOCOL §6).
struct UsageLine {
    uint256 agreementId;
    bytes32 sku;
    uint64 gpuSeconds;
}

/// @notice A partner's signed usage attestation for one window (PROTOCOL §6).
struct UsageBatch {
    address partner;
    uint64 sequence;
    uint64 periodStart;
    uint64 periodEnd;
    bytes32 recordsRoot;
    UsageLine[] lines;
}

/// @notice An accepted usage line as hashed into a batch's `linesHash`.
struct AcceptedUsageLine {
    uint256 agreementId;
    bytes32 sku;
    uint64 gpuSeconds;
    uint256 credits;
}

/// @notice Reasons a usage line is skipped, in the order they are checked.
enum UsageRejection {
    NotOpen,
    OutsideTerm,
    ReportingClosed,
    NoRate,
    Overlap,
    OverGpuBound,
    OverAuthorization,
    InsufficientCredits,
    SiblingRejected
}

enum UsageDisputeState {
    None,
    Open,
    Resolved
}

/// @notice A revenue oracle's attestation of one period's revenue (PROTOCOL §7).
struct RevenueReport {
    uint256 agreementId;
    uint32 periodIndex;
    uint256 revenue;
    bytes32 evidenceHash;
    uint32 version;
}

enum RevenueState {
    None,
    Pending,
    Disputed,
    Rejected,
    Cleared,
    Finalized
}

/// @notice Everything about an agreement in one call (PROTOCOL §12).
struct AgreementView {
    Terms terms;
    AgreementStatus status;
    uint64 acceptedAt;
    uint64 terminatedAt;
    uint256 creditsMinted;
    uint256 consumed;
    uint256 cap;
    uint256 obligation;
    uint256 paid;
    uint256 outstanding;
    bool delinquent;
    uint64 nextDue;
    uint32 nextPeriodToFinalize;
    uint32 periodCount;
    uint256 partnerCount;
}

/// @notice A partner's standing under one agreement (PROTOCOL §12).
struct PartnerPositionView {
    uint256 spendLimit;
    uint32 maxGpus;
    uint256 pendingSpendLimit;
    uint64 pendingSpendLimitAt;
    uint32 pendingMaxGpus;
    uint64 pendingMaxGpusAt;
    uint256 spent;
    uint256 burnedAt;
    uint256 receivable;
    uint256 paidToPartner;
    uint64 lastUsageEnd;
}

/// @notice A registered partner (PROTOCOL §12): the signer set and payout address in force, and any pending
/// change proposed by PROGRAM with the time it takes effect (zero when none is pending).
struct PartnerView {
    address[] signers;
    uint8 threshold;
    uint16 payoutBps;
    bool active;
    bool registered;
    uint64 nextSequence;
    address payout;
    address[] pendingSigners;
    uint8 pendingThreshold;
    uint64 pendingSignersAt;
    address pendingPayout;
    uint64 pendingPayoutAt;
}

/// @notice The program-wide revenue signer set in force and any pending one with its effectiveAt (PROTOCOL §7).
struct SignerSetView {
    address[] signers;
    uint8 threshold;
    address[] pendingSigners;
    uint8 pendingThreshold;
    uint64 pendingAt;
}

/// @notice The ledger's time constants in seconds (PROTOCOL §3), each checked against its range at deployment.
struct LedgerConstants {
    uint256 disputeWindow;
    uint256 rateNotice;
    uint256 authNotice;
    uint256 reportingGrace;
    uint256 signerNotice;
    uint256 migrationNotice;
    uint256 payoutNotice;
}

/// @notice One entry of a partner's rate card for a sku.
struct RateEntry {
    uint64 creditsPerGpuHour;
    uint64 effectiveFrom;
}

/// @notice A revenue period's report and settlement figures (PROTOCOL §12).
struct RevenuePeriodView {
    RevenueReport report;
    RevenueState state;
    uint64 submittedAt;
    uint64 periodStart;
    uint64 periodEnd;
    uint256 owed;
    uint256 cumulativeObligation;
    uint64 due;
}
