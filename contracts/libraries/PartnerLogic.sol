// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IRevenueShareLedger} from "../interfaces/IRevenueShareLedger.sol";
import {ILedgerErrors} from "../interfaces/ILedgerErrors.sol";
import {RateEntry} from "../types/LedgerTypes.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {LedgerState, PartnerConfig, PayoutAddress, RateCard, RevenueQuorum} from "../types/LedgerStorage.sol";
import {ShareMath} from "./ShareMath.sol";
import {SignatureQuorum} from "./SignatureQuorum.sol";

/// @title PartnerLogic
/// @notice Partner registration, signer sets, payout addresses and rate cards (PROTOCOL §5), and the revenue
/// signer set (§7): the affected party's own change is in force at once, PROGRAM's after its notice.
/// @dev An external library; role checks happen in the ledger before the call.
library PartnerLogic {
    uint256 internal constant HOUR = 3600;

    /// @notice Registers `partner` with its first k-of-n signer set (epoch 1) and payout share; active at once.
    function registerPartner(
        LedgerState storage s,
        address partner,
        address[] calldata signers,
        uint8 threshold,
        uint16 payoutBps
    ) external {
        if (partner == address(0)) revert ILedgerErrors.ZeroAddress();
        PartnerConfig storage p = s.partners[partner];
        if (p.registered) revert ILedgerErrors.PartnerAlreadyRegistered(partner);
        if (payoutBps > ShareMath.BPS) revert ILedgerErrors.BpsOutOfRange(payoutBps, 0, ShareMath.BPS);
        SignatureQuorum.store(s.partnerSigners[partner], 1, signers, threshold);
        p.registered = true;
        p.active = true;
        p.payoutBps = payoutBps;
        p.threshold = threshold;
        p.signerEpoch = 1;
        emit IRevenueShareLedger.PartnerRegistered(partner, signers, threshold, payoutBps);
    }

    /// @notice The partner's own rotation is in force at once and replaces a pending one; PROGRAM's is pending
    /// for `signerNotice` (a newer proposal replaces an older one that is not yet in force).
    function setPartnerSigners(
        LedgerState storage s,
        address partner,
        address[] calldata signers,
        uint8 threshold,
        bool callerIsProgram,
        uint256 signerNotice
    ) external {
        if (msg.sender != partner && !callerIsProgram) revert ILedgerErrors.NotPartnerOrProgram(partner, msg.sender);
        _requireRegistered(s, partner);
        PartnerConfig memory p = s.partners[partner];
        // a proposal that has come into force becomes the set in force before anything replaces it
        (p.signerEpoch, p.threshold) = SignatureQuorum.inForceNow(p);
        uint32 epoch = SignatureQuorum.nextEpoch(p.signerEpoch, p.pendingEpoch);
        SignatureQuorum.store(s.partnerSigners[partner], epoch, signers, threshold);
        if (msg.sender == partner) {
            (p.signerEpoch, p.threshold) = (epoch, threshold);
            (p.pendingEpoch, p.pendingThreshold, p.pendingSignersAt) = (0, 0, 0);
            emit IRevenueShareLedger.PartnerSignersSet(partner, signers, threshold);
        } else {
            uint40 effectiveAt = SafeCast.toUint40(block.timestamp + signerNotice);
            (p.pendingEpoch, p.pendingThreshold, p.pendingSignersAt) = (epoch, threshold, effectiveAt);
            emit IRevenueShareLedger.PartnerSignersProposed(partner, signers, threshold, effectiveAt);
        }
        s.partners[partner] = p;
    }

    /// @notice The partner's own payout address is in force at once and replaces a pending one; PROGRAM's is
    /// pending for `payoutNotice`.
    function setPayoutAddress(
        LedgerState storage s,
        address partner,
        address payout,
        bool callerIsProgram,
        uint256 payoutNotice
    ) external {
        if (msg.sender != partner && !callerIsProgram) revert ILedgerErrors.NotPartnerOrProgram(partner, msg.sender);
        _requireRegistered(s, partner);
        if (payout == address(0)) revert ILedgerErrors.ZeroAddress();
        PayoutAddress storage a = s.payouts[partner];
        if (msg.sender == partner) {
            (a.current, a.pendingAt, a.pending) = (payout, 0, address(0));
            emit IRevenueShareLedger.PayoutAddressSet(partner, payout, uint64(block.timestamp));
        } else {
            // a proposal that has come into force becomes the address in force before a newer one replaces it
            uint256 pendingAt = a.pendingAt;
            if (pendingAt != 0 && block.timestamp >= pendingAt) a.current = a.pending;
            uint40 effectiveAt = SafeCast.toUint40(block.timestamp + payoutNotice);
            (a.pendingAt, a.pending) = (effectiveAt, payout);
            emit IRevenueShareLedger.PayoutAddressSet(partner, payout, effectiveAt);
        }
    }

    /// @notice (De)activates a partner: an inactive partner's batches are refused.
    function setPartnerActive(LedgerState storage s, address partner, bool active) external {
        _requireRegistered(s, partner);
        s.partners[partner].active = active;
        emit IRevenueShareLedger.PartnerActiveSet(partner, active);
    }

    /// @notice Schedules a rate for (partner, sku) from `effectiveFrom` (PROTOCOL §5).
    function scheduleRate(
        LedgerState storage s,
        address partner,
        bytes32 sku,
        uint64 creditsPerGpuHour,
        uint64 effectiveFrom,
        uint256 rateNotice
    ) external {
        _requireRegistered(s, partner);
        if (sku == bytes32(0)) revert ILedgerErrors.InvalidSku(sku);
        if (creditsPerGpuHour == 0) revert ILedgerErrors.InvalidRate(creditsPerGpuHour);
        if (effectiveFrom % HOUR != 0) revert ILedgerErrors.RateNotOnHour(effectiveFrom);
        RateCard storage card = s.rateCards[partner][sku];
        RateCard memory latest = card;
        if (latest.count == 0) {
            // a first rate may start in the current hour, not earlier
            uint256 hourStart = block.timestamp - (block.timestamp % HOUR);
            if (effectiveFrom < hourStart) revert ILedgerErrors.RateTooEarly(effectiveFrom, hourStart);
            s.rateCards[partner][sku] = RateCard(creditsPerGpuHour, effectiveFrom, 1);
        } else {
            uint256 earliest = block.timestamp + rateNotice;
            if (effectiveFrom < earliest) revert ILedgerErrors.RateTooEarly(effectiveFrom, earliest);
            if (effectiveFrom == latest.effectiveFrom) {
                // effectiveFrom > now, so the replaced rate is not in effect yet
                card.creditsPerGpuHour = creditsPerGpuHour;
            } else if (effectiveFrom > latest.effectiveFrom) {
                s.rateHistory[partner][sku][latest.count - 1] = RateEntry(
                    latest.creditsPerGpuHour,
                    latest.effectiveFrom
                );
                s.rateCards[partner][sku] = RateCard(creditsPerGpuHour, effectiveFrom, latest.count + 1);
            } else {
                revert ILedgerErrors.RateOutOfOrder(effectiveFrom, latest.effectiveFrom);
            }
        }
        emit IRevenueShareLedger.RateScheduled(partner, sku, creditsPerGpuHour, effectiveFrom);
    }

    /// @notice The first revenue signer set is in force at once; every later one is pending for `signerNotice`.
    function setRevenueSigners(
        LedgerState storage s,
        address[] calldata signers,
        uint8 threshold,
        uint256 signerNotice
    ) external {
        RevenueQuorum memory q = s.revenueQuorum;
        (q.epoch, q.threshold) = SignatureQuorum.inForceNow(q);
        uint32 epoch = SignatureQuorum.nextEpoch(q.epoch, q.pendingEpoch);
        SignatureQuorum.store(s.revenueSigners, epoch, signers, threshold);
        if (q.epoch == 0) {
            (q.epoch, q.threshold) = (epoch, threshold);
            emit IRevenueShareLedger.RevenueSignersSet(signers, threshold);
        } else {
            uint40 effectiveAt = SafeCast.toUint40(block.timestamp + signerNotice);
            (q.pendingEpoch, q.pendingThreshold, q.pendingAt) = (epoch, threshold, effectiveAt);
            emit IRevenueShareLedger.RevenueSignersProposed(signers, threshold, effectiveAt);
        }
        s.revenueQuorum = q;
    }

    /// @notice The address `partner`'s claims are paid to at `timestamp` (the partner itself unless one was set).
    function payoutInForce(
        LedgerState storage s,
        address partner,
        uint256 timestamp
    ) internal view returns (address payout) {
        PayoutAddress storage a = s.payouts[partner];
        uint256 pendingAt = a.pendingAt;
        payout = pendingAt != 0 && timestamp >= pendingAt ? a.pending : a.current;
        if (payout == address(0)) payout = partner;
    }

    function _requireRegistered(LedgerState storage s, address partner) private view {
        if (!s.partners[partner].registered) revert ILedgerErrors.PartnerNotRegistered(partner);
    }
}
