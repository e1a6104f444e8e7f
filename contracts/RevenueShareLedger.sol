// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IRevenueShareLedger} from "./interfaces/IRevenueShareLedger.sol";
import {IDSXCredit} from "./interfaces/IDSXCredit.sol";
import {DSXCredit} from "./DSXCredit.sol";
import {
    Terms,
    AgreementStatus,
    UsageLine,
    UsageBatch,
    UsageRejection,
    AcceptedUsageLine,
    RevenueReport,
    RevenueState,
    AgreementView,
    PartnerPositionView,
    PartnerView,
    RateEntry,
    RevenuePeriodView,
    UsageDisputeState
} from "./types/LedgerTypes.sol";
import {
    Agreement,
    Position,
    Limits,
    RevenuePeriod,
    PartnerConfig,
    UsageBatchRecord,
    LedgerState
} from "./types/LedgerStorage.sol";
import {AgreementMath} from "./libraries/AgreementMath.sol";
import {AgreementLogic} from "./libraries/AgreementLogic.sol";
import {PartnerLogic} from "./libraries/PartnerLogic.sol";
import {ProgramLogic} from "./libraries/ProgramLogic.sol";
import {RevenueLogic} from "./libraries/RevenueLogic.sol";
import {LedgerViews} from "./libraries/LedgerViews.sol";
import {SettlementLogic} from "./libraries/SettlementLogic.sol";
import {ShareMath} from "./libraries/ShareMath.sol";
import {SignatureQuorum} from "./libraries/SignatureQuorum.sol";

/// @title RevenueShareLedger
/// @notice The DSX revenue-share ledger (PROTOCOL.md v1). Hot paths (usage, revenue, payment, claims) live here;
/// the agreement lifecycle, partner administration and the larger views are delegated to external libraries.
contract RevenueShareLedger is IRevenueShareLedger, AccessControl, ReentrancyGuardTransient, EIP712 {
    using SafeERC20 for IERC20;
    using AgreementMath for Agreement;

    bytes32 public constant PROGRAM_ROLE = keccak256("PROGRAM_ROLE");
    bytes32 public constant AUDITOR_ROLE = keccak256("AUDITOR_ROLE");
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    bytes32 public constant USAGE_LINE_TYPEHASH = keccak256("UsageLine(uint256 agreementId,bytes32 sku,uint64 gpuSeconds)");
    bytes32 public constant USAGE_BATCH_TYPEHASH =
        keccak256(
            "UsageBatch(address partner,uint64 sequence,uint64 periodStart,uint64 periodEnd,bytes32 recordsRoot,"
            "UsageLine[] lines)UsageLine(uint256 agreementId,bytes32 sku,uint64 gpuSeconds)"
        );
    bytes32 public constant REVENUE_REPORT_TYPEHASH =
        keccak256(
            "RevenueReport(uint256 agreementId,uint32 periodIndex,uint256 revenue,bytes32 evidenceHash,uint32 version)"
        );

    uint256 internal constant MAX_LINES = 256;
    uint8 internal constant NO_REJECTION = type(uint8).max;

    /// @notice How long a usage batch or revenue report can be disputed after submission.
    uint256 public immutable DISPUTE_WINDOW;
    /// @notice The notice a rate change needs.
    uint256 public immutable RATE_NOTICE;
    /// @notice The notice an authorization decrease needs.
    uint256 public immutable AUTH_NOTICE;
    /// @notice How long after the effective end (or the last unpause) usage may still be reported.
    uint256 public immutable REPORTING_GRACE;

    IDSXCredit internal immutable _CREDIT;
    IERC20 internal immutable _SETTLEMENT;

    LedgerState internal _s;

    /// @dev A usage line's agreement context, loaded once per agreement group of a batch.
    struct Group {
        uint256 id;
        address startup;
        uint8 rejection;
        uint256 lastUsageEndBefore;
        uint256 spendLimit;
        uint256 gpuBound;
        uint256 gpuSeconds;
        uint256 balance;
        uint256 burn;
        Position position;
    }

    constructor(
        address admin,
        IERC20 settlementToken_,
        address treasury_,
        uint256 disputeWindow,
        uint256 rateNotice,
        uint256 authNotice,
        uint256 reportingGrace
    ) EIP712("DSX Revenue Share Ledger", "1") {
        if (admin == address(0) || treasury_ == address(0) || address(settlementToken_) == address(0)) {
            revert ZeroAddress();
        }
        uint8 decimals = IERC20Metadata(address(settlementToken_)).decimals();
        if (decimals != 6) revert SettlementTokenDecimals(decimals);
        DISPUTE_WINDOW = disputeWindow;
        RATE_NOTICE = rateNotice;
        AUTH_NOTICE = authNotice;
        REPORTING_GRACE = reportingGrace;
        _SETTLEMENT = settlementToken_;
        _CREDIT = new DSXCredit(address(this));
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        ProgramLogic.setTreasury(_s, treasury_);
    }

    modifier whenNotPaused() {
        if (_s.paused) revert LedgerPaused();
        _;
    }

    // =================================================================================================
    //                                          AGREEMENTS
    // =================================================================================================

    /// @inheritdoc IRevenueShareLedger
    function createAgreement(
        Terms calldata terms
    ) external onlyRole(PROGRAM_ROLE) whenNotPaused returns (uint256) {
        return AgreementLogic.createAgreement(_s, terms, _CREDIT);
    }

    /// @inheritdoc IRevenueShareLedger
    function acceptAgreement(uint256 id) external whenNotPaused {
        AgreementLogic.acceptAgreement(_s, id, _CREDIT);
    }

    /// @inheritdoc IRevenueShareLedger
    function cancelAgreement(uint256 id) external onlyRole(PROGRAM_ROLE) {
        AgreementLogic.cancelAgreement(_s, id);
    }

    /// @inheritdoc IRevenueShareLedger
    function terminateAgreement(uint256 id, bytes32 reasonHash) external onlyRole(PROGRAM_ROLE) {
        AgreementLogic.terminateAgreement(_s, id, reasonHash);
    }

    /// @inheritdoc IRevenueShareLedger
    function expireCredits(uint256 id) external {
        AgreementLogic.expireCredits(_s, id, _CREDIT, REPORTING_GRACE);
    }

    /// @inheritdoc IRevenueShareLedger
    function migrateStartup(uint256 id, address newWallet) external onlyRole(PROGRAM_ROLE) {
        AgreementLogic.migrateStartup(_s, id, newWallet, _CREDIT);
    }

    /// @inheritdoc IRevenueShareLedger
    function authorizePartner(uint256 id, address partner_, uint256 spendLimit, uint32 maxGpus) external {
        AgreementLogic.authorizePartner(_s, id, partner_, spendLimit, maxGpus, AUTH_NOTICE);
    }

    // =================================================================================================
    //                                    PARTNERS, SIGNERS, RATES
    // =================================================================================================

    /// @inheritdoc IRevenueShareLedger
    function registerPartner(
        address partner_,
        address[] calldata signers,
        uint8 threshold,
        uint16 payoutBps
    ) external onlyRole(PROGRAM_ROLE) {
        PartnerLogic.registerPartner(_s, partner_, signers, threshold, payoutBps);
    }

    /// @inheritdoc IRevenueShareLedger
    function setPartnerSigners(
        address partner_,
        address[] calldata signers,
        uint8 threshold
    ) external onlyRole(PROGRAM_ROLE) {
        PartnerLogic.setPartnerSigners(_s, partner_, signers, threshold);
    }

    /// @inheritdoc IRevenueShareLedger
    function setPartnerActive(address partner_, bool active) external onlyRole(PROGRAM_ROLE) {
        PartnerLogic.setPartnerActive(_s, partner_, active);
    }

    /// @inheritdoc IRevenueShareLedger
    function scheduleRate(
        address partner_,
        bytes32 sku,
        uint64 creditsPerGpuHour,
        uint64 effectiveFrom
    ) external onlyRole(PROGRAM_ROLE) {
        PartnerLogic.scheduleRate(_s, partner_, sku, creditsPerGpuHour, effectiveFrom, RATE_NOTICE);
    }

    /// @inheritdoc IRevenueShareLedger
    function setRevenueSigners(address[] calldata signers, uint8 threshold) external onlyRole(PROGRAM_ROLE) {
        PartnerLogic.setRevenueSigners(_s, signers, threshold);
    }

    // =================================================================================================
    //                                             USAGE
    // =================================================================================================

    /// @inheritdoc IRevenueShareLedger
    function submitUsage(
        UsageBatch calldata batch,
        bytes[] calldata signatures
    ) external whenNotPaused returns (bytes32 batchId) {
        address partnerAddr = batch.partner;
        PartnerConfig memory p = _s.partners[partnerAddr];
        if (!p.registered) revert PartnerNotRegistered(partnerAddr);
        if (!p.active) revert PartnerInactive(partnerAddr);
        if (batch.sequence != p.nextSequence) revert UsageSequenceMismatch(partnerAddr, p.nextSequence, batch.sequence);
        uint256 lineCount = batch.lines.length;
        if (lineCount == 0 || lineCount > MAX_LINES) revert UsageLineCount(lineCount);
        if (batch.periodStart >= batch.periodEnd || batch.periodEnd > block.timestamp) {
            revert UsageWindowInvalid(batch.periodStart, batch.periodEnd);
        }
        SignatureQuorum.verify(_s.partnerSigners[partnerAddr], _usageBatchDigest(batch), signatures);

        batchId = keccak256(
            abi.encode(partnerAddr, batch.sequence, batch.periodStart, batch.periodEnd, batch.recordsRoot)
        );
        _s.partners[partnerAddr].nextSequence = p.nextSequence + 1;

        (AcceptedUsageLine[] memory accepted, uint256 acceptedCount) = _recordLines(batch, batchId, p.payoutBps);
        assembly ("memory-safe") {
            mstore(accepted, acceptedCount)
        }
        _s.batches[batchId] = UsageBatchRecord({
            submittedAt: uint64(block.timestamp),
            linesHash: bytes24(keccak256(abi.encode(partnerAddr, accepted)))
        });
        emit UsageBatchRecorded(
            batchId,
            partnerAddr,
            batch.sequence,
            batch.periodStart,
            batch.periodEnd,
            batch.recordsRoot,
            acceptedCount,
            lineCount - acceptedCount
        );
    }

    /// @dev Applies the line checks of PROTOCOL §6 in order; accepted lines burn credits and book receivables.
    function _recordLines(
        UsageBatch calldata batch,
        bytes32 batchId,
        uint16 payoutBps
    ) private returns (AcceptedUsageLine[] memory accepted, uint256 acceptedCount) {
        uint256 lineCount = batch.lines.length;
        accepted = new AcceptedUsageLine[](lineCount);
        Group memory g;
        bytes32 rateSku;
        uint256 rateValue;
        for (uint256 i; i < lineCount; ++i) {
            UsageLine calldata line = batch.lines[i];
            if (line.gpuSeconds == 0) revert UsageLineEmpty(i);
            if (i != 0) {
                UsageLine calldata prev = batch.lines[i - 1];
                if (line.agreementId < prev.agreementId || (line.agreementId == prev.agreementId && line.sku <= prev.sku)) {
                    revert UsageLinesNotAscending(i);
                }
            }
            if (i == 0 || line.sku != rateSku) {
                rateSku = line.sku;
                rateValue = _rateFor(batch.partner, line.sku, batch.periodStart, batch.periodEnd);
            }
            if (i == 0 || line.agreementId != g.id) {
                _closeGroup(g, batch.partner, batch.periodEnd);
                _openGroup(g, line.agreementId, batch);
            }

            uint8 rejection = g.rejection;
            uint256 credits;
            if (rejection == NO_REJECTION) {
                credits = ShareMath.credits(line.gpuSeconds, rateValue);
                if (rateValue == 0) rejection = uint8(UsageRejection.NoRate);
                else if (batch.periodStart < g.lastUsageEndBefore) rejection = uint8(UsageRejection.Overlap);
                else if (g.gpuSeconds + line.gpuSeconds > g.gpuBound) rejection = uint8(UsageRejection.OverGpuBound);
                else if (g.position.spent + credits > g.spendLimit) {
                    rejection = uint8(UsageRejection.OverAuthorization);
                } else if (credits > g.balance) rejection = uint8(UsageRejection.InsufficientCredits);
            }
            if (rejection != NO_REJECTION) {
                emit UsageLineRejected(batchId, line.agreementId, line.sku, UsageRejection(rejection));
                continue;
            }
            uint256 receivableAdded = ShareMath.applyBps(credits, payoutBps);
            unchecked {
                // bounded by spendLimit (< 2^64) and the startup's balance checked above
                g.gpuSeconds += line.gpuSeconds;
                g.position.spent += uint64(credits);
                g.position.receivable += uint64(receivableAdded);
                g.balance -= credits;
                g.burn += credits;
            }
            accepted[acceptedCount++] = AcceptedUsageLine(line.agreementId, line.sku, line.gpuSeconds, credits);
            emit UsageRecorded(
                batchId,
                line.agreementId,
                batch.partner,
                line.sku,
                line.gpuSeconds,
                credits,
                receivableAdded
            );
        }
        _closeGroup(g, batch.partner, batch.periodEnd);
    }

    /// @dev Loads an agreement's context and decides the checks that hold for all its lines in the batch.
    function _openGroup(Group memory g, uint256 id, UsageBatch calldata batch) private view {
        g.id = id;
        g.gpuSeconds = 0;
        g.burn = 0;
        g.rejection = NO_REJECTION;
        Agreement storage a = _s.agreements[id];
        AgreementStatus status = a.status;
        if (status != AgreementStatus.Active && status != AgreementStatus.Terminated) {
            g.rejection = uint8(UsageRejection.NotOpen);
            return;
        }
        uint256 end = status == AgreementStatus.Active ? a.endTime : a.effectiveEnd();
        if (batch.periodStart < a.startTime || batch.periodEnd > end) {
            g.rejection = uint8(UsageRejection.OutsideTerm);
            return;
        }
        // not paused here; the last period can only have been finalized once now >= end + grace
        uint256 unpausedAt = _s.lastUnpausedAt;
        uint256 close = (end > unpausedAt ? end : unpausedAt) + REPORTING_GRACE;
        if (
            block.timestamp >= close ||
            (block.timestamp >= end + REPORTING_GRACE && a.nextPeriodToFinalize == a.periodCount)
        ) {
            g.rejection = uint8(UsageRejection.ReportingClosed);
            return;
        }
        g.startup = a.startup;
        g.position = a.positions[batch.partner];
        g.lastUsageEndBefore = g.position.lastUsageEnd;
        (uint256 spendLimit, uint256 maxGpus) = AgreementMath.inForce(a.limits[batch.partner], block.timestamp);
        g.spendLimit = spendLimit;
        g.gpuBound = maxGpus * (batch.periodEnd - batch.periodStart);
        g.balance = _CREDIT.balanceOf(g.startup);
    }

    /// @dev Writes back a group's position and burns its credits.
    function _closeGroup(Group memory g, address partnerAddr, uint64 periodEnd) private {
        if (g.burn == 0) return;
        g.position.lastUsageEnd = uint40(periodEnd);
        _s.agreements[g.id].positions[partnerAddr] = g.position;
        _CREDIT.burn(g.startup, g.burn);
    }

    /// @dev The rate in force at `start` (0 if none); reverts when a scheduled rate starts inside (start, end).
    function _rateFor(address partnerAddr, bytes32 sku, uint256 start, uint256 end) private view returns (uint256) {
        RateEntry[] storage entries = _s.rates[partnerAddr][sku];
        uint256 n = entries.length;
        if (n == 0) return 0;
        RateEntry memory last = entries[n - 1];
        if (last.effectiveFrom <= start) return last.creditsPerGpuHour;
        // first entry with effectiveFrom > start
        uint256 lo;
        uint256 hi = n - 1;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (entries[mid].effectiveFrom > start) hi = mid;
            else lo = mid + 1;
        }
        uint64 nextFrom = entries[hi].effectiveFrom;
        if (nextFrom < end) revert UsageRateStraddled(sku, nextFrom);
        return hi == 0 ? 0 : entries[hi - 1].creditsPerGpuHour;
    }

    /// @inheritdoc IRevenueShareLedger
    function disputeUsage(bytes32 batchId, uint256 agreementId, bytes32 reasonHash) external {
        AgreementLogic.disputeUsage(
            _s,
            batchId,
            agreementId,
            reasonHash,
            hasRole(AUDITOR_ROLE, msg.sender),
            DISPUTE_WINDOW
        );
    }

    /// @inheritdoc IRevenueShareLedger
    function resolveUsageDispute(
        bytes32 batchId,
        uint256 agreementId,
        address partner_,
        AcceptedUsageLine[] calldata acceptedLines,
        uint256 refund
    ) external onlyRole(PROGRAM_ROLE) {
        AgreementLogic.resolveUsageDispute(_s, batchId, agreementId, partner_, acceptedLines, refund, _CREDIT);
    }

    // =================================================================================================
    //                                            REVENUE
    // =================================================================================================

    /// @inheritdoc IRevenueShareLedger
    function submitRevenue(RevenueReport calldata report, bytes[] calldata signatures) external whenNotPaused {
        RevenueLogic.submitRevenue(_s, report, signatures, _revenueReportDigest(report));
    }

    /// @inheritdoc IRevenueShareLedger
    function disputeRevenue(uint256 id, uint32 periodIndex, bytes32 reasonHash) external onlyRole(AUDITOR_ROLE) {
        RevenueLogic.disputeRevenue(_s, id, periodIndex, reasonHash, DISPUTE_WINDOW);
    }

    /// @inheritdoc IRevenueShareLedger
    function resolveRevenueDispute(uint256 id, uint32 periodIndex, bool upheld) external onlyRole(PROGRAM_ROLE) {
        RevenueLogic.resolveRevenueDispute(_s, id, periodIndex, upheld);
    }

    /// @inheritdoc IRevenueShareLedger
    function finalizeRevenue(uint256 id, uint32 periodIndex) external {
        RevenueLogic.finalizeRevenue(_s, id, periodIndex, DISPUTE_WINDOW, REPORTING_GRACE);
    }

    // =================================================================================================
    //                                      PAYMENT AND CLAIMS
    // =================================================================================================

    /// @inheritdoc IRevenueShareLedger
    function pay(uint256 id, uint256 amount) external nonReentrant returns (uint256) {
        return SettlementLogic.pay(_s, id, amount, _SETTLEMENT);
    }

    /// @inheritdoc IRevenueShareLedger
    function payWithPermit(
        uint256 id,
        uint256 amount,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant returns (uint256) {
        // a front-run permit has already set the allowance: ignore its failure, the transfer checks the allowance
        try IERC20Permit(address(_SETTLEMENT)).permit(msg.sender, address(this), amount, deadline, v, r, s) {} catch {}
        return SettlementLogic.pay(_s, id, amount, _SETTLEMENT);
    }

    /// @inheritdoc IRevenueShareLedger
    function claim(address beneficiary) external nonReentrant returns (uint256 amount) {
        amount = _s.claimable[beneficiary];
        if (amount == 0) revert NothingToClaim(beneficiary);
        _s.claimable[beneficiary] = 0;
        emit Claimed(beneficiary, beneficiary, amount);
        _SETTLEMENT.safeTransfer(beneficiary, amount);
    }

    /// @inheritdoc IRevenueShareLedger
    function claimProgram() external nonReentrant returns (uint256) {
        return ProgramLogic.claimProgram(_s, _SETTLEMENT);
    }

    /// @inheritdoc IRevenueShareLedger
    function recordAudit(
        uint256 agreementId,
        uint256 throughBlock,
        bytes32 reportHash,
        bool clean
    ) external onlyRole(AUDITOR_ROLE) {
        ProgramLogic.recordAudit(_s, agreementId, throughBlock, reportHash, clean);
    }

    /// @inheritdoc IRevenueShareLedger
    function setTreasury(address treasury_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        ProgramLogic.setTreasury(_s, treasury_);
    }

    /// @inheritdoc IRevenueShareLedger
    function pause() external onlyRole(PAUSER_ROLE) {
        ProgramLogic.setPaused(_s, true);
    }

    /// @inheritdoc IRevenueShareLedger
    function unpause() external onlyRole(PAUSER_ROLE) {
        ProgramLogic.setPaused(_s, false);
    }

    // =================================================================================================
    //                                             VIEWS
    // =================================================================================================

    /// @inheritdoc IRevenueShareLedger
    function agreement(uint256 id) external view returns (AgreementView memory) {
        return LedgerViews.agreement(_s, id);
    }

    /// @inheritdoc IRevenueShareLedger
    function agreementCount() external view returns (uint256) {
        return _s.agreementCount;
    }

    /// @inheritdoc IRevenueShareLedger
    function openAgreementOf(address wallet) external view returns (uint256) {
        return _s.openAgreementOf[wallet];
    }

    /// @inheritdoc IRevenueShareLedger
    function partnerPosition(uint256 id, address partner_) external view returns (PartnerPositionView memory) {
        return LedgerViews.partnerPosition(_s, id, partner_);
    }

    /// @inheritdoc IRevenueShareLedger
    function partners(uint256 id) external view returns (address[] memory) {
        return _s.agreements[id].partnerList;
    }

    /// @inheritdoc IRevenueShareLedger
    function partner(address partner_) external view returns (PartnerView memory) {
        return LedgerViews.partner(_s, partner_);
    }

    /// @inheritdoc IRevenueShareLedger
    function rate(address partner_, bytes32 sku, uint64 at) external view returns (RateEntry memory) {
        return LedgerViews.rate(_s, partner_, sku, at);
    }

    /// @inheritdoc IRevenueShareLedger
    function rateSchedule(address partner_, bytes32 sku) external view returns (RateEntry[] memory) {
        return _s.rates[partner_][sku];
    }

    /// @inheritdoc IRevenueShareLedger
    function revenuePeriod(uint256 id, uint32 periodIndex) external view returns (RevenuePeriodView memory) {
        return LedgerViews.revenuePeriod(_s, id, periodIndex);
    }

    /// @inheritdoc IRevenueShareLedger
    function revenueSigners() external view returns (address[] memory, uint8) {
        return (_s.revenueSigners.signers, _s.revenueSigners.threshold);
    }

    /// @inheritdoc IRevenueShareLedger
    function usageBatch(bytes32 batchId) external view returns (uint64, bytes24) {
        UsageBatchRecord memory record = _s.batches[batchId];
        return (record.submittedAt, record.linesHash);
    }

    /// @inheritdoc IRevenueShareLedger
    function usageDispute(bytes32 batchId, uint256 agreementId) external view returns (UsageDisputeState, uint256) {
        return (_s.usageDisputes[batchId][agreementId].state, _s.usageDisputes[batchId][agreementId].refund);
    }

    /// @inheritdoc IRevenueShareLedger
    function reportingClose(uint256 id) external view returns (uint256) {
        return AgreementMath.reportingClose(_s, _agreement(id), REPORTING_GRACE);
    }

    /// @inheritdoc IRevenueShareLedger
    function lastUnpausedAt() external view returns (uint64) {
        return _s.lastUnpausedAt;
    }

    /// @inheritdoc IRevenueShareLedger
    function paused() external view returns (bool) {
        return _s.paused;
    }

    /// @inheritdoc IRevenueShareLedger
    function claimable(address account) external view returns (uint256) {
        return _s.claimable[account];
    }

    /// @inheritdoc IRevenueShareLedger
    function programClaimable() external view returns (uint256) {
        return _s.programClaimable;
    }

    /// @inheritdoc IRevenueShareLedger
    function treasury() external view returns (address) {
        return _s.treasury;
    }

    /// @inheritdoc IRevenueShareLedger
    function credit() external view returns (address) {
        return address(_CREDIT);
    }

    /// @inheritdoc IRevenueShareLedger
    function settlementToken() external view returns (address) {
        return address(_SETTLEMENT);
    }

    /// @inheritdoc IRevenueShareLedger
    function usageBatchId(
        address partner_,
        uint64 sequence,
        uint64 periodStart,
        uint64 periodEnd,
        bytes32 recordsRoot
    ) external pure returns (bytes32) {
        return keccak256(abi.encode(partner_, sequence, periodStart, periodEnd, recordsRoot));
    }

    function _usageBatchDigest(UsageBatch calldata batch) private view returns (bytes32) {
        uint256 n = batch.lines.length;
        bytes32[] memory lineHashes = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            UsageLine calldata line = batch.lines[i];
            lineHashes[i] = keccak256(abi.encode(USAGE_LINE_TYPEHASH, line.agreementId, line.sku, line.gpuSeconds));
        }
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(
                        USAGE_BATCH_TYPEHASH,
                        batch.partner,
                        batch.sequence,
                        batch.periodStart,
                        batch.periodEnd,
                        batch.recordsRoot,
                        keccak256(abi.encodePacked(lineHashes))
                    )
                )
            );
    }

    function _revenueReportDigest(RevenueReport calldata report) private view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(
                        REVENUE_REPORT_TYPEHASH,
                        report.agreementId,
                        report.periodIndex,
                        report.revenue,
                        report.evidenceHash,
                        report.version
                    )
                )
            );
    }

    function _agreement(uint256 id) private view returns (Agreement storage a) {
        a = _s.agreements[id];
        if (a.status == AgreementStatus.None) revert AgreementNotFound(id);
    }
}
