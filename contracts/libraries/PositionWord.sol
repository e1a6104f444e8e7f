// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {PositionExtra} from "../types/LedgerStorage.sol";

/// @title PositionWord
/// @notice The packed (agreement, partner) Position slot that every usage line reads and writes, as a raw word:
/// spent u64 | receivable u64 | lastUsageEnd u40 | spendLimit u56 | maxGpus u24 | hasPendingDecrease u8.
/// @dev `spent` grows (and with it the agreement's consumed and cap) only in UsageRecorder._book.
library PositionWord {
    uint256 private constant RECEIVABLE_SHIFT = 64;
    uint256 private constant LAST_USAGE_END_SHIFT = 128;
    uint256 private constant SPEND_LIMIT_SHIFT = 168;
    uint256 private constant MAX_GPUS_SHIFT = 224;
    uint256 private constant PENDING_SHIFT = 248;

    /// @notice `lastUsageEnd` of a raw Position word.
    function lastUsageEndOf(uint256 positionWord) internal pure returns (uint256) {
        return uint40(positionWord >> LAST_USAGE_END_SHIFT);
    }

    /// @notice A raw Position word with its `lastUsageEnd` replaced.
    function withLastUsageEnd(uint256 positionWord, uint256 lastUsageEnd) internal pure returns (uint256) {
        return
            (positionWord & ~(uint256(type(uint40).max) << LAST_USAGE_END_SHIFT)) |
            (uint256(uint40(lastUsageEnd)) << LAST_USAGE_END_SHIFT);
    }

    /// @notice The authorization in force at `timestamp` given a raw Position word: a pending decrease (kept in
    /// the extra slot, read only when the position says one exists) rules once its time has come.
    function limitsInForce(
        uint256 positionWord,
        PositionExtra storage extra,
        uint256 timestamp
    ) internal view returns (uint256 spendLimit, uint256 maxGpus) {
        spendLimit = uint56(positionWord >> SPEND_LIMIT_SHIFT);
        maxGpus = uint24(positionWord >> MAX_GPUS_SHIFT);
        if (uint8(positionWord >> PENDING_SHIFT) == 0) return (spendLimit, maxGpus);
        uint256 spendAt = extra.pendingSpendLimitAt;
        uint256 gpusAt = extra.pendingMaxGpusAt;
        if (spendAt != 0 && timestamp >= spendAt) spendLimit = extra.pendingSpendLimit;
        if (gpusAt != 0 && timestamp >= gpusAt) maxGpus = extra.pendingMaxGpus;
    }

    /// @notice `spent` of a raw Position word.
    function spentOf(uint256 positionWord) internal pure returns (uint256) {
        return uint64(positionWord);
    }

    /// @notice `receivable` of a raw Position word.
    function receivableOf(uint256 positionWord) internal pure returns (uint256) {
        return uint64(positionWord >> RECEIVABLE_SHIFT);
    }

    /// @notice A raw Position word with `spent` and `receivable` replaced (both < 2^64, checked by the caller).
    function withSpentAndReceivable(
        uint256 positionWord,
        uint256 spent,
        uint256 receivable
    ) internal pure returns (uint256) {
        return (positionWord & ~uint256(type(uint128).max)) | (receivable << RECEIVABLE_SHIFT) | spent;
    }
}
