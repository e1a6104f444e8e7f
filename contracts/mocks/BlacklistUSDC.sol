// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title BlacklistUSDC
/// @notice A 6-decimal settlement token with a blacklist, as USDC has: a blacklisted address can neither send nor
/// receive. Anyone may mint and (un)blacklist (local chains only).
contract BlacklistUSDC is ERC20Permit {
    /// @notice `account` is blacklisted: transfers to or from it are refused.
    error AccountBlacklisted(address account);

    mapping(address account => bool) public isBlacklisted;

    constructor() ERC20("Blacklist USD Coin", "bUSDC") ERC20Permit("Blacklist USD Coin") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setBlacklisted(address account, bool blacklisted) external {
        isBlacklisted[account] = blacklisted;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (isBlacklisted[from]) revert AccountBlacklisted(from);
        if (isBlacklisted[to]) revert AccountBlacklisted(to);
        super._update(from, to, value);
    }
}
