// RFC 9457 problem details: every error the API answers is `application/problem+json`.
import type { ErrorRequestHandler, RequestHandler, Response } from "express";
import type { Logger } from "pino";
import { z } from "zod";

/** Problem type URIs (stable, documented in docs/api.md). */
export const PROBLEM = {
  validation: "urn:dsx:problem:validation-error",
  notFound: "urn:dsx:problem:not-found",
  notIndexed: "urn:dsx:problem:not-indexed-yet",
  notReady: "urn:dsx:problem:not-ready",
  rateLimited: "urn:dsx:problem:rate-limited",
  payloadTooLarge: "urn:dsx:problem:payload-too-large",
  methodNotAllowed: "urn:dsx:problem:method-not-allowed",
  internal: "urn:dsx:problem:internal-error",
} as const;

/** One failing input field of a 400. */
export interface FieldError {
  in: "path" | "query" | "body" | "header";
  name: string;
  message: string;
}

/** An error that becomes a problem response. */
export class HttpProblem extends Error {
  override name = "HttpProblem";
  constructor(
    readonly status: number,
    readonly type: string,
    readonly title: string,
    readonly detail: string,
    readonly extra: { errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
  }
}

export const notFound = (detail: string): HttpProblem => new HttpProblem(404, PROBLEM.notFound, "Not Found", detail);

/** A zod error on request input → 400 naming the fields. */
export function validationProblem(where: FieldError["in"], error: z.ZodError): HttpProblem {
  const errors = error.issues.map((issue): FieldError => {
    const name =
      issue.code === "unrecognized_keys" ? issue.keys.join(", ") : issue.path.map(String).join(".") || "(input)";
    return { in: where, name, message: issue.message };
  });
  const first = errors[0];
  return new HttpProblem(400, PROBLEM.validation, "Bad Request", `Invalid ${where} parameter ${first.name}: ${first.message}`, { errors });
}

/** Sends a problem response (with the snapshot's meta when the route read one). */
export function sendProblem(res: Response, problem: HttpProblem, instance?: string): void {
  if (res.headersSent) return;
  for (const [name, value] of Object.entries(problem.extra.headers ?? {})) res.setHeader(name, value);
  const body: Record<string, unknown> = {
    type: problem.type,
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
  };
  if (instance) body.instance = instance;
  if (problem.extra.errors) body.errors = problem.extra.errors;
  if (res.locals.meta) body.meta = res.locals.meta;
  res.status(problem.status).type("application/problem+json").send(JSON.stringify(body));
}

/**
 * 405 for a path the API serves, asked with a method it does not serve there: `Allow` lists the ones it does.
 * @example app.all("/v1/program", methodNotAllowed("GET, HEAD")) // after the GET route
 */
export function methodNotAllowed(allow: string): RequestHandler {
  return (req, res) => {
    const detail = `${req.method} is not served at ${req.path}; use ${allow}.`;
    sendProblem(res, new HttpProblem(405, PROBLEM.methodNotAllowed, "Method Not Allowed", detail, { headers: { Allow: allow } }), req.originalUrl.slice(0, 2048));
  };
}

/** 404 for any path no route matched. */
export const notFoundHandler: RequestHandler = (req, res) => {
  sendProblem(res, notFound(`No resource at ${req.method} ${req.path}.`), req.originalUrl.slice(0, 2048));
};

/**
 * The last middleware: known problems as they are, body-parser and other client errors as 4xx, anything else
 * as a 500 with no detail of the cause (logged with the request id).
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const instance = req.originalUrl.slice(0, 2048);
    if (err instanceof HttpProblem) return sendProblem(res, err, instance);
    const status = typeof (err as { status?: unknown })?.status === "number" ? (err as { status: number }).status : 500;
    if (status === 413) {
      return sendProblem(res, new HttpProblem(413, PROBLEM.payloadTooLarge, "Payload Too Large", "The request body is too large."), instance);
    }
    if (status >= 400 && status < 500) {
      // body-parser's malformed JSON, URIError from a bad percent-encoding, …: the client's fault
      return sendProblem(res, new HttpProblem(status, PROBLEM.validation, "Bad Request", "The request could not be read."), instance);
    }
    logger.error({ err, reqId: (req as { id?: unknown }).id }, "unhandled error");
    sendProblem(res, new HttpProblem(500, PROBLEM.internal, "Internal Server Error", "The server failed to answer; the error was logged."), instance);
  };
}
