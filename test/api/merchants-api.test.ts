import { execFile } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { Pool } from 'pg';
import request from 'supertest';
import { runCli } from '../../scripts/kassa';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities';
import { webhookSecretsFor } from '../../src/db/checkouts';
import { insertEvent } from '../../src/db/events';
import { hashApiKey } from '../../src/db/merchants';
import { verifyWebhook } from '../../src/domain/signatures';
import { translator } from '../../src/i18n';
import { providersFromConfig } from '../../src/providers/registry';
import { siteVerificationWorkflowId } from '../../src/workflows/site-verification-shared';
import { checkoutBody, markVerified, startApiHarness } from '../support/merchant-api';
import {
  api,
  eventually,
  type ReceivedRequest,
  sandboxApiKey,
  sandboxWebhookSecret,
  startReceiver,
  startTestStack,
  type TestStack,
} from '../support/stack';

let stack: TestStack;
let db: Pool;
beforeAll(async () => {
  stack = await startTestStack();
  db = new Pool({ connectionString: stack.databaseUrl, max: 2 });
}, 120_000);
afterAll(async () => {
  await db?.end();
  await stack?.close();
});

const call = (token: string, method: string, pathname: string, body?: unknown) =>
  api(stack.url, method, pathname, { token, body });
const admin = (method: string, pathname: string, body?: unknown) => call(stack.adminToken, method, pathname, body);

async function newMerchant() {
  const created = await admin('POST', '/admin/merchants', { name: 'Shop', email: 'shop@example.com' });
  expect(created.status).toBe(201);
  return {
    id: created.body.id as string,
    testKey: created.body.api_keys.test as string,
    liveKey: created.body.api_keys.live as string,
  };
}

async function newCheckout(key: string, extra: Record<string, unknown> = {}) {
  const created = await call(key, 'POST', '/v1/checkouts', checkoutBody(extra));
  expect(created.status).toBe(201);
  return created.body;
}

async function newPayment(key: string, checkoutId: string, extra: Record<string, unknown> = {}) {
  const created = await call(key, 'POST', '/v1/payments', {
    checkout_id: checkoutId,
    order_id: `A-${Math.random().toString(36).slice(2)}`,
    amount: '50.00',
    currency: 'RUB',
    description: 'Test product',
    ...extra,
  });
  expect(created.status).toBe(201);
  return created.body;
}

describe('operator API and keys', () => {
  test('a new merchant gets a test and a live key, shown once and stored only as hashes', async () => {
    const merchant = await newMerchant();
    expect(merchant.testKey).toMatch(/^sk_test_[0-9A-Za-z]{32}$/);
    expect(merchant.liveKey).toMatch(/^sk_live_[0-9A-Za-z]{32}$/);
    const { rows } = await db.query('select * from api_keys where merchant_id = $1', [merchant.id]);
    expect(rows.map((row) => row.key_hash).sort()).toEqual(
      [hashApiKey(merchant.testKey), hashApiKey(merchant.liveKey)].sort(),
    );
    expect(JSON.stringify(rows)).not.toContain(merchant.testKey);
    expect(JSON.stringify(rows)).not.toContain(merchant.liveKey);

    const listed = await admin('GET', `/admin/merchants/${merchant.id}/keys`);
    expect(listed.status).toBe(200);
    expect(listed.body.data).toHaveLength(2);
    expect(listed.body.data.map((key: any) => key.prefix).sort()).toEqual([
      merchant.liveKey.slice(0, 12),
      merchant.testKey.slice(0, 12),
    ]);
    expect(JSON.stringify(listed.body)).not.toContain(merchant.testKey);
    expect(await admin('GET', `/admin/merchants/${merchant.id}`)).toMatchObject({
      status: 200,
      body: { id: merchant.id, object: 'merchant' },
    });
  });

  test('a revoked key gets 401 on its very next request; a rotated key is replaced by a working key of the same mode', async () => {
    const merchant = await newMerchant();
    const issued = await admin('POST', `/admin/merchants/${merchant.id}/keys`, { mode: 'live' });
    expect(issued).toMatchObject({ status: 201, body: { object: 'api_key', mode: 'live', revoked_at: null } });
    expect(issued.body.secret).toMatch(/^sk_live_/);
    expect((await call(issued.body.secret, 'GET', '/v1/payments')).status).toBe(200);

    const revoked = await admin('POST', `/admin/merchants/${merchant.id}/keys/${issued.body.id}/revoke`, {});
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked_at).toEqual(expect.any(String));
    expect(await call(issued.body.secret, 'GET', '/v1/payments')).toMatchObject({
      status: 401,
      body: { error: { type: 'authentication_error' } },
    });

    const [testKeyRow] = (await admin('GET', `/admin/merchants/${merchant.id}/keys`)).body.data.filter(
      (key: any) => key.mode === 'test',
    );
    const rotated = await admin('POST', `/admin/merchants/${merchant.id}/keys/${testKeyRow.id}/rotate`, {});
    expect(rotated.status).toBe(201);
    expect(rotated.body.revoked).toMatchObject({ id: testKeyRow.id, revoked_at: expect.any(String) });
    expect(rotated.body.issued).toMatchObject({ mode: 'test', secret: expect.stringMatching(/^sk_test_/) });
    expect((await call(merchant.testKey, 'GET', '/v1/payments')).status).toBe(401);
    expect((await call(rotated.body.issued.secret, 'GET', '/v1/payments')).status).toBe(200);
    expect((await admin('POST', `/admin/merchants/${merchant.id}/keys/${testKeyRow.id}/rotate`, {})).status).toBe(404);
  });

  test("keys are managed only through their own merchant: another merchant's key id is 404, a bad mode 400", async () => {
    const [one, two] = [await newMerchant(), await newMerchant()];
    const [key] = (await admin('GET', `/admin/merchants/${one.id}/keys`)).body.data;
    expect((await admin('POST', `/admin/merchants/${two.id}/keys/${key.id}/revoke`, {})).status).toBe(404);
    expect((await call(one.testKey, 'GET', '/v1/payments')).status).toBe(200);
    expect(await admin('POST', `/admin/merchants/${one.id}/keys`, { mode: 'prod' })).toMatchObject({
      status: 400,
      body: { error: { param: 'mode' } },
    });
    expect((await admin('POST', '/admin/merchants/mer_nobody0000/keys', { mode: 'test' })).status).toBe(404);
    expect((await call(one.testKey, 'GET', `/admin/merchants/${one.id}/keys`)).status).toBe(401);
  });

  test('the CLI creates a merchant and issues, lists, rotates and revokes keys through the operator API', async () => {
    const lines: string[] = [];
    const errors: string[] = [];
    const io = {
      env: { KASSA_URL: stack.url, ADMIN_TOKEN: stack.adminToken, DATA_DIR: '/nonexistent' },
      out: (line: string) => lines.push(line),
      err: (line: string) => errors.push(line),
    };
    const cli = async (...argv: string[]) => {
      lines.length = 0;
      const code = await runCli(argv, io);
      return { code, out: lines.join('\n') };
    };

    const created = await cli('merchants', 'create', '--name', 'CLI shop', '--email', 'cli@shop.example');
    expect(created.code).toBe(0);
    const merchantId = /merchant {2}(mer_\w+)/.exec(created.out)![1]!;
    const testKey = /test key {2}(sk_test_\w+)/.exec(created.out)![1]!;
    expect((await call(testKey, 'GET', '/v1/payments')).status).toBe(200);

    const issued = await cli('keys', 'issue', '--merchant', merchantId, '--mode', 'live');
    expect(issued.code).toBe(0);
    const [, issuedId, liveSecret] = /(key_\w+) {2}live {2}(sk_live_\w+)/.exec(issued.out)!;

    const rotated = await cli('keys', 'rotate', '--key', issuedId!);
    expect(rotated.code).toBe(0);
    const newSecret = /issued .*(sk_live_\w+)/.exec(rotated.out)![1]!;
    expect((await call(liveSecret!, 'GET', '/v1/payments')).status).toBe(401);
    expect((await call(newSecret, 'GET', '/v1/payments')).status).toBe(200);

    const newId = /issued {3}(key_\w+)/.exec(rotated.out)![1]!;
    expect((await cli('keys', 'revoke', '--key', newId)).code).toBe(0);
    expect((await call(newSecret, 'GET', '/v1/payments')).status).toBe(401);

    const listed = await cli('keys', 'list', '--merchant', merchantId);
    expect(listed.out.split('\n')).toHaveLength(4);
    expect(listed.out).not.toContain(testKey);
    expect(listed.out).toContain(testKey.slice(0, 12));

    expect((await cli('keys', 'issue', '--merchant', merchantId, '--mode', 'prod')).code).toBe(2);
    expect((await cli('keys', 'revoke', '--key', 'key_nothing00000')).code).toBe(1);
    expect(errors.join('\n')).toMatch(/404/);
  });

  test('npm run kassa runs the CLI script', async () => {
    const { id } = await newMerchant();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', path.resolve(__dirname, '../../scripts/kassa.ts'), 'keys', 'list', '--merchant', id],
      {
        env: { ...process.env, KASSA_URL: stack.url, ADMIN_TOKEN: stack.adminToken },
      },
    );
    expect(stdout.trim().split('\n')).toHaveLength(2);
    expect(stdout).toMatch(/sk_test_\w{4}…/);
  }, 30_000);
});

describe('checkouts', () => {
  const settings = {
    name: 'Книжная лавка',
    site_url: 'https://books.example',
    currencies: ['RUB', 'USD'],
    notify_url: 'https://books.example/kassa/notify',
    success_url: 'https://books.example/ok',
    fail_url: 'https://books.example/fail',
    pending_url: 'https://books.example/wait',
    fee_payer: { type: 'split', buyer_percent: 40 },
    methods: [
      { method: 'sandbox_wallet', currencies: ['RUB'], min_amount: { RUB: '10.00' }, max_amount: { RUB: '5000.00' } },
      { method: 'sandbox_card' },
    ],
  };

  test('a checkout keeps every setting: URLs, currencies, a split fee payer, methods with display conditions', async () => {
    const { testKey } = await newMerchant();
    const created = await call(testKey, 'POST', '/v1/checkouts', settings);
    expect(created.status).toBe(201);
    expect(created.body.webhook_secret).toMatch(/^whsec_/);
    const fetched = await call(testKey, 'GET', `/v1/checkouts/${created.body.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body.webhook_secret).toBeUndefined();
    expect(fetched.body).toMatchObject({
      ...settings,
      object: 'checkout',
      test_mode: true,
      fee: { percent: '3.00', fixed: {} },
      methods_configured: true,
      methods: [
        {
          method: 'sandbox_wallet',
          title: 'E-wallet (sandbox)',
          currencies: ['RUB'],
          min_amount: { RUB: '10.00' },
          max_amount: { RUB: '5000.00' },
          fee: { percent: '3.00' },
        },
        { method: 'sandbox_card', currencies: null, min_amount: {}, max_amount: {} },
      ],
      verification: {
        status: 'unverified',
        file_url: 'https://books.example/.well-known/kassa-verification.txt',
        token: expect.stringMatching(/^kv_/),
        verified_at: null,
      },
    });
  });

  test('PATCH changes only what is given; methods null enables every method again; a new site must be verified again', async () => {
    const { testKey } = await newMerchant();
    const created = await newCheckout(testKey, { methods: [{ method: 'sandbox_card' }] });
    await markVerified(db, created.id);
    const patched = await call(testKey, 'PATCH', `/v1/checkouts/${created.id}`, { fee_payer: 'buyer', methods: null });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      name: 'My shop',
      fee_payer: 'buyer',
      methods_configured: false,
      verification: { status: 'verified' },
    });
    expect(patched.body.methods.map((method: any) => method.method)).toEqual(['sandbox_card', 'sandbox_wallet']);
    const moved = await call(testKey, 'PATCH', `/v1/checkouts/${created.id}`, {
      site_url: 'https://new-books.example',
    });
    expect(moved.body.verification).toMatchObject({
      status: 'unverified',
      verified_at: null,
      file_url: 'https://new-books.example/.well-known/kassa-verification.txt',
    });
    expect(
      await call(testKey, 'PATCH', `/v1/checkouts/${created.id}`, {
        methods: [{ method: 'sandbox_card', min_amount: { RUB: '1.001' } }],
      }),
    ).toMatchObject({
      status: 400,
      body: { error: { param: 'methods.0.min_amount.RUB' } },
    });
    expect(
      await call(testKey, 'PATCH', `/v1/checkouts/${created.id}`, {
        methods: [{ method: 'sandbox_card', min_amount: { RUB: '10' }, max_amount: { RUB: '5' } }],
      }),
    ).toMatchObject({
      status: 400,
      body: { error: { param: 'methods.0.max_amount.RUB' } },
    });
    expect(
      await call(testKey, 'PATCH', `/v1/checkouts/${created.id}`, {
        methods: [{ method: 'sandbox_card' }, { method: 'sandbox_card' }],
      }),
    ).toMatchObject({
      status: 400,
      body: { error: { param: 'methods.1.method' } },
    });
  });

  test('GET /methods shows what a buyer would see and what each method costs under the operator’s commissions', async () => {
    const { testKey } = await newMerchant();
    const checkout = (await call(testKey, 'POST', '/v1/checkouts', settings)).body;
    const priced = await admin('PATCH', `/admin/checkouts/${checkout.id}`, {
      fee: { percent: '2.5', fixed: { RUB: '10.00' } },
      method_fees: { sandbox_wallet: { percent: '1' } },
    });
    expect(priced.status).toBe(200);
    expect(priced.body.methods.map((method: any) => method.fee)).toEqual([
      { percent: '1.00', fixed: {} },
      { percent: '2.50', fixed: { RUB: '10.00' } },
    ]);

    const quotes = await call(testKey, 'GET', `/v1/checkouts/${checkout.id}/methods?amount=1000.00&currency=RUB`);
    expect(quotes.status).toBe(200);
    expect(quotes.body).toMatchObject({ object: 'list', amount: '1000.00', currency: 'RUB' });
    expect(quotes.body.data).toEqual([
      {
        method: 'sandbox_wallet',
        title: 'E-wallet (sandbox)',
        fee: '10.00',
        buyer_fee: '4.00',
        merchant_fee: '6.00',
        buyer_total: '1004.00',
        merchant_net: '994.00',
        fee_schedule: { percent: '1.00', fixed: {} },
      },
      {
        method: 'sandbox_card',
        title: 'Bank card (sandbox)',
        fee: '35.00',
        buyer_fee: '14.00',
        merchant_fee: '21.00',
        buyer_total: '1014.00',
        merchant_net: '979.00',
        fee_schedule: { percent: '2.50', fixed: { RUB: '10.00' } },
      },
    ]);
    const methodsFor = async (query: string) =>
      (await call(testKey, 'GET', `/v1/checkouts/${checkout.id}/methods?${query}`)).body.data.map(
        (method: any) => method.method,
      );
    expect(await methodsFor('amount=9.99&currency=RUB')).toEqual(['sandbox_card']);
    expect(await methodsFor('amount=5000.01&currency=RUB')).toEqual(['sandbox_card']);
    expect(await methodsFor('amount=100.00&currency=USD')).toEqual(['sandbox_card']);
    expect(await call(testKey, 'GET', `/v1/checkouts/${checkout.id}/methods?amount=100&currency=JPY`)).toMatchObject({
      status: 400,
      body: { error: { param: 'currency' } },
    });
    expect(await call(testKey, 'GET', `/v1/checkouts/${checkout.id}/methods?amount=1.001&currency=RUB`)).toMatchObject({
      status: 400,
      body: { error: { param: 'amount' } },
    });
    expect(await call(testKey, 'GET', `/v1/checkouts/${checkout.id}/methods?currency=RUB`)).toMatchObject({
      status: 400,
      body: { error: { param: 'amount' } },
    });
    expect(await admin('PATCH', `/admin/checkouts/${checkout.id}`, { fee: { percent: '101' } })).toMatchObject({
      status: 400,
      body: { error: { param: 'fee.percent' } },
    });
    expect(
      await admin('PATCH', `/admin/checkouts/${checkout.id}`, { method_fees: { live_card: { percent: '1' } } }),
    ).toMatchObject({ status: 400 });
    expect(
      (await call(testKey, 'PATCH', `/v1/checkouts/${checkout.id}`, { fee: { percent: '0' } })).body.error,
    ).toMatchObject({ code: 'parameter_unknown', param: 'fee' });
  });

  test('the hosted page lists only the methods the buyer may see, with what each costs; a hidden method cannot be chosen', async () => {
    const { testKey } = await newMerchant();
    const checkout = (await call(testKey, 'POST', '/v1/checkouts', { ...settings, fee_payer: 'buyer' })).body;
    const small = await newPayment(testKey, checkout.id, { amount: '5.00' });
    const page = await api(stack.url, 'GET', `/pay/${small.id}`);
    expect(page.body).toContain('<button type="submit" name="method" value="sandbox_card">');
    expect(page.body).toContain(
      `<span class="method-name">Bank card (sandbox)</span><span class="method-price">${translator('en').money(515n, 'RUB')}`,
    );
    expect(page.body).not.toContain('value="sandbox_wallet"');
    const chosen = await api(stack.url, 'POST', `/pay/${small.id}/method`, {
      body: { method: 'sandbox_wallet' },
      headers: { accept: 'application/json' },
    });
    expect(chosen).toMatchObject({ status: 400, body: { error: { param: 'method' } } });
    const direct = await call(testKey, 'POST', '/v1/payments', {
      checkout_id: checkout.id,
      order_id: 'SMALL-2',
      amount: '5.00',
      currency: 'RUB',
      description: 'x',
      method: 'sandbox_wallet',
    });
    expect(direct).toMatchObject({ status: 400, body: { error: { param: 'method' } } });
    const large = await newPayment(testKey, checkout.id, { amount: '50.00' });
    expect((await api(stack.url, 'GET', `/pay/${large.id}`)).body).toContain(
      `<span class="method-name">E-wallet (sandbox)</span><span class="method-price">${translator('en').money(5150n, 'RUB')}`,
    );
  });

  test('test payments offer the test connectors’ methods and live payments the live connectors’; a live checkout enables only live methods, and live payments need a verified site', async () => {
    const merchant = await newMerchant();
    const testCheckout = await newCheckout(merchant.testKey);
    const testMethods = await call(
      merchant.testKey,
      'GET',
      `/v1/checkouts/${testCheckout.id}/methods?amount=50.00&currency=RUB`,
    );
    expect(testMethods.body.data.map((method: any) => method.method)).toEqual(['sandbox_card', 'sandbox_wallet']);
    expect((await newPayment(merchant.testKey, testCheckout.id)).test_mode).toBe(true);

    const connector = await admin('POST', '/admin/connectors', {
      provider: 'sandbox',
      mode: 'live',
      credentials: { base_url: stack.sandboxUrl, api_key: sandboxApiKey, webhook_secret: sandboxWebhookSecret },
      methods: ['sandbox_card'],
    });
    expect(connector.status).toBe(201);
    expect(
      await call(merchant.liveKey, 'POST', '/v1/checkouts', checkoutBody({ methods: [{ method: 'sandbox_wallet' }] })),
    ).toMatchObject({
      status: 400,
      body: { error: { param: 'methods.0.method' } },
    });
    const liveCheckout = await newCheckout(merchant.liveKey);
    expect(
      (
        await call(merchant.liveKey, 'GET', `/v1/checkouts/${liveCheckout.id}/methods?amount=50.00&currency=RUB`)
      ).body.data.map((method: any) => method.method),
    ).toEqual(['sandbox_card']);
    const unverified = await call(merchant.liveKey, 'POST', '/v1/payments', {
      checkout_id: liveCheckout.id,
      order_id: 'L-1',
      amount: '50.00',
      currency: 'RUB',
      description: 'x',
    });
    expect(unverified).toMatchObject({
      status: 400,
      body: { error: { code: 'checkout_not_verified', param: 'checkout_id' } },
    });
    expect(unverified.body.error.message).toMatch(/verif/);
    await markVerified(db, liveCheckout.id);
    // Written here straight to the database, the verification reaches the API's checkout cache by its change notice.
    const verified = await eventually(
      () =>
        call(merchant.liveKey, 'POST', '/v1/payments', {
          checkout_id: liveCheckout.id,
          order_id: 'L-1',
          amount: '50.00',
          currency: 'RUB',
          description: 'x',
        }),
      (created) => created.body.error?.code !== 'checkout_not_verified',
      5_000,
    );
    expect(verified.status).toBe(201);
    expect(verified.body.test_mode).toBe(false);
    const live = await newPayment(merchant.liveKey, liveCheckout.id);
    const page = (await api(stack.url, 'GET', `/pay/${live.id}`)).body;
    expect(page).toContain('value="sandbox_card"');
    expect(page).not.toContain('value="sandbox_wallet"');
    expect(
      await admin('PATCH', `/admin/checkouts/${liveCheckout.id}`, { method_fees: { sandbox_card: { percent: '1' } } }),
    ).toMatchObject({ status: 200 });
    expect((await admin('POST', `/admin/connectors/${connector.body.id}/pause`, {})).status).toBe(200);
  });
});

describe('webhook secret rotation', () => {
  const signatures = (webhook: ReceivedRequest) => String(webhook.headers['webhook-signature']).split(' ');
  const signedBy = (secret: string, webhook: ReceivedRequest) =>
    verifyWebhook(
      secret,
      {
        id: String(webhook.headers['webhook-id']),
        timestamp: String(webhook.headers['webhook-timestamp']),
        signature: String(webhook.headers['webhook-signature']),
      },
      webhook.body,
    );

  test('after a rotation both secrets sign for 24 h: webhook-signature carries two v1 entries, one per secret', async () => {
    const receiver = await startReceiver();
    try {
      const { testKey } = await newMerchant();
      const checkout = await newCheckout(testKey, { notify_url: receiver.url });
      const rotated = await call(testKey, 'POST', `/v1/checkouts/${checkout.id}/rotate_secret`, {});
      expect(rotated.status).toBe(200);
      expect(rotated.body.webhook_secret).toMatch(/^whsec_/);
      expect(rotated.body.webhook_secret).not.toBe(checkout.webhook_secret);
      const expiresIn = Date.parse(rotated.body.previous_secret_expires_at) - Date.now();
      expect(expiresIn).toBeGreaterThan(23.9 * 3600_000);
      expect(expiresIn).toBeLessThanOrEqual(24 * 3600_000);
      expect(await webhookSecretsFor(db, checkout.id)).toEqual([rotated.body.webhook_secret, checkout.webhook_secret]);

      // The activity that delivers every merchant webhook, run as Temporal would run it.
      const payment = await newPayment(testKey, checkout.id);
      const eventId = `evt_${payment.id.slice(4)}`;
      const client = await db.connect();
      await insertEvent(client, {
        id: eventId,
        paymentId: payment.id,
        type: 'payment.paid',
        body: JSON.stringify({ id: eventId }),
        createdAt: new Date(),
      });
      client.release();
      const activities = createActivities({
        db,
        providers: providersFromConfig(stack.kassa.config),
        publicUrl: stack.url,
        allowPrivateWebhookUrls: true,
      });
      await new MockActivityEnvironment().run(activities.notifyMerchant, { eventId });
      const [webhook] = await receiver.waitFor(1);
      expect(signatures(webhook!)).toHaveLength(2);
      expect(signatures(webhook!).every((entry) => entry.startsWith('v1,'))).toBe(true);
      expect(signedBy(checkout.webhook_secret, webhook!)).toBe(true);
      expect(signedBy(rotated.body.webhook_secret, webhook!)).toBe(true);
      expect(signedBy('whsec_' + Buffer.alloc(32, 7).toString('base64'), webhook!)).toBe(false);

      await db.query(
        `update checkouts set previous_webhook_secret_expires_at = now() - interval '1 second' where id = $1`,
        [checkout.id],
      );
      expect(await webhookSecretsFor(db, checkout.id)).toEqual([rotated.body.webhook_secret]);
      expect((await call(testKey, 'GET', `/v1/checkouts/${checkout.id}`)).body.previous_secret_expires_at).toBeNull();
    } finally {
      await receiver.close();
    }
  });
});

describe('site verification', () => {
  let site: http.Server;
  let siteUrl: string;
  const served = new Map<string, string>();
  beforeAll(async () => {
    site = http.createServer((req, res) => {
      const body = served.get(`${req.headers.host}${req.url}`);
      res.statusCode = body === undefined ? 404 : 200;
      res.end(body ?? 'not here');
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    siteUrl = `http://127.0.0.1:${(site.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => site.close(() => resolve())));
  const serve = (checkout: any) =>
    served.set(`${new URL(siteUrl).host}/.well-known/kassa-verification.txt`, `${checkout.verification.token}\n`);

  test('a site serving the token is verified by the verify-<checkout id> workflow, and then takes live payments', async () => {
    const { liveKey } = await newMerchant();
    const checkout = await newCheckout(liveKey, { site_url: `${siteUrl}/shop` });
    serve(checkout);
    const started = await call(liveKey, 'POST', `/v1/checkouts/${checkout.id}/verify`, {});
    expect(started).toMatchObject({
      status: 202,
      body: { verification: { status: 'pending', file_url: `${siteUrl}/.well-known/kassa-verification.txt` } },
    });
    const described = await stack.kassa.temporal.workflow.getHandle(siteVerificationWorkflowId(checkout.id)).describe();
    expect(described).toMatchObject({
      workflowId: `verify-${checkout.id}`,
      type: 'siteVerificationWorkflow',
      taskQueue: 'payments',
    });
    const verified = await eventually(
      () => call(liveKey, 'GET', `/v1/checkouts/${checkout.id}`).then((response) => response.body),
      (body) => body.verification.status === 'verified',
    );
    expect(verified.verification.verified_at).toEqual(expect.any(String));
    expect((await newPayment(liveKey, checkout.id)).test_mode).toBe(false);
    expect((await call(liveKey, 'POST', `/v1/checkouts/${checkout.id}/verify`, {})).status).toBe(200);
  });

  test('a site that serves the token only later is verified on a retry; meanwhile the last error is visible', async () => {
    const { liveKey } = await newMerchant();
    const checkout = await newCheckout(liveKey, { site_url: siteUrl.replace('127.0.0.1', 'localhost') });
    expect((await call(liveKey, 'POST', `/v1/checkouts/${checkout.id}/verify`, {})).status).toBe(202);
    const failing = await eventually(
      () => call(liveKey, 'GET', `/v1/checkouts/${checkout.id}`).then((response) => response.body),
      (body) => body.verification.last_error !== null,
    );
    expect(failing.verification).toMatchObject({ status: 'pending', last_error: expect.stringContaining('HTTP 404') });
    served.set(
      `${new URL(checkout.site_url).host}/.well-known/kassa-verification.txt`,
      `kassa: ${checkout.verification.token}`,
    );
    await eventually(
      () => call(liveKey, 'GET', `/v1/checkouts/${checkout.id}`).then((response) => response.body),
      (body) => body.verification.status === 'verified',
      20_000,
    );
  }, 30_000);

  test('a wrong token is not accepted, and test mode needs no verification', async () => {
    const { testKey } = await newMerchant();
    const checkout = await newCheckout(testKey, { site_url: siteUrl });
    served.set(`${new URL(checkout.site_url).host}/.well-known/kassa-verification.txt`, 'kv_someoneelsestoken');
    await call(testKey, 'POST', `/v1/checkouts/${checkout.id}/verify`, {});
    const pending = await eventually(
      () => call(testKey, 'GET', `/v1/checkouts/${checkout.id}`).then((response) => response.body),
      (body) => body.verification.last_error !== null,
    );
    expect(pending.verification).toMatchObject({
      status: 'pending',
      last_error: expect.stringContaining('does not contain the token'),
    });
    expect((await newPayment(testKey, checkout.id)).status).toBe('awaiting_method');
    await stack.kassa.temporal.workflow.getHandle(siteVerificationWorkflowId(checkout.id)).terminate('test over');
  });
});

describe('tenant isolation', () => {
  const endpoints = (ids: { checkout: string; payment: string }): [string, string, unknown?][] => [
    ['GET', `/v1/checkouts/${ids.checkout}`],
    ['PATCH', `/v1/checkouts/${ids.checkout}`, { name: 'Taken over' }],
    ['GET', `/v1/checkouts/${ids.checkout}/methods?amount=50.00&currency=RUB`],
    ['POST', `/v1/checkouts/${ids.checkout}/rotate_secret`, {}],
    ['POST', `/v1/checkouts/${ids.checkout}/verify`, {}],
    ['GET', `/v1/payments/${ids.payment}`],
    ['GET', `/v1/payments/${ids.payment}/events`],
    ['POST', `/v1/payments/${ids.payment}/cancel`, {}],
    [
      'POST',
      '/v1/payments',
      { checkout_id: ids.checkout, order_id: `X-${Math.random()}`, amount: '1.00', currency: 'RUB', description: 'x' },
    ],
  ];

  async function owned() {
    const owner = await newMerchant();
    const testCheckout = await newCheckout(owner.testKey);
    const liveCheckout = await newCheckout(owner.liveKey);
    await markVerified(db, liveCheckout.id);
    const test = { checkout: testCheckout.id, payment: (await newPayment(owner.testKey, testCheckout.id)).id };
    const live = { checkout: liveCheckout.id, payment: (await newPayment(owner.liveKey, liveCheckout.id)).id };
    return { owner, test, live };
  }

  async function expectAllNotFound(key: string, ids: { checkout: string; payment: string }) {
    for (const [method, pathname, body] of endpoints(ids)) {
      const response = await call(key, method, pathname, body);
      expect([method, pathname, response.status]).toEqual([method, pathname, 404]);
      expect(response.body.error).toMatchObject({ type: 'not_found_error', param: expect.any(String) });
    }
  }

  async function expectUntouched(key: string, ids: { checkout: string; payment: string }) {
    expect((await call(key, 'GET', `/v1/checkouts/${ids.checkout}`)).body.name).toBe('My shop');
    expect((await call(key, 'GET', `/v1/payments/${ids.payment}`)).body.status).toBe('awaiting_method');
  }

  test("every merchant endpoint answers 404 to another merchant's key, in both modes, and lists none of its payments", async () => {
    const { owner, test, live } = await owned();
    const stranger = await newMerchant();
    await expectAllNotFound(stranger.testKey, test);
    await expectAllNotFound(stranger.liveKey, live);
    await newPayment(stranger.testKey, (await newCheckout(stranger.testKey)).id);
    const listed = await call(stranger.testKey, 'GET', '/v1/payments?limit=100');
    expect(listed.body.data.map((payment: any) => payment.id)).not.toContain(test.payment);
    expect((await call(stranger.testKey, 'GET', `/v1/payments?checkout_id=${test.checkout}`)).body.data).toEqual([]);
    await expectUntouched(owner.testKey, test);
    await expectUntouched(owner.liveKey, live);
  });

  test('every merchant endpoint answers 404 to a test key on a live object and to a live key on a test object', async () => {
    const { owner, test, live } = await owned();
    await expectAllNotFound(owner.liveKey, test);
    await expectAllNotFound(owner.testKey, live);
    expect(
      (await call(owner.liveKey, 'GET', '/v1/payments?limit=100')).body.data.map((payment: any) => payment.id),
    ).toEqual([live.payment]);
    expect(
      (await call(owner.testKey, 'GET', '/v1/payments?limit=100')).body.data.map((payment: any) => payment.id),
    ).toEqual([test.payment]);
    await expectUntouched(owner.testKey, test);
    await expectUntouched(owner.liveKey, live);
  });
});

describe('hardening', () => {
  test('an unknown field such as status or merchant_id in any body is a 400 naming it', async () => {
    const { id, testKey } = await newMerchant();
    const checkout = await newCheckout(testKey);
    const payment = await newPayment(testKey, checkout.id);
    const bodies: [string, string, string, Record<string, unknown>][] = [
      [testKey, 'POST', '/v1/checkouts', checkoutBody()],
      [testKey, 'PATCH', `/v1/checkouts/${checkout.id}`, { name: 'x' }],
      [testKey, 'POST', `/v1/checkouts/${checkout.id}/rotate_secret`, {}],
      [testKey, 'POST', `/v1/checkouts/${checkout.id}/verify`, {}],
      [
        testKey,
        'POST',
        '/v1/payments',
        { checkout_id: checkout.id, order_id: 'U-1', amount: '1.00', currency: 'RUB', description: 'x' },
      ],
      [testKey, 'POST', `/v1/payments/${payment.id}/cancel`, {}],
      [stack.adminToken, 'POST', '/admin/merchants', { name: 'x', email: 'x@shop.example' }],
      [stack.adminToken, 'POST', `/admin/merchants/${id}/keys`, { mode: 'test' }],
      [stack.adminToken, 'PATCH', `/admin/checkouts/${checkout.id}`, { fee: { percent: '3' } }],
    ];
    for (const [key, method, pathname, body] of bodies) {
      for (const field of ['status', 'merchant_id']) {
        const response = await call(key, method, pathname, { ...body, [field]: 'x' });
        expect([pathname, response.status, response.body.error?.code, response.body.error?.param]).toEqual([
          pathname,
          400,
          'parameter_unknown',
          field,
        ]);
      }
    }
    const nested = await call(testKey, 'PATCH', `/v1/checkouts/${checkout.id}`, {
      methods: [{ method: 'sandbox_card', fee: '0' }],
    });
    expect(nested.body.error).toMatchObject({ code: 'parameter_unknown', param: 'methods.0.fee' });
    expect((await call(testKey, 'GET', `/v1/payments/${payment.id}`)).body.status).toBe('awaiting_method');
  });

  test('a body nested deeper than 20 levels is a 400 and one over 64 kb a 413, both naming the body', async () => {
    const { testKey } = await newMerchant();
    let deep: unknown = 'x';
    for (let level = 0; level < 21; level += 1) deep = { a: deep };
    expect(await call(testKey, 'POST', '/v1/checkouts', { ...checkoutBody(), name: deep })).toMatchObject({
      status: 400,
      body: { error: { code: 'body_too_deep', param: 'body' } },
    });
    let shallow: unknown = 'x';
    for (let level = 0; level < 18; level += 1) shallow = [shallow];
    expect(
      (await call(testKey, 'POST', '/v1/checkouts', { ...checkoutBody(), name: shallow })).body.error.code,
    ).not.toBe('body_too_deep');
    expect(await call(testKey, 'POST', '/v1/checkouts', { ...checkoutBody(), name: 'x'.repeat(70_000) })).toMatchObject(
      {
        status: 413,
        body: { error: { code: 'body_too_large', param: 'body' } },
      },
    );
  });

  test('helmet headers on the API and the hosted pages, with a CSP that allows no inline style or script', async () => {
    const { testKey } = await newMerchant();
    const payment = await newPayment(testKey, (await newCheckout(testKey)).id);
    for (const response of [
      await fetch(`${stack.url}/v1/payments`, { headers: { authorization: `Bearer ${testKey}` } }),
      await fetch(`${stack.url}/pay/${payment.id}`),
    ]) {
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(response.headers.get('x-powered-by')).toBeNull();
      const csp = response.headers.get('content-security-policy')!;
      expect(csp).toContain("default-src 'self'");
      expect(csp).toMatch(/style-src 'self'(;|$)/);
      expect(csp).not.toContain("'unsafe-inline'");
      expect(csp).toContain("img-src 'self' data: https:");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain(`form-action 'self' https: ${stack.sandboxUrl}`);
      expect(csp).not.toContain('upgrade-insecure-requests');
    }
  });

  test('over the per-key rate limit: 429 with Retry-After; other keys are not affected', async () => {
    const harness = await startApiHarness({ RATE_LIMIT_PER_MINUTE: '5' });
    try {
      const created = await request(harness.app)
        .post('/admin/merchants')
        .set('authorization', `Bearer ${harness.adminToken}`)
        .send({ name: 'x', email: 'x@shop.example' });
      const { test, live } = created.body.api_keys;
      const statuses: number[] = [];
      for (let index = 0; index < 6; index += 1)
        statuses.push((await request(harness.app).get('/v1/payments').set('authorization', `Bearer ${test}`)).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
      const limited = await request(harness.app).get('/v1/payments').set('authorization', `Bearer ${test}`);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(12);
      expect(limited.body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limited' });
      expect((await request(harness.app).get('/v1/payments').set('authorization', `Bearer ${live}`)).status).toBe(200);
    } finally {
      await harness.close();
    }
  });
});
