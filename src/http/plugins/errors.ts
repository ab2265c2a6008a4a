// Every error leaves as application/problem+json (RFC 9457). Client errors say what was wrong;
// server errors say only that something failed — the details go to the log with the request id.
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { toDatabaseError, type DatabaseErrorKind } from '../../db/driver/errors.ts';
import type { FieldError } from '../../model/bar.ts';
import { fieldErrors } from './validation.ts';

export const PROBLEM_TYPE = 'application/problem+json';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  /** RFC 9457 extension members (a 409's `run_id`). */
  [extension: string]: unknown;
}

export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly errors?: FieldError[],
    readonly headers: Record<string, string> = {},
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'ProblemError';
  }
}

export const invalid = (errors: FieldError[]): ProblemError =>
  new ProblemError(422, `request validation failed: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`, errors);

export function problem(status: number, detail: string, errors?: FieldError[]): Problem {
  return { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, detail, ...(errors ? { errors } : {}) };
}

const ProblemSchema = Type.Object(
  {
    type: Type.String({ examples: ['about:blank'] }),
    title: Type.String({ examples: ['Unprocessable Entity'] }),
    status: Type.Integer({ examples: [422] }),
    detail: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
  },
  { $id: 'Problem', title: 'Problem', description: 'RFC 9457 problem details; some carry extension members (a 409 of the ETL names `run_id`)', additionalProperties: true },
);

const DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed request', 401: 'Missing or wrong API key', 404: 'Not found', 409: 'Conflict',
  413: 'Body too large', 422: 'Invalid input; `errors` names each bad field', 503: 'Database unavailable',
};

/** Response schema entries for the error statuses a route can answer. */
export function problemResponses(...statuses: number[]): Record<number, unknown> {
  return Object.fromEntries(statuses.map((s) => [s, {
    description: DESCRIPTIONS[s] ?? STATUS_CODES[s],
    content: { [PROBLEM_TYPE]: { schema: Type.Ref('Problem') } },
  }]));
}

// Connection-level failures: the request may succeed once the database is back.
const UNAVAILABLE = new Set<DatabaseErrorKind>(['unavailable', 'connect_timeout']);
// A statement cut by its timeout, a deadlock, a serialization failure, a lock wait given up.
const BUSY = new Set<DatabaseErrorKind>(['timeout', 'deadlock', 'serialization', 'lock_unavailable']);

function toProblem(err: FastifyError & { code?: string }): { problem: Problem; headers: Record<string, string> } {
  if (err instanceof ProblemError) return { problem: { ...problem(err.status, err.detail, err.errors), ...err.extensions }, headers: err.headers };
  if (err.validation) {
    const errors = fieldErrors(err.validation);
    return { problem: problem(422, `request validation failed: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`, errors), headers: {} };
  }
  const { kind } = toDatabaseError(err);
  if (kind === 'check' || kind === 'invalid_input') {
    // The database's own rules caught what validation did not (a CHECK, an out-of-range value).
    return { problem: problem(422, 'the row breaks a data rule of the database'), headers: {} };
  }
  if (kind === 'unique') return { problem: problem(409, 'a row with the same key already exists'), headers: {} };
  if (UNAVAILABLE.has(kind)) return { problem: problem(503, 'the database is unavailable; retry shortly'), headers: { 'retry-after': '5' } };
  // A statement cut by DATABASE_STATEMENT_TIMEOUT_MS, a deadlock or lock wait given up, the request
  // itself past REQUEST_TIMEOUT_MS: nothing wrong with the request, so 503 and a retry.
  if (BUSY.has(kind)) return { problem: problem(503, 'the database is busy; retry shortly'), headers: { 'retry-after': '1' } };
  if (err.code === 'FST_ERR_HANDLER_TIMEOUT') return { problem: problem(503, 'the request took too long to answer; retry shortly'), headers: { 'retry-after': '1' } };
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) return { problem: problem(status, err.message), headers: {} };
  return { problem: problem(500, 'internal server error'), headers: {} };
}

/** The most of a refused body read (and thrown away) so that its client can read the answer. */
const DISCARD_LIMIT = 8 * 1024 * 1024;

/**
 * Reads what is left of a request body, without keeping it, until it ends or `limit` bytes have
 * passed. A body refused unread (413, 415) would otherwise still be arriving when the connection
 * is closed after the answer: the kernel then resets it, and a client still sending sees a
 * broken pipe instead of the answer. Past the limit, or a declared length beyond it, the
 * connection is closed as before: a client sending that much gets no more of our time.
 */
function discardBody(req: IncomingMessage, limit: number): Promise<void> {
  return new Promise((resolve) => {
    if (req.complete || req.destroyed || Number(req.headers['content-length']) > limit) return resolve();
    let seen = 0;
    const done = () => {
      req.off('data', onData).off('end', done).off('close', done).off('error', done);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > limit) done();
    };
    req.on('data', onData).once('end', done).once('close', done).once('error', done);
    req.resume();
  });
}

export function registerErrorHandlers(app: FastifyInstance): void {
  app.addSchema(ProblemSchema);
  app.setErrorHandler(async (err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const { problem: body, headers } = toProblem(err);
    if (body.status >= 500) request.log.error({ err }, 'request failed');
    else request.log.info({ status: body.status, detail: body.detail }, 'request rejected');
    // (Injected requests have no `complete`: they arrive whole.)
    if (request.raw.complete === false) await discardBody(request.raw, DISCARD_LIMIT);
    return reply.code(body.status).headers(headers).type(PROBLEM_TYPE).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).type(PROBLEM_TYPE).send(problem(404, `no route for ${request.method} ${request.url.split("?")[0]!.slice(0, 200)}`)));
}
