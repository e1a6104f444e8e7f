import { expect } from "chai";
import fc from "fast-check";
import { answerJson, RawJson } from "../../api/http/rawJson";

const SEED = process.env.PROPERTIES_SEED ? Number(process.env.PROPERTIES_SEED) : undefined;

describe("api/http/rawJson: answers holding stored JSON text", function () {
  it("writes the same JSON as JSON.stringify of the parsed items, whatever the payload", function () {
    const value = fc.jsonValue();
    fc.assert(
      fc.property(
        fc.array(fc.tuple(value, fc.boolean()), { maxLength: 8 }),
        fc.dictionary(fc.string({ maxLength: 6 }), fc.option(value, { nil: undefined }), { maxKeys: 4 }),
        (items, rest) => {
          const data = items.map(([v, raw]) => (raw ? new RawJson(JSON.stringify(v)) : v));
          const payload = { ...rest, data, meta: { chainId: 31337 } };
          const plain = { ...rest, data: items.map(([v]) => v), meta: { chainId: 31337 } };
          const text = answerJson(payload);
          expect(JSON.parse(text)).to.deep.equal(JSON.parse(JSON.stringify(plain)));
          // the members keep the payload's order (what JSON.stringify would write)
          expect(Object.keys(JSON.parse(text))).to.deep.equal(Object.keys(JSON.parse(JSON.stringify(plain))));
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });

  it("writes a stored item's text as it is, and JSON.stringify still sees its value", function () {
    const stored = '{"b":1,"a":"x"}';
    expect(answerJson({ data: [new RawJson(stored)], nextCursor: null })).to.equal(`{"data":[${stored}],"nextCursor":null}`);
    expect(JSON.stringify({ data: [new RawJson(stored)] })).to.equal('{"data":[{"b":1,"a":"x"}]}');
    // no stored item: exactly JSON.stringify
    expect(answerJson({ data: [1, "a"], meta: undefined })).to.equal('{"data":[1,"a"]}');
  });
});
