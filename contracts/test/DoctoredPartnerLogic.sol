// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IRevenueShareLedger} from "../interfaces/IRevenueShareLedger.sol";
import {ILedgerErrors} from "../interfaces/ILedgerErrors.sol";
import {RateEntry} from "../types/LedgerTypes.sol";
import {LedgerState, PartnerConfig, RateCard} from "../types/LedgerStorage.sol";
import {ShareMath} from "../libraries/ShareMath.sol";
import {SignatureQuorum} from "../libraries/SignatureQuorum.sol";

/// @title PartnerRateInflated
/// @dev TEST ONLY (the auditor's mutation suite): PartnerLogic storing every rate one unit above the one it announces.
/// @notice Partner registration, signer sets and rate cards (PROTOCOL §5), and the revenue signer set (§7).
/// @dev An external library; role checks happen in the ledger before the call.
library PartnerRateInflated {
    uint256 internal constant HOUR = 3600;

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
        SignatureQuorum.replace(s.partnerSigners[partner], 1, signers, threshold);
        p.registered = true;
        p.active = true;
        p.payoutBps = payoutBps;
        p.threshold = threshold;
        p.signerEpoch = 1;
        emit IRevenueShareLedger.PartnerRegistered(partner, signers, threshold, payoutBps);
    }

    function setPartnerSigners(
        LedgerState storage s,
        address partner,
        address[] calldata signers,
        uint8 threshold
    ) external {
        _requireRegistered(s, partner);
        PartnerConfig storage p = s.partners[partner];
        uint32 epoch = p.signerEpoch + 1;
        SignatureQuorum.replace(s.partnerSigners[partner], epoch, signers, threshold);
        p.threshold = threshold;
        p.signerEpoch = epoch;
        emit IRevenueShareLedger.PartnerSignersSet(partner, signers, threshold);
    }

    function setPartnerActive(LedgerState storage s, address partner, bool active) external {
        _requireRegistered(s, partner);
        s.partners[partner].active = active;
        emit IRevenueShareLedger.PartnerActiveSet(partner, active);
    }

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
            s.rateCards[partner][sku] = RateCard(creditsPerGpuHour + 1, effectiveFrom, 1);
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

    function setRevenueSigners(LedgerState storage s, address[] calldata signers, uint8 threshold) external {
        uint32 epoch = s.revenueSignerEpoch + 1;
        SignatureQuorum.replace(s.revenueSigners, epoch, signers, threshold);
        s.revenueThreshold = threshold;
        s.revenueSignerEpoch = epoch;
        emit IRevenueShareLedger.RevenueSignersSet(signers, threshold);
    }

    function _requireRegistered(LedgerState storage s, address partner) private view {
        if (!s.partners[partner].registered) revert ILedgerErrors.PartnerNotRegistered(partner);
    }
}
