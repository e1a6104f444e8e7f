// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title ReentrantToken
/// @notice A hostile 6-decimal token that calls back into `target` with `payload` on every transfer.
/// @dev With `bubble` set, a failed call-back reverts the transfer; otherwise the failure is recorded.
contract ReentrantToken is ERC20 {
    address public callbackTarget;
    bytes public payload;
    bool public bubble;
    bool public reentryAttempted;
    bool public reentrySucceeded;
    bytes public reentryError;

    constructor() ERC20("Reentrant USD", "rUSD") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function arm(address target_, bytes calldata payload_, bool bubble_) external {
        callbackTarget = target_;
        payload = payload_;
        bubble = bubble_;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        address t = callbackTarget;
        if (t == address(0) || from == address(0)) return;
        callbackTarget = address(0); // one call-back per arming
        reentryAttempted = true;
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory ret) = t.call(payload);
        reentrySucceeded = ok;
        if (!ok) {
            reentryError = ret;
            if (bubble) {
                assembly ("memory-safe") {
                    revert(add(ret, 0x20), mload(ret))
                }
            }
        }
    }
}
