// sdk/deployment.ts: the one deployment loader. A folder is read as `<dir>/<chainId>.json` by both entries
// (readDeployment for the CLI, loadDeployment for the services); a file the user names has its own wording.
// More cases: test/sdk/config.test.ts (loadDeployment) and test/sdk/values-errors.test.ts (readDeployment).
import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadDeployment, readDeployment } from "../../sdk/deployment";
import { ConfigError } from "../../sdk/errors";
import { SAMPLE_DEPLOYMENT } from "./support";

const DEPLOYMENT = SAMPLE_DEPLOYMENT;

/** The ConfigError `fn` throws. */
function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return err as ConfigError;
  }
  expect.fail("no error was thrown");
}

describe("sdk/deployment", function () {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "dsx-deployment-"))));
  const write = (name: string, value: unknown) => writeFileSync(join(dir, name), typeof value === "string" ? value : JSON.stringify(value));

  it("when given a folder, readDeployment reads <chainId>.json exactly as loadDeployment does, errors included", function () {
    write("31337.json", DEPLOYMENT);
    expect(readDeployment(dir, 31337)).to.deep.equal(loadDeployment(dir, 31337));
    write("31337.json", { ...DEPLOYMENT, credit: "0x12" });
    const viaRead = configErrorOf(() => readDeployment(dir, 31337));
    const viaLoad = configErrorOf(() => loadDeployment(dir, 31337));
    expect(viaRead.message).to.equal(viaLoad.message);
    expect(viaRead.message).to.match(/^Invalid setting credit in \S+31337\.json: /);
    expect(viaRead.setting).to.equal("credit");
    expect(configErrorOf(() => readDeployment(dir, 1)).message).to.equal(
      `File ${join(dir, "1.json")} not found. Deploy to chain 1 first (npx dsx deploy), or point to the folder that holds 1.json.`,
    );
  });

  it("when a deployment is for another chain, both entries say so in the same words, naming the setting each way", function () {
    write("5.json", { ...DEPLOYMENT, chainId: 31337 });
    const fromFolder = configErrorOf(() => loadDeployment(dir, 5));
    const fromFile = configErrorOf(() => readDeployment(join(dir, "5.json"), 5));
    const words = `Deployment file ${join(dir, "5.json")} is for chain 31337, not 5. Use the file for chain 5 or connect to chain 31337.`;
    expect(fromFolder.message).to.equal(words);
    expect(fromFile.message).to.equal(words);
    expect(fromFolder.setting).to.equal(`${join(dir, "5.json")}: chainId`);
    expect(fromFile.setting).to.equal("chainId");
  });

  it("when a named file is not a deployment, it says which file and where, with one fix", function () {
    write("list.json", [1, 2]);
    expect(configErrorOf(() => readDeployment(join(dir, "list.json"), undefined)).message).to.equal(
      `Deployment file ${join(dir, "list.json")} is invalid at (root): Invalid input: expected object, received array. Point to the file written by dsx deploy.`,
    );
    write("empty.json", "");
    const empty = configErrorOf(() => readDeployment(join(dir, "empty.json"), undefined));
    expect(empty.message).to.equal(`Deployment file ${join(dir, "empty.json")} is not valid JSON. Point to the file written by dsx deploy.`);
    expect(empty.setting).to.equal("deployment");
  });

  it("when the path does not exist, the CLI's entry says to deploy or pass --deployment; the services' names the file it wanted", function () {
    const missing = join(dir, "nowhere");
    expect(configErrorOf(() => readDeployment(missing, 31337)).message).to.equal(
      `Deployment ${missing} not found. Deploy first (npx dsx deploy), or pass --deployment <file or folder> (env DSX_DEPLOYMENT).`,
    );
    expect(configErrorOf(() => loadDeployment(missing, 31337)).message).to.match(/^File \S+nowhere\/31337\.json not found\. Deploy to chain 31337 first/);
  });
});
