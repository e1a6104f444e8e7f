// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {ILedgerErrors} from "../interfaces/ILedgerErrors.sol";
import {SignerSet} from "../types/LedgerStorage.sol";

/// @title SignatureQuorum
/// @notice k-of-n signer sets: validation, rotation by epoch, and quorum checks over EIP-712 digests.
library SignatureQuorum {
    uint256 internal constant MAX_SIGNERS = 16;

    /// @dev Replaces the set's members with `signers` under the new `epoch` (old members are forgotten by the epoch
    /// change, with no loop over them). The caller stores `epoch` and `threshold`.
    function replace(SignerSet storage set, uint32 epoch, address[] calldata signers, uint8 threshold) internal {
        uint256 n = signers.length;
        if (threshold == 0 || threshold > n || n > MAX_SIGNERS) revert ILedgerErrors.InvalidSignerSet(n, threshold);
        for (uint256 i; i < n; ++i) {
            address signer = signers[i];
            if (signer == address(0)) revert ILedgerErrors.ZeroAddress();
            if (set.memberEpoch[signer] == epoch) revert ILedgerErrors.DuplicateSigner(signer);
            set.memberEpoch[signer] = epoch;
        }
        set.signers = signers;
    }

    /// @dev Reverts unless `signatures` are >= threshold valid, non-malleable signatures over `digest` by
    /// distinct members, in strictly ascending signer order.
    function verify(
        SignerSet storage set,
        uint256 epoch,
        uint256 threshold,
        bytes32 digest,
        bytes[] calldata signatures
    ) internal view {
        uint256 count = signatures.length;
        if (count > MAX_SIGNERS) revert ILedgerErrors.TooManySignatures(count);
        if (count < threshold || threshold == 0) revert ILedgerErrors.BelowThreshold(count, threshold);
        address previous;
        for (uint256 i; i < count; ++i) {
            (address signer, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(digest, signatures[i]);
            if (err != ECDSA.RecoverError.NoError) revert ILedgerErrors.InvalidSignature(i);
            if (signer <= previous) revert ILedgerErrors.SignersNotAscending(previous, signer);
            if (set.memberEpoch[signer] != epoch) revert ILedgerErrors.UnknownSigner(signer);
            previous = signer;
        }
    }
}
