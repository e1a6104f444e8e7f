// The ViewAggregator (contracts/auditor/ViewAggregator.sol): many view calls in one eth_call. It is never deployed:
// the audit places its runtime code, compiled from that source with the project's other contracts
// (`npx hardhat compile`, run by `npm ci`), at an unused address with an eth_call state override (supported by Geth,
// Erigon, Nethermind, Reth, Anvil and Hardhat). It has Multicall3's `aggregate3` interface, so viem's `multicall`
// drives it (`multicallAddress` and `stateOverride`).
import fs from "node:fs";
import path from "node:path";
import { isHex, type Abi, type Address, type Hex } from "viem";
import { DsxError } from "../../sdk/errors";

/** Where the code is placed for the call (an address with no code on any chain: keccak256("dsx.auditor.views")[12:]). */
export const VIEW_AGGREGATOR_ADDRESS: Address = "0xd160133544dce30e426e79bf72a096ccf2a5f2a7";

const ARTIFACT = path.join(__dirname, "..", "..", "artifacts", "contracts", "auditor", "ViewAggregator.sol", "ViewAggregator.json");

let compiled: { abi: Abi; code: Hex } | undefined;

/**
 * The compiled ViewAggregator: its ABI and runtime code, from the Hardhat artifact.
 * @throws DsxError when the contracts have not been compiled.
 */
export function viewAggregator(): { abi: Abi; code: Hex } {
  if (compiled) return compiled;
  let artifact: { abi?: Abi; deployedBytecode?: string };
  try {
    artifact = JSON.parse(fs.readFileSync(ARTIFACT, "utf8")) as typeof artifact;
  } catch {
    throw new DsxError(`The auditor's view aggregator is not compiled (${path.relative(process.cwd(), ARTIFACT)} is missing).`, {
      fix: "Run `npx hardhat compile` (or `npm ci`, which compiles), or audit with one call per view (multicall: false).",
    });
  }
  const code = artifact.deployedBytecode;
  if (!artifact.abi || !code || !isHex(code) || code.length <= 2) throw new DsxError(`${ARTIFACT} has no runtime code.`, { fix: "Run `npx hardhat compile --force`." });
  compiled = { abi: artifact.abi, code };
  return compiled;
}
