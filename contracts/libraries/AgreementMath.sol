// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {AgreementStatus} from "../types/LedgerTypes.sol";
import {Agreement, Limits, LedgerState} from "../types/LedgerStorage.sol";
import {ShareMath} from "./ShareMath.sol";

/// @title AgreementMath
/// @notice Figures derived from an agreement's stored state, shared by the ledger and its logic libraries.
library AgreementMath {
    /// @notice min(endTime, terminatedAt) when terminated, else endTime.
    function effectiveEnd(Agreement storage a) internal view returns (uint256) {
        uint256 end = a.endTime;
        uint256 terminatedAt = a.terminatedAt;
        return terminatedAt != 0 && terminatedAt < end ? terminatedAt : end;
    }

    /// @notice R = paused ? infinity : max(effectiveEnd, lastUnpausedAt) + REPORTING_GRACE (PROTOCOL §3).
    function reportingClose(
        LedgerState storage s,
        Agreement storage a,
        uint256 reportingGrace
    ) internal view returns (uint256) {
        if (s.paused) return type(uint256).max;
        uint256 end = effectiveEnd(a);
        uint256 unpausedAt = s.lastUnpausedAt;
        return (end > unpausedAt ? end : unpausedAt) + reportingGrace;
    }

    /// @notice consumed = sum of the partners' spent (both move together on usage and refunds).
    function consumed(Agreement storage a) internal view returns (uint256 total) {
        address[] storage list = a.partnerList;
        uint256 n = list.length;
        for (uint256 i; i < n; ++i) {
            total += a.positions[list[i]].spent;
        }
    }

    function cap(Agreement storage a) internal view returns (uint256) {
        return ShareMath.applyBps(consumed(a), a.capMultipleBps);
    }

    /// @notice The end of period k: startTime + (k + 1) x periodDuration.
    function periodEnd(Agreement storage a, uint256 k) internal view returns (uint256) {
        return uint256(a.startTime) + (k + 1) * uint256(a.periodDuration);
    }

    /// @notice The authorization in force at `timestamp`: a pending decrease rules once its time has come.
    function inForce(Limits memory l, uint256 timestamp) internal pure returns (uint256 spendLimit, uint256 maxGpus) {
        spendLimit = l.pendingSpendLimitAt != 0 && timestamp >= l.pendingSpendLimitAt
            ? l.pendingSpendLimit
            : l.spendLimit;
        maxGpus = l.pendingMaxGpusAt != 0 && timestamp >= l.pendingMaxGpusAt ? l.pendingMaxGpus : l.maxGpus;
    }

    /// @notice Whether the agreement is Proposed, Active or Terminated (its wallet is taken).
    function isOpen(AgreementStatus status) internal pure returns (bool) {
        return
            status == AgreementStatus.Proposed ||
            status == AgreementStatus.Active ||
            status == AgreementStatus.Terminated;
    }
}
