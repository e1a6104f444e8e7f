// `--safe-json` on a real hardhat node: every program and admin subcommand (and `migration cancel`) writes a
// Safe Transaction Builder batch file instead of sending. For each one, the file's call, encoded the way the
// Transaction Builder encodes it and sent by the account that holds the role, has exactly the effects (ledger
// events, state) of the same command sent directly: both run from one chain snapshot at the same block time.
// Also: the checksum validates as the Transaction Builder validates it, a refused simulation writes nothing,
// and --append collects several calls into one batch for the same chain and Safe.
import { expect } from "chai";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { id as utf8Keccak } from "ethers";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { txBuilderCalldata as appCalldata } from "../helpers/txBuilder";
import { parseEventLogs, type Address, type Hex, type Log } from "viem";
import type { Command } from "commander";
import { buildProgram } from "../../cli/main";
import { revenueShareLedgerAbi } from "../../sdk/abis";
import { newSafeBatch, writeSafeBatch, type SafeBatchFile, type SafeBatchTransaction } from "../../sdk/safeBatch";
import { advanceTime, NODE_KEYS, nodeRpc, startHardhatNode, type RunningNode } from "../helpers/hardhatNode";
import { SACCT_HEADER, sacctLine } from "../oracle/crash/usageChain";
import { writeStripe } from "../oracle/revenue-support";
import { addressOf, dsx, jsonOf, scratch, spawnDsx, ok, fails } from "./support";

const K = NODE_KEYS as unknown as Hex[];
const ADMIN = K[0]; // the deployer: DEFAULT_ADMIN_ROLE
const SAFE_KEY = K[5]; // stands for the program's Safe: PROGRAM_ROLE and PAUSER_ROLE (a node account, unlocked)
const SAFE = addressOf(SAFE_KEY);
const STARTUP_A = K[1];
const STARTUP_B = K[3];
const PARTNER_KEY = K[2];
const PARTNER = addressOf(PARTNER_KEY);
const SIGNER = K[6];
const RELAYER = K[7];
const AUDITOR = K[8];
const REVENUE_KEY = ("0x" + "11".repeat(32)) as Hex;
const STRANGER = privateKeyToAccount(generatePrivateKey()).address;
const HOUR = 3600n;
const DAY = 86_400n;

// ------------------------------------------------------------------------------------------------
// The Transaction Builder's side (safe-global/safe-react-apps, apps/tx-builder), ported as it is, with
// ethers standing in for web3 (its AbiCoder and keccak256): what the app does with a file on import.
// ------------------------------------------------------------------------------------------------

/** lib/checksum.ts `serializeJSONObject`. */
function txBuilderSerialize(json: unknown): string {
  const replacer = (_: string, value: unknown) => (value === undefined ? null : value);
  if (Array.isArray(json)) return `[${json.map((el) => txBuilderSerialize(el)).join(",")}]`;
  if (typeof json === "object" && json !== null) {
    const keys = Object.keys(json).sort();
    let acc = `{${JSON.stringify(keys, replacer)}`;
    for (const key of keys) acc += `${txBuilderSerialize((json as Record<string, unknown>)[key])},`;
    return `${acc}}`;
  }
  return `${JSON.stringify(json, replacer)}`;
}

/** lib/checksum.ts `calculateChecksum` (web3.utils.sha3 of a text is keccak256 of its UTF-8 bytes). */
const txBuilderChecksum = (batch: { meta: object }) => utf8Keccak(txBuilderSerialize({ ...batch, meta: { ...batch.meta, name: null } }));

/** lib/checksum.ts `validateChecksum`: the checksum key removed, the rest hashed. */
function txBuilderValidates(batch: SafeBatchFile): boolean {
  const target = structuredClone(batch);
  const checksum = target.meta.checksum;
  delete target.meta.checksum;
  return txBuilderChecksum(target) === checksum;
}

/** The Transaction Builder's calldata of a decoded call (a decoded call carries no raw data). */
function txBuilderCalldata(tx: SafeBatchTransaction): Hex {
  expect(tx.data, "a decoded call carries no raw data").to.equal(null);
  return appCalldata(tx);
}

interface PreparedRun {
  command: string;
  sent: boolean;
  safeJson: string;
  safe: Address;
  chainId: number;
  appended: boolean;
  batchTransactions: number;
  transaction: { to: Address; value: string; data: Hex; functionName: string; args: Record<string, unknown>; result?: string; note?: string };
}

describe("dsx --safe-json: program and admin actions prepared for a Safe", function () {
  this.timeout(300_000);
  let node: RunningNode;
  let g: string[];
  let h0: bigint;
  let batchId: Hex;
  let files = 0;
  const covered = new Set<string>();
  const work = scratch("dsx-safe-json-");

  const rpc = <T>(method: string, params: unknown[] = []) => nodeRpc(node.url, method, params) as Promise<T>;
  const chainTime = async () => BigInt((await rpc<{ timestamp: Hex }>("eth_getBlockByNumber", ["latest", false])).timestamp);
  const as = (key: Hex, ...args: string[]) => dsx(...args, ...g, "--private-key", key);

  /** What a transaction did: the logs it emitted, and the ledger's state as `dsx status` shows it afterwards. */
  async function effects(hash: Hex) {
    const receipt = await rpc<{ status: Hex; logs: { address: string; topics: Hex[]; data: Hex }[] }>("eth_getTransactionReceipt", [hash]);
    expect(receipt.status).to.equal("0x1");
    const program = jsonOf<{ agreements: string }>(ok(await dsx("status", ...g, "--json")));
    const agreements = [];
    for (let i = 1; i <= Number(program.agreements); i++) agreements.push(jsonOf(ok(await dsx("status", String(i), ...g, "--json"))));
    const partner = jsonOf(ok(await dsx("status", "--account", PARTNER, ...g, "--json")));
    return { logs: receipt.logs.map((l) => ({ address: l.address.toLowerCase(), topics: l.topics, data: l.data })), program, agreements, partner };
  }

  /**
   * Runs `args` directly with `key`, then, from the same snapshot and block time, prepares it for `safe`
   * and executes the file's call from `safe` (an unlocked node account holding the role); expects the same
   * effects, and the file the Transaction Builder would import without a warning.
   */
  async function sameAsDirect(key: Hex, args: string[], safe: Address = SAFE): Promise<{ prepared: PreparedRun; batch: SafeBatchFile }> {
    const snapshot = await rpc<Hex>("evm_snapshot");
    const at = Number(await chainTime()) + 60;
    await rpc("evm_setNextBlockTimestamp", [at]);
    const direct = jsonOf<{ transactionHash: Hex }>(ok(await as(key, ...args, "--json")));
    const expected = await effects(direct.transactionHash);
    expect(await rpc<boolean>("evm_revert", [snapshot])).to.equal(true);

    covered.add(args.slice(0, 2).join(" "));
    const file = join(work, `batch-${++files}.json`);
    const prepared = jsonOf<PreparedRun>(ok(await dsx(...args, ...g, "--safe-json", file, "--safe", safe, "--json")));
    expect(prepared).to.include({ command: args.slice(0, 2).join(" "), sent: false, safeJson: file, safe, chainId: 31337, appended: false, batchTransactions: 1 });
    const batch = JSON.parse(readFileSync(file, "utf8")) as SafeBatchFile;
    expect(txBuilderValidates(batch), "checksum").to.equal(true);
    expect(batch).to.deep.include({ version: "1.0", chainId: "31337" });
    expect(batch.meta).to.include({ createdFromSafeAddress: safe, name: `dsx ${args.slice(0, 2).join(" ")}` });
    expect(batch.transactions).to.have.length(1);
    const [tx] = batch.transactions;
    expect(tx.contractMethod?.name).to.equal(prepared.transaction.functionName);
    const data = txBuilderCalldata(tx);
    expect(data).to.equal(prepared.transaction.data);

    await rpc("evm_setNextBlockTimestamp", [at]);
    const hash = await rpc<Hex>("eth_sendTransaction", [{ from: safe, to: tx.to, value: `0x${BigInt(tx.value).toString(16)}`, data }]);
    expect(await effects(hash)).to.deep.equal(expected);
    return { prepared, batch };
  }

  before(async function () {
    node = await startHardhatNode();
    const dir = join(work, "deployments");
    const run = ok(await spawnDsx(["deploy", "--rpc-url", node.url, "--private-key", ADMIN, "--program", SAFE, "--pauser", SAFE, "--auditor", addressOf(AUDITOR), "--out", dir, "--no-compile", "--json"]));
    g = ["--rpc-url", node.url, "--deployment", jsonOf<{ file: string }>(run).file];
    h0 = ((await chainTime()) / HOUR) * HOUR;
  });
  after(async function () {
    await node?.stop();
  });

  it("the Transaction Builder's checksum, as ported here, gives the app's own test vector", function () {
    // apps/tx-builder/src/lib/checksum.test.js: 'Add checksum to BatchFile'
    const vector = {
      version: "1.0", chainId: "4", createdAt: 1646321521061,
      meta: { name: "test batch file", txBuilderVersion: "1.4.0", checksum: "", createdFromSafeAddress: "0xDF8a1Ce35c9a6ACE153B4e0767942f1E2291a1Aa", createdFromOwnerAddress: "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6" },
      transactions: [
        { to: "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6", value: "0", contractMethod: { inputs: [{ internalType: "address", name: "paramAddress", type: "address" }], name: "testAddress", payable: false }, contractInputsValues: { paramAddress: "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6" } },
        { to: "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6", value: "0", contractMethod: { inputs: [{ internalType: "bool", name: "paramBool", type: "bool" }], name: "testBool", payable: false }, contractInputsValues: { paramAddress: "", paramBool: "false" } },
        { to: "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6", value: "2000000000000000000", data: "0x42f4579000000000000000000000000049d4450977e2c95362c13d3a31a09311e0ea26a6" },
      ],
    };
    expect(txBuilderChecksum(vector)).to.equal("0x4ecbfd364aa6759983915644e73f8bd411e85a2dc306f252a387c2728c4db64c");
  });

  describe("every program and admin subcommand: the file's call does what the command does", function () {
    it("program partner-register, rate-schedule, revenue-signers", async function () {
      const reg = await sameAsDirect(SAFE_KEY, ["program", "partner-register", "--partner", PARTNER, "--signers", addressOf(SIGNER), "--threshold", "1", "--payout-bps", "7000"]);
      // arrays and small integers as the app's input fields hold them
      expect(reg.batch.transactions[0].contractInputsValues).to.deep.equal({ partner_: PARTNER, signers: JSON.stringify([addressOf(SIGNER)]), threshold: "1", payoutBps: "7000" });
      await sameAsDirect(SAFE_KEY, ["program", "rate-schedule", "--partner", PARTNER, "--sku", "h100-sxm", "--rate", "2.5"]);
      await sameAsDirect(SAFE_KEY, ["program", "revenue-signers", "--signers", addressOf(REVENUE_KEY), "--threshold", "1"]);
    });

    it("program agreement-create (the id it will get is shown as expected) and agreement-cancel", async function () {
      const create = (startup: Hex) => [
        "program", "agreement-create", "--startup", addressOf(startup), "--credit-limit", "1000", "--revenue-share-bps", "800", "--cap-multiple-bps", "15000",
        "--partner-first-bps", "6000", "--start", h0.toString(), "--periods", "2", "--period-duration", "1d", "--grace-period", "1d", "--terms-hash", "DSX terms v1",
      ];
      const { prepared, batch } = await sameAsDirect(SAFE_KEY, create(STARTUP_A));
      expect(prepared.transaction).to.include({ result: "1", note: "the agreement id is assigned when the Safe executes it: expected 1 if no other agreement is created first" });
      // a struct is a JSON array in component order, its integers as strings
      const terms = JSON.parse(batch.transactions[0].contractInputsValues!.terms) as unknown[];
      expect(terms.slice(0, 3)).to.deep.equal([addressOf(STARTUP_A), "1000000000", "800"]);
      ok(await as(SAFE_KEY, ...create(STARTUP_B)));
      await sameAsDirect(SAFE_KEY, ["program", "agreement-cancel", "2"]);

      const text = ok(await dsx(...create(STARTUP_B), ...g, "--safe-json", join(work, "create-text.json"), "--safe", SAFE)).stdout;
      expect(text).to.match(new RegExp(`^NOT SENT: prepared for Safe ${SAFE} on chain 31337; \\S+create-text\\.json written with 1 transaction \\(Safe Transaction Builder batch\\)\\n`));
      expect(text).to.include("\n  propose an agreement to a startup (PROGRAM_ROLE); prints the new agreement id\n");
      expect(text).to.match(/\n {2}call on ledger 0x\w{40}: createAgreement\(terms: \{"startup":"0x\w{40}","creditLimit":"1000000000",/);
      expect(text).to.include("expected 3 if no other agreement is created first");
      expect(text).to.match(/\nImport it in Safe\{Wallet\}: Apps, Transaction Builder, drag the file in/);
    });

    it("program resolve-usage-dispute (lines rebuilt from the chain, a tuple array) and resolve-revenue-dispute", async function () {
      ok(await as(STARTUP_A, "startup", "accept", "1"));
      ok(await as(STARTUP_A, "startup", "authorize", "1", "--partner", PARTNER, "--spend-limit", "500", "--max-gpus", "64"));
      const dir = join(work, "usage");
      mkdirSync(join(dir, "inbox"), { recursive: true });
      const config = join(dir, "oracle-usage.json");
      writeFileSync(config, JSON.stringify({
        chainId: 31337, partner: PARTNER, stateDir: join(dir, "state"), inputs: [join(dir, "inbox")], accounts: { "startup-a": "1" }, skuMap: { h100: "h100-sxm" },
        timezone: "UTC", signers: [{ privateKeyEnv: "DSX_TEST_U1" }], sender: { privateKeyEnv: "DSX_TEST_SENDER" },
      }));
      writeFileSync(join(dir, "inbox", "sacct-1.txt"), [SACCT_HEADER, sacctLine({ id: "1", account: "startup-a", start: h0 + 600n, end: h0 + 3000n, gpus: 64 })].join("\n") + "\n");
      await advanceTime(node, { to: Number(h0 + 2n * HOUR) });
      const env = { DSX_TEST_U1: SIGNER, DSX_TEST_SENDER: RELAYER };
      const usage = jsonOf<{ submitted: number }>(ok(await spawnDsx(["usage", "run", "--config", config, ...g, "--json"], { env })));
      expect(usage.submitted, JSON.stringify(usage)).to.equal(1);
      const logs = await rpc<Log[]>("eth_getLogs", [{ fromBlock: "0x0", toBlock: "latest", address: (JSON.parse(readFileSync(g[3], "utf8")) as { ledger: Address }).ledger }]);
      const [recorded] = parseEventLogs({ abi: revenueShareLedgerAbi, logs, eventName: "UsageBatchRecorded" });
      batchId = recorded.args.batchId;
      ok(await as(STARTUP_A, "startup", "dispute-usage", batchId, "1", "--reason", "node 17 was down"));
      const usageRun = await sameAsDirect(SAFE_KEY, ["program", "resolve-usage-dispute", batchId, "1", "--refund", "6.666666"]);
      const lines = JSON.parse(usageRun.batch.transactions[0].contractInputsValues!.acceptedLines) as unknown[][];
      expect(lines).to.have.length(1);
      expect(lines[0][0]).to.equal("1");

      const rdir = join(work, "revenue");
      const created = new Date(Number(h0 + 6n * HOUR) * 1000).toISOString().replace("T", " ").slice(0, 19);
      writeStripe(join(rdir, "a.csv"), [["txn_a1", created, "20000.00", "0", "20000.00", "charge"]]);
      const rconfig = join(rdir, "revenue-oracle.json");
      writeFileSync(rconfig, JSON.stringify({
        rpcUrl: node.url, chainId: 31337, deploymentsDir: join(work, "deployments"), dataLagSeconds: 0,
        signers: [{ privateKeyEnv: "DSX_TEST_R0" }], sender: { privateKeyEnv: "DSX_TEST_SENDER" }, agreements: [{ id: 1, base: "gross", stripe: [join(rdir, "a.csv")] }],
      }));
      await advanceTime(node, { to: Number(h0 + DAY + HOUR) });
      expect(jsonOf<{ submitted: number }>(ok(await spawnDsx(["revenue", "run", "--config", rconfig, "--json"], { env: { DSX_TEST_R0: REVENUE_KEY, DSX_TEST_SENDER: RELAYER } }))).submitted).to.equal(1);
      ok(await as(AUDITOR, "auditor", "dispute-revenue", "1", "0", "--reason", "refunds not deducted"));
      await sameAsDirect(SAFE_KEY, ["program", "resolve-revenue-dispute", "1", "0", "--upheld"]);
    });

    it("the proposals: program migrate-startup, migration cancel, partner-signers, payout-address; and partner-active", async function () {
      const wallet = privateKeyToAccount(generatePrivateKey()).address;
      const { prepared } = await sameAsDirect(SAFE_KEY, ["program", "migrate-startup", "1", wallet]);
      expect(prepared.transaction.note).to.equal("its notice counts from the block that executes it");
      await sameAsDirect(SAFE_KEY, ["migration", "cancel", "1"]);
      await sameAsDirect(SAFE_KEY, ["program", "partner-signers", "--partner", PARTNER, "--signers", `${addressOf(SIGNER)},${addressOf(RELAYER)}`, "--threshold", "2"]);
      await sameAsDirect(SAFE_KEY, ["program", "payout-address", PARTNER, wallet]);
      const active = await sameAsDirect(SAFE_KEY, ["program", "partner-active", "--partner", PARTNER, "--active", "false"]);
      expect(active.batch.transactions[0].contractInputsValues).to.deep.equal({ partner_: PARTNER, active: "false" });
    });

    it("program pause, unpause, treasury (the admin's Safe) and terminate", async function () {
      const paused = await sameAsDirect(SAFE_KEY, ["program", "pause"]);
      expect(paused.batch.transactions[0]).to.deep.include({ value: "0", data: null, contractInputsValues: {} });
      await sameAsDirect(SAFE_KEY, ["program", "unpause"]);
      await sameAsDirect(ADMIN, ["program", "treasury", addressOf(RELAYER)], addressOf(ADMIN));
      await sameAsDirect(SAFE_KEY, ["program", "terminate", "1", "--reason", "breach of clause 7"]);
    });

    it("admin transfer, cancel and accept (the new admin a Safe)", async function () {
      await sameAsDirect(ADMIN, ["admin", "transfer", SAFE], addressOf(ADMIN));
      await sameAsDirect(ADMIN, ["admin", "cancel"], addressOf(ADMIN));
      ok(await as(ADMIN, "admin", "transfer", SAFE));
      await advanceTime(node, { seconds: Number(DAY) + 60 });
      await sameAsDirect(SAFE_KEY, ["admin", "accept"]);
    });

    it("covers every subcommand that takes --safe-json", function () {
      const takers: string[] = [];
      const walk = (cmd: Command, path: string[]) => {
        if (cmd.options.some((o) => o.long === "--safe-json")) takers.push(path.join(" "));
        for (const sub of cmd.commands) walk(sub, [...path, sub.name()]);
      };
      walk(buildProgram(), []);
      expect(takers).to.include.members(["program pause", "admin accept", "migration cancel"]);
      expect([...covered].sort()).to.deep.equal(takers.sort());
    });
  });

  describe("refusals and batches of several calls", function () {
    it("when the Safe may not make the call, the simulation refuses it with the decoded error and writes nothing", async function () {
      const file = join(work, "refused.json");
      fails(await dsx("program", "pause", ...g, "--safe-json", file, "--safe", STRANGER),
        new RegExp(`AccessControlUnauthorizedAccount: Account ${STRANGER} does not hold PAUSER_ROLE\\. Use a key that holds PAUSER_ROLE, or have the admin grant it\\.$`));
      expect(existsSync(file)).to.equal(false);
      const json = await dsx("program", "agreement-cancel", "1", ...g, "--safe-json", file, "--safe", SAFE, "--json");
      expect(jsonOf<{ error: { errorName: string } }>(json).error.errorName).to.equal("AgreementWrongStatus");
      expect(existsSync(file)).to.equal(false);
      fails(await dsx("program", "pause", ...g, "--safe-json", file), /--safe-json needs the Safe that makes the call\. Pass --safe <address>: the Safe that holds the role\.$/);
      fails(await dsx("program", "pause", ...g, "--safe", SAFE), /--safe only applies with --safe-json <file>\. Add --safe-json <file>/);
    });

    it("--append collects calls into one batch for the same chain and Safe; the file's calls run in order", async function () {
      const file = join(work, "several.json");
      const hour = ((await chainTime()) / HOUR + 8n * 24n) * HOUR;
      ok(await dsx("program", "partner-active", "--partner", PARTNER, "--active", "true", ...g, "--safe-json", file, "--safe", SAFE));
      fails(await dsx("program", "pause", ...g, "--safe-json", file, "--safe", SAFE), /several\.json exists already\. Add --append to add this call to its batch, or give a new file name\.$/);
      // the Safe comes from the file
      const second = jsonOf<PreparedRun>(ok(await dsx("program", "rate-schedule", "--partner", PARTNER, "--sku", "a100", "--rate", "1.25", "--effective-from", hour.toString(), ...g, "--safe-json", file, "--append", "--json")));
      expect(second).to.include({ appended: true, batchTransactions: 2, safe: SAFE });
      const before = readFileSync(file, "utf8");
      fails(await dsx("program", "treasury", STRANGER, ...g, "--safe-json", file, "--append", "--safe", addressOf(ADMIN)),
        new RegExp(`several\\.json is a batch for Safe ${SAFE}, not ${addressOf(ADMIN)}\\. Pass --safe ${SAFE}, or give a new file name for the other Safe\\.$`));
      fails(await dsx("program", "agreement-cancel", "1", ...g, "--safe-json", file, "--append"), /AgreementWrongStatus: Agreement 1 is Terminated/);
      expect(readFileSync(file, "utf8")).to.equal(before);

      const batch = JSON.parse(before) as SafeBatchFile;
      expect(txBuilderValidates(batch)).to.equal(true);
      expect(batch.transactions.map((t) => t.contractMethod?.name)).to.deep.equal(["setPartnerActive", "scheduleRate"]);
      for (const tx of batch.transactions) {
        const hash = await rpc<Hex>("eth_sendTransaction", [{ from: SAFE, to: tx.to, value: "0x0", data: txBuilderCalldata(tx) }]);
        expect((await rpc<{ status: Hex }>("eth_getTransactionReceipt", [hash])).status).to.equal("0x1");
      }
      expect(ok(await dsx("status", "--account", PARTNER, ...g)).stdout).to.match(/partner: active,/);

      // a file someone edited, or a batch for another chain, is not appended to
      const edited = { ...batch, transactions: batch.transactions.slice(1) };
      writeFileSync(file, JSON.stringify(edited));
      fails(await dsx("program", "pause", ...g, "--safe-json", file, "--append"), /several\.json was modified after it was written: its meta\.checksum does not match its content\./);
      const other = join(work, "chain-1.json");
      writeSafeBatch(other, newSafeBatch({ chainId: 1, safe: SAFE, name: "elsewhere", transactions: [] }));
      fails(await dsx("program", "pause", ...g, "--safe-json", other, "--append"), /chain-1\.json is a batch for chain 1, not chain 31337\. Append to a batch for this chain, or give a new file name\.$/);
    });
  });
});
