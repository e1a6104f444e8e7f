// The dashboard tests' world: their own hardhat node with the ledger deployed and a program run shaped for
// the pages (a delinquent agreement, a pending report inside its dispute window, a disputed one, a credit
// note, the auditor's real report with its hash recorded, an evidence bundle for a batch), indexed by the real
// API (PGlite) that serves the dashboard.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { keccak256, stringToHex, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { apiConfigSchema } from "../../../api/config";
import { runAudit } from "../../../auditor/audit";
import { agreementClean } from "../../../auditor/record";
import type { Deployment } from "../../../sdk/deployment";
import { startApi, type RunningApi } from "../../../api/server";
import { deployTo, startHardhatNode, type RunningNode } from "../../helpers/hardhatNode";
import { newPglite, silentLogger } from "../../api/helpers/fixture";
import { B200, DAY, DSXC, H100, HOUR, LedgerDriver, sortAddresses } from "../../helpers/ledgerDriver";

const USAGE_LEAF_ENCODING = ["string", "uint256", "bytes32", "uint64", "uint64", "uint64"];

export interface Facts {
  /** Active, delinquent after the run; partners F and B; one audit. */
  a1: bigint;
  /** Active, paid in full; its period 1 report is disputed. */
  a2: bigint;
  /** Proposed (never accepted). */
  a3: bigint;
  /** Proposed after the audit: the latest report does not cover it. */
  a4: bigint;
  startups: Address[];
  partnerF: Address;
  partnerB: Address;
  /** B's first batch, whose recordsRoot is the root of `recordId`'s evidence tree. */
  evidenceBatch: Hex;
  recordId: string;
  /** The chain's time after the run (unix seconds). */
  chainNow: bigint;
  /** PROGRAM's changes left pending by the run (PROTOCOL v1.1 §3). */
  pending: {
    /** a2's proposed wallet. */
    migrationTo: Address;
    /** F's proposed signer set (1 of 2) and payout address. */
    signersF: Address[];
    payoutF: Address;
    /** The proposed revenue signer set (1 of 2). */
    revenueSigners: Address[];
  };
  /** The payout address B set for itself (in force at once). */
  payoutB: Address;
}

export interface Stack {
  node: RunningNode;
  driver: LedgerDriver;
  api: RunningApi;
  url: string;
  facts: Facts;
  /**
   * Makes sure the driver's next call reaches the node: after an idle spell the node may have closed the kept-alive
   * connection, and the driver's client does not retry (the first call then fails with "other side closed").
   */
  wake(): Promise<void>;
  /** Waits until the API has indexed `block`. */
  indexed(block: bigint): Promise<void>;
  stop(): Promise<void>;
}

async function scenario(d: LedgerDriver, deployment: Deployment, dirs: { evidence: string; audits: string }): Promise<Facts> {
  await d.setupProgram();
  const base = await d.standardTerms();
  const start = base.startTime;
  const period = BigInt(base.periodDuration);
  const F = d.partnerF;
  const B = d.partnerB;
  const a1 = await d.openAgreement(base, { f: [50_000n * DSXC, 16], b: [50_000n * DSXC, 8] });
  const a2 = await d.openAgreement({ ...base, revenueShareBps: 1_000 }, { f: [20_000n * DSXC, 8] });
  const w3 = await d.newWallet();
  await d.call(d.admin, "createAgreement", { ...base, startup: w3.address, termsHash: keccak256(stringToHex("a3")) });

  // B's first batch carries a real evidence tree: one record in two hourly slices, and another record
  const recordId = `slurm:berlin:4242:${start}`;
  const leaves = [
    [recordId, "1", B200, String(start), String(start + HOUR), "14400"],
    [recordId, "1", B200, String(start + HOUR), String(start + 2n * HOUR), "7200"],
    [`slurm:berlin:4243:${start}`, "1", B200, String(start), String(start + HOUR), "7200"],
  ];
  const tree = StandardMerkleTree.of(leaves, USAGE_LEAF_ENCODING);
  let evidenceBatch: Hex | undefined;

  for (let day = 0n; day < 3n; day++) {
    const ws = start + day * DAY;
    const we = ws + DAY;
    await d.timeTo(we + 60n);
    const f = await d.usage(F, ws, we, [
      [a1.id, B200, 48n * HOUR * (2n + day)],
      [a1.id, H100, 24n * HOUR * (3n + day)],
      [a2.id, H100, 24n * HOUR * (1n + day)],
      [3n, H100, HOUR], // Proposed: NotOpen
    ]);
    const b = await d.usage(B, ws, we, [[a1.id, B200, day === 0n ? 28_800n : 24n * HOUR * (1n + day)]], day === 0n ? (tree.root as Hex) : undefined);
    if (day === 0n) {
      evidenceBatch = b.batchId;
      fs.writeFileSync(path.join(dirs.evidence, `${b.batchId}.json`), JSON.stringify({ batchId: b.batchId, tree: tree.dump() }));
      // the startup disputes F's first batch; the program grants a credit note of a third of it
      await d.call(a1.startup, "disputeUsage", f.batchId, a1.id, keccak256(stringToHex("too many GPU-hours")));
      const mine = f.accepted.filter((l) => l.agreementId === a1.id);
      await d.call(d.admin, "resolveUsageDispute", f.batchId, a1.id, F.address, f.accepted, mine.reduce((s, l) => s + l.credits, 0n) / 3n);
    }
  }

  // period 0: a1's report replaced by version 2; both finalized after the dispute window; a2 paid in full, a1 in part
  await d.timeTo(start + period + 60n);
  await d.revenue(a1.id, 0, 20_000n * DSXC);
  await d.revenue(a1.id, 0, 25_000n * DSXC, 2);
  await d.revenue(a2.id, 0, 5_000n * DSXC);
  await d.timeTo(start + period + 4n * DAY);
  await d.call(d.admin, "finalizeRevenue", a1.id, 0);
  await d.call(d.admin, "finalizeRevenue", a2.id, 0);
  await d.pay(a2.id, 10_000n * DSXC);
  await d.pay(a1.id, 1_200n * DSXC);
  await d.call(d.admin, "claim", F.address);
  await d.call(d.admin, "claimProgram");
  // the auditor's real report, in the folder the API serves reports from; its hash recorded for a1 only
  const audit = await runAudit({
    rpcUrl: d.node.url,
    chainId: deployment.chainId,
    ledger: deployment.ledger,
    fromBlock: BigInt(deployment.deploymentBlock),
    credit: deployment.credit,
    settlementToken: deployment.settlementToken,
  });
  fs.writeFileSync(path.join(dirs.audits, `audit-${deployment.chainId}-${audit.report.chain.throughBlock}.json`), audit.json);
  const clean = agreementClean(audit.report, String(a1.id));
  await d.call(d.admin, "recordAudit", a1.id, BigInt(audit.report.chain.throughBlock), audit.reportHash, clean);
  const w4 = await d.newWallet();
  await d.call(d.admin, "createAgreement", { ...base, startup: w4.address, termsHash: keccak256(stringToHex("a4")) });

  // period 1 has ended and a1's period 0 is past due: a1 is delinquent; a1's report is pending, a2's disputed
  await d.timeTo(start + 2n * period + HOUR);
  await d.revenue(a1.id, 1, 30_000n * DSXC);
  await d.revenue(a2.id, 1, 4_000n * DSXC);
  await d.call(d.admin, "disputeRevenue", a2.id, 1, keccak256(stringToHex("check the refunds")));

  // PROGRAM's changes wait their notice (a wallet migration, F's signers and payout address, the revenue signers);
  // B's own payout address is in force at once
  const heir = await d.newWallet();
  await d.call(d.admin, "migrateStartup", a2.id, heir.address);
  const payoutB = (await d.newWallet()).address;
  await d.call(B.wallet, "setPayoutAddress", B.address, payoutB);
  const payoutF = (await d.newWallet()).address;
  await d.call(d.admin, "setPayoutAddress", F.address, payoutF);
  const signersF = sortAddresses([F.oracle.address, privateKeyToAccount(keccak256(stringToHex("dsx-dashboard-oracle-f2"))).address]);
  await d.call(d.admin, "setPartnerSigners", F.address, signersF, 1);
  const revenueSigners = sortAddresses([d.revenueOracle.address, privateKeyToAccount(keccak256(stringToHex("dsx-dashboard-revenue-oracle-2"))).address]);
  await d.call(d.admin, "setRevenueSigners", revenueSigners, 1);

  return {
    a1: a1.id,
    a2: a2.id,
    a3: 3n,
    a4: 4n,
    startups: [a1.startup.address, a2.startup.address, w3.address, w4.address],
    partnerF: F.address,
    partnerB: B.address,
    evidenceBatch: evidenceBatch!,
    recordId,
    chainNow: await d.now(),
    pending: { migrationTo: heir.address, signersF, payoutF, revenueSigners },
    payoutB,
  };
}

/** Starts the node, runs the scenario, starts the API (indexer + HTTP, dashboard included) and waits until it has indexed the run. */
export async function startStack(): Promise<Stack> {
  // the database loads (WASM, CPU-bound) while the node starts and the ledger deploys (mostly waiting)
  const database = newPglite();
  database.catch(() => undefined);
  let node: RunningNode | undefined;
  try {
    node = await startHardhatNode();
    const { deployment } = await deployTo(node);
    const driver = new LedgerDriver(node, deployment);
    const dirs = { evidence: fs.mkdtempSync(path.join(os.tmpdir(), "dsx-dashboard-evidence-")), audits: fs.mkdtempSync(path.join(os.tmpdir(), "dsx-dashboard-audits-")) };
    const facts = await scenario(driver, deployment, dirs);
    const head = await driver.publicClient.getBlockNumber();
    const config = apiConfigSchema.parse({
      rpcUrl: node.url,
      chainId: deployment.chainId,
      port: 0,
      confirmations: 0,
      pollIntervalMs: 100,
      evidenceDir: dirs.evidence,
      auditDir: dirs.audits,
      // the tests poll every 300 ms and load every page several times: far over a person's use
      rateLimitPerMinute: 0,
      logLevel: "silent",
    });
    const api = await startApi(config, silentLogger, { deployment, database: await database });
    const indexed = async (block: bigint) => {
      const target = Number(block);
      for (let i = 0; i < 600; i++) {
        const res = await fetch(`${api.url}/v1/health`);
        const body = (await res.json()) as { meta: { blockNumber: number | null } };
        if ((body.meta.blockNumber ?? -1) >= target) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`the API did not index block ${target} within 60 s`);
    };
    await indexed(head);
    const running = node;
    return {
      node: running,
      driver,
      api,
      url: api.url,
      facts,
      indexed,
      async wake() {
        for (let i = 0; ; i++) {
          try {
            await driver.publicClient.getBlockNumber();
            return;
          } catch (err) {
            if (i >= 2) throw err;
          }
        }
      },
      async stop() {
        await api.close();
        await running.stop();
        for (const dir of Object.values(dirs)) fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await node?.stop();
    await (await database.catch(() => undefined))?.close();
    throw err;
  }
}
