import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pool } from 'pg';
import { insertConnector, loadStoredConnectors, resealConnectorCredentials } from '../../src/db/connectors';
import { markVerified, checkoutBody } from '../support/merchant-api';
import { balanceOf, buyerActs, chooseMethod } from '../support/money';
import {
  api,
  createTestPayment,
  eventually,
  paymentOf,
  sandboxApiKey,
  sandboxWebhookSecret,
  stackForFile,
  type TestStack,
} from '../support/stack';

jest.setTimeout(60_000);

let stack: TestStack;
let db: Pool;
stackForFile((running) => ({ stack, db } = running));

const admin = (method: string, pathname: string, body?: unknown) =>
  api(stack.url, method, pathname, { token: stack.adminToken, body });
const sandboxCredentials = (baseUrl = stack.sandboxUrl) => ({
  base_url: baseUrl,
  api_key: sandboxApiKey,
  webhook_secret: sandboxWebhookSecret,
});
const methodsOf = async (key: string, checkoutId: string) =>
  (
    await api(stack.url, 'GET', `/v1/checkouts/${checkoutId}/methods?amount=50.00&currency=RUB`, { token: key })
  ).body.data.map((method: { method: string }) => method.method);

/**
 * The sandbox behind a proxy that answers every new refund and payout `pending` (the sandbox itself
 * settles them at once): what a provider that settles later looks like at the HTTP level.
 */
async function slowSettlingSandbox() {
  const seen: string[] = [];
  const server = http.createServer(async (req, res) => {
    const body = await new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => resolve(Buffer.concat(chunks)));
    });
    const path = req.url ?? '/';
    seen.push(`${req.method} ${path}`);
    const forwarded = await fetch(`${stack.sandboxUrl}${path}`, {
      method: req.method,
      headers: Object.fromEntries(
        Object.entries(req.headers).filter(([name]) => !['host', 'content-length', 'connection'].includes(name)),
      ) as Record<string, string>,
      body: req.method === 'GET' ? undefined : body.toString('utf8'),
    });
    let text = await forwarded.text();
    const moneyCreate = req.method === 'POST' && /^\/api\/(refunds|payouts)$/.test(path);
    if (forwarded.ok && moneyCreate) text = JSON.stringify({ ...JSON.parse(text), status: 'pending' });
    res.writeHead(forwarded.status, { 'content-type': 'application/json' }).end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** A merchant with a verified live checkout and a test checkout. */
async function liveShop() {
  const merchant = await admin('POST', '/admin/merchants', { name: 'Shop', email: 'shop@example.com' });
  const liveKey: string = merchant.body.api_keys.live;
  const testKey: string = merchant.body.api_keys.test;
  const live = await api(stack.url, 'POST', '/v1/checkouts', { token: liveKey, body: checkoutBody() });
  const test = await api(stack.url, 'POST', '/v1/checkouts', { token: testKey, body: checkoutBody() });
  expect([live.status, test.status]).toEqual([201, 201]);
  await markVerified(db, live.body.id);
  return { liveKey, testKey, liveCheckout: live.body.id as string, testCheckout: test.body.id as string };
}

test('a connector is added with its credentials validated, sealed at rest and shown only masked; it can be listed, read and changed', async () => {
  const created = await admin('POST', '/admin/connectors', {
    provider: 'sandbox',
    mode: 'test',
    credentials: { ...sandboxCredentials(), api_key: 'sandbox_key_0123456789' },
    methods: ['sandbox_wallet'],
    priority: 500,
  });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({
    object: 'connector',
    provider: 'sandbox',
    mode: 'test',
    methods: ['sandbox_wallet'],
    priority: 500,
    status: 'active',
    paused_reason: null,
    credentials: { base_url: stack.sandboxUrl, api_key: '********6789', webhook_secret: '********cret' },
  });
  expect(created.body.id).toMatch(/^conn_[0-9A-Za-z]{20}$/);
  const id: string = created.body.id;

  const { rows } = await db.query('select credentials, credentials_hint::text as hint from connectors where id = $1', [
    id,
  ]);
  expect(rows[0].credentials).toMatch(/^v1\./);
  for (const secret of ['sandbox_key_0123456789', sandboxWebhookSecret]) {
    expect(rows[0].credentials).not.toContain(secret);
    expect(rows[0].hint).not.toContain(secret);
    expect(JSON.stringify((await admin('GET', `/admin/connectors/${id}`)).body)).not.toContain(secret);
  }

  const listed = await admin('GET', '/admin/connectors');
  expect(listed.status).toBe(200);
  expect(listed.body.data.map((connector: { id: string }) => connector.id)).toEqual(
    expect.arrayContaining([id, 'conn_sandboxFromConfig']),
  );
  expect(listed.body.data.find((c: { id: string }) => c.id === 'conn_sandboxFromConfig')).toMatchObject({
    provider: 'sandbox',
    mode: 'test',
    methods: ['sandbox_card', 'sandbox_wallet'],
  });

  const changed = await admin('PATCH', `/admin/connectors/${id}`, {
    priority: 7,
    methods: ['sandbox_card', 'sandbox_wallet'],
    credentials: sandboxCredentials(),
  });
  expect(changed.body).toMatchObject({
    priority: 7,
    methods: ['sandbox_card', 'sandbox_wallet'],
    credentials: { api_key: '********_key', webhook_secret: '********cret' },
  });
  const after = await db.query('select credentials from connectors where id = $1', [id]);
  expect(after.rows[0].credentials).not.toBe(rows[0].credentials);
  expect((await admin('GET', '/admin/connectors/conn_doesNotExist1')).status).toBe(404);
  await admin('PATCH', `/admin/connectors/${id}`, { priority: 500, methods: ['sandbox_wallet'] });
});

test('bad connectors are a 400 naming the field: unknown provider, a method its provider cannot serve, credentials its adapter refuses', async () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ provider: 'paypalish', mode: 'live', credentials: {} }, 'provider'],
    [{ provider: 'constructor', mode: 'live', credentials: {} }, 'provider'],
    [{ provider: 'toString', mode: 'test', credentials: {} }, 'provider'],
    [{ provider: 'sandbox', mode: 'live', credentials: sandboxCredentials(), methods: ['stripe_card'] }, 'methods.0'],
    [{ provider: 'sandbox', mode: 'prod', credentials: sandboxCredentials() }, 'mode'],
    [
      { provider: 'sandbox', mode: 'live', credentials: { ...sandboxCredentials(), api_key: undefined } },
      'credentials.api_key',
    ],
    [
      { provider: 'sandbox', mode: 'live', credentials: { ...sandboxCredentials(), base_url: 'ftp://x' } },
      'credentials.base_url',
    ],
    [{ provider: 'sandbox', mode: 'live', credentials: { ...sandboxCredentials(), extra: 'x' } }, 'credentials.extra'],
    [{ provider: 'sandbox', mode: 'live', credentials: sandboxCredentials(), priority: 1.5 }, 'priority'],
    [{ provider: 'sandbox', mode: 'live' }, 'credentials'],
  ];
  for (const [body, param] of cases) {
    const answer = await admin('POST', '/admin/connectors', body);
    expect([JSON.stringify(body), answer.status, answer.body.error?.param]).toEqual([JSON.stringify(body), 400, param]);
  }
  const patched = await admin('PATCH', '/admin/connectors/conn_sandboxFromConfig', {
    credentials: { base_url: stack.sandboxUrl },
  });
  expect([patched.status, patched.body.error.param]).toEqual([400, 'credentials.api_key']);
  const { rows } = await db.query(`select count(*)::int as n from connectors where mode = 'live'`);
  expect(rows[0].n).toBe(0);
});

test('pausing a connector takes its methods off new payments; resuming brings them back', async () => {
  const shop = await liveShop();
  expect(await methodsOf(shop.testKey, shop.testCheckout)).toEqual(['sandbox_card', 'sandbox_wallet']);
  const paused = await admin('POST', '/admin/connectors/conn_sandboxFromConfig/pause', { operator: 'alice' });
  expect(paused.body).toMatchObject({ status: 'paused', paused_reason: 'operator', paused_by: 'alice' });
  expect(paused.body.paused_at).not.toBeNull();
  try {
    // the wallet connector of the first test still serves sandbox_wallet
    expect(await methodsOf(shop.testKey, shop.testCheckout)).toEqual(['sandbox_wallet']);
    const payment = await createTestPayment(stack, shop.testKey, shop.testCheckout);
    const page = await api(stack.url, 'GET', `/pay/${payment.id}`);
    expect(page.body).not.toContain('value="sandbox_card"');
  } finally {
    const resumed = await admin('POST', '/admin/connectors/conn_sandboxFromConfig/resume');
    expect(resumed.body).toMatchObject({ status: 'active', paused_reason: null, paused_at: null });
  }
  expect(await methodsOf(shop.testKey, shop.testCheckout)).toEqual(['sandbox_card', 'sandbox_wallet']);
  const payment = await createTestPayment(stack, shop.testKey, shop.testCheckout);
  expect((await api(stack.url, 'GET', `/pay/${payment.id}`)).body).toContain('value="sandbox_card"');
});

test('a live connector offers its methods to live payments, which are paid through it end to end; its callbacks are verified with its own credentials', async () => {
  const shop = await liveShop();
  const connector = await admin('POST', '/admin/connectors', {
    provider: 'sandbox',
    mode: 'live',
    credentials: sandboxCredentials(),
    methods: ['sandbox_card'],
    priority: 10,
  });
  expect(connector.status).toBe(201);
  expect(await methodsOf(shop.liveKey, shop.liveCheckout)).toEqual(['sandbox_card']);
  expect(
    await admin('PATCH', `/admin/checkouts/${shop.liveCheckout}`, { method_fees: { sandbox_card: { percent: '1' } } }),
  ).toMatchObject({ status: 200 });
  const wallet = await api(stack.url, 'PATCH', `/v1/checkouts/${shop.liveCheckout}`, {
    token: shop.liveKey,
    body: { methods: [{ method: 'sandbox_wallet' }] },
  });
  expect([wallet.status, wallet.body.error?.param]).toEqual([400, 'methods.0.method']);

  const payment = await createTestPayment(stack, shop.liveKey, shop.liveCheckout, { amount: '100.00' });
  expect(payment.test_mode).toBe(false);
  await buyerActs(await chooseMethod(stack, payment.id), 'approve');
  const paid = await eventually(
    () => paymentOf(stack, shop.liveKey, payment.id),
    (body) => body.status === 'paid',
  );
  expect(paid).toMatchObject({ method: 'sandbox_card', test_mode: false });
  const { rows } = await db.query(`select provider from provider_callbacks where payment_id = $1`, [payment.id]);
  expect(rows.length).toBeGreaterThan(0);

  const forged = await api(stack.url, 'POST', `/callbacks/sandbox/${connector.body.id}`, {
    body: { id: 'evt_forged' },
    headers: { 'sandbox-signature': `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}` },
  });
  expect([forged.status, forged.body.error?.code]).toEqual([401, 'signature_invalid']);
  expect((await api(stack.url, 'POST', '/callbacks/sandbox/conn_doesNotExist1', { body: {} })).status).toBe(404);
  expect((await api(stack.url, 'POST', '/callbacks/nobody', { body: {} })).status).toBe(404);
});

test('a refund and a payout the provider answers pending are settled by status checks; live payouts go through a live connector', async () => {
  const slow = await slowSettlingSandbox();
  try {
    const shop = await liveShop();
    const connector = await admin('POST', '/admin/connectors', {
      provider: 'sandbox',
      mode: 'live',
      credentials: sandboxCredentials(slow.url),
      methods: ['sandbox_card'],
      priority: 1,
    });
    expect(connector.status).toBe(201);
    const payment = await createTestPayment(stack, shop.liveKey, shop.liveCheckout, { amount: '100.00' });
    await buyerActs(await chooseMethod(stack, payment.id), 'approve');
    await eventually(
      () => paymentOf(stack, shop.liveKey, payment.id),
      (body) => body.status === 'paid',
    );
    expect(slow.seen.some((line) => line.startsWith('POST /api/payments'))).toBe(true);

    const refund = await api(stack.url, 'POST', `/v1/payments/${payment.id}/refunds`, {
      token: shop.liveKey,
      body: { amount: '10.00' },
    });
    expect(refund.status).toBe(201);
    const payout = await api(stack.url, 'POST', '/v1/payouts', {
      token: shop.liveKey,
      body: { amount: '20.00', currency: 'RUB', destination: { type: 'wallet', wallet_id: 'w_live_1' } },
    });
    expect(payout.status).toBe(201);
    const { rows } = await db.query(
      `select (select connector_id from refunds where id = $1) as refund, (select connector_id from payouts where id = $2) as payout`,
      [refund.body.id, payout.body.id],
    );
    expect(rows[0]).toEqual({ refund: connector.body.id, payout: connector.body.id });

    // Answered pending at first: nothing final until a status check says so.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await api(stack.url, 'GET', `/v1/refunds/${refund.body.id}`, { token: shop.liveKey })).body.status).toBe(
      'pending',
    );
    expect((await api(stack.url, 'GET', `/v1/payouts/${payout.body.id}`, { token: shop.liveKey })).body.status).toBe(
      'pending',
    );
    const refunded = await eventually(
      () => api(stack.url, 'GET', `/v1/refunds/${refund.body.id}`, { token: shop.liveKey }).then((r) => r.body),
      (body) => body.status !== 'pending',
    );
    const paidOut = await eventually(
      () => api(stack.url, 'GET', `/v1/payouts/${payout.body.id}`, { token: shop.liveKey }).then((r) => r.body),
      (body) => body.status !== 'pending',
    );
    expect(refunded.status).toBe('succeeded');
    expect(paidOut).toMatchObject({ status: 'paid', amount: '20.00' });
    expect(slow.seen.filter((line) => /^GET \/api\/refunds\//.test(line)).length).toBeGreaterThanOrEqual(1);
    expect(slow.seen.filter((line) => /^GET \/api\/payouts\//.test(line)).length).toBeGreaterThanOrEqual(1);
    expect(await balanceOf(stack, shop.liveKey)).toMatchObject({ reserved: '0.00' });
  } finally {
    await slow.close();
  }
});

test('after a key rotation, connector credentials are sealed again with the new key and still open', async () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);
  const credentials = { ...sandboxCredentials(), api_key: 'rotated_key_0123456789' };
  const made = await insertConnector(
    db,
    {
      id: `conn_rotation${Date.now()}`,
      provider: 'sandbox',
      mode: 'test',
      methods: ['sandbox_card'],
      priority: 900,
      credentials,
      credentialsHint: {},
    },
    oldKey,
  );
  await db.query(
    `update connectors set status = 'paused', paused_reason = 'operator', paused_at = now() where id = $1`,
    [made.id],
  );
  expect(await resealConnectorCredentials(stack.kassa.db, newKey, [oldKey])).toBeGreaterThanOrEqual(1);
  const [opened] = (await loadStoredConnectors(db, [newKey])).filter((connector) => connector.id === made.id);
  expect(opened!.credentials).toEqual(credentials);
  expect(await resealConnectorCredentials(stack.kassa.db, newKey, [oldKey])).toBe(0);
});
