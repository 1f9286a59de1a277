import type { Request, RequestHandler } from 'express';
import { ApiError } from './errors';

/** The content types the API reads bodies of (as `express.json` is told in the app). */
export const jsonBodyTypes = ['application/json', 'application/*+json'];

const carriesBody = (req: Request) =>
  req.headers['transfer-encoding'] !== undefined ||
  (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');

/**
 * Refuses a request that carries a body the JSON parser did not read, before anything acts on it
 * (the `Idempotency-Key` claim included). Of another content type it is `415`. Of JSON it was not
 * read because the client's connection closed first (the parser skips a request that has ended):
 * `400`, never claimed, so the client's retry with the same key runs as the first request. Without
 * this a route that takes a missing body as empty would act on a body it never saw: a refund of
 * `{"amount":"1.00"}` became a refund of the whole rest.
 */
export function refuseUnreadBody(): RequestHandler {
  return (req, _res, next) => {
    if (req.body !== undefined || !carriesBody(req)) return next();
    if (!req.is(jsonBodyTypes))
      return next(
        new ApiError(
          415,
          'invalid_request_error',
          'content_type_unsupported',
          'The body must be JSON, sent with Content-Type: application/json',
          'Content-Type',
        ),
      );
    next(
      new ApiError(
        400,
        'invalid_request_error',
        'body_unread',
        'The connection closed before the body was read; send the request again',
        'body',
      ),
    );
  };
}
