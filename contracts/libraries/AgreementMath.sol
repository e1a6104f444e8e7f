// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {AgreementStatus} from "../types/LedgerTypes.sol";
import {Agreement, LedgerState} from "../types/LedgerStorage.sol";
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

    /// @notice The agreement's cap (ShareMath.cap of its consumed credits).
    function cap(Agreement storage a) internal view returns (uint256) {
        return ShareMath.cap(consumed(a), a.capMultipleBps);
    }

    /// @notice The end of period k: startTime + (k + 1) x periodDuration.
    function periodEnd(Agreement storage a, uint256 k) internal view returns (uint256) {
        return uint256(a.startTime) + (k + 1) * uint256(a.periodDuration);
    }

    /// @notice Slot 0 of an agreement in one read: startup, status, startTime, endTime.
    function hotFields(
        Agreement storage a
    ) internal view returns (address startup, AgreementStatus status, uint256 startTime, uint256 endTime) {
        uint256 word;
        assembly ("memory-safe") {
            word := sload(a.slot)
        }
        startup = address(uint160(word));
        status = AgreementStatus(uint8(word >> 160));
        startTime = uint40(word >> 168);
        endTime = uint40(word >> 208);
    }

    /// @notice Whether the agreement is Proposed, Active or Terminated (its wallet is taken).
    function isOpen(AgreementStatus status) internal pure returns (bool) {
        return
            status == AgreementStatus.Proposed ||
            status == AgreementStatus.Active ||
            status == AgreementStatus.Terminated;
    }
}
