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
import {Agreement, Limits, Position, LedgerState, RevenuePeriod, PartnerConfig} from "../types/LedgerStorage.sol";
import {AgreementMath} from "./AgreementMath.sol";

/// @title LedgerViews
/// @notice The ledger's composite views (PROTOCOL §12), computed from stored state.
/// @dev An external library, so the views do not count against the ledger's code size.
library LedgerViews {
    using AgreementMath for Agreement;

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

    function partnerPosition(
        LedgerState storage s,
        uint256 id,
        address partner_
    ) external view returns (PartnerPositionView memory v) {
        Agreement storage a = s.agreements[id];
        Limits memory l = a.limits[partner_];
        Position memory p = a.positions[partner_];
        (v.spendLimit, v.maxGpus) = _inForce(l);
        if (l.pendingSpendLimitAt > block.timestamp) {
            v.pendingSpendLimit = l.pendingSpendLimit;
            v.pendingSpendLimitAt = l.pendingSpendLimitAt;
        }
        if (l.pendingMaxGpusAt > block.timestamp) {
            v.pendingMaxGpus = l.pendingMaxGpus;
            v.pendingMaxGpusAt = l.pendingMaxGpusAt;
        }
        v.spent = p.spent;
        v.burnedAt = uint256(p.spent) + s.refundedAt[id][partner_];
        v.receivable = p.receivable;
        v.paidToPartner = p.paidToPartner;
        v.lastUsageEnd = p.lastUsageEnd;
    }

    function partner(LedgerState storage s, address partner_) external view returns (PartnerView memory v) {
        PartnerConfig memory p = s.partners[partner_];
        v.signers = s.partnerSigners[partner_].signers;
        v.threshold = s.partnerSigners[partner_].threshold;
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
    ) external view returns (RateEntry memory entry) {
        RateEntry[] storage entries = s.rates[partner_][sku];
        for (uint256 i = entries.length; i > 0; --i) {
            if (entries[i - 1].effectiveFrom <= at) return entries[i - 1];
        }
    }

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

    function _inForce(Limits memory l) private view returns (uint256 spendLimit, uint32 maxGpus) {
        uint256 gpus;
        (spendLimit, gpus) = AgreementMath.inForce(l, block.timestamp);
        maxGpus = uint32(gpus);
    }
}
