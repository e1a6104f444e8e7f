// Crash safety and RPC failures of the revenue oracle, against a real hardhat node. Crashes are
// real: the oracle runs as a child process (the CLI) behind an RPC proxy that SIGKILLs it at
// the moment it sends its transaction, before or after the node received it; the restart then
// runs on the same state folder.
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { decodeFunctionData, type Hex } from "viem";
import { revenueShareLedgerAbi } from "../../sdk/abis";
import { createChainClients } from "../../sdk/chain";
import { closeRevenueContext } from "../../oracle/revenue/context";
import { runRevenue } from "../../oracle/revenue/run";
import { RevenueStore, type OutboxEntry } from "../../oracle/revenue/store";
import {
  openAgreement,
  openContext,
  ORACLE_ENV,
  periodOf,
  revenueSigner,
  scratch,
  startProxy,
  State,
  USD,
  useRevenueChain,
  writeConfig,
  writeStripe,
  type ProxyAction,
} from "./revenue-support";

const ROOT = join(__dirname, "..", "..");

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `revenue run` as one child process (node with tsx's loader: the tsx CLI would add a second process that SIGKILL misses). */
function startOracle(config: string, extra: string[] = []): { child: ChildProcess; exited: Promise<Exit> } {
  const child = spawn(process.execPath, ["--import", "tsx", "oracle/cli/revenue.ts", "run", "--config", config, ...extra], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...ORACLE_ENV },
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<Exit>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, exited };
}

describe("revenue oracle: crashes and RPC failures", function () {
  this.timeout(180_000);
  const { chain } = useRevenueChain();

  /** An agreement with periods 0 (1 000 USD) and 1 (250 USD) due, its config behind a proxy, and the chain at 2026-12-02. */
  async function setup(proxyUrl: (nodeUrl: string) => string) {
    const dir = scratch();
    const id = await openAgreement(chain, 1);
    writeStripe(join(dir, "in", "stripe.csv"), [
      ["txn_c_001", "2026-10-03 10:00:00", "1000.00", "29.30", "970.70", "charge"],
      ["txn_c_002", "2026-11-03 10:00:00", "250.00", "7.55", "242.45", "charge"],
    ]);
    const config = writeConfig(dir, chain, [{ id, base: "gross", stripe: [join(dir, "in")] }], { rpcUrl: proxyUrl(chain.node.url) });
    await chain.setTime("2026-12-02T00:00:00Z");
    return { dir, id, config };
  }

  const reportLogs = async (id: bigint, k: number) => {
    const { publicClient } = createChainClients({ rpcUrl: chain.node.url, chainId: 31337 });
    return publicClient.getContractEvents({
      address: chain.deployment.ledger,
      abi: revenueShareLedgerAbi,
      eventName: "RevenueReported",
      args: { agreementId: id, periodIndex: k },
      fromBlock: 0n,
    });
  };

  /** Runs the oracle again on the same config and state folder, in this process. */
  const restart = async (config: string) => {
    const { ctx } = await openContext(config);
    try {
      return await runRevenue(ctx);
    } finally {
      closeRevenueContext(ctx);
    }
  };

  const outboxOf = (dir: string): OutboxEntry[] => {
    const store = new RevenueStore(join(dir, "state"), { chainId: 31337, ledger: chain.deployment.ledger });
    try {
      return store.outbox();
    } finally {
      store.close();
    }
  };

  it("when the process is killed (SIGKILL) after persisting a signed report and before sending it, a restart sends exactly that report", async () => {
    let kill: (() => void) | undefined;
    const proxy = await startProxy(chain.node.url, (method) => {
      if (method !== "eth_sendRawTransaction" || !kill) return "forward";
      kill();
      return "drop";
    });
    try {
      const { dir, id, config } = await setup(() => proxy.url);
      const first = startOracle(config);
      kill = () => first.child.kill("SIGKILL");
      expect((await first.exited).signal).to.equal("SIGKILL");
      kill = undefined;

      const [persisted] = outboxOf(dir);
      expect(persisted.report).to.deep.include({ agreementId: id, periodIndex: 0, revenue: 1000n * USD, version: 1 });
      expect((await periodOf(chain, id, 0)).state).to.equal(State.None);

      // the restart (in this process: a fresh context on the same state folder)
      const summary = await restart(config);
      expect([summary.resent, summary.submitted, summary.errors.length]).to.deep.equal([1, 1, 0]);
      expect(outboxOf(dir)).to.deep.equal([]);

      // the transaction carries the persisted report and signatures, byte for byte
      const [log] = await reportLogs(id, 0);
      const { publicClient } = createChainClients({ rpcUrl: chain.node.url, chainId: 31337 });
      const tx = await publicClient.getTransaction({ hash: log.transactionHash as Hex });
      const { functionName, args } = decodeFunctionData({ abi: revenueShareLedgerAbi, data: tx.input });
      expect(functionName).to.equal("submitRevenue");
      expect(args).to.deep.equal([persisted.report, persisted.signatures]);
      expect((await reportLogs(id, 0)).length).to.equal(1);
      expect((await periodOf(chain, id, 1)).report.revenue).to.equal(250n * USD);

      // the CLI run to the end: exit status 0 and the summary (here as JSON): nothing left to do
      const again = await startOracle(config, ["--json"]).exited;
      expect(again.code, again.stderr).to.equal(0);
      expect(JSON.parse(again.stdout)).to.deep.include({ submitted: 0, resent: 0, unchanged: 2, gasUsed: "0", errors: [] });
    } finally {
      await proxy.close();
    }
  });

  it("when the process is killed after the node received its transaction but before the answer, a restart finds it on chain and sends nothing twice", async () => {
    let kill: (() => void) | undefined;
    const proxy = await startProxy(
      chain.node.url,
      (method): ProxyAction => (method === "eth_sendRawTransaction" && kill ? "forward-then-drop" : "forward"),
      () => kill?.(),
    );
    try {
      const { dir, id, config } = await setup(() => proxy.url);
      const first = startOracle(config);
      kill = () => first.child.kill("SIGKILL");
      expect((await first.exited).signal).to.equal("SIGKILL");
      kill = undefined;
      expect(outboxOf(dir)).to.have.length(1);
      expect((await periodOf(chain, id, 0)).report.version).to.equal(1);

      const summary = await restart(config);
      expect([summary.resent, summary.submitted, summary.errors.length]).to.deep.equal([1, 1, 0]);
      expect(outboxOf(dir)).to.deep.equal([]);
      expect((await reportLogs(id, 0)).length).to.equal(1);
      expect((await reportLogs(id, 1)).length).to.equal(1);
    } finally {
      await proxy.close();
    }
  });

  it("when the node is unreachable for a while mid-run (the send refused, then a lost answer), the run retries with backoff and completes without duplicates", async () => {
    let outageUntil = 0;
    let sends = 0;
    const proxy = await startProxy(chain.node.url, (method): ProxyAction => {
      if (method === "eth_sendRawTransaction") {
        sends += 1;
        if (sends === 1) {
          outageUntil = Date.now() + 1_500;
          return "drop";
        }
        if (sends === 2) return "forward-then-drop";
      }
      return Date.now() < outageUntil ? (sends % 2 === 0 ? "fail-503" : "drop") : "forward";
    });
    try {
      const { id, config } = await setup(() => proxy.url);
      const log: string[] = [];
      const { ctx } = await openContext(config, log);
      try {
        const s = await runRevenue(ctx);
        expect(s.errors).to.deep.equal([]);
        expect(s.submitted).to.equal(2);
      } finally {
        closeRevenueContext(ctx);
      }
      expect(log.filter((l) => l.startsWith("RPC failed")).length).to.be.greaterThan(2);
      expect((await reportLogs(id, 0)).length).to.equal(1);
      expect((await reportLogs(id, 1)).length).to.equal(1);
      expect([(await periodOf(chain, id, 0)).report.revenue, (await periodOf(chain, id, 1)).report.revenue]).to.deep.equal([1000n * USD, 250n * USD]);
    } finally {
      await proxy.close();
    }
  });

  it("when the signer set was rotated between persisting and resending, the oracle warns while it is pending, and once in force the same report is signed again by the new set and lands", async () => {
    let blockSends = true;
    const proxy = await startProxy(chain.node.url, (method): ProxyAction => (method === "eth_sendRawTransaction" && blockSends ? "drop" : "forward"));
    try {
      const dir = scratch();
      const id = await openAgreement(chain, 1);
      writeStripe(join(dir, "in.csv"), [["txn_s_001", "2026-10-03 10:00:00", "1000.00", "0.00", "1000.00", "charge"]]);
      const config = writeConfig(dir, chain, [{ id, base: "gross", stripe: [join(dir, "in.csv")] }], {
        rpcUrl: proxy.url,
        signers: [0, 1, 2],
        retry: { attempts: 2, baseDelayMs: 50, maxDelayMs: 50 },
      });
      await chain.setTime("2026-11-02T00:00:00Z");
      const log: string[] = [];
      const { ctx } = await openContext(config, log);
      try {
        const first = await runRevenue(ctx);
        expect(first.errors).to.have.length(1);
        const [persisted] = outboxOf(dir);
        expect(persisted.signatures).to.have.length(2);

        // the program rotates the set to the one key that did not sign, threshold 1: pending for SIGNER_NOTICE
        const outsider = [0, 1, 2].map(revenueSigner).reduce((a, b) => (BigInt(a) > BigInt(b) ? a : b));
        await chain.send(0, "setRevenueSigners", [[outsider], 1]);
        const set = await chain.read<{ signers: string[]; pendingSigners: string[]; pendingAt: bigint }>("revenueSigners");
        expect(set.pendingSigners).to.deep.equal([outsider]);
        expect(set.signers).to.have.length(3);
        // while it is pending the old set is in force; the run says which configured keys stop counting, and when
        const pending = await runRevenue(ctx);
        expect(pending.errors).to.have.length(1);
        const leaving = [0, 1, 2].map(revenueSigner).filter((a) => a !== outsider);
        const warning = log.find((l) => l.includes("not in the set PROGRAM proposed"));
        expect(warning, log.join("\n")).to.include(`effectiveAt ${set.pendingAt}`);
        const named = warning!.split(" are in ")[0];
        for (const key of leaving) expect(named).to.include(key);
        expect(named).to.not.include(outsider);

        await chain.setTime(new Date(Number(set.pendingAt + 3600n) * 1000).toISOString());
        blockSends = false;
        const second = await runRevenue(ctx);
        expect(second.errors).to.deep.equal([]);
        expect(second.reports.map((r) => [r.periodIndex, r.version, r.why])).to.deep.equal([[0, 1, "resent"]]);
        expect(log.some((l) => l.includes("signing again with the current signer set"))).to.equal(true);
      } finally {
        closeRevenueContext(ctx);
      }
      expect((await periodOf(chain, id, 0)).report.revenue).to.equal(1000n * USD);
      expect(outboxOf(dir)).to.deep.equal([]);
    } finally {
      await proxy.close();
    }
  });
});
