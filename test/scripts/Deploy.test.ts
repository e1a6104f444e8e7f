import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ethers } from "hardhat";
import { main as deploy } from "../../scripts/deploy";
import { loadDeployment } from "../../sdk/deployment";

describe("scripts/deploy.ts", function () {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it("when run on a local chain, it deploys the mock, the ledger and its credit, grants the roles and writes the deployment file", async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dsx-deploy-"));
    const [, program, auditor] = await ethers.getSigners();
    process.env.DSX_DEPLOYMENTS_DIR = dir;
    process.env.PROGRAM = program.address;
    process.env.AUDITOR = auditor.address;
    const deployment = await deploy();

    expect(loadDeployment(dir, 31337)).to.deep.equal(deployment);
    const ledger = await ethers.getContractAt("RevenueShareLedger", deployment.ledger);
    expect(await ledger.credit()).to.equal(deployment.credit);
    expect(await ledger.settlementToken()).to.equal(deployment.settlementToken);
    expect(await ledger.treasury()).to.equal(deployment.treasury);
    expect(await ledger.hasRole(await ledger.PROGRAM_ROLE(), program.address)).to.equal(true);
    expect(await ledger.hasRole(await ledger.AUDITOR_ROLE(), auditor.address)).to.equal(true);
    const usdc = await ethers.getContractAt("MockUSDC", deployment.settlementToken);
    expect(await usdc.decimals()).to.equal(6n);
    expect(deployment.deploymentBlock).to.be.at.most(await ethers.provider.getBlockNumber());
  });

  it("when a role address is not an address, it refuses with the variable's name", async function () {
    process.env.DEPLOYMENTS_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "dsx-deploy-"));
    process.env.PROGRAM = "not-an-address";
    const failure = await deploy().then(() => undefined, (err: unknown) => err);
    expect(String(failure)).to.match(/PROGRAM=not-an-address is not an address/);
  });
});
