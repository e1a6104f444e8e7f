// Shared by the API test files (one mocha process): one hardhat node with the ledger deployed and a
// realistic activity run, PGlite databases from a migrated template, and PostgreSQL databases when a
// server is reachable (DATABASE_URL, else the local test role that .ci/run creates).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { keccak256, stringToHex, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import pg from "pg";
import pino from "pino";
import { openDatabase, type DatabaseHandle } from "../../../api/db/database";
import { createIndexerClient } from "../../../api/indexer/client";
import { Indexer } from "../../../api/indexer/indexer";
import { DDL, SCHEMA_VERSION } from "../../../api/db/schema";
import { scratchPostgres } from "../../../scripts/lib/scratchDatabase";
import type { Deployment } from "../../../sdk/deployment";
import { deployTo, nodeRpc, startHardhatNode, type RunningNode } from "../../helpers/hardhatNode";
import { B200, DAY, DSXC, H100, GB300, LedgerDriver, sortAddresses } from "../../helpers/ledgerDriver";

export const silentLogger = pino({ level: "silent" });

export interface SharedChain {
  node: RunningNode;
  deployment: Deployment;
  /** The folder holding `<chainId>.json` (for the auditor's CLI). */
  deploymentsDir: string;
  driver: LedgerDriver;
  /** Agreement ids and actors of the activity run. */
  facts: {
    agreements: bigint[];
    startups: Address[];
    partners: Address[];
    batchIds: Hex[];
    payer: Address;
    auditor: Address;
    /** PROGRAM's changes still pending at the end of the run (PROTOCOL v1.1 §3). */
    pending: {
      /** Agreement 1's proposed wallet (MIGRATION_NOTICE). */
      migrationTo: Address;
      /** Partner F's proposed signer set (SIGNER_NOTICE): its oracle and a second key, 1 of 2. */
      signersF: Address[];
      /** Partner F's proposed payout address (PAYOUT_NOTICE). */
      payoutF: Address;
      /** The proposed revenue signer set (SIGNER_NOTICE), 1 of 2. */
      revenueSigners: Address[];
    };
    /** The payout address partner B set for itself (in force at once). */
    payoutB: Address;
  };
}

let shared: Promise<SharedChain> | undefined;

/** The node with the activity run, started once per mocha process and stopped after the root suite. */
export function sharedChain(): Promise<SharedChain> {
  shared ??= (async () => {
    const node = await startHardhatNode();
    const { deployment, dir } = await deployTo(node);
    const driver = new LedgerDriver(node, deployment);
    const facts = await activityRun(driver);
    return { node, deployment, deploymentsDir: dir, driver, facts };
  })();
  return shared;
}

after(async function () {
  if (shared) await (await shared.catch(() => undefined))?.node.stop();
});

/**
 * A realistic run: 5 agreements (accepted, proposed, cancelled), 2 partners, daily usage batches with
 * accepted and rejected lines (a rejected line's siblings too), a pending authorization decrease, a usage credit
 * note, revenue with a replaced version and a cleared dispute, finalization, partial and full payments, claims, a
 * termination, a startup's own wallet migration, PROGRAM's changes left pending (a migration, a partner's signer
 * set and payout address, the revenue signers) and one cancelled, a partner's own payout address, an audit record,
 * a pause and an unpause.
 */
async function activityRun(d: LedgerDriver): Promise<SharedChain["facts"]> {
  await d.setupProgram();
  const base = await d.standardTerms();
  const start = base.startTime;
  const period = BigInt(base.periodDuration);
  const F = d.partnerF;
  const B = d.partnerB;
  const a1 = await d.openAgreement(base, { f: [50_000n * DSXC, 16], b: [50_000n * DSXC, 8] });
  const a2 = await d.openAgreement({ ...base, revenueShareBps: 1_000, partnerFirstBps: 10_000 }, { f: [20_000n * DSXC, 8] });
  const a3 = await d.openAgreement({ ...base, creditLimit: 500n * DSXC }, { f: [100n * DSXC, 4] });
  // a proposal never accepted, and one cancelled
  const w4 = await d.newWallet();
  await d.call(d.admin, "createAgreement", { ...base, startup: w4.address, termsHash: keccak256(stringToHex("a4")) });
  const w5 = await d.newWallet();
  await d.call(d.admin, "createAgreement", { ...base, startup: w5.address, termsHash: keccak256(stringToHex("a5")) });
  await d.call(d.admin, "cancelAgreement", 5n);

  const batchIds: Hex[] = [];
  for (let day = 0n; day < 4n; day++) {
    const ws = start + day * DAY;
    const we = ws + DAY;
    await d.timeTo(we + 60n);
    const f = await d.usage(F, ws, we, [
      [a1.id, B200, 4n * 3600n * (2n + day)],
      [a1.id, H100, 8n * 3600n * (3n + day)],
      [a2.id, H100, 2n * 3600n * (1n + day)],
      // the first day, a line without a rate (NoRate) rejects its sibling too (SiblingRejected)
      ...(day === 0n ? [[a3.id, GB300, 3600n] as [bigint, Hex, bigint]] : []),
      [a3.id, H100, 3600n * 20n], // 50 DSXC a day against a 100 DSXC limit: accepted twice, then OverAuthorization
      [4n, H100, 3600n], // Proposed: NotOpen
    ]);
    const b = await d.usage(B, ws, we, [[a1.id, B200, 2n * 3600n * (1n + day)]]);
    batchIds.push(f.batchId, b.batchId);
    if (day === 0n) {
      // the startup disputes F's first batch; the program grants a credit note of a third of it
      await d.call(a1.startup, "disputeUsage", f.batchId, a1.id, keccak256(stringToHex("too many GPU-hours")));
      const mine = f.accepted.filter((l) => l.agreementId === a1.id);
      const credits = mine.reduce((s, l) => s + l.credits, 0n);
      await d.call(d.admin, "resolveUsageDispute", f.batchId, a1.id, F.address, f.accepted, credits / 3n);
    }
    if (day === 1n) {
      // a2 lowers F's GPUs: pending for AUTH_NOTICE
      await d.call(a2.startup, "authorizePartner", a2.id, F.address, 20_000n * DSXC, 4);
    }
  }

  // period 0: revenue (a1 replaced by version 2, a2 disputed then cleared), finalized in order
  await d.timeTo(start + period + 60n);
  await d.revenue(a1.id, 0, 20_000n * DSXC);
  await d.revenue(a1.id, 0, 25_000n * DSXC, 2);
  await d.revenue(a2.id, 0, 5_000n * DSXC);
  await d.revenue(a3.id, 0, 0n);
  await d.call(d.admin, "disputeRevenue", a2.id, 0, keccak256(stringToHex("check the refunds")));
  await d.call(d.admin, "resolveRevenueDispute", a2.id, 0, false);
  await d.timeTo(start + period + 4n * DAY);
  for (const a of [a1, a2, a3]) await d.call(d.admin, "finalizeRevenue", a.id, 0);

  // payments: a1 in part, a2 in full; claims
  await d.pay(a1.id, 700n * DSXC);
  await d.pay(a2.id, 10_000n * DSXC);
  await d.call(d.admin, "claim", F.address);
  await d.call(d.admin, "claimProgram");
  await d.pay(a1.id, 123_456_789n);

  // governance and housekeeping
  await d.call(d.admin, "terminateAgreement", a3.id, keccak256(stringToHex("breach")));
  // the startup's own migration is at once; PROGRAM's waits MIGRATION_NOTICE (one left pending, one cancelled)
  const moved = await d.newWallet();
  await d.call(a2.startup, "migrateStartup", a2.id, moved.address);
  const heir = await d.newWallet();
  await d.call(d.admin, "migrateStartup", a1.id, heir.address);
  await d.call(d.admin, "migrateStartup", 4n, (await d.newWallet()).address);
  await d.call(w4, "cancelStartupMigration", 4n);
  // B's own payout address is in force at once (and B's claim goes there); PROGRAM's changes wait their notice
  const payoutB = (await d.newWallet()).address;
  await d.call(B.wallet, "setPayoutAddress", B.address, payoutB);
  await d.call(d.admin, "claim", B.address);
  const payoutF = (await d.newWallet()).address;
  await d.call(d.admin, "setPayoutAddress", F.address, payoutF);
  const signersF = sortAddresses([F.oracle.address, privateKeyToAccount(keccak256(stringToHex("dsx-api-test-oracle-f2"))).address]);
  await d.call(d.admin, "setPartnerSigners", F.address, signersF, 1);
  const revenueSigners = sortAddresses([d.revenueOracle.address, privateKeyToAccount(keccak256(stringToHex("dsx-api-test-revenue-oracle-2"))).address]);
  await d.call(d.admin, "setRevenueSigners", revenueSigners, 1);
  const head = await d.publicClient.getBlockNumber();
  await d.call(d.admin, "recordAudit", a1.id, head, keccak256(stringToHex("audit report")), true);
  await d.call(d.admin, "pause");
  await d.call(d.admin, "unpause");

  return {
    agreements: [1n, 2n, 3n, 4n, 5n],
    startups: [a1.startup.address, moved.address, a3.startup.address, w4.address, w5.address],
    partners: [F.address, B.address],
    batchIds,
    payer: d.payer.address,
    auditor: d.admin.address,
    pending: { migrationTo: heir.address, signersF, payoutF, revenueSigners },
    payoutB,
  };
}


/** What a test changes in {@link chainIndexer}. */
export interface ChainIndexerOptions {
  chunkSize?: number;
  targetLogs?: number;
  owner?: string;
  confirmations?: number;
  /** The `payment.due_soon` window (notifications are derived either way). */
  dueSoonSeconds?: number;
}

/**
 * An indexer of the shared chain through the production JSON-RPC client (api/indexer/client.ts): ranges of at most 50
 * blocks, 2 confirmations, a poll every 50 ms, a 5 s writer lease.
 */
export function chainIndexer(chain: SharedChain, db: DatabaseHandle, options: ChainIndexerOptions = {}): Indexer {
  return new Indexer({
    db: db.db,
    publicClient: createIndexerClient(chain.node.url, chain.deployment.chainId),
    deployment: chain.deployment,
    logger: silentLogger,
    chunkSize: options.chunkSize ?? 50,
    targetLogs: options.targetLogs,
    confirmations: options.confirmations ?? 2,
    pollIntervalMs: 50,
    leaseTtlMs: 5_000,
    owner: options.owner,
    notifications: { dueSoonSeconds: options.dueSoonSeconds },
  });
}

// ------------------------------------------------------------------------------------------ databases

const PGLITE_VERSION = (JSON.parse(fs.readFileSync(path.join(__dirname, "../../../node_modules/@electric-sql/pglite/package.json"), "utf8")) as { version: string }).version;
// keyed by the schema's text too: a column changed before a version is released must not meet an older template
const DDL_HASH = keccak256(stringToHex(DDL.join(";"))).slice(2, 14);
const TEMPLATE = path.join(os.tmpdir(), `dsx-api-pglite-template-v${SCHEMA_VERSION}-${DDL_HASH}-${PGLITE_VERSION}.tar.gz`);
let template: Promise<Blob> | undefined;

/** A fresh migrated PGlite database (from a cached template: creating one from nothing takes ~20 s here). */
export async function newPglite(): Promise<DatabaseHandle> {
  template ??= (async () => {
    if (fs.existsSync(TEMPLATE)) return new Blob([fs.readFileSync(TEMPLATE)]);
    const handle = await openDatabase({});
    const dump = await handle.pglite!.dumpDataDir("gzip");
    await handle.close();
    const tmp = `${TEMPLATE}.${process.pid}`;
    fs.writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
    fs.renameSync(tmp, TEMPLATE);
    return dump;
  })();
  return openDatabase({ loadDataDir: await template });
}

/** The PostgreSQL server the tests may use: DATABASE_URL, else the role/database .ci/run creates. */
export const TEST_DATABASE_URL = process.env.DATABASE_URL || "postgres://dsx:dsx@127.0.0.1:5432/dsx_test";

let reachable: Promise<boolean> | undefined;

/** Whether {@link TEST_DATABASE_URL} answers (the PostgreSQL variants skip otherwise). */
export function postgresReachable(): Promise<boolean> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query("select 1");
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return reachable;
}

/** A new, empty PostgreSQL database (dropped on close). */
export function newPostgres(): Promise<DatabaseHandle & { url: string }> {
  return scratchPostgres(TEST_DATABASE_URL, "dsx_api", 4);
}

/** Every table's rows in primary-key order (to compare two indexes). */
export async function dumpTables(handle: DatabaseHandle): Promise<Record<string, unknown[]>> {
  const tables: Record<string, string> = {
    program: "id",
    blocks: "number",
    agreements: "id",
    positions: "agreement_id, partner",
    partners: "address",
    rates: "partner, sku, effective_from",
    accounts: "address",
    revenue_periods: "agreement_id, period_index",
    usage_batches: "batch_id",
    usage_lines: "block_number, log_index",
    usage_disputes: "batch_id, agreement_id",
    payments: "block_number, log_index",
    distributions: "block_number, log_index",
    claims: "block_number, log_index",
    audits: "block_number, log_index",
  };
  const out: Record<string, unknown[]> = {};
  const { sql } = await import("kysely");
  for (const [table, order] of Object.entries(tables)) {
    // binary columns as hex: PGlite answers Uint8Array, node-postgres Buffer
    out[table] = (await sql.raw<Record<string, unknown>>(`select * from ${table} order by ${order}`).execute(handle.db)).rows.map((row) =>
      Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v])),
    );
  }
  return out;
}

export { nodeRpc };
