// evidence.bundle — every recorded batch has an evidence bundle, and the bundle describes that batch: its id is
// keccak256(abi.encode(partner, sequence, periodStart, periodEnd, recordsRoot)) of its own batch, it names the
// chain and ledger, its lines are the lines the chain saw (accepted ones with the same gpuSeconds), and its
// signatures are ≥ threshold distinct signers of the partner's set at submission.
import type { Findings, Location } from "../findings";
import { CHECKS } from "./catalog";

const ID = CHECKS.evidenceBundle.id;

export const checkEvidenceBundle = {
  readable(f: Findings, file: string, error: string | undefined): void {
    f.holds(ID, null, `bundle ${file}`, error === undefined, "a readable evidence bundle", error ?? "", undefined);
  },
  field(f: Findings, agreementId: bigint | null, figure: string, expected: string | bigint, found: string | bigint, at?: Location): void {
    f.equal(ID, agreementId, figure, expected, found, at);
  },
  rule(f: Findings, agreementId: bigint | null, figure: string, ok: boolean, expected: string, found: string, at?: Location): void {
    f.holds(ID, agreementId, figure, ok, expected, found, at);
  },
};
