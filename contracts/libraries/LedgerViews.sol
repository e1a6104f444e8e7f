// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {
    AgreementView,
    PartnerPositionView,
    PartnerView,
    RateEntry,
    RevenuePeriodView,
    RevenueReport,
    SignerSetView,
    Terms
} from "../types/LedgerTypes.sol";
import {
    Agreement,
    Position,
    PositionExtra,
    LedgerState,
    RevenuePeriod,
    PartnerConfig,
    PayoutAddress,
    RateCard,
    RevenueQuorum
} from "../types/LedgerStorage.sol";
import {AgreementMath} from "./AgreementMath.sol";
import {PositionWord} from "./PositionWord.sol";
import {PartnerLogic} from "./PartnerLogic.sol";
import {SignatureQuorum} from "./SignatureQuorum.sol";

/// @title LedgerViews
/// @notice The ledger's composite views (PROTOCOL §12), computed from stored state.
/// @dev An external library, so the views do not count against the ledger's code size.
library LedgerViews {
    using AgreementMath for Agreement;

    /// @notice Everything about agreement `id` in one call (PROTOCOL §12).
    function agreement(LedgerState storage s, uint256 id) external view returns (AgreementView memory v) {
        Agreement storage a = s.agreements[id];
        v.terms = Terms({
            startup: a.startup,
            creditLimit: a.creditLimit,
            revenueShareBps: a.revenueShareBps,
            capMultipleBps: a.capMultipleBps,
            partnerFirstBps: a.partnerFirstBps,
            startTime: a.startTime,
            endTime: a.endTime,
            periodDuration: a.periodDuration,
            gracePeriod: a.gracePeriod,
            termsHash: a.termsHash
        });
        v.status = a.status;
        v.acceptedAt = a.acceptedAt;
        v.terminatedAt = a.terminatedAt;
        v.creditsMinted = a.acceptedAt == 0 ? 0 : uint256(a.creditLimit) + a.refundsMinted;
        v.consumed = a.consumed();
        v.cap = a.cap();
        v.obligation = a.obligation;
        v.paid = a.paid;
        v.outstanding = v.obligation - v.paid;
        v.nextPeriodToFinalize = a.nextPeriodToFinalize;
        v.periodCount = a.periodCount;
        v.partnerCount = a.partnerList.length;
        (v.nextDue, v.delinquent) = _nextDue(a, v.paid);
    }

    /// @notice A partner's standing under agreement `id`: authorization in force, pending decreases, figures.
    function partnerPosition(
        LedgerState storage s,
        uint256 id,
        address partner_
    ) external view returns (PartnerPositionView memory v) {
        Agreement storage a = s.agreements[id];
        Position memory p = a.positions[partner_];
        PositionExtra memory e = a.extras[partner_];
        uint256 word;
        Position storage ps = a.positions[partner_];
        assembly ("memory-safe") {
            word := sload(ps.slot)
        }
        uint256 maxGpus;
        (v.spendLimit, maxGpus) = PositionWord.limitsInForce(word, a.extras[partner_], block.timestamp);
        v.maxGpus = uint32(maxGpus);
        if (e.pendingSpendLimitAt > block.timestamp) {
            v.pendingSpendLimit = e.pendingSpendLimit;
            v.pendingSpendLimitAt = e.pendingSpendLimitAt;
        }
        if (e.pendingMaxGpusAt > block.timestamp) {
            v.pendingMaxGpus = e.pendingMaxGpus;
            v.pendingMaxGpusAt = e.pendingMaxGpusAt;
        }
        v.spent = p.spent;
        v.burnedAt = uint256(p.spent) + s.refundedAt[id][partner_];
        v.receivable = p.receivable;
        v.paidToPartner = e.paidToPartner;
        v.lastUsageEnd = p.lastUsageEnd;
    }

    /// @notice A partner: the signer set and payout address in force now, and PROGRAM's pending proposals.
    function partner(LedgerState storage s, address partner_) external view returns (PartnerView memory v) {
        PartnerConfig memory p = s.partners[partner_];
        (uint32 epoch, uint8 threshold) = SignatureQuorum.inForceNow(p);
        v.signers = s.partnerSigners[partner_].signers[epoch];
        v.threshold = threshold;
        v.payoutBps = p.payoutBps;
        v.active = p.active;
        v.registered = p.registered;
        v.nextSequence = p.nextSequence;
        if (p.pendingSignersAt > block.timestamp) {
            v.pendingSigners = s.partnerSigners[partner_].signers[p.pendingEpoch];
            v.pendingThreshold = p.pendingThreshold;
            v.pendingSignersAt = p.pendingSignersAt;
        }
        if (!p.registered) return v;
        v.payout = PartnerLogic.payoutInForce(s, partner_, block.timestamp);
        PayoutAddress memory payout = s.payouts[partner_];
        if (payout.pendingAt > block.timestamp) {
            v.pendingPayout = payout.pending;
            v.pendingPayoutAt = payout.pendingAt;
        }
    }

    /// @notice The rate of (partner, sku) in effect at `at` (zero when none).
    function rate(
        LedgerState storage s,
        address partner_,
        bytes32 sku,
        uint64 at
    ) external view returns (RateEntry memory entry) {
        RateEntry[] memory entries = _schedule(s, partner_, sku);
        for (uint256 i = entries.length; i > 0; --i) {
            if (entries[i - 1].effectiveFrom <= at) return entries[i - 1];
        }
    }

    /// @notice Every rate ever scheduled for (partner, sku), oldest first.
    function rateSchedule(
        LedgerState storage s,
        address partner_,
        bytes32 sku
    ) external view returns (RateEntry[] memory) {
        return _schedule(s, partner_, sku);
    }

    /// @notice The revenue signer set in force now and PROGRAM's pending one, if any.
    function revenueSigners(LedgerState storage s) external view returns (SignerSetView memory v) {
        RevenueQuorum memory q = s.revenueQuorum;
        (uint32 epoch, uint8 threshold) = SignatureQuorum.inForceNow(q);
        v.signers = s.revenueSigners.signers[epoch];
        v.threshold = threshold;
        if (q.pendingAt > block.timestamp) {
            v.pendingSigners = s.revenueSigners.signers[q.pendingEpoch];
            v.pendingThreshold = q.pendingThreshold;
            v.pendingAt = q.pendingAt;
        }
    }

    /// @notice Period k's report, state, window, owed, cumulative obligation and due date.
    function revenuePeriod(
        LedgerState storage s,
        uint256 id,
        uint32 k
    ) external view returns (RevenuePeriodView memory v) {
        Agreement storage a = s.agreements[id];
        RevenuePeriod storage p = a.periods[k];
        v.report = RevenueReport(id, k, p.revenue, p.evidenceHash, p.version);
        v.state = p.state;
        v.submittedAt = p.submittedAt;
        v.periodStart = uint64(uint256(a.startTime) + uint256(k) * a.periodDuration);
        v.periodEnd = uint64(a.periodEnd(k));
        v.due = p.due;
        v.cumulativeObligation = p.cumulativeObligation;
        if (v.cumulativeObligation != 0) {
            uint256 before = k == 0 ? 0 : a.periods[k - 1].cumulativeObligation;
            v.owed = v.cumulativeObligation - before;
        }
    }

    /// @dev The due date of the oldest finalized period not covered by `paid` (binary search over the
    /// non-decreasing cumulative obligations), and whether it has passed.
    function _nextDue(Agreement storage a, uint256 paid) private view returns (uint64 nextDue, bool delinquent) {
        uint256 hi = a.nextPeriodToFinalize;
        uint256 lo;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (a.periods[mid].cumulativeObligation > paid) hi = mid;
            else lo = mid + 1;
        }
        if (lo == a.nextPeriodToFinalize) return (0, false);
        nextDue = a.periods[lo].due;
        delinquent = block.timestamp >= nextDue;
    }

    function _schedule(
        LedgerState storage s,
        address partner_,
        bytes32 sku
    ) private view returns (RateEntry[] memory entries) {
        RateCard memory card = s.rateCards[partner_][sku];
        entries = new RateEntry[](card.count);
        if (card.count == 0) return entries;
        for (uint256 i; i + 1 < card.count; ++i) {
            entries[i] = s.rateHistory[partner_][sku][i];
        }
        entries[card.count - 1] = RateEntry(card.creditsPerGpuHour, card.effectiveFrom);
    }
}
