// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IRevenueShareLedger} from "../interfaces/IRevenueShareLedger.sol";
import {ILedgerErrors} from "../interfaces/ILedgerErrors.sol";
import {AgreementStatus, RevenueReport, RevenueState} from "../types/LedgerTypes.sol";
import {Agreement, LedgerState, RevenuePeriod} from "../types/LedgerStorage.sol";
import {AgreementMath} from "../libraries/AgreementMath.sol";
import {ShareMath} from "../libraries/ShareMath.sol";
import {SignatureQuorum} from "../libraries/SignatureQuorum.sol";

/// @title DoctoredRevenueCore
/// @dev TEST ONLY (the auditor's mutation suite): a copy of RevenueLogic with deliberate bugs, selected by the
/// wrapper libraries below. Each wrapper has the original's external functions (same selectors), so the real
/// RevenueShareLedger linked against one of them is a "doctored ledger" with exactly one bug.
/// @notice Optimistic revenue reports (PROTOCOL §7): submission with versions, disputes and their resolution,
/// and strict-order finalization with the sequential cap.
/// @dev An external library; role and pause checks happen in the ledger before the call.
library DoctoredRevenueCore {
    uint256 internal constant CAP_OFF_BY_ONE = 1;
    uint256 internal constant SHARE_ROUNDED_UP = 2;
    uint256 internal constant FINALIZED_IN_WINDOW = 3;
    uint256 internal constant DUE_WITHOUT_GRACE = 4;

    using AgreementMath for Agreement;

    function submitRevenue(
        LedgerState storage s,
        RevenueReport calldata report,
        bytes[] calldata signatures,
        bytes32 digest
    ) internal {
        uint256 id = report.agreementId;
        uint32 k = report.periodIndex;
        Agreement storage a = _agreement(s, id);
        if (a.acceptedAt == 0) revert ILedgerErrors.RevenueAgreementNotAccepted(id);
        if (k >= a.periodCount) revert ILedgerErrors.RevenuePeriodOutOfRange(id, k, a.periodCount);
        uint256 end = a.periodEnd(k);
        if (block.timestamp < end) revert ILedgerErrors.RevenuePeriodNotEnded(id, k, end);
        RevenuePeriod storage period = a.periods[k];
        RevenueState state = period.state;
        if (state == RevenueState.Disputed || state == RevenueState.Finalized) {
            revert ILedgerErrors.RevenueWrongState(id, k, state);
        }
        if (report.version <= period.version)
            revert ILedgerErrors.RevenueVersionNotHigher(report.version, period.version);
        if (report.revenue > type(uint128).max) revert ILedgerErrors.ValueTooLarge(report.revenue, type(uint128).max);
        SignatureQuorum.verify(s.revenueSigners, s.revenueSignerEpoch, s.revenueThreshold, digest, signatures);

        period.state = RevenueState.Pending;
        period.version = report.version;
        period.submittedAt = uint40(block.timestamp);
        period.revenue = uint128(report.revenue);
        period.evidenceHash = report.evidenceHash;
        emit IRevenueShareLedger.RevenueReported(id, k, report.version, report.revenue, report.evidenceHash);
    }

    function disputeRevenue(
        LedgerState storage s,
        uint256 id,
        uint32 k,
        bytes32 reasonHash,
        uint256 disputeWindow
    ) internal {
        RevenuePeriod storage period = _agreement(s, id).periods[k];
        if (period.state != RevenueState.Pending) revert ILedgerErrors.RevenueWrongState(id, k, period.state);
        uint256 closesAt = uint256(period.submittedAt) + disputeWindow;
        if (block.timestamp >= closesAt) revert ILedgerErrors.RevenueDisputeWindowClosed(id, k, closesAt);
        period.state = RevenueState.Disputed;
        emit IRevenueShareLedger.RevenueDisputed(id, k, msg.sender, reasonHash);
    }

    function resolveRevenueDispute(LedgerState storage s, uint256 id, uint32 k, bool upheld) internal {
        RevenuePeriod storage period = _agreement(s, id).periods[k];
        if (period.state != RevenueState.Disputed) revert ILedgerErrors.RevenueWrongState(id, k, period.state);
        period.state = upheld ? RevenueState.Rejected : RevenueState.Cleared;
        emit IRevenueShareLedger.RevenueDisputeResolved(id, k, upheld);
    }

    function finalizeRevenue(
        LedgerState storage s,
        uint256 id,
        uint32 periodIndex,
        uint256 disputeWindow,
        uint256 reportingGrace,
        uint256 bug
    ) internal {
        Agreement storage a = _agreement(s, id);
        uint256 periodCount = a.periodCount;
        uint32 next = a.nextPeriodToFinalize;
        if (periodIndex >= periodCount) revert ILedgerErrors.RevenuePeriodOutOfRange(id, periodIndex, periodCount);
        if (periodIndex != next) revert ILedgerErrors.RevenueOutOfOrder(id, periodIndex, next);
        RevenuePeriod storage period = a.periods[periodIndex];
        RevenueState state = period.state;
        if (state == RevenueState.Pending) {
            uint256 closesAt = uint256(period.submittedAt) + disputeWindow;
            if (bug != FINALIZED_IN_WINDOW && block.timestamp < closesAt)
                revert ILedgerErrors.RevenueDisputeWindowOpen(id, periodIndex, closesAt);
        } else if (state != RevenueState.Cleared) {
            revert ILedgerErrors.RevenueWrongState(id, periodIndex, state);
        }
        if (periodIndex == periodCount - 1) {
            uint256 close = AgreementMath.reportingClose(s, a, reportingGrace);
            if (block.timestamp < close) revert ILedgerErrors.ReportingStillOpen(id, close);
        }
        uint256 revenue = period.revenue;
        uint256 obligation = a.obligation;
        uint256 owed = _owed(a, revenue, obligation, bug);
        obligation += owed;
        uint256 due = ShareMath.due(
            a.periodEnd(periodIndex),
            block.timestamp,
            bug == DUE_WITHOUT_GRACE ? 0 : a.gracePeriod
        );

        period.state = RevenueState.Finalized;
        period.due = uint40(due);
        period.cumulativeObligation = uint128(obligation);
        a.obligation = uint128(obligation);
        a.nextPeriodToFinalize = uint8(periodIndex + 1);
        emit IRevenueShareLedger.RevenueFinalized(id, periodIndex, revenue, owed, uint64(due));
    }

    /// @dev owed with the selected bug: a cap one unit too high, or the share rounded up.
    function _owed(
        Agreement storage a,
        uint256 revenue,
        uint256 obligation,
        uint256 bug
    ) private view returns (uint256) {
        uint256 cap = bug == CAP_OFF_BY_ONE ? a.cap() + 1 : a.cap();
        if (bug != SHARE_ROUNDED_UP || mulmod(revenue, a.revenueShareBps, ShareMath.BPS) == 0) {
            return ShareMath.owed(revenue, a.revenueShareBps, cap, obligation);
        }
        uint256 share = ShareMath.applyBps(revenue, a.revenueShareBps) + 1;
        uint256 headroom = cap > obligation ? cap - obligation : 0;
        return share < headroom ? share : headroom;
    }

    function _agreement(LedgerState storage s, uint256 id) private view returns (Agreement storage a) {
        a = s.agreements[id];
        if (a.status == AgreementStatus.None) revert ILedgerErrors.AgreementNotFound(id);
    }
}

/// @dev DoctoredRevenueCore with `CAP_OFF_BY_ONE`.
library RevenueCapOffByOne {
    function submitRevenue(
        LedgerState storage s,
        RevenueReport calldata report,
        bytes[] calldata signatures,
        bytes32 digest
    ) external {
        DoctoredRevenueCore.submitRevenue(s, report, signatures, digest);
    }

    function disputeRevenue(
        LedgerState storage s,
        uint256 id,
        uint32 k,
        bytes32 reasonHash,
        uint256 disputeWindow
    ) external {
        DoctoredRevenueCore.disputeRevenue(s, id, k, reasonHash, disputeWindow);
    }

    function resolveRevenueDispute(LedgerState storage s, uint256 id, uint32 k, bool upheld) external {
        DoctoredRevenueCore.resolveRevenueDispute(s, id, k, upheld);
    }

    function finalizeRevenue(
        LedgerState storage s,
        uint256 id,
        uint32 periodIndex,
        uint256 disputeWindow,
        uint256 reportingGrace
    ) external {
        DoctoredRevenueCore.finalizeRevenue(
            s,
            id,
            periodIndex,
            disputeWindow,
            reportingGrace,
            DoctoredRevenueCore.CAP_OFF_BY_ONE
        );
    }
}

/// @dev DoctoredRevenueCore with `SHARE_ROUNDED_UP`.
library RevenueShareRoundedUp {
    function submitRevenue(
        LedgerState storage s,
        RevenueReport calldata report,
        bytes[] calldata signatures,
        bytes32 digest
    ) external {
        DoctoredRevenueCore.submitRevenue(s, report, signatures, digest);
    }

    function disputeRevenue(
        LedgerState storage s,
        uint256 id,
        uint32 k,
        bytes32 reasonHash,
        uint256 disputeWindow
    ) external {
        DoctoredRevenueCore.disputeRevenue(s, id, k, reasonHash, disputeWindow);
    }

    function resolveRevenueDispute(LedgerState storage s, uint256 id, uint32 k, bool upheld) external {
        DoctoredRevenueCore.resolveRevenueDispute(s, id, k, upheld);
    }

    function finalizeRevenue(
        LedgerState storage s,
        uint256 id,
        uint32 periodIndex,
        uint256 disputeWindow,
        uint256 reportingGrace
    ) external {
        DoctoredRevenueCore.finalizeRevenue(
            s,
            id,
            periodIndex,
            disputeWindow,
            reportingGrace,
            DoctoredRevenueCore.SHARE_ROUNDED_UP
        );
    }
}

/// @dev DoctoredRevenueCore with `FINALIZED_IN_WINDOW`.
library RevenueFinalizedInWindow {
    function submitRevenue(
        LedgerState storage s,
        RevenueReport calldata report,
        bytes[] calldata signatures,
        bytes32 digest
    ) external {
        DoctoredRevenueCore.submitRevenue(s, report, signatures, digest);
    }

    function disputeRevenue(
        LedgerState storage s,
        uint256 id,
        uint32 k,
        bytes32 reasonHash,
        uint256 disputeWindow
    ) external {
        DoctoredRevenueCore.disputeRevenue(s, id, k, reasonHash, disputeWindow);
    }

    function resolveRevenueDispute(LedgerState storage s, uint256 id, uint32 k, bool upheld) external {
        DoctoredRevenueCore.resolveRevenueDispute(s, id, k, upheld);
    }

    function finalizeRevenue(
        LedgerState storage s,
        uint256 id,
        uint32 periodIndex,
        uint256 disputeWindow,
        uint256 reportingGrace
    ) external {
        DoctoredRevenueCore.finalizeRevenue(
            s,
            id,
            periodIndex,
            disputeWindow,
            reportingGrace,
            DoctoredRevenueCore.FINALIZED_IN_WINDOW
        );
    }
}

/// @dev DoctoredRevenueCore with `DUE_WITHOUT_GRACE`.
library RevenueDueWithoutGrace {
    function submitRevenue(
        LedgerState storage s,
        RevenueReport calldata report,
        bytes[] calldata signatures,
        bytes32 digest
    ) external {
        DoctoredRevenueCore.submitRevenue(s, report, signatures, digest);
    }

    function disputeRevenue(
        LedgerState storage s,
        uint256 id,
        uint32 k,
        bytes32 reasonHash,
        uint256 disputeWindow
    ) external {
        DoctoredRevenueCore.disputeRevenue(s, id, k, reasonHash, disputeWindow);
    }

    function resolveRevenueDispute(LedgerState storage s, uint256 id, uint32 k, bool upheld) external {
        DoctoredRevenueCore.resolveRevenueDispute(s, id, k, upheld);
    }

    function finalizeRevenue(
        LedgerState storage s,
        uint256 id,
        uint32 periodIndex,
        uint256 disputeWindow,
        uint256 reportingGrace
    ) external {
        DoctoredRevenueCore.finalizeRevenue(
            s,
            id,
            periodIndex,
            disputeWindow,
            reportingGrace,
            DoctoredRevenueCore.DUE_WITHOUT_GRACE
        );
    }
}
