import express from 'express';
import request from 'supertest';
import { ApplicationFailure } from '@temporalio/common';
import { retryableProviderFailure } from '../../src/activities/provider-failures';
import { FailureType } from '../../src/domain/failure-types';
import { errorHandler } from '../../src/api/errors';
import { callbackRoutes } from '../../src/api/routes/callbacks';
import type { Connector } from '../../src/domain/connector';
import {
  type ConnectorHandle,
  createConnectorRegistry,
  createProviderRegistry,
  providersFromConfig,
} from '../../src/providers/registry';
import { createSandboxConnector, sandboxAdapter } from '../../src/providers/sandbox';
import {
  type CallbackRequest,
  CallbackVerificationError,
  type PaymentConnector,
  ProviderError,
} from '../../src/providers/types';
import type { ServiceDeps } from '../../src/services/deps';

let sequence = 0;
function connector(fields: Partial<Connector>): Connector {
  sequence += 1;
  return {
    id: `conn_test${String(sequence).padStart(8, '0')}`,
    provider: 'sandbox',
    mode: 'test',
    methods: ['sandbox_card'],
    priority: 100,
    status: 'active',
    pausedReason: null,
    pausedAt: null,
    createdAt: new Date(sequence * 1000),
    updatedAt: new Date(sequence * 1000),
    ...fields,
  };
}

const client = (provider = 'sandbox', extra: Partial<PaymentConnector> = {}): PaymentConnector => ({
  provider,
  capabilities: new Set(['create', 'status']),
  createPayment: async () => ({ providerPaymentId: 'p_1', redirect: { method: 'GET', url: 'https://pay.example/1' } }),
  getPaymentStatus: async () => null,
  verifyCallback: async () => ({ kind: 'ignored', reason: 'test' }),
  ...extra,
});

const handle = (fields: Partial<Connector>, extra: Partial<PaymentConnector> = {}): ConnectorHandle => ({
  connector: connector(fields),
  client: client(fields.provider, extra),
  adapter: sandboxAdapter,
});

describe('the connector registry', () => {
  const card = handle({ methods: ['sandbox_card'], priority: 50 });
  const both = handle({ methods: ['sandbox_wallet', 'sandbox_card'], priority: 10 });
  const paused = handle({ methods: ['sandbox_card'], priority: 1, status: 'paused', pausedReason: 'operator' });
  const live = handle(
    { mode: 'live', methods: ['sandbox_card'], priority: 5 },
    { capabilities: new Set(['create', 'payout']), createPayout: async () => ({}) as never },
  );
  const registry = createConnectorRegistry([card, paused, live, both]);

  test("a mode offers its active connectors' methods once each, in priority order, titled by their adapter", () => {
    expect(registry.methods(true)).toEqual([
      { code: 'sandbox_wallet', title: 'E-wallet (sandbox)', testMode: true },
      { code: 'sandbox_card', title: 'Bank card (sandbox)', testMode: true },
    ]);
    expect(registry.methods(false)).toEqual([{ code: 'sandbox_card', title: 'Bank card (sandbox)', testMode: false }]);
  });

  test('a method is served by the active connectors of its mode, lowest priority first; paused ones are found by id and provider', () => {
    expect(registry.connectorsFor('sandbox_card', true)).toEqual([both, card]);
    expect(registry.connectorsFor('sandbox_card', false)).toEqual([live]);
    expect(registry.connectorsFor('stripe_card', true)).toEqual([]);
    expect(registry.connector(paused.connector.id)).toBe(paused);
    expect(registry.byProvider('sandbox')).toEqual([paused, live, both, card]);
  });

  test('payouts go through the first active connector of the mode that can pay out', () => {
    expect(registry.payoutConnector(false, 'RUB')).toBe(live);
    expect(registry.payoutConnector(true, 'RUB')).toBeUndefined();
  });

  test('a first-contract provider taken from a registry and changed keeps its connector', async () => {
    const real = providersFromConfig({
      sandbox: { url: 'http://127.0.0.1:9', apiKey: 'sandbox_key', webhookSecret: 'sandbox_webhook_secret' },
    });
    const sandbox = real.byName('sandbox')!;
    const changed = createProviderRegistry([
      {
        ...sandbox,
        getPaymentStatus: async () => ({ providerPaymentId: 'x', state: 'pending', amountMinor: '1', currency: 'RUB' }),
      },
    ]);
    const [only] = changed.connectorsFor('sandbox_card', true);
    expect(only!.connector.id).toBe('conn_sandboxFromConfig');
    await expect(
      only!.client.getPaymentStatus({ idempotencyKey: 'k', reference: 'k', providerPaymentId: null }),
    ).resolves.toMatchObject({
      providerPaymentId: 'x',
    });
    expect(only!.client.provider).toBe('sandbox');
  });
});

describe('money activities and provider failures', () => {
  test("a provider's rate-limit delay becomes the next retry's delay; a definite refusal passes through", () => {
    const limited = retryableProviderFailure(
      new ProviderError('transient', 'rate_limited', 'slow down', { retryAfterMs: 7000 }),
    );
    expect(limited).toBeInstanceOf(ApplicationFailure);
    expect(limited).toMatchObject({
      type: FailureType.ProviderUnavailable,
      nonRetryable: false,
      nextRetryDelay: 7000,
    });
    expect(
      (retryableProviderFailure(new ProviderError('indeterminate', 'timeout', 'no answer')) as ApplicationFailure)
        .nextRetryDelay,
    ).toBeUndefined();
    const refused = new ProviderError('definite', 'declined', 'no');
    expect(retryableProviderFailure(refused)).toBe(refused);
  });

  test("the sandbox connector passes on the provider's Retry-After", async () => {
    const busy = sandboxAdapter.connect(
      { base_url: 'http://127.0.0.1:9', api_key: 'sandbox_key', webhook_secret: 'sandbox_webhook_secret' },
      { connectorId: 'conn_test00000000', mode: 'test', publicUrl: 'http://127.0.0.1:3000' },
    );
    const limited = createSandboxConnector({
      baseUrl: 'http://127.0.0.1:9',
      apiKey: 'k',
      webhookSecret: 'w',
      fetchImpl: async () =>
        new Response('{"error":{"code":"rate_limited"}}', { status: 429, headers: { 'retry-after': '7' } }),
    });
    const error = await limited
      .getPaymentStatus({ idempotencyKey: 'k', reference: 'k', providerPaymentId: null })
      .catch((e) => e);
    expect(error).toMatchObject({ kind: 'transient', code: 'rate_limited', retryAfterMs: 7000 });
    expect(busy.capabilities.has('refund_status')).toBe(true);
  });
});

describe('callbacks at /callbacks/:provider[/:connector_id]', () => {
  const seen: CallbackRequest[] = [];
  const webmoneyLike = handle(
    { provider: 'prerequest' },
    {
      async verifyCallback(req) {
        seen.push(req);
        if (req.query.sign !== 'good' && req.rawBody.toString() !== 'sign=good')
          throw new CallbackVerificationError('bad sign');
        return { kind: 'check', reply: 'YES' };
      },
      callbackReply: (outcome, callback) =>
        outcome === 'rejected'
          ? { status: 200, contentType: 'text/plain', body: 'NO' }
          : {
              status: 200,
              contentType: 'text/plain',
              body: callback?.kind === 'check' ? (callback.reply ?? '') : 'OK',
            },
    },
  );
  const plain = handle(
    { provider: 'plain' },
    {
      async verifyCallback() {
        throw new CallbackVerificationError('forged');
      },
    },
  );
  const other = handle(
    { provider: 'plain', priority: 200 },
    { verifyCallback: async () => ({ kind: 'ignored', reason: 'x' }) },
  );
  const app = express()
    .use(
      '/callbacks',
      callbackRoutes({ providers: createConnectorRegistry([webmoneyLike, plain, other]) } as unknown as ServiceDeps),
    )
    .use(errorHandler);

  test("a connector's own reply is sent, for GET and POST, and its verifier sees the query, method and caller's address", async () => {
    const got = await request(app).get(`/callbacks/prerequest/${webmoneyLike.connector.id}?sign=good&x=1`);
    expect([got.status, got.headers['content-type'], got.text]).toEqual([200, 'text/plain; charset=utf-8', 'YES']);
    expect(seen.at(-1)).toMatchObject({ method: 'GET', query: { sign: 'good', x: '1' } });
    expect(seen.at(-1)!.remoteAddress).toMatch(/127\.0\.0\.1|::1/);
    const posted = await request(app).post('/callbacks/prerequest').type('form').send('sign=good');
    expect(posted.text).toBe('YES');
    const forged = await request(app).post('/callbacks/prerequest').type('form').send('sign=bad');
    expect([forged.status, forged.text]).toEqual([200, 'NO']);
  });

  test("without a connector id the provider's connectors are tried in priority order; a forged callback is a 401 unless the connector answers otherwise", async () => {
    const tried = await request(app).post('/callbacks/plain').send({ any: 'thing' });
    expect([tried.status, tried.text]).toEqual([200, '{"received":true}']);
    const forged = await request(app).post(`/callbacks/plain/${plain.connector.id}`).send({});
    expect([forged.status, forged.body.error.code]).toEqual([401, 'signature_invalid']);
    expect((await request(app).post(`/callbacks/prerequest/${plain.connector.id}`).send({})).status).toBe(404);
    expect((await request(app).get('/callbacks/nobody')).status).toBe(404);
  });
});
