import { expect } from "chai";
import fc from "fast-check";
import { AGREEMENT_STATUS, REVENUE_STATE } from "../../sdk/abis";
import { LedgerState, type Agreement, type Position } from "../../api/indexer/state";
import { RunningTotals } from "../../api/indexer/totals";

// Random changes to the replay state's rows, counted in random groups (chunks): after each count the running totals
// must equal the sums over every row, and counting everything again from zero (a rebuild) must give the same.
const SEED = process.env.PROPERTIES_SEED ? Number(process.env.PROPERTIES_SEED) : undefined;

const amount = fc.bigInt({ min: 0n, max: 10n ** 24n });
const change = fc.oneof(
  fc.record({ kind: fc.constant("agreement" as const), id: fc.integer({ min: 1, max: 6 }), status: fc.constantFrom(...AGREEMENT_STATUS), minted: amount, consumed: amount, obligation: amount, paid: amount }),
  fc.record({ kind: fc.constant("period" as const), id: fc.integer({ min: 1, max: 6 }), index: fc.integer({ min: 0, max: 3 }), state: fc.constantFrom(...REVENUE_STATE), revenue: amount }),
  fc.record({ kind: fc.constant("position" as const), id: fc.integer({ min: 1, max: 6 }), partner: fc.constantFrom("0xa", "0xb", "0xc"), spent: amount, receivable: amount, paid: amount }),
  fc.record({ kind: fc.constant("count" as const) }),
  fc.record({ kind: fc.constant("rebuild" as const) }),
);

function agreementOf(state: LedgerState, id: number): Agreement {
  let a = state.agreements.get(BigInt(id));
  if (!a) {
    a = { id: BigInt(id), status: "Proposed", creditsMinted: 0n, consumed: 0n, obligation: 0n, paid: 0n, partners: [] } as unknown as Agreement;
    state.agreements.set(BigInt(id), a);
  }
  state.dirty.agreements.add(BigInt(id));
  return a;
}

function expectedTotals(state: LedgerState) {
  const agreements = [...state.agreements.values()];
  const sum = (xs: bigint[]) => xs.reduce((x, y) => x + y, 0n);
  const periods = [...state.periods.values()];
  const partners = new Map<string, { positions: number; spent: bigint; receivable: bigint; paid: bigint }>();
  for (const p of state.positions.values()) {
    const t = partners.get(p.partner) ?? { positions: 0, spent: 0n, receivable: 0n, paid: 0n };
    partners.set(p.partner, { positions: t.positions + 1, spent: t.spent + p.spent, receivable: t.receivable + p.receivable, paid: t.paid + p.paidToPartner });
  }
  return {
    program: {
      byStatus: Object.fromEntries(AGREEMENT_STATUS.map((s) => [s, agreements.filter((a) => a.status === s).length])),
      creditsMinted: sum(agreements.map((a) => a.creditsMinted)),
      consumed: sum(agreements.map((a) => a.consumed)),
      creditsOutstanding: sum(agreements.filter((a) => a.status === "Active" || a.status === "Terminated").map((a) => a.creditsMinted - a.consumed)),
      obligation: sum(agreements.map((a) => a.obligation)),
      paid: sum(agreements.map((a) => a.paid)),
      revenueReported: sum(periods.filter((p) => ["Pending", "Disputed", "Cleared", "Finalized"].includes(p.state)).map((p) => p.revenue)),
      revenueFinalized: sum(periods.filter((p) => p.state === "Finalized").map((p) => p.revenue)),
    },
    partners: Object.fromEntries([...partners].sort()),
  };
}

const clearDirty = (state: LedgerState) => Object.values(state.dirty).forEach((set) => set.clear());

describe("api/indexer/totals: running totals under random changes and chunkings", function () {
  it(`equal the sums over the rows after every count and after a rebuild (seed ${SEED ?? "random"})`, function () {
    fc.assert(
      fc.property(fc.array(change, { minLength: 1, maxLength: 60 }), (changes) => {
        const state = new LedgerState();
        const totals = new RunningTotals();
        const check = () => {
          const want = expectedTotals(state);
          expect(totals.program).to.deep.equal(want.program);
          const kept = Object.fromEntries([...totals.partners].filter(([, t]) => t.positions > 0).sort());
          expect(kept).to.deep.equal(want.partners);
        };
        for (const c of [...changes, { kind: "count" as const }]) {
          if (c.kind === "agreement") Object.assign(agreementOf(state, c.id), { status: c.status, creditsMinted: c.minted, consumed: c.consumed, obligation: c.obligation, paid: c.paid });
          else if (c.kind === "period") {
            agreementOf(state, c.id);
            const key = `${c.id}|${c.index}`;
            state.periods.set(key, { ...(state.periods.get(key) ?? { agreementId: BigInt(c.id), index: c.index }), state: c.state, revenue: c.revenue } as never);
            state.dirty.periods.add(key);
          } else if (c.kind === "position") {
            const a = agreementOf(state, c.id);
            const p: Position = state.position(a, c.partner, true);
            Object.assign(p, { spent: c.spent, receivable: c.receivable, paidToPartner: c.paid });
          } else if (c.kind === "count") {
            totals.count(state);
            clearDirty(state);
            check();
          } else {
            // a rebuild: forget, mark every row changed, count once
            totals.count(state);
            clearDirty(state);
            totals.reset();
            for (const id of state.agreements.keys()) state.dirty.agreements.add(id);
            for (const k of state.periods.keys()) state.dirty.periods.add(k);
            for (const k of state.positions.keys()) state.dirty.positions.add(k);
            totals.count(state);
            clearDirty(state);
            check();
          }
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});
