// v1.1 on a real hardhat node: the ledger accepts or rejects a batch's lines for one agreement
// together. A batch is signed and persisted while the startup's authorization still covers it
// (the oracle is killed right after persisting it, DSX_USAGE_FAULT=after-persist); a lower
// authorization then comes into force, so the resent batch's h100 line is rejected on chain
// (OverAuthorization) and its b200 sibling with it (SiblingRejected). Both lines must come
// back pending (not billed, not quarantined, not lost) while the other agreement's line counts;
// once the startup raises the authorization, the next run bills both, in their own window.
import { expect } from "chai";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { revenueShareLedgerAbi } from "../../sdk/abis";
import { createChainClients } from "../../sdk/chain";
import { skuToBytes32 } from "../../sdk/eip712";
import { UsageState } from "../../oracle/state/usageState";
import type { EvidenceBundle } from "../../oracle/usage/bundle";
import { USAGE_REJECTIONS } from "../../oracle/usage/preflight";
import { openUsageRuntime, runUsageOnce } from "../../oracle/usage/run";
import { NODE_KEYS } from "../helpers/hardhatNode";
import {
  bundleUsageCli,
  chainGpuSeconds,
  DAY,
  HOUR,
  loadTestUsageConfig,
  RATES,
  runUsageCli,
  SACCT_HEADER,
  sacctLine,
  setChainTime,
  type UsageChain,
} from "./crash/usageChain";
import { startUsageOracle } from "./support";

const M = 60n;
const UNIT = 1_000_000n;

describe("usage oracle: a line rejected on chain sends its agreement's siblings back to pending too", function () {
  this.timeout(240_000);
  let chain: UsageChain;
  let dir: string;
  let config: string;

  before(async function () {
    ({ chain, dir, config } = await startUsageOracle({ chain: { signers: 1, threshold: 1, days: 10n } }));
  });
  after(async function () {
    await chain?.node.stop();
  });

  const clients = () => createChainClients({ rpcUrl: chain.node.url, chainId: 31337, account: privateKeyToAccount(NODE_KEYS[3]) });

  async function position(id: bigint) {
    return clients().publicClient.readContract({ address: chain.deployment.ledger, abi: revenueShareLedgerAbi, functionName: "partnerPosition", args: [id, chain.partner] });
  }

  /** startup-a (NODE_KEYS[3]) sets the partner's spendLimit on agreement 1 (maxGpus unchanged). */
  async function authorize(spendLimit: bigint): Promise<void> {
    const { walletClient, publicClient } = clients();
    const hash = await walletClient!.writeContract({
      address: chain.deployment.ledger,
      abi: revenueShareLedgerAbi,
      functionName: "authorizePartner",
      args: [1n, chain.partner, spendLimit, 64],
    });
    expect((await publicClient.waitForTransactionReceipt({ hash })).status).to.equal("success");
  }

  async function rejectedOnChain(batchId: string) {
    const logs = await clients().publicClient.getContractEvents({
      address: chain.deployment.ledger,
      abi: revenueShareLedgerAbi,
      eventName: "UsageLineRejected",
      args: { batchId: batchId as Hex },
      fromBlock: 0n,
    });
    return logs.map((l) => [l.args.agreementId, l.args.sku, USAGE_REJECTIONS[Number(l.args.reason)]]);
  }

  it("when the authorization in force drops below a signed batch before it lands, both lines of the agreement come back pending; raised again, the next run bills both", async function () {
    const h = chain.h0;
    // agreement 1: 4 GPUs of b200 (16 credits) and 8 of h100-sxm (20 credits) in [h, h+1h); agreement 2: 2 GPUs of h100 for 30 min
    writeFileSync(
      join(dir, "inbox", "sacct-1.txt"),
      [
        SACCT_HEADER,
        sacctLine({ id: "201", account: "startup-a", start: h, end: h + HOUR, gpus: 4, type: "b200" }),
        sacctLine({ id: "202", account: "startup-a", start: h, end: h + HOUR, gpus: 8 }),
        sacctLine({ id: "203", account: "startup-b", start: h, end: h + 30n * M, gpus: 2 }),
      ].join("\n") + "\n",
    );
    const b200Credits = (4n * 3600n * RATES.b200) / 3600n;
    const h100Credits = (8n * 3600n * RATES["h100-sxm"]) / 3600n;
    expect([b200Credits, h100Credits]).to.deep.equal([16n * UNIT, 20n * UNIT]);

    // A decrease to 30 credits, in force only after AUTH_NOTICE: b200 (16) fits, b200 + h100 (36) does not.
    await authorize(30n * UNIT);
    expect((await position(1n)).spendLimit).to.equal(900_000n * UNIT);

    // The oracle signs and persists the batch (the preflight sees 900 000 authorized), then dies before sending it.
    await setChainTime(chain, h + HOUR + 20n * M);
    const cli = bundleUsageCli(dir);
    const killed = await runUsageCli(cli, ["run", "--config", config], { env: { DSX_USAGE_FAULT: "after-persist" } });
    expect(killed.signal, killed.stderr).to.equal("SIGKILL");
    let state = UsageState.open(join(dir, "state"), { chainId: 31337, ledger: chain.deployment.ledger, partner: chain.partner });
    const [persisted] = state.openBatches();
    state.close();
    expect(JSON.parse(persisted.batchJson).lines.map((l: { agreementId: string; sku: string }) => [l.agreementId, l.sku])).to.deep.equal([
      ["1", skuToBytes32("b200")],
      ["1", skuToBytes32("h100-sxm")],
      ["2", skuToBytes32("h100-sxm")],
    ]);

    // The decrease comes into force; the restarted oracle resends exactly the persisted batch.
    await setChainTime(chain, h + 7n * DAY + 2n * HOUR);
    expect((await position(1n)).spendLimit).to.equal(30n * UNIT);
    let rt = await openUsageRuntime(loadTestUsageConfig(config));
    const first = await runUsageOnce(rt);
    rt.state.close();
    expect(first).to.include({ submitted: 1, batched: 0, rejected: 2, quarantined: 0 });
    expect(await rejectedOnChain(persisted.batchId)).to.deep.equal([
      [1n, skuToBytes32("b200"), "SiblingRejected"],
      [1n, skuToBytes32("h100-sxm"), "OverAuthorization"],
    ]);
    // not billed: agreement 1 booked nothing and can report the same window again; agreement 2's line counted
    expect((await chainGpuSeconds(chain)).get(1n)).to.equal(undefined);
    expect((await chainGpuSeconds(chain)).get(2n)).to.equal(2n * 1800n);
    expect(await position(1n)).to.deep.include({ spent: 0n, lastUsageEnd: 0n });
    // not lost: both lines' slices are pending, the sibling marked as such, nothing quarantined
    state = UsageState.open(join(dir, "state"), { chainId: 31337, ledger: chain.deployment.ledger, partner: chain.partner });
    const pending = state.pendingInPiece(h, h + HOUR).map((r) => [r.recordId, r.sku, r.gpuSeconds, r.rejection]);
    const quarantined = state.quarantineCount();
    state.close();
    expect(pending).to.deep.equal([
      [`slurm:syd1:201:${h}`, "b200", 4n * 3600n, "SiblingRejected"],
      [`slurm:syd1:202:${h}`, "h100-sxm", 8n * 3600n, "OverAuthorization"],
    ]);
    expect(quarantined).to.equal(0);
    const quarantineFile = join(dir, "state", "quarantine.jsonl");
    expect(existsSync(quarantineFile) ? readFileSync(quarantineFile, "utf8").trim() : "").to.equal("");
    const bundle = JSON.parse(readFileSync(join(dir, "evidence", `${persisted.batchId}.json`), "utf8")) as EvidenceBundle;
    expect(bundle.rejectedLines.map((r) => [r.agreementId, r.reason])).to.deep.equal([
      ["1", "SiblingRejected"],
      ["1", "OverAuthorization"],
    ]);

    // The startup raises the authorization again (an increase is in force at once): the next run bills both lines.
    await authorize(900_000n * UNIT);
    rt = await openUsageRuntime(loadTestUsageConfig(config));
    const second = await runUsageOnce(rt);
    const totals = rt.state.sliceTotals();
    rt.state.close();
    expect(second).to.include({ batched: 1, submitted: 1, rejected: 0, quarantined: 0 });
    expect((await chainGpuSeconds(chain)).get(1n)).to.equal(4n * 3600n + 8n * 3600n);
    // in their own window, at its rates: not carried as late usage
    expect(await position(1n)).to.deep.include({ spent: b200Credits + h100Credits, lastUsageEnd: h + HOUR });
    expect(totals.pending.slices).to.equal(0);
    expect(totals.quarantined.slices).to.equal(0);
    expect(totals.reported.gpuSeconds).to.equal(4n * 3600n + 8n * 3600n + 2n * 1800n);
  });
});
