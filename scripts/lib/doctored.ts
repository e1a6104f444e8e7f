// The auditor's mutation suite (test/auditor/mutations.test.ts) links the real RevenueShareLedger against "doctored"
// logic libraries, each with deliberate bugs; where a rule lives in the ledger's own code (the usage hot path of
// contracts/abstracts/UsageRecorder.sol, no library), it deploys a doctored copy of the ledger instead. Both are
// generated here from the real contracts/libraries/*.sol, contracts/abstracts/*.sol and RevenueShareLedger.sol by a
// short list of explicit edits, so the real sources stay the one home of the logic: when a real contract changes, the
// doctored copy follows, and an edit whose text is no longer found (exactly once) fails the compile, naming the edit.
// hardhat.config.ts writes the output to contracts/test/doctored/ (git-ignored) before every compile.
import fs from "node:fs";
import path from "node:path";

/** Replace `find` (which must occur exactly once in the current text) by `replace`. */
export interface Edit {
  find: string;
  replace: string;
}

interface Doctored {
  /** The real source, contracts/<dir>/<real>.sol. */
  real: string;
  /** The real source's folder under contracts/ ("libraries" unless said; "" for contracts/ itself). */
  dir?: string;
  /** What the real source declares: a library (default) or a contract, whose copy is a doctored ledger build. */
  kind?: "library" | "contract" | "abstract contract";
  /** The doctored copy's name (replaces `<kind> <real>` and its @title). */
  name: string;
  /** The @dev lines placed under the @title. */
  dev: string;
  /**
   * Bug modes of a "core" library: each becomes a `uint256 internal constant` (1, 2, ...), the core's functions
   * become internal, and one wrapper library per mode (`wrap`) keeps the real library's external functions.
   * Without modes the file is a single doctored library with the real external functions.
   */
  modes?: { lib: string; mode: string }[];
  /** The bugs, applied in order to the real library's text. */
  edits: Edit[];
  /** A wrapper library selecting `mode` (new code, appended after the core). */
  wrap?: (lib: string, mode: string) => string;
}

const coreDev = (real: string) =>
  `/// @dev TEST ONLY (the auditor's mutation suite): a copy of ${real} with deliberate bugs, selected by the
/// wrapper libraries below. Each wrapper has the original's external functions (same selectors), so the real
/// RevenueShareLedger linked against one of them is a "doctored ledger" with exactly one bug.
`;

const DOCTORED: Record<string, Doctored> = {
  DoctoredAgreementLogic: {
    real: "AgreementLogic",
    name: "DoctoredAgreementCore",
    dev: coreDev("AgreementLogic"),
    modes: [
      { lib: "AgreementAcceptMintsExtra", mode: "ACCEPT_MINTS_EXTRA" },
      { lib: "AgreementRefundKeepsReceivable", mode: "REFUND_KEEPS_RECEIVABLE" },
      { lib: "AgreementDecreaseIgnored", mode: "DECREASE_IGNORED" },
      { lib: "AgreementMigrationWithoutNotice", mode: "MIGRATION_WITHOUT_NOTICE" },
    ],
    edits: [
      // ACCEPT_MINTS_EXTRA: accepting mints one credit more than the limit.
      {
        find: "function acceptAgreement(LedgerState storage s, uint256 id, IDSXCredit credit) external {",
        replace: "function acceptAgreement(LedgerState storage s, uint256 id, IDSXCredit credit, uint256 bug) external {",
      },
      {
        find: "credit.mint(msg.sender, minted);",
        replace: "credit.mint(msg.sender, bug == ACCEPT_MINTS_EXTRA ? minted + 1 : minted);",
      },
      // MIGRATION_WITHOUT_NOTICE (migrateStartup): PROGRAM's migration happens at once, as if the startup sent it.
      {
        find: "        bool callerIsProgram,\n        uint256 migrationNotice\n    ) external {",
        replace: "        bool callerIsProgram,\n        uint256 migrationNotice,\n        uint256 bug\n    ) external {",
      },
      {
        find: "        if (msg.sender == from) {\n",
        replace: "        if (msg.sender == from || (bug == MIGRATION_WITHOUT_NOTICE && callerIsProgram)) {\n",
      },
      // DECREASE_IGNORED (authorizePartner): a decrease applies at once instead of after AUTH_NOTICE.
      {
        find: "        uint256 authNotice\n    ) external {",
        replace: "        uint256 authNotice,\n        uint256 bug\n    ) external {",
      },
      {
        find: "        p.hasPendingDecrease = e.pendingSpendLimitAt != 0 || e.pendingMaxGpusAt != 0;\n",
        replace:
          "        if (bug == DECREASE_IGNORED) (e.pendingSpendLimitAt, e.pendingMaxGpusAt) = (0, 0);\n" +
          "        p.hasPendingDecrease = e.pendingSpendLimitAt != 0 || e.pendingMaxGpusAt != 0;\n",
      },
      {
        find: "        if (p.hasPendingDecrease) effectiveAt = decreaseAt;\n",
        replace:
          "        if (p.hasPendingDecrease || (bug == DECREASE_IGNORED && (spendLimit < currentSpend || maxGpus < currentGpus))) {\n" +
          "            effectiveAt = decreaseAt;\n" +
          "        }\n",
      },
      // REFUND_KEEPS_RECEIVABLE (resolveUsageDispute → _refund): a refund leaves the partner's receivable as it was.
      {
        find: "        IDSXCredit credit\n    ) external {",
        replace: "        IDSXCredit credit,\n        uint256 bug\n    ) external {",
      },
      {
        find: "_refund(s, agreementId, partner, refund);",
        replace: "_refund(s, agreementId, partner, refund, bug);",
      },
      {
        find: "        uint256 refund\n    ) private returns (uint256 receivableRemoved) {",
        replace: "        uint256 refund,\n        uint256 bug\n    ) private returns (uint256 receivableRemoved) {",
      },
      {
        find: "        p.receivable -= uint64(receivableRemoved);",
        replace: "        if (bug != REFUND_KEEPS_RECEIVABLE) p.receivable -= uint64(receivableRemoved);",
      },
    ],
    wrap: (lib, mode) => `/// @dev DoctoredAgreementCore with \`${mode}\`.
library ${lib} {
    function createAgreement(LedgerState storage s, Terms calldata t, IDSXCredit credit) external returns (uint256) {
        return DoctoredAgreementCore.createAgreement(s, t, credit);
    }

    function acceptAgreement(LedgerState storage s, uint256 id, IDSXCredit credit) external {
        DoctoredAgreementCore.acceptAgreement(s, id, credit, DoctoredAgreementCore.${mode});
    }

    function cancelAgreement(LedgerState storage s, uint256 id) external {
        DoctoredAgreementCore.cancelAgreement(s, id);
    }

    function terminateAgreement(LedgerState storage s, uint256 id, bytes32 reasonHash) external {
        DoctoredAgreementCore.terminateAgreement(s, id, reasonHash);
    }

    function expireCredits(LedgerState storage s, uint256 id, IDSXCredit credit, uint256 reportingGrace) external {
        DoctoredAgreementCore.expireCredits(s, id, credit, reportingGrace);
    }

    function migrateStartup(
        LedgerState storage s,
        uint256 id,
        address newWallet,
        IDSXCredit credit,
        bool callerIsProgram,
        uint256 migrationNotice
    ) external {
        DoctoredAgreementCore.migrateStartup(
            s,
            id,
            newWallet,
            credit,
            callerIsProgram,
            migrationNotice,
            DoctoredAgreementCore.${mode}
        );
    }

    function cancelStartupMigration(LedgerState storage s, uint256 id, bool callerIsProgram) external {
        DoctoredAgreementCore.cancelStartupMigration(s, id, callerIsProgram);
    }

    function executeStartupMigration(LedgerState storage s, uint256 id, IDSXCredit credit) external {
        DoctoredAgreementCore.executeStartupMigration(s, id, credit);
    }

    function authorizePartner(
        LedgerState storage s,
        uint256 id,
        address partner,
        uint256 spendLimit,
        uint32 maxGpus,
        uint256 authNotice
    ) external {
        DoctoredAgreementCore.authorizePartner(
            s,
            id,
            partner,
            spendLimit,
            maxGpus,
            authNotice,
            DoctoredAgreementCore.${mode}
        );
    }

    function disputeUsage(
        LedgerState storage s,
        bytes32 batchId,
        uint256 agreementId,
        bytes32 reasonHash,
        bool callerIsAuditor,
        uint256 disputeWindow
    ) external {
        DoctoredAgreementCore.disputeUsage(s, batchId, agreementId, reasonHash, callerIsAuditor, disputeWindow);
    }

    function resolveUsageDispute(
        LedgerState storage s,
        bytes32 batchId,
        uint256 agreementId,
        address partner,
        AcceptedUsageLine[] calldata acceptedLines,
        uint256 refund,
        IDSXCredit credit
    ) external {
        DoctoredAgreementCore.resolveUsageDispute(
            s,
            batchId,
            agreementId,
            partner,
            acceptedLines,
            refund,
            credit,
            DoctoredAgreementCore.${mode}
        );
    }
}
`,
  },

  DoctoredLedgerViews: {
    real: "LedgerViews",
    name: "DoctoredViewsCore",
    dev: coreDev("LedgerViews"),
    modes: [
      { lib: "ViewsFifoOffByOne", mode: "FIFO_OFF_BY_ONE" },
      { lib: "ViewsFifoNewestFirst", mode: "FIFO_NEWEST_FIRST" },
      { lib: "ViewsBurnedAtWithoutRefunds", mode: "BURNED_AT_WITHOUT_REFUNDS" },
    ],
    edits: [
      // FIFO_OFF_BY_ONE, FIFO_NEWEST_FIRST (agreement → _nextDue): the wrong period is reported as next due.
      {
        find: "function agreement(LedgerState storage s, uint256 id) external view",
        replace: "function agreement(LedgerState storage s, uint256 id, uint256 bug) external view",
      },
      {
        find: "_nextDue(a, v.paid);",
        replace: "_nextDue(a, v.paid, bug);",
      },
      {
        find: "    function _nextDue(Agreement storage a, uint256 paid) private view",
        replace: "    function _nextDue(\n        Agreement storage a,\n        uint256 paid,\n        uint256 bug\n    ) private view",
      },
      {
        find: "            if (a.periods[mid].cumulativeObligation > paid) hi = mid;\n",
        replace:
          "            uint256 cumulative = a.periods[mid].cumulativeObligation;\n" +
          "            if (cumulative > paid || (bug == FIFO_OFF_BY_ONE && cumulative == paid)) hi = mid;\n",
      },
      {
        find: "nextDue = a.periods[lo].due;",
        replace: "nextDue = bug == FIFO_NEWEST_FIRST ? a.periods[a.nextPeriodToFinalize - 1].due : a.periods[lo].due;",
      },
      // BURNED_AT_WITHOUT_REFUNDS (partnerPosition): burnedAt leaves out the credits refunded by usage disputes.
      {
        find: "        address partner_\n    ) external view returns (PartnerPositionView memory v) {",
        replace: "        address partner_,\n        uint256 bug\n    ) external view returns (PartnerPositionView memory v) {",
      },
      {
        find: "v.burnedAt = uint256(p.spent) + s.refundedAt[id][partner_];",
        replace:
          "v.burnedAt = bug == BURNED_AT_WITHOUT_REFUNDS ? p.spent : uint256(p.spent) + s.refundedAt[id][partner_];",
      },
    ],
    wrap: (lib, mode) => `/// @dev DoctoredViewsCore with \`${mode}\`.
library ${lib} {
    function agreement(LedgerState storage s, uint256 id) external view returns (AgreementView memory) {
        return DoctoredViewsCore.agreement(s, id, DoctoredViewsCore.${mode});
    }

    function partnerPosition(
        LedgerState storage s,
        uint256 id,
        address partner_
    ) external view returns (PartnerPositionView memory) {
        return DoctoredViewsCore.partnerPosition(s, id, partner_, DoctoredViewsCore.${mode});
    }

    function partner(LedgerState storage s, address partner_) external view returns (PartnerView memory) {
        return DoctoredViewsCore.partner(s, partner_);
    }

    function rate(
        LedgerState storage s,
        address partner_,
        bytes32 sku,
        uint64 at
    ) external view returns (RateEntry memory) {
        return DoctoredViewsCore.rate(s, partner_, sku, at);
    }

    function rateSchedule(
        LedgerState storage s,
        address partner_,
        bytes32 sku
    ) external view returns (RateEntry[] memory) {
        return DoctoredViewsCore.rateSchedule(s, partner_, sku);
    }

    function revenueSigners(LedgerState storage s) external view returns (SignerSetView memory) {
        return DoctoredViewsCore.revenueSigners(s);
    }

    function revenuePeriod(
        LedgerState storage s,
        uint256 id,
        uint32 k
    ) external view returns (RevenuePeriodView memory) {
        return DoctoredViewsCore.revenuePeriod(s, id, k);
    }
}
`,
  },

  DoctoredPartnerLogic: {
    real: "PartnerLogic",
    name: "DoctoredPartnerCore",
    dev: coreDev("PartnerLogic"),
    modes: [
      { lib: "PartnerRateInflated", mode: "RATE_INFLATED" },
      { lib: "PartnerSignersInForceEarly", mode: "SIGNERS_IN_FORCE_EARLY" },
      { lib: "PartnerPayoutInForceEarly", mode: "PAYOUT_IN_FORCE_EARLY" },
    ],
    edits: [
      // SIGNERS_IN_FORCE_EARLY (setPartnerSigners): PROGRAM's proposed set is in force at once, while its
      // PartnerSignersProposed event still announces effectiveAt = now + SIGNER_NOTICE.
      {
        find: "        bool callerIsProgram,\n        uint256 signerNotice\n    ) external {",
        replace: "        bool callerIsProgram,\n        uint256 signerNotice,\n        uint256 bug\n    ) external {",
      },
      {
        find: "            (p.pendingEpoch, p.pendingThreshold, p.pendingSignersAt) = (epoch, threshold, effectiveAt);\n",
        replace:
          "            uint40 inForceAt = bug == SIGNERS_IN_FORCE_EARLY ? uint40(block.timestamp) : effectiveAt;\n" +
          "            (p.pendingEpoch, p.pendingThreshold, p.pendingSignersAt) = (epoch, threshold, inForceAt);\n",
      },
      // PAYOUT_IN_FORCE_EARLY (setPayoutAddress): PROGRAM's proposed payout address is in force at once (claims are
      // paid to it), while its PayoutAddressSet event still announces effectiveAt = now + PAYOUT_NOTICE.
      {
        find: "        bool callerIsProgram,\n        uint256 payoutNotice\n    ) external {",
        replace: "        bool callerIsProgram,\n        uint256 payoutNotice,\n        uint256 bug\n    ) external {",
      },
      {
        find: "            (a.pendingAt, a.pending) = (effectiveAt, payout);\n",
        replace:
          "            uint40 inForceAt = bug == PAYOUT_IN_FORCE_EARLY ? uint40(block.timestamp) : effectiveAt;\n" +
          "            (a.pendingAt, a.pending) = (inForceAt, payout);\n",
      },
      // RATE_INFLATED (scheduleRate): a sku's first rate is stored one unit above the one its event announces.
      {
        find: "        uint256 rateNotice\n    ) external {",
        replace: "        uint256 rateNotice,\n        uint256 bug\n    ) external {",
      },
      {
        find: "s.rateCards[partner][sku] = RateCard(creditsPerGpuHour, effectiveFrom, 1);",
        replace:
          "uint64 stored = bug == RATE_INFLATED ? creditsPerGpuHour + 1 : creditsPerGpuHour;\n" +
          "            s.rateCards[partner][sku] = RateCard(stored, effectiveFrom, 1);",
      },
    ],
    wrap: (lib, mode) => `/// @dev DoctoredPartnerCore with \`${mode}\`.
library ${lib} {
    function registerPartner(
        LedgerState storage s,
        address partner,
        address[] calldata signers,
        uint8 threshold,
        uint16 payoutBps
    ) external {
        DoctoredPartnerCore.registerPartner(s, partner, signers, threshold, payoutBps);
    }

    function setPartnerSigners(
        LedgerState storage s,
        address partner,
        address[] calldata signers,
        uint8 threshold,
        bool callerIsProgram,
        uint256 signerNotice
    ) external {
        DoctoredPartnerCore.setPartnerSigners(
            s,
            partner,
            signers,
            threshold,
            callerIsProgram,
            signerNotice,
            DoctoredPartnerCore.${mode}
        );
    }

    function setPayoutAddress(
        LedgerState storage s,
        address partner,
        address payout,
        bool callerIsProgram,
        uint256 payoutNotice
    ) external {
        DoctoredPartnerCore.setPayoutAddress(
            s,
            partner,
            payout,
            callerIsProgram,
            payoutNotice,
            DoctoredPartnerCore.${mode}
        );
    }

    function setPartnerActive(LedgerState storage s, address partner, bool active) external {
        DoctoredPartnerCore.setPartnerActive(s, partner, active);
    }

    function scheduleRate(
        LedgerState storage s,
        address partner,
        bytes32 sku,
        uint64 creditsPerGpuHour,
        uint64 effectiveFrom,
        uint256 rateNotice
    ) external {
        DoctoredPartnerCore.scheduleRate(
            s,
            partner,
            sku,
            creditsPerGpuHour,
            effectiveFrom,
            rateNotice,
            DoctoredPartnerCore.${mode}
        );
    }

    function setRevenueSigners(
        LedgerState storage s,
        address[] calldata signers,
        uint8 threshold,
        uint256 signerNotice
    ) external {
        DoctoredPartnerCore.setRevenueSigners(s, signers, threshold, signerNotice);
    }
}
`,
  },

  DoctoredProgramLogic: {
    real: "ProgramLogic",
    name: "ProgramClaimToCaller",
    dev: "/// @dev TEST ONLY (the auditor's mutation suite): ProgramLogic whose claimProgram pays the caller, not the treasury.\n",
    edits: [{ find: "settlement.safeTransfer(to, amount);", replace: "settlement.safeTransfer(msg.sender, amount);" }],
  },

  DoctoredRevenueLogic: {
    real: "RevenueLogic",
    name: "DoctoredRevenueCore",
    dev: coreDev("RevenueLogic"),
    modes: [
      { lib: "RevenueCapOffByOne", mode: "CAP_OFF_BY_ONE" },
      { lib: "RevenueShareRoundedUp", mode: "SHARE_ROUNDED_UP" },
      { lib: "RevenueFinalizedInWindow", mode: "FINALIZED_IN_WINDOW" },
      { lib: "RevenueDueWithoutGrace", mode: "DUE_WITHOUT_GRACE" },
    ],
    edits: [
      // All four are in finalizeRevenue.
      {
        find: "        uint256 reportingGrace\n    ) external {",
        replace: "        uint256 reportingGrace,\n        uint256 bug\n    ) external {",
      },
      // FINALIZED_IN_WINDOW: a period finalizes while its dispute window is still open.
      {
        find: "            if (block.timestamp < closesAt) revert ILedgerErrors.RevenueDisputeWindowOpen(id, periodIndex, closesAt);\n",
        replace:
          "            if (bug != FINALIZED_IN_WINDOW && block.timestamp < closesAt)\n" +
          "                revert ILedgerErrors.RevenueDisputeWindowOpen(id, periodIndex, closesAt);\n",
      },
      // CAP_OFF_BY_ONE, SHARE_ROUNDED_UP: the owed amount, through _owed below.
      {
        find: "uint256 owed = ShareMath.owed(revenue, a.revenueShareBps, a.cap(), obligation);",
        replace: "uint256 owed = _owed(a, revenue, obligation, bug);",
      },
      // DUE_WITHOUT_GRACE: the due date ignores the grace period.
      {
        find: "uint256 due = ShareMath.due(a.periodEnd(periodIndex), block.timestamp, a.gracePeriod);\n",
        replace:
          "uint256 due = ShareMath.due(\n" +
          "            a.periodEnd(periodIndex),\n" +
          "            block.timestamp,\n" +
          "            bug == DUE_WITHOUT_GRACE ? 0 : a.gracePeriod\n" +
          "        );\n",
      },
      {
        find: "    function _agreement(LedgerState storage s, uint256 id) private view returns (Agreement storage a) {\n",
        replace: `    /// @dev owed with the selected bug: a cap one unit too high, or the share rounded up.
    function _owed(
        Agreement storage a,
        uint256 revenue,
        uint256 obligation,
        uint256 bug
    ) private view returns (uint256) {
        uint256 cap = bug == CAP_OFF_BY_ONE ? a.cap() + 1 : a.cap();
        if (bug != SHARE_ROUNDED_UP || mulmod(revenue, a.revenueShareBps, ShareMath.BPS) == 0) {
            return ShareMath.owed(revenue, a.revenueShareBps, cap, obligation);
        }
        uint256 share = ShareMath.applyBps(revenue, a.revenueShareBps) + 1;
        uint256 headroom = cap > obligation ? cap - obligation : 0;
        return share < headroom ? share : headroom;
    }

    function _agreement(LedgerState storage s, uint256 id) private view returns (Agreement storage a) {
`,
      },
    ],
    wrap: (lib, mode) => `/// @dev DoctoredRevenueCore with \`${mode}\`.
library ${lib} {
    function submitRevenue(
        LedgerState storage s,
        RevenueReport calldata report,
        bytes[] calldata signatures,
        bytes32 digest
    ) external {
        DoctoredRevenueCore.submitRevenue(s, report, signatures, digest);
    }

    function disputeRevenue(
        LedgerState storage s,
        uint256 id,
        uint32 k,
        bytes32 reasonHash,
        uint256 disputeWindow
    ) external {
        DoctoredRevenueCore.disputeRevenue(s, id, k, reasonHash, disputeWindow);
    }

    function resolveRevenueDispute(LedgerState storage s, uint256 id, uint32 k, bool upheld) external {
        DoctoredRevenueCore.resolveRevenueDispute(s, id, k, upheld);
    }

    function finalizeRevenue(
        LedgerState storage s,
        uint256 id,
        uint32 periodIndex,
        uint256 disputeWindow,
        uint256 reportingGrace
    ) external {
        DoctoredRevenueCore.finalizeRevenue(
            s,
            id,
            periodIndex,
            disputeWindow,
            reportingGrace,
            DoctoredRevenueCore.${mode}
        );
    }
}
`,
  },

  DoctoredSettlementLogic: {
    real: "SettlementLogic",
    name: "DoctoredSettlementCore",
    dev: coreDev("SettlementLogic"),
    modes: [
      { lib: "SettlementWaterfallOffByOne", mode: "WATERFALL_OFF_BY_ONE" },
      { lib: "SettlementPartRoundedUp", mode: "PART_ROUNDED_UP" },
      { lib: "SettlementWrongBeneficiary", mode: "WRONG_BENEFICIARY" },
      { lib: "SettlementNoDeliveryCheck", mode: "NO_DELIVERY_CHECK" },
    ],
    edits: [
      {
        find: "        IERC20 settlement\n    ) external returns (uint256 applied) {",
        replace: "        IERC20 settlement,\n        uint256 bug\n    ) external returns (uint256 applied) {",
      },
      { find: "_split(s, id, a, applied);", replace: "_split(s, id, a, applied, bug);" },
      // NO_DELIVERY_CHECK: a token delivering less than `applied` goes unnoticed.
      {
        find: "if (received != applied) revert",
        replace: "if (bug != NO_DELIVERY_CHECK && received != applied) revert",
      },
      {
        find: "        uint256 amount\n    ) private returns (uint256 toPartners, uint256 toProgram) {",
        replace: "        uint256 amount,\n        uint256 bug\n    ) private returns (uint256 toPartners, uint256 toProgram) {",
      },
      // WATERFALL_OFF_BY_ONE: the partners get one unit more than the waterfall gives them.
      {
        find: "        (parts, toProgram) = ShareMath.split(amount, a.partnerFirstBps, unpaid);\n",
        replace:
          "        (parts, toProgram) = ShareMath.split(amount, a.partnerFirstBps, unpaid);\n" +
          "        for (uint256 i; bug == WATERFALL_OFF_BY_ONE && i < n; ++i) {\n" +
          "            if (parts[i] != 0 && parts[i] < unpaid[i] && toProgram != 0) {\n" +
          "                (parts[i], toProgram) = (parts[i] + 1, toProgram - 1);\n" +
          "                break;\n" +
          "            }\n" +
          "        }\n",
      },
      // PART_ROUNDED_UP: a partner's part rounded up instead of down.
      {
        find: "            uint256 part = parts[i];\n",
        replace:
          "            uint256 part = parts[i];\n" +
          "            if (bug == PART_ROUNDED_UP && part != 0 && part < unpaid[i] && toProgram != 0) {\n" +
          "                (part, toProgram) = (part + 1, toProgram - 1);\n" +
          "            }\n",
      },
      // WRONG_BENEFICIARY: each part is credited to the next partner in the list.
      {
        find: "s.claimable[list[i]] += part;",
        replace: "s.claimable[bug == WRONG_BENEFICIARY ? list[(i + 1) % n] : list[i]] += part;",
      },
    ],
    wrap: (lib, mode) => `/// @dev DoctoredSettlementCore with \`${mode}\`.
library ${lib} {
    function pay(LedgerState storage s, uint256 id, uint256 amount, IERC20 settlement) external returns (uint256) {
        return DoctoredSettlementCore.pay(s, id, amount, settlement, DoctoredSettlementCore.${mode});
    }
}
`,
  },

  // A doctored ledger build: the usage hot path is the ledger's own code (no library to swap), so the mutation suite
  // deploys LedgerLoneSibling, a copy of RevenueShareLedger whose UsageRecorder is the copy below.
  DoctoredUsageRecorder: {
    real: "UsageRecorder",
    dir: "abstracts",
    kind: "abstract contract",
    name: "LoneSiblingUsageRecorder",
    dev: "/// @dev TEST ONLY (the auditor's mutation suite): UsageRecorder accepting the lines of an agreement that come\n/// before its failing line (a lone accepted sibling), instead of rejecting the agreement's lines together.\n",
    edits: [
      {
        find: "            } else {\n                _emitRejected(c.batchId, id, lines, i, end, failedAt, failure);\n",
        replace:
          "            } else if (failure > uint256(UsageRejection.ReportingClosed) && failedAt > i) {\n" +
          "                _emitAccepted(c, failedAt - i);\n" +
          "                c.accepted += failedAt - i;\n" +
          "                _closeGroup(c);\n" +
          "                _emitRejected(c.batchId, id, lines, failedAt, end, failedAt, failure);\n" +
          "            } else {\n" +
          "                _emitRejected(c.batchId, id, lines, i, end, failedAt, failure);\n",
      },
    ],
  },

  DoctoredLedgerLoneSibling: {
    real: "RevenueShareLedger",
    dir: "",
    kind: "contract",
    name: "LedgerLoneSibling",
    dev: "/// @dev TEST ONLY (the auditor's mutation suite): RevenueShareLedger built on LoneSiblingUsageRecorder.\n",
    edits: [
      {
        find: 'import {UsageRecorder} from "./abstracts/UsageRecorder.sol";',
        replace: 'import {LoneSiblingUsageRecorder as UsageRecorder} from "./test/doctored/DoctoredUsageRecorder.sol";',
      },
    ],
  },
};

/** Apply `edit` to `text`, requiring exactly one match. */
function applyEdit(text: string, edit: Edit, file: string, label: string, real: string): string {
  const count = text.split(edit.find).length - 1;
  if (count !== 1) {
    const shown = edit.find.length > 60 ? `${edit.find.slice(0, 57)}...` : edit.find;
    throw new Error(
      `${file}: ${label} ('${shown.replace(/\n/g, "\\n")}') matched ${count} times — the real ${real} changed; update the edit ` +
        `in scripts/lib/doctored.ts`,
    );
  }
  return text.replace(edit.find, () => edit.replace);
}

/**
 * The doctored sources (file name → Solidity text), built from the real contracts under `root`.
 * `outDir` (relative to `root`) is where they will be written, for their relative imports.
 */
export function doctoredSources(root: string, outDir = path.join("contracts", "test", "doctored")): Map<string, string> {
  const out = new Map<string, string>();
  for (const [file, d] of Object.entries(DOCTORED)) {
    const dir = path.posix.join("contracts", d.dir ?? "libraries");
    const kind = d.kind ?? "library";
    let text = fs.readFileSync(path.join(root, dir, `${d.real}.sol`), "utf8");
    const step = (edit: Edit, label: string) => (text = applyEdit(text, edit, file, label, d.real));
    // 1. The bugs, against the real text.
    d.edits.forEach((edit, i) => step(edit, `edit ${i + 1}`));
    // 2. Name, header and bug-mode constants.
    step({ find: `/// @title ${d.real}\n`, replace: `/// @title ${d.name}\n${d.dev}` }, "@title");
    const constants = (d.modes ?? []).map((m, i) => `    uint256 internal constant ${m.mode} = ${i + 1};\n`).join("");
    if (kind === "library") {
      step(
        { find: `\nlibrary ${d.real} {\n`, replace: `\nlibrary ${d.name} {\n${constants}${constants ? "\n" : ""}` },
        "library name",
      );
    } else {
      step({ find: `\n${kind} ${d.real} is`, replace: `\n${kind} ${d.name} is` }, "contract name");
    }
    // 3. Relative imports, re-pointed from the real source's folder to `outDir`.
    text = text.replace(/ from "(\.\.?\/[^"]+)";/g, (_m, p: string) => {
      const target = path.posix.join(dir, p);
      const moved = path.posix.relative(outDir.split(path.sep).join("/"), target);
      return ` from "${moved.startsWith(".") ? moved : `./${moved}`}";`;
    });
    // 4. A core's functions become internal; the wrappers below carry the external ones.
    if (d.modes) {
      text = text.replace(/\) external\b/g, ") internal");
      for (const m of d.modes) text += `\n${d.wrap!(m.lib, m.mode)}`;
    }
    out.set(`${file}.sol`, text);
  }
  return out;
}

/** Write the doctored sources to `root/outDir`, touching only files whose content differs (compile cache). */
export function writeDoctoredSources(root: string, outDir = path.join("contracts", "test", "doctored")): string[] {
  const dir = path.join(root, outDir);
  fs.mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const [file, text] of doctoredSources(root, outDir)) {
    const target = path.join(dir, file);
    const current = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : undefined;
    if (current !== text) {
      fs.writeFileSync(target, text);
      written.push(target);
    }
  }
  return written;
}
