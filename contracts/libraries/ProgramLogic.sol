// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {DSXCredit} from "../DSXCredit.sol";
import {IDSXCredit} from "../interfaces/IDSXCredit.sol";
import {IRevenueShareLedger} from "../interfaces/IRevenueShareLedger.sol";
import {ILedgerErrors} from "../interfaces/ILedgerErrors.sol";
import {AgreementStatus} from "../types/LedgerTypes.sol";
import {LedgerState} from "../types/LedgerStorage.sol";

/// @title ProgramLogic
/// @notice The program's own operations: treasury, pause, the program's claim and audit records.
/// @dev An external library; role and re-entrancy checks happen in the ledger before the call.
library ProgramLogic {
    using SafeERC20 for IERC20;

    /// @notice Deploys the ledger's DSXCredit (run by delegatecall, so the ledger is its minter and burner); its
    /// creation code lives here, not in the ledger's bytecode.
    function deployCredit() external returns (IDSXCredit) {
        return new DSXCredit(address(this));
    }

    /// @notice Sets the treasury that `claimProgram` pays.
    function setTreasury(LedgerState storage s, address treasury) external {
        if (treasury == address(0)) revert ILedgerErrors.ZeroAddress();
        s.treasury = treasury;
        emit IRevenueShareLedger.TreasurySet(treasury);
    }

    /// @notice Pauses or unpauses attestations, acceptance and creation.
    /// @dev Unpausing restarts the reporting grace: lastUnpausedAt = now.
    function setPaused(LedgerState storage s, bool paused) external {
        if (s.paused == paused) revert ILedgerErrors.PauseStateUnchanged(paused);
        s.paused = paused;
        if (paused) {
            emit IRevenueShareLedger.Paused(msg.sender);
        } else {
            s.lastUnpausedAt = uint64(block.timestamp);
            emit IRevenueShareLedger.Unpaused(msg.sender);
        }
    }

    /// @notice Sends the program's claimable balance to the treasury of the moment.
    function claimProgram(LedgerState storage s, IERC20 settlement) external returns (uint256 amount) {
        amount = s.programClaimable;
        if (amount == 0) revert ILedgerErrors.NothingToClaim(address(0));
        s.programClaimable = 0;
        address to = s.treasury;
        emit IRevenueShareLedger.Claimed(address(0), to, amount);
        settlement.safeTransfer(to, amount);
    }

    /// @notice Emits an auditor's record of the agreement's books through `throughBlock`.
    function recordAudit(
        LedgerState storage s,
        uint256 agreementId,
        uint256 throughBlock,
        bytes32 reportHash,
        bool clean
    ) external {
        if (s.agreements[agreementId].status == AgreementStatus.None) {
            revert ILedgerErrors.AgreementNotFound(agreementId);
        }
        if (throughBlock > block.number) revert ILedgerErrors.AuditBlockInFuture(throughBlock, block.number);
        emit IRevenueShareLedger.AuditRecorded(agreementId, msg.sender, throughBlock, reportHash, clean);
    }
}
