import type { ErrorRequestHandler } from 'express';
import { z } from 'zod';
import { markup, sendPage } from './pages';

/** An answer other than success: the JSON error under `/api` and `/card-tokens`, a page elsewhere. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly code: string,
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

export function notFound(message: string, param?: string): ApiError {
  return new ApiError(404, 'invalid_request_error', 'not_found', message, param);
}

export function invalidRequest(code: string, message: string, param?: string): ApiError {
  return new ApiError(400, 'invalid_request_error', code, message, param);
}

export function idempotencyMismatch(): ApiError {
  return new ApiError(
    422,
    'idempotency_error',
    'idempotency_mismatch',
    'this Idempotency-Key was used with a different body',
    'Idempotency-Key',
  );
}

/** Parses `input` or throws the first issue as `unknown_field`, `missing_field`, `invalid_field` or `invalid_body`. */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    throw invalidRequest('unknown_field', `${key} is not a known field`, key);
  }
  if (issue.path.length === 0) throw invalidRequest('invalid_body', 'the body must be a JSON object');
  const param = issue.path.join('.');
  const missing = issue.code === 'invalid_type' && input !== null && typeof input === 'object' && !(param in input);
  if (missing) throw invalidRequest('missing_field', `${param} is required`, param);
  throw invalidRequest('invalid_field', `${param}: ${issue.message}`, param);
}

function asApiError(err: unknown, onInternal: (err: unknown) => void): ApiError {
  if (err instanceof ApiError) return err;
  if ((err as { type?: unknown }).type === 'entity.parse.failed') {
    return invalidRequest('invalid_json', 'the body is not valid JSON');
  }
  const status = (err as { status?: unknown }).status;
  if (typeof status === 'number' && status < 500) {
    return new ApiError(status, 'invalid_request_error', `http_${status}`, (err as Error).message);
  }
  onInternal(err);
  return new ApiError(500, 'api_error', 'internal_error', 'internal error');
}

/** The one error middleware: JSON `{error:{type,code,message,param?}}` for the API, an HTML page for the buyer. */
export function errorHandler(log: (line: string) => void): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const error = asApiError(err, () =>
      log(`internal error on ${req.method} ${req.originalUrl}: ${err instanceof Error ? err.stack : String(err)}`),
    );
    if (res.headersSent) return;
    const api = req.originalUrl.startsWith('/api') || req.originalUrl.startsWith('/card-tokens');
    if (!api) return sendPage(res, error.status, 'Error', markup`<h1>${error.message}</h1>`);
    res.status(error.status).json({
      error: {
        type: error.type,
        code: error.code,
        message: error.message,
        ...(error.param !== undefined && { param: error.param }),
      },
    });
  };
}
