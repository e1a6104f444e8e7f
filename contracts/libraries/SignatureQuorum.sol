// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {ILedgerErrors} from "../interfaces/ILedgerErrors.sol";
import {PartnerConfig, RevenueQuorum, SignerSet} from "../types/LedgerStorage.sol";

/// @title SignatureQuorum
/// @notice k-of-n signer sets kept by epoch (the set in force and a pending one side by side), the choice of the
/// set in force at a time, and quorum checks over EIP-712 digests.
library SignatureQuorum {
    uint256 internal constant MAX_SIGNERS = 16;

    /// @notice Stores `signers` as the members of the new `epoch` (a fresh one: epochs are never reused).
    /// The caller stores `epoch` and `threshold` where its quorum lives.
    function store(SignerSet storage set, uint32 epoch, address[] calldata signers, uint8 threshold) internal {
        uint256 n = signers.length;
        if (threshold == 0 || threshold > n || n > MAX_SIGNERS) revert ILedgerErrors.InvalidSignerSet(n, threshold);
        mapping(address => bool) storage isMember = set.isMember[epoch];
        for (uint256 i; i < n; ++i) {
            address signer = signers[i];
            if (signer == address(0)) revert ILedgerErrors.ZeroAddress();
            if (isMember[signer]) revert ILedgerErrors.DuplicateSigner(signer);
            isMember[signer] = true;
        }
        set.signers[epoch] = signers;
    }

    /// @notice The epoch after both the set in force and the pending one.
    function nextEpoch(uint32 epoch, uint32 pendingEpoch) internal pure returns (uint32) {
        return (epoch > pendingEpoch ? epoch : pendingEpoch) + 1;
    }

    /// @notice The quorum in force at `timestamp`: the pending set once its time has come (PROTOCOL §3).
    function inForce(
        uint32 epoch,
        uint8 threshold,
        uint32 pendingEpoch,
        uint8 pendingThreshold,
        uint256 pendingAt,
        uint256 timestamp
    ) internal pure returns (uint32, uint8) {
        if (pendingAt != 0 && timestamp >= pendingAt) return (pendingEpoch, pendingThreshold);
        return (epoch, threshold);
    }

    /// @notice A partner's quorum in force now: its pending set once `pendingSignersAt` has come (PROTOCOL §3).
    /// @return epoch The epoch of the signer set in force.
    /// @return threshold The number of signatures that set requires.
    function inForceNow(PartnerConfig memory p) internal view returns (uint32 epoch, uint8 threshold) {
        return
            inForce(
                p.signerEpoch,
                p.threshold,
                p.pendingEpoch,
                p.pendingThreshold,
                p.pendingSignersAt,
                block.timestamp
            );
    }

    /// @notice The revenue quorum in force now: the pending set once `pendingAt` has come (PROTOCOL §3).
    /// @return epoch The epoch of the signer set in force.
    /// @return threshold The number of signatures that set requires.
    function inForceNow(RevenueQuorum memory q) internal view returns (uint32 epoch, uint8 threshold) {
        return inForce(q.epoch, q.threshold, q.pendingEpoch, q.pendingThreshold, q.pendingAt, block.timestamp);
    }

    /// @notice Reverts unless `signatures` are >= threshold valid, non-malleable signatures over `digest` by
    /// distinct members of `epoch`, in strictly ascending signer order.
    function verify(
        SignerSet storage set,
        uint32 epoch,
        uint256 threshold,
        bytes32 digest,
        bytes[] calldata signatures
    ) internal view {
        uint256 count = signatures.length;
        if (count > MAX_SIGNERS) revert ILedgerErrors.TooManySignatures(count);
        if (count < threshold || threshold == 0) revert ILedgerErrors.BelowThreshold(count, threshold);
        mapping(address => bool) storage isMember = set.isMember[epoch];
        address previous;
        for (uint256 i; i < count; ++i) {
            (address signer, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(digest, signatures[i]);
            if (err != ECDSA.RecoverError.NoError) revert ILedgerErrors.InvalidSignature(i);
            if (signer <= previous) revert ILedgerErrors.SignersNotAscending(previous, signer);
            if (!isMember[signer]) revert ILedgerErrors.UnknownSigner(signer);
            previous = signer;
        }
    }
}
