// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IRevenueShareLedger} from "../interfaces/IRevenueShareLedger.sol";
import {ILedgerErrors} from "../interfaces/ILedgerErrors.sol";
import {IDSXCredit} from "../interfaces/IDSXCredit.sol";
import {Terms, AgreementStatus, AcceptedUsageLine, UsageDisputeState} from "../types/LedgerTypes.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {
    Agreement,
    Position,
    PositionExtra,
    LedgerState,
    PendingMigration,
    UsageDispute
} from "../types/LedgerStorage.sol";
import {AgreementMath} from "./AgreementMath.sol";
import {ShareMath} from "./ShareMath.sol";

/// @title AgreementLogic
/// @notice The agreement lifecycle, partner authorizations and usage credit notes (PROTOCOL §4, §6).
/// @dev An external library: the ledger delegates these colder paths here to stay under the code-size limit.
/// Role checks happen in the ledger before the call.
library AgreementLogic {
    using AgreementMath for Agreement;

    uint256 internal constant MAX_PERIODS = 120;
    uint256 internal constant MAX_PARTNERS = 16;
    uint256 internal constant MIN_PERIOD = 1 days;

    /// @notice Proposes an agreement to `t.startup` after checking the terms and that the wallet is free.
    function createAgreement(LedgerState storage s, Terms calldata t, IDSXCredit credit) external returns (uint256 id) {
        if (t.startup == address(0)) revert ILedgerErrors.ZeroAddress();
        if (t.creditLimit == 0 || t.creditLimit > type(uint56).max) revert ILedgerErrors.InvalidTerms("creditLimit");
        if (t.revenueShareBps == 0 || t.revenueShareBps > ShareMath.BPS) {
            revert ILedgerErrors.BpsOutOfRange(t.revenueShareBps, 1, ShareMath.BPS);
        }
        if (t.capMultipleBps < ShareMath.BPS) {
            revert ILedgerErrors.BpsOutOfRange(t.capMultipleBps, ShareMath.BPS, type(uint32).max);
        }
        if (t.partnerFirstBps > ShareMath.BPS) revert ILedgerErrors.BpsOutOfRange(t.partnerFirstBps, 0, ShareMath.BPS);
        if (t.periodDuration < MIN_PERIOD) revert ILedgerErrors.InvalidTerms("periodDuration");
        if (t.endTime <= t.startTime || t.endTime > type(uint40).max) revert ILedgerErrors.InvalidTerms("endTime");
        uint256 span = t.endTime - t.startTime;
        uint256 periods = span / t.periodDuration;
        if (span % t.periodDuration != 0 || periods > MAX_PERIODS) revert ILedgerErrors.InvalidTerms("endTime");
        _checkWalletFree(s, t.startup, credit);

        id = ++s.agreementCount;
        Agreement storage a = s.agreements[id];
        a.startup = t.startup;
        a.status = AgreementStatus.Proposed;
        a.startTime = uint40(t.startTime);
        a.endTime = uint40(t.endTime);
        a.periodDuration = t.periodDuration;
        a.gracePeriod = t.gracePeriod;
        a.revenueShareBps = t.revenueShareBps;
        a.capMultipleBps = t.capMultipleBps;
        a.partnerFirstBps = t.partnerFirstBps;
        a.periodCount = uint8(periods);
        a.creditLimit = uint64(t.creditLimit);
        a.termsHash = t.termsHash;
        s.openAgreementOf[t.startup] = id;
        emit IRevenueShareLedger.AgreementCreated(id, t.startup, t);
    }

    /// @notice The startup accepts a proposal: the agreement is Active and `creditLimit` DSXC are minted to it.
    function acceptAgreement(LedgerState storage s, uint256 id, IDSXCredit credit) external {
        Agreement storage a = _agreement(s, id);
        _requireStatus(a, id, AgreementStatus.Proposed);
        if (msg.sender != a.startup) revert ILedgerErrors.NotStartup(id, msg.sender);
        if (block.timestamp >= a.endTime) revert ILedgerErrors.AcceptanceClosed(id, a.endTime);
        uint256 balance = credit.balanceOf(msg.sender);
        if (balance != 0) revert ILedgerErrors.WalletHoldsCredits(msg.sender, balance);
        a.status = AgreementStatus.Active;
        a.acceptedAt = uint40(block.timestamp);
        uint256 minted = a.creditLimit;
        emit IRevenueShareLedger.AgreementAccepted(id, minted);
        credit.mint(msg.sender, minted);
    }

    /// @notice Cancels a Proposed agreement; its wallet is free again.
    function cancelAgreement(LedgerState storage s, uint256 id) external {
        Agreement storage a = _agreement(s, id);
        _requireStatus(a, id, AgreementStatus.Proposed);
        a.status = AgreementStatus.Cancelled;
        delete s.openAgreementOf[a.startup];
        delete s.pendingMigrations[id];
        emit IRevenueShareLedger.AgreementCancelled(id);
    }

    /// @notice Terminates an Active agreement for breach; usage after now is refused.
    function terminateAgreement(LedgerState storage s, uint256 id, bytes32 reasonHash) external {
        Agreement storage a = _agreement(s, id);
        _requireStatus(a, id, AgreementStatus.Active);
        a.status = AgreementStatus.Terminated;
        a.terminatedAt = uint40(block.timestamp);
        emit IRevenueShareLedger.AgreementTerminated(id, uint64(block.timestamp), reasonHash);
    }

    /// @notice Once the reporting close has passed, the agreement Expires and the startup's DSXC are burned.
    function expireCredits(LedgerState storage s, uint256 id, IDSXCredit credit, uint256 reportingGrace) external {
        Agreement storage a = _agreement(s, id);
        AgreementStatus status = a.status;
        if (status != AgreementStatus.Active && status != AgreementStatus.Terminated) {
            revert ILedgerErrors.AgreementWrongStatus(id, status);
        }
        uint256 close = AgreementMath.reportingClose(s, a, reportingGrace);
        if (block.timestamp < close) revert ILedgerErrors.ReportingStillOpen(id, close);
        address startup = a.startup;
        a.status = AgreementStatus.Expired;
        delete s.openAgreementOf[startup];
        delete s.pendingMigrations[id];
        uint256 burned = credit.balanceOf(startup);
        emit IRevenueShareLedger.CreditsExpired(id, burned);
        if (burned != 0) credit.burn(startup, burned);
    }

    /// @notice The startup's own migration happens at once (and ends a pending proposal); PROGRAM's is only
    /// proposed, executable by anyone `migrationNotice` later and cancellable by the startup until then.
    function migrateStartup(
        LedgerState storage s,
        uint256 id,
        address newWallet,
        IDSXCredit credit,
        bool callerIsProgram,
        uint256 migrationNotice
    ) external {
        Agreement storage a = _agreement(s, id);
        address from = a.startup;
        if (msg.sender != from && !callerIsProgram) revert ILedgerErrors.NotStartupOrProgram(id, msg.sender);
        if (!AgreementMath.isOpen(a.status)) revert ILedgerErrors.AgreementWrongStatus(id, a.status);
        if (newWallet == address(0)) revert ILedgerErrors.ZeroAddress();
        _checkWalletFree(s, newWallet, credit);
        if (msg.sender == from) {
            _migrate(s, a, id, newWallet, credit);
        } else {
            uint40 effectiveAt = SafeCast.toUint40(block.timestamp + migrationNotice);
            s.pendingMigrations[id] = PendingMigration(newWallet, effectiveAt);
            emit IRevenueShareLedger.StartupMigrationProposed(id, from, newWallet, effectiveAt);
        }
    }

    /// @notice Withdraws PROGRAM's migration proposal before it takes effect (the startup or PROGRAM).
    function cancelStartupMigration(LedgerState storage s, uint256 id, bool callerIsProgram) external {
        Agreement storage a = _agreement(s, id);
        if (msg.sender != a.startup && !callerIsProgram) revert ILedgerErrors.NotStartupOrProgram(id, msg.sender);
        PendingMigration memory m = s.pendingMigrations[id];
        if (m.effectiveAt == 0) revert ILedgerErrors.NoPendingMigration(id);
        if (block.timestamp >= m.effectiveAt) revert ILedgerErrors.MigrationAlreadyEffective(id, m.effectiveAt);
        delete s.pendingMigrations[id];
        emit IRevenueShareLedger.StartupMigrationCancelled(id);
    }

    /// @notice Carries out PROGRAM's migration proposal once its notice has passed (anyone); the target wallet
    /// is checked again.
    function executeStartupMigration(LedgerState storage s, uint256 id, IDSXCredit credit) external {
        Agreement storage a = _agreement(s, id);
        PendingMigration memory m = s.pendingMigrations[id];
        if (m.effectiveAt == 0) revert ILedgerErrors.NoPendingMigration(id);
        if (block.timestamp < m.effectiveAt) revert ILedgerErrors.MigrationNotYetEffective(id, m.effectiveAt);
        if (!AgreementMath.isOpen(a.status)) revert ILedgerErrors.AgreementWrongStatus(id, a.status);
        _checkWalletFree(s, m.to, credit);
        _migrate(s, a, id, m.to, credit);
    }

    /// @dev Moves the agreement and its credits to `to`; a pending proposal ends with it.
    function _migrate(LedgerState storage s, Agreement storage a, uint256 id, address to, IDSXCredit credit) private {
        address from = a.startup;
        uint256 moved = credit.balanceOf(from);
        a.startup = to;
        delete s.openAgreementOf[from];
        s.openAgreementOf[to] = id;
        delete s.pendingMigrations[id];
        emit IRevenueShareLedger.StartupMigrated(id, from, to, moved);
        if (moved != 0) {
            credit.burn(from, moved);
            credit.mint(to, moved);
        }
    }

    /// @notice The startup sets a partner's spendLimit and maxGpus: increases at once, decreases after authNotice.
    function authorizePartner(
        LedgerState storage s,
        uint256 id,
        address partner,
        uint256 spendLimit,
        uint32 maxGpus,
        uint256 authNotice
    ) external {
        Agreement storage a = _agreement(s, id);
        if (!AgreementMath.isOpen(a.status)) revert ILedgerErrors.AgreementWrongStatus(id, a.status);
        if (msg.sender != a.startup) revert ILedgerErrors.NotStartup(id, msg.sender);
        if (!s.partners[partner].registered) revert ILedgerErrors.PartnerNotRegistered(partner);
        if (spendLimit > type(uint56).max) revert ILedgerErrors.ValueTooLarge(spendLimit, type(uint56).max);
        if (maxGpus > type(uint24).max) revert ILedgerErrors.ValueTooLarge(maxGpus, type(uint24).max);
        Position memory p = a.positions[partner];
        if (spendLimit < p.spent) revert ILedgerErrors.SpendLimitBelowSpent(id, partner, spendLimit, p.spent);
        if (!_isListed(a, partner)) {
            if (a.partnerList.length >= MAX_PARTNERS) revert ILedgerErrors.TooManyPartners(id);
            a.partnerList.push(partner);
        }
        PositionExtra memory e = a.extras[partner];
        // what rules now: a matured pending decrease has taken effect
        uint256 currentSpend = e.pendingSpendLimitAt != 0 && block.timestamp >= e.pendingSpendLimitAt
            ? e.pendingSpendLimit
            : p.spendLimit;
        uint256 currentGpus = e.pendingMaxGpusAt != 0 && block.timestamp >= e.pendingMaxGpusAt
            ? e.pendingMaxGpus
            : p.maxGpus;
        uint256 effectiveAt = block.timestamp;
        uint40 decreaseAt = SafeCast.toUint40(block.timestamp + authNotice);
        (p.spendLimit, e.pendingSpendLimit, e.pendingSpendLimitAt) = spendLimit >= currentSpend
            ? (uint56(spendLimit), uint56(0), uint40(0))
            : (uint56(currentSpend), uint56(spendLimit), decreaseAt);
        (p.maxGpus, e.pendingMaxGpus, e.pendingMaxGpusAt) = maxGpus >= currentGpus
            ? (uint24(maxGpus), uint24(0), uint40(0))
            : (uint24(currentGpus), uint24(maxGpus), decreaseAt);
        p.hasPendingDecrease = e.pendingSpendLimitAt != 0 || e.pendingMaxGpusAt != 0;
        if (p.hasPendingDecrease) effectiveAt = decreaseAt;
        e.initialized = true;
        a.positions[partner] = p;
        a.extras[partner] = e;
        emit IRevenueShareLedger.PartnerAuthorized(id, partner, spendLimit, maxGpus, uint64(effectiveAt));
    }

    /// @notice The startup or an auditor disputes one agreement's lines of a batch inside its dispute window.
    function disputeUsage(
        LedgerState storage s,
        bytes32 batchId,
        uint256 agreementId,
        bytes32 reasonHash,
        bool callerIsAuditor,
        uint256 disputeWindow
    ) external {
        uint256 submittedAt = s.batches[batchId].submittedAt;
        if (submittedAt == 0) revert ILedgerErrors.UsageBatchNotFound(batchId);
        Agreement storage a = _agreement(s, agreementId);
        if (!callerIsAuditor && msg.sender != a.startup) revert ILedgerErrors.UsageDisputeNotAllowed(msg.sender);
        uint256 closesAt = submittedAt + disputeWindow;
        if (block.timestamp >= closesAt) revert ILedgerErrors.UsageDisputeWindowClosed(batchId, closesAt);
        UsageDispute storage d = s.usageDisputes[batchId][agreementId];
        if (d.state != UsageDisputeState.None) {
            revert ILedgerErrors.UsageDisputeWrongState(batchId, agreementId, d.state);
        }
        d.state = UsageDisputeState.Open;
        emit IRevenueShareLedger.UsageDisputed(batchId, agreementId, msg.sender, reasonHash);
    }

    /// @notice PROGRAM resolves a usage dispute with a refund (0 rejects it) within the agreement's credits.
    function resolveUsageDispute(
        LedgerState storage s,
        bytes32 batchId,
        uint256 agreementId,
        address partner,
        AcceptedUsageLine[] calldata acceptedLines,
        uint256 refund,
        IDSXCredit credit
    ) external {
        UsageDispute storage d = s.usageDisputes[batchId][agreementId];
        if (d.state != UsageDisputeState.Open) {
            revert ILedgerErrors.UsageDisputeWrongState(batchId, agreementId, d.state);
        }
        uint256 maxRefund = _creditsInBatch(s, batchId, agreementId, partner, acceptedLines);
        if (refund > maxRefund) revert ILedgerErrors.RefundTooLarge(refund, maxRefund);
        d.state = UsageDisputeState.Resolved;
        d.refund = uint64(refund);
        uint256 receivableRemoved = refund == 0 ? 0 : _refund(s, agreementId, partner, refund);
        emit IRevenueShareLedger.UsageDisputeResolved(batchId, agreementId, refund, receivableRemoved);
        Agreement storage a = s.agreements[agreementId];
        if (refund != 0 && a.status != AgreementStatus.Expired) {
            a.refundsMinted += uint64(refund);
            credit.mint(a.startup, refund);
        }
    }

    /// @dev The agreement's credits in the batch, once `partner` and `lines` are proven to be the batch's.
    function _creditsInBatch(
        LedgerState storage s,
        bytes32 batchId,
        uint256 agreementId,
        address partner,
        AcceptedUsageLine[] calldata lines
    ) private view returns (uint256 total) {
        if (bytes24(keccak256(abi.encode(partner, lines))) != s.batches[batchId].linesHash) {
            revert ILedgerErrors.UsageLinesMismatch(batchId);
        }
        uint256 n = lines.length;
        for (uint256 i; i < n; ++i) {
            if (lines[i].agreementId == agreementId) total += lines[i].credits;
        }
    }

    /// @dev consumed and spent fall by `refund`; the receivable by its payout share, never below what was paid.
    function _refund(
        LedgerState storage s,
        uint256 agreementId,
        address partner,
        uint256 refund
    ) private returns (uint256 receivableRemoved) {
        Agreement storage a = s.agreements[agreementId];
        Position memory p = a.positions[partner];
        uint256 reduction = ShareMath.applyBps(refund, s.partners[partner].payoutBps);
        uint256 unpaid = p.receivable - a.extras[partner].paidToPartner;
        receivableRemoved = reduction < unpaid ? reduction : unpaid;
        // refund <= this batch's credits for the agreement, which are part of `spent`
        p.spent -= uint64(refund);
        p.receivable -= uint64(receivableRemoved);
        a.positions[partner] = p;
        s.refundedAt[agreementId][partner] += uint64(refund);
    }

    function _checkWalletFree(LedgerState storage s, address wallet, IDSXCredit credit) private view {
        uint256 open = s.openAgreementOf[wallet];
        if (open != 0) revert ILedgerErrors.WalletHasOpenAgreement(wallet, open);
        uint256 balance = credit.balanceOf(wallet);
        if (balance != 0) revert ILedgerErrors.WalletHoldsCredits(wallet, balance);
    }

    function _agreement(LedgerState storage s, uint256 id) private view returns (Agreement storage a) {
        a = s.agreements[id];
        if (a.status == AgreementStatus.None) revert ILedgerErrors.AgreementNotFound(id);
    }

    function _requireStatus(Agreement storage a, uint256 id, AgreementStatus expected) private view {
        if (a.status != expected) revert ILedgerErrors.AgreementWrongStatus(id, a.status);
    }

    function _isListed(Agreement storage a, address partner) private view returns (bool) {
        address[] storage list = a.partnerList;
        uint256 n = list.length;
        for (uint256 i; i < n; ++i) {
            if (list[i] == partner) return true;
        }
        return false;
    }
}
