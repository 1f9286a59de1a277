import type { Client } from '@temporalio/client';
import type { Express } from 'express';
import { Pool } from 'pg';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { loadConfig, type Config } from '../../src/config';
import { migrate } from '../../src/db/migrate';
import { randomToken } from '../../src/domain/ids';
import { providersFromConfig } from '../../src/providers/registry';
import type { MerchantPrincipal } from '../../src/domain/merchant';
import type { ServiceDeps } from '../../src/services/deps';
import { createTestDatabase, paymentBody } from './stack';

/** A Temporal client that accepts every call and runs nothing: for tests of the API alone. */
export function inertTemporal(): Client {
  const handle = { executeUpdate: async () => ({}), signal: async () => undefined, describe: async () => ({}) };
  return { workflow: { start: async () => handle, getHandle: () => handle } } as unknown as Client;
}

export interface ApiHarness {
  app: Express;
  db: Pool;
  config: Config;
  adminToken: string;
  deps: ServiceDeps;
  /** A merchant made through the operator API, with a test-mode and a live-mode checkout. */
  merchant(checkout?: Record<string, unknown>): Promise<Merchant>;
  /** A request to the app under a key or token: `call(key, 'post', '/v1/payments', body, headers)`. */
  call(
    token: string,
    method: HttpMethod,
    pathname: string,
    body?: object,
    headers?: Record<string, string>,
  ): request.Test;
  /** A request to the operator API under the harness's admin token. */
  admin(method: HttpMethod, pathname: string, body?: object): request.Test;
  /** A payment made through POST /v1/payments in the merchant's test mode (see {@link paymentBody}); answers its JSON. */
  payment(merchant: Merchant, extra?: Record<string, unknown>): Promise<Record<string, any>>;
  close(): Promise<void>;
}

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface Merchant {
  id: string;
  testKey: string;
  liveKey: string;
  testCheckout: Record<string, any>;
  liveCheckout: Record<string, any>;
}

export const checkoutBody = (extra: Record<string, unknown> = {}) => ({
  name: 'My shop',
  site_url: 'https://shop.example',
  currencies: ['RUB', 'USD', 'JPY'],
  notify_url: 'https://shop.example/kassa/notify',
  success_url: 'https://shop.example/ok',
  fail_url: 'https://shop.example/fail',
  pending_url: 'https://shop.example/wait',
  fee_payer: 'merchant',
  ...extra,
});

/** Who a service sees calling with the merchant's test (or live) key, for tests that call a service directly. */
export const principalOf = (merchant: Pick<Merchant, 'id'>, testMode = true): MerchantPrincipal => ({
  merchantId: merchant.id,
  testMode,
  keyId: `key_${testMode ? 'test' : 'live'}`,
});

/**
 * The HTTP app in-process (supertest, no listening port of its own) on a fresh database of the
 * run's PostgreSQL, with a Temporal client that does nothing unless `temporal` is given.
 */
export async function startApiHarness(
  env: Record<string, string> = {},
  temporal: Client = inertTemporal(),
): Promise<ApiHarness> {
  const database = await createTestDatabase();
  const adminToken = `adm_${randomToken(32)}`;
  const config = loadConfig({
    KASSA_ENV: 'test',
    DATABASE_URL: database.url,
    ADMIN_TOKEN: adminToken,
    PUBLIC_URL: 'http://127.0.0.1:3999',
    SANDBOX_URL: 'http://127.0.0.1:1',
    RATE_LIMIT_PER_MINUTE: '1000000',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const db = new Pool({ connectionString: database.url, max: 4 });
  await migrate(db);
  const deps: ServiceDeps = { db, temporal, providers: providersFromConfig(config), config };
  const app = createApp(deps);
  const call = (
    token: string,
    method: HttpMethod,
    pathname: string,
    body?: object,
    headers: Record<string, string> = {},
  ) => {
    const test = request(app)[method](pathname).set('authorization', `Bearer ${token}`).set(headers);
    return body === undefined ? test : test.send(body);
  };
  return {
    app,
    db,
    config,
    adminToken,
    deps,
    async merchant(checkout = {}) {
      const created = await request(app)
        .post('/admin/merchants')
        .set('authorization', `Bearer ${adminToken}`)
        .send({ name: 'Shop', email: 'shop@example.com' });
      if (created.status !== 201) throw new Error(`merchant: ${created.status} ${JSON.stringify(created.body)}`);
      const { test: testKey, live: liveKey } = created.body.api_keys;
      const open = async (key: string) => {
        const response = await request(app)
          .post('/v1/checkouts')
          .set('authorization', `Bearer ${key}`)
          .send(checkoutBody(checkout));
        if (response.status !== 201) throw new Error(`checkout: ${response.status} ${JSON.stringify(response.body)}`);
        return response.body;
      };
      return {
        id: created.body.id,
        testKey,
        liveKey,
        testCheckout: await open(testKey),
        liveCheckout: await open(liveKey),
      };
    },
    call,
    admin: (method, pathname, body) => call(adminToken, method, pathname, body),
    async payment(merchant, extra = {}) {
      const created = await call(
        merchant.testKey,
        'post',
        '/v1/payments',
        paymentBody(merchant.testCheckout.id, extra),
      );
      if (created.status !== 201) throw new Error(`payment: ${created.status} ${JSON.stringify(created.body)}`);
      return created.body;
    },
    async close() {
      await db.end();
      await database.drop();
    },
  };
}

/** Marks a checkout's site verified without fetching it (for tests about live payments, not verification). */
export async function markVerified(db: Pool, checkoutId: string) {
  await db.query(`update checkouts set verification_status = 'verified', verified_at = now() where id = $1`, [
    checkoutId,
  ]);
}
