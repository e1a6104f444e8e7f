// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {AgreementStatus, RateEntry, RevenueState, UsageDisputeState} from "./LedgerTypes.sol";

/// @dev Agreement storage. Slot 0 holds everything a usage line reads; nothing on the usage path writes it.
struct Agreement {
    // slot 0: read by every usage line
    address startup;
    AgreementStatus status;
    uint40 startTime;
    uint40 endTime;
    // slot 1: terms and lifecycle
    uint40 terminatedAt;
    uint40 acceptedAt;
    uint32 periodDuration;
    uint32 gracePeriod;
    uint16 revenueShareBps;
    uint32 capMultipleBps;
    uint16 partnerFirstBps;
    uint8 periodCount;
    uint8 nextPeriodToFinalize;
    // slot 2: settlement
    uint128 obligation;
    uint128 paid;
    // slot 3
    uint64 creditLimit;
    uint64 refundsMinted;
    // slot 4
    bytes32 termsHash;
    address[] partnerList;
    mapping(address partner => Position) positions;
    mapping(address partner => PositionExtra) extras;
    mapping(uint256 periodIndex => RevenuePeriod) periods;
}

/// @dev A partner's standing under one agreement that every usage line reads and writes, in one slot:
/// its figures (`spent` summed over partners is `consumed`) and the authorization in force.
struct Position {
    uint64 spent;
    uint64 receivable;
    uint40 lastUsageEnd;
    uint56 spendLimit;
    uint24 maxGpus;
    bool hasPendingDecrease;
}

/// @dev The rest of a partner's standing, one slot: what it was paid and pending authorization decreases.
struct PositionExtra {
    // set on the first authorization, so the first payment to the partner rewrites a warm, non-zero slot
    bool initialized;
    uint64 paidToPartner;
    uint56 pendingSpendLimit;
    uint40 pendingSpendLimitAt;
    uint24 pendingMaxGpus;
    uint40 pendingMaxGpusAt;
}

/// @dev Slot 0 holds everything finalization writes; the reported revenue and evidence follow.
struct RevenuePeriod {
    RevenueState state;
    uint32 version;
    uint40 submittedAt;
    uint40 due;
    uint128 cumulativeObligation;
    uint128 revenue;
    bytes32 evidenceHash;
}

/// @dev A partner, one slot: everything a usage batch reads about it, its signer quorum included, and the
/// signer set PROGRAM proposed (in force from `pendingSignersAt` on, with no further transaction).
struct PartnerConfig {
    bool registered;
    bool active;
    uint16 payoutBps;
    uint64 nextSequence;
    uint8 threshold;
    uint32 signerEpoch;
    uint8 pendingThreshold;
    uint32 pendingEpoch;
    uint40 pendingSignersAt;
}

/// @dev The revenue signer quorum and the set PROGRAM proposed, one slot (the shape of PartnerConfig's quorum).
struct RevenueQuorum {
    uint8 threshold;
    uint32 epoch;
    uint8 pendingThreshold;
    uint32 pendingEpoch;
    uint40 pendingAt;
}

/// @dev Signer sets by epoch: every set (in force or pending) has an epoch of its own, never reused.
struct SignerSet {
    mapping(uint32 epoch => address[]) signers;
    mapping(uint32 epoch => mapping(address signer => bool)) isMember;
}

/// @dev Where a partner's claims are paid: `current` (zero: the partner itself) and PROGRAM's pending proposal,
/// in force from `pendingAt` on. `claim` reads the first slot only, unless a proposal has come into force.
struct PayoutAddress {
    address current;
    uint40 pendingAt;
    address pending;
}

/// @dev A startup wallet migration proposed by PROGRAM, executable by anyone from `effectiveAt` on.
struct PendingMigration {
    address to;
    uint40 effectiveAt;
}

/// @dev The latest rate of a (partner, sku) and the schedule's length, one slot; older entries are in a history.
struct RateCard {
    uint64 creditsPerGpuHour;
    uint64 effectiveFrom;
    uint32 count;
}

struct UsageBatchRecord {
    uint64 submittedAt;
    bytes24 linesHash;
}

struct UsageDispute {
    UsageDisputeState state;
    uint64 refund;
}

/// @dev The whole ledger state, handed to the logic libraries as one storage pointer.
struct LedgerState {
    uint256 agreementCount;
    mapping(uint256 id => Agreement) agreements;
    mapping(address wallet => uint256 id) openAgreementOf;
    mapping(address partner => PartnerConfig) partners;
    mapping(address partner => SignerSet) partnerSigners;
    mapping(address partner => mapping(bytes32 sku => RateCard)) rateCards;
    mapping(address partner => mapping(bytes32 sku => mapping(uint256 index => RateEntry))) rateHistory;
    mapping(bytes32 batchId => UsageBatchRecord) batches;
    mapping(bytes32 batchId => mapping(uint256 agreementId => UsageDispute)) usageDisputes;
    mapping(uint256 agreementId => mapping(address partner => uint64)) refundedAt;
    SignerSet revenueSigners;
    RevenueQuorum revenueQuorum;
    mapping(address partner => PayoutAddress) payouts;
    mapping(uint256 id => PendingMigration) pendingMigrations;
    mapping(address beneficiary => uint256) claimable;
    uint256 programClaimable;
    address treasury;
    bool paused;
    uint64 lastUnpausedAt;
}
