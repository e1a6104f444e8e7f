// v1.1 on a real hardhat node: a partner signer set PROGRAM proposes is pending for
// SIGNER_NOTICE and then in force with no further transaction. The usage oracle signs with its
// keys that are in the set in force, and warns, naming effectiveAt, when its configured keys
// are in force but not in the pending set (they stop counting then) or only in the pending set
// (they count from then on).
import { expect } from "chai";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { privateKeyToAccount } from "viem/accounts";
import { revenueShareLedgerAbi } from "../../sdk/abis";
import { createChainClients } from "../../sdk/chain";
import { ConfigError } from "../../sdk/errors";
import { openUsageRuntime, runUsageOnce, type UsageRuntime } from "../../oracle/usage/run";
import { NODE_KEYS } from "../helpers/hardhatNode";
import {
  chainGpuSeconds,
  HOUR,
  loadTestUsageConfig,
  SACCT_HEADER,
  sacctLine,
  setChainTime,
  tempOracleDir,
  writeUsageConfig,
  type UsageChain,
} from "./crash/usageChain";
import { startUsageOracle } from "./support";

const M = 60n;

describe("usage oracle: a partner signer set PROGRAM proposed", function () {
  this.timeout(240_000);
  let chain: UsageChain;
  let dir: string;
  let rt: UsageRuntime | undefined;

  before(async function () {
    ({ chain, dir } = await startUsageOracle({ chain: { signers: 1, threshold: 1, days: 10n } }));
  });
  after(async function () {
    rt?.state.close();
    await chain?.node.stop();
  });

  /** Opens the oracle on the shared state folder with `keys` as its signer keys; its log lines go to `log`. */
  async function open(keys: `0x${string}`[], log: string[]): Promise<UsageRuntime> {
    rt?.state.close();
    const own = tempOracleDir();
    const config = loadTestUsageConfig(writeUsageConfig(chain, own, { signerKeys: keys }));
    rt = await openUsageRuntime({ ...config, stateDir: join(dir, "state"), evidenceDir: join(dir, "evidence"), inputs: [join(dir, "inbox")] }, (l) => log.push(l));
    return rt;
  }

  function exportJob(name: string, id: string, start: bigint): void {
    writeFileSync(join(dir, "inbox", name), [SACCT_HEADER, sacctLine({ id, account: "startup-a", start, end: start + 30n * M, gpus: 2 })].join("\n") + "\n");
  }

  it("when the configured keys leave or join with it, each run warns naming effectiveAt, and batches are signed by the set in force", async function () {
    const h = chain.h0;
    const oldKey = chain.signerKeys[0];
    const newKey = NODE_KEYS[6] as `0x${string}`;
    const oldSigner = privateKeyToAccount(oldKey).address;
    const newSigner = privateKeyToAccount(newKey).address;
    const program = createChainClients({ rpcUrl: chain.node.url, chainId: 31337, account: privateKeyToAccount(NODE_KEYS[0]) });
    const hash = await program.walletClient!.writeContract({
      address: chain.deployment.ledger,
      abi: revenueShareLedgerAbi,
      functionName: "setPartnerSigners",
      args: [chain.partner, [newSigner], 1],
    });
    expect((await program.publicClient.waitForTransactionReceipt({ hash })).status).to.equal("success");
    const view = await program.publicClient.readContract({ address: chain.deployment.ledger, abi: revenueShareLedgerAbi, functionName: "partner", args: [chain.partner] });
    expect([view.signers, view.pendingSigners]).to.deep.equal([[oldSigner], [newSigner]]);
    const effectiveAt = BigInt(view.pendingSignersAt);

    // Before effectiveAt, the old key is in force: its batch lands, with a warning that it stops counting then.
    exportJob("sacct-1.txt", "301", h);
    await setChainTime(chain, h + HOUR + 20n * M);
    const oldLog: string[] = [];
    const first = await runUsageOnce(await open([oldKey], oldLog));
    expect(first).to.include({ batched: 1, submitted: 1 });
    const leaving = oldLog.filter((l) => l.includes("not in the set PROGRAM proposed"));
    expect(leaving, oldLog.join("\n")).to.have.length(1);
    expect(leaving[0]).to.include(oldSigner).and.include(`effectiveAt ${effectiveAt}`).and.include(new Date(Number(effectiveAt) * 1000).toISOString().slice(0, 19));

    // Only the new key, before effectiveAt: a warning that it counts only from then, and a refusal to sign that says when.
    exportJob("sacct-2.txt", "302", h + HOUR);
    await setChainTime(chain, h + 2n * HOUR + 20n * M);
    const newLog: string[] = [];
    let refusal: unknown;
    try {
      await runUsageOnce(await open([newKey], newLog));
    } catch (err) {
      refusal = err;
    }
    expect(refusal).to.be.instanceOf(ConfigError);
    expect((refusal as Error).message).to.include("signers in force").and.include(newSigner).and.include(`effectiveAt ${effectiveAt}`);
    const joining = newLog.filter((l) => l.includes("only in the set PROGRAM proposed"));
    expect(joining, newLog.join("\n")).to.have.length(1);
    expect(joining[0]).to.include(newSigner).and.include(`effectiveAt ${effectiveAt}`);
    expect((await chainGpuSeconds(chain)).get(1n)).to.equal(2n * 1800n);

    // From effectiveAt the proposed set is in force with no transaction: the new key signs, and nothing is pending to warn about.
    await setChainTime(chain, effectiveAt + HOUR);
    const laterLog: string[] = [];
    const later = await runUsageOnce(await open([newKey], laterLog));
    expect(later).to.include({ batched: 1, submitted: 1 });
    expect(laterLog.filter((l) => l.startsWith("warning"))).to.deep.equal([]);
    expect((await chainGpuSeconds(chain)).get(1n)).to.equal(2n * 2n * 1800n);
    const signed = rt!.state.confirmedBatches().at(-1)!;
    expect(JSON.parse(signed.signaturesJson).map((s: { signer: string }) => s.signer)).to.deep.equal([newSigner]);
  });
});
