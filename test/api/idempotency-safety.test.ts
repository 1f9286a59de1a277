import type { Client } from '@temporalio/client';
import { Pool } from 'pg';
import request from 'supertest';
import {
  ClaimHolder,
  claimIdempotencyKey,
  completeIdempotencyKey,
  type IdempotencyScope,
  releaseIdempotencyKey,
} from '../../src/db/idempotency';
import { migrate } from '../../src/db/migrate';
import { randomToken } from '../../src/domain/ids';
import { idempotencyRequestHash } from '../../src/api/idempotency';
import { createPayment } from '../../src/services/payments';
import { startApiHarness, type ApiHarness, type Merchant } from '../support/merchant-api';
import { createTestDatabase } from '../support/stack';

let database: { url: string; drop(): Promise<void> };
let db: Pool;
let holder: ClaimHolder;
let merchantId: string;
beforeAll(async () => {
  database = await createTestDatabase();
  db = new Pool({ connectionString: database.url, max: 20 });
  await migrate(db);
  merchantId = `mer_${randomToken(12)}`;
  await db.query(`insert into merchants (id, name, email) values ($1, 'Shop', 'shop@example.com')`, [merchantId]);
  holder = new ClaimHolder(db);
}, 60_000);
afterAll(async () => {
  await holder?.close();
  await db?.end();
  await database?.drop();
});

const scope = (key = randomToken(10)): IdempotencyScope => ({ merchantId, testMode: true, key });
const claim = async (at: IdempotencyScope, hash = 'hash-a', by: ClaimHolder = holder) =>
  claimIdempotencyKey(db, at, hash, randomToken(16), await by.id());

/** Another API process: its own pool and its own holder, which it loses when it "dies". */
async function otherProcess() {
  const pool = new Pool({ connectionString: database.url, max: 2 });
  const other = new ClaimHolder(pool);
  return {
    holder: other,
    async die() {
      await other.close();
      await pool.end();
    },
  };
}

describe('claims in PostgreSQL', () => {
  test('of 40 concurrent claims of one key exactly one wins; the others see it in flight', async () => {
    const at = scope();
    const results = await Promise.all(Array.from({ length: 40 }, () => claim(at)));
    expect(results.filter((result) => result.state === 'claimed')).toHaveLength(1);
    expect(results.filter((result) => result.state === 'in_flight')).toHaveLength(39);
  });

  test('a completed claim answers its stored response; another body sees its own hash differ', async () => {
    const at = scope();
    const first = await claim(at);
    if (first.state !== 'claimed') throw new Error('not claimed');
    expect(first.recovering).toBe(false);
    expect(await completeIdempotencyKey(db, at, first.claim, { status: 201, body: 'stored' })).toBe(true);
    expect(await claim(at)).toEqual({ state: 'done', requestHash: 'hash-a', status: 201, body: 'stored' });
    expect(await claim(at, 'hash-b')).toMatchObject({ state: 'done', requestHash: 'hash-a' });
  });

  test('a claim of a live holder is never taken over, however old', async () => {
    const at = scope();
    expect((await claim(at)).state).toBe('claimed');
    await db.query(
      `update idempotency_keys set locked_at = now() - interval '23 hours', created_at = now() - interval '23 hours' where key = $1`,
      [at.key],
    );
    const others = await otherProcess();
    try {
      expect(await claim(at, 'hash-a', others.holder)).toEqual({ state: 'in_flight', requestHash: 'hash-a' });
    } finally {
      await others.die();
    }
  });

  test('a claim whose holder died is taken over at once, by exactly one of 20 concurrent retries, as recovering', async () => {
    const at = scope();
    const others = await otherProcess();
    const dead = await claim(at, 'hash-a', others.holder);
    expect(dead.state).toBe('claimed');
    expect(await claim(at)).toEqual({ state: 'in_flight', requestHash: 'hash-a' });
    await others.die();
    const retries = await Promise.all(Array.from({ length: 20 }, () => claim(at)));
    const won = retries.filter((result) => result.state === 'claimed');
    expect(won).toEqual([expect.objectContaining({ state: 'claimed', recovering: true })]);
    expect(retries.filter((result) => result.state === 'in_flight')).toHaveLength(19);
    // The dead request's own completion, had it come, changes nothing now.
    if (dead.state !== 'claimed') throw new Error('not claimed');
    expect(await completeIdempotencyKey(db, at, dead.claim, { status: 201, body: 'late' })).toBe(false);
    expect(await releaseIdempotencyKey(db, at, dead.claim)).toBeUndefined();
    expect(await claim(at)).toMatchObject({ state: 'in_flight' });
  });

  test("a dead holder's claim with another body is not taken over: the retry is told the key was used otherwise", async () => {
    const at = scope();
    const others = await otherProcess();
    await claim(at, 'hash-a', others.holder);
    await others.die();
    expect(await claim(at, 'hash-b')).toEqual({ state: 'in_flight', requestHash: 'hash-a' });
  });

  test('a released claim (a 400) frees the key; a release never drops a stored answer', async () => {
    const at = scope();
    const first = await claim(at);
    if (first.state !== 'claimed') throw new Error('not claimed');
    await releaseIdempotencyKey(db, at, first.claim);
    const second = await claim(at);
    expect(second).toMatchObject({ state: 'claimed', recovering: false });
    if (second.state !== 'claimed') throw new Error('not claimed');
    await completeIdempotencyKey(db, at, second.claim, { status: 201, body: 'kept' });
    await releaseIdempotencyKey(db, at, second.claim);
    expect(await claim(at)).toMatchObject({ state: 'done', body: 'kept' });
  });

  test('a key past its 24 hours is new again, not a recovery', async () => {
    const at = scope();
    const first = await claim(at);
    if (first.state !== 'claimed') throw new Error('not claimed');
    await completeIdempotencyKey(db, at, first.claim, { status: 201, body: 'old' });
    await db.query(`update idempotency_keys set created_at = now() - interval '25 hours' where key = $1`, [at.key]);
    expect(await claim(at, 'hash-b')).toMatchObject({ state: 'claimed', recovering: false });
  });

  test('a claim written before claims named their holder is taken to have died after 2 minutes in flight', async () => {
    const at = scope();
    await db.query(
      `insert into idempotency_keys (merchant_id, test_mode, key, request_hash, state, claim, locked_at) values ($1, true, $2, 'hash-a', 'in_flight', 'old', now() - interval '1 minute')`,
      [merchantId, at.key],
    );
    expect(await claim(at)).toMatchObject({ state: 'in_flight' });
    await db.query(`update idempotency_keys set locked_at = now() - interval '3 minutes' where key = $1`, [at.key]);
    expect(await claim(at)).toMatchObject({ state: 'claimed', recovering: true });
  });

  test('a holder whose session was cut while its process lives takes a new lock; its earlier claims count as dead', async () => {
    const pool = new Pool({ connectionString: database.url, max: 2 });
    const cut = new ClaimHolder(pool);
    try {
      const at = scope();
      const before = await cut.id();
      await claimIdempotencyKey(db, at, 'hash-a', 'c1', before);
      await db.query(
        `select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'kassa idempotency holder' and pid in (
        select pid from pg_locks where locktype = 'advisory' and objid = $1::oid and objsubid = 2)`,
        [before],
      );
      const deadline = Date.now() + 5000;
      let after = before;
      while (after === before && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        after = await cut.id();
      }
      expect(after).not.toBe(before);
      expect(await claim(at)).toMatchObject({ state: 'claimed', recovering: true });
    } finally {
      await cut.close();
      await pool.end();
    }
  });

  test('a holder that cannot get a session answers no id at once, and its claims fall back to the 2-minute rule', async () => {
    const nowhere = new Pool({ connectionString: 'postgres://kassa@127.0.0.1:1/kassa', max: 1 });
    const lonely = new ClaimHolder(nowhere);
    try {
      const started = Date.now();
      expect(await lonely.id()).toBeNull();
      expect(await lonely.id()).toBeNull();
      expect(Date.now() - started).toBeLessThan(3000);
      const at = scope();
      expect(await claimIdempotencyKey(db, at, 'hash-a', 'c1', null)).toMatchObject({ state: 'claimed' });
      expect(await claim(at)).toMatchObject({ state: 'in_flight' });
      await db.query(`update idempotency_keys set locked_at = now() - interval '3 minutes' where key = $1`, [at.key]);
      expect(await claim(at)).toMatchObject({ state: 'claimed', recovering: true });
    } finally {
      await lonely.close();
      await nowhere.end();
    }
  });

  test('the holder ends with its pool: no session of it is left behind', async () => {
    const pool = new Pool({ connectionString: database.url, max: 2 });
    const ending = new ClaimHolder(pool);
    const id = await ending.id();
    await pool.query('select 1');
    await pool.end();
    const deadline = Date.now() + 5000;
    let left = 1;
    while (left > 0 && Date.now() < deadline) {
      left = (
        await db.query(
          `select count(*)::int as n from pg_locks where locktype = 'advisory' and objid = $1::oid and objsubid = 2`,
          [id],
        )
      ).rows[0].n;
      if (left) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(left).toBe(0);
  });
});

describe('created rows carry their key', () => {
  test('a second payout under one merchant, mode and key is refused by PostgreSQL; payments and refunds have the same constraint', async () => {
    const key = randomToken(10);
    const payout = (mode: boolean) =>
      db.query(
        `insert into payouts (id, merchant_id, test_mode, amount_minor, currency, destination_type, destination_wallet, status, provider, idempotency_key)
         values ($1, $2, $3, 100, 'RUB', 'wallet', 'w-1', 'pending', 'sandbox', $4)`,
        [`po_${randomToken(10)}`, merchantId, mode, key],
      );
    await payout(true);
    await payout(false);
    await expect(payout(true)).rejects.toMatchObject({ code: '23505', constraint: 'payouts_idempotency_key' });
    const constraints = await db.query(
      `select conrelid::regclass::text as rel, pg_get_constraintdef(oid) as def from pg_constraint where conname like '%_idempotency_key' order by 1`,
    );
    expect(constraints.rows).toEqual(
      ['payments', 'payouts', 'refunds'].map((rel) => ({
        rel,
        def: 'UNIQUE (merchant_id, test_mode, idempotency_key)',
      })),
    );
  });
});

describe('the API after the process holding a key died mid-POST /v1/payments', () => {
  let harness: ApiHarness;
  let merchant: Merchant;
  beforeAll(async () => {
    harness = await startApiHarness();
    merchant = await harness.merchant();
  }, 60_000);
  afterAll(async () => {
    await harness?.close();
  });

  const send = (key: string, body: object) =>
    request(harness.app)
      .post('/v1/payments')
      .set('authorization', `Bearer ${merchant.testKey}`)
      .set('idempotency-key', key)
      .send(body);
  const principal = () => ({ merchantId: merchant.id, testMode: true, keyId: 'key' }) as never;

  /** What a process killed mid-request leaves: the key claimed by a holder whose lock is gone. */
  /** The service's input for a body the API would take. */
  const asInput = (body: {
    checkout_id: string;
    order_id: string;
    amount: string;
    currency: string;
    description: string;
  }) => ({
    checkoutId: body.checkout_id,
    orderId: body.order_id,
    amount: body.amount,
    currency: body.currency,
    description: body.description,
  });
  const deadClaim = (key: string, body: unknown) =>
    harness.db.query(
      `insert into idempotency_keys (merchant_id, test_mode, key, request_hash, state, claim, holder) values ($1, true, $2, $3, 'in_flight', 'dead', 2147483000)`,
      [merchant.id, key, idempotencyRequestHash('POST', '/v1/payments', body)],
    );

  test('if the dead request created the payment, the retry answers 201 with that payment, then replays it', async () => {
    const body = {
      checkout_id: merchant.testCheckout.id,
      order_id: 'CRASH-1',
      amount: '7.00',
      currency: 'RUB',
      description: 'x',
    };
    const made = await createPayment(harness.deps, principal(), asInput(body), { key: 'crash-1', recovering: false });
    await deadClaim('crash-1', body);
    const retry = await send('crash-1', body);
    expect(retry.status).toBe(201);
    expect(retry.body).toMatchObject({
      id: made.id,
      object: 'payment',
      order_id: 'CRASH-1',
      amount: '7.00',
      status: 'awaiting_method',
    });
    const again = await send('crash-1', body);
    expect(again).toMatchObject({ status: 201, body: retry.body });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(
      (await harness.db.query(`select count(*)::int as n from payments where order_id = 'CRASH-1'`)).rows[0].n,
    ).toBe(1);
  });

  test('if the dead request created nothing, the retry creates the payment cleanly, carrying the key', async () => {
    const body = {
      checkout_id: merchant.testCheckout.id,
      order_id: 'CRASH-2',
      amount: '7.00',
      currency: 'RUB',
      description: 'x',
    };
    await deadClaim('crash-2', body);
    const retry = await send('crash-2', body);
    expect(retry.status).toBe(201);
    expect(
      (await harness.db.query(`select id, idempotency_key from payments where order_id = 'CRASH-2'`)).rows,
    ).toEqual([{ id: retry.body.id, idempotency_key: 'crash-2' }]);
  });

  test('a key that meets a payment of another request in its row is a 422, never a second payment', async () => {
    const body = {
      checkout_id: merchant.testCheckout.id,
      order_id: 'CRASH-3',
      amount: '7.00',
      currency: 'RUB',
      description: 'x',
    };
    await createPayment(harness.deps, principal(), asInput(body), { key: 'crash-3', recovering: false });
    const other = await send('crash-3', { ...body, order_id: 'CRASH-3b' });
    expect(other.status).toBe(422);
    expect(other.body.error).toMatchObject({ code: 'idempotency_key_reused', param: 'Idempotency-Key' });
    expect(
      (await harness.db.query(`select count(*)::int as n from payments where order_id like 'CRASH-3%'`)).rows[0].n,
    ).toBe(1);
  });

  test('a retry of a payment whose key is in its row but whose answer was lost gets that payment, not order_exists', async () => {
    const body = {
      checkout_id: merchant.testCheckout.id,
      order_id: 'CRASH-4',
      amount: '7.00',
      currency: 'RUB',
      description: 'x',
    };
    const made = await createPayment(harness.deps, principal(), asInput(body), { key: 'crash-4', recovering: false });
    const retry = await send('crash-4', body);
    expect(retry).toMatchObject({ status: 201, body: { id: made.id } });
  });
});

describe("a request that failed on Kassa's side after creating its payment", () => {
  test('answers 500 once; the retry with the key answers 201 with that payment, its workflow started, and that is what replays', async () => {
    let failStarts = 1;
    const started: string[] = [];
    const flakyTemporal = {
      workflow: {
        start: async (_type: string, options: { workflowId: string }) => {
          if (failStarts-- > 0) throw new Error('Temporal is unavailable');
          started.push(options.workflowId);
          return {};
        },
        getHandle: () => ({}),
      },
    } as unknown as Client;
    const harness = await startApiHarness({}, flakyTemporal);
    try {
      const merchant = await harness.merchant();
      const body = {
        checkout_id: merchant.testCheckout.id,
        order_id: 'FAIL-1',
        amount: '3.00',
        currency: 'RUB',
        description: 'x',
      };
      const send = () =>
        request(harness.app)
          .post('/v1/payments')
          .set('authorization', `Bearer ${merchant.testKey}`)
          .set('idempotency-key', 'fail-1')
          .send(body);
      const failed = await send();
      expect(failed.status).toBe(500);
      const retried = await send();
      expect(retried.status).toBe(201);
      const { rows } = await harness.db.query(`select id, idempotency_key from payments where order_id = 'FAIL-1'`);
      expect(rows).toEqual([{ id: retried.body.id, idempotency_key: 'fail-1' }]);
      expect(started).toEqual([`payment-${retried.body.id}`]);
      const replay = await send();
      expect(replay).toMatchObject({ status: 201, body: retried.body });
      expect(replay.headers['idempotent-replayed']).toBe('true');
    } finally {
      await harness.close();
    }
  });
});
