// The one `hardhat node` launcher (scripts/lib/hardhatNode.ts, used by the tests and the demo) and the tests'
// deployment on it.
import { expect } from "chai";
import net from "node:net";
import { createChainClients } from "../../sdk/chain";
import { revenueShareLedgerAbi } from "../../sdk/abis";
import { DsxError } from "../../sdk/errors";
import { probeNode } from "../../scripts/lib/hardhatNode";
import { toHex } from "viem";
import { mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { deployTo, freePort, NODE_KEYS, nodeRpc, startHardhatNode, type RunningNode } from "./hardhatNode";

describe("test helper: a real hardhat node with the ledger deployed", function () {
  this.timeout(120_000);
  let node: RunningNode;
  before(async () => {
    node = await startHardhatNode();
  });
  after(async () => node?.stop());

  it("NODE_KEYS are the node's own funded accounts, in order (the development mnemonic, derived by viem)", async function () {
    const accounts = (await nodeRpc(node.url, "eth_accounts")) as string[];
    NODE_KEYS.forEach((key, i) => {
      const derived = mnemonicToAccount("test test test test test test test test test test test junk", { addressIndex: i });
      expect(toHex(derived.getHdKey().privateKey!), `key ${i}`).to.equal(key);
      expect(privateKeyToAccount(key).address.toLowerCase(), `account ${i}`).to.equal(accounts[i].toLowerCase());
    });
  });

  it("when deployed with scripts/deploy.ts, viem reads the ledger through the generated ABI", async function () {
    const { deployment } = await deployTo(node);
    const { publicClient } = createChainClients({ rpcUrl: node.url, chainId: 31337 });
    const credit = await publicClient.readContract({ address: deployment.ledger, abi: revenueShareLedgerAbi, functionName: "credit" });
    expect(credit).to.equal(deployment.credit);
  });
});

describe("scripts/lib/hardhatNode.ts: startHardhatNode", function () {
  this.timeout(120_000);

  it("when started, it answers as chain 31337 on a loopback port; when stopped, its process has exited and nothing answers", async function () {
    const node = await startHardhatNode();
    try {
      expect(node.url).to.equal(`http://127.0.0.1:${node.port}`);
      expect(await probeNode(node.url)).to.equal(31337);
    } finally {
      await node.stop();
    }
    expect(node.process.exitCode !== null || node.process.signalCode !== null, "the process has exited").to.equal(true);
    expect(await probeNode(node.url)).to.equal(undefined);
    await node.stop(); // a second stop does nothing
  });

  it("when its port is taken, it refuses naming the port", async function () {
    const port = await freePort();
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(port, "127.0.0.1", resolve));
    try {
      const failure = await startHardhatNode({ port }).then(
        (node) => node.stop().then(() => undefined),
        (err: unknown) => err,
      );
      expect(failure).to.be.instanceOf(DsxError);
      expect((failure as DsxError).message).to.match(new RegExp(`hardhat node exited at start: port ${port} is in use`));
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
