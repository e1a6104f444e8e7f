// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title IDSXCredit
/// @notice The DSX compute credit: a 6-decimal ERC-20 with ERC-2612 permit that only the ledger mints and burns
/// and that holders cannot transfer (PROTOCOL §9).
interface IDSXCredit is IERC20 {
    /// @notice Every transfer between wallets is refused.
    error TransferRestricted(address from, address to);
    /// @notice Allowances could never be spent, so `approve` and `permit` are refused.
    error ApprovalRestricted(address owner, address spender);
    /// @notice Only the ledger may mint or burn.
    error OnlyLedger(address caller);

    /// @notice The ledger that mints and burns credits.
    function ledger() external view returns (address);

    /// @notice Whether `amount` could move from `from` to `to` (in the spirit of ERC-7943): only mints and burns.
    function canTransfer(address from, address to, uint256 amount) external pure returns (bool);

    /// @notice Mints `amount` to `to`. Requirements: caller is the ledger.
    function mint(address to, uint256 amount) external;

    /// @notice Burns `amount` from `from`. Requirements: caller is the ledger.
    function burn(address from, uint256 amount) external;
}
