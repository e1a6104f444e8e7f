// `npm start` (= `dsx demo`) end to end: the real CLI entry in a child process, on free ports and a temporary
// data folder; the API checked over HTTP (the three startups' standings, the GPU-seconds of the sample exports,
// the audit recorded on chain, the program's signer rotation in force after its notice, a partner's payout address
// holding its claims); SIGINT ends it cleanly. A second start in the same folder, on a node the test
// runs, reaches the same figures and SIGTERM ends it; a third start against that node resumes the recorded run.
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keccak256 } from "viem";
import { formatSummary, standingOf, type DemoSummary } from "../../demo/summary";
import type { SampleManifest } from "../../demo/story";
import { freePort, startHardhatNode, type RunningNode } from "../helpers/hardhatNode";

const ROOT = join(__dirname, "..", "..");

/** Whether something accepts TCP connections on the port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

interface RunningDemo {
  child: ChildProcess;
  summary: DemoSummary;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts `dsx demo --json` and resolves with the summary line it prints once the API is ready. */
function startDemo(env: Record<string, string>, rpcPort: number, apiPort: number): Promise<RunningDemo> {
  const child = spawn(process.execPath, [join(ROOT, "bin", "dsx.cjs"), "demo", "--json", "--rpc-url", `http://127.0.0.1:${rpcPort}`, "--port", String(apiPort)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`no summary within 280 s:\n${stderr.slice(-3000)}`));
    }, 280_000);
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout!.on("data", (d: Buffer) => {
      stdout += d.toString();
      // complete lines only: a chunk may end inside the JSON
      const line = stdout.split("\n").slice(0, -1).find((l) => l.startsWith("{"));
      if (!line) return;
      clearTimeout(timer);
      const parsed = JSON.parse(line) as DemoSummary & { error?: string };
      if (!parsed.urls) reject(new Error(`the demo printed ${line}:\n${stderr.slice(-3000)}`));
      else resolve({ child, summary: parsed, output: () => stderr, exited });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited (${code}) before its summary:\n${stderr.slice(-3000)}`));
    });
  });
}

async function get<T>(url: string): Promise<T> {
  const res = await fetch(url);
  expect(res.status, url).to.equal(200);
  return (await res.json()) as T;
}

type AgreementBody = { data: { id: string; status: string; obligation: string; paid: string; outstanding: string; delinquent: boolean } };

async function standings(api: string): Promise<Record<string, { status: string; standing: string }>> {
  const list = await get<{ data: { id: string }[] }>(`${api}/v1/agreements`);
  const out: Record<string, { status: string; standing: string }> = {};
  for (const { id } of list.data) {
    const a = (await get<AgreementBody>(`${api}/v1/agreements/${id}`)).data;
    out[id] = {
      status: a.status,
      standing: standingOf({ obligation: BigInt(a.obligation), paid: BigInt(a.paid), outstanding: BigInt(a.outstanding), delinquent: a.delinquent }),
    };
  }
  return out;
}

describe("npm start (dsx demo)", function () {
  this.timeout(600_000);
  const manifest = JSON.parse(readFileSync(join(ROOT, "data", "sample", "manifest.json"), "utf8")) as SampleManifest;
  const dir = mkdtempSync(join(tmpdir(), "dsx-demo-test-"));
  const env = { DSX_DEMO_DATA_DIR: join(dir, "data"), DSX_DEMO_DEPLOYMENTS_DIR: join(dir, "deployments") };
  let rpcPort: number;
  let apiPort: number;
  let first: RunningDemo | undefined;
  let second: RunningDemo | undefined;
  let third: RunningDemo | undefined;
  let node: RunningNode | undefined;
  let api: string;

  before(async function () {
    rpcPort = await freePort();
    apiPort = await freePort();
    api = `http://127.0.0.1:${apiPort}`;
    first = await startDemo(env, rpcPort, apiPort);
  });

  after(async function () {
    for (const run of [first, second, third]) if (run && run.child.exitCode === null && run.child.signalCode === null) run.child.kill("SIGKILL");
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("when the summary is printed, the API serves the three startups: one settled, one partly paid, one delinquent", async function () {
    expect(first!.summary.urls.api).to.equal(api);
    const s = await standings(api);
    const id = (key: string) => first!.summary.startups.find((x) => x.key === key)!.agreementId;
    expect(s[id("helix-labs")]).to.deep.equal({ status: "Expired", standing: "settled" });
    expect(s[id("quill-ai")]).to.deep.equal({ status: "Active", standing: "partly paid" });
    expect(s[id("tessellate")]).to.deep.equal({ status: "Active", standing: "delinquent" });
    expect(first!.summary.startups.map((x) => x.standing)).to.deep.equal(["settled", "partly paid", "delinquent"]);
  });

  it("when the usage lines are summed, the chain billed exactly the GPU-seconds of the sample exports", async function () {
    for (const startup of first!.summary.startups) {
      let total = 0n;
      let cursor: string | null = null;
      do {
        const page: { data: { gpuSeconds: string }[]; nextCursor: string | null } = await get(
          `${api}/v1/agreements/${startup.agreementId}/usage?accepted=true&limit=500${cursor ? `&cursor=${cursor}` : ""}`,
        );
        for (const line of page.data) total += BigInt(line.gpuSeconds);
        cursor = page.nextCursor;
      } while (cursor);
      const expected = Object.values(manifest.expectedGpuSeconds[startup.key]).reduce((sum, v) => sum + BigInt(v), 0n);
      expect(total, startup.key).to.equal(expected);
    }
  });

  it("when the auditor has run, its report is recorded on chain for every agreement and hashes to the recorded hash", async function () {
    const audit = first!.summary.audit!;
    expect(audit.clean).to.equal(true);
    expect(keccak256(readFileSync(audit.reportFile))).to.equal(audit.reportHash);
    for (const startup of first!.summary.startups) {
      const records = await get<{ data: { reportHash: string; clean: boolean }[] }>(`${api}/v1/agreements/${startup.agreementId}/audits`);
      expect(records.data.map((r) => [r.reportHash, r.clean])).to.deep.equal([[audit.reportHash, true]]);
    }
    const docs = await fetch(`${api}/docs`);
    expect(docs.status).to.equal(200);
  });

  it("when the story has run, the program's signer rotation took effect after its notice and a partner's own payout address received its claims", async function () {
    const { signerSets, payoutAddresses } = first!.summary.changes;
    expect(signerSets, JSON.stringify(signerSets)).to.have.length(1);
    const rotation = signerSets[0];
    expect(rotation).to.include({ name: "Southern Cross Compute", by: "program", threshold: 1, inForce: true });
    // proposed, in force SIGNER_NOTICE (2 days) later with no further transaction
    expect(Date.parse(rotation.effectiveAt) - Date.parse(rotation.at)).to.equal(2 * 86_400_000);
    expect(first!.output()).to.match(/the program proposes Southern Cross Compute's new oracle signer set \(1-of-1: 0x\w+, its new HSM key\): in force from \S+ after the 2-day SIGNER_NOTICE/);
    expect(first!.output()).to.match(/Southern Cross Compute's new signer set has been in force since \S+ \(no transaction needed\): its oracle signed [1-9]\d* batches with the new key, [1-9]\d* before with the old one/);

    expect(payoutAddresses, JSON.stringify(payoutAddresses)).to.have.length(1);
    const payout = payoutAddresses[0];
    expect(payout).to.include({ name: "Nordlys Cloud", by: "partner", inForce: true, effectiveAt: payout.at });
    const nordlys = first!.summary.partners.find((p) => p.key === "nordlys")!;
    expect(nordlys.payout).to.equal(payout.payout).and.not.equal(nordlys.wallet);
    // every claim after the change landed there (Nordlys claims only after it)
    expect(Number(nordlys.claimed)).to.be.greaterThan(0);
    expect(nordlys.payoutBalance).to.equal(nordlys.claimed);

    const text = formatSummary(first!.summary).join("\n");
    expect(text).to.include("Changes with a notice (signer sets, payout addresses)");
    expect(text).to.match(/Southern Cross Compute's oracle signers -> 1-of-1 \(0x\w+\): proposed by the program \S+ \S+, in force since \S+ \S+ \(SIGNER_NOTICE\)/);
    expect(text).to.match(new RegExp(`Nordlys Cloud's payout address -> ${payout.payout}: set by the partner itself \\S+ \\S+, at once; [\\d,.]+ USDC of its claims landed there`));

    // over HTTP: the signer set and the payout address in force, nothing pending
    const sc = (await get<{ data: { signers: string[]; pendingSigners: unknown; payout: string } }>(`${api}/v1/partners/${rotation.partner}`)).data;
    expect(sc.signers).to.deep.equal(rotation.signers);
    expect(sc.pendingSigners).to.equal(null);
    const nd = (await get<{ data: { payout: string; pendingPayout: unknown } }>(`${api}/v1/partners/${nordlys.wallet}`)).data;
    expect(nd.payout).to.equal(payout.payout);
    expect(nd.pendingPayout).to.equal(null);
  });

  it("when SIGINT arrives, it closes the API, stops its node and exits 0", async function () {
    first!.child.kill("SIGINT");
    const code = await Promise.race([first!.exited, new Promise((r) => setTimeout(() => r("timeout"), 30_000))]);
    expect(code, first!.output().slice(-2000)).to.equal(0);
    expect(first!.output()).to.include("stopped: API closed, node stopped");
    expect(await listening(apiPort)).to.equal(false);
    expect(await listening(rpcPort)).to.equal(false);
  });

  it("when started again in the same data folder, on a node that was already running, it reaches the same figures; SIGTERM leaves that node running", async function () {
    node = await startHardhatNode({ port: rpcPort });
    second = await startDemo(env, rpcPort, apiPort);
    expect(second.output()).to.include(`using the hardhat node already running at http://127.0.0.1:${rpcPort}`);
    // block times follow the wall clock between the story's fixed steps: due dates agree to the day
    const figures = (s: DemoSummary) => ({
      startups: s.startups.map((a) => ({ ...a, nextDue: a.nextDue?.slice(0, 10) })),
      partners: s.partners,
      treasury: s.treasury,
      clean: s.audit?.clean,
    });
    expect(figures(second.summary)).to.deep.equal(figures(first!.summary));
    second.child.kill("SIGTERM");
    const code = await Promise.race([second.exited, new Promise((r) => setTimeout(() => r("timeout"), 30_000))]);
    expect(code, second.output().slice(-2000)).to.equal(0);
    expect(second.output()).to.include("stopped: API closed, node left running");
    expect(await listening(apiPort)).to.equal(false);
    expect(await listening(rpcPort)).to.equal(true);
  });

  it("when started a third time against that node, it resumes the recorded run and only serves the API again", async function () {
    third = await startDemo(env, rpcPort, apiPort);
    expect(third.output()).to.include("holds the demo this folder recorded");
    expect(third.output()).to.not.include("deployed the ledger");
    expect(third.summary.chain.block).to.equal(second!.summary.chain.block);
    expect(Object.values(await standings(api)).map((x) => x.standing)).to.deep.equal(["settled", "partly paid", "delinquent"]);
    third.child.kill("SIGINT");
    expect(await Promise.race([third.exited, new Promise((r) => setTimeout(() => r("timeout"), 30_000))])).to.equal(0);
  });
});
