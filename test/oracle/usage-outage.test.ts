// RPC outage: the oracle talks to the node through a TCP proxy that the test cuts in the middle
// of a run (connections refused, open ones reset) until the oracle has failed and backed off. The oracle retries
// with backoff and completes; the chain ends with exactly the exported GPU-seconds.
import { expect } from "chai";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { openUsageRuntime, runUsageOnce } from "../../oracle/usage/run";
import {
  chainGpuSeconds,
  HOUR,
  loadTestUsageConfig,
  SACCT_HEADER,
  sacctLine,
  setChainTime,
  setupUsageChain,
  tempOracleDir,
  writeUsageConfig,
  type UsageChain,
} from "./crash/usageChain";

/** A TCP proxy to `target` that can be cut and restored. */
class CuttableProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;
  cuts = 0;

  constructor(private readonly target: number) {}

  async start(port = 0): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target, "127.0.0.1");
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => s.destroy());
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(port, "127.0.0.1", resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async cut(): Promise<void> {
    this.cuts += 1;
    const server = this.server!;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  async restore(): Promise<void> {
    await this.start(this.port);
  }

  async stop(): Promise<void> {
    if (this.server) await this.cut();
  }
}

describe("usage oracle: the RPC node is unreachable mid-run", function () {
  this.timeout(120_000);
  let chain: UsageChain;
  let proxy: CuttableProxy;

  before(async function () {
    chain = await setupUsageChain({ signers: 2, threshold: 2 });
    proxy = new CuttableProxy(chain.node.port);
    await proxy.start();
  });
  after(async function () {
    await proxy?.stop();
    await chain?.node.stop();
  });

  it("when the node is cut off after the first batch until the oracle has retried, it retries with backoff and completes", async function () {
    const dir = tempOracleDir();
    const h = chain.h0;
    const lines = [SACCT_HEADER];
    let expectedA = 0n;
    for (let i = 0n; i < 10n; i++) {
      lines.push(sacctLine({ id: `9${i}`, account: "startup-a", start: h + i * HOUR + 300n, end: h + i * HOUR + 2100n, gpus: 4 }));
      expectedA += 4n * 1800n;
    }
    writeFileSync(join(dir, "inbox", "sacct.txt"), `${lines.join("\n")}\n`);
    await setChainTime(chain, h + 11n * HOUR);
    const config = loadTestUsageConfig(
      writeUsageConfig(chain, dir, { rpcUrl: `http://127.0.0.1:${proxy.port}`, retry: { attempts: 10, baseDelayMs: 200, maxDelayMs: 2000 } }),
    );
    const messages: string[] = [];
    let cutting = false;
    let retried!: () => void;
    const retriedWhileCut = new Promise<void>((resolve) => (retried = resolve));
    const rt = await openUsageRuntime(config, (m) => {
      messages.push(m);
      if (cutting && m.includes("retry")) retried();
    });

    const evidence = join(dir, "evidence");
    let settled = false;
    const run = runUsageOnce(rt).finally(() => (settled = true));
    const outage = (async () => {
      while (!settled && (!existsSync(evidence) || readdirSync(evidence).filter((f) => f.endsWith(".json")).length === 0)) {
        await new Promise((r) => setTimeout(r, 20));
      }
      cutting = true;
      await proxy.cut();
      // The node stays unreachable until the oracle has failed against it and backed off (or the run ended without noticing).
      await Promise.race([retriedWhileCut, run.catch(() => undefined)]);
      await proxy.restore();
    })();
    const summary = await run;
    await outage;
    rt.state.close();

    expect(proxy.cuts).to.equal(1);
    expect(messages.some((m) => m.includes("retry"))).to.equal(true);
    expect(summary).to.include({ new: 10, batched: 10, submitted: 10 });
    expect((await chainGpuSeconds(chain)).get(1n)).to.equal(expectedA);
  });
});
