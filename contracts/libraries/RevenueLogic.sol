// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IRevenueShareLedger} from "../interfaces/IRevenueShareLedger.sol";
import {ILedgerErrors} from "../interfaces/ILedgerErrors.sol";
import {AgreementStatus, RevenueReport, RevenueState} from "../types/LedgerTypes.sol";
import {Agreement, LedgerState, RevenuePeriod, RevenueQuorum} from "../types/LedgerStorage.sol";
import {AgreementMath} from "./AgreementMath.sol";
import {ShareMath} from "./ShareMath.sol";
import {SignatureQuorum} from "./SignatureQuorum.sol";

/// @title RevenueLogic
/// @notice Optimistic revenue reports (PROTOCOL §7): submission with versions, disputes and their resolution,
/// and strict-order finalization with the sequential cap.
/// @dev An external library; role and pause checks happen in the ledger before the call.
library RevenueLogic {
    using AgreementMath for Agreement;

    /// @notice Records a signed revenue report for an ended period as Pending (a higher version replaces it).
    function submitRevenue(
        LedgerState storage s,
        RevenueReport calldata report,
        bytes[] calldata signatures,
        bytes32 digest
    ) external {
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
        _verifyRevenueSignatures(s, digest, signatures);

        period.state = RevenueState.Pending;
        period.version = report.version;
        period.submittedAt = uint40(block.timestamp);
        period.revenue = uint128(report.revenue);
        period.evidenceHash = report.evidenceHash;
        emit IRevenueShareLedger.RevenueReported(id, k, report.version, report.revenue, report.evidenceHash);
    }

    /// @notice An auditor disputes a Pending report inside its dispute window.
    function disputeRevenue(
        LedgerState storage s,
        uint256 id,
        uint32 k,
        bytes32 reasonHash,
        uint256 disputeWindow
    ) external {
        RevenuePeriod storage period = _agreement(s, id).periods[k];
        if (period.state != RevenueState.Pending) revert ILedgerErrors.RevenueWrongState(id, k, period.state);
        uint256 closesAt = uint256(period.submittedAt) + disputeWindow;
        if (block.timestamp >= closesAt) revert ILedgerErrors.RevenueDisputeWindowClosed(id, k, closesAt);
        period.state = RevenueState.Disputed;
        emit IRevenueShareLedger.RevenueDisputed(id, k, msg.sender, reasonHash);
    }

    /// @notice PROGRAM resolves a dispute: upheld makes the report Rejected, else Cleared.
    function resolveRevenueDispute(LedgerState storage s, uint256 id, uint32 k, bool upheld) external {
        RevenuePeriod storage period = _agreement(s, id).periods[k];
        if (period.state != RevenueState.Disputed) revert ILedgerErrors.RevenueWrongState(id, k, period.state);
        period.state = upheld ? RevenueState.Rejected : RevenueState.Cleared;
        emit IRevenueShareLedger.RevenueDisputeResolved(id, k, upheld);
    }

    /// @notice Finalizes the next period in order: books owed = min(share, cap headroom) and its due date.
    function finalizeRevenue(
        LedgerState storage s,
        uint256 id,
        uint32 periodIndex,
        uint256 disputeWindow,
        uint256 reportingGrace
    ) external {
        Agreement storage a = _agreement(s, id);
        uint256 periodCount = a.periodCount;
        uint32 next = a.nextPeriodToFinalize;
        if (periodIndex >= periodCount) revert ILedgerErrors.RevenuePeriodOutOfRange(id, periodIndex, periodCount);
        if (periodIndex != next) revert ILedgerErrors.RevenueOutOfOrder(id, periodIndex, next);
        RevenuePeriod storage period = a.periods[periodIndex];
        RevenueState state = period.state;
        if (state == RevenueState.Pending) {
            uint256 closesAt = uint256(period.submittedAt) + disputeWindow;
            if (block.timestamp < closesAt) revert ILedgerErrors.RevenueDisputeWindowOpen(id, periodIndex, closesAt);
        } else if (state != RevenueState.Cleared) {
            revert ILedgerErrors.RevenueWrongState(id, periodIndex, state);
        }
        if (periodIndex == periodCount - 1) {
            uint256 close = AgreementMath.reportingClose(s, a, reportingGrace);
            if (block.timestamp < close) revert ILedgerErrors.ReportingStillOpen(id, close);
        }
        uint256 revenue = period.revenue;
        uint256 obligation = a.obligation;
        uint256 owed = ShareMath.owed(revenue, a.revenueShareBps, a.cap(), obligation);
        obligation += owed;
        uint256 due = ShareMath.due(a.periodEnd(periodIndex), block.timestamp, a.gracePeriod);

        period.state = RevenueState.Finalized;
        period.due = uint40(due);
        period.cumulativeObligation = uint128(obligation);
        a.obligation = uint128(obligation);
        a.nextPeriodToFinalize = uint8(periodIndex + 1);
        emit IRevenueShareLedger.RevenueFinalized(id, periodIndex, revenue, owed, uint64(due));
    }

    /// @dev Checks the signatures against the revenue signer set in force now (PROTOCOL §7).
    function _verifyRevenueSignatures(LedgerState storage s, bytes32 digest, bytes[] calldata signatures) private view {
        RevenueQuorum memory q = s.revenueQuorum;
        (uint32 epoch, uint8 threshold) = SignatureQuorum.inForceNow(q);
        SignatureQuorum.verify(s.revenueSigners, epoch, threshold, digest, signatures);
    }

    function _agreement(LedgerState storage s, uint256 id) private view returns (Agreement storage a) {
        a = s.agreements[id];
        if (a.status == AgreementStatus.None) revert ILedgerErrors.AgreementNotFound(id);
    }
}
