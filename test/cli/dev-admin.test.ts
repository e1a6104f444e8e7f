// `dsx` as an operator meets it, on real hardhat nodes: `dsx deploy` prints its result once; the admin role
// moves with `dsx admin transfer | accept | cancel`; `dsx dev time` moves a local chain's clock and is refused
// elsewhere; and the binary as a process: a reader that closes the pipe early, a multi-line cause printed
// whole.
import { expect } from "chai";
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Address, Hex } from "viem";
import { grantRole, openLedgerContext } from "../../sdk";
import { NODE_KEYS, nodeRpc, startHardhatNode, type RunningNode } from "../helpers/hardhatNode";
import { BIN, addressOf, dsx, jsonOf, scratch, spawnDsx, startRemoteNode, type DsxRun, ok, fails } from "./support";

const K = NODE_KEYS as unknown as Hex[];
const ADMIN = K[0]; // the deployer
const NEW_ADMIN = K[1];
const STRANGER = K[2];
const OTHER = K[3];
const ISO = "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z";
const iso = (seconds: bigint | string) => new Date(Number(seconds) * 1000).toISOString().replace(".000Z", "Z");
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * A public provider's gateway in front of a real node: standard eth_/net_/web3_ methods pass, every other
 * one (hardhat_*, anvil_*, evm_*) is refused with -32601, as hosted RPC endpoints do. Remembers what it refused.
 */
async function publicGateway(target: string): Promise<{ url: string; refused: string[]; close: () => Promise<void> }> {
  const refused: string[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      const call = JSON.parse(body) as { id: unknown; method: string };
      res.setHeader("content-type", "application/json");
      if (!/^(eth|net|web3)_/.test(call.method)) {
        refused.push(call.method);
        res.end(JSON.stringify({ jsonrpc: "2.0", id: call.id, error: { code: -32601, message: `the method ${call.method} does not exist/is not available` } }));
        return;
      }
      fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body }).then(
        async (upstream) => res.end(await upstream.text()),
        () => res.writeHead(502).end(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, refused, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe("dsx deploy, admin and dev time on a hardhat node", function () {
  this.timeout(180_000);
  let node: RunningNode;
  let deployRun: DsxRun;
  let g: string[];
  const work = scratch("dsx-dev-admin-");
  const as = (key: Hex, ...args: string[]) => dsx(...args, ...g, "--private-key", key);
  const chainTime = async () => BigInt(jsonOf<{ time: string }>(ok(await dsx("status", ...g, "--json"))).time);
  const admin = async () => jsonOf<{ admin: { address: Address; delay: string; pending?: { newAdmin: Address; acceptableAfter: string } } }>(ok(await dsx("status", ...g, "--json"))).admin;

  before(async function () {
    node = await startHardhatNode();
    // the binary, as a user runs it: a local node, a raw key, the admin role to be handed to NEW_ADMIN
    deployRun = await spawnDsx(["deploy", "--rpc-url", node.url, "--private-key", ADMIN, "--admin", addressOf(NEW_ADMIN), "--out", join(work, "deployments"), "--no-compile"]);
    ok(deployRun);
    g = ["--rpc-url", node.url, "--deployment", join(work, "deployments", "31337.json")];
  });
  after(async function () {
    await node?.stop();
  });

  describe("deploy", function () {
    it("`dsx deploy` (the binary) prints its result once: the contracts, the admin transfer it started with the command that completes it, the file", async function () {
      const file = join(work, "deployments", "31337.json");
      const written = JSON.parse(readFileSync(file, "utf8")) as { ledger: Address; credit: Address; settlementToken: Address };
      expect(deployRun.stderr).to.equal("");
      expect(deployRun.stdout.trimEnd().split("\n")).to.deep.equal([
        `deployed on chain 31337: ledger ${written.ledger}, credit ${written.credit}, settlement token ${written.settlementToken}`,
        deployRun.stdout.split("\n")[1],
        `wrote ${file}`,
      ]);
      expect(deployRun.stdout.split("\n")[1]).to.match(
        new RegExp(`^admin transfer to ${addressOf(NEW_ADMIN)} started: it accepts with \`dsx admin accept\` after ${ISO} \\(in 1 day\\); until then the admin is ${addressOf(ADMIN)}$`),
      );
      expect((deployRun.stdout + deployRun.stderr).match(/deployed/g)).to.have.length(1);
      expect(deployRun.stdout + deployRun.stderr).not.to.match(/acceptDefaultAdminTransfer/);
    });
  });

  describe("admin", function () {
    it("`dsx status` shows the pending transfer; before the admin delay `dsx admin accept` is refused with the time; other keys are told which command to use", async function () {
      const pending = (await admin()).pending!;
      expect(pending.newAdmin).to.equal(addressOf(NEW_ADMIN));
      const after = iso(pending.acceptableAfter);
      expect(ok(await dsx("status", ...g)).stdout).to.match(
        new RegExp(`\\n  pending: admin transfer to ${addressOf(NEW_ADMIN)}, acceptable after ${after} \\(in (1 day|23 h \\d+ min)\\) with dsx admin accept \\(until then the admin can cancel it: dsx admin cancel\\)\\n`),
      );
      fails(await as(NEW_ADMIN, "admin", "accept"), new RegExp(
        `AccessControlEnforcedDefaultAdminDelay: The admin delay of this transfer runs until ${after} \\(in (1 day|23 h \\d+ min)\\): it can only be accepted after that\\. Run \`dsx admin accept\` with the new admin's key then`,
      ));
      fails(await as(STRANGER, "admin", "accept"), new RegExp(
        `AccessControlInvalidDefaultAdmin: ${addressOf(STRANGER)} is not the pending admin, so it cannot accept the admin role\\. Run \`dsx admin accept\` with the key of the address the admin named in \`dsx admin transfer\``,
      ));
      fails(await as(STRANGER, "admin", "transfer", addressOf(OTHER)), new RegExp(
        `AccessControlUnauthorizedAccount: Account ${addressOf(STRANGER)} is not the admin \\(DEFAULT_ADMIN_ROLE\\)\\. Use the admin's key \\(dsx status shows the admin\\); the admin role itself moves only by dsx admin transfer and dsx admin accept\\.$`,
      ));
      // granting the admin role directly (the SDK can try; the ledger refuses) points at the commands
      const ctx = await openLedgerContext({ rpcUrl: node.url, deployment: g[3], privateKey: ADMIN });
      let refused: unknown;
      await grantRole(ctx, "ADMIN", addressOf(OTHER)).catch((err: unknown) => (refused = err));
      expect((refused as Error).message).to.match(/^AccessControlEnforcedDefaultAdminRules: .* Have the admin run `dsx admin transfer <newAdmin>`, then the new admin `dsx admin accept`/);
    });

    it("`dsx admin cancel` withdraws it; with nothing pending, cancel and accept say so; `dsx admin transfer` starts one and replaces a pending one", async function () {
      const cancelled = jsonOf(ok(await as(ADMIN, "admin", "cancel", "--json")));
      expect(cancelled).to.include({ command: "admin cancel", newAdmin: addressOf(NEW_ADMIN) });
      expect((await admin()).pending).to.equal(undefined);
      fails(await as(ADMIN, "admin", "cancel"), new RegExp(`^dsx: error: No admin transfer is pending, so there is nothing to cancel\\. The admin is still ${addressOf(ADMIN)}; dsx status shows it\\.$`));
      fails(await as(NEW_ADMIN, "admin", "accept"), /AccessControlEnforcedDefaultAdminDelay: No admin transfer \(or renouncement\) is scheduled\. Have the admin start one with `dsx admin transfer <newAdmin>`/);
      fails(await as(ADMIN, "admin", "transfer", "0x0000000000000000000000000000000000000000"), /The new admin is the zero address: the ledger would be left without an admin\./);
      fails(await as(ADMIN, "admin", "transfer", "0x1234"), /New admin "0x1234" is not an address\./);

      const first = jsonOf<{ acceptableAfter: string; delay: string; blockNumber: string }>(ok(await as(ADMIN, "admin", "transfer", addressOf(OTHER), "--json")));
      expect(first).to.include({ command: "admin transfer", newAdmin: addressOf(OTHER), delay: "86400" });
      expect(BigInt(first.acceptableAfter)).to.equal((await chainTime()) + 86_400n);
      // the binary; a second transfer replaces the first
      const second = ok(await spawnDsx(["admin", "transfer", addressOf(NEW_ADMIN), ...g, "--private-key", ADMIN]));
      expect(second.stdout).to.match(new RegExp(
        `^admin transfer to ${addressOf(NEW_ADMIN)} started: it accepts with \`dsx admin accept\` after ${ISO} \\(in 1 day\\); until then you stay the admin and can cancel it \\(dsx admin cancel\\); it replaces the pending transfer to ${addressOf(OTHER)} \\(tx 0x[0-9a-f]{64}, block \\d+\\)\\n$`,
      ));
      expect((await admin()).pending?.newAdmin).to.equal(addressOf(NEW_ADMIN));
    });

    it("`dsx dev time --to` the schedule: acceptance is still refused at it (now), a second later the new admin accepts", async function () {
      const { pending } = await admin();
      const moved = jsonOf<{ to: string }>(ok(await dsx("dev", "time", "--to", pending!.acceptableAfter, "--rpc-url", node.url, "--json")));
      expect(moved.to).to.equal(pending!.acceptableAfter);
      fails(await as(NEW_ADMIN, "admin", "accept"), new RegExp(`runs until ${iso(pending!.acceptableAfter)} \\(now\\): it can only be accepted after that\\.`));
      // the binary, in text
      const second = ok(await spawnDsx(["dev", "time", "--advance", "1s", "--rpc-url", node.url]));
      expect(second.stdout).to.equal(`chain 31337: time moved from ${iso(pending!.acceptableAfter)} to ${iso(BigInt(pending!.acceptableAfter) + 1n)} (+1 s), block ${second.stdout.match(/block (\d+)\n$/)?.[1]}\n`);
      const accepted = jsonOf(ok(await as(NEW_ADMIN, "admin", "accept", "--json")));
      expect(accepted).to.include({ command: "admin accept", admin: addressOf(NEW_ADMIN), previousAdmin: addressOf(ADMIN) });
      const now = await admin();
      expect(now.address).to.equal(addressOf(NEW_ADMIN));
      expect(now.pending).to.equal(undefined);
      fails(await as(ADMIN, "admin", "transfer", addressOf(OTHER)), new RegExp(`Account ${addressOf(ADMIN)} is not the admin \\(DEFAULT_ADMIN_ROLE\\)`));
    });
  });

  describe("dev time", function () {
    it("`--advance` moves the chain's time exactly that far past its latest block, for 7d, 36h, 90m, 3600s and plain seconds", async function () {
      for (const [duration, seconds] of [["7d", 604_800n], ["36h", 129_600n], ["90m", 5_400n], ["3600s", 3_600n], ["45", 45n]] as const) {
        const before = await chainTime();
        const moved = jsonOf<{ chainId: number; from: string; to: string; advanced: string; block: string }>(ok(await dsx("dev", "time", "--advance", duration, "--rpc-url", node.url, "--json")));
        expect(moved, duration).to.include({ command: "dev time", chainId: 31337, from: before.toString(), to: (before + seconds).toString(), advanced: seconds.toString() });
        expect(await chainTime()).to.equal(before + seconds);
      }
    });

    it("`--to` a later date moves there; an earlier one or the current time is refused with the chain's time and how to go on", async function () {
      const now = await chainTime();
      const target = ((now + 30n * 86_400n) / 86_400n) * 86_400n;
      const day = iso(target).slice(0, 10);
      expect(jsonOf(ok(await dsx("dev", "time", "--to", day, "--rpc-url", node.url, "--json")))).to.include({ to: target.toString() });
      fails(await dsx("dev", "time", "--to", "2026-01-01", "--rpc-url", node.url), new RegExp(
        `^dsx: error: --to 2026-01-01T00:00:00Z is \\d+ days( \\d+ h)? before the chain's time: the chain is at ${iso(target)} \\(block \\d+\\), and its clock only moves forward\\. Give a time after ${iso(target)}, or --advance <duration>; to go back, restart the node\\.$`,
      ));
      fails(await dsx("dev", "time", "--to", target.toString(), "--rpc-url", node.url), new RegExp(`--to ${iso(target)} is the chain's time already: the chain is at ${iso(target)}`));
      expect(await chainTime()).to.equal(target);
    });

    it("when the command line is wrong, it says what to give", async function () {
      fails(await dsx("dev", "time", "--rpc-url", node.url), /Give exactly one of --to and --advance\. E\.g\. --advance 7d, or --to 2026-10-09T00:00Z\.$/);
      fails(await dsx("dev", "time", "--to", "2030-01-01", "--advance", "1d", "--rpc-url", node.url), /Give exactly one of --to and --advance\./);
      fails(await dsx("dev", "time", "--advance", "0", "--rpc-url", node.url), /--advance 0 would not move the clock\. Give a duration above 0/);
      fails(await dsx("dev", "time", "--advance", "7x", "--rpc-url", node.url), /--advance "7x" is not a duration\. Give seconds or a number with s, m, h, d or w/);
      fails(await dsx("dev", "time", "--to", "next week", "--rpc-url", node.url), /--to "next week" is not a time\./);
      fails(await dsx("dev", "time", "--advance", "1h", "--rpc-url", node.url, "--chain-id", "8453"), /The node at http:\/\/127\.0\.0\.1:\d+ is chain 31337, not 8453\./);
    });
  });

  describe("the binary as a process", function () {
    it("when a native module cannot be loaded, the multi-line cause is printed whole, then the fix", async function () {
      // better-sqlite3's compiled module is gone, as after `npm ci --ignore-scripts` or a Node.js upgrade:
      // Node cannot load the file, and the real `bindings` package reports every path it tried
      const dir = join(work, "native");
      mkdirSync(dir, { recursive: true });
      const preload = join(dir, "no-native-sqlite.cjs");
      writeFileSync(preload, [
        'const Module = require("node:module");',
        "const load = Module._load;",
        "Module._load = function (request, ...rest) {",
        '  if (/better_sqlite3\\.node$/.test(request)) throw Object.assign(new Error(`Cannot find module \'${request}\'`), { code: "MODULE_NOT_FOUND" });',
        "  return load.call(this, request, ...rest);",
        "};",
      ].join("\n"));
      const config = join(dir, "oracle-usage.json");
      writeFileSync(config, JSON.stringify({
        rpcUrl: node.url, chainId: 31337, deploymentsDir: join(work, "deployments"), partner: addressOf(OTHER), stateDir: join(dir, "state"),
        inputs: [join(dir, "inbox")], accounts: {}, skuMap: {}, timezone: "UTC", signers: [{ privateKeyEnv: "DSX_TEST_SIGNER_KEY" }],
      }));
      const run = await spawnDsx(["usage", "run", "--config", config], { env: { NODE_OPTIONS: `--require ${preload}`, DSX_TEST_SIGNER_KEY: K[5] } });
      expect(run.code, run.stderr).to.equal(1);
      const lines = run.stderr.trimEnd().split("\n");
      const start = lines.findIndex((line) => line.startsWith("dsx: error: "));
      expect(lines[start], run.stderr).to.equal("dsx: error: Could not locate the bindings file. Tried:");
      const tried = lines.slice(start + 1, -1);
      expect(tried.length, run.stderr).to.be.greaterThan(5);
      for (const line of tried) expect(line).to.match(/^ {3}→ \/\S+better_sqlite3\.node$/);
      expect(tried).to.include(`   → ${join(__dirname, "..", "..", "node_modules", "better-sqlite3", "build", "Release", "better_sqlite3.node")}`);
      expect(lines.at(-1)).to.equal("  A native module is missing or was built for another Node.js version: run `npm rebuild` (or `npm ci`) in the project folder with the Node.js that runs dsx.");
      expect(run.stderr).not.to.match(/\n\s+at /);
    });

    it("when the reader closes the pipe early (`dsx … --help | head`), it exits 0 quietly, without an EPIPE stack trace", async function () {
      for (const args of [["--help"], ["admin", "--help"], ["status", ...g]]) {
        const run = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
          const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
          // the reading end is gone before dsx writes a byte: every write to stdout fails with EPIPE
          child.stdout.destroy();
          let stderr = "";
          child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
          child.once("exit", (code) => resolve({ code, stderr }));
        });
        expect(run, args.join(" ")).to.deep.equal({ code: 0, stderr: "" });
      }
    });
  });
});

describe("dsx dev time off the local chain", function () {
  this.timeout(120_000);
  let remote: RunningNode;
  let gateway: Awaited<ReturnType<typeof publicGateway>>;

  before(async function () {
    remote = await startRemoteNode();
    gateway = await publicGateway(remote.url);
  });
  after(async function () {
    await gateway?.close();
    await remote?.stop();
  });

  it("on a Hardhat node with another chain id (it answers hardhat_metadata), the clock moves", async function () {
    const run = ok(await dsx("dev", "time", "--advance", "2h", "--rpc-url", remote.url));
    expect(run.stdout).to.match(new RegExp(`^chain 31338 \\(a Hardhat node\\): time moved from ${ISO} to ${ISO} \\(\\+2 h\\), block \\d+\\n$`));
  });

  it("behind a public provider's gateway (no development methods), it is refused with the fix, before any clock call", async function () {
    const block = await nodeRpc(remote.url, "eth_blockNumber");
    const run = await spawnDsx(["dev", "time", "--advance", "7d", "--rpc-url", gateway.url]);
    fails(run, new RegExp(
      `^dsx: error: The node at ${escape(gateway.url)} \\(chain 31338\\) is not a local development chain, so its clock cannot be moved\\. Point --rpc-url at a local node: chain 31337, a Hardhat node \\(npm run node\\) or Anvil\\. On a real network, wait for the time to come\\.$`,
    ));
    expect(gateway.refused).to.include("hardhat_metadata");
    expect(gateway.refused.filter((m) => m.startsWith("evm_"))).to.deep.equal([]);
    expect(await nodeRpc(remote.url, "eth_blockNumber")).to.equal(block);
  });
});
