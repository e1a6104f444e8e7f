// `dsx startup …` (the startup's wallet), `dsx auditor …` (AUDITOR_ROLE), `dsx claim`, `dsx claim-program` (anyone).
import { Command } from "commander";
import { revenueShareLedgerAbi } from "../../sdk/abis";
import { ValidationError } from "../../sdk/errors";
import { hasTakenEffect } from "../../sdk/ledgerRules";
import * as ops from "../../sdk";
import { changeFields, commandOf, emitTx, leaf } from "../command";
import { amount, time, type Io } from "../io";
import { parseAddress, parseAgreementId, parseAmount, parseBytes32, parseInt32, reasonInput, signingContext } from "../options";

function disputeUsageCommand(io: Io, parent: Command, who: string, example: string): void {
  leaf(parent, "dispute-usage <batchId> <agreementId>", `dispute a usage batch's lines for one agreement within the dispute window (${who})`, [example])
    .option("--reason <hash|@file|text>", "why, kept off chain as its hash")
    .calls("disputeUsage")
    .action(async (batch: string, id: string, o: { reason?: string }, ...rest: unknown[]) => {
      const cmd = commandOf(rest);
      const batchId = parseBytes32(batch, "Batch id");
      const agreementId = parseAgreementId(id);
      const r = await ops.disputeUsage(await signingContext(cmd), { batchId, agreementId, reason: reasonInput(o.reason) });
      emitTx(io, cmd, `${parent.name()} dispute-usage`, r, { batchId, agreementId, reasonHash: r.reasonHash }, `usage of batch ${batchId} disputed for agreement ${agreementId}`);
    });
}

export function startupCommand(io: Io): Command {
  const startup = new Command("startup").description("the startup's operations: accept, authorize partners, pay, dispute usage, move to a new wallet");

  leaf(startup, "accept <agreementId>", "accept a proposed agreement with the startup's wallet; mints the credit limit in DSXC", [
    "dsx startup accept 3 --keystore startup.json",
  ]).calls("acceptAgreement").action(async (id: string, ...rest: unknown[]) => {
    const cmd = commandOf(rest);
    const agreementId = parseAgreementId(id);
    const r = await ops.acceptAgreement(await signingContext(cmd), agreementId);
    emitTx(io, cmd, "startup accept", r, { agreementId, creditsMinted: amount(r.creditsMinted) }, `agreement ${agreementId} accepted: ${amount(r.creditsMinted)} DSXC minted`);
  });

  leaf(
    startup,
    "authorize <agreementId>",
    "let a partner bill the agreement up to a cumulative spend limit on at most --max-gpus GPUs at once",
    ["dsx startup authorize 3 --partner 0x90F79bf6EB2c4f870365E785982E1f101E93b906 --spend-limit 50000 --max-gpus 16 --keystore startup.json"],
    "An increase applies at once; a decrease applies AUTH_NOTICE (7 days) later.",
  )
    .requiredOption("--partner <address>", "the partner's address")
    .requiredOption("--spend-limit <credits>", "cumulative credits the partner may bill, e.g. 50000")
    .requiredOption("--max-gpus <n>", "the most GPUs reserved there at once")
    .calls("authorizePartner")
    .action(async (id: string, o: { partner: string; spendLimit: string; maxGpus: string }, ...rest: unknown[]) => {
      const cmd = commandOf(rest);
      const agreementId = parseAgreementId(id);
      const partner = parseAddress(o.partner, "--partner");
      const spendLimit = parseAmount(o.spendLimit, "--spend-limit", { allowZero: true });
      const maxGpus = parseInt32(o.maxGpus, "--max-gpus");
      const ctx = await signingContext(cmd);
      const r = await ops.authorizePartner(ctx, { agreementId, partner, spendLimit, maxGpus });
      const now = (await ctx.publicClient.getBlock({ blockNumber: r.blockNumber })).timestamp;
      // a decrease waits AUTH_NOTICE; an increase is in force at once
      const when = hasTakenEffect(r.effectiveAt, now) ? "" : ` (a decrease: in force from ${time(r.effectiveAt)})`;
      emitTx(io, cmd, "startup authorize", r, { agreementId, partner, spendLimit: amount(spendLimit), maxGpus, effectiveAt: r.effectiveAt },
        `partner ${partner} authorized on agreement ${agreementId}: ${amount(spendLimit)} DSXC, ${maxGpus} GPUs${when}`);
    });

  leaf(
    startup,
    "pay <agreementId> <amount>",
    "pay what the agreement owes in the settlement token, with an EIP-2612 permit when the token supports it",
    ["dsx startup pay 3 1250.5 --keystore startup.json", "dsx startup pay 3 all --keystore startup.json"],
    "Pays min(amount, outstanding); `all` pays the whole outstanding amount. Without permit support the ledger is\n" +
      "approved first (a second transaction). Anyone may pay for the agreement, not only its startup.",
  )
    .option("--method <auto|permit|approve>", "how the ledger may pull the tokens (default auto: permit if supported)", "auto")
    .calls("pay", "payWithPermit")
    .action(async (id: string, value: string, o: { method: string }, ...rest: unknown[]) => {
      const cmd = commandOf(rest);
      const agreementId = parseAgreementId(id);
      if (!["auto", "permit", "approve"].includes(o.method)) throw new ValidationError(`--method ${JSON.stringify(o.method)} is unknown.`, { fix: "Use auto, permit or approve." });
      const asked = value === "all" ? undefined : parseAmount(value, "Amount");
      const ctx = await signingContext(cmd);
      let payAmount = asked;
      if (payAmount === undefined) {
        const view = await ctx.publicClient.readContract({ address: ctx.deployment.ledger, abi: revenueShareLedgerAbi, functionName: "agreement", args: [agreementId] });
        // nothing outstanding: pay() refuses with NothingOwed before sending anything
        payAmount = view.outstanding === 0n ? 1n : view.outstanding;
      }
      const r = await ops.pay(ctx, { agreementId, amount: payAmount, method: o.method as "auto" | "permit" | "approve" });
      emitTx(io, cmd, "startup pay", r,
        { agreementId, applied: amount(r.applied), toPartners: amount(r.toPartners), toProgram: amount(r.toProgram), method: r.method, approvalTransactionHash: r.approval?.transactionHash },
        `paid ${amount(r.applied)} on agreement ${agreementId} (${amount(r.toPartners)} to partners, ${amount(r.toProgram)} to the program; ${r.method})`);
    });

  leaf(
    startup,
    "migrate <agreementId> <newWallet>",
    "move the agreement and its credits to a new wallet at once, with the startup wallet's own key (a multisig, a new key)",
    ["dsx startup migrate 3 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC --keystore startup.json"],
    "The new wallet must hold 0 DSXC and have no open agreement. A pending migration the program proposed ends\n" +
      "with it. Only the current startup wallet's key is accepted here (the program proposes with\n" +
      "dsx program migrate-startup).",
  ).calls("migrateStartup").action(async (id: string, wallet: string, ...rest: unknown[]) => {
    const cmd = commandOf(rest);
    const agreementId = parseAgreementId(id);
    const to = parseAddress(wallet, "New wallet");
    const r = await ops.migrateStartup(await signingContext(cmd), agreementId, to, { as: "startup" });
    emitTx(io, cmd, "startup migrate", r, { agreementId, from: r.from, to, ...changeFields(r), credits: amount(r.credits ?? 0n) },
      `agreement ${agreementId} moved from ${r.from} to ${to} with ${amount(r.credits ?? 0n)} DSXC, at once`);
  });

  disputeUsageCommand(io, startup, "the agreement's startup", 'dsx startup dispute-usage 0x3f1c…e2 3 --reason "node 17 was down on 3 Oct" --keystore startup.json');
  return startup;
}

export function auditorCommand(io: Io): Command {
  const auditor = new Command("auditor").description("the auditor's disputes (AUDITOR_ROLE); see also `dsx audit`");
  disputeUsageCommand(io, auditor, "AUDITOR_ROLE", 'dsx auditor dispute-usage 0x3f1c…e2 3 --reason @finding-12.md --keystore auditor.json');
  leaf(auditor, "dispute-revenue <agreementId> <period>", "dispute a pending revenue report within the dispute window (AUDITOR_ROLE)", [
    'dsx auditor dispute-revenue 3 0 --reason "refunds not deducted" --keystore auditor.json',
  ])
    .option("--reason <hash|@file|text>", "why, kept off chain as its hash")
    .calls("disputeRevenue")
    .action(async (id: string, period: string, o: { reason?: string }, ...rest: unknown[]) => {
      const cmd = commandOf(rest);
      const agreementId = parseAgreementId(id);
      const periodIndex = parseInt32(period, "Period");
      const r = await ops.disputeRevenue(await signingContext(cmd), { agreementId, periodIndex, reason: reasonInput(o.reason) });
      emitTx(io, cmd, "auditor dispute-revenue", r, { agreementId, periodIndex, reasonHash: r.reasonHash }, `revenue of agreement ${agreementId} period ${periodIndex} disputed`);
    });
  return auditor;
}

export function claimCommands(io: Io, root: Command): void {
  leaf(root, "claim", "send a partner's claimable settlement tokens to its payout address (anyone may trigger it)", [
    "dsx claim --keystore partner.json",
    "dsx claim --beneficiary 0x90F79bf6EB2c4f870365E785982E1f101E93b906 --keystore relayer.json",
  ])
    .option("--beneficiary <address>", "whose claim to pay out (default: the key's address)")
    .calls("claim")
    .action(async (o: { beneficiary?: string }, ...rest: unknown[]) => {
      const cmd = commandOf(rest);
      const beneficiary = o.beneficiary === undefined ? undefined : parseAddress(o.beneficiary, "--beneficiary");
      const r = await ops.claim(await signingContext(cmd), beneficiary);
      const elsewhere = r.to.toLowerCase() !== r.beneficiary.toLowerCase();
      emitTx(io, cmd, "claim", r, { beneficiary: r.beneficiary, to: r.to, amount: amount(r.amount) },
        `claimed ${amount(r.amount)} for ${r.beneficiary}${elsewhere ? `, paid to its payout address ${r.to}` : ""}`);
    });
  leaf(root, "claim-program", "send the program's claimable share to the treasury (anyone may trigger it)", ["dsx claim-program --keystore program.json"]).calls("claimProgram").action(
    async (...args: unknown[]) => {
      const cmd = commandOf(args);
      const r = await ops.claimProgram(await signingContext(cmd));
      emitTx(io, cmd, "claim-program", r, { treasury: r.treasury, amount: amount(r.amount) }, `claimed ${amount(r.amount)} for the program to treasury ${r.treasury}`);
    },
  );
}
