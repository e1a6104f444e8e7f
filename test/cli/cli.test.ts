// `dsx` end to end on a real hardhat node: every subcommand, in the order a program runs (deploy, set up,
// agreements, usage, disputes, revenue, payment, claims, audit, API), with the real binary as a child
// process for a representative set and the commander program in this process for the rest; and the
// failure messages: one line of cause and fix, exit status 1.
import { expect } from "chai";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { keccak256, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { Command } from "commander";
import { buildProgram } from "../../cli/main";
import { mintSettlement, openLedgerContext } from "../../sdk";
import { advanceTime, NODE_KEYS, startHardhatNode, type RunningNode } from "../helpers/hardhatNode";
import { SACCT_HEADER, sacctLine } from "../oracle/crash/usageChain";
import { until } from "../helpers/until";
import { writeStripe } from "../oracle/revenue-support";
import { addressOf, dsx, jsonOf, scratch, spawnDsx, startDsx, ok, fails } from "./support";

const K = NODE_KEYS as unknown as Hex[];
const PROGRAM = K[0]; // deployer: admin, program, pauser
const STARTUP_A = K[1];
const PARTNER = addressOf(K[2]);
const STARTUP_B = K[3];
const STARTUP_C = K[4];
const SIGNER_1 = K[5];
const SIGNER_2 = K[6];
const RELAYER = K[7];
const AUDITOR = K[8];
const TREASURY = addressOf(K[9]);
const REVENUE_KEYS = ["0x" + "11".repeat(32), "0x" + "22".repeat(32)] as Hex[];
const HOUR = 3600n;
const DAY = 86_400n;

describe("dsx: every subcommand end to end on a hardhat node", function () {
  this.timeout(300_000);
  let node: RunningNode;
  let depDir: string;
  let depFile: string;
  let g: string[];
  let h0: bigint;
  let batchId: Hex;
  const work = scratch();

  /** In-process run with the node and deployment, signing with `key`. */
  const as = (key: Hex | undefined, ...args: string[]) => dsx(...args, ...g, ...(key ? ["--private-key", key] : []));

  before(async function () {
    node = await startHardhatNode();
    depDir = join(work, "deployments");
    // deploy with the real binary: a local chain, a raw key, the AUDITOR role to its own key
    const run = ok(await spawnDsx(["deploy", "--rpc-url", node.url, "--private-key", PROGRAM, "--auditor", addressOf(AUDITOR), "--out", depDir, "--no-compile", "--json"]));
    const deployed = jsonOf<{ chainId: number; file: string; ledger: Address }>(run);
    expect(deployed.chainId).to.equal(31337);
    depFile = deployed.file;
    g = ["--rpc-url", node.url, "--deployment", depFile];
    const { publicClient } = (await openLedgerContext({ rpcUrl: node.url, deployment: depFile, privateKey: PROGRAM }));
    const now = (await publicClient.getBlock()).timestamp;
    h0 = (now / HOUR) * HOUR;
  });
  after(async function () {
    await node?.stop();
  });

  describe("deploy and status", function () {
    it("`npx dsx status` (the package's bin, settings from the environment) shows the program at a glance", async function () {
      const overview = jsonOf<{ chainId: number; agreements: string; paused: boolean; constants: Record<string, string> }>(
        ok(await spawnDsx(["status", "--json"], { npx: true, env: { DSX_RPC_URL: node.url, DSX_DEPLOYMENT: depDir } })),
      );
      expect(overview).to.include({ chainId: 31337, agreements: "0", paused: false });
      expect(overview.constants).to.deep.equal({
        disputeWindow: "259200", rateNotice: "604800", authNotice: "604800", reportingGrace: "604800", signerNotice: "172800", migrationNotice: "604800", payoutNotice: "604800",
      });
      const text = ok(await dsx("status", ...g)).stdout;
      expect(text).to.match(/^ledger 0x[0-9a-fA-F]{40} on chain 31337 at block \d+/);
      expect(text).to.match(/\n {2}notices of the program's proposals: signers 172800 s, migration 604800 s, payout address 604800 s; admin 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 \(transfer delay 86400 s\)\n/);
    });

    it("when a constant is out of range, the binary's deploy names it, its range and the option to fix", async function () {
      const run = await spawnDsx(["deploy", "--rpc-url", node.url, "--private-key", PROGRAM, "--migration-notice", "91d", "--out", join(work, "refused"), "--no-compile"]);
      fails(run, /^dsx: error: InvalidConstant: MIGRATION_NOTICE = 7862400 s \(91 days\) is outside its range, 1 h \.\. 90 days\. Deploy with --migration-notice between 1h and 90d\.$/);
    });
  });

  describe("program set-up", function () {
    it("registers the partner, schedules its rate at the current hour and sets the revenue signers", async function () {
      const reg = jsonOf(ok(await as(PROGRAM, "program", "partner-register", "--partner", PARTNER, "--signers", `${addressOf(SIGNER_1)},${addressOf(SIGNER_2)}`, "--threshold", "2", "--payout-bps", "7000", "--json")));
      expect(reg).to.include({ command: "program partner-register", partner: PARTNER, threshold: 2, payoutBps: 7000 });
      const rate = jsonOf(ok(await as(PROGRAM, "program", "rate-schedule", "--partner", PARTNER, "--sku", "h100-sxm", "--rate", "2.5", "--json")));
      expect(rate).to.include({ creditsPerGpuHour: "2.5", effectiveFrom: h0.toString() });
      const signers = REVENUE_KEYS.map((k) => addressOf(k)).join(",");
      // the first revenue signer set is in force at once
      expect(ok(await as(PROGRAM, "program", "revenue-signers", "--signers", signers, "--threshold", "2")).stdout).to.match(/^revenue signer set 2-of-2 in force at once \(the first set\) \(tx 0x/);
    });

    it("when a call would revert, it says why in one line, before sending anything", async function () {
      fails(await as(PROGRAM, "program", "partner-register", "--partner", PARTNER, "--signers", addressOf(SIGNER_1), "--threshold", "1", "--payout-bps", "7000"),
        /PartnerAlreadyRegistered: Partner 0x\w+ is already registered\. Rotate its signers instead: dsx partner signers with its own key \(at once\), or dsx program partner-signers \(a proposal\)\.$/);
      fails(await as(PROGRAM, "program", "rate-schedule", "--partner", PARTNER, "--sku", "h100-sxm", "--rate", "2.5000001"),
        /--rate: Amount "2\.5000001" has 7 decimal places; at most 6 are allowed\. Round it/);
      fails(await as(PROGRAM, "program", "rate-schedule", "--partner", PARTNER, "--sku", "h100-sxm", "--rate", "3", "--effective-from", "2026-09-01T00:30Z"),
        /RateNotOnHour: Effective time 2026-09-01T00:30:00Z is not a whole hour\. Use a multiple of 3600/);
      fails(await as(PROGRAM, "program", "partner-register", "--partner", "0x1234", "--signers", addressOf(SIGNER_1), "--threshold", "1", "--payout-bps", "1"),
        /--partner "0x1234" is not an address\. Give a 0x-prefixed 20-byte address\.$/);
    });
  });

  describe("agreements", function () {
    const create = (startup: Hex, extra: string[] = []) => [
      "program", "agreement-create", "--startup", addressOf(startup), "--credit-limit", "1000", "--revenue-share-bps", "800",
      "--cap-multiple-bps", "15000", "--partner-first-bps", "6000", "--start", h0.toString(), "--periods", "2",
      "--period-duration", "1d", "--grace-period", "1d", "--terms-hash", "DSX terms v1", ...extra,
    ];

    it("the program proposes (the binary), the startups accept and authorize the partner; a proposal is cancelled", async function () {
      const first = jsonOf<{ agreementId: string }>(ok(await spawnDsx([...create(STARTUP_A), ...g, "--private-key", PROGRAM, "--json"])));
      expect(first.agreementId).to.equal("1");
      expect(ok(await as(PROGRAM, ...create(STARTUP_B))).stdout).to.match(/^agreement 2 proposed to 0x\w+: 1000 DSXC, from 2026-09-01T00:00:00Z \(tx 0x[0-9a-f]{64}, block \d+\)\n$/);
      ok(await as(PROGRAM, ...create(STARTUP_C)));
      expect(ok(await as(PROGRAM, "program", "agreement-cancel", "3")).stdout).to.match(/^agreement 3 cancelled/);

      const accepted = jsonOf(ok(await spawnDsx(["startup", "accept", "1", "--json"], { env: { DSX_RPC_URL: node.url, DSX_DEPLOYMENT: depFile, DSX_PRIVATE_KEY: STARTUP_A } })));
      expect(accepted).to.include({ command: "startup accept", agreementId: "1", creditsMinted: "1000" });
      ok(await as(STARTUP_B, "startup", "accept", "2"));
      const auth = jsonOf(ok(await as(STARTUP_A, "startup", "authorize", "1", "--partner", PARTNER, "--spend-limit", "500", "--max-gpus", "64", "--json")));
      expect(auth).to.include({ spendLimit: "500", maxGpus: 64 });
      ok(await as(STARTUP_B, "startup", "authorize", "2", "--partner", PARTNER, "--spend-limit", "500", "--max-gpus", "64"));
    });

    it("when the agreement is unknown, in the wrong state, or the key lacks the role, it names the cause and the fix", async function () {
      fails(await as(STARTUP_A, "startup", "accept", "99"), /AgreementNotFound: Agreement 99 does not exist\. Check the agreement id/);
      fails(await as(STARTUP_A, "startup", "accept", "2"), /AgreementWrongStatus: Agreement 2 is Active, which does not allow this call\. Check its state with dsx status 2\.$/);
      fails(await as(PROGRAM, "program", "agreement-cancel", "1"), /AgreementWrongStatus: Agreement 1 is Active/);
      fails(await as(STARTUP_A, "program", "pause"), /AccessControlUnauthorizedAccount: Account 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 does not hold PAUSER_ROLE\. Use a key that holds PAUSER_ROLE, or have the admin grant it\.$/);
      fails(await as(STARTUP_A, "program", "terminate", "1"), /does not hold PROGRAM_ROLE/);
      fails(await as(STARTUP_A, "startup", "accept", "abc"), /^dsx: error: Agreement id "abc" is not a whole number/);
      fails(await as(PROGRAM, ...create(STARTUP_A).filter((a) => a !== "--periods" && a !== "2")), /Give exactly one of --periods and --end\./);
      fails(await as(PROGRAM, ...create(STARTUP_C, ["--revenue-share-bps", "0"])), /BpsOutOfRange: Basis points 0 are outside 1\.\.10000\./);
    });
  });

  describe("usage", function () {
    let config: string;
    const env = { DSX_TEST_U1: SIGNER_1, DSX_TEST_SENDER: RELAYER };
    it("`usage run` prepares a batch for co-signers, `usage sign` co-signs it, `usage submit` records it (all the binary)", async function () {
      const dir = join(work, "usage");
      mkdirSync(join(dir, "inbox"), { recursive: true });
      config = join(dir, "oracle-usage.json");
      writeFileSync(
        config,
        JSON.stringify({
          // a dead endpoint and a missing folder: --rpc-url and --deployment on the command line override them
          rpcUrl: "http://127.0.0.1:9",
          chainId: 31337,
          deploymentsDir: join(dir, "nowhere"),
          partner: PARTNER,
          stateDir: join(dir, "state"),
          inputs: [join(dir, "inbox")],
          accounts: { "startup-a": "1", "startup-b": "2" },
          skuMap: { h100: "h100-sxm" },
          timezone: "UTC",
          signers: [{ privateKeyEnv: "DSX_TEST_U1" }],
          sender: { privateKeyEnv: "DSX_TEST_SENDER" },
        }),
      );
      const M = 60n;
      writeFileSync(
        join(dir, "inbox", "sacct-1.txt"),
        [SACCT_HEADER, sacctLine({ id: "1", account: "startup-a", start: h0 + 10n * M, end: h0 + 50n * M, gpus: 64 }), sacctLine({ id: "2", account: "startup-b", start: h0 + 10n * M, end: h0 + 50n * M, gpus: 32 })].join("\n") + "\n",
      );
      await advanceTime(node, { to: Number(h0 + 2n * HOUR) });

      const run = jsonOf<{ awaitingSignatures: Hex[]; batched: number; submitted: number }>(ok(await spawnDsx(["usage", "run", "--config", config, ...g, "--json"], { env })));
      expect(run, JSON.stringify(run)).to.include({ batched: 1, submitted: 0 });
      expect(run.awaitingSignatures).to.have.length(1);
      batchId = run.awaitingSignatures[0];

      const sig = join(dir, "sig-2.json");
      const signed = ok(await spawnDsx(["usage", "sign", "--batch", join(dir, "state", "outbox", `${batchId}.json`), "--private-key", SIGNER_2, "--chain-id", "31337", "--out", sig]));
      expect(signed.stdout).to.include(`signature of ${addressOf(SIGNER_2)} written to ${sig}`);
      const submitted = jsonOf<{ submitted: number }>(ok(await spawnDsx(["usage", "submit", "--config", config, sig, "--json"], { env: { ...env, DSX_RPC_URL: node.url, DSX_DEPLOYMENT: depFile } })));
      expect(submitted.submitted).to.equal(1);

      // 64 GPUs x 2400 s at 2.5 credits/GPU-hour = 106.666666; 32 GPUs: 53.333333
      const a = jsonOf<{ consumed: string; partners: { spent: string; receivable: string }[] }>(ok(await dsx("status", "1", ...g, "--json")));
      expect(a.consumed).to.equal("106.666666");
      expect(a.partners[0]).to.include({ spent: "106.666666", receivable: "74.666666" });
    });

    it("when the settings are unusable, the service's own one-line error comes through", async function () {
      const run = await dsx("usage", "run", "--config", join(work, "missing.json"));
      fails(run, /missing\.json not found\. Create it or pass the right path\.$/);
    });
  });

  describe("usage disputes", function () {
    it("the startup and the auditor dispute, the program refunds one and rejects the other", async function () {
      const d = jsonOf(ok(await as(STARTUP_A, "startup", "dispute-usage", batchId, "1", "--reason", "node 17 was down", "--json")));
      expect(d).to.include({ command: "startup dispute-usage", batchId, agreementId: "1" });
      ok(await as(AUDITOR, "auditor", "dispute-usage", batchId, "2", "--reason", "double count"));
      fails(await as(AUDITOR, "auditor", "dispute-usage", batchId, "2"), /UsageDisputeWrongState: The dispute of batch 0x\w+ for agreement 2 is Open\. It was already disputed or resolved; nothing to do\.$/);
      fails(await as(PROGRAM, "program", "resolve-usage-dispute", batchId, "1", "--refund", "200"), /RefundTooLarge: Refund 200 exceeds the 106\.666666 credits of the disputed lines\. Give a refund of at most 106\.666666\.$/);
      const refund = jsonOf(ok(await as(PROGRAM, "program", "resolve-usage-dispute", batchId, "1", "--refund", "6.666666", "--json")));
      expect(refund).to.include({ refund: "6.666666", receivableRemoved: "4.666666" });
      expect(ok(await as(PROGRAM, "program", "resolve-usage-dispute", batchId, "2", "--refund", "0")).stdout).to.match(/^usage dispute of batch 0x\w+ for agreement 2 rejected/);
      fails(await as(PROGRAM, "program", "resolve-usage-dispute", "0x1234", "1", "--refund", "1"), /Batch id "0x1234" is not a 32-byte hex value\. Give 0x followed by 64 hex digits\.$/);
    });
  });

  describe("revenue", function () {
    let config: string;
    const env = { DSX_TEST_R0: REVENUE_KEYS[0], DSX_TEST_R1: REVENUE_KEYS[1], DSX_TEST_SENDER: RELAYER };

    it("`revenue run` reports period 0, the auditor disputes one report, the program clears it, `revenue finalize` books both", async function () {
      const dir = join(work, "revenue");
      const created = new Date(Number(h0 + 6n * HOUR) * 1000).toISOString().replace("T", " ").slice(0, 19);
      writeStripe(join(dir, "a.csv"), [["txn_a1", created, "20000.00", "0", "20000.00", "charge"]]);
      writeStripe(join(dir, "b.csv"), [["txn_b1", created, "500.00", "0", "500.00", "charge"]]);
      config = join(dir, "revenue-oracle.json");
      writeFileSync(
        config,
        JSON.stringify({
          rpcUrl: node.url,
          chainId: 31337,
          deploymentsDir: depDir,
          dataLagSeconds: 0,
          signers: [{ privateKeyEnv: "DSX_TEST_R0" }, { privateKeyEnv: "DSX_TEST_R1" }],
          sender: { privateKeyEnv: "DSX_TEST_SENDER" },
          agreements: [
            { id: 1, base: "gross", stripe: [join(dir, "a.csv")] },
            { id: 2, base: "gross", stripe: [join(dir, "b.csv")] },
          ],
        }),
      );
      await advanceTime(node, { to: Number(h0 + DAY + HOUR) });
      const reported = jsonOf<{ submitted: number; errors: unknown[] }>(ok(await spawnDsx(["revenue", "run", "--config", config, "--json"], { env })));
      expect(reported).to.include({ submitted: 2 });

      fails(await as(STARTUP_A, "auditor", "dispute-revenue", "2", "0"), /does not hold AUDITOR_ROLE/);
      ok(await as(AUDITOR, "auditor", "dispute-revenue", "2", "0", "--reason", "refunds not deducted"));
      fails(await as(PROGRAM, "program", "resolve-revenue-dispute", "2", "0"), /Give exactly one of --upheld and --cleared\./);
      expect(ok(await as(PROGRAM, "program", "resolve-revenue-dispute", "2", "0", "--cleared")).stdout).to.match(/dismissed: report cleared/);

      await advanceTime(node, { seconds: Number(3n * DAY + 60n) });
      const finalized = jsonOf<{ finalized: unknown[]; errors: unknown[] }>(ok(await spawnDsx(["revenue", "finalize", "--config", config, "--json"], { env })));
      expect(finalized.finalized).to.have.length(2);

      // consumed 100 → cap 150; share of 20000 at 8 % is 1600 → owed 150
      const a = jsonOf<{ obligation: string; outstanding: string; periods: { state: string; revenue: string; owed: string }[] }>(ok(await dsx("status", "1", ...g, "--json")));
      expect(a).to.include({ obligation: "150", outstanding: "150" });
      expect(a.periods[0]).to.include({ state: "Finalized", revenue: "20000", owed: "150" });
    });
  });

  describe("payment and claims", function () {
    it("the startup pays with a permit (the binary), then the rest with an approval; partner and program claim", async function () {
      const program = await openLedgerContext({ rpcUrl: node.url, deployment: depFile, privateKey: PROGRAM });
      await mintSettlement(program, addressOf(STARTUP_A), "1000");
      fails(await as(STARTUP_A, "startup", "pay", "1", "1,5"), /^dsx: error: Amount "1,5" contains a comma\. Use "\." as the decimal point/);
      fails(await as(STARTUP_A, "startup", "pay", "1", "0"), /The amount is zero\. Give an amount above 0/);

      const first = jsonOf(ok(await spawnDsx(["startup", "pay", "1", "100", ...g, "--private-key", STARTUP_A, "--json"])));
      // partners are owed 70 (receivable): 60 % of 100 goes to them, 40 to the program
      expect(first).to.include({ applied: "100", toPartners: "60", toProgram: "40", method: "permit" });
      const rest = jsonOf(ok(await as(STARTUP_A, "startup", "pay", "1", "all", "--method", "approve", "--json")));
      expect(rest).to.include({ applied: "50", toPartners: "10", toProgram: "40", method: "approve" });
      fails(await as(STARTUP_A, "startup", "pay", "1", "10"), /NothingOwed: Agreement 1 owes nothing at the moment\./);
      fails(await as(STARTUP_B, "startup", "pay", "2", "10"), /Wallet 0x\w+ holds 0 of the settlement token; the payment needs 10\. Fund the wallet/);

      ok(await as(PROGRAM, "program", "treasury", TREASURY));
      const claimed = jsonOf(ok(await as(RELAYER, "claim", "--beneficiary", PARTNER, "--json")));
      expect(claimed).to.include({ beneficiary: PARTNER, amount: "70" });
      fails(await as(K[2], "claim"), /NothingToClaim: 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC has nothing to claim\./);
      const programClaim = jsonOf(ok(await as(RELAYER, "claim-program", "--json")));
      expect(programClaim).to.include({ treasury: TREASURY, amount: "80" });
      const treasury = jsonOf<{ settlementBalance: string }>(ok(await dsx("status", "--account", TREASURY, ...g, "--json")));
      expect(treasury.settlementBalance).to.equal("80");
    });
  });

  describe("audit", function () {
    it("`audit --record` (the binary) replays the chain, finds it clean and records that with the AUDITOR key", async function () {
      const out = join(work, "audit");
      const run = ok(await spawnDsx(["audit", "--out", out, "--record", "--private-key", AUDITOR, "--json"], { env: { DSX_RPC_URL: node.url, DSX_DEPLOYMENT: depFile } }));
      const report = jsonOf<{ clean: boolean; reportHash: Hex; report: string; recorded: { agreementId: string }[] }>(run);
      expect(report.clean, run.stdout).to.equal(true);
      expect(report.recorded.length).to.be.greaterThan(0);
      expect(keccak256(readFileSync(report.report))).to.equal(report.reportHash);
    });
  });

  describe("more program operations", function () {
    it("deactivates and reactivates the partner, pauses and unpauses", async function () {
      ok(await as(PROGRAM, "program", "partner-active", "--partner", PARTNER, "--active", "false"));
      expect(ok(await dsx("status", "--account", PARTNER, ...g)).stdout).to.match(/partner: INACTIVE, payout 7000 bps, 2-of-2 signers, next batch sequence 1; claims paid to itself/);
      ok(await as(PROGRAM, "program", "partner-active", "--partner", PARTNER, "--active", "true"));
      fails(await as(PROGRAM, "program", "partner-active", "--partner", PARTNER, "--active", "maybe"), /--active "maybe" is not true or false\./);

      ok(await as(PROGRAM, "program", "pause"));
      fails(await as(PROGRAM, "program", "pause"), /PauseStateUnchanged: The ledger is already paused\. Nothing to do\.$/);
      expect(jsonOf<{ paused: boolean }>(ok(await dsx("status", ...g, "--json"))).paused).to.equal(true);
      ok(await as(PROGRAM, "program", "unpause"));
    });

    it("`status` shows an agreement and an account at a glance", async function () {
      const text = ok(await dsx("status", "1", "--account", PARTNER, ...g)).stdout;
      expect(text).to.include("agreement 1: Active, startup 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 (900 DSXC)");
      expect(text).to.include("obligation 150, paid 150, outstanding 0");
      expect(text).to.include(`partner ${PARTNER}: limit 500 on 64 GPUs, spent 100, receivable 70, paid 70`);
      expect(text).to.include("period 0 [2026-09-01T00:00:00Z, 2026-09-02T00:00:00Z): Finalized v1, revenue 20000, owed 150");
      expect(text).to.include(`account ${PARTNER}: roles none`);
      fails(await dsx("status", "42", ...g), /Agreement 42 does not exist on ledger 0x\w+\./);
      // global options before the command; with a key and no argument: the program and the key's account
      const both = jsonOf<{ program: { agreements: string }; account: { account: string; roles: string[] } }>(ok(await dsx("--json", ...g, "--private-key", PROGRAM, "status")));
      expect(both.program.agreements).to.equal("3");
      expect(both.account).to.include({ account: addressOf(PROGRAM) });
      expect(both.account.roles).to.deep.equal(["ADMIN", "PROGRAM", "PAUSER"]);
    });
  });

  describe("changes with a notice (v1.1): wallet migration, signer sets, payout addresses", function () {
    const ISO = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ";
    // "(in 7 days)" when no block was mined since the proposal, "(in 6 days 23 h)" once one was
    const re = (text: string) =>
      new RegExp(text.replace(/\{iso\}/g, ISO).replace(/\{in7\}/g, "\\((in 7 days|in 6 days 23 h)\\)").replace(/\{in2\}/g, "\\((in 2 days|in 1 day 23 h)\\)"));

    it("the program PROPOSES a migration: refused before its notice, shown by status, cancelled by the startup, executed by anyone after; a startup migrates itself at once", async function () {
      const target = addressOf(STARTUP_C); // agreement 3 was cancelled: no open agreement, 0 DSXC
      const proposed = ok(await as(PROGRAM, "program", "migrate-startup", "2", target));
      expect(proposed.stdout).to.match(
        re(`^migration of agreement 2 from ${addressOf(STARTUP_B)} to ${target} PROPOSED: takes effect at {iso} {in7}; then anyone runs \`dsx migration execute 2\`, and until then it can be cancelled \\(dsx migration cancel 2\\) \\(tx 0x`),
      );
      fails(await as(RELAYER, "migration", "execute", "2"), re(`MigrationNotYetEffective: The migration of agreement 2 takes effect at {iso} {in7}\\. Run \`dsx migration execute 2\` then \\(anyone may\\)\\.$`));
      const pending = jsonOf<{ startup: string; pendingMigration: { to: string; effectiveAt: string; executable: boolean } }>(ok(await dsx("status", "2", ...g, "--json")));
      expect(pending.startup).to.equal(addressOf(STARTUP_B));
      expect(pending.pendingMigration).to.include({ to: target, executable: false });
      expect(ok(await dsx("status", "2", ...g)).stdout).to.match(
        re(`\\n  pending: migration to ${target}, proposed by the program, takes effect at {iso} {in7}; then dsx migration execute 2 \\(until then the startup or the program can cancel it: dsx migration cancel 2\\)\\n`),
      );

      fails(await as(RELAYER, "migration", "cancel", "2"), /NotStartupOrProgram: Only agreement 2's startup wallet or a PROGRAM_ROLE holder may migrate it or cancel its migration, not 0x14dC79964da2C08b23698B3D3cc7Ca32193d9955\. Use the startup wallet's key/);
      fails(await as(PROGRAM, "startup", "migrate", "2", target), /NotStartup: Only agreement 2's startup wallet may do this, not 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\. Use the startup wallet's key \(dsx status 2 shows it\)\.$/);
      const cancelled = jsonOf(ok(await as(STARTUP_B, "migration", "cancel", "2", "--json")));
      expect(cancelled).to.include({ command: "migration cancel", agreementId: "2", to: target });
      fails(await as(STARTUP_B, "migration", "cancel", "2"), /NoPendingMigration: Agreement 2 has no pending wallet migration .*Check with dsx status 2; the program proposes one with dsx program migrate-startup 2 <wallet>\.$/);
      fails(await as(RELAYER, "migration", "execute", "2"), /NoPendingMigration: Agreement 2 has no pending wallet migration/);

      const again = jsonOf<{ mode: string; effectiveAt: string; notice: string; credits?: string }>(ok(await as(PROGRAM, "program", "migrate-startup", "2", target, "--json")));
      expect(again).to.include({ command: "program migrate-startup", mode: "proposed", notice: "604800", from: addressOf(STARTUP_B), to: target });
      expect(again.credits).to.equal(undefined);
      await advanceTime(node, { seconds: 7 * 86_400 + 60 });
      fails(await as(PROGRAM, "migration", "cancel", "2"), re(`MigrationAlreadyEffective: The migration of agreement 2 took effect at {iso} \\(1 min( \\d+ s)? ago\\), so it can no longer be cancelled\\. Carry it out with \`dsx migration execute 2\``));
      expect(jsonOf<{ pendingMigration: { executable: boolean } }>(ok(await dsx("status", "2", ...g, "--json"))).pendingMigration.executable).to.equal(true);
      // anyone carries it out: the binary, with the relayer's key
      const executed = jsonOf(ok(await spawnDsx(["migration", "execute", "2", ...g, "--private-key", RELAYER, "--json"])));
      expect(executed).to.include({ command: "migration execute", from: addressOf(STARTUP_B), to: target, credits: "946.666667" });

      // the new wallet moves the agreement on by itself, at once
      const fresh = privateKeyToAccount(generatePrivateKey()).address;
      fails(await as(STARTUP_C, "startup", "migrate", "2", addressOf(STARTUP_A)), /WalletHasOpenAgreement: Wallet 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 already has open agreement 1\./);
      const own = jsonOf(ok(await as(STARTUP_C, "startup", "migrate", "2", fresh, "--json")));
      expect(own).to.include({ command: "startup migrate", mode: "immediate", notice: "0", from: target, to: fresh, credits: "946.666667" });
      const ended = jsonOf(ok(await as(PROGRAM, "program", "terminate", "2", "--reason", "breach of clause 7", "--json")));
      expect(ended).to.include({ command: "program terminate", agreementId: "2" });
      const after = jsonOf<{ status: string; startup: string; pendingMigration?: unknown }>(ok(await dsx("status", "2", ...g, "--json")));
      expect(after).to.include({ status: "Terminated", startup: fresh });
      expect(after.pendingMigration).to.equal(undefined);
    });

    it("signer sets: the partner rotates its own at once; the program's proposal is pending, shown by status, and in force after SIGNER_NOTICE", async function () {
      const own = jsonOf(ok(await as(K[2], "partner", "signers", "--signers", addressOf(SIGNER_1), "--threshold", "1", "--json")));
      expect(own).to.include({ command: "partner signers", partner: PARTNER, threshold: 1, mode: "immediate" });
      expect(ok(await dsx("status", "--account", PARTNER, ...g)).stdout).to.match(/partner: active, payout 7000 bps, 1-of-1 signers/);

      const both = `${addressOf(SIGNER_1)},${addressOf(SIGNER_2)}`;
      fails(await as(RELAYER, "program", "partner-signers", "--partner", PARTNER, "--signers", both, "--threshold", "2"),
        /NotPartnerOrProgram: Only partner 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC itself or a PROGRAM_ROLE holder may change its signers or payout address, not 0x14dC79964da2C08b23698B3D3cc7Ca32193d9955\. Use the partner's own key/);
      fails(await as(RELAYER, "partner", "signers", "--signers", both, "--threshold", "2"), /PartnerNotRegistered: Partner 0x14dC79964da2C08b23698B3D3cc7Ca32193d9955 is not registered\./);
      fails(await as(PROGRAM, "program", "partner-signers", "--partner", PARTNER, "--signers", both, "--threshold", "3"), /InvalidSignerSet: Signer set of 2 with threshold 3 is invalid\./);
      const proposed = ok(await as(PROGRAM, "program", "partner-signers", "--partner", PARTNER, "--signers", both, "--threshold", "2"));
      expect(proposed.stdout).to.match(re(`^signer set 2-of-2 for partner ${PARTNER} PROPOSED: in force from {iso} {in2}, with no further transaction; the partner can replace it at once with dsx partner signers \\(tx`));
      const status = ok(await dsx("status", "--account", PARTNER, ...g)).stdout;
      expect(status).to.match(/partner: active, payout 7000 bps, 1-of-1 signers/);
      expect(status).to.match(re(`\\n  pending: signer set 2-of-2 \\(${addressOf(SIGNER_1)}, ${addressOf(SIGNER_2)}\\) proposed by the program, in force from {iso} {in2}\\n`));

      // a later revenue signer set is a proposal too
      const revenue = jsonOf<{ mode: string; notice: string }>(ok(await as(PROGRAM, "program", "revenue-signers", "--signers", REVENUE_KEYS.map((k) => addressOf(k)).join(","), "--threshold", "1", "--json")));
      expect(revenue).to.include({ mode: "proposed", notice: "172800" });
      const program = jsonOf<{ revenueSigners: { threshold: number; pending?: { threshold: number } } }>(ok(await dsx("status", ...g, "--json")));
      expect(program.revenueSigners.threshold).to.equal(2);
      expect(program.revenueSigners.pending?.threshold).to.equal(1);
      expect(ok(await dsx("status", ...g)).stdout).to.match(re(`\\n  pending: revenue signer set 1-of-2 \\(.+\\), in force from {iso} {in2}\\n`));

      await advanceTime(node, { seconds: 2 * 86_400 + 60 });
      const account = jsonOf<{ partner: { threshold: number; signers: string[]; pendingSigners?: unknown } }>(ok(await dsx("status", "--account", PARTNER, ...g, "--json")));
      expect(account.partner).to.deep.include({ threshold: 2, signers: [addressOf(SIGNER_1), addressOf(SIGNER_2)] });
      expect(account.partner.pendingSigners).to.equal(undefined);
      const now = jsonOf<{ revenueSigners: { threshold: number; pending?: unknown } }>(ok(await dsx("status", ...g, "--json"))).revenueSigners;
      expect(now.threshold).to.equal(1);
      expect(now.pending).to.equal(undefined);
    });

    it("payout addresses: the partner's own is in force at once and its claims land there; the program's is a proposal", async function () {
      const own = privateKeyToAccount(generatePrivateKey()).address;
      const proposal = privateKeyToAccount(generatePrivateKey()).address;
      const set = jsonOf(ok(await as(K[2], "partner", "payout-address", own, "--json")));
      expect(set).to.include({ command: "partner payout-address", partner: PARTNER, payout: own, mode: "immediate", notice: "0" });
      expect(ok(await dsx("status", "--account", PARTNER, ...g)).stdout).to.include(`claims paid to ${own}`);

      // the startup of agreement 2 moved away, but anyone may pay for it: 60 % of 10 goes to the partner
      const program = await openLedgerContext({ rpcUrl: node.url, deployment: depFile, privateKey: PROGRAM });
      await mintSettlement(program, addressOf(RELAYER), "10");
      expect(jsonOf(ok(await as(RELAYER, "startup", "pay", "2", "10", "--json")))).to.include({ applied: "10", toPartners: "6" });
      const claimed = jsonOf(ok(await as(RELAYER, "claim", "--beneficiary", PARTNER, "--json")));
      expect(claimed).to.include({ beneficiary: PARTNER, to: own, amount: "6" });
      expect(jsonOf<{ settlementBalance: string }>(ok(await dsx("status", "--account", own, ...g, "--json"))).settlementBalance).to.equal("6");

      fails(await as(PROGRAM, "program", "payout-address", PARTNER, "0x0000000000000000000000000000000000000000"), /ZeroAddress: An address argument is the zero address\. Pass a non-zero address\.$/);
      fails(await as(PROGRAM, "program", "payout-address", addressOf(RELAYER), proposal), /PartnerNotRegistered: Partner 0x14dC79964da2C08b23698B3D3cc7Ca32193d9955 is not registered\./);
      fails(await as(RELAYER, "program", "payout-address", PARTNER, proposal), /NotPartnerOrProgram: Only partner 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC itself or a PROGRAM_ROLE holder/);
      const text = ok(await as(PROGRAM, "program", "payout-address", PARTNER, proposal)).stdout;
      expect(text).to.match(re(`^payout address ${proposal} for partner ${PARTNER} PROPOSED: in force from {iso} {in7}: its claims are paid there from then on; the partner can replace it at once with dsx partner payout-address \\(tx`));
      const pending = jsonOf<{ partner: { payout: string; pendingPayout?: { payout: string; effectiveAt: string } } }>(ok(await dsx("status", "--account", PARTNER, ...g, "--json")));
      expect(pending.partner.payout).to.equal(own);
      expect(pending.partner.pendingPayout?.payout).to.equal(proposal);
      expect(ok(await dsx("status", "--account", PARTNER, ...g)).stdout).to.match(re(`\\n  pending: payout address ${proposal} proposed by the program, in force from {iso} {in7}`));
      await advanceTime(node, { seconds: 7 * 86_400 + 60 });
      const after = jsonOf<{ partner: { payout: string; pendingPayout?: unknown } }>(ok(await dsx("status", "--account", PARTNER, ...g, "--json")));
      expect(after.partner.payout).to.equal(proposal);
      expect(after.partner.pendingPayout).to.equal(undefined);
    });
  });

  describe("api", function () {
    it("`dsx api` (the binary) indexes the chain, serves it, and stops on SIGTERM", async function () {
      const api = await startDsx(["api", "--port", "0", "--data-dir", join(work, "index"), "--json"], {
        DSX_RPC_URL: node.url,
        DSX_DEPLOYMENT: depFile,
        // --data-dir wins over a PostgreSQL named in the environment (this one answers nothing)
        DATABASE_URL: "postgres://nobody:none@127.0.0.1:9/none",
        DSX_API_CONFIRMATIONS: "0",
        DSX_API_POLL_INTERVAL_MS: "100",
        DSX_API_LOG_LEVEL: "warn",
      });
      try {
        const { url } = JSON.parse(api.line) as { url: string };
        let agreements: { data?: unknown[] } = {};
        await until(
          "the API to index the 3 agreements",
          async () => {
            const res = await fetch(`${url}/v1/agreements`);
            if (res.ok) agreements = (await res.json()) as { data?: unknown[] };
            return (agreements.data?.length ?? 0) >= 3;
          },
          20_000,
          api.stderr,
        );
        expect(agreements.data, api.stderr()).to.have.length(3);
      } finally {
        const code = await api.stop();
        expect(code, api.stderr().slice(-4000)).to.equal(0);
      }
    });
  });

  describe("help and usage errors", function () {
    /** Every command that runs an action, with its path under `dsx`. */
    function leaves(cmd: Command, path: string[] = []): string[][] {
      const here = [...path, cmd.name()];
      const own = (cmd as unknown as { _actionHandler?: unknown })._actionHandler ? [here.slice(1)] : [];
      return [...own, ...cmd.commands.filter((c) => c.name() !== "help").flatMap((c) => leaves(c, here))];
    }

    it("`--help` of every subcommand explains it with an example", async function () {
      const all = leaves(buildProgram());
      const names = all.map((p) => p.join(" "));
      for (const expected of [
        "deploy", "program agreement-create", "program agreement-cancel", "program terminate", "program migrate-startup", "program partner-register",
        "program partner-signers", "program partner-active", "program rate-schedule", "program revenue-signers", "program resolve-usage-dispute",
        "program resolve-revenue-dispute", "program treasury", "program pause", "program unpause", "program payout-address", "startup accept", "startup authorize",
        "startup pay", "startup dispute-usage", "startup migrate", "partner signers", "partner payout-address", "migration execute", "migration cancel", "admin transfer", "admin accept", "admin cancel", "dev time", "usage run", "usage sign", "usage submit", "revenue run", "revenue finalize",
        "auditor dispute-usage", "auditor dispute-revenue", "claim", "claim-program", "audit", "status", "api", "demo",
      ]) {
        expect(names, expected).to.include(expected);
      }
      for (const path of all) {
        const run = await dsx(...path, "--help");
        expect(run.code, path.join(" ")).to.equal(0);
        expect(run.stdout, path.join(" ")).to.match(new RegExp(`Usage: dsx ${path.join(" ")}`));
        expect(run.stdout, path.join(" ")).to.match(/\nExample:\n {2}\$ dsx /);
      }
    });

    it("when the command line is wrong or the setting is missing, it says what to do", async function () {
      fails(await dsx("startup", "accept"), /missing required argument 'agreementId'\. Run "dsx startup accept --help" for usage\.$/);
      fails(await dsx("startup", "pay", "1", "5", "--frobnicate"), /unknown option '--frobnicate'\. Run "dsx startup pay --help" for usage\.$/);
      fails(await dsx("startup", "accept", "1", ...g), /This command sends a transaction and needs a signing key\. Pass --keystore <file>/);
      fails(await dsx("status", "1", "--rpc-url", "http://127.0.0.1:9", "--deployment", depFile), /No JSON-RPC node answers at http:\/\/127\.0\.0\.1:9\. Start the node or pass the right --rpc-url/);
      fails(await dsx("status", "--rpc-url", node.url, "--chain-id", "1"), /The node at http:\/\/127\.0\.0\.1:\d+ is chain 31337, not 1\. Pass the right --chain-id or --rpc-url\.$/);
      fails(await dsx("program", "pause", ...g, "--private-key", "0x1234"), /The private key is not 0x followed by 64 hex digits\. Correct the private key\.$/);
      fails(await dsx("api", "--database-url", "postgres://x@127.0.0.1:9/x", "--data-dir", work, ...g), /--database-url and --data-dir name two different databases\. Give one: --database-url for PostgreSQL/);
      const json = await dsx("startup", "accept", "99", ...g, "--private-key", STARTUP_A, "--json");
      expect(json.code).to.equal(1);
      expect(jsonOf(json)).to.deep.include({ error: { message: "AgreementNotFound: Agreement 99 does not exist.", fix: "Check the agreement id (dsx status --account <startup> shows a wallet's agreement).", kind: "LedgerRevertError", errorName: "AgreementNotFound" } });
    });

    it("when the deployment is missing, the binary says to deploy first", async function () {
      const run = await spawnDsx(["status", "1", "--rpc-url", node.url, "--deployment", join(work, "nowhere")]);
      fails(run, /^dsx: error: Deployment \/\S+nowhere not found\. Deploy first \(npx dsx deploy\), or pass --deployment <file or folder> \(env DSX_DEPLOYMENT\)\.$/);
      const dir = await dsx("status", "1", "--rpc-url", node.url, "--deployment", work);
      fails(dir, /31337\.json not found\. Deploy to chain 31337 first \(npx dsx deploy\), or point to the folder that holds 31337\.json\.$/);
    });
  });
});
