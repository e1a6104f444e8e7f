import { expect } from "chai";
import { createChainClients } from "../../sdk/chain";
import { revenueShareLedgerAbi } from "../../sdk/abis";
import { deployTo, startHardhatNode, type RunningNode } from "./hardhatNode";

describe("test helper: a real hardhat node with the ledger deployed", function () {
  this.timeout(120_000);
  let node: RunningNode;
  before(async () => {
    node = await startHardhatNode();
  });
  after(async () => node?.stop());

  it("when deployed with scripts/deploy.ts, viem reads the ledger through the generated ABI", async function () {
    const { deployment } = await deployTo(node);
    const { publicClient } = createChainClients({ rpcUrl: node.url, chainId: 31337 });
    const credit = await publicClient.readContract({ address: deployment.ledger, abi: revenueShareLedgerAbi, functionName: "credit" });
    expect(credit).to.equal(deployment.credit);
  });
});
