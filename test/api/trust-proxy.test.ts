import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { Pool } from 'pg';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { loadConfig } from '../../src/config';
import { createConnectorRegistry } from '../../src/providers/registry';
import { sandboxAdapter } from '../../src/providers/sandbox';
import { CallbackVerificationError } from '../../src/providers/types';
import type { ServiceDeps } from '../../src/services/deps';

// No request reaches the database: the verifier refuses first.
const db = new Pool({ connectionString: 'postgres://127.0.0.1:1/unused', max: 1 });
afterAll(() => db.end());

// A provider that signs nothing is checked by the caller's address: behind a reverse proxy, the
// address its verifier sees is the one the proxies Kassa trusts (TRUST_PROXY) forwarded, and only those.

/** Kassa's app with one connector whose verifier records the caller's address and refuses (so nothing reaches the database). */
function kassaWith(env: Record<string, string>) {
  const config = loadConfig({
    KASSA_ENV: 'test',
    DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'kassa-trust-proxy-')),
    ADMIN_TOKEN: 'adm_trust_proxy_test_0123',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const seen: string[] = [];
  const now = new Date();
  const providers = createConnectorRegistry([
    {
      connector: {
        id: 'conn_recorder0001',
        provider: 'recorder',
        mode: 'test',
        methods: ['sandbox_card'],
        priority: 0,
        status: 'active',
        pausedReason: null,
        pausedAt: null,
        createdAt: now,
        updatedAt: now,
      },
      client: {
        provider: 'recorder',
        capabilities: new Set(['webhooks']),
        createPayment: async () => ({ providerPaymentId: null, redirect: { method: 'GET', url: 'https://p.example' } }),
        getPaymentStatus: async () => null,
        async verifyCallback(req) {
          seen.push(req.remoteAddress);
          throw new CallbackVerificationError('not from the provider');
        },
      },
      adapter: sandboxAdapter,
    },
  ]);
  const app = createApp({ db, temporal: {} as Client, providers, config } as ServiceDeps);
  return { app, seen };
}

const forwardedFrom = (app: ReturnType<typeof kassaWith>['app']) =>
  request(app).post('/callbacks/recorder').set('x-forwarded-for', '185.71.76.5').send({ event: 'payment.succeeded' });

test('with TRUST_PROXY naming the proxy, the verifier sees the address the proxy forwarded', async () => {
  const { app, seen } = kassaWith({ TRUST_PROXY: 'loopback' });
  expect((await forwardedFrom(app)).status).toBe(401);
  expect(seen).toEqual(['185.71.76.5']);
});

test('without TRUST_PROXY a forwarded address is not believed: the verifier sees the proxy', async () => {
  const { app, seen } = kassaWith({});
  await forwardedFrom(app);
  expect(seen).toHaveLength(1);
  expect(seen[0]).toMatch(/127\.0\.0\.1|::1/);
});

test('a proxy that is not trusted cannot name the caller', async () => {
  const { app, seen } = kassaWith({ TRUST_PROXY: '10.0.0.0/8' });
  await forwardedFrom(app);
  expect(seen[0]).toMatch(/127\.0\.0\.1|::1/);
});
