// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

// solhint-disable-next-line max-line-length
import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IRevenueShareLedger} from "./interfaces/IRevenueShareLedger.sol";
import {
    Terms,
    AgreementStatus,
    UsageLine,
    UsageBatch,
    AcceptedUsageLine,
    RevenueReport,
    AgreementView,
    PartnerPositionView,
    PartnerView,
    RateEntry,
    RevenuePeriodView,
    SignerSetView,
    LedgerConstants,
    UsageDisputeState
} from "./types/LedgerTypes.sol";
import {Agreement, PartnerConfig, PendingMigration, UsageBatchRecord} from "./types/LedgerStorage.sol";
import {AgreementMath} from "./libraries/AgreementMath.sol";
import {AgreementLogic} from "./libraries/AgreementLogic.sol";
import {PartnerLogic} from "./libraries/PartnerLogic.sol";
import {ProgramLogic} from "./libraries/ProgramLogic.sol";
import {RevenueLogic} from "./libraries/RevenueLogic.sol";
import {LedgerViews} from "./libraries/LedgerViews.sol";
import {SettlementLogic} from "./libraries/SettlementLogic.sol";
import {SignatureQuorum} from "./libraries/SignatureQuorum.sol";
import {LedgerStore} from "./abstracts/LedgerStore.sol";
import {UsageRecorder} from "./abstracts/UsageRecorder.sol";

/// @title RevenueShareLedger
/// @notice The DSX revenue-share ledger (PROTOCOL.md v1.1). Hot paths (usage, revenue, payment, claims) live here and
/// in UsageRecorder; the agreement lifecycle, partner administration and the larger views are delegated to
/// external libraries. No privileged call changes a startup's wallet, a partner's signers or payout address, or
/// the revenue signers without the affected party's own call or a notice on chain first.
contract RevenueShareLedger is
    IRevenueShareLedger,
    AccessControlDefaultAdminRules,
    ReentrancyGuardTransient,
    EIP712,
    UsageRecorder
{
    using SafeERC20 for IERC20;

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
    uint256 internal constant MIN_ADMIN_DELAY = 1 days;
    uint256 internal constant MAX_ADMIN_DELAY = 90 days;

    /// @param admin the one DEFAULT_ADMIN_ROLE holder, transferred in two steps after `adminDelay`
    /// @param adminDelay the admin transfer delay, 1 day .. 90 days
    /// @param constants the time constants of PROTOCOL §3, each within its range
    constructor(
        address admin,
        uint48 adminDelay,
        IERC20 settlementToken_,
        address treasury_,
        LedgerConstants memory constants
    )
        EIP712("DSX Revenue Share Ledger", "1")
        AccessControlDefaultAdminRules(adminDelay, admin)
        LedgerStore(constants, settlementToken_, ProgramLogic.deployCredit())
    {
        if (adminDelay < MIN_ADMIN_DELAY || adminDelay > MAX_ADMIN_DELAY) {
            revert InvalidConstant("ADMIN_DELAY", adminDelay);
        }
        if (treasury_ == address(0) || address(settlementToken_) == address(0)) revert ZeroAddress();
        uint8 decimals = IERC20Metadata(address(settlementToken_)).decimals();
        if (decimals != 6) revert SettlementTokenDecimals(decimals);
        ProgramLogic.setTreasury(_s, treasury_);
    }

    /// @notice Starts a change of the admin transfer delay (OpenZeppelin's rules); refused outside 1 .. 90 days.
    function changeDefaultAdminDelay(uint48 newDelay) public override {
        if (newDelay < MIN_ADMIN_DELAY || newDelay > MAX_ADMIN_DELAY) revert InvalidConstant("ADMIN_DELAY", newDelay);
        super.changeDefaultAdminDelay(newDelay);
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
    function migrateStartup(uint256 id, address newWallet) external {
        AgreementLogic.migrateStartup(_s, id, newWallet, _CREDIT, hasRole(PROGRAM_ROLE, msg.sender), MIGRATION_NOTICE);
    }

    /// @inheritdoc IRevenueShareLedger
    function cancelStartupMigration(uint256 id) external {
        AgreementLogic.cancelStartupMigration(_s, id, hasRole(PROGRAM_ROLE, msg.sender));
    }

    /// @inheritdoc IRevenueShareLedger
    function executeStartupMigration(uint256 id) external {
        AgreementLogic.executeStartupMigration(_s, id, _CREDIT);
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
    function setPartnerSigners(address partner_, address[] calldata signers, uint8 threshold) external {
        PartnerLogic.setPartnerSigners(
            _s,
            partner_,
            signers,
            threshold,
            hasRole(PROGRAM_ROLE, msg.sender),
            SIGNER_NOTICE
        );
    }

    /// @inheritdoc IRevenueShareLedger
    function setPayoutAddress(address partner_, address payout) external {
        PartnerLogic.setPayoutAddress(_s, partner_, payout, hasRole(PROGRAM_ROLE, msg.sender), PAYOUT_NOTICE);
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
        PartnerLogic.setRevenueSigners(_s, signers, threshold, SIGNER_NOTICE);
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
        _verifyBatchSignatures(partnerAddr, p, structHash, signatures);

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

    /// @dev Checks a batch's signatures against the partner's signer set in force now (PROTOCOL §5, §6).
    function _verifyBatchSignatures(
        address partnerAddr,
        PartnerConfig memory p,
        bytes32 structHash,
        bytes[] calldata signatures
    ) private view {
        (uint32 epoch, uint8 threshold) = SignatureQuorum.inForceNow(p);
        bytes32 digest = _hashTypedDataV4(structHash);
        SignatureQuorum.verify(_s.partnerSigners[partnerAddr], epoch, threshold, digest, signatures);
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
        address to = PartnerLogic.payoutInForce(_s, beneficiary, block.timestamp);
        emit Claimed(beneficiary, to, amount);
        _SETTLEMENT.safeTransfer(to, amount);
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
    function agreement(uint256) external view returns (AgreementView memory) {
        _viewFromLibrary(LedgerViews.agreement.selector);
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
    function partnerPosition(uint256, address) external view returns (PartnerPositionView memory) {
        _viewFromLibrary(LedgerViews.partnerPosition.selector);
    }

    /// @inheritdoc IRevenueShareLedger
    function partners(uint256 id) external view returns (address[] memory) {
        return _s.agreements[id].partnerList;
    }

    /// @inheritdoc IRevenueShareLedger
    function partner(address) external view returns (PartnerView memory) {
        _viewFromLibrary(LedgerViews.partner.selector);
    }

    /// @inheritdoc IRevenueShareLedger
    function rate(address, bytes32, uint64) external view returns (RateEntry memory) {
        _viewFromLibrary(LedgerViews.rate.selector);
    }

    /// @inheritdoc IRevenueShareLedger
    function rateSchedule(address, bytes32) external view returns (RateEntry[] memory) {
        _viewFromLibrary(LedgerViews.rateSchedule.selector);
    }

    /// @inheritdoc IRevenueShareLedger
    function revenuePeriod(uint256, uint32) external view returns (RevenuePeriodView memory) {
        _viewFromLibrary(LedgerViews.revenuePeriod.selector);
    }

    /// @inheritdoc IRevenueShareLedger
    function revenueSigners() external view returns (SignerSetView memory) {
        _viewFromLibrary(LedgerViews.revenueSigners.selector);
    }

    /// @inheritdoc IRevenueShareLedger
    function pendingMigration(uint256 id) external view returns (address to, uint64 effectiveAt) {
        PendingMigration memory m = _s.pendingMigrations[id];
        return (m.to, m.effectiveAt);
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

    /// @dev Answers the calling view with LedgerViews' function `selector`, its return data passed on as is (the
    /// library returns the same type), so the ledger carries no decoder for the large view structs. The library
    /// takes the state's slot and then this call's own arguments, all static. Seen as a view through a cast: a
    /// delegatecall to a view function of the ledger's own library changes nothing.
    function _viewFromLibrary(bytes4 selector) private view {
        function(bytes4) internal forward = _delegateToViews;
        function(bytes4) internal view asView;
        assembly ("memory-safe") {
            asView := forward
        }
        asView(selector);
    }

    function _delegateToViews(bytes4 selector) private {
        address views = address(LedgerViews);
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, selector)
            mstore(add(ptr, 0x04), _s.slot)
            calldatacopy(add(ptr, 0x24), 0x04, sub(calldatasize(), 0x04))
            let ok := delegatecall(gas(), views, ptr, add(calldatasize(), 0x20), 0, 0)
            returndatacopy(ptr, 0, returndatasize())
            if iszero(ok) {
                revert(ptr, returndatasize())
            }
            return(ptr, returndatasize())
        }
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
