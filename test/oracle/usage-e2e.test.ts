// The usage oracle end to end against a real hardhat node and the deployed ledger: exports in,
// on-chain figures out, equal to an independent computation; watermark across re-exports;
// late slices carried; preflight refusals retried then quarantined; k-of-n and the
// multi-party sign/submit flow; every record of every bundle proves against the on-chain root.
import { expect } from "chai";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { revenueShareLedgerAbi } from "../../sdk/abis";
import { createChainClients } from "../../sdk/chain";
import { signBatchFile, submitSignatureFiles } from "../../oracle/usage/cosign";
import type { EvidenceBundle } from "../../oracle/usage/bundle";
import { proveRecord, verifyRecordProof, decodeUsageLeaf } from "../../oracle/usage/evidence";
import { openUsageRuntime, outboxPath, runUsageOnce, type UsageRuntime } from "../../oracle/usage/run";
import {
  chainGpuSeconds,
  HOUR,
  loadTestUsageConfig,
  RATES,
  SACCT_HEADER,
  sacctLine,
  setChainTime,
  tempOracleDir,
  writeUsageConfig,
  type UsageChain,
} from "./crash/usageChain";
import { startUsageOracle } from "./support";

const M = 60n;

/** Independent tally: GPU-seconds per (hour window, agreement, sku) of [start, end) × gpus. */
function tally(records: { agreementId: bigint; sku: string; start: bigint; end: bigint; gpus: bigint }[]) {
  const cells = new Map<string, { agreementId: bigint; sku: string; gpuSeconds: bigint }>();
  for (const r of records) {
    for (let w = (r.start / HOUR) * HOUR; w < r.end; w += HOUR) {
      const overlap = (r.end < w + HOUR ? r.end : w + HOUR) - (r.start > w ? r.start : w);
      if (overlap <= 0n) continue;
      const key = `${w}:${r.agreementId}:${r.sku}`;
      const cell = cells.get(key) ?? { agreementId: r.agreementId, sku: r.sku, gpuSeconds: 0n };
      cell.gpuSeconds += overlap * r.gpus;
      cells.set(key, cell);
    }
  }
  const gpuSeconds = new Map<bigint, bigint>();
  const credits = new Map<bigint, bigint>();
  for (const c of cells.values()) {
    gpuSeconds.set(c.agreementId, (gpuSeconds.get(c.agreementId) ?? 0n) + c.gpuSeconds);
    credits.set(c.agreementId, (credits.get(c.agreementId) ?? 0n) + (c.gpuSeconds * RATES[c.sku]) / 3600n);
  }
  return { gpuSeconds, credits };
}

describe("usage oracle: end to end on a hardhat node", function () {
  this.timeout(180_000);
  let chain: UsageChain;
  let dir: string;
  let configPath: string;
  let rt: UsageRuntime;
  let h: bigint;
  const iso = (t: bigint) => new Date(Number(t) * 1000).toISOString();

  before(async function () {
    ({ chain, dir, config: configPath } = await startUsageOracle({ chain: { signers: 3, threshold: 2, days: 2n } }));
    h = chain.h0;
  });
  after(async function () {
    rt?.state.close();
    await chain?.node.stop();
  });

  async function position(id: bigint) {
    const { publicClient } = createChainClients({ rpcUrl: chain.node.url, chainId: 31337 });
    return publicClient.readContract({ address: chain.deployment.ledger, abi: revenueShareLedgerAbi, functionName: "partnerPosition", args: [id, chain.partner] });
  }

  it("when exports arrive, it bills closed windows exactly, quarantines bad rows and waits for open windows", async function () {
    writeFileSync(
      join(dir, "inbox", "sacct-1.txt"),
      [
        SACCT_HEADER,
        sacctLine({ id: "101", account: "startup-a", start: h + 10n * M, end: h + 150n * M, gpus: 8 }),
        sacctLine({ id: "102", account: "startup-b", start: h + 60n * M, end: h + 90n * M, gpus: 4, type: "b200" }),
        sacctLine({ id: "103.batch", account: "startup-a", start: h, end: h + 60n * M, gpus: 8 }),
        sacctLine({ id: "104", account: "startup-z", start: h, end: h + 60n * M, gpus: 8 }),
        sacctLine({ id: "105", account: "startup-a", start: h + 180n * M, end: h + 300n * M, gpus: 8 }),
      ].join("\n") + "\n",
    );
    writeFileSync(
      join(dir, "inbox", "meter-1.jsonl"),
      [
        { recordId: "meter-1", account: "startup-b", sku: "gb300", start: iso(h + 60n * M), end: iso(h + 120n * M), gpus: 2 },
        { recordId: "meter-2", account: "startup-b", sku: "b200", start: iso(h + 120n * M), end: iso(h + 180n * M), gpus: 2, gpuSeconds: 3600 },
      ]
        .map((r) => JSON.stringify(r))
        .join("\n") + "\n{not json\n",
    );
    // now = h + 4h20m: windows up to [h+3h, h+4h) are closed (lag 15 min); job 105 runs on
    await setChainTime(chain, h + 260n * M);
    rt = await openUsageRuntime(loadTestUsageConfig(configPath));
    const summary = await runUsageOnce(rt);

    // job 105 runs past the chain's clock: billed up to it, the rest waits in the state (counted waiting)
    expect(summary).to.include({ read: 8, new: 4, duplicate: 0, quarantined: 3, ignored: 0, waiting: 1, batched: 4, submitted: 4 });
    // gb300 has no rate: NoRate, taken out before signing; its b200 sibling (job 102, same window) is batched without it
    expect(summary.rejected).to.equal(1);
    expect(summary.gasUsed > 0n).to.equal(true);
    const expected = tally([
      { agreementId: 1n, sku: "h100-sxm", start: h + 10n * M, end: h + 150n * M, gpus: 8n },
      { agreementId: 2n, sku: "b200", start: h + 60n * M, end: h + 90n * M, gpus: 4n },
      { agreementId: 1n, sku: "h100-sxm", start: h + 180n * M, end: h + 240n * M, gpus: 8n },
      { agreementId: 2n, sku: "b200", start: h + 120n * M, end: h + 180n * M, gpus: 1n },
    ]);
    const onChain = await chainGpuSeconds(chain);
    expect(onChain.get(1n)).to.equal(expected.gpuSeconds.get(1n));
    expect(onChain.get(2n)).to.equal(expected.gpuSeconds.get(2n));
    expect((await position(1n)).spent).to.equal(expected.credits.get(1n));
    expect((await position(2n)).spent).to.equal(expected.credits.get(2n));
    expect((await position(1n)).lastUsageEnd).to.equal(h + 4n * HOUR);

    const quarantine = readFileSync(join(dir, "state", "quarantine.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { reason: string; file: string; line: number });
    expect(quarantine.map((q) => q.reason).sort()).to.deep.equal(["job-step", "parse-error", "unknown-account"]);
    expect(quarantine.find((q) => q.reason === "job-step")).to.include({ line: 4 });
  });

  it("when the same rows come again, they are duplicates and nothing is sent", async function () {
    writeFileSync(join(dir, "inbox", "sacct-1-again.txt"), readFileSync(join(dir, "inbox", "sacct-1.txt")));
    writeFileSync(join(dir, "inbox", "meter-1-again.jsonl"), readFileSync(join(dir, "inbox", "meter-1.jsonl")));
    const before = await chainGpuSeconds(chain);
    const summary = await runUsageOnce(rt);
    // job 105 still runs past the clock: its waiting row bills the seconds since the last run (in an open window) and
    // waits on; its repeated row waits too; the rest repeats
    expect(summary).to.include({ read: 8, new: 0, duplicate: 4, quarantined: 3, waiting: 1, batched: 0, submitted: 0 });
    expect(summary.earlier).to.deep.equal({ read: 1, new: 0, duplicate: 0, waiting: 1 });
    expect(await chainGpuSeconds(chain)).to.deep.equal(before);
  });

  it("when a later export extends a running job and brings a late record, the watermark bills only the rest and the late slice is carried forward", async function () {
    writeFileSync(
      join(dir, "inbox", "sacct-2.txt"),
      [
        SACCT_HEADER,
        sacctLine({ id: "105", account: "startup-a", start: h + 180n * M, end: h + 300n * M, gpus: 8 }),
        sacctLine({ id: "106", account: "startup-a", start: h + 30n * M, end: h + 60n * M, gpus: 2 }),
      ].join("\n") + "\n",
    );
    const before = await chainGpuSeconds(chain);
    await setChainTime(chain, h + 6n * HOUR);
    const summary = await runUsageOnce(rt);
    // job 105's two waiting rows (from sacct-1 and its copy) are billed from the state, once; its row here repeats them
    expect(summary).to.include({ read: 2, new: 1, duplicate: 1, batched: 1, submitted: 1 });
    expect(summary.earlier).to.deep.equal({ read: 2, new: 1, duplicate: 1, waiting: 0 });
    const after = await chainGpuSeconds(chain);
    // job 105's last 100 minutes (8 GPUs) + job 106's 30 minutes (2 GPUs), carried into [h+4h, h+5h)
    expect(after.get(1n)! - before.get(1n)!).to.equal(8n * 60n * 60n + 2n * 30n * 60n);
    expect((await position(1n)).lastUsageEnd).to.equal(h + 5n * HOUR);

    const latest = rt.state.confirmedBatches().at(-1)!;
    const bundle = JSON.parse(readFileSync(join(dir, "evidence", `${latest.batchId}.json`), "utf8")) as EvidenceBundle;
    const carried = proveRecord(bundle.tree, `slurm:syd1:106:${h + 30n * M}`)!;
    const leaf = decodeUsageLeaf(carried.leaves[0].leaf);
    expect(leaf.sliceEnd <= BigInt(bundle.batch.periodStart)).to.equal(true);
    expect(leaf.gpuSeconds).to.equal(3600n);
  });

  it("when fewer local keys than the threshold are configured, it prepares a batch file; `sign` and `submit` complete it", async function () {
    rt.state.close();
    const oneKey = tempOracleDir();
    const onePath = writeUsageConfig(chain, oneKey, { signerKeys: [chain.signerKeys[0]] });
    const cfg = loadTestUsageConfig(onePath);
    rt = await openUsageRuntime({ ...cfg, stateDir: join(dir, "state"), evidenceDir: join(dir, "evidence"), inputs: [join(dir, "inbox")] });
    writeFileSync(
      join(dir, "inbox", "sacct-3.txt"),
      [SACCT_HEADER, sacctLine({ id: "107", account: "startup-b", start: h + 300n * M, end: h + 330n * M, gpus: 2, type: "b200" })].join("\n") + "\n",
    );
    await setChainTime(chain, h + 7n * HOUR);
    const prepared = await runUsageOnce(rt);
    expect(prepared).to.include({ new: 1, batched: 1, submitted: 0 });
    expect(prepared.awaitingSignatures).to.have.length(1);
    const batchId = prepared.awaitingSignatures[0];

    const again = await runUsageOnce(rt);
    expect(again.awaitingSignatures).to.deep.equal([batchId]);
    expect(again.batched).to.equal(0);

    const sigFile = await signBatchFile(outboxPath(rt.config, batchId), privateKeyToAccount(chain.signerKeys[1]));
    const before = await chainGpuSeconds(chain);
    const submitted = await submitSignatureFiles(rt, [sigFile]);
    expect(submitted).to.include({ submitted: 1 });
    expect((await chainGpuSeconds(chain)).get(2n)! - before.get(2n)!).to.equal(2n * 30n * 60n);
  });

  it("when the reporting grace ends, usage the ledger kept refusing is quarantined with its reason", async function () {
    const close = chain.agreements[1].endTime + 7n * 86_400n;
    await setChainTime(chain, close + HOUR);
    const summary = await runUsageOnce(rt);
    expect(summary.slicesQuarantined).to.equal(1);
    const entries = readFileSync(join(dir, "state", "quarantine.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, string>);
    const rejected = entries.find((e) => e.reason === "line-rejected")!;
    expect(rejected).to.include({ rejection: "NoRate", recordId: "meter-1" });
  });

  it("every record of every evidence bundle proves against the batch's on-chain recordsRoot", async function () {
    const { publicClient } = createChainClients({ rpcUrl: chain.node.url, chainId: 31337 });
    const files = readdirSync(join(dir, "evidence")).filter((f) => f.endsWith(".json"));
    expect(files.length).to.equal(6);
    let proven = 0;
    for (const file of files) {
      const bundle = JSON.parse(readFileSync(join(dir, "evidence", file), "utf8")) as EvidenceBundle;
      const [event] = await publicClient.getContractEvents({
        address: chain.deployment.ledger,
        abi: revenueShareLedgerAbi,
        eventName: "UsageBatchRecorded",
        args: { batchId: bundle.batchId as Hex },
        fromBlock: 0n,
      });
      expect(event.args.recordsRoot).to.equal(bundle.batch.recordsRoot);
      expect(event.transactionHash).to.equal(bundle.transactionHash);
      const sums = new Map<string, bigint>();
      for (const [, leaf] of bundle.tree.values.entries()) {
        const value = leaf.value;
        const proof = proveRecord(bundle.tree, value[0])!;
        for (const p of proof.leaves) expect(verifyRecordProof(event.args.recordsRoot as Hex, p.leaf, p.proof)).to.equal(true);
        sums.set(`${value[1]}:${value[2]}`, (sums.get(`${value[1]}:${value[2]}`) ?? 0n) + BigInt(value[5]));
        proven += 1;
      }
      for (const line of bundle.batch.lines) expect(sums.get(`${line.agreementId}:${line.sku}`)).to.equal(BigInt(line.gpuSeconds));
    }
    expect(proven).to.be.greaterThan(8);
  });
});
