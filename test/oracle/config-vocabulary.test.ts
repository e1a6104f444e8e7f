// One vocabulary for both oracles' settings (docs/revenue-oracle.md "Settings"): deploymentsDir, sender and
// privateKeyEnv; the usage oracle's old names (deployments, relayer, an inline privateKey) still read, with
// one deprecation line.
import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../../sdk/errors";
import { loadUsageConfig } from "../../oracle/usage/config";

const KEY = `0x${"11".repeat(32)}`;

describe("loadUsageConfig: the shared vocabulary", () => {
  const dir = mkdtempSync(join(tmpdir(), "dsx-usage-config-"));
  const base = {
    rpcUrl: "http://127.0.0.1:8545",
    chainId: 31337,
    partner: "0x00000000000000000000000000000000000000aa",
    stateDir: "state",
    accounts: { "startup-a": "1" },
    skuMap: { h100: "h100-sxm" },
  };
  const load = (settings: object, environment: Record<string, string> = {}) => {
    const file = join(dir, "usage.json");
    writeFileSync(file, JSON.stringify(settings));
    const warnings: string[] = [];
    return { config: loadUsageConfig(file, environment, (line) => warnings.push(line)), warnings };
  };

  it("when the file uses deploymentsDir, sender and privateKeyEnv, keys are read from the environment and nothing is printed", () => {
    const { config, warnings } = load({ ...base, deploymentsDir: "deps", signers: [{ privateKeyEnv: "SIGNER_0" }], sender: { privateKeyEnv: "SENDER" } }, { SIGNER_0: KEY, SENDER: KEY });
    expect(warnings).to.deep.equal([]);
    expect(config.deploymentsDir).to.equal(join(dir, "deps"));
    expect(config.signers).to.deep.equal([{ privateKey: KEY }]);
    expect(config.sender).to.deep.equal({ privateKey: KEY });
    // the old field names of the loaded object still answer, for readers not yet renamed
    expect([config.deployments, config.relayer]).to.deep.equal([join(dir, "deps"), { privateKey: KEY }]);
    expect(loadUsageConfig(join(dir, "usage.json"), { SIGNER_0: KEY, SENDER: KEY, DSX_DEPLOYMENTS_DIR: "/x" }, () => undefined).deploymentsDir).to.equal("/x");
  });

  it("when the file uses the old names, they still work and one deprecation line names each", () => {
    const { config, warnings } = load({ ...base, deployments: "deps", signers: [{ privateKey: KEY }], relayer: { privateKey: KEY } });
    expect(config.deploymentsDir).to.equal(join(dir, "deps"));
    expect(config.signers).to.deep.equal([{ privateKey: KEY }]);
    expect(config.sender).to.deep.equal({ privateKey: KEY });
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.match(/deployments \(now deploymentsDir\), relayer \(now sender\), signers\.0\.privateKey \(put the key in an environment variable and name it with privateKeyEnv\), relayer\.privateKey/);
  });

  it("when a key's variable is unset, or a key gives two sources, one line names the setting", () => {
    expect(() => load({ ...base, signers: [{ privateKeyEnv: "NOT_SET" }] })).to.throw(ConfigError, /Environment variable NOT_SET \(the private key of signers\.0\) is not set/);
    expect(() => load({ ...base, signers: [{ keystore: "k.json", privateKeyEnv: "A" }] })).to.throw(ConfigError, /signers\.0/);
  });
});
