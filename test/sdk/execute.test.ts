// sdk/context.ts and sdk/execute.ts on a real hardhat node: the context checks the node's chain against the
// caller's and the deployment's; the send engine simulates first (a refusal sends nothing and is explained,
// times told against the chain's clock), sends, waits, and the event pickers read only the deployment's ledger.
import { expect } from "chai";
import { keccak256, stringToHex, type Hex } from "viem";
import { revenueShareLedgerAbi } from "../../sdk/abis";
import { nodeChainIdOf, openLedgerContext, type LedgerContext } from "../../sdk/context";
import type { Deployment } from "../../sdk/deployment";
import { ConfigError, FatalError, LedgerRevertError } from "../../sdk/errors";
import { blockTimeOf, chainNow, execute, ledgerCall, ledgerEvent, ledgerEvents } from "../../sdk/execute";
import { advanceTime, deployTo, freePort, NODE_KEYS, startHardhatNode, type RunningNode } from "../helpers/hardhatNode";
import { rejectionOf } from "./support";

const K = NODE_KEYS as unknown as Hex[];


describe("sdk/context and sdk/execute", function () {
  this.timeout(180_000);
  let node: RunningNode;
  let deployment: Deployment;
  let dir: string;
  let admin: LedgerContext;

  before(async function () {
    node = await startHardhatNode();
    ({ deployment, dir } = await deployTo(node));
    admin = await openLedgerContext({ rpcUrl: node.url, deployment: dir, privateKey: K[0] });
  });
  after(async () => node?.stop());

  describe("nodeChainIdOf", function () {
    it("when a node answers, it returns its chain id; when none does, one line says to start it", async function () {
      expect(await nodeChainIdOf(node.url)).to.equal(31337);
      const dead = `http://127.0.0.1:${await freePort()}`;
      const err = await rejectionOf(nodeChainIdOf(dead, { attempts: 1 }));
      expect(err).to.be.instanceOf(ConfigError);
      expect(err.message).to.equal(`No JSON-RPC node answers at ${dead}. Start the node or pass the right --rpc-url (env DSX_RPC_URL).`);
    });
  });

  describe("openLedgerContext", function () {
    it("when given a deployment folder and a key, it returns clients for the node's chain, the deployment and the account", async function () {
      expect(admin.deployment).to.deep.equal(deployment);
      expect(admin.publicClient.chain.id).to.equal(31337);
      expect(admin.account.address).to.equal(admin.walletClient.account.address);
      expect(await admin.publicClient.readContract({ address: deployment.ledger, abi: revenueShareLedgerAbi, functionName: "credit" })).to.equal(deployment.credit);
    });

    it("when the expected chain or the deployment's chain is not the node's, it refuses before loading a key", async function () {
      const wrongChain = await rejectionOf(openLedgerContext({ rpcUrl: node.url, deployment: dir, chainId: 5, privateKey: K[0] }));
      expect(wrongChain.message).to.equal(`The node at ${node.url} is chain 31337, not 5. Pass the right --chain-id or --rpc-url.`);
      const elsewhere = await rejectionOf(openLedgerContext({ rpcUrl: node.url, deployment: { ...deployment, chainId: 5 }, privateKey: "not a key" }));
      expect(elsewhere.message).to.equal(`The deployment is for chain 5 but the node at ${node.url} is chain 31337. Point --rpc-url and --deployment at the same chain.`);
    });
  });

  describe("execute", function () {
    it("when the call passes, it sends it and returns the receipt's hash, block and gas", async function () {
      const treasury = await admin.publicClient.readContract({ ...ledgerCall(admin), functionName: "treasury" });
      const result = await execute(admin, () => admin.publicClient.simulateContract({ ...ledgerCall(admin), functionName: "setTreasury", args: [treasury] }));
      const receipt = await admin.publicClient.getTransactionReceipt({ hash: result.transactionHash });
      expect(result.blockNumber).to.equal(receipt.blockNumber);
      expect(result.gasUsed).to.equal(receipt.gasUsed);
      expect(result.receipt.status).to.equal("success");
      expect(ledgerEvent(admin, result.receipt, "TreasurySet").args.treasury).to.equal(treasury);
    });

    it("when the simulation is refused, nothing is sent and the ledger's error is explained", async function () {
      const nonce = await admin.publicClient.getTransactionCount({ address: admin.account.address });
      const err = await rejectionOf(execute(admin, () => admin.publicClient.simulateContract({ ...ledgerCall(admin), functionName: "cancelAgreement", args: [99n] })));
      expect(err).to.be.instanceOf(LedgerRevertError);
      expect((err as LedgerRevertError).errorName).to.equal("AgreementNotFound");
      expect(err.message).to.equal("AgreementNotFound: Agreement 99 does not exist. Check the agreement id (dsx status --account <startup> shows a wallet's agreement).");
      expect(await admin.publicClient.getTransactionCount({ address: admin.account.address })).to.equal(nonce);
    });

    it("when a refusal names a time, it is told against the chain's clock", async function () {
      const newAdmin = await openLedgerContext({ rpcUrl: node.url, deployment, privateKey: K[1] });
      await execute(admin, () => admin.publicClient.simulateContract({ ...ledgerCall(admin), functionName: "beginDefaultAdminTransfer", args: [newAdmin.account.address] }));
      try {
        const err = await rejectionOf(execute(newAdmin, () => newAdmin.publicClient.simulateContract({ ...ledgerCall(newAdmin), functionName: "acceptDefaultAdminTransfer" })));
        expect((err as LedgerRevertError).errorName).to.equal("AccessControlEnforcedDefaultAdminDelay");
        expect(err.message).to.match(/\(in (1 day|23 h \d+ min)\)/);
      } finally {
        await execute(admin, () => admin.publicClient.simulateContract({ ...ledgerCall(admin), functionName: "cancelDefaultAdminTransfer" }));
      }
    });

    it("when the state changes between the simulation and the send, the send's refusal is explained too", async function () {
      const startup = await openLedgerContext({ rpcUrl: node.url, deployment, privateKey: K[2] });
      const start = ((await chainNow(admin)) / 86_400n + 1n) * 86_400n;
      const terms = {
        startup: startup.account.address, creditLimit: 1_000_000n, revenueShareBps: 800, capMultipleBps: 15_000, partnerFirstBps: 6_000,
        startTime: start, endTime: start + 86_400n, periodDuration: 86_400, gracePeriod: 86_400, termsHash: keccak256(stringToHex("terms")),
      };
      const created = await execute(admin, () => admin.publicClient.simulateContract({ ...ledgerCall(admin), functionName: "createAgreement", args: [terms] }));
      const id = ledgerEvent(admin, created.receipt, "AgreementCreated").args.id;
      const err = await rejectionOf(
        execute(admin, async () => {
          const simulated = await admin.publicClient.simulateContract({ ...ledgerCall(admin), functionName: "cancelAgreement", args: [id] });
          // the startup accepts in between: the cancellation the simulation allowed is refused when sent
          await execute(startup, () => startup.publicClient.simulateContract({ ...ledgerCall(startup), functionName: "acceptAgreement", args: [id] }));
          return simulated;
        }),
      );
      expect((err as LedgerRevertError).errorName).to.equal("AgreementWrongStatus");
      expect(err.message).to.match(new RegExp(`^AgreementWrongStatus: Agreement ${id} is Active, which does not allow this call\\.`));
    });
  });

  describe("ledgerEvent and ledgerEvents", function () {
    it("when the deployment names another ledger, its events are not picked up and ledgerEvent says what to check", async function () {
      const result = await execute(admin, () => admin.publicClient.simulateContract({ ...ledgerCall(admin), functionName: "setTreasury", args: [admin.account.address] }));
      expect(ledgerEvents(admin, result.receipt, "TreasurySet")).to.have.length(1);
      const other = { deployment: { ...deployment, ledger: deployment.credit } };
      expect(ledgerEvents(other, result.receipt, "TreasurySet")).to.deep.equal([]);
      expect(() => ledgerEvent(other, result.receipt, "TreasurySet")).to.throw(
        FatalError,
        `Transaction ${result.transactionHash} succeeded but ledger ${deployment.credit} emitted no TreasurySet event. Check that --deployment names the ledger this chain runs.`,
      );
    });
  });

  describe("chainNow and blockTimeOf", function () {
    it("when the chain's clock moves, chainNow follows it and blockTimeOf reads the block of the transaction", async function () {
      const before = await chainNow(admin);
      await advanceTime(node, { seconds: 3_600 });
      const after = await chainNow(admin);
      expect(after - before >= 3_600n).to.equal(true);
      const latest = await admin.publicClient.getBlock({ blockTag: "latest" });
      expect(after).to.equal(latest.timestamp);
      const result = await execute(admin, () => admin.publicClient.simulateContract({ ...ledgerCall(admin), functionName: "setTreasury", args: [admin.account.address] }));
      const block = await admin.publicClient.getBlock({ blockNumber: result.blockNumber });
      expect(await blockTimeOf(admin, result)).to.equal(block.timestamp);
    });
  });
});
