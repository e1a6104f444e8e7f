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
    AgreementView,
    PartnerPositionView,
    PartnerView,
    RateEntry,
    RevenuePeriodView,
    UsageDisputeState
} from "./types/LedgerTypes.sol";
import {Agreement, Position, PartnerConfig, RateCard, UsageBatchRecord, LedgerState} from "./types/LedgerStorage.sol";
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

    bytes32 public constant USAGE_LINE_TYPEHASH =
        keccak256("UsageLine(uint256 agreementId,bytes32 sku,uint64 gpuSeconds)");
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
    uint256 internal constant NO_REJECTION = type(uint256).max;

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

    /// @dev A batch's running context, kept in memory: the current agreement group and the rate cache.
    /// `position` is the raw storage word of the (agreement, partner) Position, updated in place.
    struct Cursor {
        uint256 id;
        address startup;
        uint256 rejection;
        uint256 positionSlot;
        uint256 position;
        uint256 lastUsageEndBefore;
        uint256 spendLimit;
        uint256 gpuBound;
        uint256 gpuSeconds;
        uint256 balance;
        uint256 burn;
        bytes32 sku;
        uint256 rate;
        bytes32 batchId;
        uint256 payoutBps;
        address partner;
        uint256 periodStart;
        uint256 periodEnd;
        bytes32 previousSku;
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
    function createAgreement(Terms calldata terms) external onlyRole(PROGRAM_ROLE) whenNotPaused returns (uint256) {
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
        // [typehash, partner, sequence, periodStart, periodEnd, recordsRoot, lines hash]: the EIP-712 struct
        // encoding, whose words 1..5 are also abi.encode(partner, sequence, periodStart, periodEnd, recordsRoot)
        bytes32[7] memory typed = [
            USAGE_BATCH_TYPEHASH,
            bytes32(uint256(uint160(batch.partner))),
            bytes32(uint256(batch.sequence)),
            bytes32(uint256(batch.periodStart)),
            bytes32(uint256(batch.periodEnd)),
            batch.recordsRoot,
            bytes32(0)
        ];
        address partnerAddr = address(uint160(uint256(typed[1])));
        PartnerConfig memory p = _s.partners[partnerAddr];
        if (!p.registered) revert PartnerNotRegistered(partnerAddr);
        if (!p.active) revert PartnerInactive(partnerAddr);
        if (uint256(typed[2]) != p.nextSequence) {
            revert UsageSequenceMismatch(partnerAddr, p.nextSequence, uint64(uint256(typed[2])));
        }
        uint256 lineCount = batch.lines.length;
        if (lineCount == 0 || lineCount > MAX_LINES) revert UsageLineCount(lineCount);
        if (typed[3] >= typed[4] || uint256(typed[4]) > block.timestamp) {
            revert UsageWindowInvalid(uint64(uint256(typed[3])), uint64(uint256(typed[4])));
        }
        typed[6] = _linesTypedHash(batch.lines);
        bytes32 structHash;
        assembly ("memory-safe") {
            structHash := keccak256(typed, 0xe0)
            batchId := keccak256(add(typed, 0x20), 0xa0)
        }
        SignatureQuorum.verify(
            _s.partnerSigners[partnerAddr],
            p.signerEpoch,
            p.threshold,
            _hashTypedDataV4(structHash),
            signatures
        );

        _s.partners[partnerAddr].nextSequence = p.nextSequence + 1;
        (uint256 accepted, bytes32 linesHash) = _recordLines(batch, batchId, p.payoutBps);
        _s.batches[batchId] = UsageBatchRecord(uint64(block.timestamp), bytes24(linesHash));
        emit UsageBatchRecorded(
            batchId,
            partnerAddr,
            uint64(uint256(typed[2])),
            uint64(uint256(typed[3])),
            uint64(uint256(typed[4])),
            typed[5],
            accepted,
            lineCount - accepted
        );
    }

    /// @dev Applies the line checks of PROTOCOL §6 in order; accepted lines burn credits and book receivables.
    /// Returns the accepted count and keccak256(abi.encode(partner, AcceptedUsageLine[])), built in place.
    function _recordLines(
        UsageBatch calldata batch,
        bytes32 batchId,
        uint256 payoutBps
    ) private returns (uint256 accepted, bytes32 linesHash) {
        UsageLine[] calldata lines = batch.lines;
        uint256 n = lines.length;
        Cursor memory c;
        c.batchId = batchId;
        c.payoutBps = payoutBps;
        c.partner = batch.partner;
        c.periodStart = batch.periodStart;
        c.periodEnd = batch.periodEnd;
        // abi.encode(partner, AcceptedUsageLine[]): partner, offset 0x40, length, then 4 words per line
        uint256[] memory encoded = new uint256[](3 + 4 * n);
        encoded[0] = uint160(c.partner);
        encoded[1] = 0x40;
        for (uint256 i; i < n; ++i) {
            uint256 id;
            bytes32 sku;
            uint256 gpuSeconds;
            assembly ("memory-safe") {
                let line := add(lines.offset, mul(i, 0x60))
                id := calldataload(line)
                sku := calldataload(add(line, 0x20))
                gpuSeconds := calldataload(add(line, 0x40))
            }
            if (gpuSeconds == 0 || gpuSeconds > type(uint64).max) revert UsageLineEmpty(i);
            _enterLine(c, i, id, sku);
            (uint256 rejection, uint256 credits) = _checkLine(c, gpuSeconds);
            if (rejection != NO_REJECTION) {
                emit UsageLineRejected(c.batchId, id, sku, UsageRejection(rejection));
                continue;
            }
            uint256 receivableAdded = _book(c, gpuSeconds, credits);
            assembly ("memory-safe") {
                let at := add(encoded, mul(add(3, mul(accepted, 4)), 0x20))
                mstore(add(at, 0x20), id)
                mstore(add(at, 0x40), sku)
                mstore(add(at, 0x60), gpuSeconds)
                mstore(add(at, 0x80), credits)
            }
            ++accepted;
            emit UsageRecorded(c.batchId, id, c.partner, sku, uint64(gpuSeconds), credits, receivableAdded);
        }
        _closeGroup(c);
        encoded[2] = accepted;
        assembly ("memory-safe") {
            linesHash := keccak256(add(encoded, 0x20), mul(add(3, mul(accepted, 4)), 0x20))
        }
    }

    /// @dev Checks line i's order, refreshes the rate cache on a new sku and opens a new agreement group.
    function _enterLine(Cursor memory c, uint256 i, uint256 id, bytes32 sku) private {
        if (i == 0 || sku != c.sku) {
            c.sku = sku;
            c.rate = _rateFor(c.partner, sku, c.periodStart, c.periodEnd);
        }
        if (i == 0 || id != c.id) {
            if (i != 0 && id < c.id) revert UsageLinesNotAscending(i);
            _closeGroup(c);
            _openGroup(c, id);
        } else if (sku <= c.previousSku) {
            revert UsageLinesNotAscending(i);
        }
        c.previousSku = sku;
    }

    /// @dev The per-line checks after the agreement-wide ones, in the order of PROTOCOL §6.
    function _checkLine(Cursor memory c, uint256 gpuSeconds) private pure returns (uint256 rejection, uint256 credits) {
        if (c.rejection != NO_REJECTION) return (c.rejection, 0);
        if (c.rate == 0) return (uint256(UsageRejection.NoRate), 0);
        if (c.periodStart < c.lastUsageEndBefore) return (uint256(UsageRejection.Overlap), 0);
        if (c.gpuSeconds + gpuSeconds > c.gpuBound) return (uint256(UsageRejection.OverGpuBound), 0);
        credits = ShareMath.credits(gpuSeconds, c.rate);
        if (uint64(c.position) + credits > c.spendLimit) return (uint256(UsageRejection.OverAuthorization), 0);
        if (credits > c.balance) return (uint256(UsageRejection.InsufficientCredits), 0);
        return (NO_REJECTION, credits);
    }

    /// @dev Books an accepted line into the cursor: spent and receivable in the position word, the burn total.
    function _book(
        Cursor memory c,
        uint256 gpuSeconds,
        uint256 credits
    ) private pure returns (uint256 receivableAdded) {
        receivableAdded = ShareMath.applyBps(credits, c.payoutBps);
        uint256 receivable = uint64(c.position >> 64) + receivableAdded;
        if (receivable > type(uint64).max) revert ValueTooLarge(receivable, type(uint64).max);
        unchecked {
            // spent + credits <= spendLimit < 2^64 and credits <= balance (checked in _checkLine)
            c.position =
                (c.position & ~uint256(type(uint128).max)) |
                (receivable << 64) |
                (uint64(c.position) + credits);
            c.gpuSeconds += gpuSeconds;
            c.balance -= credits;
            c.burn += credits;
        }
    }

    /// @dev Loads an agreement's context and decides the checks that hold for all its lines in the batch.
    function _openGroup(Cursor memory c, uint256 id) private view {
        c.id = id;
        c.gpuSeconds = 0;
        c.burn = 0;
        c.rejection = NO_REJECTION;
        Agreement storage a = _s.agreements[id];
        (address startup, AgreementStatus status, uint256 startTime, uint256 end) = AgreementMath.hotFields(a);
        if (status != AgreementStatus.Active && status != AgreementStatus.Terminated) {
            c.rejection = uint256(UsageRejection.NotOpen);
            return;
        }
        if (status == AgreementStatus.Terminated) end = a.effectiveEnd();
        if (c.periodStart < startTime || c.periodEnd > end) {
            c.rejection = uint256(UsageRejection.OutsideTerm);
            return;
        }
        // not paused here; the last period can only have been finalized once now >= end + grace
        uint256 unpausedAt = _s.lastUnpausedAt;
        uint256 close = (end > unpausedAt ? end : unpausedAt) + REPORTING_GRACE;
        if (
            block.timestamp >= close ||
            (block.timestamp >= end + REPORTING_GRACE && a.nextPeriodToFinalize == a.periodCount)
        ) {
            c.rejection = uint256(UsageRejection.ReportingClosed);
            return;
        }
        c.startup = startup;
        _loadPosition(c, a);
        c.balance = _creditBalanceOf(startup);
    }

    /// @dev Loads the (agreement, partner) position word, its authorization in force and the window's GPU bound.
    function _loadPosition(Cursor memory c, Agreement storage a) private view {
        Position storage position = a.positions[c.partner];
        uint256 slot;
        uint256 word;
        assembly ("memory-safe") {
            slot := position.slot
            word := sload(slot)
        }
        c.positionSlot = slot;
        c.position = word;
        c.lastUsageEndBefore = AgreementMath.lastUsageEndOf(word);
        (uint256 spendLimit, uint256 maxGpus) = AgreementMath.limitsInForce(word, a.extras[c.partner], block.timestamp);
        c.spendLimit = spendLimit;
        c.gpuBound = maxGpus * (c.periodEnd - c.periodStart);
    }

    /// @dev Writes back the position of a group that accepted lines (lastUsageEnd = periodEnd), burns its credits.
    function _closeGroup(Cursor memory c) private {
        if (c.gpuSeconds == 0) return;
        uint256 word = AgreementMath.withLastUsageEnd(c.position, c.periodEnd);
        uint256 slot = c.positionSlot;
        assembly ("memory-safe") {
            sstore(slot, word)
        }
        if (c.burn != 0) _burnCredits(c.startup, c.burn);
    }

    /// @dev DSXC balance of `account` (a lean call: the token is the ledger's own, deployed by it).
    function _creditBalanceOf(address account) private view returns (uint256 amount) {
        address token = address(_CREDIT);
        uint256 selector = uint32(IERC20.balanceOf.selector);
        assembly ("memory-safe") {
            mstore(0x00, shl(224, selector))
            mstore(0x04, and(account, 0xffffffffffffffffffffffffffffffffffffffff))
            if iszero(staticcall(gas(), token, 0x00, 0x24, 0x00, 0x20)) {
                revert(0, 0)
            }
            amount := mload(0x00)
        }
    }

    /// @dev Burns `amount` DSXC from `account` (a lean call to the ledger's own token; bubbles a revert).
    function _burnCredits(address account, uint256 amount) private {
        address token = address(_CREDIT);
        uint256 selector = uint32(IDSXCredit.burn.selector);
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, shl(224, selector))
            mstore(add(ptr, 0x04), and(account, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(ptr, 0x24), amount)
            if iszero(call(gas(), token, 0, ptr, 0x44, 0, 0)) {
                returndatacopy(ptr, 0, returndatasize())
                revert(ptr, returndatasize())
            }
        }
    }

    /// @dev The rate in force at `start` (0 if none); reverts when a scheduled rate starts inside (start, end).
    function _rateFor(address partnerAddr, bytes32 sku, uint256 start, uint256 end) private view returns (uint256) {
        RateCard memory card = _s.rateCards[partnerAddr][sku];
        if (card.count == 0) return 0;
        if (card.effectiveFrom <= start) return card.creditsPerGpuHour;
        // the first entry with effectiveFrom > start; the latest one qualifies
        mapping(uint256 => RateEntry) storage history = _s.rateHistory[partnerAddr][sku];
        uint256 lo;
        uint256 hi = card.count - 1;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (history[mid].effectiveFrom > start) hi = mid;
            else lo = mid + 1;
        }
        uint256 nextFrom = hi == card.count - 1 ? card.effectiveFrom : history[hi].effectiveFrom;
        if (nextFrom < end) revert UsageRateStraddled(sku, uint64(nextFrom));
        return hi == 0 ? 0 : history[hi - 1].creditsPerGpuHour;
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
        return LedgerViews.rateSchedule(_s, partner_, sku);
    }

    /// @inheritdoc IRevenueShareLedger
    function revenuePeriod(uint256 id, uint32 periodIndex) external view returns (RevenuePeriodView memory) {
        return LedgerViews.revenuePeriod(_s, id, periodIndex);
    }

    /// @inheritdoc IRevenueShareLedger
    function revenueSigners() external view returns (address[] memory, uint8) {
        return LedgerViews.revenueSigners(_s);
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

    /// @dev hashStruct of the lines array for EIP-712: keccak256 of the concatenated UsageLine struct hashes.
    function _linesTypedHash(UsageLine[] calldata lines) private pure returns (bytes32 linesHash) {
        bytes32 lineTypehash = USAGE_LINE_TYPEHASH;
        assembly ("memory-safe") {
            // scratch past the free memory pointer: n line hashes, then one typehash + line buffer
            let hashes := mload(0x40)
            let n := lines.length
            let buffer := add(hashes, mul(n, 0x20))
            mstore(buffer, lineTypehash)
            for {
                let i := 0
            } lt(i, n) {
                i := add(i, 1)
            } {
                calldatacopy(add(buffer, 0x20), add(lines.offset, mul(i, 0x60)), 0x60)
                mstore(add(hashes, mul(i, 0x20)), keccak256(buffer, 0x80))
            }
            linesHash := keccak256(hashes, mul(n, 0x20))
        }
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
