import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { addressSchema, loadConfig } from "../../sdk/config";
import { loadDeployment } from "../../sdk/deployment";
import { ConfigError } from "../../sdk/errors";

const LEDGER = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const CREDIT = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
const TOKEN = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";
const TREASURY = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

describe("addressSchema", () => {
  it("when given a lower-case address, it returns it checksummed", () => {
    expect(addressSchema.parse(LEDGER.toLowerCase())).to.equal(LEDGER);
  });

  it("when given a wrong checksum or a short address, it refuses it", () => {
    expect(addressSchema.safeParse("0x5fbDB2315678afecb367f032d93F642f64180aa3").success).to.equal(false);
    expect(addressSchema.safeParse("0x1234").success).to.equal(false);
  });
});

describe("loadConfig", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "dsx-config-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const schema = z.object({
    rpcUrl: z.url(),
    chainId: z.coerce.number().int().positive(),
    db: z.object({ password: z.string().min(8) }).optional(),
  });
  const env = { rpcUrl: "DSX_RPC_URL", chainId: "DSX_CHAIN_ID", "db.password": "DSX_DB_PASSWORD" };
  const writeJson = (value: unknown) => {
    const file = join(dir, "config.json");
    writeFileSync(file, JSON.stringify(value));
    return file;
  };
  const failure = (fn: () => unknown): ConfigError => {
    try {
      fn();
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as Error).message).not.to.include("\n");
      return err as ConfigError;
    }
    throw new Error("expected a ConfigError");
  };

  it("when the file and the environment give settings, the environment wins and empty variables are ignored", () => {
    const file = writeJson({ rpcUrl: "http://file:8545", chainId: 1 });
    const config = loadConfig({ schema, file, env, environment: { DSX_RPC_URL: "http://env:8545", DSX_CHAIN_ID: "", DSX_DB_PASSWORD: "long-enough" } });
    expect(config).to.deep.equal({ rpcUrl: "http://env:8545", chainId: 1, db: { password: "long-enough" } });
  });

  it("when there is no file, it reads the environment alone", () => {
    expect(loadConfig({ schema, env, environment: { DSX_RPC_URL: "http://env:8545", DSX_CHAIN_ID: "31337" } })).to.deep.equal({
      rpcUrl: "http://env:8545",
      chainId: 31337,
    });
  });

  it("when a setting is missing, it names it and where to set it", () => {
    const file = writeJson({ chainId: 1 });
    const err = failure(() => loadConfig({ schema, file, env, environment: {} }));
    expect(err.setting).to.equal("rpcUrl");
    expect(err.message).to.equal(`Missing setting rpcUrl. Set "rpcUrl" in ${file} or the environment variable DSX_RPC_URL.`);
  });

  it("when an environment variable is invalid, it names the variable and does not echo the value", () => {
    const err = failure(() => loadConfig({ schema, env, environment: { DSX_RPC_URL: "http://x", DSX_CHAIN_ID: "1", DSX_DB_PASSWORD: "s3cr" } }));
    expect(err.setting).to.equal("db.password");
    expect(err.message).to.match(/^Invalid setting db\.password from environment variable DSX_DB_PASSWORD: .+\. Correct DSX_DB_PASSWORD\.$/);
    expect(err.message).not.to.include("s3cr");
  });

  it("when a file setting is invalid, it names the setting and the file", () => {
    const file = writeJson({ rpcUrl: "not a url", chainId: 1 });
    const err = failure(() => loadConfig({ schema, file, env, environment: {} }));
    expect(err.message).to.match(new RegExp(`^Invalid setting rpcUrl in ${file}: .+\\. Correct "rpcUrl" in ${file} or the environment variable DSX_RPC_URL\\.$`));
  });

  it("when several settings are bad, it reports the first on one line and counts the rest", () => {
    const err = failure(() => loadConfig({ schema, env, environment: { DSX_CHAIN_ID: "-1" } }));
    expect(err.message).to.include("(and 1 more: see details)");
    expect(err.details).to.include("rpcUrl").and.to.include("chainId");
  });

  it("when a strict schema meets an unknown key, it names the key", () => {
    const file = writeJson({ rpcUrl: "http://x", chainId: 1, rpcURL: "typo" });
    const err = failure(() => loadConfig({ schema: z.strictObject(schema.shape), file }));
    expect(err.message).to.equal(`Unknown setting rpcURL in ${file}. Remove it or correct its spelling.`);
  });

  it("when the file is missing, not JSON or not an object, it says so", () => {
    expect(failure(() => loadConfig({ schema, file: join(dir, "nope.json") })).message).to.include("not found. Create it or pass the right path.");
    const bad = join(dir, "bad.json");
    writeFileSync(bad, "{ rpcUrl: ");
    expect(failure(() => loadConfig({ schema, file: bad })).message).to.equal(`File ${bad} is not valid JSON. Correct its syntax (a JSON object of settings).`);
    expect(failure(() => loadConfig({ schema, file: writeJson([1]) })).message).to.include("does not hold a JSON object");
  });
});

describe("loadDeployment", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "dsx-deployments-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const deployment = {
    chainId: 31337,
    ledger: LEDGER.toLowerCase(),
    credit: CREDIT,
    settlementToken: TOKEN,
    treasury: TREASURY,
    deploymentBlock: 1,
    libraries: { ShareMath: TOKEN },
    deployedAt: "2026-10-01T00:00:00.000Z",
  };
  const write = (chainId: number, value: unknown) => writeFileSync(join(dir, `${chainId}.json`), JSON.stringify(value));

  it("when the file is valid, it returns it with checksummed addresses", () => {
    write(31337, deployment);
    expect(loadDeployment(dir, 31337)).to.deep.equal({ ...deployment, ledger: LEDGER });
  });

  it("when optional fields are absent, it accepts the file", () => {
    const { libraries: _libraries, deployedAt: _deployedAt, ...required } = deployment;
    write(31337, required);
    expect(loadDeployment(dir, 31337)).to.not.have.property("libraries");
  });

  it("when the file is missing, it tells how to deploy", () => {
    expect(() => loadDeployment(dir, 31337)).to.throw(ConfigError, "not found. Deploy to chain 31337 first");
  });

  it("when an address is invalid, it names the field and the file", () => {
    write(31337, { ...deployment, treasury: "0x1234" });
    expect(() => loadDeployment(dir, 31337)).to.throw(ConfigError, `Invalid setting treasury in ${join(dir, "31337.json")}: expected a 0x-prefixed 20-byte address`);
  });

  it("when a required field is missing or mistyped, it names it", () => {
    const { deploymentBlock: _block, ...rest } = deployment;
    write(31337, rest);
    expect(() => loadDeployment(dir, 31337)).to.throw(ConfigError, "Missing setting deploymentBlock");
    write(31337, { ...deployment, deployedAt: "yesterday" });
    expect(() => loadDeployment(dir, 31337)).to.throw(ConfigError, "Invalid setting deployedAt");
    write(31337, { ...deployment, libraries: { ShareMath: "nope" } });
    expect(() => loadDeployment(dir, 31337)).to.throw(ConfigError, "Invalid setting libraries.ShareMath");
  });

  it("when the file is for another chain, it refuses it", () => {
    write(1, deployment);
    expect(() => loadDeployment(dir, 1)).to.throw(ConfigError, "is for chain 31337, not 1");
  });
});
