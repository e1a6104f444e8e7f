// One audit, end to end (SERVICES §5): read the chain directly, replay every event through the auditor's own
// model, compare with the views and token balances at the audited block, check the invariants and, given an
// evidence folder, the usage evidence (and, given the revenue oracle's, the quarantine decisions behind its reports);
// then build the report and its hash.
import { getAddress, type Address, type Hex } from "viem";
import { ConfigError } from "../sdk/errors";
import { decodeAuditLogs, type LedgerEvent } from "./chain/events";
import { fetchAuditLogs, fetchBlockTimes } from "./chain/logs";
import { createChainReader, type ChainReader } from "./chain/reader";
import { readConstants, readSnapshot, snapshotRequestOf, type ChainSnapshot } from "./chain/snapshot";
import { readTransactions, recoverBatchSigners, transactionsToRead } from "./chain/transactions";
import { checkAgreementView } from "./checks/agreementView";
import { CHECKS } from "./checks/catalog";
import { checkCreditBalances, checkCreditMoves } from "./checks/creditToken";
import { checkInvariant1 } from "./checks/invariant1";
import { checkInvariant2 } from "./checks/invariant2";
import { checkInvariant3 } from "./checks/invariant3";
import { checkInvariant4Paid } from "./checks/invariant4";
import { checkInvariant5Position } from "./checks/invariant5";
import { checkPartnerList, checkPositionView } from "./checks/positionView";
import { checkPeriodView } from "./checks/periodView";
import { checkProgramView } from "./checks/programView";
import { checkSettlementBalance, checkSettlementMoves } from "./checks/settlementToken";
import { batchLinesOf, loadEvidenceBundles, type LoadedBundle } from "./evidence/bundles";
import { verifyRevenueEvidence, type RevenueEvidenceSummary } from "./evidence/revenue";
import { verifyEvidence, type EvidenceSummary } from "./evidence/verify";
import { Findings, type Location } from "./findings";
import { buildReport, reportJson, type AuditReport } from "./report/build";
import { canonicalize, reportHashOf } from "./report/canonical";
import { renderMarkdown } from "./report/markdown";
import { replayLedger } from "./replay/replay";
import type { LedgerModel } from "./replay/model";

/** What to audit. */
export interface AuditOptions {
  rpcUrl: string;
  chainId: number;
  ledger: Address;
  /** The deployment block (the first block to read). */
  fromBlock: bigint;
  /** The audited block; default the latest. */
  throughBlock?: bigint;
  /** Expected token addresses (from the deployment file); checked against the ledger's own views. */
  credit?: Address;
  settlementToken?: Address;
  /** A folder of usage evidence bundles to verify. */
  evidenceDir?: string;
  /** The revenue oracle's evidence folder: the quarantine decisions its report descriptions carry are verified. */
  revenueEvidenceDir?: string;
  /** Blocks per eth_getLogs call; default 2 000 (block times of a chunk are read while the next chunks load). */
  chunkBlocks?: bigint;
  /** Read views with deployless multicalls (default) or one eth_call each. */
  multicall?: boolean;
  /** An existing reader (tests, benchmarks). */
  reader?: ChainReader;
  onProgress?: (phase: string, detail?: string) => void;
}

/** An audit's outcome. */
export interface AuditResult {
  report: AuditReport;
  /** The report file's exact content (canonical JSON). */
  json: string;
  /** keccak256 of `json`'s bytes. */
  reportHash: Hex;
  markdown: string;
  findings: Findings;
  model: LedgerModel;
  snapshot: ChainSnapshot;
  events: LedgerEvent[];
  evidence: LoadedBundle[];
  /** What the revenue evidence check read (with `revenueEvidenceDir`). */
  revenueEvidence: RevenueEvidenceSummary | null;
  timings: Record<string, number>;
}

/**
 * Audits the ledger at `options.ledger` from `fromBlock` through `throughBlock`.
 * @example const { report, reportHash } = await runAudit({ rpcUrl, chainId: 31337, ledger, fromBlock: 1n });
 */
export async function runAudit(options: AuditOptions): Promise<AuditResult> {
  const timings: Record<string, number> = {};
  let mark = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = Math.round(now - mark);
    mark = now;
    options.onProgress?.(name);
  };
  const reader = options.reader ?? createChainReader({ rpcUrl: options.rpcUrl });
  const chainId = await reader.client.getChainId();
  if (chainId !== options.chainId) {
    throw new ConfigError("chainId", `The node at ${options.rpcUrl} serves chain ${chainId}, not ${options.chainId}.`, { fix: "Point --rpc-url at a node of the audited chain." });
  }
  const throughBlock = options.throughBlock ?? (await reader.client.getBlockNumber());
  const ledger = getAddress(options.ledger);
  const constants = await readConstants(reader, ledger, throughBlock);
  const findings = new Findings();
  const auditedAt: Location = { block: throughBlock.toString() };
  if (options.credit) findings.equal(CHECKS.programView.id, null, "credit() (deployment file)", options.credit, constants.credit, auditedAt);
  if (options.settlementToken) findings.equal(CHECKS.programView.id, null, "settlementToken() (deployment file)", options.settlementToken, constants.settlementToken, auditedAt);
  lap("constants");

  // block times are read chunk by chunk while later chunks' logs are still being fetched
  const ledgerLower = ledger.toLowerCase();
  const blockTimeParts: Promise<Map<bigint, bigint>>[] = [];
  const logs = await fetchAuditLogs(reader, {
    ledger, credit: constants.credit, settlementToken: constants.settlementToken, fromBlock: options.fromBlock, toBlock: throughBlock,
    chunkBlocks: options.chunkBlocks ?? 2_000n,
    onChunk: (chunk) => {
      const blocks = new Set<bigint>();
      for (const log of chunk) if (log.address.toLowerCase() === ledgerLower) blocks.add(BigInt(log.blockNumber));
      const part = fetchBlockTimes(reader, blocks);
      part.catch(() => undefined); // awaited below
      blockTimeParts.push(part);
    },
  });
  lap("fetchLogs");
  // the node serves block times and then the views while this process decodes and replays: each request is
  // sent (a macrotask) before the synchronous work starts
  const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
  const blockTimesP = Promise.all(blockTimeParts).then((parts) => new Map(parts.flatMap((part) => [...part])));
  await tick();
  const decoded = decodeAuditLogs(ledger, logs.ledgerAndCredit, logs.settlement);
  const request = snapshotRequestOf(decoded.events, { ledger, credit: constants.credit, settlementToken: constants.settlementToken });
  const snapshotP = readSnapshot(reader, throughBlock, request, { multicall: options.multicall });
  snapshotP.catch(() => undefined); // awaited below; no unhandled rejection while the replay runs
  lap("decode");
  const blockTimes = await blockTimesP;
  lap("blockTimes");
  // the few transactions whose sender or signatures a rule needs (PROTOCOL §10.7); none in most histories
  const wanted = transactionsToRead(decoded.events, blockTimes);
  const transactions = await readTransactions(reader, [...wanted.senders, ...wanted.batches.keys()]);
  const batchSigners = await recoverBatchSigners(transactions, wanted.batches, { chainId, ledger });
  lap("transactions");
  await tick();

  const evidence = options.evidenceDir ? loadEvidenceBundles(options.evidenceDir) : [];
  const model = replayLedger(decoded.events, blockTimes, constants, findings, {
    batchLines: batchLinesOf(evidence), auditorRole: constants.auditorRole, programRole: constants.programRole, senders: transactions, batchSigners,
  });
  const blockOf = new Map<Hex, bigint>();
  for (const t of [...decoded.credit, ...decoded.settlement]) blockOf.set(t.tx, t.block);
  checkCreditMoves(findings, model, decoded.credit, blockOf);
  const flows = checkSettlementMoves(findings, model, ledger, decoded.settlement, blockOf);
  lap("replay");
  const snapshot = await snapshotP;
  lap("views");
  const beneficiarySet = new Map<string, Address>();
  for (const b of request.beneficiaries) beneficiarySet.set(b.toLowerCase(), b);
  for (const a of model.agreements.values()) for (const p of a.partnerList) beneficiarySet.set(p.toLowerCase(), p);
  for (const k of model.claimable.keys()) beneficiarySet.set(k, getAddress(k));
  const beneficiaries = [...beneficiarySet.values()].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));

  for (const a of model.agreements.values()) {
    const entry = snapshot.agreements.get(a.id)!;
    checkAgreementView(findings, model, a, entry.view, entry.reportingClose, entry.pendingMigration, snapshot.timestamp, auditedAt);
    if (entry.view) checkInvariant4Paid(findings, a.id, { paid: entry.view.paid, obligation: entry.view.obligation }, auditedAt);
    checkPartnerList(findings, a, entry.partners, auditedAt);
    for (const [key, view] of entry.positions) {
      const partner = getAddress(key);
      checkPositionView(findings, a, partner, view, snapshot.timestamp, auditedAt);
      checkInvariant5Position(findings, a.id, { partner, paidToPartner: view.paidToPartner, receivable: view.receivable, burnedAt: view.burnedAt, payoutBps: model.partners.get(key)?.payoutBps ?? 0n }, auditedAt);
    }
    for (const p of a.periods) if (p.state !== "None") checkPeriodView(findings, a, p, entry.periods.get(p.index), auditedAt);
  }
  checkProgramView(findings, model, snapshot, beneficiaries, auditedAt);
  checkCreditBalances(findings, model, snapshot.creditBalances, throughBlock);
  checkInvariant3(findings, model, decoded.credit, snapshot.creditSupply, throughBlock);
  checkSettlementBalance(findings, flows, snapshot.settlementBalance, throughBlock);
  let claimableNow = snapshot.programClaimable;
  for (const b of beneficiaries) claimableNow += snapshot.claimable.get(b.toLowerCase()) ?? 0n;
  checkInvariant1(findings, { balance: snapshot.settlementBalance, owed: claimableNow, direct: flows.direct, block: throughBlock });
  checkInvariant2(findings, decoded.events, claimableNow, throughBlock);
  let evidenceSummary: EvidenceSummary | null = null;
  if (options.evidenceDir) evidenceSummary = await verifyEvidence(findings, model, evidence, { chainId, ledger });
  const revenueEvidence = options.revenueEvidenceDir ? verifyRevenueEvidence(findings, model, options.revenueEvidenceDir) : null;
  lap("checks");

  const report = buildReport(model, findings, {
    chainId, ledger, credit: constants.credit, settlementToken: constants.settlementToken, fromBlock: options.fromBlock, throughBlock,
    blockHash: snapshot.blockHash, blockTime: snapshot.timestamp, eventCount: decoded.events.length, settlementBalance: snapshot.settlementBalance,
    directTransfers: flows.direct, creditSupply: snapshot.creditSupply, beneficiaries, evidence: evidenceSummary,
  });
  const json = canonicalize(reportJson(report));
  const reportHash = reportHashOf(json);
  const markdown = renderMarkdown(report, reportHash);
  lap("report");
  return { report, json, reportHash, markdown, findings, model, snapshot, events: decoded.events, evidence, revenueEvidence, timings };
}
