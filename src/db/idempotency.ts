import type { Pool } from 'pg';

/** How long a key's first response is kept and replayed. */
export const idempotencyRetentionHours = 24;

/** A request still marked in flight after this long is taken to have died; its key may be claimed again. */
export const idempotencyLockSeconds = 120;

export interface IdempotencyScope {
  merchantId: string;
  testMode: boolean;
  key: string;
}

/** Where a key stands when a request arrives with it. */
export type IdempotencyRecord =
  | { state: 'claimed'; claim: string }
  | { state: 'in_flight'; requestHash: string }
  | { state: 'done'; requestHash: string; status: number; body: string };

interface IdempotencyRow {
  request_hash: string;
  state: 'in_flight' | 'done';
  response_status: number | null;
  response_body: string;
}

const mapRow = (row: IdempotencyRow): IdempotencyRecord =>
  row.state === 'done'
    ? { state: 'done', requestHash: row.request_hash, status: row.response_status!, body: row.response_body }
    : { state: 'in_flight', requestHash: row.request_hash };

/**
 * Claims `scope` for a request with `requestHash`, or tells who holds it. The insert is the claim:
 * the primary key lets exactly one of any number of concurrent requests win. An expired key, or one
 * whose request died in flight with the same body, is claimed afresh.
 */
export async function claimIdempotencyKey(db: Pool, scope: IdempotencyScope, requestHash: string, claim: string): Promise<IdempotencyRecord> {
  const params = [scope.merchantId, scope.testMode, scope.key, requestHash, claim];
  const inserted = await db.query(
    `insert into idempotency_keys (merchant_id, test_mode, key, request_hash, state, claim)
     values ($1, $2, $3, $4, 'in_flight', $5) on conflict do nothing`,
    params,
  );
  if (inserted.rowCount === 1) return { state: 'claimed', claim };
  const taken = await db.query(
    `update idempotency_keys set request_hash = $4, state = 'in_flight', claim = $5, response_status = null,
       response_body = null, created_at = now(), locked_at = now()
     where merchant_id = $1 and test_mode = $2 and key = $3
       and (created_at < now() - make_interval(hours => $6)
         or (state = 'in_flight' and request_hash = $4 and locked_at < now() - make_interval(secs => $7)))`,
    [...params, idempotencyRetentionHours, idempotencyLockSeconds],
  );
  if (taken.rowCount === 1) return { state: 'claimed', claim };
  const { rows } = await db.query<IdempotencyRow>(
    `select request_hash, state, response_status, response_body from idempotency_keys where merchant_id = $1 and test_mode = $2 and key = $3`,
    [scope.merchantId, scope.testMode, scope.key],
  );
  // Released between the statements: answered as in flight, so the caller tries again.
  return rows[0] ? mapRow(rows[0]) : { state: 'in_flight', requestHash };
}

/** Stores the response of the claimed request (its exact JSON text), to be replayed for the key's lifetime. */
export async function completeIdempotencyKey(db: Pool, scope: IdempotencyScope, claim: string, response: { status: number; body: string }) {
  await db.query(
    `update idempotency_keys set state = 'done', response_status = $5, response_body = $6
     where merchant_id = $1 and test_mode = $2 and key = $3 and claim = $4`,
    [scope.merchantId, scope.testMode, scope.key, claim, response.status, response.body],
  );
}

/** Gives a claim up without a stored response, so that the key may be used again. */
export async function releaseIdempotencyKey(db: Pool, scope: IdempotencyScope, claim: string) {
  await db.query(
    `delete from idempotency_keys where merchant_id = $1 and test_mode = $2 and key = $3 and claim = $4 and state = 'in_flight'`,
    [scope.merchantId, scope.testMode, scope.key, claim],
  );
}

/** Drops keys past their retention. */
export async function deleteExpiredIdempotencyKeys(db: Pool): Promise<number> {
  const { rowCount } = await db.query(`delete from idempotency_keys where created_at < now() - make_interval(hours => $1)`, [
    idempotencyRetentionHours,
  ]);
  return rowCount ?? 0;
}
