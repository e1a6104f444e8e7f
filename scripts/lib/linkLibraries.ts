// The one bytecode linker (the demo's deployment and the tests' artifact deployments): a Hardhat artifact's library
// placeholders (`__$<hash>$__`) replaced by the deployed libraries' addresses with solc-js's linker, the Solidity
// compiler's own npm package.
import linker from "solc/linker";
import type { Address, Hex } from "viem";
import { DsxError } from "../../sdk/errors";

/** Library references as Hardhat artifacts (and solc's standard JSON) give them: source → library → positions. */
export type LinkReferences = Record<string, Record<string, readonly { start: number; length: number }[]>>;

/** The part of a Hardhat artifact that linking reads. */
export interface LinkableArtifact {
  contractName?: string;
  bytecode: Hex;
  linkReferences: LinkReferences;
}

/**
 * The artifact's bytecode with every library it links replaced by the address in `addresses` (by library name, e.g.
 * `AgreementLogic`; a doctored build may stand at the real one's name).
 * @throws DsxError when a library it links has no address, or a placeholder is left.
 * @example const bytecode = linkLibraries(ledgerArtifact, { AgreementLogic: "0x5FbD…", PartnerLogic: "0xe7f1…" });
 */
export function linkLibraries(artifact: LinkableArtifact, addresses: Readonly<Record<string, Address>>): Hex {
  const name = artifact.contractName ?? "The contract";
  const libraries: Record<string, Record<string, string>> = {};
  for (const [source, libs] of Object.entries(artifact.linkReferences)) {
    for (const lib of Object.keys(libs)) {
      const address = addresses[lib];
      if (!address) throw new DsxError(`${name} links library ${lib}, which was not deployed.`, { fix: "Recompile the contracts (npx hardhat compile)." });
      (libraries[source] ??= {})[lib] = address.toLowerCase();
    }
  }
  const linked = linker.linkBytecode(artifact.bytecode, libraries);
  const left = Object.keys(linker.findLinkReferences(linked));
  if (left.length > 0) throw new DsxError(`${name} still holds library placeholders ${left.join(", ")} after linking.`, { fix: "Recompile the contracts (npx hardhat compile)." });
  return linked as Hex;
}
