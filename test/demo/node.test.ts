// demo/node.ts: the demo starts its own node only on the loopback address (through scripts/lib/hardhatNode.ts).
import { expect } from "chai";
import { startNode } from "../../demo/node";
import { DsxError } from "../../sdk/errors";

describe("demo/node.ts: startNode", function () {
  it("when the RPC URL is not a loopback address, it refuses without starting anything", async function () {
    const lines: string[] = [];
    const failure = await startNode("http://10.1.2.3:8545", (l) => lines.push(l)).then(() => undefined, (err: unknown) => err);
    expect(failure).to.be.instanceOf(DsxError);
    expect((failure as DsxError).message).to.include("the demo starts its own node only on 127.0.0.1");
    expect(lines).to.deep.equal([]);
  });
});
