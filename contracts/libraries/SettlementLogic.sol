// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IRevenueShareLedger} from "../interfaces/IRevenueShareLedger.sol";
import {ILedgerErrors} from "../interfaces/ILedgerErrors.sol";
import {Agreement, LedgerState} from "../types/LedgerStorage.sol";
import {ShareMath} from "./ShareMath.sol";

/// @title SettlementLogic
/// @notice Payments (PROTOCOL §8): apply min(amount, outstanding), book its split (ShareMath.split) into the
/// claimable balances, pull it from the payer.
/// Settlement of periods is implied by cumulative sums: period k is settled once paid >= its cumulative obligation.
/// @dev An external library; the ledger holds the re-entrancy guard around the call.
library SettlementLogic {
    using SafeERC20 for IERC20;

    /// @dev Applies min(amount, outstanding), splits it partner-first (PROTOCOL §8), then pulls it from the payer.
    /// @notice Applies min(amount, outstanding) of agreement `id`, books its split and pulls it from the payer.
    function pay(
        LedgerState storage s,
        uint256 id,
        uint256 amount,
        IERC20 settlement
    ) external returns (uint256 applied) {
        if (amount == 0) revert ILedgerErrors.ZeroAmount();
        Agreement storage a = s.agreements[id];
        uint256 paid = a.paid;
        uint256 outstanding = a.obligation - paid;
        if (outstanding == 0) revert ILedgerErrors.NothingOwed(id);
        applied = amount < outstanding ? amount : outstanding;
        a.paid = uint128(paid + applied);

        (uint256 toPartners, uint256 toProgram) = _split(s, id, a, applied);
        emit IRevenueShareLedger.PaymentApplied(id, msg.sender, applied, toPartners, toProgram);

        uint256 before = settlement.balanceOf(address(this));
        settlement.safeTransferFrom(msg.sender, address(this), applied);
        uint256 received = settlement.balanceOf(address(this)) - before;
        if (received != applied) revert ILedgerErrors.TokenDeliveredLess(applied, received);
    }

    /// @dev Books the split of `amount` (ShareMath.split, PROTOCOL §8) into the claimable balances.
    function _split(
        LedgerState storage s,
        uint256 id,
        Agreement storage a,
        uint256 amount
    ) private returns (uint256 toPartners, uint256 toProgram) {
        address[] memory list = a.partnerList;
        uint256 n = list.length;
        uint256[] memory unpaid = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            unpaid[i] = a.positions[list[i]].receivable - a.extras[list[i]].paidToPartner;
        }
        uint256[] memory parts;
        (parts, toProgram) = ShareMath.split(amount, a.partnerFirstBps, unpaid);
        for (uint256 i; i < n; ++i) {
            uint256 part = parts[i];
            if (part == 0) continue;
            // part <= unpaid[i], so paidToPartner stays <= receivable < 2^64
            a.extras[list[i]].paidToPartner += uint64(part);
            s.claimable[list[i]] += part;
            toPartners += part;
            emit IRevenueShareLedger.Distributed(id, list[i], part);
        }
        if (toProgram != 0) {
            s.programClaimable += toProgram;
            emit IRevenueShareLedger.Distributed(id, address(0), toProgram);
        }
    }
}
