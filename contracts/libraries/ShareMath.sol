// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title ShareMath
/// @notice The ledger's arithmetic in one pure library (PROTOCOL §2, §6, §7, §8). Every division rounds down.
/// @dev Mirrored in TypeScript by sdk/shareMath.ts; both run test/vectors/share-math.json.
library ShareMath {
    uint256 internal constant BPS = 10_000;
    uint256 internal constant SECONDS_PER_HOUR = 3600;

    /// @notice Credits for `gpuSeconds` at `creditsPerGpuHour` (6-decimal units per GPU-hour).
    function credits(uint256 gpuSeconds, uint256 creditsPerGpuHour) internal pure returns (uint256) {
        return _mulDiv(gpuSeconds, creditsPerGpuHour, SECONDS_PER_HOUR);
    }

    /// @notice `amount` x `bps` / 10 000, rounded down.
    function applyBps(uint256 amount, uint256 bps) internal pure returns (uint256) {
        return _mulDiv(amount, bps, BPS);
    }

    /// @notice The cap of an agreement: consumed x capMultipleBps / 10 000, rounded down (PROTOCOL §7).
    function cap(uint256 consumed, uint256 capMultipleBps) internal pure returns (uint256) {
        return applyBps(consumed, capMultipleBps);
    }

    /// @notice The amount booked for a finalized period: its share, limited by the cap's headroom.
    /// @return owed min(share, max(cap - obligation, 0)) with share = revenue x revenueShareBps / 10 000.
    function owed(
        uint256 revenue,
        uint256 revenueShareBps,
        uint256 agreementCap,
        uint256 obligation
    ) internal pure returns (uint256) {
        uint256 share = applyBps(revenue, revenueShareBps);
        uint256 headroom = agreementCap > obligation ? agreementCap - obligation : 0;
        return share < headroom ? share : headroom;
    }

    /// @notice A period's due date: max(periodEnd, finalizedAt) + gracePeriod.
    function due(uint256 periodEnd, uint256 finalizedAt, uint256 gracePeriod) internal pure returns (uint256) {
        return (periodEnd > finalizedAt ? periodEnd : finalizedAt) + gracePeriod;
    }

    /// @notice The whole split of an applied payment `amount` (PROTOCOL §8): partners get
    /// min(amount x partnerFirstBps / 10 000, P) pro rata to what each is still owed (`unpaid`, P its sum), the
    /// program the rest, dust included.
    /// @return parts each partner's part, in the order of `unpaid`
    /// @return toProgram amount - the sum of `parts`
    function split(
        uint256 amount,
        uint256 partnerFirstBps,
        uint256[] memory unpaid
    ) internal pure returns (uint256[] memory parts, uint256 toProgram) {
        uint256 n = unpaid.length;
        parts = new uint256[](n);
        uint256 stillOwed;
        for (uint256 i; i < n; ++i) stillOwed += unpaid[i];
        uint256 partnersTotal = toPartners(amount, partnerFirstBps, stillOwed);
        toProgram = amount;
        if (partnersTotal == 0) return (parts, toProgram);
        for (uint256 i; i < n; ++i) {
            parts[i] = partnerPart(partnersTotal, unpaid[i], stillOwed);
            toProgram -= parts[i];
        }
    }

    /// @notice The partners' part of an applied payment `amount`, given what they are still owed in total.
    function toPartners(uint256 amount, uint256 partnerFirstBps, uint256 stillOwed) internal pure returns (uint256) {
        if (stillOwed == 0) return 0;
        uint256 firstCut = applyBps(amount, partnerFirstBps);
        return firstCut < stillOwed ? firstCut : stillOwed;
    }

    /// @dev x * y / d rounded down: the plain product when both factors are below 2^128 (then it cannot overflow;
    /// every ledger amount is far below), else OpenZeppelin's full-precision `Math.mulDiv`. Same result either way.
    function _mulDiv(uint256 x, uint256 y, uint256 d) private pure returns (uint256) {
        if ((x | y) >> 128 == 0) {
            unchecked {
                return (x * y) / d;
            }
        }
        return Math.mulDiv(x, y, d);
    }

    /// @notice Partner i's pro-rata part of `partnersTotal`: partnersTotal x owed_i / stillOwed.
    function partnerPart(
        uint256 partnersTotal,
        uint256 owedToPartner,
        uint256 stillOwed
    ) internal pure returns (uint256) {
        return _mulDiv(partnersTotal, owedToPartner, stillOwed);
    }
}
