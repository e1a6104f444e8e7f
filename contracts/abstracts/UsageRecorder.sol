// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IRevenueShareLedger} from "../interfaces/IRevenueShareLedger.sol";
import {IDSXCredit} from "../interfaces/IDSXCredit.sol";
import {AgreementStatus, UsageBatch, UsageLine, UsageRejection, RateEntry} from "../types/LedgerTypes.sol";
import {Agreement, Position, RateCard} from "../types/LedgerStorage.sol";
import {AgreementMath} from "../libraries/AgreementMath.sol";
import {PositionWord} from "../libraries/PositionWord.sol";
import {ShareMath} from "../libraries/ShareMath.sol";
import {LedgerStore} from "./LedgerStore.sol";

/// @title UsageRecorder
/// @notice The line checks and booking of a usage batch (PROTOCOL §6): the hot path of `submitUsage`, where the
/// credits burn and the cap grows. A batch's lines for one agreement are accepted or rejected together.
abstract contract UsageRecorder is LedgerStore {
    using AgreementMath for Agreement;

    uint256 internal constant NO_REJECTION = type(uint256).max;

    /// @dev A batch's running context, kept in memory: the current agreement group and the rate cache.
    /// `position` is the raw storage word of the (agreement, partner) Position, updated in place.
    struct Cursor {
        uint256 id;
        address startup;
        uint256 rejection;
        uint256 positionSlot;
        uint256 position;
        uint256 lastUsageEndBefore;
        uint256 spendLimit;
        uint256 gpuBound;
        uint256 gpuSeconds;
        uint256 balance;
        uint256 burn;
        bytes32 sku;
        uint256 rate;
        bytes32 batchId;
        uint256 payoutBps;
        address partner;
        uint256 periodStart;
        uint256 periodEnd;
        uint256 accepted;
        uint256[] encoded;
    }

    /// @dev Applies the line checks of PROTOCOL §6 to each agreement's group of lines; a group whose lines all
    /// pass burns its credits and books its receivables, any other group is rejected whole (the failing line with
    /// its reason, its siblings `SiblingRejected`). Returns the accepted count and
    /// keccak256(abi.encode(partner, AcceptedUsageLine[])), built in place.
    function _recordLines(
        UsageBatch calldata batch,
        bytes32 batchId,
        uint256 payoutBps
    ) internal returns (uint256 accepted, bytes32 linesHash) {
        UsageLine[] calldata lines = batch.lines;
        uint256 n = lines.length;
        Cursor memory c;
        c.batchId = batchId;
        c.payoutBps = payoutBps;
        c.partner = batch.partner;
        c.periodStart = batch.periodStart;
        c.periodEnd = batch.periodEnd;
        // abi.encode(partner, AcceptedUsageLine[]): partner, offset 0x40, length, then 4 words per line
        uint256[] memory encoded = new uint256[](3 + 4 * n);
        encoded[0] = uint160(c.partner);
        encoded[1] = 0x40;
        c.encoded = encoded;
        for (uint256 i; i < n; ) {
            (uint256 id, , ) = _readLine(lines, i);
            if (i != 0 && id < c.id) revert UsageLinesNotAscending(i);
            _openGroup(c, id);
            (uint256 end, uint256 failedAt, uint256 failure) = _checkGroup(c, lines, i);
            if (failure == NO_REJECTION) {
                unchecked {
                    // i < end <= n <= 256
                    _emitAccepted(c, end - i);
                    c.accepted += end - i;
                }
                _closeGroup(c);
            } else {
                _emitRejected(c.batchId, id, lines, i, end, failedAt, failure);
            }
            i = end;
        }
        accepted = c.accepted;
        encoded[2] = accepted;
        assembly ("memory-safe") {
            linesHash := keccak256(add(encoded, 0x20), mul(add(3, mul(accepted, 4)), 0x20))
        }
    }

    /// @dev Walks the group of lines of agreement `c.id` starting at `start` (batch checks on every line), checks
    /// and books each into the cursor until one fails, and writes the booked lines to `c.encoded` after the
    /// accepted ones. Returns the group's end, the first failing line and its reason (NO_REJECTION if all passed).
    function _checkGroup(
        Cursor memory c,
        UsageLine[] calldata lines,
        uint256 start
    ) private view returns (uint256 end, uint256 failedAt, uint256 failure) {
        failure = c.rejection;
        bytes32 previousSku;
        // unchecked: indices are below the batch's 256 lines
        for (end = start; end < lines.length; end = _next(end)) {
            (uint256 id, bytes32 sku, uint256 gpuSeconds) = _readLine(lines, end);
            if (id != c.id) break;
            if (gpuSeconds == 0 || gpuSeconds > type(uint64).max) revert UsageLineEmpty(end);
            if (end != start && sku <= previousSku) revert UsageLinesNotAscending(end);
            previousSku = sku;
            if (end == 0 || sku != c.sku) {
                c.sku = sku;
                c.rate = _rateFor(c.partner, sku, c.periodStart, c.periodEnd);
            }
            if (failure != NO_REJECTION) continue;
            uint256 credits;
            (failure, credits) = _checkLine(c, gpuSeconds);
            if (failure != NO_REJECTION) {
                failedAt = end;
                continue;
            }
            _book(c, gpuSeconds, credits);
            _store(c, end - start, sku, gpuSeconds, credits);
        }
    }

    /// @dev `i + 1` without an overflow check, for line indices (at most 256 lines).
    function _next(uint256 i) private pure returns (uint256) {
        unchecked {
            return i + 1;
        }
    }

    /// @dev Writes the group's line `offset` as AcceptedUsageLine `c.accepted + offset` of `c.encoded`.
    function _store(Cursor memory c, uint256 offset, bytes32 sku, uint256 gpuSeconds, uint256 credits) private pure {
        uint256[] memory encoded = c.encoded;
        uint256 index = c.accepted;
        uint256 id = c.id;
        assembly ("memory-safe") {
            let word := add(encoded, mul(add(3, mul(add(index, offset), 4)), 0x20))
            mstore(add(word, 0x20), id)
            mstore(add(word, 0x40), sku)
            mstore(add(word, 0x60), gpuSeconds)
            mstore(add(word, 0x80), credits)
        }
    }

    /// @dev Line `i` of a calldata array of UsageLine (3 static words each), its words unvalidated.
    function _readLine(
        UsageLine[] calldata lines,
        uint256 i
    ) private pure returns (uint256 id, bytes32 sku, uint256 gpuSeconds) {
        assembly ("memory-safe") {
            let line := add(lines.offset, mul(i, 0x60))
            id := calldataload(line)
            sku := calldataload(add(line, 0x20))
            gpuSeconds := calldataload(add(line, 0x40))
        }
    }

    /// @dev The per-line checks after the agreement-wide ones, in the order of PROTOCOL §6.
    function _checkLine(Cursor memory c, uint256 gpuSeconds) private pure returns (uint256 rejection, uint256 credits) {
        if (c.rate == 0) return (uint256(UsageRejection.NoRate), 0);
        if (c.periodStart < c.lastUsageEndBefore) return (uint256(UsageRejection.Overlap), 0);
        if (c.gpuSeconds + gpuSeconds > c.gpuBound) return (uint256(UsageRejection.OverGpuBound), 0);
        credits = ShareMath.credits(gpuSeconds, c.rate);
        if (PositionWord.spentOf(c.position) + credits > c.spendLimit) {
            return (uint256(UsageRejection.OverAuthorization), 0);
        }
        if (credits > c.balance) return (uint256(UsageRejection.InsufficientCredits), 0);
        return (NO_REJECTION, credits);
    }

    /// @dev Books an accepted line into the cursor: spent (hence consumed and the cap) and receivable in the
    /// position word, the burn total.
    function _book(Cursor memory c, uint256 gpuSeconds, uint256 credits) private pure {
        uint256 position = c.position;
        uint256 receivable = PositionWord.receivableOf(position) + ShareMath.applyBps(credits, c.payoutBps);
        if (receivable > type(uint64).max) revert ValueTooLarge(receivable, type(uint64).max);
        unchecked {
            // spent + credits <= spendLimit < 2^64 and credits <= balance (checked in _checkLine)
            c.position = PositionWord.withSpentAndReceivable(
                position,
                PositionWord.spentOf(position) + credits,
                receivable
            );
            c.gpuSeconds += gpuSeconds;
            c.balance -= credits;
            c.burn += credits;
        }
    }

    /// @dev Emits UsageRecorded for the group's `count` lines, written to `c.encoded` after the accepted ones.
    function _emitAccepted(Cursor memory c, uint256 count) private {
        uint256[] memory encoded = c.encoded;
        uint256 first = c.accepted;
        uint256 line;
        uint256 end;
        assembly ("memory-safe") {
            // AcceptedUsageLine `first` of abi.encode(partner, lines) is at words 3 + 4 * first, 0x80 bytes each
            line := add(encoded, mul(add(3, mul(first, 4)), 0x20))
            end := add(line, mul(count, 0x80))
        }
        for (; line < end; line += 0x80) _emitRecorded(c, line);
    }

    /// @dev Emits UsageRecorded for the AcceptedUsageLine whose words start after `line`.
    function _emitRecorded(Cursor memory c, uint256 line) private {
        (bytes32 sku, uint256 gpuSeconds, uint256 credits) = _acceptedAt(line);
        uint256 receivableAdded = ShareMath.applyBps(credits, c.payoutBps);
        emit IRevenueShareLedger.UsageRecorded(
            c.batchId,
            c.id,
            c.partner,
            sku,
            uint64(gpuSeconds),
            credits,
            receivableAdded
        );
    }

    /// @dev sku, gpuSeconds and credits of the AcceptedUsageLine whose words start after `line`.
    function _acceptedAt(uint256 line) private pure returns (bytes32 sku, uint256 gpuSeconds, uint256 credits) {
        assembly ("memory-safe") {
            sku := mload(add(line, 0x40))
            gpuSeconds := mload(add(line, 0x60))
            credits := mload(add(line, 0x80))
        }
    }

    /// @dev Emits UsageLineRejected for lines [start, end) of agreement `id`: an agreement-wide reason for every
    /// line, else the failing line's reason for it and `SiblingRejected` for the others.
    function _emitRejected(
        bytes32 batchId,
        uint256 id,
        UsageLine[] calldata lines,
        uint256 start,
        uint256 end,
        uint256 failedAt,
        uint256 failure
    ) private {
        bool groupWide = failure <= uint256(UsageRejection.ReportingClosed);
        for (uint256 k = start; k < end; ++k) {
            UsageRejection reason = groupWide || k == failedAt
                ? UsageRejection(failure)
                : UsageRejection.SiblingRejected;
            (, bytes32 sku, ) = _readLine(lines, k);
            emit IRevenueShareLedger.UsageLineRejected(batchId, id, sku, reason);
        }
    }

    /// @dev Loads an agreement's context and decides the checks that hold for all its lines in the batch.
    function _openGroup(Cursor memory c, uint256 id) private view {
        c.id = id;
        c.gpuSeconds = 0;
        c.burn = 0;
        c.rejection = NO_REJECTION;
        Agreement storage a = _s.agreements[id];
        (address startup, AgreementStatus status, uint256 startTime, uint256 end) = AgreementMath.hotFields(a);
        if (status != AgreementStatus.Active && status != AgreementStatus.Terminated) {
            c.rejection = uint256(UsageRejection.NotOpen);
            return;
        }
        if (status == AgreementStatus.Terminated) end = a.effectiveEnd();
        if (c.periodStart < startTime || c.periodEnd > end) {
            c.rejection = uint256(UsageRejection.OutsideTerm);
            return;
        }
        // not paused here; the last period can only have been finalized once now >= end + grace
        uint256 unpausedAt = _s.lastUnpausedAt;
        uint256 close = (end > unpausedAt ? end : unpausedAt) + REPORTING_GRACE;
        if (
            block.timestamp >= close ||
            (block.timestamp >= end + REPORTING_GRACE && a.nextPeriodToFinalize == a.periodCount)
        ) {
            c.rejection = uint256(UsageRejection.ReportingClosed);
            return;
        }
        c.startup = startup;
        _loadPosition(c, a);
        c.balance = _creditBalanceOf(startup);
    }

    /// @dev Loads the (agreement, partner) position word, its authorization in force and the window's GPU bound.
    function _loadPosition(Cursor memory c, Agreement storage a) private view {
        Position storage position = a.positions[c.partner];
        uint256 slot;
        uint256 word;
        assembly ("memory-safe") {
            slot := position.slot
            word := sload(slot)
        }
        c.positionSlot = slot;
        c.position = word;
        c.lastUsageEndBefore = PositionWord.lastUsageEndOf(word);
        (uint256 spendLimit, uint256 maxGpus) = PositionWord.limitsInForce(word, a.extras[c.partner], block.timestamp);
        c.spendLimit = spendLimit;
        c.gpuBound = maxGpus * (c.periodEnd - c.periodStart);
    }

    /// @dev Writes back the position of an accepted group (lastUsageEnd = periodEnd) and burns its credits.
    function _closeGroup(Cursor memory c) private {
        uint256 word = PositionWord.withLastUsageEnd(c.position, c.periodEnd);
        uint256 slot = c.positionSlot;
        assembly ("memory-safe") {
            sstore(slot, word)
        }
        if (c.burn != 0) _burnCredits(c.startup, c.burn);
    }

    /// @dev DSXC balance of `account` (a lean call: the token is the ledger's own, deployed by it).
    function _creditBalanceOf(address account) private view returns (uint256 amount) {
        address token = address(_CREDIT);
        uint256 selector = uint32(IERC20.balanceOf.selector);
        assembly ("memory-safe") {
            mstore(0x00, shl(224, selector))
            mstore(0x04, and(account, 0xffffffffffffffffffffffffffffffffffffffff))
            if iszero(staticcall(gas(), token, 0x00, 0x24, 0x00, 0x20)) {
                revert(0, 0)
            }
            amount := mload(0x00)
        }
    }

    /// @dev Burns `amount` DSXC from `account` (a lean call to the ledger's own token; bubbles a revert).
    function _burnCredits(address account, uint256 amount) private {
        address token = address(_CREDIT);
        uint256 selector = uint32(IDSXCredit.burn.selector);
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, shl(224, selector))
            mstore(add(ptr, 0x04), and(account, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(ptr, 0x24), amount)
            if iszero(call(gas(), token, 0, ptr, 0x44, 0, 0)) {
                returndatacopy(ptr, 0, returndatasize())
                revert(ptr, returndatasize())
            }
        }
    }

    /// @dev The rate in force at `start` (0 if none); reverts when a scheduled rate starts inside (start, end).
    function _rateFor(address partnerAddr, bytes32 sku, uint256 start, uint256 end) private view returns (uint256) {
        RateCard memory card = _s.rateCards[partnerAddr][sku];
        if (card.count == 0) return 0;
        if (card.effectiveFrom <= start) return card.creditsPerGpuHour;
        // the first entry with effectiveFrom > start; the latest one qualifies
        mapping(uint256 => RateEntry) storage history = _s.rateHistory[partnerAddr][sku];
        uint256 lo;
        uint256 hi = card.count - 1;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (history[mid].effectiveFrom > start) hi = mid;
            else lo = mid + 1;
        }
        uint256 nextFrom = hi == card.count - 1 ? card.effectiveFrom : history[hi].effectiveFrom;
        if (nextFrom < end) revert UsageRateStraddled(sku, uint64(nextFrom));
        return hi == 0 ? 0 : history[hi - 1].creditsPerGpuHour;
    }
}
