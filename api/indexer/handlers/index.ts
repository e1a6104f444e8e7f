// The registry every indexer model uses: each domain's handlers (agreements, partners, usage, revenue, payments,
// the credit token, administration) registered on one HandlerRegistry.
import { registerAdminHandlers } from "./admin";
import { registerAgreementHandlers } from "./agreements";
import { registerCreditHandlers } from "./credit";
import { registerPartnerHandlers } from "./partners";
import { registerPaymentHandlers } from "./payments";
import { HandlerRegistry } from "./registry";
import { registerRevenueHandlers } from "./revenue";
import { registerUsageHandlers } from "./usage";

/** A registry with a handler (or an ignore) for every event of the ledger's and the credit token's ABIs. */
export function ledgerHandlers(): HandlerRegistry {
  const registry = new HandlerRegistry();
  for (const register of [
    registerAgreementHandlers,
    registerPartnerHandlers,
    registerUsageHandlers,
    registerRevenueHandlers,
    registerPaymentHandlers,
    registerCreditHandlers,
    registerAdminHandlers,
  ]) {
    register(registry);
  }
  return registry;
}
