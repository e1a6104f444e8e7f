// `dsx deploy` to a public network, played by a separate `hardhat node` with chain id 31338: one command
// with an RPC URL and a keystore from the environment; the refusals that protect a real network.
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { getAddress, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { mockUsdcAbi } from "../../sdk/abis";
import { createChainClients } from "../../sdk/chain";
import { NODE_KEYS, type RunningNode } from "../helpers/hardhatNode";
import { ROOT, addressOf, dsx, jsonOf, scratch, spawnDsx, startRemoteNode, writeKeystore } from "./support";

const PASSWORD = "correct horse battery staple";

describe("dsx deploy: a remote network (hardhat node on chain 31338)", function () {
  this.timeout(180_000);
  let node: RunningNode;
  let keystore: string;
  let token: Address;
  const out = scratch("dsx-remote-deployments-");
  const roles = { treasury: addressOf(NODE_KEYS[9]), program: addressOf(NODE_KEYS[1]), auditor: addressOf(NODE_KEYS[2]), pauser: addressOf(NODE_KEYS[0]) };
  const roleArgs = () => ["--treasury", roles.treasury, "--program", roles.program, "--auditor", roles.auditor, "--pauser", roles.pauser];

  before(async function () {
    node = await startRemoteNode();
    keystore = await writeKeystore(NODE_KEYS[0] as Hex, PASSWORD);
    // the network's stablecoin, deployed beforehand (on a real network it already exists)
    const artifact = JSON.parse(readFileSync(join(ROOT, "artifacts", "contracts", "mocks", "MockUSDC.sol", "MockUSDC.json"), "utf8")) as { bytecode: Hex };
    const { publicClient, walletClient } = createChainClients({ rpcUrl: node.url, chainId: 31338, account: privateKeyToAccount(NODE_KEYS[3] as Hex) });
    const hash = await walletClient!.deployContract({ abi: mockUsdcAbi, bytecode: artifact.bytecode });
    token = getAddress((await publicClient.waitForTransactionReceipt({ hash })).contractAddress!);
  });
  after(async function () {
    await node?.stop();
  });

  it("when given a raw private key, it refuses it off the local chain and names the fix", async function () {
    const run = await dsx("deploy", "--rpc-url", node.url, "--private-key", NODE_KEYS[0], "--settlement-token", token, ...roleArgs(), "--out", out, "--no-compile");
    expect(run.code).to.equal(1);
    expect(run.stderr).to.equal(
      "dsx: error: A raw private key is accepted only on the local chain 31337, not on chain 31338. Use an encrypted keystore file with its password in DSX_KEYSTORE_PASSWORD.\n",
    );
  });

  it("when the settlement token or a role holder is missing, it names every missing option", async function () {
    const run = await dsx("deploy", "--rpc-url", node.url, "--keystore", keystore, "--treasury", roles.treasury, "--out", out, "--no-compile");
    expect(run.code).to.equal(1);
    expect(run.stderr).to.match(/^dsx: error: Chain 31338 is not a local chain: --settlement-token, --program, --auditor, --pauser are required\. Give the real settlement token/);
    expect(run.stderr.trim().split("\n")).to.have.length(1);
  });

  it("when the keystore password is missing or wrong, it says which variable to set", async function () {
    const previous = process.env.DSX_KEYSTORE_PASSWORD;
    try {
      delete process.env.DSX_KEYSTORE_PASSWORD;
      const missing = await dsx("deploy", "--rpc-url", node.url, "--keystore", keystore, "--settlement-token", token, ...roleArgs(), "--no-compile");
      expect(missing.stderr).to.equal(`dsx: error: Environment variable DSX_KEYSTORE_PASSWORD (the keystore password) is not set. Set DSX_KEYSTORE_PASSWORD to the password of ${keystore}.\n`);
      process.env.DSX_KEYSTORE_PASSWORD = "not the password";
      const wrong = await dsx("deploy", "--rpc-url", node.url, "--keystore", keystore, "--settlement-token", token, ...roleArgs(), "--no-compile");
      expect(wrong.code).to.equal(1);
      expect(wrong.stderr).to.match(/cannot be decrypted: wrong password or not a keystore file\. Check DSX_KEYSTORE_PASSWORD/);
    } finally {
      if (previous === undefined) delete process.env.DSX_KEYSTORE_PASSWORD;
      else process.env.DSX_KEYSTORE_PASSWORD = previous;
    }
  });

  it("with an RPC URL and a keystore whose password is in the environment, one command deploys and writes the file", async function () {
    const run = await spawnDsx(
      ["deploy", "--rpc-url", node.url, "--keystore", keystore, "--settlement-token", token, ...roleArgs(), "--dispute-window", "1d", "--out", out, "--no-compile", "--json"],
      { env: { DSX_KEYSTORE_PASSWORD: PASSWORD } },
    );
    expect(run.code, run.stderr).to.equal(0);
    const result = jsonOf<{ chainId: number; ledger: Address; settlementToken: Address; treasury: Address; file: string }>(run);
    expect(result).to.include({ chainId: 31338, settlementToken: token, treasury: roles.treasury, file: join(out, "31338.json") });
    const written = JSON.parse(readFileSync(join(out, "31338.json"), "utf8")) as { ledger: Address; chainId: number };
    expect(written).to.include({ ledger: result.ledger, chainId: 31338 });
    expect(run.stdout + run.stderr).not.to.include(NODE_KEYS[0].slice(2));

    // the roles went to the addresses given, the dispute window is the one given
    const program = jsonOf<{ roles: string[] }>(await dsx("status", "--account", roles.program, "--rpc-url", node.url, "--deployment", out, "--json"));
    expect(program.roles).to.deep.equal(["PROGRAM"]);
    const deployer = jsonOf<{ roles: string[] }>(await dsx("status", "--account", addressOf(NODE_KEYS[0]), "--rpc-url", node.url, "--deployment", join(out, "31338.json"), "--json"));
    expect(deployer.roles).to.deep.equal(["ADMIN", "PAUSER"]);
    const overview = jsonOf<{ chainId: number; constants: { disputeWindow: string } }>(await dsx("status", "--rpc-url", node.url, "--deployment", out, "--json"));
    expect(overview.constants.disputeWindow).to.equal("86400");
  });

  it("on that network, commands sign with the keystore and refuse a raw key", async function () {
    const previous = process.env.DSX_KEYSTORE_PASSWORD;
    process.env.DSX_KEYSTORE_PASSWORD = PASSWORD;
    try {
      const paused = await dsx("program", "pause", "--rpc-url", node.url, "--deployment", out, "--keystore", keystore, "--json");
      expect(paused.code, paused.stderr).to.equal(0);
      expect(jsonOf(paused)).to.include({ command: "program pause", paused: true });
      const raw = await dsx("program", "unpause", "--rpc-url", node.url, "--deployment", out, "--private-key", NODE_KEYS[0]);
      expect(raw.code).to.equal(1);
      expect(raw.stderr).to.match(/^dsx: error: A raw private key is accepted only on the local chain 31337, not on chain 31338\./);
      const wrongChain = await dsx("program", "unpause", "--rpc-url", node.url, "--deployment", out, "--keystore", keystore, "--chain-id", "8453");
      expect(wrongChain.stderr).to.equal(`dsx: error: The node at ${node.url} is chain 31338, not 8453. Pass the right --chain-id or --rpc-url.\n`);
      expect((await dsx("program", "unpause", "--rpc-url", node.url, "--deployment", out, "--keystore", keystore)).code).to.equal(0);
    } finally {
      if (previous === undefined) delete process.env.DSX_KEYSTORE_PASSWORD;
      else process.env.DSX_KEYSTORE_PASSWORD = previous;
    }
  });
});
