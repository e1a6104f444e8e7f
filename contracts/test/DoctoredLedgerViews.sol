// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {
    AgreementView,
    PartnerPositionView,
    PartnerView,
    RateEntry,
    RevenuePeriodView,
    RevenueReport,
    Terms
} from "../types/LedgerTypes.sol";
import {
    Agreement,
    Position,
    PositionExtra,
    LedgerState,
    RevenuePeriod,
    PartnerConfig,
    RateCard
} from "../types/LedgerStorage.sol";
import {AgreementMath} from "../libraries/AgreementMath.sol";

/// @title DoctoredViewsCore
/// @dev TEST ONLY (the auditor's mutation suite): a copy of LedgerViews with deliberate bugs, selected by the
/// wrapper libraries below. Each wrapper has the original's external functions (same selectors), so the real
/// RevenueShareLedger linked against one of them is a "doctored ledger" with exactly one bug.
/// @notice The ledger's composite views (PROTOCOL §12), computed from stored state.
/// @dev An external library, so the views do not count against the ledger's code size.
library DoctoredViewsCore {
    uint256 internal constant FIFO_OFF_BY_ONE = 1;
    uint256 internal constant FIFO_NEWEST_FIRST = 2;
    uint256 internal constant BURNED_AT_WITHOUT_REFUNDS = 3;

    using AgreementMath for Agreement;

    function agreement(LedgerState storage s, uint256 id, uint256 bug) internal view returns (AgreementView memory v) {
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
        (v.nextDue, v.delinquent) = _nextDue(a, v.paid, bug);
    }

    function partnerPosition(
        LedgerState storage s,
        uint256 id,
        address partner_,
        uint256 bug
    ) internal view returns (PartnerPositionView memory v) {
        Agreement storage a = s.agreements[id];
        Position memory p = a.positions[partner_];
        PositionExtra memory e = a.extras[partner_];
        uint256 word;
        Position storage ps = a.positions[partner_];
        assembly ("memory-safe") {
            word := sload(ps.slot)
        }
        uint256 maxGpus;
        (v.spendLimit, maxGpus) = AgreementMath.limitsInForce(word, a.extras[partner_], block.timestamp);
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
        v.burnedAt = bug == BURNED_AT_WITHOUT_REFUNDS ? p.spent : uint256(p.spent) + s.refundedAt[id][partner_];
        v.receivable = p.receivable;
        v.paidToPartner = e.paidToPartner;
        v.lastUsageEnd = p.lastUsageEnd;
    }

    function partner(LedgerState storage s, address partner_) internal view returns (PartnerView memory v) {
        PartnerConfig memory p = s.partners[partner_];
        v.signers = s.partnerSigners[partner_].signers;
        v.threshold = p.threshold;
        v.payoutBps = p.payoutBps;
        v.active = p.active;
        v.registered = p.registered;
        v.nextSequence = p.nextSequence;
    }

    function rate(
        LedgerState storage s,
        address partner_,
        bytes32 sku,
        uint64 at
    ) internal view returns (RateEntry memory entry) {
        RateEntry[] memory entries = _schedule(s, partner_, sku);
        for (uint256 i = entries.length; i > 0; --i) {
            if (entries[i - 1].effectiveFrom <= at) return entries[i - 1];
        }
    }

    function rateSchedule(
        LedgerState storage s,
        address partner_,
        bytes32 sku
    ) internal view returns (RateEntry[] memory) {
        return _schedule(s, partner_, sku);
    }

    function revenueSigners(LedgerState storage s) internal view returns (address[] memory, uint8) {
        return (s.revenueSigners.signers, s.revenueThreshold);
    }

    function revenuePeriod(
        LedgerState storage s,
        uint256 id,
        uint32 k
    ) internal view returns (RevenuePeriodView memory v) {
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
    function _nextDue(
        Agreement storage a,
        uint256 paid,
        uint256 bug
    ) private view returns (uint64 nextDue, bool delinquent) {
        uint256 hi = a.nextPeriodToFinalize;
        uint256 lo;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            uint256 cumulative = a.periods[mid].cumulativeObligation;
            if (cumulative > paid || (bug == FIFO_OFF_BY_ONE && cumulative == paid)) hi = mid;
            else lo = mid + 1;
        }
        if (lo == a.nextPeriodToFinalize) return (0, false);
        nextDue = bug == FIFO_NEWEST_FIRST ? a.periods[a.nextPeriodToFinalize - 1].due : a.periods[lo].due;
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

/// @dev DoctoredViewsCore with `FIFO_OFF_BY_ONE`.
library ViewsFifoOffByOne {
    function agreement(LedgerState storage s, uint256 id) external view returns (AgreementView memory) {
        return DoctoredViewsCore.agreement(s, id, DoctoredViewsCore.FIFO_OFF_BY_ONE);
    }

    function partnerPosition(
        LedgerState storage s,
        uint256 id,
        address partner_
    ) external view returns (PartnerPositionView memory) {
        return DoctoredViewsCore.partnerPosition(s, id, partner_, DoctoredViewsCore.FIFO_OFF_BY_ONE);
    }

    function partner(LedgerState storage s, address partner_) external view returns (PartnerView memory) {
        return DoctoredViewsCore.partner(s, partner_);
    }

    function rate(
        LedgerState storage s,
        address partner_,
        bytes32 sku,
        uint64 at
    ) external view returns (RateEntry memory) {
        return DoctoredViewsCore.rate(s, partner_, sku, at);
    }

    function rateSchedule(
        LedgerState storage s,
        address partner_,
        bytes32 sku
    ) external view returns (RateEntry[] memory) {
        return DoctoredViewsCore.rateSchedule(s, partner_, sku);
    }

    function revenueSigners(LedgerState storage s) external view returns (address[] memory, uint8) {
        return DoctoredViewsCore.revenueSigners(s);
    }

    function revenuePeriod(
        LedgerState storage s,
        uint256 id,
        uint32 k
    ) external view returns (RevenuePeriodView memory) {
        return DoctoredViewsCore.revenuePeriod(s, id, k);
    }
}

/// @dev DoctoredViewsCore with `FIFO_NEWEST_FIRST`.
library ViewsFifoNewestFirst {
    function agreement(LedgerState storage s, uint256 id) external view returns (AgreementView memory) {
        return DoctoredViewsCore.agreement(s, id, DoctoredViewsCore.FIFO_NEWEST_FIRST);
    }

    function partnerPosition(
        LedgerState storage s,
        uint256 id,
        address partner_
    ) external view returns (PartnerPositionView memory) {
        return DoctoredViewsCore.partnerPosition(s, id, partner_, DoctoredViewsCore.FIFO_NEWEST_FIRST);
    }

    function partner(LedgerState storage s, address partner_) external view returns (PartnerView memory) {
        return DoctoredViewsCore.partner(s, partner_);
    }

    function rate(
        LedgerState storage s,
        address partner_,
        bytes32 sku,
        uint64 at
    ) external view returns (RateEntry memory) {
        return DoctoredViewsCore.rate(s, partner_, sku, at);
    }

    function rateSchedule(
        LedgerState storage s,
        address partner_,
        bytes32 sku
    ) external view returns (RateEntry[] memory) {
        return DoctoredViewsCore.rateSchedule(s, partner_, sku);
    }

    function revenueSigners(LedgerState storage s) external view returns (address[] memory, uint8) {
        return DoctoredViewsCore.revenueSigners(s);
    }

    function revenuePeriod(
        LedgerState storage s,
        uint256 id,
        uint32 k
    ) external view returns (RevenuePeriodView memory) {
        return DoctoredViewsCore.revenuePeriod(s, id, k);
    }
}

/// @dev DoctoredViewsCore with `BURNED_AT_WITHOUT_REFUNDS`.
library ViewsBurnedAtWithoutRefunds {
    function agreement(LedgerState storage s, uint256 id) external view returns (AgreementView memory) {
        return DoctoredViewsCore.agreement(s, id, DoctoredViewsCore.BURNED_AT_WITHOUT_REFUNDS);
    }

    function partnerPosition(
        LedgerState storage s,
        uint256 id,
        address partner_
    ) external view returns (PartnerPositionView memory) {
        return DoctoredViewsCore.partnerPosition(s, id, partner_, DoctoredViewsCore.BURNED_AT_WITHOUT_REFUNDS);
    }

    function partner(LedgerState storage s, address partner_) external view returns (PartnerView memory) {
        return DoctoredViewsCore.partner(s, partner_);
    }

    function rate(
        LedgerState storage s,
        address partner_,
        bytes32 sku,
        uint64 at
    ) external view returns (RateEntry memory) {
        return DoctoredViewsCore.rate(s, partner_, sku, at);
    }

    function rateSchedule(
        LedgerState storage s,
        address partner_,
        bytes32 sku
    ) external view returns (RateEntry[] memory) {
        return DoctoredViewsCore.rateSchedule(s, partner_, sku);
    }

    function revenueSigners(LedgerState storage s) external view returns (address[] memory, uint8) {
        return DoctoredViewsCore.revenueSigners(s);
    }

    function revenuePeriod(
        LedgerState storage s,
        uint256 id,
        uint32 k
    ) external view returns (RevenuePeriodView memory) {
        return DoctoredViewsCore.revenuePeriod(s, id, k);
    }
}
