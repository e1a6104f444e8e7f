// `dsx program …`: the program's operations (PROGRAM_ROLE; treasury: DEFAULT_ADMIN_ROLE; pause: PAUSER_ROLE).
import { Command } from "commander";
import { revenueShareLedgerAbi } from "../../sdk/abis";
import { ValidationError } from "../../sdk/errors";
import { skuToBytes32 } from "../../sdk/eip712";
import { earliestRateStart, RATE_HOUR } from "../../sdk/ledgerRules";
import * as ops from "../../sdk";
import { changeFields, changeText, commandOf, emitTx, leaf, withSafeJson } from "../command";
import { amount, time, type Io } from "../io";
import {
  parseAddress,
  parseAddressList,
  parseAgreementId,
  parseAmount,
  parseBool,
  parseBytes32,
  parseDuration,
  parseInt32,
  parseTime,
  reasonInput,
  signingContext,
} from "../options";

interface CreateOptions {
  startup: string;
  creditLimit: string;
  revenueShareBps: string;
  capMultipleBps: string;
  partnerFirstBps: string;
  start: string;
  periods?: string;
  end?: string;
  periodDuration: string;
  gracePeriod: string;
  termsHash?: string;
}

/** The earliest effective time a rate can be scheduled for now: this hour for a first rate, else after RATE_NOTICE. */
async function earliestRateTime(ctx: ops.LedgerContext, partner: `0x${string}`, sku: string): Promise<bigint> {
  const { publicClient, deployment } = ctx;
  const [schedule, notice, block] = await Promise.all([
    publicClient.readContract({ address: deployment.ledger, abi: revenueShareLedgerAbi, functionName: "rateSchedule", args: [partner, skuToBytes32(sku)] }),
    publicClient.readContract({ address: deployment.ledger, abi: revenueShareLedgerAbi, functionName: "RATE_NOTICE" }),
    publicClient.getBlock({ blockTag: "latest" }),
  ]);
  if (schedule.length === 0) return earliestRateStart(false, block.timestamp, notice);
  // a minute of margin for the block that will carry the transaction, then the next whole hour
  const earliest = earliestRateStart(true, block.timestamp + 60n, notice);
  return ((earliest + RATE_HOUR - 1n) / RATE_HOUR) * RATE_HOUR;
}

/** `dsx program …`; with --safe-json, each subcommand writes its call to a Safe batch file instead of sending it. */
export function programCommand(io: Io): Command {
  const program = new Command("program").description(
    "the program's operations: agreements, partners, rates, disputes, treasury, pause; migrations, signer sets and payout addresses are proposals",
  );

  leaf(
    program,
    "agreement-create",
    "propose an agreement to a startup (PROGRAM_ROLE); prints the new agreement id",
    [
      "dsx program agreement-create --startup 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --credit-limit 100000 \\\n" +
        "      --revenue-share-bps 800 --cap-multiple-bps 15000 --partner-first-bps 6000 \\\n" +
        "      --start 2026-10-01 --periods 12 --period-duration 30d --grace-period 15d --terms-hash @terms.pdf --keystore program.json",
    ],
    "Times are unix seconds or ISO 8601 (a bare date is midnight UTC); durations are seconds or 30d, 12h, …;\n" +
      "--terms-hash takes a 32-byte hex hash, @file (its keccak256) or text (hashed).",
  )
    .requiredOption("--startup <address>", "the startup's wallet (must accept, holds 0 DSXC)")
    .requiredOption("--credit-limit <amount>", "credits minted on acceptance, e.g. 100000")
    .requiredOption("--revenue-share-bps <bps>", "share of each period's revenue, 1..10000")
    .requiredOption("--cap-multiple-bps <bps>", "cap = consumed x this / 10000, >= 10000")
    .requiredOption("--partner-first-bps <bps>", "share of each payment routed to partners while owed, 0..10000")
    .requiredOption("--start <time>", "term start (period 0 starts here)")
    .option("--periods <n>", "number of revenue periods, 1..120 (or --end)")
    .option("--end <time>", "term end: start + n x period duration (or --periods)")
    .requiredOption("--period-duration <duration>", "revenue period length, >= 1d")
    .requiredOption("--grace-period <duration>", "how long a finalized amount may stay unpaid before it is late")
    .option("--terms-hash <hash|@file|text>", "hash of the off-chain legal terms")
    .calls("createAgreement")
    .action(async (...args: unknown[]) => {
      const cmd = commandOf(args);
      const o = cmd.opts<CreateOptions>();
      if ((o.periods === undefined) === (o.end === undefined)) {
        throw new ValidationError("Give exactly one of --periods and --end.", { fix: "E.g. --periods 12." });
      }
      const terms: ops.AgreementTermsInput = {
        startup: parseAddress(o.startup, "--startup"),
        creditLimit: parseAmount(o.creditLimit, "--credit-limit"),
        revenueShareBps: parseInt32(o.revenueShareBps, "--revenue-share-bps", 0, 65_535),
        capMultipleBps: parseInt32(o.capMultipleBps, "--cap-multiple-bps"),
        partnerFirstBps: parseInt32(o.partnerFirstBps, "--partner-first-bps", 0, 65_535),
        startTime: parseTime(o.start, "--start"),
        endTime: o.end === undefined ? undefined : parseTime(o.end, "--end"),
        periods: o.periods === undefined ? undefined : parseInt32(o.periods, "--periods", 1, 120),
        periodDuration: parseDuration(o.periodDuration, "--period-duration"),
        gracePeriod: parseDuration(o.gracePeriod, "--grace-period"),
        termsHash: reasonInput(o.termsHash),
      };
      const ctx = await signingContext(cmd);
      const r = await ops.createAgreement(ctx, terms);
      emitTx(io, cmd, "program agreement-create", r, { agreementId: r.agreementId, startup: terms.startup, creditLimit: amount(terms.creditLimit as bigint) },
        `agreement ${r.agreementId} proposed to ${terms.startup}: ${amount(terms.creditLimit as bigint)} DSXC, from ${time(terms.startTime)}`);
    });

  leaf(program, "agreement-cancel <agreementId>", "cancel a Proposed agreement (PROGRAM_ROLE)", ["dsx program agreement-cancel 3 --keystore program.json"])
    .calls("cancelAgreement")
    .action(async (id: string, ...rest: unknown[]) => {
      const cmd = commandOf(rest);
      const agreementId = parseAgreementId(id);
      const r = await ops.cancelAgreement(await signingContext(cmd), agreementId);
      emitTx(io, cmd, "program agreement-cancel", r, { agreementId }, `agreement ${agreementId} cancelled`);
    });

  leaf(program, "terminate <agreementId>", "terminate an Active agreement for breach (PROGRAM_ROLE)", [
    'dsx program terminate 3 --reason "no payment for 90 days" --keystore program.json',
  ])
    .option("--reason <hash|@file|text>", "the reason, kept off chain as its hash")
    .calls("terminateAgreement")
    .action(async (id: string, o: { reason?: string }, ...rest: unknown[]) => {
      const cmd = commandOf(rest);
      const agreementId = parseAgreementId(id);
      const r = await ops.terminateAgreement(await signingContext(cmd), agreementId, reasonInput(o.reason));
      emitTx(io, cmd, "program terminate", r, { agreementId, terminatedAt: r.terminatedAt, reasonHash: r.reasonHash }, `agreement ${agreementId} terminated at ${time(r.terminatedAt)}`);
    });

  leaf(
    program,
    "migrate-startup <agreementId> <newWallet>",
    "PROPOSE moving an agreement and its credits to a new startup wallet (PROGRAM_ROLE); it takes effect MIGRATION_NOTICE later",
    ["dsx program migrate-startup 3 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC --keystore program.json"],
    "The migration is pending until its effectiveAt (now + MIGRATION_NOTICE, 7 days by default); until then the\n" +
      "startup wallet or the program can cancel it (dsx migration cancel), from then on anyone carries it out\n" +
      "(dsx migration execute). A startup moves its own agreement at once with dsx startup migrate.",
  ).calls("migrateStartup").action(async (id: string, wallet: string, ...rest: unknown[]) => {
    const cmd = commandOf(rest);
    const agreementId = parseAgreementId(id);
    const to = parseAddress(wallet, "New wallet");
    const r = await ops.migrateStartup(await signingContext(cmd), agreementId, to, { as: "program" });
    emitTx(io, cmd, "program migrate-startup", r, { agreementId, from: r.from, to, ...changeFields(r), credits: r.credits === undefined ? undefined : amount(r.credits) },
      r.mode === "immediate"
        ? `agreement ${agreementId} moved from ${r.from} to ${to} with ${amount(r.credits ?? 0n)} DSXC at once (the key is the startup wallet's)`
        : `migration of agreement ${agreementId} from ${r.from} to ${to} ${changeText(r, "", "takes effect at")}; then anyone runs \`dsx migration execute ${agreementId}\`, and until then it can be cancelled (dsx migration cancel ${agreementId})`);
  });

  leaf(program, "partner-register", "register a cloud partner with its k-of-n oracle signers and payout share (PROGRAM_ROLE)", [
    "dsx program partner-register --partner 0x90F79bf6EB2c4f870365E785982E1f101E93b906 \\\n" +
      "      --signers 0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65,0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc --threshold 2 --payout-bps 7000 --keystore program.json",
  ])
    .requiredOption("--partner <address>", "the partner's address")
    .requiredOption("--signers <addresses>", "its oracle signers, comma-separated (1..16)")
    .requiredOption("--threshold <k>", "signatures needed per batch, 1..n")
    .requiredOption("--payout-bps <bps>", "share of consumed list value the partner is owed, 0..10000")
    .calls("registerPartner")
    .action(async (o: { partner: string; signers: string; threshold: string; payoutBps: string }, ...rest: unknown[]) => {
      const cmd = commandOf(rest);
      const partner = parseAddress(o.partner, "--partner");
      const signers = parseAddressList(o.signers, "--signers");
      const threshold = parseInt32(o.threshold, "--threshold", 0, 255);
      const payoutBps = parseInt32(o.payoutBps, "--payout-bps", 0, 65_535);
      const r = await ops.registerPartner(await signingContext(cmd), { partner, signers, threshold, payoutBps });
      emitTx(io, cmd, "program partner-register", r, { partner, signers, threshold, payoutBps },
        `partner ${partner} registered: ${threshold}-of-${signers.length} signers, payout ${payoutBps} bps`);
    });

  leaf(
    program,
    "partner-signers",
    "PROPOSE a new oracle signer set for a partner (PROGRAM_ROLE, e.g. a partner that lost its keys); it is in force SIGNER_NOTICE later",
    ["dsx program partner-signers --partner 0x90F79bf6EB2c4f870365E785982E1f101E93b906 --signers 0x15d3…,0x9965… --threshold 1 --keystore program.json"],
    "The proposed set is in force from its effectiveAt (now + SIGNER_NOTICE, 2 days by default) with no further\n" +
      "transaction; batches are checked against the set in force when they are submitted. A newer proposal\n" +
      "replaces it, and so does the partner's own rotation (dsx partner signers), which is in force at once.",
  )
    .requiredOption("--partner <address>", "the partner's address")
    .requiredOption("--signers <addresses>", "the new signers, comma-separated (1..16)")
    .requiredOption("--threshold <k>", "signatures needed per batch, 1..n")
    .calls("setPartnerSigners")
    .action(async (o: { partner: string; signers: string; threshold: string }, ...rest: unknown[]) => {
      const cmd = commandOf(rest);
      const partner = parseAddress(o.partner, "--partner");
      const signers = parseAddressList(o.signers, "--signers");
      const threshold = parseInt32(o.threshold, "--threshold", 0, 255);
      const r = await ops.setPartnerSigners(await signingContext(cmd), { partner, signers, threshold });
      emitTx(io, cmd, "program partner-signers", r, { partner, signers, threshold, ...changeFields(r) },
        `signer set ${threshold}-of-${signers.length} for partner ${partner} ${changeText(r, "in force at once (the key is the partner's own)")}` +
          (r.mode === "proposed" ? ", with no further transaction; the partner can replace it at once with dsx partner signers" : ""));
    });

  leaf(
    program,
    "payout-address <partner> <address>",
    "PROPOSE a new payout address for a partner's claims (PROGRAM_ROLE, e.g. lost key, a blacklisted address); in force PAYOUT_NOTICE later",
    ["dsx program payout-address 0x90F79bf6EB2c4f870365E785982E1f101E93b906 0x976EA74026E726554dB657fA54763abd0C3a0aa9 --keystore program.json"],
    "The proposed address receives the partner's claims from its effectiveAt (now + PAYOUT_NOTICE, 7 days by\n" +
      "default) with no further transaction. The partner's own choice (dsx partner payout-address) is in force at\n" +
      "once and replaces it.",
  ).calls("setPayoutAddress").action(async (who: string, payoutArg: string, ...rest: unknown[]) => {
    const cmd = commandOf(rest);
    const partner = parseAddress(who, "Partner");
    const payout = parseAddress(payoutArg, "Payout address");
    const r = await ops.setPayoutAddress(await signingContext(cmd), { partner, payout });
    emitTx(io, cmd, "program payout-address", r, { partner, payout, ...changeFields(r) },
      `payout address ${payout} for partner ${partner} ${changeText(r, "in force at once (the key is the partner's own)")}` +
        (r.mode === "proposed" ? ": its claims are paid there from then on; the partner can replace it at once with dsx partner payout-address" : ""));
  });

  leaf(program, "partner-active", "activate or deactivate a partner: an inactive partner's usage is refused (PROGRAM_ROLE)", [
    "dsx program partner-active --partner 0x90F79bf6EB2c4f870365E785982E1f101E93b906 --active false --keystore program.json",
  ])
    .requiredOption("--partner <address>", "the partner's address")
    .requiredOption("--active <true|false>", "true to activate, false to deactivate")
    .calls("setPartnerActive")
    .action(async (o: { partner: string; active: string }, ...rest: unknown[]) => {
      const cmd = commandOf(rest);
      const partner = parseAddress(o.partner, "--partner");
      const active = parseBool(o.active, "--active");
      const r = await ops.setPartnerActive(await signingContext(cmd), partner, active);
      emitTx(io, cmd, "program partner-active", r, { partner, active }, `partner ${partner} ${active ? "activated" : "deactivated"}`);
    });

  leaf(
    program,
    "rate-schedule",
    "schedule a partner's rate for a sku, in credits per GPU-hour (PROGRAM_ROLE)",
    ["dsx program rate-schedule --partner 0x90F79bf6EB2c4f870365E785982E1f101E93b906 --sku h100-sxm --rate 2.5 --keystore program.json"],
    "--effective-from defaults to the earliest allowed whole hour: the current hour for a sku's first rate,\n" +
      "else the first whole hour after RATE_NOTICE (7 days).",
  )
    .requiredOption("--partner <address>", "the partner's address")
    .requiredOption("--sku <name>", 'lower-case sku name, e.g. "h100-sxm"')
    .requiredOption("--rate <credits>", "credits per GPU-hour, e.g. 2.5")
    .option("--effective-from <time>", "a whole hour (unix seconds or ISO 8601)")
    .calls("scheduleRate")
    .action(async (o: { partner: string; sku: string; rate: string; effectiveFrom?: string }, ...rest: unknown[]) => {
      const cmd = commandOf(rest);
      const partner = parseAddress(o.partner, "--partner");
      const rate = parseAmount(o.rate, "--rate");
      skuToBytes32(o.sku);
      const ctx = await signingContext(cmd);
      const effectiveFrom = o.effectiveFrom === undefined ? await earliestRateTime(ctx, partner, o.sku) : parseTime(o.effectiveFrom, "--effective-from");
      const r = await ops.scheduleRate(ctx, { partner, sku: o.sku, creditsPerGpuHour: rate, effectiveFrom });
      emitTx(io, cmd, "program rate-schedule", r, { partner, sku: o.sku, creditsPerGpuHour: amount(rate), effectiveFrom },
        `rate of ${o.sku} at ${partner}: ${amount(rate)} credits per GPU-hour from ${time(effectiveFrom)}`);
    });

  leaf(
    program,
    "revenue-signers",
    "set the program-wide revenue oracle signer set (PROGRAM_ROLE): the first at once, every later one PROPOSED for SIGNER_NOTICE",
    ["dsx program revenue-signers --signers 0x14dC79964da2C08b23698B3D3cc7Ca32193d9955,0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f --threshold 2 --keystore program.json"],
    "A later set is in force from its effectiveAt (now + SIGNER_NOTICE, 2 days by default) with no further\n" +
      "transaction; revenue reports are checked against the set in force when they are submitted.",
  )
    .requiredOption("--signers <addresses>", "the signers, comma-separated (1..16)")
    .requiredOption("--threshold <k>", "signatures needed per report, 1..n")
    .calls("setRevenueSigners")
    .action(async (o: { signers: string; threshold: string }, ...rest: unknown[]) => {
      const cmd = commandOf(rest);
      const signers = parseAddressList(o.signers, "--signers");
      const threshold = parseInt32(o.threshold, "--threshold", 0, 255);
      const r = await ops.setRevenueSigners(await signingContext(cmd), { signers, threshold });
      emitTx(io, cmd, "program revenue-signers", r, { signers, threshold, ...changeFields(r) },
        `revenue signer set ${threshold}-of-${signers.length} ${changeText(r, "in force at once (the first set)")}` + (r.mode === "proposed" ? ", with no further transaction" : ""));
    });

  leaf(
    program,
    "resolve-usage-dispute <batchId> <agreementId>",
    "settle a usage dispute: refund credits to the startup, or reject the dispute with --refund 0 (PROGRAM_ROLE)",
    ["dsx program resolve-usage-dispute 0x3f1c…e2 3 --refund 120.5 --keystore program.json"],
    "The batch's accepted lines are rebuilt from the chain's events (UsageBatchRecorded, UsageRecorded).",
  )
    .requiredOption("--refund <amount>", "credits to refund, at most those of the agreement's lines in the batch; 0 rejects")
    .calls("resolveUsageDispute")
    .action(async (batch: string, id: string, o: { refund: string }, ...rest: unknown[]) => {
      const cmd = commandOf(rest);
      const batchId = parseBytes32(batch, "Batch id");
      const agreementId = parseAgreementId(id);
      const refund = parseAmount(o.refund, "--refund", { allowZero: true });
      const r = await ops.resolveUsageDispute(await signingContext(cmd), { batchId, agreementId, refund });
      emitTx(io, cmd, "program resolve-usage-dispute", r, { batchId, agreementId, refund: amount(r.refund), receivableRemoved: amount(r.receivableRemoved) },
        refund === 0n
          ? `usage dispute of batch ${batchId} for agreement ${agreementId} rejected`
          : `usage dispute of batch ${batchId} for agreement ${agreementId} settled: ${amount(r.refund)} DSXC refunded, partner receivable -${amount(r.receivableRemoved)}`);
    });

  leaf(program, "resolve-revenue-dispute <agreementId> <period>", "settle a revenue dispute: --upheld rejects the report, --cleared lets it finalize (PROGRAM_ROLE)", [
    "dsx program resolve-revenue-dispute 3 0 --upheld --keystore program.json",
  ])
    .option("--upheld", "the dispute is right: the report is Rejected and needs a new version")
    .option("--cleared", "the report is right: it is Cleared and can be finalized at once")
    .calls("resolveRevenueDispute")
    .action(async (id: string, period: string, o: { upheld?: boolean; cleared?: boolean }, ...rest: unknown[]) => {
      const cmd = commandOf(rest);
      if (Boolean(o.upheld) === Boolean(o.cleared)) throw new ValidationError("Give exactly one of --upheld and --cleared.", { fix: "E.g. --upheld." });
      const agreementId = parseAgreementId(id);
      const periodIndex = parseInt32(period, "Period");
      const upheld = Boolean(o.upheld);
      const r = await ops.resolveRevenueDispute(await signingContext(cmd), { agreementId, periodIndex, upheld });
      emitTx(io, cmd, "program resolve-revenue-dispute", r, { agreementId, periodIndex, upheld },
        `revenue dispute of agreement ${agreementId} period ${periodIndex} ${upheld ? "upheld: report rejected" : "dismissed: report cleared"}`);
    });

  leaf(program, "treasury <address>", "set the treasury that claim-program pays (DEFAULT_ADMIN_ROLE)", [
    "dsx program treasury 0x976EA74026E726554dB657fA54763abd0C3a0aa9 --keystore admin.json",
  ]).calls("setTreasury").action(async (addr: string, ...rest: unknown[]) => {
    const cmd = commandOf(rest);
    const treasury = parseAddress(addr, "Treasury");
    const r = await ops.setTreasury(await signingContext(cmd), treasury);
    emitTx(io, cmd, "program treasury", r, { treasury }, `treasury set to ${treasury}`);
  });

  leaf(program, "pause", "pause attestations, acceptance and creation; pay, claim, disputes and finalization go on (PAUSER_ROLE)", [
    "dsx program pause --keystore pauser.json",
  ]).calls("pause").action(async (...args: unknown[]) => {
    const cmd = commandOf(args);
    const r = await ops.pause(await signingContext(cmd));
    emitTx(io, cmd, "program pause", r, { paused: true }, "ledger paused");
  });

  leaf(program, "unpause", "unpause the ledger; reporting grace counts from now (PAUSER_ROLE)", ["dsx program unpause --keystore pauser.json"]).calls("unpause").action(
    async (...args: unknown[]) => {
      const cmd = commandOf(args);
      const r = await ops.unpause(await signingContext(cmd));
      emitTx(io, cmd, "program unpause", r, { paused: false }, "ledger unpaused");
    },
  );

  // every program operation can be prepared for the Safe that holds the role instead of sent
  return withSafeJson(program, io);
}
