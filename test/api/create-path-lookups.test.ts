import net from 'node:net';
import type { Express } from 'express';
import { Client, Pool } from 'pg';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { listenForLookupChanges } from '../../src/db/lookup-invalidation';
import { hashApiKey } from '../../src/db/merchants';
import { LookupCache, startLookupCache } from '../../src/services/lookup-cache';
import { sweepUnstarted } from '../../src/temporal/outbox';
import { StartedMarks } from '../../src/temporal/started-marks';
import { paymentBody } from '../support/stack';
import { type ApiHarness, type Merchant, startApiHarness } from '../support/merchant-api';

let harness: ApiHarness;
let dbB: Pool;
/**
 * Two API processes on one database, each with its cache listening: A on the harness's pool, B on its
 * own. `heard` is every change each cache was told of, by its own process or by a database notice.
 */
let one: { app: Express; lookups: LookupCache; heard: string[]; stop: () => Promise<void> };
let other: { app: Express; lookups: LookupCache; heard: string[]; stop: () => Promise<void> };

async function until(condition: () => boolean, what: string) {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > 5000) throw new Error(`still waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

beforeAll(async () => {
  harness = await startApiHarness();
  dbB = new Pool({ connectionString: harness.db.options.connectionString, max: 4 });
  const a = startLookupCache(harness.db);
  const b = startLookupCache(dbB);
  one = { app: createApp({ ...harness.deps, lookups: a.lookups }), heard: recorded(a.lookups), ...a };
  other = { app: createApp({ ...harness.deps, db: dbB, lookups: b.lookups }), heard: recorded(b.lookups), ...b };
  await until(() => a.lookups.serving && b.lookups.serving, 'both caches to listen');
}, 60_000);
afterAll(async () => {
  await one?.stop();
  await other?.stop();
  await dbB?.end();
  await harness?.close();
});

function recorded(lookups: LookupCache) {
  const heard: string[] = [];
  const drop = lookups.changed.bind(lookups);
  lookups.changed = (message) => (heard.push(message), drop(message));
  return heard;
}

/**
 * Waits until the other process's cache has the database's notice of a change: the notice reaches it
 * a few milliseconds after the commit, over its own connection, so no answer can promise more.
 */
const hears = (process: { heard: string[] }, message: string) =>
  until(() => process.heard.includes(message), `the notice of ${message}`);

const create = (app: Express, key: string, body: object) =>
  request(app).post('/v1/payments').set('authorization', `Bearer ${key}`).send(body);

async function keyIdOf(key: string) {
  const { rows } = await harness.db.query<{ id: string }>('select id from api_keys where key_hash = $1', [
    hashApiKey(key),
  ]);
  return rows[0]!.id;
}

/** Counts every statement any pg client sends while `run` runs. */
async function queriesDuring(run: () => Promise<unknown>) {
  const spy = jest.spyOn(Client.prototype, 'query');
  try {
    await run();
    return spy.mock.calls.map(([statement]) =>
      typeof statement === 'string' ? statement : (statement as { text: string }).text,
    );
  } finally {
    spy.mockRestore();
  }
}

describe('the create path', () => {
  let merchant: Merchant;
  beforeAll(async () => {
    merchant = await harness.merchant();
  });

  it('makes a payment in two database round trips once the key and the checkout are kept', async () => {
    expect((await create(one.app, merchant.testKey, paymentBody(merchant.testCheckout.id))).status).toBe(201);
    const statements = await queriesDuring(async () => {
      const created = await create(one.app, merchant.testKey, paymentBody(merchant.testCheckout.id));
      expect(created.status).toBe(201);
    });
    expect(statements).toHaveLength(2);
    expect(statements[0]).toMatch(/^\s*insert into payments/i);
  });

  it('answers once the workflow has started, writing the started marks afterwards, those that wait together', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const marking: unknown[][] = [];
    const gated = {
      query: async (...args: unknown[]) => {
        marking.push(args);
        await gate;
        return (harness.db.query as (...a: unknown[]) => Promise<unknown>)(...args);
      },
    } as unknown as Pool;
    const problems: string[] = [];
    const marks = new StartedMarks(gated, (message) => problems.push(message));
    const app = createApp({ ...harness.deps, lookups: one.lookups, startedMarks: marks });
    const made = await Promise.all(
      Array.from({ length: 5 }, () => create(app, merchant.testKey, paymentBody(merchant.testCheckout.id))),
    );
    expect(made.map((answer) => answer.status)).toEqual([201, 201, 201, 201, 201]);
    const ids = made.map((answer) => answer.body.id as string);
    const started = async () =>
      (await harness.db.query<{ id: string }>('select id from payments where id = any($1) and workflow_started', [ids]))
        .rowCount;
    // Every answer came while the first mark statement was still held.
    expect(await started()).toBe(0);
    expect(marking.length).toBe(1);
    open();
    await marks.settled();
    expect(await started()).toBe(5);
    expect(marking.length).toBeLessThanOrEqual(2);
    expect(problems).toEqual([]);
  });

  it('reports a started mark it could not write and goes on; the outbox sweep marks the row', async () => {
    let failing = true;
    const flaky = {
      query: (...args: unknown[]) =>
        failing
          ? Promise.reject(new Error('connection lost'))
          : (harness.db.query as (...a: unknown[]) => Promise<unknown>)(...args),
    } as unknown as Pool;
    const problems: string[] = [];
    const marks = new StartedMarks(flaky, (message) => problems.push(message));
    const app = createApp({ ...harness.deps, lookups: one.lookups, startedMarks: marks });
    const lost = await create(app, merchant.testKey, paymentBody(merchant.testCheckout.id));
    expect(lost.status).toBe(201);
    await marks.settled();
    expect(problems).toEqual([expect.stringMatching(/^marking 1 payments started .*connection lost/)]);
    failing = false;
    expect(await sweepUnstarted(harness.deps, 0, ['payments'])).toEqual({ payments: expect.any(Number) });
    const { rows } = await harness.db.query('select workflow_started from payments where id = $1', [lost.body.id]);
    expect(rows[0].workflow_started).toBe(true);
  });

  it('makes a payment under an Idempotency-Key in four: the claim, the insert, the mark, the stored answer', async () => {
    const warm = { 'idempotency-key': `warm-${Date.now()}` };
    const first = await create(one.app, merchant.testKey, paymentBody(merchant.testCheckout.id)).set(warm);
    expect(first.status).toBe(201);
    const statements = await queriesDuring(async () => {
      const created = await create(one.app, merchant.testKey, paymentBody(merchant.testCheckout.id)).set({
        'idempotency-key': `key-${Date.now()}`,
      });
      expect(created.status).toBe(201);
    });
    expect(statements).toHaveLength(4);
    expect(statements[1]).toMatch(/^\s*insert into payments/i);
  });

  it('reads the key and the checkout from the database when the cache is cold or not listening', async () => {
    const deaf = new LookupCache(harness.db);
    const app = createApp({ ...harness.deps, lookups: deaf });
    for (let run = 0; run < 2; run++) {
      const statements = await queriesDuring(async () => {
        expect((await create(app, merchant.testKey, paymentBody(merchant.testCheckout.id))).status).toBe(201);
      });
      expect(statements).toHaveLength(4);
    }
    expect(deaf.size).toEqual({ principals: 0, checkouts: 0 });
  });

  it('refuses a revoked key at once in the process that revoked it, and in another one once its notice arrives', async () => {
    const shop = await harness.merchant();
    for (const app of [one.app, other.app])
      expect((await create(app, shop.testKey, paymentBody(shop.testCheckout.id))).status).toBe(201);
    const keyId = await keyIdOf(shop.testKey);
    const revoked = await request(one.app)
      .post(`/admin/merchants/${shop.id}/keys/${keyId}/revoke`)
      .set('authorization', `Bearer ${harness.adminToken}`);
    expect(revoked.status).toBe(200);
    expect((await create(one.app, shop.testKey, paymentBody(shop.testCheckout.id))).status).toBe(401);
    await hears(other, `api_key:${keyId}`);
    expect((await create(other.app, shop.testKey, paymentBody(shop.testCheckout.id))).status).toBe(401);
  });

  it('refuses a rotated-away key in both processes once they know, and takes its replacement', async () => {
    const shop = await harness.merchant();
    for (const app of [one.app, other.app])
      expect((await create(app, shop.testKey, paymentBody(shop.testCheckout.id))).status).toBe(201);
    const keyId = await keyIdOf(shop.testKey);
    const rotated = await request(other.app)
      .post(`/admin/merchants/${shop.id}/keys/${keyId}/rotate`)
      .set('authorization', `Bearer ${harness.adminToken}`);
    expect(rotated.status).toBe(201);
    for (const [app, process] of [
      [other.app, other],
      [one.app, one],
    ] as const) {
      await hears(process, `api_key:${keyId}`);
      expect((await create(app, shop.testKey, paymentBody(shop.testCheckout.id))).status).toBe(401);
      expect((await create(app, rotated.body.issued.secret, paymentBody(shop.testCheckout.id))).status).toBe(201);
    }
  });

  it('sees a checkout update at once in the process that made it, and in another one once its notice arrives', async () => {
    const shop = await harness.merchant();
    for (const app of [one.app, other.app])
      expect((await create(app, shop.testKey, paymentBody(shop.testCheckout.id))).status).toBe(201);
    const changed = await request(one.app)
      .patch(`/v1/checkouts/${shop.testCheckout.id}`)
      .set('authorization', `Bearer ${shop.testKey}`)
      .send({ currencies: ['USD'] });
    expect(changed.status).toBe(200);
    await hears(other, `checkout:${shop.testCheckout.id}`);
    for (const app of [one.app, other.app]) {
      const refused = await create(app, shop.testKey, paymentBody(shop.testCheckout.id));
      expect(refused.status).toBe(400);
      expect(refused.body.error.param).toBe('currency');
    }
  });

  it("checks the buyer's method choice against the kept checkout, and sees a change to it made elsewhere", async () => {
    const shop = await harness.merchant();
    const created = await create(one.app, shop.testKey, paymentBody(shop.testCheckout.id));
    expect(created.status).toBe(201);
    const choose = (method: string) => request(one.app).post(`/pay/${created.body.id}/method`).send({ method });
    const statements = await queriesDuring(async () => expect((await choose('no_such_method')).status).toBe(400));
    expect(statements).toEqual([expect.stringMatching(/^select \* from payments where id = \$1$/)]);

    const changed = await request(other.app)
      .patch(`/v1/checkouts/${shop.testCheckout.id}`)
      .set('authorization', `Bearer ${shop.testKey}`)
      .send({ methods: [{ method: 'sandbox_wallet' }] });
    expect(changed.status).toBe(200);
    await hears(one, `checkout:${shop.testCheckout.id}`);
    const refused = await choose('sandbox_card');
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/sandbox_card is not offered; choose one of sandbox_wallet/);
  });

  it('drops a key or a checkout it changed itself without waiting for the database to tell it', async () => {
    const unheard = new LookupCache(harness.db);
    unheard.connected(); // serving, but no notice ever arrives: only the process's own dropping counts
    const app = createApp({ ...harness.deps, lookups: unheard });
    const shop = await harness.merchant();
    expect((await create(app, shop.testKey, paymentBody(shop.testCheckout.id))).status).toBe(201);
    const changed = await request(app)
      .patch(`/v1/checkouts/${shop.testCheckout.id}`)
      .set('authorization', `Bearer ${shop.testKey}`)
      .send({ currencies: ['USD'] });
    expect(changed.status).toBe(200);
    expect((await create(app, shop.testKey, paymentBody(shop.testCheckout.id))).status).toBe(400);
    const revoked = await request(app)
      .post(`/admin/merchants/${shop.id}/keys/${await keyIdOf(shop.testKey)}/revoke`)
      .set('authorization', `Bearer ${harness.adminToken}`);
    expect(revoked.status).toBe(200);
    expect((await create(app, shop.testKey, paymentBody(shop.testCheckout.id, { currency: 'USD' }))).status).toBe(401);
  });

  it('does not keep what a read found when a change was heard while the read ran', async () => {
    const cache = new LookupCache(harness.db);
    cache.connected();
    const reading = cache.principal(merchant.testKey);
    cache.changed(`api_key:${await keyIdOf(merchant.testKey)}`);
    expect(await reading).not.toBeNull();
    expect(cache.size.principals).toBe(0);
    await cache.principal(merchant.testKey);
    expect(cache.size.principals).toBe(1);
  });

  it('hears a change made outside the API (an activity, an operator with SQL) in every process', async () => {
    const shop = await harness.merchant();
    for (const app of [one.app, other.app])
      expect((await create(app, shop.testKey, paymentBody(shop.testCheckout.id))).status).toBe(201);
    const outside = new Client({ connectionString: harness.db.options.connectionString });
    await outside.connect();
    /** The status every process answers within a second of the change (the cache keeps entries 30 s). */
    const answersSoon = async (status: number) => {
      for (const app of [one.app, other.app]) {
        let answered = 0;
        for (let waited = 0; answered !== status && waited < 1000; waited += 20) {
          answered = (await create(app, shop.testKey, paymentBody(shop.testCheckout.id))).status;
          if (answered !== status) await new Promise((resolve) => setTimeout(resolve, 20));
        }
        expect(answered).toBe(status);
      }
    };
    try {
      await outside.query(`update checkouts set currencies = '{USD}' where id = $1`, [shop.testCheckout.id]);
      await answersSoon(400);
      await outside.query('update api_keys set revoked_at = now() where key_hash = $1', [hashApiKey(shop.testKey)]);
      await answersSoon(401);
    } finally {
      await outside.end();
    }
  });

  it('drops everything and serves from the database while its listening connection is lost, then listens again', async () => {
    expect((await create(other.app, merchant.testKey, paymentBody(merchant.testCheckout.id))).status).toBe(201);
    expect(other.lookups.size.principals).toBeGreaterThan(0);
    await harness.db.query(
      `select pg_terminate_backend(pid) from pg_stat_activity where query = 'listen kassa_lookups' and datname = current_database()`,
    );
    await until(() => !one.lookups.serving && !other.lookups.serving, 'the listeners to be cut off');
    expect(other.lookups.size).toEqual({ principals: 0, checkouts: 0 });
    const statements = await queriesDuring(async () => {
      expect((await create(other.app, merchant.testKey, paymentBody(merchant.testCheckout.id))).status).toBe(201);
    });
    expect(statements).toHaveLength(4);
    await until(() => one.lookups.serving && other.lookups.serving, 'the listeners to reconnect');
    expect(other.lookups.size).toEqual({ principals: 0, checkouts: 0 });
  });
});

/** A TCP relay to PostgreSQL that can go silent: bytes stop flowing both ways, nothing is closed. */
async function silenceableRelay(target: URL) {
  let silent = false;
  const sockets: net.Socket[] = [];
  const server = net.createServer((inbound) => {
    const outbound = net.connect(Number(target.port), target.hostname);
    sockets.push(inbound, outbound);
    inbound.on('data', (chunk) => silent || outbound.write(chunk));
    outbound.on('data', (chunk) => silent || inbound.write(chunk));
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as net.AddressInfo).port);
  return {
    url: url.toString(),
    silence: () => (silent = true),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

it('stops serving from memory when its listening connection goes silent without closing', async () => {
  const relay = await silenceableRelay(new URL(harness.db.options.connectionString!));
  const pool = new Pool({ connectionString: relay.url, max: 1 });
  const cache = new LookupCache(pool);
  const stop = listenForLookupChanges(pool, cache, { retryMs: 60_000, heartbeatMs: 100 });
  try {
    await until(() => cache.serving, 'the cache to listen');
    relay.silence();
    await until(() => !cache.serving, 'the silence to be noticed');
  } finally {
    await stop();
    await pool.end();
    await relay.close();
  }
});
