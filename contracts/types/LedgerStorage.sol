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
    mapping(address partner => Limits) limits;
    mapping(uint256 periodIndex => RevenuePeriod) periods;
}

/// @dev A partner's running figures under one agreement, one slot. `spent` summed over partners is `consumed`.
struct Position {
    uint64 spent;
    uint64 receivable;
    uint64 paidToPartner;
    uint40 lastUsageEnd;
}

/// @dev A partner authorization with its pending decreases, one slot.
struct Limits {
    uint64 spendLimit;
    uint24 maxGpus;
    uint64 pendingSpendLimit;
    uint40 pendingSpendLimitAt;
    uint24 pendingMaxGpus;
    uint40 pendingMaxGpusAt;
}

struct RevenuePeriod {
    // slot 0
    RevenueState state;
    uint32 version;
    uint40 submittedAt;
    uint40 due;
    // slot 1
    uint128 revenue;
    uint128 cumulativeObligation;
    // slot 2
    bytes32 evidenceHash;
}

struct PartnerConfig {
    bool registered;
    bool active;
    uint16 payoutBps;
    uint64 nextSequence;
}

struct SignerSet {
    uint8 threshold;
    uint32 epoch;
    address[] signers;
    mapping(address signer => uint32 epoch) memberEpoch;
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
    mapping(address partner => mapping(bytes32 sku => RateEntry[])) rates;
    mapping(bytes32 batchId => UsageBatchRecord) batches;
    mapping(bytes32 batchId => mapping(uint256 agreementId => UsageDispute)) usageDisputes;
    mapping(uint256 agreementId => mapping(address partner => uint64)) refundedAt;
    SignerSet revenueSigners;
    mapping(address beneficiary => uint256) claimable;
    uint256 programClaimable;
    address treasury;
    bool paused;
    uint64 lastUnpausedAt;
}
