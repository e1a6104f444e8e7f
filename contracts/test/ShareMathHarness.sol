// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {ShareMath} from "../libraries/ShareMath.sol";

/// @notice Exposes ShareMath for the shared JSON test vectors: the production functions, as the ledger calls them.
contract ShareMathHarness {
    function credits(uint256 gpuSeconds, uint256 creditsPerGpuHour) external pure returns (uint256) {
        return ShareMath.credits(gpuSeconds, creditsPerGpuHour);
    }

    function applyBps(uint256 amount, uint256 bps) external pure returns (uint256) {
        return ShareMath.applyBps(amount, bps);
    }

    function cap(uint256 consumed, uint256 capMultipleBps) external pure returns (uint256) {
        return ShareMath.cap(consumed, capMultipleBps);
    }

    function owed(uint256 revenue, uint256 shareBps, uint256 cap_, uint256 obligation) external pure returns (uint256) {
        return ShareMath.owed(revenue, shareBps, cap_, obligation);
    }

    function due(uint256 periodEnd, uint256 finalizedAt, uint256 gracePeriod) external pure returns (uint256) {
        return ShareMath.due(periodEnd, finalizedAt, gracePeriod);
    }

    function toPartners(uint256 amount, uint256 partnerFirstBps, uint256 stillOwed) external pure returns (uint256) {
        return ShareMath.toPartners(amount, partnerFirstBps, stillOwed);
    }

    function partnerPart(uint256 total, uint256 owedToPartner, uint256 stillOwed) external pure returns (uint256) {
        return ShareMath.partnerPart(total, owedToPartner, stillOwed);
    }

    /// @notice ShareMath.split, the whole split SettlementLogic books: each partner's part and the program's rest.
    function split(
        uint256 amount,
        uint256 partnerFirstBps,
        uint256[] calldata unpaid
    ) external pure returns (uint256[] memory parts, uint256 toProgram) {
        return ShareMath.split(amount, partnerFirstBps, unpaid);
    }
}
