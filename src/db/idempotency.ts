import { randomInt } from 'node:crypto';
import { Client, type Pool } from 'pg';

/** How long a key's first response is kept and replayed. */
export const idempotencyRetentionHours = 24;

/**
 * Claims written before claims named their holder (no `holder`) are taken to have died after this
 * long in flight, as they always were; every newer claim is judged by its holder's lock instead.
 */
export const legacyClaimLockSeconds = 120;

/** The first number of the two-number advisory locks that mark live claim holders ("Kass"). */
export const holderLockSpace = 0x4b617373;

export interface IdempotencyScope {
  merchantId: string;
  testMode: boolean;
  key: string;
}

/**
 * The `Idempotency-Key` a create runs under, as the services see it: written into the row it
 * creates (unique per merchant, mode and key). `recovering` says that an earlier request with this
 * key and body died mid-way, so what it made may already exist and is the answer.
 */
export interface IdempotentCreate {
  key: string;
  recovering: boolean;
}

/** Where a key stands when a request arrives with it. */
export type IdempotencyRecord =
  | { state: 'claimed'; claim: string; recovering: boolean }
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

/** SQL: whether the process that holds claim row `k` still lives (its advisory lock is held). */
const holderAlive = `exists (select 1 from pg_locks l
    where l.locktype = 'advisory' and l.database = (select oid from pg_database where datname = current_database())
      and l.classid = ${holderLockSpace}::oid and l.objid = k.holder::oid and l.objsubid = 2 and l.granted)`;

/**
 * Claims `scope` for a request with `requestHash` on behalf of live holder `holder`
 * ({@link ClaimHolder}; `null` when it has no lock), or tells who holds it. The insert is the claim: the primary key lets exactly
 * one of any number of concurrent requests win, and it is the only statement on the common path.
 *
 * A key already there is claimed afresh when it is past retention, or when it is in flight with the
 * same body and its holder is dead: then the claim comes back `recovering`. A holder is dead when
 * its advisory lock is gone, which PostgreSQL decides the moment that process's session ends, so
 * a retry after a crash recovers at once, and a request that is merely slow is never taken over.
 */
export async function claimIdempotencyKey(
  db: Pool,
  scope: IdempotencyScope,
  requestHash: string,
  claim: string,
  holder: number | null,
): Promise<IdempotencyRecord> {
  const params = [scope.merchantId, scope.testMode, scope.key, requestHash, claim, holder];
  const inserted = await db.query(
    `insert into idempotency_keys (merchant_id, test_mode, key, request_hash, state, claim, holder)
     values ($1, $2, $3, $4, 'in_flight', $5, $6) on conflict do nothing`,
    params,
  );
  if (inserted.rowCount === 1) return { state: 'claimed', claim, recovering: false };
  const taken = await db.query<{ recovering: boolean }>(
    `with old as (
       select k.state, k.created_at < now() - make_interval(hours => $7) as expired,
         k.state = 'in_flight' and k.request_hash = $4
           and (case when k.holder is null then k.locked_at < now() - make_interval(secs => $8) else not ${holderAlive} end) as orphaned
       from idempotency_keys k where k.merchant_id = $1 and k.test_mode = $2 and k.key = $3 for update)
     update idempotency_keys k set request_hash = $4, state = 'in_flight', claim = $5, holder = $6, response_status = null,
       response_body = null, created_at = now(), locked_at = now()
     from old
     where k.merchant_id = $1 and k.test_mode = $2 and k.key = $3 and (old.expired or old.orphaned)
     returning old.orphaned and not old.expired as recovering`,
    [...params, idempotencyRetentionHours, legacyClaimLockSeconds],
  );
  if (taken.rows[0]) return { state: 'claimed', claim, recovering: taken.rows[0].recovering };
  const { rows } = await db.query<IdempotencyRow>(
    `select request_hash, state, response_status, response_body from idempotency_keys where merchant_id = $1 and test_mode = $2 and key = $3`,
    [scope.merchantId, scope.testMode, scope.key],
  );
  // Released between the statements: answered as in flight, so the caller tries again.
  return rows[0] ? mapRow(rows[0]) : { state: 'in_flight', requestHash };
}

/**
 * Stores the response of the claimed request (its stored form, see the API middleware), to be
 * replayed for the key's lifetime. False when the claim was no longer this request's (taken over).
 */
export async function completeIdempotencyKey(
  db: Pool,
  scope: IdempotencyScope,
  claim: string,
  response: { status: number; body: string },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `update idempotency_keys set state = 'done', response_status = $5, response_body = $6, holder = null
     where merchant_id = $1 and test_mode = $2 and key = $3 and claim = $4 and state = 'in_flight'`,
    [scope.merchantId, scope.testMode, scope.key, claim, response.status, response.body],
  );
  return rowCount === 1;
}

/** Gives a claim up without a stored response (its request did nothing), so that the key may be used again. */
export async function releaseIdempotencyKey(db: Pool, scope: IdempotencyScope, claim: string) {
  await db.query(
    `delete from idempotency_keys where merchant_id = $1 and test_mode = $2 and key = $3 and claim = $4 and state = 'in_flight'`,
    [scope.merchantId, scope.testMode, scope.key, claim],
  );
}

/**
 * Leaves a claim whose request failed on Kassa's side (a 5xx: it may have done part of its work)
 * for the next request with the key and body to take over at once as a recovery, as if its
 * holder had died: that request then answers with what this one made, or makes it cleanly.
 */
export async function abandonIdempotencyKey(db: Pool, scope: IdempotencyScope, claim: string) {
  await db.query(
    `update idempotency_keys set holder = null, locked_at = '-infinity'
     where merchant_id = $1 and test_mode = $2 and key = $3 and claim = $4 and state = 'in_flight'`,
    [scope.merchantId, scope.testMode, scope.key, claim],
  );
}

/** Drops keys past their retention. */
export async function deleteExpiredIdempotencyKeys(db: Pool): Promise<number> {
  const { rowCount } = await db.query(
    `delete from idempotency_keys where created_at < now() - make_interval(hours => $1)`,
    [idempotencyRetentionHours],
  );
  return rowCount ?? 0;
}

/**
 * One API process's proof of life for the keys it claims: a session of its own that holds the
 * advisory lock `(holderLockSpace, id)` for as long as the process lives. Claims carry the id;
 * a claim whose lock is gone was made by a process that died (killed, crashed, or cut off from
 * PostgreSQL), and a retry of it may take it over deterministically, with no timeout to wait for
 * and no guess about how long a request may take.
 *
 * Why a lock and not a time-based lease: a lease must be long enough for the slowest live request
 * and short enough for a retry after a crash, and nothing is both; any takeover of a live request
 * could run it twice. The lock costs one idle connection per API process and nothing per request.
 * The session sets TCP keepalives, so that even a host that vanished without closing its
 * connections loses its lock within about a minute.
 *
 * The lock's session is one connection beside the pool: where connections are capped (the embedded
 * database accepts 10), the pool must leave one for it. Without a lock, claims carry no holder
 * and are judged by the legacy timeout, and created rows still carry their key.
 *
 * An id is never reused while claims left by a dead holder still name it. If the session is lost
 * while the process lives (PostgreSQL restarted), the next claim takes a new id; claims under the
 * old one count as dead, and the unique key on created rows keeps a takeover from creating twice.
 */
const holderRetryMs = 1000;

interface HolderLease {
  client: Client;
  id: number;
  alive: boolean;
}

export class ClaimHolder {
  private current: Promise<HolderLease> | null = null;
  private closed = false;
  private retryAfter = 0;

  constructor(private readonly db: Pool) {
    // Ends with the pool it belongs to: a pool that is ending removes its idle clients.
    db.on('remove', () => {
      if (db.ending) void this.close();
    });
  }

  /**
   * The id of this process's live lock, taking one on first use or after the session was lost.
   * `null` while no lock can be had (no connection to spare): claims then fall back to the legacy
   * rule, taken over after {@link legacyClaimLockSeconds}; another try comes after a short pause.
   */
  async id(): Promise<number | null> {
    for (;;) {
      if (this.closed) throw new Error('the idempotency claim holder is closed');
      if (Date.now() < this.retryAfter) return null;
      const pending = (this.current ??= this.acquire());
      let lease: HolderLease;
      try {
        lease = await pending;
      } catch (error) {
        if (this.current === pending) {
          this.current = null;
          this.retryAfter = Date.now() + holderRetryMs;
          console.error(`idempotency claims go without a holder lock for now: ${(error as Error).message}`);
        }
        return null;
      }
      if (lease.alive) return lease.id;
      if (this.current === pending) this.current = null;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const current = this.current;
    this.current = null;
    if (current) await current.then(({ client }) => client.end()).catch(() => undefined);
  }

  private async acquire(): Promise<HolderLease> {
    const client = new Client({
      ...this.db.options,
      keepAlive: true,
      connectionTimeoutMillis: 5000,
      application_name: 'kassa idempotency holder',
    });
    const lease: HolderLease = { client, id: 0, alive: true };
    const lost = () => {
      lease.alive = false;
      client.end().catch(() => undefined);
    };
    client.on('error', lost);
    client.on('end', () => (lease.alive = false));
    try {
      await client.connect();
      (client as unknown as { connection?: { stream?: { unref?: () => void } } }).connection?.stream?.unref?.();
      await client
        .query('set tcp_keepalives_idle = 30; set tcp_keepalives_interval = 10; set tcp_keepalives_count = 3')
        .catch(() => undefined);
      for (;;) {
        const id = randomInt(1, 2 ** 31 - 1);
        const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1, $2) as locked', [
          holderLockSpace,
          id,
        ]);
        if (!rows[0]!.locked) continue;
        const leftovers = await client.query(
          `select 1 from idempotency_keys where holder = $1 and state = 'in_flight' limit 1`,
          [id],
        );
        if (leftovers.rowCount === 0) {
          lease.id = id;
          break;
        }
        await client.query('select pg_advisory_unlock($1, $2)', [holderLockSpace, id]);
      }
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      throw new Error('the idempotency claim holder is closed');
    }
    return lease;
  }
}
