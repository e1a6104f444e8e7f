// Every route of SERVICES §4 in one table: its input and output schemas (which also generate
// /openapi.json) and the service call behind it. Routes stay thin: parse → service → respond.
import { z } from "zod";
import { notFound, HttpProblem, PROBLEM } from "../http/problem";
import {
  addressParam,
  baseQuery,
  bytes32Param,
  pageQuery,
  timeRangeQuery,
  uintParam,
} from "../schemas/common";
import { AGREEMENT_STATUSES, REVENUE_STATES, health, ready, responses } from "../schemas/resources";
import { getAgreement, listAgreements, listAudits, listDistributions, listPayments, listRevenue, listUsage } from "../services/agreements";
import { agreementAudit, AuditUnavailable, type AuditReports } from "../services/auditReports";
import {
  getAccount,
  getPartner,
  getProgram,
  getUsageBatch,
  listPartnerBatches,
  listPartnerPositions,
  listPartners,
  proveBatchRecord,
  ProofUnavailable,
} from "../services/participants";
import type { Reader } from "../services/snapshot";
import { eventRoutes } from "./events";

/** What a route handler may use besides the read snapshot. */
export interface RouteDeps {
  chainId: number;
  evidenceDir?: string;
  /** The auditor's report folder (DSX_API_AUDIT_DIR). */
  audits?: AuditReports;
}

/** One GET route (health and ready are special: see app.ts). */
export interface RouteSpec {
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  params?: z.ZodObject;
  query: z.ZodObject;
  response: z.ZodType;
  /**
   * Statuses besides 200 this route answers of its own (400, 404, 503). /openapi.json adds those every path can
   * answer: 405, 413, 500, and 429 where the rate limit applies.
   */
  errors: number[];
  /** A list: the handler returns `{ data, nextCursor }`; otherwise the resource itself. */
  list?: true;
  /**
   * false: the answer depends on more than the indexed block (files), so the response cache, whose entries
   * live as long as a checkpoint, must not keep it.
   */
  cache?: false;
  /**
   * Reads with `r` (one statement through `r.at`, or `r.snapshot` for several) and returns the body; throws
   * HttpProblem for 4xx.
   */
  handler: (r: Reader, input: { params: Record<string, unknown>; query: Record<string, unknown> }, deps: RouteDeps) => Promise<unknown>;
}

const bool = z
  .enum(["true", "false"], { error: 'expected "true" or "false"' })
  .transform((s) => s === "true");

const idParams = z.strictObject({ id: uintParam.meta({ description: "The agreement id (decimal).", example: "1" }) });
const addressParams = z.strictObject({ address: addressParam });
const batchParams = z.strictObject({ batchId: bytes32Param.meta({ description: "The usage batch id (bytes32)." }) });

const LIST_ERRORS = [400, 404, 503];

function found<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw notFound(`No ${what} is indexed.`);
  return value;
}

type Q = Record<string, never>;

export const routes: RouteSpec[] = [
  {
    path: "/v1/program",
    operationId: "getProgram",
    summary: "The program: addresses, treasury, tokens, revenue signers (in force and pending) and constants",
    tags: ["program"],
    query: z.strictObject(baseQuery),
    response: responses.program,
    errors: [400, 503],
    handler: (r) => getProgram(r),
  },
  {
    path: "/v1/agreements",
    operationId: "listAgreements",
    summary: "Agreements, by id",
    description: "Filters: status, startup wallet, an authorized partner, creation time range.",
    tags: ["agreements"],
    query: z.strictObject({
      ...pageQuery,
      ...timeRangeQuery,
      status: z.enum(AGREEMENT_STATUSES).optional(),
      startup: addressParam.optional(),
      partner: addressParam.optional(),
    }),
    response: responses.agreements,
    list: true,
    errors: [400, 503],
    handler: (r, { query }) => listAgreements(r, query as Q),
  },
  {
    path: "/v1/agreements/:id",
    operationId: "getAgreement",
    summary: "One agreement: terms and the state of PROTOCOL §12, with its partner positions and any pending wallet migration",
    tags: ["agreements"],
    params: idParams,
    query: z.strictObject(baseQuery),
    response: responses.agreement,
    errors: LIST_ERRORS,
    handler: async (r, { params }) => found(await getAgreement(r, params.id as string), `agreement ${params.id}`),
  },
  {
    path: "/v1/agreements/:id/usage",
    operationId: "listAgreementUsage",
    summary: "An agreement's usage lines (accepted and rejected), in chain order",
    tags: ["agreements"],
    params: idParams,
    query: z.strictObject({ ...pageQuery, ...timeRangeQuery, partner: addressParam.optional(), accepted: bool.optional() }),
    response: responses.usage,
    list: true,
    errors: LIST_ERRORS,
    handler: async (r, { params, query }) => found(await listUsage(r, params.id as string, query as Q), `agreement ${params.id}`),
  },
  {
    path: "/v1/agreements/:id/revenue",
    operationId: "listAgreementRevenue",
    summary: "An agreement's revenue periods (every period of the term; unreported ones as None)",
    tags: ["agreements"],
    params: idParams,
    query: z.strictObject({ ...pageQuery, state: z.enum(REVENUE_STATES).optional() }),
    response: responses.revenue,
    list: true,
    errors: LIST_ERRORS,
    handler: async (r, { params, query }) => found(await listRevenue(r, params.id as string, query as Q), `agreement ${params.id}`),
  },
  {
    path: "/v1/agreements/:id/payments",
    operationId: "listAgreementPayments",
    summary: "Payments applied to an agreement",
    tags: ["agreements"],
    params: idParams,
    query: z.strictObject({ ...pageQuery, ...timeRangeQuery, payer: addressParam.optional() }),
    response: responses.payments,
    list: true,
    errors: LIST_ERRORS,
    handler: async (r, { params, query }) => found(await listPayments(r, params.id as string, query as Q), `agreement ${params.id}`),
  },
  {
    path: "/v1/agreements/:id/distributions",
    operationId: "listAgreementDistributions",
    summary: "How an agreement's payments were split (the program as the zero address)",
    tags: ["agreements"],
    params: idParams,
    query: z.strictObject({ ...pageQuery, ...timeRangeQuery, beneficiary: addressParam.optional() }),
    response: responses.distributions,
    list: true,
    errors: LIST_ERRORS,
    handler: async (r, { params, query }) => found(await listDistributions(r, params.id as string, query as Q), `agreement ${params.id}`),
  },
  {
    path: "/v1/agreements/:id/audit",
    operationId: "getAgreementAudit",
    summary: "The agreement's section of the latest audit report, and whether its hash was recorded on chain",
    description:
      "From the auditor's report folder (DSX_API_AUDIT_DIR): the valid report of this ledger with the highest audited block. " +
      "Its hash, audited block, pass/fail per check, discrepancies and the agreement's section, and the indexed " +
      "AuditRecorded events that published that hash. 404 when the agreement is unknown, no folder is configured, " +
      "the folder holds no report of this ledger, or the latest report does not cover the agreement.",
    tags: ["agreements"],
    params: idParams,
    query: z.strictObject(baseQuery),
    response: responses.agreementAudit,
    errors: LIST_ERRORS,
    cache: false,
    handler: async (r, { params }, deps) => {
      try {
        return await agreementAudit(r, deps.audits, deps.chainId, params.id as string);
      } catch (err) {
        if (err instanceof AuditUnavailable) throw notFound(err.message);
        throw err;
      }
    },
  },
  {
    path: "/v1/agreements/:id/audits",
    operationId: "listAgreementAudits",
    summary: "Audits recorded on chain for an agreement (AuditRecorded events)",
    tags: ["agreements"],
    params: idParams,
    query: z.strictObject({ ...pageQuery, ...timeRangeQuery, auditor: addressParam.optional() }),
    response: responses.audits,
    list: true,
    errors: LIST_ERRORS,
    handler: async (r, { params, query }) => found(await listAudits(r, params.id as string, query as Q), `agreement ${params.id}`),
  },
  {
    path: "/v1/partners",
    operationId: "listPartners",
    summary: "Registered cloud partners, by address",
    tags: ["partners"],
    query: z.strictObject({ ...pageQuery, active: bool.optional() }),
    response: responses.partners,
    list: true,
    errors: [400, 503],
    handler: (r, { query }) => listPartners(r, query as Q),
  },
  {
    path: "/v1/partners/:address",
    operationId: "getPartner",
    summary: "One partner: signers and payout address (in force and pending), payout share, rate card, totals over its agreements, claimable",
    tags: ["partners"],
    params: addressParams,
    query: z.strictObject(baseQuery),
    response: responses.partner,
    errors: LIST_ERRORS,
    handler: async (r, { params }) => found(await r.snapshot((ctx) => getPartner(ctx, params.address as string)), `partner ${params.address}`),
  },
  {
    path: "/v1/partners/:address/positions",
    operationId: "listPartnerPositions",
    summary: "A partner's position in every agreement that authorizes it: spend, receivable, paid, by agreement id",
    tags: ["partners"],
    params: addressParams,
    query: z.strictObject({ ...baseQuery, ...pageQuery }),
    response: responses.partnerPositions,
    errors: LIST_ERRORS,
    list: true,
    handler: async (r, { params, query }) =>
      found(await r.snapshot((ctx) => listPartnerPositions(ctx, params.address as string, query as { limit?: number; cursor?: string })), `partner ${params.address}`),
  },
  {
    path: "/v1/partners/:address/usage-batches",
    operationId: "listPartnerUsageBatches",
    summary: "A partner's usage batches, newest first, each with its disputes (lines: GET /v1/usage-batches/:batchId)",
    tags: ["partners", "usage"],
    params: addressParams,
    query: z.strictObject({ ...baseQuery, ...pageQuery }),
    response: responses.partnerBatches,
    errors: LIST_ERRORS,
    list: true,
    handler: async (r, { params, query }) =>
      found(await r.snapshot((ctx) => listPartnerBatches(ctx, params.address as string, query as { limit?: number; cursor?: string })), `partner ${params.address}`),
  },
  {
    path: "/v1/accounts/:address",
    operationId: "getAccount",
    summary: "An account: credit balance, claimable, claimed, agreements",
    tags: ["accounts"],
    params: addressParams,
    query: z.strictObject(baseQuery),
    response: responses.account,
    errors: LIST_ERRORS,
    handler: async (r, { params }) => found(await r.snapshot((ctx) => getAccount(ctx, params.address as string)), `account ${params.address}`),
  },
  {
    path: "/v1/usage-batches/:batchId",
    operationId: "getUsageBatch",
    summary: "One usage batch: its window, records root, lines and disputes",
    tags: ["usage"],
    params: batchParams,
    query: z.strictObject(baseQuery),
    response: responses.usageBatch,
    errors: LIST_ERRORS,
    handler: async (r, { params }) =>
      found(await r.snapshot((ctx) => getUsageBatch(ctx, params.batchId as string)), `usage batch ${params.batchId}`),
  },
  {
    path: "/v1/usage-batches/:batchId/records/:recordId/proof",
    operationId: "getUsageRecordProof",
    summary: "Every leaf of a metering record in a batch's evidence tree, with its Merkle proof",
    description: "Needs the server's evidence folder (DSX_API_EVIDENCE_DIR) holding `<batchId>.json` bundles with a `tree` dump.",
    tags: ["usage"],
    params: z.strictObject({
      batchId: bytes32Param,
      recordId: z.string().min(1).max(512).meta({ description: "The record id as in the evidence leaves." }),
    }),
    query: z.strictObject(baseQuery),
    response: responses.proof,
    errors: LIST_ERRORS,
    handler: async (r, { params }, deps) => {
      try {
        return await r.snapshot((ctx) => proveBatchRecord(ctx, deps.evidenceDir, params.batchId as string, params.recordId as string));
      } catch (err) {
        if (err instanceof ProofUnavailable) throw notFound(err.message);
        throw err;
      }
    },
  },
  ...eventRoutes,
];

/** Routes outside the snapshot machinery, documented alongside. */
export const specialRoutes = {
  health: { path: "/v1/health", operationId: "health", summary: "Liveness: the process answers", response: health },
  ready: {
    path: "/v1/ready",
    operationId: "ready",
    summary: "Readiness: the index has caught up with the chain head the indexer last saw (503 otherwise)",
    response: ready,
  },
};

export const notIndexedYet = (detail: string, retryAfter: number): HttpProblem =>
  new HttpProblem(503, PROBLEM.notIndexed, "Service Unavailable", detail, { headers: { "Retry-After": String(retryAfter) } });
