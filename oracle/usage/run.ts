// The usage pipeline (SERVICES §2), one pass: settle the batches a previous run left signed,
// read the exports, then batch by batch: plan (late carry, closed piece, lines, preflight) →
// sign (k of n local keys, or a batch file for co-signers) → simulate the exact transaction →
// persist → send → commit the receipt → write the evidence bundle.
import { join } from "node:path";
import type { Address, Hex, LocalAccount } from "viem";
import { createChainClients, withRetry, type ChainClients } from "../../sdk/chain";
import { loadDeployment, type Deployment } from "../../sdk/deployment";
import { ConfigError, FatalError } from "../../sdk/errors";
import { ledgerDomain, usageBatchId, type LedgerDomain, type SignerSignature, type UsageBatch } from "../../sdk/eip712";
import { loadAccount } from "../../sdk/keys";
import { compileUsageConfig, type UsageSourceSettings } from "../sources/usage";
import { writeFileAtomic, writeQuarantineFile } from "../state/files";
import { UsageState, type BatchRow } from "../state/usageState";

/** A batch row as first stored (no receipt yet). */
type NewBatchRow = Omit<BatchRow, "confirmedAt" | "receiptJson" | "rejectedJson">;
import { batchToJson, signBatch, submitUsageCalldata, type BatchFile } from "./batch";
import { ensureEvidenceBundles, writeEvidenceBundle } from "./bundle";
import { pendingMembershipNote, signerSetWarnings } from "../common/signerSet";
import { cutsOf, readChainContext, type ChainContext } from "./chainContext";
import { sourceConfigOf, type UsageConfig } from "./config";
import { usageRootOfHashes } from "./evidence";
import { faultPoint } from "./faults";
import { loadKeccak } from "../../sdk/keccak";
import { ingestFiles, listInputFiles, type IngestCounts } from "./ingest";
import { resumeWaitingRows, takeAcceptedRows } from "./resume";
import { emptySummary, type UsageRunSummary } from "./summary";
import { markBatched, planNextBatch, type PlannedBatch } from "./plan";
import { WindowGrid } from "./slicing";
import { settleBatch, signedTransaction, simulate, type Settlement, type SubmitContext } from "./submit";

export { emptySummary, formatSummary, gasPerGpuHour, summaryJson, type UsageRunSummary } from "./summary";

/** Progress of a run, for a progress bar. */
export type UsageProgress =
  | { phase: "ingest"; files: number; totalFiles: number; read: number }
  | { phase: "batches"; batched: number; submitted: number };

/** Everything a run needs, opened once (follow mode runs many passes on it). */
export interface UsageRuntime {
  config: UsageConfig;
  deployment: Deployment;
  state: UsageState;
  settings: UsageSourceSettings;
  signers: LocalAccount[];
  clients: ChainClients;
  domain: LedgerDomain;
  submit: SubmitContext;
  log: (message: string) => void;
}

/**
 * Opens the deployment (`deploymentsDir`), keys (`signers`, `sender`), chain clients and state of a usage oracle.
 * @throws ConfigError for a missing key, a config with neither `sender` nor `signers`, or a node on another chain.
 */
export async function openUsageRuntime(config: UsageConfig, log: (message: string) => void = () => {}): Promise<UsageRuntime> {
  await loadKeccak();
  const deployment = loadDeployment(config.deploymentsDir, config.chainId);
  const signers = await Promise.all(config.signers.map((k) => loadAccount({ chainId: config.chainId, ...k })));
  const sender = config.sender ? await loadAccount({ chainId: config.chainId, ...config.sender }) : signers[0];
  if (sender === undefined) {
    throw new ConfigError("sender", "No key to send transactions with: the usage config sets neither `sender` nor `signers`.", {
      fix:
        "Add `sender` or at least one key in `signers` to the config file, each as `keystore` (+ `passwordEnv`) or, on chain 31337, " +
        "`privateKeyEnv` (docs/usage-oracle.md), then run `dsx usage run --config <file>` again.",
    });
  }
  const clients = createChainClients({ rpcUrl: config.rpcUrl, chainId: config.chainId, account: sender });
  const retry = { ...config.retry, onRetry: (err: unknown, attempt: number, delay: number) => log(`RPC failed (${(err as Error).message.split("\n")[0]}); retry ${attempt} in ${delay} ms`) };
  const nodeChainId = await withRetry(() => clients.publicClient.getChainId(), retry);
  if (nodeChainId !== config.chainId) {
    throw new ConfigError("chainId", `The node at rpcUrl is on chain ${nodeChainId}, not ${config.chainId}.`, { fix: "Correct rpcUrl or chainId." });
  }
  const state = openUsageState(config, deployment);
  return {
    config,
    deployment,
    state,
    settings: compileUsageConfig(sourceConfigOf(config)),
    signers,
    clients,
    domain: ledgerDomain(config.chainId, deployment.ledger),
    submit: {
      state,
      publicClient: clients.publicClient,
      walletClient: clients.walletClient!,
      ledger: deployment.ledger,
      partner: config.partner,
      deploymentBlock: BigInt(deployment.deploymentBlock),
      retry,
      log,
    },
    log,
  };
}

/**
 * Opens the state folder of a config (no chain needed: the quarantine review works offline).
 * @throws FatalError when the folder belongs to another chain, ledger or partner.
 */
export function openUsageState(config: UsageConfig, deployment: Deployment = loadDeployment(config.deploymentsDir, config.chainId)): UsageState {
  return UsageState.open(config.stateDir, { chainId: config.chainId, ledger: deployment.ledger, partner: config.partner });
}

/** Logs a warning when the configured keys are in a pending signer set of the partner but not in force, or the reverse. */
export function warnAboutSignerSets(rt: UsageRuntime, ctx: ChainContext): void {
  const whose = `partner ${rt.config.partner}'s signer set`;
  for (const warning of signerSetWarnings(rt.signers.map((a) => a.address), ctx.partner, whose)) rt.log(warning);
}

/** Reads the chain context for this partner's agreements and skus. */
export async function readContext(rt: UsageRuntime): Promise<ChainContext> {
  return withRetry(
    () =>
      readChainContext(rt.clients.publicClient, {
        ledger: rt.deployment.ledger,
        credit: rt.deployment.credit,
        partner: rt.config.partner,
        agreementIds: [...rt.settings.accounts.values()],
        skus: [...rt.settings.knownSkus],
      }),
    rt.submit.retry,
  );
}

function evidenceMeta(rt: UsageRuntime): { chainId: number; ledger: Address } {
  return { chainId: rt.config.chainId, ledger: rt.deployment.ledger };
}

/**
 * Applies a settlement to the summary; true when the run may go on. The slices of lines the
 * ledger rejected (a failing line and its `SiblingRejected` siblings) join `excluded`: not
 * planned again in this run.
 */
export function applySettlement(
  rt: UsageRuntime,
  row: BatchRow,
  settlement: Settlement,
  summary: UsageRunSummary,
  excluded?: Set<number>,
): boolean {
  if (settlement.kind === "confirmed") {
    for (const id of settlement.pendingAgain) excluded?.add(id);
    summary.submitted += 1;
    summary.gasUsed += settlement.gasUsed;
    summary.gpuSecondsAttested += settlement.gpuSeconds;
    summary.rejected += settlement.rejectedLines;
    faultPoint("after-confirm");
    writeEvidenceBundle(rt.state, rt.config.evidenceDir, rt.state.getBatch(row.batchId) as BatchRow, evidenceMeta(rt));
    return true;
  }
  if (settlement.kind === "rebuild") {
    rt.log(`batch ${row.batchId} (sequence ${row.sequence}) is rebuilt: ${settlement.reason}`);
    rt.state.transaction(() => rt.state.supersedeBatch(row.batchId));
    return true;
  }
  summary.blocked = settlement.reason;
  return false;
}

/** Path of the batch file co-signers sign. */
export function outboxPath(config: UsageConfig, batchId: string): string {
  return join(config.stateDir, "outbox", `${batchId}.json`);
}

/**
 * Builds, signs, simulates and persists a planned batch (the rows → batched, in the same
 * transaction as the batch with its signatures, calldata and signed transaction). With
 * fewer local signer keys than the threshold it is persisted `awaiting-signatures` and a
 * batch file is written for the co-signers. Returns undefined when the sequence moved
 * meanwhile (plan again).
 */
/** A planned batch as the ledger will see it, under `sequence`, and its id. */
export function batchOf(partner: Address, sequence: bigint, planned: PlannedBatch): { batch: UsageBatch; batchId: Hex } {
  const { draft } = planned;
  const batch: UsageBatch = {
    partner,
    sequence,
    periodStart: draft.periodStart,
    periodEnd: draft.periodEnd,
    recordsRoot: usageRootOfHashes(planned.leafHashes),
    lines: draft.lines,
  };
  return { batch, batchId: usageBatchId(batch.partner, batch.sequence, batch.periodStart, batch.periodEnd, batch.recordsRoot) };
}

/** The row of a signed batch: `signed` with its calldata (and transaction) once the threshold is met, else awaiting signatures. */
export function batchRowOf(
  batchId: Hex,
  batch: UsageBatch,
  planned: PlannedBatch,
  signatures: readonly SignerSignature[],
  calldata: Hex | null,
  tx: { raw: Hex; hash: Hex } | null,
): NewBatchRow {
  return {
    batchId,
    sequence: batch.sequence,
    periodStart: batch.periodStart,
    periodEnd: batch.periodEnd,
    recordsRoot: batch.recordsRoot,
    batchJson: JSON.stringify(batchToJson(batch)),
    leavesJson: planned.leavesJson,
    packIdsJson: JSON.stringify(planned.packIds),
    signaturesJson: JSON.stringify(signatures),
    calldata,
    rawTx: tx?.raw ?? null,
    txHash: tx?.hash ?? null,
    status: calldata === null ? "awaiting-signatures" : "signed",
    predictedRejectionsJson: JSON.stringify(
      planned.rejected.map((r) => ({ agreementId: r.line.agreementId.toString(), sku: r.line.sku, reason: r.reason })),
    ),
    createdAt: Date.now(),
  };
}

/** Stores the batch row and marks its packs batched, in one durable (fsync) transaction. */
export function storeBatch(state: UsageState, row: NewBatchRow, planned: PlannedBatch): void {
  state.transaction(
    () => {
      state.deleteSupersededBatch(row.batchId);
      state.insertBatch(row);
      markBatched(state, planned, row.batchId);
    },
    { durable: true },
  );
}

async function persistBatch(rt: UsageRuntime, ctx: ChainContext, planned: PlannedBatch): Promise<BatchRow | undefined> {
  const { batch, batchId } = batchOf(rt.config.partner, ctx.partner.nextSequence, planned);
  const members = new Set(ctx.partner.signers.map((s) => s.toLowerCase()));
  const keys = rt.signers.filter((a) => members.has(a.address.toLowerCase()));
  if (rt.signers.length > 0 && keys.length === 0) {
    const note = pendingMembershipNote(rt.signers.map((a) => a.address), ctx.partner);
    throw new ConfigError("signers", `None of the configured signer keys is among partner ${rt.config.partner}'s signers in force on the ledger.${note}`, {
      fix: note
        ? "Run again once that set is in force, or configure keys of the set in force (the partner's own rotation, dsx partner signers, takes effect at once)."
        : `Configure the partner's current oracle keys in \`signers\` (the program may have rotated them; dsx status --account ${rt.config.partner} shows the set in force).`,
    });
  }
  const signatures = await signBatch(keys, rt.domain, batch);
  const complete = signatures.length >= ctx.partner.threshold;
  let calldata: `0x${string}` | null = null;
  let tx: { raw: `0x${string}`; hash: `0x${string}` } | null = null;
  if (complete) {
    calldata = submitUsageCalldata(batch, signatures);
    const refusal = await simulate(rt.submit, calldata);
    if (refusal === "UsageSequenceMismatch") return undefined;
    if (refusal !== undefined) {
      throw new FatalError(`The ledger refuses the batch for window [${batch.periodStart}, ${batch.periodEnd}) (${refusal}).`, {
        fix: refusal === "PartnerInactive" || refusal === "LedgerPaused" ? "Run again once the program has resolved it." : "Check the partner's signer keys and rate card.",
      });
    }
    tx = await signedTransaction(rt.submit, calldata);
  }
  // Durable (fsync) before the batch file is handed out or the transaction sent.
  storeBatch(rt.state, batchRowOf(batchId, batch, planned, signatures, calldata, tx), planned);
  if (!complete) {
    const file: BatchFile = { kind: "dsx-usage-batch", chainId: rt.config.chainId, ledger: rt.deployment.ledger, batchId, batch: batchToJson(batch) };
    writeFileAtomic(outboxPath(rt.config, batchId), `${JSON.stringify(file, null, 2)}\n`);
  }
  faultPoint("after-persist");
  return rt.state.getBatch(batchId);
}

function addIngest(summary: UsageRunSummary, counts: IngestCounts): void {
  summary.read += counts.read;
  summary.new += counts.new;
  summary.duplicate += counts.duplicate;
  summary.quarantined += counts.quarantined;
  summary.ignored += counts.ignored;
  summary.waiting += counts.waiting;
  summary.pendingJobs += counts.pendingJobs;
  summary.doneEarlier.push(...counts.doneEarlier);
}

/** Options of {@link runUsageOnce}. */
export interface RunOptions {
  /** Export files or folders; default the config's inputs. */
  inputs?: readonly string[];
  onProgress?: (progress: UsageProgress) => void;
  /** Filled as the run goes, so a caller can print what was done even when the run throws. */
  summary?: UsageRunSummary;
}

/** One pass of the pipeline. Safe to kill at any point and run again. */
export async function runUsageOnce(rt: UsageRuntime, options: RunOptions = {}): Promise<UsageRunSummary> {
  const { state, config } = rt;
  const summary = options.summary ?? emptySummary();
  ensureEvidenceBundles(state, config.evidenceDir, evidenceMeta(rt));
  // Slices refused in this run (by the preflight or the ledger): not planned again until the next run.
  const excluded = new Set<number>();
  try {
    // 1. Batches a previous run persisted: resend exactly them (or find them on chain).
    for (const row of state.openBatches()) {
      if (row.status === "awaiting-signatures") {
        summary.awaitingSignatures.push(row.batchId);
        continue;
      }
      if (!applySettlement(rt, row, await settleBatch(rt.submit, row), summary, excluded)) return summary;
    }

    // 2. Rows waiting for the chain's clock since earlier runs, rows accepted out of the quarantine, then the exports.
    let ctx = await readContext(rt);
    warnAboutSignerSets(rt, ctx);
    const ingestGrid = new WindowGrid({ windowSeconds: BigInt(config.windowSeconds), cuts: cutsOf(ctx) });
    const resume = { now: ctx.now, grid: ingestGrid, onChunk: () => faultPoint("after-resume") };
    summary.earlier = resumeWaitingRows(state, resume);
    summary.accepted = takeAcceptedRows(state, resume);
    const files = listInputFiles(options.inputs ?? config.inputs);
    const counts = await ingestFiles(state, files, {
      settings: rt.settings,
      grid: ingestGrid,
      now: ctx.now,
      onProgress: (c) => {
        options.onProgress?.({ phase: "ingest", files: c.files + c.skippedFiles, totalFiles: files.length, read: c.read });
        faultPoint("after-ingest-chunk");
      },
    });
    addIngest(summary, counts);
    summary.waitingFiles = state.waitingFiles();
    writeQuarantineFile(state);
    if (summary.awaitingSignatures.length > 0) return summary;

    // 3. Batch by batch.
    for (;;) {
      ctx = await readContext(rt);
      if (!ctx.partner.registered || !ctx.partner.active) {
        summary.blocked = `partner ${config.partner} is ${ctx.partner.registered ? "deactivated" : "not registered"} on the ledger`;
        break;
      }
      const grid = new WindowGrid({ windowSeconds: BigInt(config.windowSeconds), cuts: cutsOf(ctx) });
      const current = ctx;
      const step = state.transaction(() => planNextBatch(state, current, grid, { lagSeconds: BigInt(config.lagSeconds), excluded }));
      summary.slicesQuarantined += step.quarantined;
      summary.rejected += step.rejected.length;
      faultPoint("after-plan");
      if (!step.batch) break;
      const row = await persistBatch(rt, ctx, step.batch);
      if (row === undefined) continue;
      summary.batched += 1;
      if (row.status === "awaiting-signatures") {
        summary.awaitingSignatures.push(row.batchId);
        break;
      }
      const settled = await settleBatch(rt.submit, row);
      if (!applySettlement(rt, row, settled, summary, excluded)) break;
      options.onProgress?.({ phase: "batches", batched: summary.batched, submitted: summary.submitted });
    }
    return summary;
  } finally {
    writeQuarantineFile(state);
  }
}
