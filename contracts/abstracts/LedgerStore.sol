// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IDSXCredit} from "../interfaces/IDSXCredit.sol";
import {ILedgerErrors} from "../interfaces/ILedgerErrors.sol";
import {LedgerConstants} from "../types/LedgerTypes.sol";
import {LedgerState} from "../types/LedgerStorage.sol";

/// @title LedgerStore
/// @notice The ledger's state, its tokens and its time constants (PROTOCOL §3), each checked against its range.
abstract contract LedgerStore is ILedgerErrors {
    uint256 internal constant HOUR = 1 hours;

    /// @notice How long a usage batch or revenue report can be disputed after submission.
    uint256 public immutable DISPUTE_WINDOW;
    /// @notice The notice a rate change needs.
    uint256 public immutable RATE_NOTICE;
    /// @notice The notice an authorization decrease needs.
    uint256 public immutable AUTH_NOTICE;
    /// @notice How long after the effective end (or the last unpause) usage may still be reported.
    uint256 public immutable REPORTING_GRACE;
    /// @notice The notice of a partner or revenue signer set proposed by PROGRAM.
    uint256 public immutable SIGNER_NOTICE;
    /// @notice The notice of a startup wallet migration proposed by PROGRAM.
    uint256 public immutable MIGRATION_NOTICE;
    /// @notice The notice of a partner payout address proposed by PROGRAM.
    uint256 public immutable PAYOUT_NOTICE;

    IDSXCredit internal immutable _CREDIT;
    IERC20 internal immutable _SETTLEMENT;

    LedgerState internal _s;

    constructor(LedgerConstants memory c, IERC20 settlementToken_, IDSXCredit credit_) {
        _checkRange("DISPUTE_WINDOW", c.disputeWindow, 30 days);
        _checkRange("RATE_NOTICE", c.rateNotice, 90 days);
        _checkRange("AUTH_NOTICE", c.authNotice, 90 days);
        _checkRange("REPORTING_GRACE", c.reportingGrace, 90 days);
        _checkRange("SIGNER_NOTICE", c.signerNotice, 90 days);
        _checkRange("MIGRATION_NOTICE", c.migrationNotice, 90 days);
        _checkRange("PAYOUT_NOTICE", c.payoutNotice, 90 days);
        DISPUTE_WINDOW = c.disputeWindow;
        RATE_NOTICE = c.rateNotice;
        AUTH_NOTICE = c.authNotice;
        REPORTING_GRACE = c.reportingGrace;
        SIGNER_NOTICE = c.signerNotice;
        MIGRATION_NOTICE = c.migrationNotice;
        PAYOUT_NOTICE = c.payoutNotice;
        _SETTLEMENT = settlementToken_;
        _CREDIT = credit_;
    }

    /// @dev Every constant is at least an hour and at most `max` (PROTOCOL §3).
    function _checkRange(string memory name, uint256 value, uint256 max) private pure {
        if (value < HOUR || value > max) revert InvalidConstant(name, value);
    }
}
