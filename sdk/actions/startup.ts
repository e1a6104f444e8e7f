// The startup's actions: accept an agreement, authorize partners, pay (with an EIP-2612 permit when the token
// takes one), dispute usage, and move the agreement to a new wallet (PROGRAM only proposes that; PROTOCOL v1.1 §3).
import { hashDomain, parseSignature, zeroAddress, type Address, type Hex } from "viem";
import { mockUsdcAbi, revenueShareLedgerAbi } from "../abis";
import { withRetry } from "../chain";
import type { LedgerContext } from "../context";
import { describeError, LedgerRevertError, ValidationError } from "../errors";
import { blockTimeOf, execute, ledgerCall, ledgerEvent, ledgerEvents, type ChangeResult, type OperationResult } from "../execute";
import { formatUnits6 } from "../units";
import { hashOf, toAddress, toAgreementId, toBatchId, toUnits, type Amount } from "../values";
import { readPendingMigration } from "./read";
import { approveSettlement } from "./settlement";

export type AcceptAgreementParameters = [agreementId: bigint];
export type AcceptAgreementReturnType = OperationResult & { creditsMinted: bigint };

/**
 * Accepts a Proposed agreement with the startup's wallet; mints the credit limit in DSXC.
 * @example const { creditsMinted } = await acceptAgreement(startupCtx, 3n);
 */
export async function acceptAgreement(ctx: LedgerContext, ...[agreementId]: AcceptAgreementParameters): Promise<AcceptAgreementReturnType> {
  const result = await execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "acceptAgreement", args: [toAgreementId(agreementId)] }));
  const event = ledgerEvent(ctx, result.receipt, "AgreementAccepted");
  return { ...result, creditsMinted: event.args.creditsMinted };
}

export type AuthorizePartnerParameters = { agreementId: bigint; partner: Address; spendLimit: Amount; maxGpus: number };
export type AuthorizePartnerReturnType = OperationResult & { effectiveAt: bigint };

/**
 * Authorizes a partner to bill the agreement up to a cumulative `spendLimit` of credits on at most `maxGpus`
 * GPUs at once (the startup). A decrease takes effect AUTH_NOTICE later: see `effectiveAt`.
 * @example const { effectiveAt } = await authorizePartner(startupCtx, { agreementId: 3n, partner: firmus, spendLimit: "50000", maxGpus: 16 });
 */
export async function authorizePartner(ctx: LedgerContext, input: AuthorizePartnerParameters): Promise<AuthorizePartnerReturnType> {
  const result = await execute(ctx, () =>
    ctx.publicClient.simulateContract({
      ...ledgerCall(ctx),
      functionName: "authorizePartner",
      args: [toAgreementId(input.agreementId), toAddress(input.partner, "Partner"), toUnits(input.spendLimit, "Spend limit"), input.maxGpus],
    }),
  );
  const event = ledgerEvent(ctx, result.receipt, "PartnerAuthorized");
  return { ...result, effectiveAt: event.args.effectiveAt };
}

/** How `pay` lets the ledger pull the tokens. */
export type PayMethod = "permit" | "approve" | "allowance";

const DOMAIN_FIELDS = [
  { name: "name", type: "string" },
  { name: "version", type: "string" },
  { name: "chainId", type: "uint256" },
  { name: "verifyingContract", type: "address" },
] as const;

/** The reads that tell whether a token takes EIP-2612 permits, and with which EIP-712 domain. */
const PERMIT_ABI = [
  { type: "function", name: "DOMAIN_SEPARATOR", stateMutability: "view", inputs: [], outputs: [{ type: "bytes32" }] },
  { type: "function", name: "name", stateMutability: "view", inputs: [], outputs: [{ type: "string" }] },
  { type: "function", name: "version", stateMutability: "view", inputs: [], outputs: [{ type: "string" }] },
  {
    type: "function",
    name: "eip712Domain",
    stateMutability: "view",
    inputs: [],
    outputs: [
      { type: "bytes1" }, { type: "string" }, { type: "string" }, { type: "uint256" }, { type: "address" }, { type: "bytes32" }, { type: "uint256[]" },
    ],
  },
  { type: "function", name: "nonces", stateMutability: "view", inputs: [{ type: "address" }], outputs: [{ type: "uint256" }] },
] as const;

/**
 * The token's EIP-712 domain when it takes EIP-2612 permits: the candidate versions (ERC-5267 `eip712Domain`,
 * a `version()` getter, "1", "2") are checked against its `DOMAIN_SEPARATOR`, so a permit is only signed for a
 * domain the token will recognise. Undefined otherwise.
 */
async function permitDomain(ctx: LedgerContext, token: Address) {
  const read = <const F extends "DOMAIN_SEPARATOR" | "name" | "version" | "eip712Domain">(functionName: F) =>
    ctx.publicClient.readContract({ address: token, abi: PERMIT_ABI, functionName }).catch(() => undefined);
  const [separator, name, version, domain5267] = await Promise.all([read("DOMAIN_SEPARATOR"), read("name"), read("version"), read("eip712Domain")]);
  if (separator === undefined || name === undefined) return undefined;
  const candidates = [domain5267?.[2], version, "1", "2"].filter((v): v is string => typeof v === "string");
  const chainId = ctx.publicClient.chain.id;
  for (const candidate of candidates) {
    const domain = { name, version: candidate, chainId, verifyingContract: token };
    const hash = hashDomain({ domain: { ...domain, chainId: BigInt(chainId) }, types: { EIP712Domain: DOMAIN_FIELDS } });
    if (hash.toLowerCase() === separator.toLowerCase()) return domain;
  }
  return undefined;
}

export type PayParameters = { agreementId: bigint; amount: Amount; method?: "auto" | "permit" | "approve" };
export type PayReturnType = OperationResult & { applied: bigint; toPartners: bigint; toProgram: bigint; method: PayMethod; approval?: OperationResult };

/**
 * Pays an agreement's outstanding amount in the settlement token (anyone; usually the startup). Pays
 * `min(amount, outstanding)`. Uses an EIP-2612 permit when the token supports it (one transaction),
 * otherwise approves the ledger first when the allowance is short. Refuses before sending when the wallet
 * holds too little of the token.
 * @example const { applied, toPartners, toProgram } = await pay(startupCtx, { agreementId: 3n, amount: "1000" });
 */
export async function pay(ctx: LedgerContext, input: PayParameters): Promise<PayReturnType> {
  const agreementId = toAgreementId(input.agreementId);
  const asked = toUnits(input.amount, "Amount");
  if (asked === 0n) throw new ValidationError("The amount to pay is zero.", { fix: "Give an amount above 0, e.g. 1250.5." });
  const { publicClient, account, deployment } = ctx;
  const token = deployment.settlementToken;
  const [view, balance, allowance] = await withRetry(
    () =>
      Promise.all([
        publicClient.readContract({ address: deployment.ledger, abi: revenueShareLedgerAbi, functionName: "agreement", args: [agreementId] }),
        publicClient.readContract({ address: token, abi: mockUsdcAbi, functionName: "balanceOf", args: [account.address] }),
        publicClient.readContract({ address: token, abi: mockUsdcAbi, functionName: "allowance", args: [account.address, deployment.ledger] }),
      ]),
    ctx.retry,
  ).catch((err: unknown) => {
    throw describeError(err);
  });
  if (view.status === 0) throw LedgerRevertError.of("AgreementNotFound", [agreementId]);
  if (view.outstanding === 0n) throw LedgerRevertError.of("NothingOwed", [agreementId]);
  const amount = asked < view.outstanding ? asked : view.outstanding;
  if (balance < amount) {
    throw new ValidationError(`Wallet ${account.address} holds ${formatUnits6(balance)} of the settlement token; the payment needs ${formatUnits6(amount)}.`, {
      fix: "Fund the wallet with the settlement token, or pay less.",
    });
  }
  let method: PayMethod = allowance >= amount ? "allowance" : "approve";
  let approval: OperationResult | undefined;
  let permit: { deadline: bigint; v: number; r: Hex; s: Hex } | undefined;
  if (method === "approve" && input.method !== "approve") {
    const domain = await permitDomain(ctx, token);
    if (domain) {
      const nonce = await publicClient.readContract({ address: token, abi: PERMIT_ABI, functionName: "nonces", args: [account.address] });
      const now = (await publicClient.getBlock({ blockTag: "latest" })).timestamp;
      const deadline = now + 3600n;
      const signature = await ctx.walletClient.signTypedData({
        account,
        domain,
        types: {
          Permit: [
            { name: "owner", type: "address" },
            { name: "spender", type: "address" },
            { name: "value", type: "uint256" },
            { name: "nonce", type: "uint256" },
            { name: "deadline", type: "uint256" },
          ],
        },
        primaryType: "Permit",
        message: { owner: account.address, spender: deployment.ledger, value: amount, nonce, deadline },
      });
      const { r, s, v, yParity } = parseSignature(signature);
      permit = { deadline, v: v === undefined ? yParity + 27 : Number(v), r, s };
      method = "permit";
    } else if (input.method === "permit") {
      throw new ValidationError(`The settlement token ${token} does not support EIP-2612 permits.`, { fix: "Pay with --method approve." });
    }
  }
  if (method === "approve") {
    approval = await approveSettlement(ctx, amount);
  }
  const result = permit
    ? await execute(ctx, () =>
        publicClient.simulateContract({
          ...ledgerCall(ctx),
          functionName: "payWithPermit",
          args: [agreementId, amount, permit.deadline, permit.v, permit.r, permit.s],
        }),
      )
    : await execute(ctx, () => publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "pay", args: [agreementId, amount] }));
  const event = ledgerEvent(ctx, result.receipt, "PaymentApplied");
  return {
    ...result,
    applied: event.args.amount,
    toPartners: event.args.toPartners,
    toProgram: event.args.toProgram,
    method,
    approval,
  };
}

export type DisputeUsageParameters = { batchId: Hex; agreementId: bigint; reason?: string };
export type DisputeUsageReturnType = OperationResult & { reasonHash: Hex };

/**
 * Disputes a usage batch's lines for one agreement within DISPUTE_WINDOW (the agreement's startup or an
 * AUDITOR). `reason` is text (hashed) or a 32-byte hash.
 * @example await disputeUsage(startupCtx, { batchId, agreementId: 3n, reason: "node 17 was down on Oct 3" });
 */
export async function disputeUsage(ctx: LedgerContext, input: DisputeUsageParameters): Promise<DisputeUsageReturnType> {
  const batchId = toBatchId(input.batchId);
  const reasonHash = hashOf(input.reason);
  const result = await execute(ctx, () =>
    ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "disputeUsage", args: [batchId, toAgreementId(input.agreementId), reasonHash] }),
  );
  return { ...result, reasonHash };
}

export type MigrateStartupParameters = [agreementId: bigint, newWallet: Address, options?: { as?: "startup" | "program" }];
export type MigrateStartupReturnType = ChangeResult & { agreementId: bigint; from: Address; to: Address; credits?: bigint };

/**
 * Moves an agreement and its credits to a new wallet (a multisig, lost keys). Sent by the agreement's startup
 * wallet it happens at once (`mode: "immediate"`, `credits` moved); sent by PROGRAM it is only proposed and
 * can be executed by anyone from `effectiveAt` (MIGRATION_NOTICE later; `executeStartupMigration`).
 * `as: "startup"` refuses before sending when the key is not the startup wallet (so a PROGRAM key cannot
 * propose by mistake).
 * @example const { mode, effectiveAt } = await migrateStartup(programCtx, 3n, "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
 */
export async function migrateStartup(ctx: LedgerContext, ...[agreementId, newWallet, options = {}]: MigrateStartupParameters): Promise<MigrateStartupReturnType> {
  const id = toAgreementId(agreementId);
  const to = toAddress(newWallet, "New wallet");
  if (options.as === "startup") {
    const view = await withRetry(() => ctx.publicClient.readContract({ ...ledgerCall(ctx), functionName: "agreement", args: [id] }), ctx.retry);
    // an unknown agreement is refused by the simulation with its own error
    if (view.status !== 0 && view.terms.startup.toLowerCase() !== ctx.account.address.toLowerCase()) {
      throw LedgerRevertError.of("NotStartup", [id, ctx.account.address]);
    }
  }
  const result = await execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "migrateStartup", args: [id, to] }));
  const blockTime = await blockTimeOf(ctx, result);
  const [migrated] = ledgerEvents(ctx, result.receipt, "StartupMigrated");
  if (migrated) {
    return { ...result, mode: "immediate", effectiveAt: blockTime, blockTime, agreementId: id, from: migrated.args.from, to, credits: migrated.args.credits };
  }
  const proposed = ledgerEvent(ctx, result.receipt, "StartupMigrationProposed");
  return { ...result, mode: "proposed", effectiveAt: BigInt(proposed.args.effectiveAt), blockTime, agreementId: id, from: proposed.args.from, to };
}

export type CancelStartupMigrationParameters = [agreementId: bigint];
export type CancelStartupMigrationReturnType = OperationResult & { agreementId: bigint; to: Address; effectiveAt: bigint };

/**
 * Withdraws PROGRAM's pending migration of an agreement before it takes effect (the startup wallet or PROGRAM).
 * @example await cancelStartupMigration(startupCtx, 3n);
 */
export async function cancelStartupMigration(ctx: LedgerContext, ...[agreementId]: CancelStartupMigrationParameters): Promise<CancelStartupMigrationReturnType> {
  const id = toAgreementId(agreementId);
  const pending = await readPendingMigration(ctx, id);
  const result = await execute(ctx, () => ctx.publicClient.simulateContract({ ...ledgerCall(ctx), functionName: "cancelStartupMigration", args: [id] }));
  ledgerEvent(ctx, result.receipt, "StartupMigrationCancelled");
  return { ...result, agreementId: id, to: pending?.to ?? zeroAddress, effectiveAt: pending?.effectiveAt ?? 0n };
}
