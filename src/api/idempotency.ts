import { createHash } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Pool } from 'pg';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  deleteExpiredIdempotencyKeys,
  type IdempotencyScope,
  releaseIdempotencyKey,
} from '../db/idempotency';
import { randomToken } from '../domain/ids';
import { principalOf } from './auth';
import { ApiError, invalid } from './errors';

/** JSON with object keys sorted, so that key order does not make two bodies differ. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const requestHash = (req: Request) =>
  createHash('sha256').update(`${req.method} ${req.originalUrl.split('?')[0]}\n${canonicalJson(req.body ?? null)}`).digest('hex');

const purgeEveryMs = 3_600_000;

/**
 * `Idempotency-Key` on the merchant API's `POST`s (CONTRACT §4), per merchant and mode, in
 * PostgreSQL: the first request claims the key (one insert wins, however many arrive at once)
 * and its answer is stored; the same key and body then replay it, another body is `422`, and
 * while the first still runs `409`. A `400` is not stored (nothing was done; fix and retry with
 * the same key). Mount after authentication.
 */
export function idempotency(db: Pool): RequestHandler {
  let lastPurge = 0;
  return async (req, res, next) => {
    const key = req.get('idempotency-key');
    if (req.method !== 'POST' || key === undefined) return next();
    if (key.length < 1 || key.length > 255) {
      throw invalid('Idempotency-Key', 'Idempotency-Key must be 1 to 255 characters', 'idempotency_key_invalid');
    }
    if (Date.now() - lastPurge > purgeEveryMs) {
      lastPurge = Date.now();
      deleteExpiredIdempotencyKeys(db).catch((error) => console.error(`purging idempotency keys: ${error.message}`));
    }
    const { merchantId, testMode } = principalOf(res);
    const scope: IdempotencyScope = { merchantId, testMode, key };
    const hash = requestHash(req);
    const record = await claimIdempotencyKey(db, scope, hash, randomToken(24));
    if (record.state !== 'claimed') {
      if (record.requestHash !== hash) {
        throw new ApiError(422, 'invalid_request_error', 'idempotency_key_reused', 'This Idempotency-Key was used with another request', 'Idempotency-Key');
      }
      if (record.state === 'in_flight') {
        throw new ApiError(409, 'conflict_error', 'idempotency_key_in_use', 'A request with this Idempotency-Key is still running; retry later', 'Idempotency-Key');
      }
      res.status(record.status).set('idempotent-replayed', 'true').type('json').send(record.body);
      return;
    }
    const { claim } = record;
    let settled = false;
    const send = res.json.bind(res);
    res.json = (body: unknown) => {
      if (settled) return send(body);
      settled = true;
      const status = res.statusCode;
      const saved =
        status === 400 ? releaseIdempotencyKey(db, scope, claim) : completeIdempotencyKey(db, scope, claim, { status, body: JSON.stringify(body) });
      saved
        .catch((error) => console.error(`storing the answer for Idempotency-Key ${key}: ${error.message}`))
        .finally(() => send(body));
      return res;
    };
    res.on('close', () => {
      if (settled) return;
      settled = true;
      releaseIdempotencyKey(db, scope, claim).catch(() => undefined);
    });
    next();
  };
}
