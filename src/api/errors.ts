import type { ErrorRequestHandler } from 'express';
import { ZodError } from 'zod';
import { isDatabaseUnavailable } from '../db/pool';
import { DomainError, type DomainErrorKind } from '../domain/errors';
import { currentRequest } from '../observability/request-scope';

export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'not_found_error'
  | 'conflict_error'
  | 'rate_limit_error'
  | 'api_error';

/** An error with its place in the contract's JSON shape `{"error":{type,code,message,param}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: ErrorType,
    readonly code: string,
    message: string,
    readonly param?: string,
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const statusOf: Record<DomainErrorKind, [number, ErrorType]> = {
  invalid: [400, 'invalid_request_error'],
  unauthenticated: [401, 'authentication_error'],
  not_found: [404, 'not_found_error'],
  conflict: [409, 'conflict_error'],
  unprocessable: [422, 'invalid_request_error'],
  unavailable: [503, 'api_error'],
};

/** The HTTP status a domain error's kind answers, everywhere (JSON and pages alike). */
export const statusOfDomainError = (kind: DomainErrorKind): number => statusOf[kind][0];

/** An error the contract knows (an API error or a domain error) in its HTTP form; `null` for anything else. */
export function knownApiError(error: unknown): ApiError | null {
  if (error instanceof ApiError) return error;
  if (!(error instanceof DomainError)) return null;
  const [status, type] = statusOf[error.kind];
  return new ApiError(status, type, error.code, error.message, error.param, error.extra);
}

export function zodToApiError(error: ZodError): ApiError {
  const issue = error.issues[0]!;
  const param = issue.path.join('.') || 'body';
  const code =
    issue.code === 'unrecognized_keys'
      ? 'parameter_unknown'
      : issue.code === 'invalid_type' && issue.input === undefined
        ? 'parameter_missing'
        : 'parameter_invalid';
  const unknown =
    issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path, key].join('.')).join(', ') : undefined;
  const detail = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
  return new ApiError(400, 'invalid_request_error', code, `${unknown ?? param}: ${detail}`, unknown ?? param);
}

/** The one place errors become HTTP answers: the database away is a 503 with `Retry-After`, anything unexpected a logged 500. */
export const errorHandler: ErrorRequestHandler = (error, req, res, _next) => {
  let apiError: ApiError;
  const known = knownApiError(error);
  if (known) apiError = known;
  else if (error instanceof ZodError) apiError = zodToApiError(error);
  else if (error?.type === 'entity.parse.failed')
    apiError = new ApiError(400, 'invalid_request_error', 'body_invalid', 'The body is not valid JSON', 'body');
  else if (error?.type === 'entity.too.large')
    apiError = new ApiError(413, 'invalid_request_error', 'body_too_large', 'The body is too large', 'body');
  else if (isDatabaseUnavailable(error)) {
    res.set('retry-after', '5');
    apiError = new ApiError(
      503,
      'api_error',
      'service_unavailable',
      'The service is briefly unavailable; retry in a few seconds (with the same Idempotency-Key)',
    );
  } else if (typeof error?.status === 'number' && error.status >= 400 && error.status < 500) {
    apiError = new ApiError(
      error.status,
      'invalid_request_error',
      'request_invalid',
      String(error.message ?? 'Bad request'),
    );
  } else {
    const log = currentRequest()?.log;
    if (log)
      log.error({ err: error, method: req.method, path: req.path }, `unhandled error on ${req.method} ${req.path}`);
    else console.error(`unhandled error on ${req.method} ${req.path}: ${error?.stack ?? error}`);
    apiError = new ApiError(500, 'api_error', 'internal_error', 'Something went wrong on our side');
  }
  res.status(apiError.status).json({
    error: {
      type: apiError.type,
      code: apiError.code,
      message: apiError.message,
      param: apiError.param,
      ...apiError.extra,
    },
  });
};
