import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { CallbackSender } from './callbacks';
import { ApiError, invalidRequest } from './errors';
import type { FaultBook } from './faults';
import { idempotencyKeySchema } from './schemas';
import type { SandboxStore } from './store';

/** What every route works with: the state, the faults in force and the callback sender. */
export interface SandboxContext {
  store: SandboxStore;
  faults: FaultBook;
  callbacks: CallbackSender;
  log: (line: string) => void;
}

/** `Authorization: Bearer <apiKey>`, compared in constant time. */
export function requireApiKey(apiKey: string): RequestHandler {
  const expected = createHash('sha256').update(apiKey).digest();
  return (req, _res, next) => {
    const match = /^Bearer (.+)$/.exec(req.get('authorization') ?? '');
    const given = createHash('sha256')
      .update(match?.[1] ?? '')
      .digest();
    if (!match || !timingSafeEqual(given, expected)) {
      throw new ApiError(
        401,
        'auth_error',
        'unauthorized',
        'a valid "Authorization: Bearer <api key>" header is required',
      );
    }
    next();
  };
}

/** The `Idempotency-Key` every create takes: required, at most 255 characters. */
export function idempotencyKeyOf(req: Request): string {
  const key = req.get('idempotency-key');
  if (key === undefined || key.length === 0) {
    throw invalidRequest('missing_field', 'the Idempotency-Key header is required', 'Idempotency-Key');
  }
  if (!idempotencyKeySchema.safeParse(key).success) {
    throw invalidRequest('invalid_field', 'Idempotency-Key is longer than 255 characters', 'Idempotency-Key');
  }
  return key;
}
