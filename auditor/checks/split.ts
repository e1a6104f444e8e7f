// payment.split — the waterfall of PROTOCOL §8 for each applied amount A: P = Σ (receivable_i − paidToPartner_i),
// toPartners = P == 0 ? 0 : min(A × partnerFirstBps, P), partner i = toPartners × owed_i / P, program = A − Σ
// (dust included); PaymentApplied's toPartners/toProgram and every Distributed event must match.
import type { Address } from "viem";
import type { Findings, Location } from "../findings";
import type { AgreementModel } from "../replay/model";
import { CHECKS } from "./catalog";

const ID = CHECKS.split.id;

interface Part {
  beneficiary: Address | "program";
  amount: bigint;
}

const key = (b: Address | "program"): string => (b === "program" ? "program" : b.toLowerCase());

export const checkSplit = Object.assign(
  function checkSplit(
    f: Findings,
    a: AgreementModel,
    c: { expected: { toPartners: bigint; toProgram: bigint; parts: Part[] }; found: { toPartners: bigint; toProgram: bigint; parts: Part[] } },
    at: Location,
  ): void {
    const name = `payment[${a.payments.length}]`;
    f.equal(ID, a.id, `${name}.toPartners`, c.expected.toPartners, c.found.toPartners, at);
    f.equal(ID, a.id, `${name}.toProgram`, c.expected.toProgram, c.found.toProgram, at);
    const expected = new Map<string, Part>();
    for (const p of c.expected.parts) expected.set(key(p.beneficiary), p);
    const found = new Map<string, bigint>();
    for (const p of c.found.parts) found.set(key(p.beneficiary), (found.get(key(p.beneficiary)) ?? 0n) + p.amount);
    for (const k of new Set([...expected.keys(), ...found.keys()])) {
      const who = expected.get(k)?.beneficiary ?? c.found.parts.find((p) => key(p.beneficiary) === k)!.beneficiary;
      f.equal(ID, a.id, `${name}.distribution[${who}]`, expected.get(k)?.amount ?? 0n, found.get(k) ?? 0n, at);
    }
  },
  {
    /** A Distributed event not followed by its PaymentApplied. */
    orphan(f: Findings, agreementId: bigint, beneficiary: Address, amount: bigint, at: Location): void {
      f.holds(ID, agreementId, `distribution[${beneficiary}]`, false, "a distribution of a payment", `${amount} without PaymentApplied`, at);
    },
  },
);
