// The credit token (DSXC): its transfers — mints at acceptance and on refunds, burns by usage and at expiry — move
// the accounts' credit balances.
import { zeroAddress } from "viem";
import type { HandlerRegistry } from "./registry";

/** Registers the credit token's Transfer handler. */
export function registerCreditHandlers(registry: HandlerRegistry): void {
  registry.on("credit:Transfer", ({ event: e, state }) => {
    const { from, to, value } = e.args;
    if (from !== zeroAddress) state.addCredit(from, -value);
    if (to !== zeroAddress) state.addCredit(to, value);
  });
}
