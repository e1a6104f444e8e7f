// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IDSXCredit} from "../interfaces/IDSXCredit.sol";
import {
    AgreementStatus,
    AgreementView,
    LedgerConstants,
    PartnerPositionView,
    RateEntry,
    SignerSetView,
    UsageBatch
} from "../types/LedgerTypes.sol";
import {Agreement, Position, PositionExtra, RateCard, RevenueQuorum, PayoutAddress} from "../types/LedgerStorage.sol";
import {LedgerStore} from "../abstracts/LedgerStore.sol";
import {UsageRecorder} from "../abstracts/UsageRecorder.sol";
import {AgreementMath} from "../libraries/AgreementMath.sol";
import {LedgerViews} from "../libraries/LedgerViews.sol";
import {PartnerLogic} from "../libraries/PartnerLogic.sol";
import {PositionWord} from "../libraries/PositionWord.sol";
import {SignatureQuorum} from "../libraries/SignatureQuorum.sol";

/// @notice Runs test/vectors/ledger-rules.json through the ledger's own code: the harness writes the ledger's
/// storage layout (LedgerState) directly and calls the production rules on it — AgreementMath.reportingClose,
/// PositionWord.limitsInForce, SignatureQuorum.inForce, PartnerLogic.payoutInForce, the LedgerViews views
/// (agreement's nextDue and delinquent, partnerPosition, rate, revenueSigners) and UsageRecorder's line checks and
/// rate choice (`_recordLines`). It is its own credit token (balanceOf and burn) so the usage path runs unchanged.
contract LedgerRulesHarness is UsageRecorder {
    /// @notice The burn entry point is for the harness's own usage path only.
    error NotSelf(address caller);

    struct AgreementSetup {
        address startup;
        AgreementStatus status;
        uint40 startTime;
        uint40 endTime;
        uint40 terminatedAt;
        uint8 periodCount;
        uint128 paid;
    }

    struct PositionSetup {
        uint64 spent;
        uint40 lastUsageEnd;
        uint56 spendLimit;
        uint24 maxGpus;
        uint56 pendingSpendLimit;
        uint40 pendingSpendLimitAt;
        uint24 pendingMaxGpus;
        uint40 pendingMaxGpusAt;
    }

    mapping(address account => uint256) private _credits;

    constructor(LedgerConstants memory c) LedgerStore(c, IERC20(address(0)), IDSXCredit(address(this))) {}

    // ------------------------------------------------------------------------------------------- state setup

    /// @notice Writes agreement `id`; periods 0..n-1 become finalized with the given cumulative obligations and due
    /// dates (nextPeriodToFinalize = n, obligation = the last cumulative obligation).
    function setAgreement(
        uint256 id,
        AgreementSetup calldata x,
        uint128[] calldata cumulativeObligations,
        uint40[] calldata dues
    ) external {
        Agreement storage a = _s.agreements[id];
        a.startup = x.startup;
        a.status = x.status;
        a.startTime = x.startTime;
        a.endTime = x.endTime;
        a.terminatedAt = x.terminatedAt;
        a.periodCount = x.periodCount;
        a.paid = x.paid;
        uint256 n = cumulativeObligations.length;
        for (uint256 k; k < n; ++k) {
            a.periods[k].cumulativeObligation = cumulativeObligations[k];
            a.periods[k].due = dues[k];
        }
        a.nextPeriodToFinalize = uint8(n);
        a.obligation = n == 0 ? 0 : cumulativeObligations[n - 1];
    }

    /// @notice Sets nextPeriodToFinalize alone (a last period finalized without writing every period).
    function setNextPeriodToFinalize(uint256 id, uint8 next) external {
        _s.agreements[id].nextPeriodToFinalize = next;
    }

    function setPause(bool paused, uint64 lastUnpausedAt) external {
        _s.paused = paused;
        _s.lastUnpausedAt = lastUnpausedAt;
    }

    /// @notice Writes a position as AgreementLogic.authorizePartner leaves it (the pending flag set when a decrease
    /// of either field is stored).
    function setPosition(uint256 id, address partner_, PositionSetup calldata x) external {
        Agreement storage a = _s.agreements[id];
        a.positions[partner_] = Position({
            spent: x.spent,
            receivable: 0,
            lastUsageEnd: x.lastUsageEnd,
            spendLimit: x.spendLimit,
            maxGpus: x.maxGpus,
            hasPendingDecrease: x.pendingSpendLimitAt != 0 || x.pendingMaxGpusAt != 0
        });
        a.extras[partner_] = PositionExtra({
            initialized: true,
            paidToPartner: 0,
            pendingSpendLimit: x.pendingSpendLimit,
            pendingSpendLimitAt: x.pendingSpendLimitAt,
            pendingMaxGpus: x.pendingMaxGpus,
            pendingMaxGpusAt: x.pendingMaxGpusAt
        });
    }

    /// @notice Writes a (partner, sku) schedule, oldest first, as PartnerLogic.scheduleRate stores it.
    function setSchedule(address partner_, bytes32 sku, RateEntry[] calldata entries) external {
        uint256 n = entries.length;
        if (n == 0) {
            _s.rateCards[partner_][sku] = RateCard(0, 0, 0);
            return;
        }
        for (uint256 i; i + 1 < n; ++i) _s.rateHistory[partner_][sku][i] = entries[i];
        _s.rateCards[partner_][sku] = RateCard(
            entries[n - 1].creditsPerGpuHour,
            entries[n - 1].effectiveFrom,
            uint32(n)
        );
    }

    /// @notice The revenue quorum with the set in force at epoch 1 and PROGRAM's pending one at epoch 2.
    function setRevenueQuorum(uint8 threshold, uint8 pendingThreshold, uint40 pendingAt) external {
        _s.revenueQuorum = RevenueQuorum(threshold, 1, pendingThreshold, 2, pendingAt);
    }

    function setPayout(address partner_, address current, address pending, uint40 pendingAt) external {
        _s.payouts[partner_] = PayoutAddress(current, pendingAt, pending);
    }

    function setCredits(address account, uint256 amount) external {
        _credits[account] = amount;
    }

    // ------------------------------------------------------------------------------------------- the rules

    /// @notice AgreementMath.reportingClose (PROTOCOL §3).
    function reportingClose(uint256 id, uint256 reportingGrace) external view returns (uint256) {
        return AgreementMath.reportingClose(_s, _s.agreements[id], reportingGrace);
    }

    /// @notice PositionWord.limitsInForce at `timestamp`, from the stored position word (PROTOCOL §4).
    function limitsInForce(
        uint256 id,
        address partner_,
        uint256 timestamp
    ) external view returns (uint256 spendLimit, uint256 maxGpus) {
        Position storage p = _s.agreements[id].positions[partner_];
        uint256 word;
        assembly ("memory-safe") {
            word := sload(p.slot)
        }
        return PositionWord.limitsInForce(word, _s.agreements[id].extras[partner_], timestamp);
    }

    /// @notice LedgerViews.partnerPosition (at the block's time).
    function partnerPosition(uint256 id, address partner_) external view returns (PartnerPositionView memory) {
        return LedgerViews.partnerPosition(_s, id, partner_);
    }

    /// @notice LedgerViews.agreement, whose nextDue and delinquent are the rule of PROTOCOL §8 (at the block's time).
    function agreement(uint256 id) external view returns (AgreementView memory) {
        return LedgerViews.agreement(_s, id);
    }

    /// @notice LedgerViews.rate: the entry in effect at `at` (PROTOCOL §5).
    function rate(address partner_, bytes32 sku, uint64 at) external view returns (RateEntry memory) {
        return LedgerViews.rate(_s, partner_, sku, at);
    }

    /// @notice SignatureQuorum.inForce's choice between the epoch in force and the pending one (PROTOCOL §3).
    function quorumInForce(
        uint32 epoch,
        uint32 pendingEpoch,
        uint256 pendingAt,
        uint256 timestamp
    ) external pure returns (uint32 inForce) {
        (inForce, ) = SignatureQuorum.inForce(epoch, 1, pendingEpoch, 1, pendingAt, timestamp);
    }

    /// @notice PartnerLogic.payoutInForce at `timestamp`.
    function payoutInForce(address partner_, uint256 timestamp) external view returns (address) {
        return PartnerLogic.payoutInForce(_s, partner_, timestamp);
    }

    /// @notice LedgerViews.revenueSigners (at the block's time): the threshold in force and a still pending one.
    function revenueSigners() external view returns (SignerSetView memory) {
        return LedgerViews.revenueSigners(_s);
    }

    /// @notice UsageRecorder's line checks and booking of a batch (PROTOCOL §6), as submitUsage runs them after
    /// the batch checks: emits UsageRecorded / UsageLineRejected per line; reverts UsageRateStraddled.
    function recordLines(UsageBatch calldata batch, uint256 payoutBps) external returns (uint256 accepted) {
        bytes32 batchId = keccak256(
            abi.encode(batch.partner, batch.sequence, batch.periodStart, batch.periodEnd, batch.recordsRoot)
        );
        (accepted, ) = _recordLines(batch, batchId, payoutBps);
    }

    // ------------------------------------------------------------------------------------------- credit token

    /// @notice The startup's DSXC, as the ledger's credit token would report it.
    function balanceOf(address account) external view returns (uint256) {
        return _credits[account];
    }

    /// @notice Burns credits for the usage path (`_burnCredits` calls the credit token, here the harness itself).
    function burn(address from, uint256 amount) external {
        if (msg.sender != address(this)) revert NotSelf(msg.sender);
        _credits[from] -= amount;
    }
}
