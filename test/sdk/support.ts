// Shared by the sdk's tests: a deployment file's contents and the DsxError a promise rejects with.
import { expect } from "chai";
import { DsxError } from "../../sdk/errors";

/** A valid `deployments/31337.json` (the addresses `hardhat node` gives the first deployment). */
export const SAMPLE_DEPLOYMENT = {
  chainId: 31337,
  ledger: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  credit: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
  settlementToken: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
  treasury: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
  deploymentBlock: 1,
};

/** The DsxError `promise` rejects with (fails the test when it resolves or rejects with anything else). */
export async function rejectionOf(promise: Promise<unknown>): Promise<DsxError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(DsxError);
    return err as DsxError;
  }
  return expect.fail("the promise resolved");
}
