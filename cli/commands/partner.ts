// `dsx partner …`: what a cloud partner does with its own key (the partner address), in force at once
// (PROTOCOL v1.1 §5): rotate its oracle signers, set the address its claims are paid to.
import { Command } from "commander";
import * as ops from "../../sdk";
import { changeFields, commandOf, emitTx, leaf } from "../command";
import type { Io } from "../io";
import { parseAddress, parseAddressList, parseInt32, signingContext } from "../options";

export function partnerCommand(io: Io): Command {
  const partner = new Command("partner").description("the partner's own changes, with the partner address's key, in force at once: oracle signers, payout address");

  leaf(
    partner,
    "signers",
    "rotate the partner's own oracle signer set, in force at once (the key is the partner address's)",
    ["dsx partner signers --signers 0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65,0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc --threshold 2 --keystore partner.json"],
    "It replaces a set the program proposed that is not in force yet. Batches are checked against the set in\n" +
      "force when they are submitted: sign the next ones with the new keys.",
  )
    .requiredOption("--signers <addresses>", "the new signers, comma-separated (1..16)")
    .requiredOption("--threshold <k>", "signatures needed per batch, 1..n")
    .calls("setPartnerSigners")
    .action(async (o: { signers: string; threshold: string }, ...rest: unknown[]) => {
      const cmd = commandOf(rest);
      const signers = parseAddressList(o.signers, "--signers");
      const threshold = parseInt32(o.threshold, "--threshold", 0, 255);
      const r = await ops.setPartnerSigners(await signingContext(cmd), { signers, threshold });
      emitTx(io, cmd, "partner signers", r, { partner: r.partner, signers, threshold, ...changeFields(r) },
        `partner ${r.partner} now has ${threshold}-of-${signers.length} oracle signers, in force at once`);
    });

  leaf(
    partner,
    "payout-address <address>",
    "set where the partner's claims are paid, in force at once (the key is the partner address's)",
    ["dsx partner payout-address 0x976EA74026E726554dB657fA54763abd0C3a0aa9 --keystore partner.json"],
    "Every claim from now on (dsx claim, by anyone) sends the partner's share there. It replaces an address the\n" +
      "program proposed that is not in force yet.",
  ).calls("setPayoutAddress").action(async (payoutArg: string, ...rest: unknown[]) => {
    const cmd = commandOf(rest);
    const payout = parseAddress(payoutArg, "Payout address");
    const r = await ops.setPayoutAddress(await signingContext(cmd), { payout });
    emitTx(io, cmd, "partner payout-address", r, { partner: r.partner, payout, ...changeFields(r) },
      `partner ${r.partner} is paid at ${payout} from now on (its claims go there)`);
  });

  return partner;
}
