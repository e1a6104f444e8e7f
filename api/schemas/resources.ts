// Response bodies of the API's resources (PROTOCOL §12 figures, SERVICES §4 conventions).
import { z } from "zod";
import { address, blockNumber, bytes32, isoTime, isoTimeOrNull, page, seconds, single, uintString } from "./common";

export const AGREEMENT_STATUSES = ["Proposed", "Active", "Terminated", "Expired", "Cancelled"] as const;
/** Every RevenueState (generated from the compiler's output). */
export { REVENUE_STATE as REVENUE_STATES } from "../../sdk/abis";
import { REVENUE_STATE as REVENUE_STATES } from "../../sdk/abis";

export const terms = z
  .object({
    startup: address,
    creditLimit: uintString,
    revenueShareBps: z.number().int(),
    capMultipleBps: z.number().int(),
    partnerFirstBps: z.number().int(),
    startTime: isoTime,
    endTime: isoTime,
    periodDuration: seconds,
    gracePeriod: seconds,
    termsHash: bytes32,
  })
  .meta({ id: "Terms" });

const eventFields = { recordedAt: isoTime, blockNumber, txHash: bytes32 };

// ------------------------------------------------------------------------------ pending changes (v1.1 §3)

const secondsLeft = z
  .number()
  .int()
  .nonnegative()
  .meta({ description: "Seconds from the indexed block's time (meta.blockTimestamp) until effectiveAt; 0 once it has come." });

export const pendingMigration = z
  .object({
    to: address.meta({ description: "The wallet PROGRAM proposed to move the agreement and its credits to." }),
    effectiveAt: isoTime.meta({ description: "From then anyone may execute it (executeStartupMigration); until then the startup or PROGRAM may cancel it." }),
    secondsLeft,
  })
  .meta({
    id: "PendingMigration",
    description:
      "PROGRAM's proposed wallet migration, as the ledger's pendingMigration(id) shows it: it stays pending after effectiveAt until it is " +
      "executed; a migration, a cancellation, AgreementCancelled or CreditsExpired ends it.",
  });

export const pendingSignerSet = z
  .object({
    signers: z.array(address),
    threshold: z.number().int(),
    effectiveAt: isoTime.meta({ description: "The set is in force from then, with no further transaction." }),
    secondsLeft,
  })
  .meta({ id: "PendingSignerSet", description: "A signer set PROGRAM proposed, not yet in force at the indexed block (null once it is)." });

export const pendingPayout = z
  .object({
    payout: address,
    effectiveAt: isoTime.meta({ description: "Claims are paid to this address from then, with no further transaction." }),
    secondsLeft,
  })
  .meta({ id: "PendingPayout", description: "A payout address PROGRAM proposed, not yet in force at the indexed block (null once it is)." });

export const audit = z
  .object({ agreementId: uintString, auditor: address, throughBlock: uintString, reportHash: bytes32, clean: z.boolean(), ...eventFields })
  .meta({ id: "Audit" });

export const agreementSummary = z
  .object({
    id: uintString,
    startup: address,
    status: z.enum(AGREEMENT_STATUSES),
    terms,
    createdAt: isoTime,
    createdBlock: blockNumber,
    acceptedAt: isoTimeOrNull,
    terminatedAt: isoTimeOrNull,
    creditsMinted: uintString,
    consumed: uintString,
    cap: uintString,
    obligation: uintString,
    paid: uintString,
    outstanding: uintString,
    delinquent: z.boolean(),
    nextDue: isoTimeOrNull,
    nextPeriodToFinalize: z.number().int(),
    periodCount: z.number().int(),
    partnerCount: z.number().int(),
    reportingClose: isoTimeOrNull.meta({ description: "R of PROTOCOL §3; null while the ledger is paused (R = ∞)." }),
    lastAudit: audit.nullable().meta({ description: "The latest AuditRecorded for this agreement (null: none yet)." }),
    pendingMigration: pendingMigration.nullable(),
  })
  .meta({ id: "AgreementSummary" });

export const position = z
  .object({
    partner: address,
    spendLimit: uintString,
    maxGpus: z.number().int(),
    pendingSpendLimit: uintString,
    pendingSpendLimitAt: isoTimeOrNull,
    pendingMaxGpus: z.number().int(),
    pendingMaxGpusAt: isoTimeOrNull,
    spent: uintString,
    burnedAt: uintString,
    receivable: uintString,
    paidToPartner: uintString,
    lastUsageEnd: isoTimeOrNull,
  })
  .meta({ id: "PartnerPosition" });

export const partnerPosition = position
  .extend({ agreementId: uintString, status: z.enum(AGREEMENT_STATUSES).meta({ description: "The agreement's status." }) })
  .meta({ id: "PartnerAgreementPosition", description: "A partner's position in one agreement that authorizes it." });

export const agreement = agreementSummary
  .extend({ partners: z.array(position).meta({ description: "Authorized partners, in the ledger's order." }) })
  .meta({ id: "Agreement" });

export const usageLine = z
  .object({
    batchId: bytes32,
    agreementId: uintString,
    partner: address,
    sku: z.string().meta({ description: 'The sku name (e.g. "h100-sxm"), or the raw bytes32 when it is not a valid name.' }),
    gpuSeconds: uintString,
    accepted: z.boolean(),
    reason: z.string().nullable().meta({ description: "The rejection reason of PROTOCOL §6 (null when accepted)." }),
    credits: uintString,
    receivableAdded: uintString,
    recordedAt: isoTime,
    blockNumber,
    txHash: bytes32,
  })
  .meta({ id: "UsageLine" });

export const revenuePeriod = z
  .object({
    periodIndex: z.number().int(),
    periodStart: isoTime,
    periodEnd: isoTime,
    state: z.enum(REVENUE_STATES),
    version: z.number().int(),
    revenue: uintString,
    evidenceHash: z.string(),
    submittedAt: isoTimeOrNull,
    disputedBy: address.nullable(),
    disputeReasonHash: bytes32
      .nullable()
      .meta({ description: "The reasonHash of the dispute since the latest report (RevenueDisputed); null when not disputed since." }),
    disputeReasonText: z
      .string()
      .nullable()
      .meta({ description: "The reason's text when stored (PUT /v1/dispute-reasons/{hash}); null until then or when not disputed." }),
    owed: uintString,
    cumulativeObligation: uintString,
    due: isoTimeOrNull,
    finalizedAt: isoTimeOrNull,
  })
  .meta({ id: "RevenuePeriod" });

export const payment = z
  .object({ agreementId: uintString, payer: address, amount: uintString, toPartners: uintString, toProgram: uintString, ...eventFields })
  .meta({ id: "Payment" });

export const distribution = z
  .object({
    agreementId: uintString,
    beneficiary: address.meta({ description: "The partner, or the zero address for the program's share." }),
    amount: uintString,
    ...eventFields,
  })
  .meta({ id: "Distribution" });


// ------------------------------------------------------------------------------ audit reports

const count = z.number().int().nonnegative();

export const auditCheckTally = z
  .object({ check: z.string(), title: z.string(), passed: count, failed: count })
  .meta({ id: "AuditCheckTally", description: "How often one auditor check held (passed) and failed, in one scope." });

export const auditDiscrepancy = z
  .object({
    check: z.string(),
    agreementId: z.string().nullable().meta({ description: "null: a program-wide figure (tokens, claims, partners)." }),
    figure: z.string(),
    expected: z.string(),
    found: z.string(),
    at: z.object({ block: z.string(), tx: z.string().optional(), logIndex: z.number().int().optional() }).optional(),
  })
  .meta({ id: "AuditDiscrepancy", description: "A figure the auditor recomputed differently from what the chain shows." });

/** An agreement's section of the auditor's JSON report, in the report's own encoding (docs/auditor.md). */
export const auditReportAgreement = z
  .looseObject({
    id: uintString,
    clean: z.boolean(),
    status: z.string(),
    startup: z.string(),
    wallets: z.array(z.string()),
    terms: z.record(z.string(), z.string()),
    figures: z.record(z.string(), z.union([z.string(), z.boolean()])),
    partners: z.array(z.record(z.string(), z.union([z.string(), z.number()]))),
    periods: z.array(z.record(z.string(), z.union([z.string(), z.boolean(), z.null()]))),
    payments: z.array(z.looseObject({ index: z.number().int(), amount: z.string(), toPartners: z.string(), toProgram: z.string() })),
    checks: z.array(auditCheckTally),
    discrepancies: count,
  })
  .meta({
    id: "AuditReportAgreement",
    description:
      "The agreement's section of the report file as the auditor wrote it: amounts and unix times as decimal strings, addresses as written.",
  });

/** The parts of a report file the API reads (the file is validated with it before it is served). */
export const auditReportFile = z.looseObject({
  kind: z.string(),
  version: z.number().int(),
  chain: z.looseObject({
    chainId: z.number().int(),
    ledger: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
    fromBlock: z.string().regex(/^[0-9]{1,15}$/),
    throughBlock: z.string().regex(/^[0-9]{1,15}$/),
    blockHash: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
    blockTime: z.string().regex(/^[0-9]{1,15}$/),
  }),
  clean: z.boolean(),
  summary: z.object({ agreements: count, events: count, batches: count, checksPassed: count, checksFailed: count, discrepancies: count }),
  program: z.looseObject({ checks: z.array(auditCheckTally) }),
  agreements: z.array(auditReportAgreement),
  discrepancies: z.array(auditDiscrepancy),
});
export type AuditReportFile = z.output<typeof auditReportFile>;

const checkResult = auditCheckTally
  .extend({ result: z.enum(["pass", "fail"]).meta({ description: "fail when the check failed at least once." }) })
  .meta({ id: "AuditCheckResult" });

export const agreementAudit = z
  .object({
    agreementId: uintString,
    file: z.string().meta({ description: "The report's file name in the server's report folder (audit-<chainId>-<block>.json)." }),
    reportHash: bytes32.meta({ description: "keccak256 of the report file's bytes: the hash `recordAudit` publishes." }),
    chainId: z.number().int(),
    ledger: address,
    fromBlock: blockNumber,
    throughBlock: blockNumber.meta({ description: "The audited block." }),
    blockHash: bytes32,
    auditedAt: isoTime.meta({ description: "The audited block's time." }),
    clean: z
      .boolean()
      .meta({ description: "What `audit --record` publishes for this agreement: no discrepancy of its own and none program-wide." }),
    agreementClean: z.boolean().meta({ description: "Every check of the agreement's own passed." }),
    programClean: z.boolean().meta({ description: "Every program-wide check passed." }),
    checks: z.array(checkResult).meta({ description: "The agreement's checks, pass or fail." }),
    programChecks: z.array(checkResult).meta({ description: "The program-wide checks (tokens, claims, views), which decide `clean` too." }),
    discrepancies: z.array(auditDiscrepancy).meta({ description: "The agreement's discrepancies and the program-wide ones." }),
    report: z
      .object({ clean: z.boolean(), agreements: count, events: count, batches: count, checksPassed: count, checksFailed: count, discrepancies: count })
      .meta({ description: "The whole report's totals." }),
    recorded: z.boolean().meta({ description: "Whether an indexed AuditRecorded event of this agreement carries this report hash." }),
    records: z.array(audit).meta({ description: "Those AuditRecorded events, in chain order." }),
    section: auditReportAgreement,
  })
  .meta({ id: "AgreementAudit" });

export const rate = z
  .object({ sku: z.string(), creditsPerGpuHour: uintString, effectiveFrom: isoTime })
  .meta({ id: "Rate" });

export const partnerSummary = z
  .object({
    address,
    signers: z.array(address).meta({ description: "The oracle signer set in force at the indexed block." }),
    threshold: z.number().int(),
    pendingSigners: pendingSignerSet.nullable(),
    payout: address.meta({ description: "Where its claims are paid at the indexed block: its payout address in force, else the partner itself." }),
    pendingPayout: pendingPayout.nullable(),
    payoutBps: z.number().int(),
    active: z.boolean(),
    nextSequence: z.number().int(),
    registeredAt: isoTime,
  })
  .meta({ id: "PartnerSummary" });

export const partnerDetail = partnerSummary
  .extend({
    rates: z.array(rate),
    agreementCount: z.number().int(),
    totals: z.object({ spent: uintString, receivable: uintString, paidToPartner: uintString }),
    claimable: uintString,
    claimed: uintString,
  })
  .meta({ id: "Partner" });

export const account = z
  .object({
    address,
    creditBalance: uintString,
    claimable: uintString,
    claimed: uintString,
    agreements: z.array(
      z.object({ id: uintString, status: z.enum(AGREEMENT_STATUSES), role: z.enum(["startup", "partner"]) }),
    ).meta({ description: "Agreements whose startup wallet this is (now), and agreements that authorized it as a partner." }),
  })
  .meta({ id: "Account" });

export const usageDispute = z
  .object({
    agreementId: uintString,
    state: z.enum(["Open", "Resolved"]),
    disputedBy: address,
    reasonHash: bytes32,
    reasonText: z.string().nullable().meta({ description: "The reason's text when stored (PUT /v1/dispute-reasons/{hash}); null until then." }),
    disputedAt: isoTime,
    refund: uintString,
    receivableRemoved: uintString,
    resolvedAt: isoTimeOrNull,
  })
  .meta({ id: "UsageDispute" });

export const usageBatchSummary = z
  .object({
    batchId: bytes32,
    partner: address,
    sequence: z.number().int(),
    periodStart: isoTime,
    periodEnd: isoTime,
    recordsRoot: bytes32,
    linesAccepted: z.number().int(),
    linesRejected: z.number().int(),
    submittedAt: isoTime,
    blockNumber,
    txHash: bytes32,
    disputes: z.array(usageDispute),
  })
  .meta({ id: "UsageBatchSummary", description: "A usage batch with its disputes, without its lines." });

export const usageBatch = usageBatchSummary.extend({ lines: z.array(usageLine) }).meta({ id: "UsageBatch" });

export const recordProof = z
  .object({
    batchId: bytes32,
    recordsRoot: bytes32,
    recordId: z.string(),
    leaves: z.array(
      z.object({
        leaf: z.object({ recordId: z.string(), agreementId: uintString, sku: bytes32, sliceStart: uintString, sliceEnd: uintString, gpuSeconds: uintString }),
        encoded: z.array(z.string()).meta({ description: 'The leaf as the tree hashes it: ["string","uint256","bytes32","uint64","uint64","uint64"].' }),
        proof: z.array(bytes32),
      }),
    ),
  })
  .meta({ id: "RecordProof" });

const agreementCount = z.number().int().nonnegative();

export const programTotals = z
  .object({
    agreementsByStatus: z.object(Object.fromEntries(AGREEMENT_STATUSES.map((st) => [st, agreementCount])) as Record<(typeof AGREEMENT_STATUSES)[number], typeof agreementCount>),
    creditsMinted: uintString,
    consumed: uintString,
    creditsOutstanding: uintString.meta({ description: "Minted and not consumed, on Active and Terminated agreements (credits still usable)." }),
    obligation: uintString,
    paid: uintString,
    outstanding: uintString.meta({ description: "Obligation minus paid, summed over every agreement." }),
    delinquent: agreementCount.meta({ description: "Agreements with an amount due before the indexed block's time." }),
    revenueReported: uintString.meta({ description: "Revenue of the latest report of every period not rejected (Pending, Disputed, Cleared, Finalized)." }),
    revenueFinalized: uintString,
  })
  .meta({ id: "ProgramTotals", description: "Program-wide sums over every agreement at the indexed block, exact." });

export const program = z
  .object({
    chainId: z.number().int(),
    ledger: address,
    credit: address,
    settlementToken: address,
    treasury: address.nullable(),
    deploymentBlock: blockNumber,
    paused: z.boolean(),
    lastUnpausedAt: isoTimeOrNull,
    programClaimable: uintString,
    programClaimed: uintString,
    revenueSigners: z
      .object({ signers: z.array(address), threshold: z.number().int(), pending: pendingSignerSet.nullable() })
      .meta({ description: "The revenue signer set in force at the indexed block, and the set PROGRAM proposed that is not in force yet." }),
    agreementCount: z.number().int(),
    constants: z.object({
      disputeWindow: seconds,
      rateNotice: seconds,
      authNotice: seconds,
      reportingGrace: seconds,
      signerNotice: seconds,
      migrationNotice: seconds,
      payoutNotice: seconds,
    }),
    totals: programTotals,
  })
  .meta({ id: "Program" });

export const health = single(z.object({ status: z.literal("ok") }), "HealthResponse");
export const ready = single(
  z.object({
    status: z.literal("ready"),
    indexedBlock: z.number().int(),
    headBlock: z.number().int().nullable(),
  }),
  "ReadyResponse",
);

export const responses = {
  program: single(program, "ProgramResponse"),
  agreements: page(agreementSummary, "AgreementPage"),
  agreement: single(agreement, "AgreementResponse"),
  usage: page(usageLine, "UsageLinePage"),
  revenue: page(revenuePeriod, "RevenuePeriodPage"),
  payments: page(payment, "PaymentPage"),
  distributions: page(distribution, "DistributionPage"),
  audits: page(audit, "AuditPage"),
  agreementAudit: single(agreementAudit, "AgreementAuditResponse"),
  partners: page(partnerSummary, "PartnerPage"),
  partnerPositions: page(partnerPosition, "PartnerAgreementPositionPage"),
  partnerBatches: page(usageBatchSummary, "UsageBatchSummaryPage"),
  partner: single(partnerDetail, "PartnerResponse"),
  account: single(account, "AccountResponse"),
  usageBatch: single(usageBatch, "UsageBatchResponse"),
  proof: single(recordProof, "RecordProofResponse"),
};

export type AgreementSummary = z.output<typeof agreementSummary>;
export type Agreement = z.output<typeof agreement>;
export type Position = z.output<typeof position>;
export type UsageLine = z.output<typeof usageLine>;
export type RevenuePeriod = z.output<typeof revenuePeriod>;
export type Payment = z.output<typeof payment>;
export type Distribution = z.output<typeof distribution>;
export type Audit = z.output<typeof audit>;
export type AgreementAudit = z.output<typeof agreementAudit>;
export type PartnerSummary = z.output<typeof partnerSummary>;
export type PartnerDetail = z.output<typeof partnerDetail>;
export type Account = z.output<typeof account>;
export type UsageBatch = z.output<typeof usageBatch>;
export type UsageBatchSummary = z.output<typeof usageBatchSummary>;
export type PartnerPosition = z.output<typeof partnerPosition>;
export type UsageDispute = z.output<typeof usageDispute>;
export type RecordProof = z.output<typeof recordProof>;
export type Program = z.output<typeof program>;
export type ProgramTotals = z.output<typeof programTotals>;
export type PendingMigration = z.output<typeof pendingMigration>;
export type PendingSignerSet = z.output<typeof pendingSignerSet>;
export type PendingPayout = z.output<typeof pendingPayout>;
