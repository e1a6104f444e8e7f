// `dsx status [agreementId] [--account <address>]`: one agreement, one account or the program at a glance,
// read from the ledger's views (PROTOCOL §12).
import { Command } from "commander";
import { type Address, type Chain, type PublicClient, type Transport } from "viem";
import type { AgreementViewData, PeriodViewData, PositionViewData } from "../../auditor/chain/snapshot";
import { dsxCreditAbi, mockUsdcAbi, revenueShareLedgerAbi } from "../../sdk/abis";
import type { Deployment } from "../../sdk/deployment";
import { ValidationError, whenText } from "../../sdk/errors";
import { loadAccount } from "../../sdk/keys";
import { hasTakenEffect, REPORTING_CLOSE_PAUSED } from "../../sdk/ledgerRules";
import { ROLES, agreementStatusName, readAdmin, readPartner, readPendingMigration, readRevenueSigners, revenueStateName, type PendingSignerSet } from "../../sdk";
import { commandOf, leaf } from "../command";
import { amount, emit, time, type Io } from "../io";
import { globals, parseAddress, parseAgreementId, readContext } from "../options";

type Reader = { publicClient: PublicClient<Transport, Chain>; deployment: Deployment };

/** The chain's time: pending changes are in force from their effectiveAt on. */
const chainNow = async (r: Reader) => (await r.publicClient.getBlock({ blockTag: "latest" })).timestamp;

/** A pending signer set in JSON. */
const pendingSet = (p: PendingSignerSet | undefined) => p && { signers: p.signers, threshold: p.threshold, effectiveAt: p.effectiveAt };

const read = <T>(r: Reader, functionName: string, args: readonly unknown[] = []): Promise<T> =>
  r.publicClient.readContract({ address: r.deployment.ledger, abi: revenueShareLedgerAbi, functionName: functionName as "agreement", args: args as [bigint] }) as Promise<T>;

async function agreementStatus(r: Reader, id: bigint) {
  const a = await read<AgreementViewData>(r, "agreement", [id]);
  if (a.status === 0) throw new ValidationError(`Agreement ${id} does not exist on ledger ${r.deployment.ledger}.`, { fix: "Check the id; `dsx status` shows how many agreements there are." });
  const [partners, close, balance, migration, now] = await Promise.all([
    read<Address[]>(r, "partners", [id]),
    read<bigint>(r, "reportingClose", [id]),
    r.publicClient.readContract({ address: r.deployment.credit, abi: dsxCreditAbi, functionName: "balanceOf", args: [a.terms.startup] }),
    readPendingMigration(r, id),
    chainNow(r),
  ]);
  const positions = await Promise.all(partners.map((p) => read<PositionViewData>(r, "partnerPosition", [id, p])));
  const periods = await Promise.all(Array.from({ length: a.periodCount }, (_, k) => read<PeriodViewData>(r, "revenuePeriod", [id, k])));
  const data = {
    agreementId: id,
    status: agreementStatusName(a.status),
    startup: a.terms.startup,
    startupCredits: amount(balance),
    terms: {
      creditLimit: amount(a.terms.creditLimit),
      revenueShareBps: a.terms.revenueShareBps,
      capMultipleBps: a.terms.capMultipleBps,
      partnerFirstBps: a.terms.partnerFirstBps,
      startTime: a.terms.startTime,
      endTime: a.terms.endTime,
      periodDuration: a.terms.periodDuration,
      gracePeriod: a.terms.gracePeriod,
      termsHash: a.terms.termsHash,
    },
    acceptedAt: a.acceptedAt,
    terminatedAt: a.terminatedAt,
    reportingClose: close,
    creditsMinted: amount(a.creditsMinted),
    consumed: amount(a.consumed),
    cap: amount(a.cap),
    obligation: amount(a.obligation),
    paid: amount(a.paid),
    outstanding: amount(a.outstanding),
    delinquent: a.delinquent,
    nextDue: a.nextDue,
    nextPeriodToFinalize: a.nextPeriodToFinalize,
    periodCount: a.periodCount,
    pendingMigration: migration && { to: migration.to, effectiveAt: migration.effectiveAt, executable: hasTakenEffect(migration.effectiveAt, now) },
    partners: partners.map((partner, i) => ({
      partner,
      spendLimit: amount(positions[i].spendLimit),
      maxGpus: positions[i].maxGpus,
      pendingSpendLimit: positions[i].pendingSpendLimitAt === 0n ? undefined : { value: amount(positions[i].pendingSpendLimit), at: positions[i].pendingSpendLimitAt },
      pendingMaxGpus: positions[i].pendingMaxGpusAt === 0n ? undefined : { value: positions[i].pendingMaxGpus, at: positions[i].pendingMaxGpusAt },
      spent: amount(positions[i].spent),
      burnedAt: amount(positions[i].burnedAt),
      receivable: amount(positions[i].receivable),
      paidToPartner: amount(positions[i].paidToPartner),
      lastUsageEnd: positions[i].lastUsageEnd,
    })),
    periods: periods
      .map((p, k) => ({
        periodIndex: k,
        state: revenueStateName(p.state),
        start: p.periodStart,
        end: p.periodEnd,
        revenue: p.state === 0 ? undefined : amount(p.report.revenue),
        version: p.state === 0 ? undefined : p.report.version,
        owed: amount(p.owed),
        due: p.due,
      }))
      .filter((p) => p.state !== "None"),
  };
  const human = [
    `agreement ${id}: ${data.status}, startup ${a.terms.startup} (${data.startupCredits} DSXC)`,
    `  term ${time(a.terms.startTime)} .. ${time(a.terms.endTime)}, ${a.periodCount} periods of ${a.terms.periodDuration / 86_400} days; reporting closes ${close === REPORTING_CLOSE_PAUSED ? "never (paused)" : time(close)}`,
    `  terms: credit limit ${data.terms.creditLimit}, revenue share ${a.terms.revenueShareBps} bps, cap ${a.terms.capMultipleBps} bps of consumed, partners first ${a.terms.partnerFirstBps} bps`,
    `  credits minted ${data.creditsMinted}, consumed ${data.consumed}, cap ${data.cap}`,
    `  obligation ${data.obligation}, paid ${data.paid}, outstanding ${data.outstanding}${a.delinquent ? " DELINQUENT" : ""}${a.nextDue ? `, next due ${time(a.nextDue)}` : ""}; next period to finalize ${a.nextPeriodToFinalize}`,
    ...(migration
      ? [
          hasTakenEffect(migration.effectiveAt, now)
            ? `  pending: migration to ${migration.to}, in effect since ${whenText(migration.effectiveAt, now)}: anyone may carry it out (dsx migration execute ${id})`
            : `  pending: migration to ${migration.to}, proposed by the program, takes effect at ${whenText(migration.effectiveAt, now)}; then dsx migration execute ${id} (until then the startup or the program can cancel it: dsx migration cancel ${id})`,
        ]
      : []),
    ...data.partners.map(
      (p) => `  partner ${p.partner}: limit ${p.spendLimit} on ${p.maxGpus} GPUs, spent ${p.spent}, receivable ${p.receivable}, paid ${p.paidToPartner}` +
        (p.pendingSpendLimit ? `, limit ${p.pendingSpendLimit.value} from ${time(p.pendingSpendLimit.at)}` : "") +
        (p.pendingMaxGpus ? `, ${p.pendingMaxGpus.value} GPUs from ${time(p.pendingMaxGpus.at)}` : ""),
    ),
    ...data.periods.map((p) => `  period ${p.periodIndex} [${time(p.start)}, ${time(p.end)}): ${p.state} v${p.version}, revenue ${p.revenue}, owed ${p.owed}${p.due ? `, due ${time(p.due)}` : ""}`),
  ];
  return { data, human };
}

async function accountStatus(r: Reader, account: Address) {
  const { publicClient, deployment } = r;
  const [credits, settlement, claimable, openId, partner, roles, treasury, programClaimable, now] = await Promise.all([
    publicClient.readContract({ address: deployment.credit, abi: dsxCreditAbi, functionName: "balanceOf", args: [account] }),
    publicClient.readContract({ address: deployment.settlementToken, abi: mockUsdcAbi, functionName: "balanceOf", args: [account] }),
    read<bigint>(r, "claimable", [account]),
    read<bigint>(r, "openAgreementOf", [account]),
    readPartner(r, account),
    Promise.all((Object.keys(ROLES) as (keyof typeof ROLES)[]).map(async (name) => ((await read<boolean>(r, "hasRole", [ROLES[name], account])) ? name : undefined))),
    read<Address>(r, "treasury"),
    read<bigint>(r, "programClaimable"),
    chainNow(r),
  ]);
  const held = roles.filter((x): x is keyof typeof ROLES => x !== undefined);
  const isTreasury = treasury.toLowerCase() === account.toLowerCase();
  const data = {
    account,
    roles: held,
    credits: amount(credits),
    settlementBalance: amount(settlement),
    claimable: amount(claimable),
    openAgreementId: openId === 0n ? undefined : openId,
    partner: partner.registered
      ? {
          active: partner.active,
          payoutBps: partner.payoutBps,
          threshold: partner.threshold,
          signers: partner.signers,
          nextSequence: partner.nextSequence,
          payout: partner.payout,
          pendingSigners: pendingSet(partner.pendingSigners),
          pendingPayout: partner.pendingPayout,
        }
      : undefined,
    treasury: isTreasury ? { programClaimable: amount(programClaimable) } : undefined,
  };
  const paidAt = partner.payout.toLowerCase() === account.toLowerCase() ? "itself" : partner.payout;
  const human = [
    `account ${account}: roles ${held.length ? held.join(", ") : "none"}; ${data.credits} DSXC, ${data.settlementBalance} settlement token, claimable ${data.claimable}`,
    openId === 0n ? "  no open agreement" : `  open agreement ${openId} (dsx status ${openId})`,
    ...(partner.registered
      ? [
          `  partner: ${partner.active ? "active" : "INACTIVE"}, payout ${partner.payoutBps} bps, ${partner.threshold}-of-${partner.signers.length} signers, next batch sequence ${partner.nextSequence}; claims paid to ${paidAt}`,
          ...(partner.pendingSigners
            ? [`  pending: signer set ${partner.pendingSigners.threshold}-of-${partner.pendingSigners.signers.length} (${partner.pendingSigners.signers.join(", ")}) proposed by the program, in force from ${whenText(partner.pendingSigners.effectiveAt, now)}`]
            : []),
          ...(partner.pendingPayout
            ? [`  pending: payout address ${partner.pendingPayout.payout} proposed by the program, in force from ${whenText(partner.pendingPayout.effectiveAt, now)}`]
            : []),
        ]
      : []),
    ...(isTreasury ? [`  treasury of the program: ${data.treasury!.programClaimable} waiting for claim-program`] : []),
  ];
  return { data, human };
}

async function programStatus(r: Reader) {
  const [count, paused, treasury, programClaimable, revenueSigners, constants, { admin, delay: adminDelay, pending: adminTransfer }, block] = await Promise.all([
    read<bigint>(r, "agreementCount"),
    read<boolean>(r, "paused"),
    read<Address>(r, "treasury"),
    read<bigint>(r, "programClaimable"),
    readRevenueSigners(r),
    Promise.all(["DISPUTE_WINDOW", "RATE_NOTICE", "AUTH_NOTICE", "REPORTING_GRACE", "SIGNER_NOTICE", "MIGRATION_NOTICE", "PAYOUT_NOTICE"].map((name) => read<bigint>(r, name))),
    readAdmin(r),
    r.publicClient.getBlock({ blockTag: "latest" }),
  ]);
  const [disputeWindow, rateNotice, authNotice, reportingGrace, signerNotice, migrationNotice, payoutNotice] = constants;
  const now = block.timestamp;
  const { signers, threshold, pending } = revenueSigners;
  const data = {
    chainId: r.deployment.chainId,
    ledger: r.deployment.ledger,
    credit: r.deployment.credit,
    settlementToken: r.deployment.settlementToken,
    block: block.number,
    time: block.timestamp,
    paused,
    agreements: count,
    treasury,
    programClaimable: amount(programClaimable),
    admin: { address: admin, delay: adminDelay, pending: adminTransfer && { newAdmin: adminTransfer.newAdmin, acceptableAfter: adminTransfer.acceptableAfter } },
    revenueSigners: { signers, threshold, pending: pendingSet(pending) },
    constants: { disputeWindow, rateNotice, authNotice, reportingGrace, signerNotice, migrationNotice, payoutNotice },
  };
  const human = [
    `ledger ${r.deployment.ledger} on chain ${r.deployment.chainId} at block ${block.number} (${time(block.timestamp)})${paused ? ": PAUSED" : ""}`,
    `  ${count} agreements; treasury ${treasury}, program claimable ${data.programClaimable}`,
    `  revenue signers ${threshold}-of-${signers.length}; dispute window ${disputeWindow} s, rate notice ${rateNotice} s, auth notice ${authNotice} s, reporting grace ${reportingGrace} s`,
    `  notices of the program's proposals: signers ${signerNotice} s, migration ${migrationNotice} s, payout address ${payoutNotice} s; admin ${admin} (transfer delay ${adminDelay} s)`,
    ...(pending
      ? [`  pending: revenue signer set ${pending.threshold}-of-${pending.signers.length} (${pending.signers.join(", ")}), in force from ${whenText(pending.effectiveAt, now)}`]
      : []),
    ...(adminTransfer
      ? [
          now > adminTransfer.acceptableAfter
            ? `  pending: admin transfer to ${adminTransfer.newAdmin}, acceptable since ${whenText(adminTransfer.acceptableAfter, now)}: it accepts with dsx admin accept`
            : `  pending: admin transfer to ${adminTransfer.newAdmin}, acceptable after ${whenText(adminTransfer.acceptableAfter, now)} with dsx admin accept (until then the admin can cancel it: dsx admin cancel)`,
        ]
      : []),
    `  credit ${r.deployment.credit}, settlement token ${r.deployment.settlementToken}`,
  ];
  return { data, human };
}

export function statusCommand(io: Io, root: Command): void {
  leaf(
    root,
    "status [agreementId]",
    "one agreement, one account or the program at a glance, from the ledger's views",
    ["dsx status 3", "dsx status --account 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --json", "dsx status"],
    "Without arguments: the program, and with a key (--keystore or --private-key) the key's account too.\n" +
      "Pending changes (a proposed wallet migration, signer set, revenue signer set, payout address or admin\n" +
      "transfer) are shown with the time they take effect.",
  )
    .option("--account <address>", "an account: roles, balances, claimable, open agreement, partner registration")
    // the views it shows: a message that would name one points at `dsx status` instead
    .calls("agreement", "partners", "partnerPosition", "revenuePeriod", "reportingClose", "pendingMigration", "partner", "claimable", "openAgreementOf")
    .calls("hasRole", "treasury", "programClaimable", "revenueSigners", "agreementCount", "paused", "defaultAdmin", "defaultAdminDelay", "pendingDefaultAdmin")
    .action(async (id: string | undefined, o: { account?: string }, ...rest: unknown[]) => {
      const cmd = commandOf(rest);
      const g = globals(cmd);
      const agreementId = id === undefined ? undefined : parseAgreementId(id);
      let account = o.account === undefined ? undefined : parseAddress(o.account, "--account");
      const r = await readContext(cmd);
      if (account === undefined && agreementId === undefined && (g.keystore !== undefined || g.privateKey !== undefined)) {
        account = (await loadAccount({ chainId: r.deployment.chainId, keystore: g.keystore, passwordEnv: g.passwordEnv, privateKey: g.privateKey })).address;
      }
      const parts: { key: string; data: Record<string, unknown>; human: string[] }[] = [];
      if (agreementId !== undefined) parts.push({ key: "agreement", ...(await agreementStatus(r, agreementId)) });
      if (agreementId === undefined && o.account === undefined) parts.push({ key: "program", ...(await programStatus(r)) });
      if (account !== undefined) parts.push({ key: "account", ...(await accountStatus(r, account)) });
      // one part: its fields at the top level; two (agreement or program, and account): one object each
      const data = parts.length === 1 ? parts[0].data : Object.fromEntries(parts.map((p) => [p.key, p.data]));
      emit(io, g.json, data, parts.flatMap((p) => p.human));
    });
}
