import { expect } from "chai";
import type { Hex } from "viem";
import type { DecodedLog } from "../../api/indexer/events";
import { ledgerHandlers } from "../../api/indexer/handlers";
import { HandlerRegistry, UnhandledEventError, type EventKey } from "../../api/indexer/handlers/registry";
import { LedgerModel } from "../../api/indexer/model";

const TREASURY = "0x00000000000000000000000000000000000000aa";

/** A decoded ledger log at block 7, log 3 (the indexer's decoder gives the same shape). */
function ledgerLog(eventName: string, args: Record<string, unknown>): DecodedLog {
  return {
    blockNumber: 7,
    logIndex: 3,
    blockHash: `0x${"11".repeat(32)}` as Hex,
    txHash: `0x${"22".repeat(32)}` as Hex,
    timestamp: 1_800_000_000,
    source: "ledger",
    event: { eventName, args },
  } as unknown as DecodedLog;
}

const treasurySet = ledgerLog("TreasurySet", { treasury: TREASURY });

describe("api/indexer/handlers: the model's event handlers", function () {
  describe("when a log's event has no handler", function () {
    it("it throws UnhandledEventError naming the event and the log, and applies nothing", function () {
      const model = new LedgerModel(new HandlerRegistry());
      expect(() => model.apply(treasurySet)).to.throw(UnhandledEventError, /no handler for ledger:TreasurySet at block 7 log 3/);
      expect(model.takeChanges().program).to.equal(undefined);
    });

    it("it throws for a registry missing only that event, while the others apply", function () {
      const partial = new HandlerRegistry().on("ledger:Paused", ({ state }) => {
        state.program.paused = true;
        state.programDirty = true;
      });
      const model = new LedgerModel(partial);
      model.apply(ledgerLog("Paused", { account: TREASURY }));
      expect(model.takeChanges().program?.paused).to.equal(true);
      expect(() => model.apply(treasurySet)).to.throw(UnhandledEventError, /ledger:TreasurySet/);
    });
  });

  describe("the registry every model uses", function () {
    it("it handles or ignores by name every event of the ledger's and the credit token's ABIs", function () {
      expect(ledgerHandlers().unhandled()).to.deep.equal([]);
      // the check itself finds what is missing
      expect(new HandlerRegistry().ignore("credit:Approval").unhandled()).to.include.members(["ledger:TreasurySet", "credit:Transfer"]).and.not.include("credit:Approval");
    });

    it("it applies a handled event to the rows and an ignored one (a role grant) to none", function () {
      const model = new LedgerModel();
      model.apply(ledgerLog("RoleGranted", { role: `0x${"00".repeat(32)}`, account: TREASURY, sender: TREASURY }));
      const none = model.takeChanges();
      expect(none.program).to.equal(undefined);
      expect(Object.values(none).filter((rows) => Array.isArray(rows) && rows.length > 0)).to.deep.equal([]);
      model.apply(treasurySet);
      expect(model.takeChanges().program?.treasury).to.equal(TREASURY);
    });
  });

  describe("when a handler is registered", function () {
    it("it refuses a second handler for the same event and a name its ABI does not have", function () {
      const registry = new HandlerRegistry().ignore("ledger:RoleGranted");
      expect(() => registry.ignore("ledger:RoleGranted")).to.throw(/ledger:RoleGranted already has a handler/);
      expect(() => registry.on("ledger:NoSuchEvent" as EventKey, () => undefined)).to.throw(/ledger ABI has no such event/);
      expect(() => registry.on("credit:TreasurySet" as EventKey, () => undefined)).to.throw(/credit ABI has no such event/);
    });
  });
});
