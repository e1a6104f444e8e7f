// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IRevenueShareLedger} from "../interfaces/IRevenueShareLedger.sol";
import {ILedgerErrors} from "../interfaces/ILedgerErrors.sol";
import {Agreement, LedgerState} from "../types/LedgerStorage.sol";
import {ShareMath} from "../libraries/ShareMath.sol";

/// @title DoctoredSettlementCore
/// @dev TEST ONLY (the auditor's mutation suite): a copy of SettlementLogic with deliberate bugs, selected by the
/// wrapper libraries below. Each wrapper has the original's external functions (same selectors), so the real
/// RevenueShareLedger linked against one of them is a "doctored ledger" with exactly one bug.
/// @notice Payments (PROTOCOL §8): apply min(amount, outstanding), split it partner-first, pull it from the payer.
/// Settlement of periods is implied by cumulative sums: period k is settled once paid >= its cumulative obligation.
/// @dev An external library; the ledger holds the re-entrancy guard around the call.
library DoctoredSettlementCore {
    uint256 internal constant WATERFALL_OFF_BY_ONE = 1;
    uint256 internal constant PART_ROUNDED_UP = 2;
    uint256 internal constant WRONG_BENEFICIARY = 3;
    uint256 internal constant NO_DELIVERY_CHECK = 4;

    using SafeERC20 for IERC20;

    /// @dev Applies min(amount, outstanding), splits it partner-first (PROTOCOL §8), then pulls it from the payer.
    function pay(
        LedgerState storage s,
        uint256 id,
        uint256 amount,
        IERC20 settlement,
        uint256 bug
    ) internal returns (uint256 applied) {
        if (amount == 0) revert ILedgerErrors.ZeroAmount();
        Agreement storage a = s.agreements[id];
        uint256 paid = a.paid;
        uint256 outstanding = a.obligation - paid;
        if (outstanding == 0) revert ILedgerErrors.NothingOwed(id);
        applied = amount < outstanding ? amount : outstanding;
        a.paid = uint128(paid + applied);

        (uint256 toPartners, uint256 toProgram) = _split(s, id, a, applied, bug);
        emit IRevenueShareLedger.PaymentApplied(id, msg.sender, applied, toPartners, toProgram);

        uint256 before = settlement.balanceOf(address(this));
        settlement.safeTransferFrom(msg.sender, address(this), applied);
        uint256 received = settlement.balanceOf(address(this)) - before;
        if (bug != NO_DELIVERY_CHECK && received != applied) revert ILedgerErrors.TokenDeliveredLess(applied, received);
    }

    /// @dev The partner-first waterfall: partners get min(amount x partnerFirstBps, still owed) pro rata to what
    /// each is still owed; the program gets the rest, dust included.
    function _split(
        LedgerState storage s,
        uint256 id,
        Agreement storage a,
        uint256 amount,
        uint256 bug
    ) private returns (uint256 toPartners, uint256 toProgram) {
        address[] memory list = a.partnerList;
        uint256 n = list.length;
        uint256[] memory unpaid = new uint256[](n);
        uint256 stillOwed;
        for (uint256 i; i < n; ++i) {
            unpaid[i] = a.positions[list[i]].receivable - a.extras[list[i]].paidToPartner;
            stillOwed += unpaid[i];
        }
        uint256 partnersTotal = ShareMath.toPartners(amount, a.partnerFirstBps, stillOwed);
        if (bug == WATERFALL_OFF_BY_ONE && partnersTotal != 0 && partnersTotal < stillOwed) partnersTotal += 1;
        if (partnersTotal != 0) {
            for (uint256 i; i < n; ++i) {
                uint256 part = ShareMath.partnerPart(partnersTotal, unpaid[i], stillOwed);
                if (bug == PART_ROUNDED_UP && mulmod(partnersTotal, unpaid[i], stillOwed) != 0 && part < unpaid[i])
                    part += 1;
                if (part == 0) continue;
                // part <= unpaid[i], so paidToPartner stays <= receivable < 2^64
                a.extras[list[i]].paidToPartner += uint64(part);
                s.claimable[bug == WRONG_BENEFICIARY ? list[(i + 1) % n] : list[i]] += part;
                toPartners += part;
                emit IRevenueShareLedger.Distributed(id, list[i], part);
            }
        }
        toProgram = amount - toPartners;
        if (toProgram != 0) {
            s.programClaimable += toProgram;
            emit IRevenueShareLedger.Distributed(id, address(0), toProgram);
        }
    }
}

/// @dev DoctoredSettlementCore with `WATERFALL_OFF_BY_ONE`.
library SettlementWaterfallOffByOne {
    function pay(LedgerState storage s, uint256 id, uint256 amount, IERC20 settlement) external returns (uint256) {
        return DoctoredSettlementCore.pay(s, id, amount, settlement, DoctoredSettlementCore.WATERFALL_OFF_BY_ONE);
    }
}

/// @dev DoctoredSettlementCore with `PART_ROUNDED_UP`.
library SettlementPartRoundedUp {
    function pay(LedgerState storage s, uint256 id, uint256 amount, IERC20 settlement) external returns (uint256) {
        return DoctoredSettlementCore.pay(s, id, amount, settlement, DoctoredSettlementCore.PART_ROUNDED_UP);
    }
}

/// @dev DoctoredSettlementCore with `WRONG_BENEFICIARY`.
library SettlementWrongBeneficiary {
    function pay(LedgerState storage s, uint256 id, uint256 amount, IERC20 settlement) external returns (uint256) {
        return DoctoredSettlementCore.pay(s, id, amount, settlement, DoctoredSettlementCore.WRONG_BENEFICIARY);
    }
}

/// @dev DoctoredSettlementCore with `NO_DELIVERY_CHECK`.
library SettlementNoDeliveryCheck {
    function pay(LedgerState storage s, uint256 id, uint256 amount, IERC20 settlement) external returns (uint256) {
        return DoctoredSettlementCore.pay(s, id, amount, settlement, DoctoredSettlementCore.NO_DELIVERY_CHECK);
    }
}
