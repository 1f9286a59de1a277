import { createHash } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Pool } from 'pg';
import {
  abandonIdempotencyKey,
  ClaimHolder,
  claimIdempotencyKey,
  completeIdempotencyKey,
  deleteExpiredIdempotencyKeys,
  type IdempotencyScope,
  type IdempotentCreate,
  releaseIdempotencyKey,
} from '../db/idempotency';
import { DomainError, invalid } from '../domain/errors';
import { randomToken } from '../domain/ids';
import { decryptWithKeys, encryptSecret, notificationsKey } from '../notifications/secrets';
import { idempotencyKeyReused } from '../services/payments';
import { principalOf } from './auth';
import { ApiError } from './errors';

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

/** What makes two requests with one key the same request: method, path and body (key order aside). */
export const idempotencyRequestHash = (method: string, pathname: string, body: unknown) =>
  createHash('sha256')
    .update(`${method} ${pathname}\n${canonicalJson(body ?? null)}`)
    .digest('hex');

const requestHash = (req: Request) => idempotencyRequestHash(req.method, req.originalUrl.split('?')[0]!, req.body);

const purgeEveryMs = 3_600_000;
const storeRetryMs = [100, 500, 1000, 2000, 5000];
const storeAttempts = 720;
/** How long an answer waits for PostgreSQL to store it before it is sent anyway (the store goes on). */
const answerWaitMs = 5000;

/** What the encryption of stored answers needs of the configuration. */
export interface StoredAnswerKeyConfig {
  notifications: { key: Buffer | null; previousKeys?: Buffer[] };
  dataDir: string;
}

/** The AES-GCM additional data of a stored answer: it decrypts only under its own merchant, mode and key. */
const answerOwner = (scope: IdempotencyScope) =>
  `idempotency/${scope.merchantId}/${scope.testMode ? 'test' : 'live'}/${scope.key}`;

/** The key a create runs under, for the service to write into the row it makes; none without `Idempotency-Key`. */
export const idempotencyOf = (res: { locals: Record<string, unknown> }) =>
  res.locals.idempotency as IdempotentCreate | undefined;

/**
 * `Idempotency-Key` on the merchant API's `POST`s, per merchant and mode, in PostgreSQL. Mount
 * after authentication.
 *
 * - The first request claims the key (one insert wins, however many arrive at once) and its answer
 *   is stored, whatever happens to the client's connection: a claim is never given up while its
 *   request may still run. The same key and body then replay the answer (`idempotent-replayed:
 *   true`), another body is `422`, and while the first still runs `409`. A `400` is not stored:
 *   nothing was done, so the same key may be retried with a fixed body. Nor is a `5xx`: the request
 *   may have done part of its work, so the next one with the key and body runs as a recovery (below)
 *   and answers with what was made, rather than replaying an error forever.
 * - After the API process that held a claim died, the next request with the key and body takes the
 *   claim over at once ({@link ClaimHolder} tells a dead holder from a slow one) and runs
 *   `recovering`: the services then answer with the object the dead request created under the key
 *   (which they find by the key written in its row), or create it cleanly if nothing was created.
 * - Stored answers are encrypted at rest (AES-256-GCM under the notifications key, bound to the
 *   merchant, mode and key), since some hold a secret (a checkout's `webhook_secret`). Without
 *   `config` they are stored as they are; answers stored as plain JSON before still replay.
 */
export function idempotency(db: Pool, config?: StoredAnswerKeyConfig): RequestHandler {
  let lastPurge = 0;
  const holder = new ClaimHolder(db);
  const seal = (scope: IdempotencyScope, body: string) =>
    config ? encryptSecret(notificationsKey(config), body, answerOwner(scope)) : body;
  const unseal = (scope: IdempotencyScope, stored: string) => {
    if (!stored.startsWith('v1.')) return stored;
    if (!config) throw unreadable();
    try {
      const keys = [notificationsKey(config), ...(config.notifications.previousKeys ?? [])];
      return decryptWithKeys(keys, stored, answerOwner(scope));
    } catch {
      throw unreadable();
    }
  };

  /**
   * Settles the claim by the answer, retrying while PostgreSQL cannot take it (up to about an hour):
   * until then the key stays claimed (409), never free.
   */
  async function store(scope: IdempotencyScope, claim: string, status: number, body: string) {
    for (let attempt = 0; attempt < storeAttempts; attempt++) {
      try {
        if (status === 400) await releaseIdempotencyKey(db, scope, claim);
        else if (status >= 500) await abandonIdempotencyKey(db, scope, claim);
        else await completeIdempotencyKey(db, scope, claim, { status, body: seal(scope, body) });
        return;
      } catch (error) {
        if (attempt === 0)
          console.error(`storing the answer for an Idempotency-Key, will retry: ${(error as Error).message}`);
        await new Promise((resolve) =>
          setTimeout(resolve, storeRetryMs[Math.min(attempt, storeRetryMs.length - 1)]).unref(),
        );
      }
    }
    console.error('gave up storing the answer for an Idempotency-Key: its key stays claimed until this process ends');
  }

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
    const record = await claimIdempotencyKey(db, scope, hash, randomToken(24), await holder.id());
    if (record.state !== 'claimed') {
      if (record.requestHash !== hash) {
        throw idempotencyKeyReused();
      }
      if (record.state === 'in_flight') {
        throw new DomainError(
          'conflict',
          'idempotency_key_in_use',
          'A request with this Idempotency-Key is still running; retry later',
          'Idempotency-Key',
        );
      }
      const body = unseal(scope, record.body);
      res.status(record.status).set('idempotent-replayed', 'true').type('json').send(body);
      return;
    }
    const { claim, recovering } = record;
    res.locals.idempotency = { key, recovering } satisfies IdempotentCreate;
    let answered = false;
    const send = res.json.bind(res);
    res.json = (body: unknown) => {
      if (answered) return send(body);
      answered = true;
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise((resolve) => (timer = setTimeout(resolve, answerWaitMs)));
      void Promise.race([store(scope, claim, res.statusCode, JSON.stringify(body)), waited]).then(() => {
        clearTimeout(timer);
        send(body);
      });
      return res;
    };
    next();
  };
}

const unreadable = () =>
  new ApiError(
    500,
    'api_error',
    'idempotent_answer_unreadable',
    'The stored answer for this Idempotency-Key cannot be read with the current key; retry with a new Idempotency-Key',
  );
