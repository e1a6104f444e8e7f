// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IDSXCredit} from "./interfaces/IDSXCredit.sol";

/// @title DSXCredit
/// @notice DSX Compute Credit (DSXC): 1.000000 DSXC is 1 US dollar of list-price compute.
/// @dev Deployed by the ledger, which is its only minter and burner.
contract DSXCredit is ERC20Permit, IDSXCredit {
    address private immutable _LEDGER;

    constructor(address ledger_) ERC20("DSX Compute Credit", "DSXC") ERC20Permit("DSX Compute Credit") {
        _LEDGER = ledger_;
    }

    modifier onlyLedger() {
        if (msg.sender != _LEDGER) revert OnlyLedger(msg.sender);
        _;
    }

    /// @inheritdoc IDSXCredit
    function ledger() external view returns (address) {
        return _LEDGER;
    }

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @inheritdoc IDSXCredit
    function canTransfer(address from, address to, uint256) external pure returns (bool) {
        // only the ledger's mints move credits to a wallet; a holder can start no move at all, not even a burn
        return from == address(0) && to != address(0);
    }

    /// @inheritdoc IDSXCredit
    function mint(address to, uint256 amount) external onlyLedger {
        _mint(to, amount);
    }

    /// @inheritdoc IDSXCredit
    function burn(address from, uint256 amount) external onlyLedger {
        _burn(from, amount);
    }

    /// @notice Refused whatever the allowance (there can be none): holders cannot move credits.
    function transferFrom(address from, address to, uint256) public pure override(ERC20, IERC20) returns (bool) {
        revert TransferRestricted(from, to);
    }

    /// @notice Refused: credits cannot be moved by anyone but the ledger, so an allowance could never be spent.
    function approve(address spender, uint256) public view override(ERC20, IERC20) returns (bool) {
        revert ApprovalRestricted(msg.sender, spender);
    }

    /// @notice Refused for the same reason as `approve`, before any signature check.
    function permit(address owner, address spender, uint256, uint256, uint8, bytes32, bytes32) public pure override {
        revert ApprovalRestricted(owner, spender);
    }

    /// @dev The one hook every balance change passes through: only mints and burns.
    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && to != address(0)) revert TransferRestricted(from, to);
        super._update(from, to, value);
    }
}
