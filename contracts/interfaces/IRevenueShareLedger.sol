// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {ILedgerErrors} from "./ILedgerErrors.sol";
import {
    Terms,
    UsageBatch,
    UsageRejection,
    AcceptedUsageLine,
    RevenueReport,
    AgreementView,
    PartnerPositionView,
    PartnerView,
    RateEntry,
    RevenuePeriodView,
    SignerSetView,
    UsageDisputeState
} from "../types/LedgerTypes.sol";

/// @title IRevenueShareLedger
/// @notice The DSX revenue-share ledger (PROTOCOL.md v1.1): agreements, partners' usage attestations, optimistic
/// revenue reports, the sequential cap, FIFO settlement, the partner-first waterfall and pull claims.
/// @dev Every state change emits an event, so the whole ledger can be rebuilt from logs (PROTOCOL §11).
interface IRevenueShareLedger is ILedgerErrors {
    // =================================================================================================
    //                                             EVENTS
    // =================================================================================================

    /// @notice A proposal to `startup` with its terms.
    event AgreementCreated(uint256 indexed id, address indexed startup, Terms terms);
    /// @notice The startup accepted; `creditsMinted` DSXC were minted to it.
    event AgreementAccepted(uint256 indexed id, uint256 creditsMinted);
    /// @notice A Proposed agreement was cancelled; its wallet is free again.
    event AgreementCancelled(uint256 indexed id);
    /// @notice The program terminated an Active agreement for breach; usage after `terminatedAt` is refused.
    event AgreementTerminated(uint256 indexed id, uint64 terminatedAt, bytes32 reasonHash);
    /// @notice The reporting close passed: the startup's remaining `burned` DSXC were burned.
    event CreditsExpired(uint256 indexed id, uint256 burned);
    /// @notice The agreement moved from wallet `from` to `to` with `credits` DSXC.
    event StartupMigrated(uint256 indexed id, address indexed from, address indexed to, uint256 credits);
    /// @notice PROGRAM proposed moving the agreement from `from` to `to`; anyone may execute it from `effectiveAt`,
    /// the startup may cancel it until then.
    event StartupMigrationProposed(uint256 indexed id, address indexed from, address indexed to, uint64 effectiveAt);
    /// @notice A proposed migration was withdrawn before it took effect.
    event StartupMigrationCancelled(uint256 indexed id);
    /// @param effectiveAt when the whole authorization is in force (increases apply at once).
    event PartnerAuthorized(
        uint256 indexed id,
        address indexed partner,
        uint256 spendLimit,
        uint32 maxGpus,
        uint64 effectiveAt
    );
    /// @notice A cloud partner with its k-of-n usage signers and payout share.
    event PartnerRegistered(address indexed partner, address[] signers, uint8 threshold, uint16 payoutBps);
    /// @notice A partner's signer set was rotated by the partner, in force at once.
    event PartnerSignersSet(address indexed partner, address[] signers, uint8 threshold);
    /// @notice PROGRAM proposed a partner's new signer set; it is in force from `effectiveAt` with no further event.
    event PartnerSignersProposed(address indexed partner, address[] signers, uint8 threshold, uint64 effectiveAt);
    /// @notice Where `partner`'s claims are paid from `effectiveAt` on (now when the partner set it).
    event PayoutAddressSet(address indexed partner, address indexed payout, uint64 effectiveAt);
    /// @notice A partner was (de)activated.
    event PartnerActiveSet(address indexed partner, bool active);
    /// @notice A partner's rate for `sku` from `effectiveFrom` (6-decimal credits per GPU-hour).
    event RateScheduled(address indexed partner, bytes32 indexed sku, uint64 creditsPerGpuHour, uint64 effectiveFrom);
    /// @notice The program-wide revenue signer set, in force at once (the first one).
    event RevenueSignersSet(address[] signers, uint8 threshold);
    /// @notice A later revenue signer set proposed by PROGRAM; it is in force from `effectiveAt`.
    event RevenueSignersProposed(address[] signers, uint8 threshold, uint64 effectiveAt);
    /// @notice The treasury that `claimProgram` pays.
    event TreasurySet(address indexed treasury);
    /// @notice A usage batch passed the batch checks; its lines were accepted or rejected one by one.
    event UsageBatchRecorded(
        bytes32 indexed batchId,
        address indexed partner,
        uint64 sequence,
        uint64 periodStart,
        uint64 periodEnd,
        bytes32 recordsRoot,
        uint256 linesAccepted,
        uint256 linesRejected
    );
    /// @notice An accepted usage line: `credits` burned from the startup, `receivableAdded` booked for the partner.
    event UsageRecorded(
        bytes32 indexed batchId,
        uint256 indexed agreementId,
        address indexed partner,
        bytes32 sku,
        uint64 gpuSeconds,
        uint256 credits,
        uint256 receivableAdded
    );
    /// @notice A skipped usage line; it leaves no trace and can be reported again.
    event UsageLineRejected(bytes32 indexed batchId, uint256 indexed agreementId, bytes32 sku, UsageRejection reason);
    /// @notice A usage dispute (credit-note request) for one agreement's lines of a batch.
    event UsageDisputed(bytes32 indexed batchId, uint256 indexed agreementId, address by, bytes32 reasonHash);
    /// @notice A usage dispute's outcome: `refund` credits re-minted, `receivableRemoved` taken off the partner.
    event UsageDisputeResolved(
        bytes32 indexed batchId,
        uint256 indexed agreementId,
        uint256 refund,
        uint256 receivableRemoved
    );
    /// @notice A revenue report (version `version`) is Pending with a new dispute window.
    event RevenueReported(
        uint256 indexed agreementId,
        uint32 indexed periodIndex,
        uint32 version,
        uint256 revenue,
        bytes32 evidenceHash
    );
    /// @notice An auditor disputed a Pending report.
    event RevenueDisputed(uint256 indexed agreementId, uint32 indexed periodIndex, address by, bytes32 reasonHash);
    /// @notice A revenue dispute's outcome: upheld -> Rejected, else Cleared.
    event RevenueDisputeResolved(uint256 indexed agreementId, uint32 indexed periodIndex, bool upheld);
    /// @notice A period was finalized: `owed` booked (sequential cap), due at `due`.
    event RevenueFinalized(
        uint256 indexed agreementId,
        uint32 indexed periodIndex,
        uint256 revenue,
        uint256 owed,
        uint64 due
    );
    /// @notice A payment of `amount` applied: `toPartners` credited to partners, `toProgram` to the program.
    event PaymentApplied(
        uint256 indexed agreementId,
        address indexed payer,
        uint256 amount,
        uint256 toPartners,
        uint256 toProgram
    );
    /// @notice The program's share is distributed to beneficiary `address(0)`.
    event Distributed(uint256 indexed agreementId, address indexed beneficiary, uint256 amount);
    /// @notice The program's claim has beneficiary `address(0)` and `to` the treasury.
    event Claimed(address indexed beneficiary, address to, uint256 amount);
    /// @notice OpenZeppelin Pausable's events; the block of `Unpaused` gives `lastUnpausedAt`.
    event Paused(address account);
    event Unpaused(address account);
    /// @notice An auditor verified the agreement's books through `throughBlock`; the report hashes to `reportHash`.
    event AuditRecorded(
        uint256 indexed agreementId,
        address indexed auditor,
        uint256 throughBlock,
        bytes32 reportHash,
        bool clean
    );

    // =================================================================================================
    //                                          AGREEMENTS
    // =================================================================================================

    /// @notice Proposes an agreement to `terms.startup`.
    /// @dev Emits {AgreementCreated}.
    /// Requirements:
    /// - caller has PROGRAM_ROLE; not paused;
    /// - 1 <= revenueShareBps <= 10_000, capMultipleBps >= 10_000, partnerFirstBps <= 10_000;
    /// - periodDuration >= 1 day; endTime = startTime + n x periodDuration with 1 <= n <= 120;
    /// - 0 < creditLimit < 2^56 (as every spend limit); the wallet has no open agreement and holds no DSXC.
    function createAgreement(Terms calldata terms) external returns (uint256 id);

    /// @notice Accepts a proposal: mints `creditLimit` DSXC to the startup.
    /// @dev Emits {AgreementAccepted}. Requirements: caller is the startup; Proposed; now < endTime; not paused;
    /// the startup holds no DSXC.
    function acceptAgreement(uint256 id) external;

    /// @notice Cancels a Proposed agreement. Emits {AgreementCancelled}. Requirements: PROGRAM_ROLE.
    function cancelAgreement(uint256 id) external;

    /// @notice Terminates an Active agreement for breach; usage after `terminatedAt` is refused.
    /// @dev Emits {AgreementTerminated}. Requirements: PROGRAM_ROLE; Active.
    function terminateAgreement(uint256 id, bytes32 reasonHash) external;

    /// @notice Burns the startup's whole DSXC balance once the reporting close has passed.
    /// @dev Emits {CreditsExpired}. Requirements: Active or Terminated; now >= reportingClose(id).
    function expireCredits(uint256 id) external;

    /// @notice Moves an agreement to a new startup wallet (a multisig, lost keys); credits move with it.
    /// Sent by the startup's wallet it happens at once; sent by PROGRAM it is only proposed and takes effect
    /// MIGRATION_NOTICE later through {executeStartupMigration}; a newer proposal replaces an older one.
    /// @dev Emits {StartupMigrated} (startup) or {StartupMigrationProposed} (PROGRAM). Requirements: the caller
    /// is the startup or has PROGRAM_ROLE; Proposed, Active or Terminated; the new wallet is not zero, has no
    /// open agreement and holds no DSXC.
    function migrateStartup(uint256 id, address newWallet) external;

    /// @notice Withdraws PROGRAM's migration proposal before it takes effect.
    /// @dev Emits {StartupMigrationCancelled}. Requirements: the caller is the startup or has PROGRAM_ROLE;
    /// a proposal is pending; now < its effectiveAt.
    function cancelStartupMigration(uint256 id) external;

    /// @notice Carries out PROGRAM's migration proposal once its notice has passed; anyone may send it.
    /// @dev Emits {StartupMigrated}. Requirements: a proposal is pending; now >= its effectiveAt; the agreement is
    /// Proposed, Active or Terminated; the target has no open agreement and holds no DSXC.
    function executeStartupMigration(uint256 id) external;

    /// @notice Sets a partner's cumulative credit `spendLimit` and `maxGpus` for the agreement.
    /// @dev Emits {PartnerAuthorized}. Each field on its own: an increase applies at once, a decrease after
    /// AUTH_NOTICE (the old value rules until then); a new call replaces a pending decrease.
    /// Requirements: caller is the startup; Proposed, Active or Terminated; the partner is registered;
    /// spendLimit >= spent; spendLimit < 2^56 and maxGpus < 2^24; at most 16 partners per agreement.
    function authorizePartner(uint256 id, address partner, uint256 spendLimit, uint32 maxGpus) external;

    // =================================================================================================
    //                                    PARTNERS, SIGNERS, RATES
    // =================================================================================================

    /// @notice Registers a cloud partner with its k-of-n oracle signer set and payout share.
    /// @dev Emits {PartnerRegistered}. Requirements: PROGRAM_ROLE; 1 <= k <= n <= 16, no duplicate or zero
    /// signer; payoutBps <= 10_000.
    function registerPartner(address partner, address[] calldata signers, uint8 threshold, uint16 payoutBps) external;

    /// @notice Rotates a partner's signer set: sent by the partner it is in force at once (and replaces a pending
    /// set); sent by PROGRAM (a partner that lost its keys) it is pending for SIGNER_NOTICE.
    /// @dev Emits {PartnerSignersSet} (partner) or {PartnerSignersProposed} (PROGRAM). Requirements: the caller is
    /// the partner or has PROGRAM_ROLE; registered; 1 <= k <= n <= 16, no duplicate or zero signer.
    function setPartnerSigners(address partner, address[] calldata signers, uint8 threshold) external;

    /// @notice Sets where the partner's claims are paid: sent by the partner at once (and replaces a pending
    /// address); sent by PROGRAM (a lost key, a blacklisted address) pending for PAYOUT_NOTICE.
    /// @dev Emits {PayoutAddressSet}. Requirements: the caller is the partner or has PROGRAM_ROLE; registered;
    /// payout is not the zero address.
    function setPayoutAddress(address partner, address payout) external;

    /// @notice (De)activates a partner; an inactive partner's batches are refused.
    /// @dev Emits {PartnerActiveSet}. Requirements: PROGRAM_ROLE; registered.
    function setPartnerActive(address partner, bool active) external;

    /// @notice Schedules a partner's rate for a sku from `effectiveFrom` (a whole hour).
    /// @dev Emits {RateScheduled}. A sku's first rate may start in the current hour; a change needs
    /// effectiveFrom >= now + RATE_NOTICE and later than the last scheduled one, or the same time as a
    /// scheduled one that is not yet in effect (which it replaces). Requirements: PROGRAM_ROLE; registered.
    function scheduleRate(address partner, bytes32 sku, uint64 creditsPerGpuHour, uint64 effectiveFrom) external;

    /// @notice Sets the program-wide revenue oracle signer set: the first one at once, every later one pending for
    /// SIGNER_NOTICE (a newer proposal replaces one not yet in force).
    /// @dev Emits {RevenueSignersSet} (first) or {RevenueSignersProposed}. Requirements: PROGRAM_ROLE;
    /// 1 <= k <= n <= 16, no duplicate or zero signer.
    function setRevenueSigners(address[] calldata signers, uint8 threshold) external;

    /// @notice Sets the program treasury that `claimProgram` pays. Emits {TreasurySet}. Requirements: admin.
    function setTreasury(address treasury) external;

    // =================================================================================================
    //                                             USAGE
    // =================================================================================================

    /// @notice Records a partner's signed usage batch; anyone may relay it.
    /// @dev Emits {UsageRecorded} per accepted line, {UsageLineRejected} per skipped line, then
    /// {UsageBatchRecorded}. Batch checks revert; line checks skip the line (PROTOCOL §6).
    /// Requirements: not paused; partner active; sequence == nextSequence; 1..256 lines strictly ascending by
    /// (agreementId, sku); >= threshold signatures of distinct signers in ascending order;
    /// periodStart < periodEnd <= now; no rate change strictly inside the window.
    function submitUsage(UsageBatch calldata batch, bytes[] calldata signatures) external returns (bytes32 batchId);

    /// @notice Opens a usage dispute (a credit note request) for one agreement's lines of a batch.
    /// @dev Emits {UsageDisputed}. Requirements: caller is the agreement's startup or an AUDITOR; the batch's
    /// dispute window is open; once per (batchId, agreementId).
    function disputeUsage(bytes32 batchId, uint256 agreementId, bytes32 reasonHash) external;

    /// @notice Resolves a usage dispute: refunds `refund` credits (0 rejects the dispute).
    /// @dev Emits {UsageDisputeResolved}. `partner` and `acceptedLines` must hash to the batch's stored
    /// lines hash. Requirements: PROGRAM_ROLE; dispute open; refund <= the agreement's credits in the batch.
    function resolveUsageDispute(
        bytes32 batchId,
        uint256 agreementId,
        address partner,
        AcceptedUsageLine[] calldata acceptedLines,
        uint256 refund
    ) external;

    // =================================================================================================
    //                                            REVENUE
    // =================================================================================================

    /// @notice Submits a revenue oracle's signed report for an ended period; anyone may relay it.
    /// @dev Emits {RevenueReported}. Requirements: not paused; agreement accepted; period ended;
    /// >= threshold revenue signers, ascending; version higher than the stored one; not Disputed or Finalized.
    function submitRevenue(RevenueReport calldata report, bytes[] calldata signatures) external;

    /// @notice Disputes a Pending report inside its window. Emits {RevenueDisputed}. Requirements: AUDITOR_ROLE.
    function disputeRevenue(uint256 id, uint32 periodIndex, bytes32 reasonHash) external;

    /// @notice Resolves a revenue dispute: upheld -> Rejected, else Cleared.
    /// @dev Emits {RevenueDisputeResolved}. Requirements: PROGRAM_ROLE; Disputed.
    function resolveRevenueDispute(uint256 id, uint32 periodIndex, bool upheld) external;

    /// @notice Finalizes the next period: books owed = min(share, cap headroom) and its due date.
    /// @dev Emits {RevenueFinalized}. Requirements: periodIndex == nextPeriodToFinalize; Pending with its window
    /// ended, or Cleared; for the last period, now >= reportingClose.
    function finalizeRevenue(uint256 id, uint32 periodIndex) external;

    // =================================================================================================
    //                                      PAYMENT AND CLAIMS
    // =================================================================================================

    /// @notice Pays up to `amount` of the agreement's outstanding obligation from the caller.
    /// @dev Emits {PaymentApplied} and a {Distributed} per beneficiary. Pulls exactly min(amount, outstanding).
    /// Requirements: outstanding > 0; allowance; the token delivers the full amount.
    function pay(uint256 id, uint256 amount) external returns (uint256 applied);

    /// @notice `pay` after an ERC-2612 permit from the caller; a failed (e.g. front-run) permit is ignored.
    function payWithPermit(
        uint256 id,
        uint256 amount,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (uint256 applied);

    /// @notice Sends `beneficiary`'s whole claimable balance to its payout address in force (the beneficiary
    /// itself unless one was set); anyone may trigger.
    /// @dev Emits {Claimed}. Requirements: claimable > 0.
    function claim(address beneficiary) external returns (uint256 amount);

    /// @notice Sends the program's claimable balance to the treasury; anyone may trigger.
    /// @dev Emits {Claimed} with beneficiary address(0). Requirements: programClaimable > 0.
    function claimProgram() external returns (uint256 amount);

    /// @notice Records on-chain that an auditor verified the agreement's books through `throughBlock`.
    /// @dev Emits {AuditRecorded}. Requirements: AUDITOR_ROLE; agreement exists; throughBlock <= block.number.
    function recordAudit(uint256 agreementId, uint256 throughBlock, bytes32 reportHash, bool clean) external;

    /// @notice Stops attestations, acceptance and creation (never pay, claim, dispute, resolve, finalize).
    function pause() external;

    /// @notice Resumes; the reporting grace is counted from now.
    function unpause() external;

    // =================================================================================================
    //                                             VIEWS
    // =================================================================================================

    function agreement(uint256 id) external view returns (AgreementView memory);
    function agreementCount() external view returns (uint256);
    function openAgreementOf(address wallet) external view returns (uint256 id);
    function partnerPosition(uint256 id, address partner) external view returns (PartnerPositionView memory);
    function partners(uint256 id) external view returns (address[] memory);
    function partner(address partner) external view returns (PartnerView memory);
    function rate(address partner, bytes32 sku, uint64 at) external view returns (RateEntry memory);
    function rateSchedule(address partner, bytes32 sku) external view returns (RateEntry[] memory);
    function revenuePeriod(uint256 id, uint32 periodIndex) external view returns (RevenuePeriodView memory);
    function revenueSigners() external view returns (SignerSetView memory);
    function pendingMigration(uint256 id) external view returns (address to, uint64 effectiveAt);
    function usageBatch(bytes32 batchId) external view returns (uint64 submittedAt, bytes24 linesHash);
    function usageDispute(
        bytes32 batchId,
        uint256 agreementId
    ) external view returns (UsageDisputeState state, uint256 refund);
    function reportingClose(uint256 id) external view returns (uint256);
    function lastUnpausedAt() external view returns (uint64);
    function paused() external view returns (bool);
    function claimable(address account) external view returns (uint256);
    function programClaimable() external view returns (uint256);
    function treasury() external view returns (address);
    function credit() external view returns (address);
    function settlementToken() external view returns (address);
    function usageBatchId(
        address partner,
        uint64 sequence,
        uint64 periodStart,
        uint64 periodEnd,
        bytes32 recordsRoot
    ) external pure returns (bytes32);
}
