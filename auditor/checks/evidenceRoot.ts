// evidence.root — the OpenZeppelin StandardMerkleTree rebuilt from the bundle's record leaves (SERVICES §2 leaf
// encoding) has the root the batch committed to on chain (UsageBatchRecorded.recordsRoot).
import type { Hex } from "viem";
import type { Findings, Location } from "../findings";
import { CHECKS } from "./catalog";

const ID = CHECKS.evidenceRoot.id;

export function checkEvidenceRoot(f: Findings, batchId: Hex, onChainRoot: Hex, rebuiltRoot: Hex | undefined, at: Location): void {
  f.equal(ID, null, `batch(${batchId}).recordsRoot rebuilt from its records`, onChainRoot, rebuiltRoot ?? "no tree (no records)", at);
}
