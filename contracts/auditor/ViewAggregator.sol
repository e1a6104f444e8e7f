// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title ViewAggregator
/// @notice The auditor's batch of view calls (auditor/chain/snapshot.ts): many views in one eth_call, which the node
/// runs in one EVM context instead of one request each. It is never deployed: the auditor places this contract's
/// runtime code at an address for the call with an eth_call state override. It has Multicall3's `aggregate3`
/// interface, so viem's `multicall` encodes the calls and decodes the results; unlike Multicall3 it only
/// `staticcall`s, so nothing it runs can change state.
contract ViewAggregator {
    /// @notice One call: the contract, whether its failure is tolerated, and the calldata.
    struct Call3 {
        address target;
        bool allowFailure;
        bytes callData;
    }

    /// @notice One call's outcome: whether it succeeded, and what it returned (or its revert data).
    struct Result {
        bool success;
        bytes returnData;
    }

    /// @notice A call that was not allowed to fail failed.
    /// @param index The call's position in the batch.
    error CallFailed(uint256 index);

    /// @notice Runs every call with `staticcall`, in order.
    /// @param calls The calls.
    /// @return returnData Each call's outcome, in the calls' order.
    function aggregate3(Call3[] calldata calls) external view returns (Result[] memory returnData) {
        uint256 n = calls.length;
        returnData = new Result[](n);
        for (uint256 i; i < n; ++i) {
            (bool success, bytes memory data) = calls[i].target.staticcall(calls[i].callData);
            if (!success && !calls[i].allowFailure) revert CallFailed(i);
            returnData[i] = Result(success, data);
        }
    }
}
