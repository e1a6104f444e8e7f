import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Wallet, encryptKeystoreJson } from "ethers";
import { ConfigError } from "../../sdk/errors";
import { loadAccount } from "../../sdk/keys";

describe("loadAccount", () => {
  const password = "correct horse battery staple";
  const wallet = Wallet.createRandom();
  let dir: string;
  let keystore: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "dsx-keys-"));
    keystore = join(dir, "oracle.json");
    // A low scrypt cost keeps the test fast; the format is Wallet.encrypt's.
    writeFileSync(keystore, await encryptKeystoreJson({ address: wallet.address, privateKey: wallet.privateKey }, password, { scrypt: { N: 1024 } }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const rejection = async (promise: Promise<unknown>): Promise<ConfigError> => {
    try {
      await promise;
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      const message = (err as Error).message;
      expect(message).not.to.include(wallet.privateKey.slice(2));
      expect(message).not.to.include(password);
      return err as ConfigError;
    }
    throw new Error("expected a ConfigError");
  };

  it("when given a keystore and its password in the environment, it returns the account on any chain", async () => {
    const account = await loadAccount({ chainId: 1, keystore, environment: { DSX_KEYSTORE_PASSWORD: password } });
    expect(account.address).to.equal(wallet.address);
    expect(JSON.stringify(account)).not.to.include(wallet.privateKey.slice(2));
  });

  it("when the password variable is renamed, it reads that one", async () => {
    const account = await loadAccount({ chainId: 1, keystore, passwordEnv: "ORACLE_PW", environment: { ORACLE_PW: password } });
    expect(account.address).to.equal(wallet.address);
  });

  it("when the password is wrong, it says so without echoing it", async () => {
    const guess = "guess-7f3a9c";
    const err = await rejection(loadAccount({ chainId: 1, keystore, environment: { DSX_KEYSTORE_PASSWORD: guess } }));
    expect(err.message).to.include("cannot be decrypted: wrong password");
    expect(err.message).not.to.include(guess);
  });

  it("when the password variable is unset or empty, it names the variable", async () => {
    for (const environment of [{}, { DSX_KEYSTORE_PASSWORD: "" }]) {
      const err = await rejection(loadAccount({ chainId: 1, keystore, environment }));
      expect(err.setting).to.equal("DSX_KEYSTORE_PASSWORD");
      expect(err.message).to.equal(`Environment variable DSX_KEYSTORE_PASSWORD (the keystore password) is not set. Set DSX_KEYSTORE_PASSWORD to the password of ${keystore}.`);
    }
  });

  it("when the keystore file is missing or not a keystore, it says so", async () => {
    const environment = { DSX_KEYSTORE_PASSWORD: password };
    expect((await rejection(loadAccount({ chainId: 1, keystore: join(dir, "nope.json"), environment }))).message).to.include("cannot be read");
    const notKeystore = join(dir, "other.json");
    writeFileSync(notKeystore, "{}");
    expect((await rejection(loadAccount({ chainId: 1, keystore: notKeystore, environment }))).message).to.include("not a keystore file");
  });

  it("when given a raw private key on chain 31337, it returns the account", async () => {
    const account = await loadAccount({ chainId: 31337, privateKey: wallet.privateKey });
    expect(account.address).to.equal(wallet.address);
  });

  it("when given a raw private key on chain 1, it refuses it and points to a keystore", async () => {
    const err = await rejection(loadAccount({ chainId: 1, privateKey: wallet.privateKey }));
    expect(err.setting).to.equal("privateKey");
    expect(err.message).to.equal(
      "A raw private key is accepted only on the local chain 31337, not on chain 1. Use an encrypted keystore file with its password in DSX_KEYSTORE_PASSWORD.",
    );
  });

  it("when a raw private key is malformed or out of range, it refuses it without echoing it", async () => {
    const short = await rejection(loadAccount({ chainId: 31337, privateKey: wallet.privateKey.slice(0, -2) }));
    expect(short.message).to.include("not 0x followed by 64 hex digits");
    expect(short.message).not.to.include(wallet.privateKey.slice(2, -2));
    const zero = await rejection(loadAccount({ chainId: 31337, privateKey: `0x${"00".repeat(32)}` }));
    expect(zero.message).to.include("not a valid secp256k1 key");
    expect(zero.cause).to.equal(undefined);
  });

  it("when given both or neither key source, it refuses", async () => {
    expect((await rejection(loadAccount({ chainId: 31337, keystore, privateKey: wallet.privateKey }))).message).to.include("Give only one of them");
    expect((await rejection(loadAccount({ chainId: 1 }))).message).to.include("No signing key configured");
  });
});
