import http from 'node:http';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import request from 'supertest';
import { createActivities } from '../../src/activities';
import { createSiteVerificationActivities } from '../../src/activities/site-verification';
import { insertEvent } from '../../src/db/events';
import { insertPayment } from '../../src/db/payments';
import { newId } from '../../src/domain/ids';
import { type Resolver, safeRequest, UnsafeUrlError } from '../../src/net/safe-http';
import { type ApiHarness, checkoutBody, startApiHarness } from '../support/merchant-api';
import { startReceiver } from '../support/stack';

/** Every spelling of an internal destination a merchant might hand us, and schemes we never fetch. */
const refused = [
  'http://localhost/kassa',
  'http://localhost./kassa',
  'http://shop.localhost/kassa',
  'http://127.0.0.1/kassa',
  'http://127.1/kassa',
  'http://2130706433/kassa',
  'http://0x7f000001/kassa',
  'http://017700000001/kassa',
  'http://0.0.0.0/kassa',
  'http://[::1]/kassa',
  'http://[::ffff:127.0.0.1]/kassa',
  'http://[::ffff:10.0.0.1]/kassa',
  'http://[fd00::1]/kassa',
  'http://[fe80::1]/kassa',
  'http://10.0.0.1/kassa',
  'http://10.255.255.254/kassa',
  'http://172.16.0.1/kassa',
  'http://172.31.255.254/kassa',
  'http://192.168.0.1/kassa',
  'http://192.168.255.254/kassa',
  'http://169.254.169.254/latest/meta-data/',
  'http://good@127.0.0.1/kassa',
  'https://user:pass@shop.example/kassa',
  'ftp://shop.example/kassa',
  'file:///etc/passwd',
  'gopher://shop.example/kassa',
  'javascript:alert(1)',
  'data:text/plain,hello',
];
const urlFields = ['site_url', 'notify_url', 'success_url', 'fail_url', 'pending_url'];

let harness: ApiHarness;
beforeAll(async () => {
  harness = await startApiHarness({ ALLOW_PRIVATE_WEBHOOK_URLS: 'false' });
}, 60_000);
afterAll(async () => {
  await harness?.close();
});

describe('merchant URLs outside development', () => {
  test.each(refused)('%s is refused in every URL field of a checkout, on creation and on change', async (url) => {
    const merchant = await harness.merchant();
    for (const field of urlFields) {
      const created = await request(harness.app)
        .post('/v1/checkouts')
        .set('authorization', `Bearer ${merchant.testKey}`)
        .send(checkoutBody({ [field]: url }));
      expect([field, created.status, created.body.error?.param]).toEqual([field, 400, field]);
      const changed = await request(harness.app)
        .patch(`/v1/checkouts/${merchant.testCheckout.id}`)
        .set('authorization', `Bearer ${merchant.testKey}`)
        .send({ [field]: url });
      expect([field, changed.status, changed.body.error?.param]).toEqual([field, 400, field]);
    }
    const payment = await request(harness.app)
      .post('/v1/payments')
      .set('authorization', `Bearer ${merchant.testKey}`)
      .send({
        checkout_id: merchant.testCheckout.id,
        order_id: 'D-1',
        amount: '1.00',
        currency: 'RUB',
        description: 'x',
        delivery: { type: 'digital', download_url: url },
      });
    expect(payment.status).toBe(400);
    expect(payment.body.error.param).toBe('delivery.download_url');
  });

  test('public addresses and names are accepted', async () => {
    const merchant = await harness.merchant();
    for (const url of [
      'https://shop.example/kassa',
      'http://172.32.0.1/kassa',
      'http://8.8.8.8/kassa',
      'http://[2001:4860:4860::8888]/kassa',
    ]) {
      const created = await request(harness.app)
        .post('/v1/checkouts')
        .set('authorization', `Bearer ${merchant.testKey}`)
        .send(checkoutBody({ notify_url: url, site_url: url }));
      expect([url, created.status]).toEqual([url, 201]);
    }
  });

  test('in production private URLs are refused by default; in development they are allowed, credentials and other schemes never', async () => {
    const production = await startApiHarness({
      KASSA_ENV: 'production',
      NOTIFICATIONS_KEY: Buffer.alloc(32, 1).toString('base64'),
    });
    const development = await startApiHarness({ KASSA_ENV: 'development' });
    try {
      const prod = await production.merchant();
      const local = await request(production.app)
        .post('/v1/checkouts')
        .set('authorization', `Bearer ${prod.testKey}`)
        .send(checkoutBody({ notify_url: 'http://127.0.0.1:4200/notify' }));
      expect(local.body.error).toMatchObject({ param: 'notify_url', message: expect.stringContaining('loopback') });
      const dev = await development.merchant();
      const allowed = await request(development.app)
        .post('/v1/checkouts')
        .set('authorization', `Bearer ${dev.testKey}`)
        .send(checkoutBody({ notify_url: 'http://127.0.0.1:4200/notify' }));
      expect(allowed.status).toBe(201);
      for (const url of ['http://good@127.0.0.1/', 'ftp://shop.example/', 'javascript:alert(1)']) {
        const response = await request(development.app)
          .post('/v1/checkouts')
          .set('authorization', `Bearer ${dev.testKey}`)
          .send(checkoutBody({ notify_url: url }));
        expect([url, response.status]).toEqual([url, 400]);
      }
    } finally {
      await production.close();
      await development.close();
    }
  });
});

describe('fetching merchant URLs', () => {
  /** A loopback server standing for an internal service: it must never be reached. */
  let internal: http.Server;
  let internalHits = 0;
  /** A loopback server standing for the public `shop.example` (reached only through the dial seam). */
  let shop: http.Server;
  let shopAnswer: (res: http.ServerResponse) => void = (res) => res.end();
  const port = (server: http.Server) => (server.address() as { port: number }).port;
  const listen = (server: http.Server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  beforeAll(async () => {
    internal = http.createServer((_req, res) => {
      internalHits += 1;
      res.end('secret');
    });
    shop = http.createServer((_req, res) => shopAnswer(res));
    await Promise.all([listen(internal), listen(shop)]);
  });
  afterAll(async () => {
    await new Promise((resolve) => internal.close(resolve));
    await new Promise((resolve) => shop.close(resolve));
  });
  beforeEach(() => {
    internalHits = 0;
  });

  const publicAddress = '198.51.100.7';
  const resolve: Resolver = async (hostname) => {
    const table: Record<string, string[]> = {
      'shop.example': [publicAddress],
      'intranet.example': ['10.1.2.3'],
      'mixed.example': [publicAddress, '192.168.1.10'],
      'mapped.example': ['::ffff:127.0.0.1'],
    };
    return (table[hostname] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  /** Traffic meant for the public-looking address goes to the loopback `shop` server; nothing else leaves the machine. */
  const dial = (address: string) => (address === publicAddress ? '127.0.0.1' : address);
  const seam = { allowPrivate: false, resolve, dial };

  async function verificationCheckout() {
    const merchant = await harness.merchant({ site_url: `http://shop.example:${port(shop)}` });
    return { checkout: merchant.liveCheckout, key: merchant.liveKey };
  }

  test('a public-looking site that redirects to a private address is refused at the redirect, and the private address is never contacted', async () => {
    const { checkout, key } = await verificationCheckout();
    const activities = createSiteVerificationActivities({ db: harness.db, http: seam });
    const input = { checkoutId: checkout.id, siteUrl: checkout.site_url, token: checkout.verification.token };

    shopAnswer = (res) => res.end(checkout.verification.token);
    await expect(activities.checkVerificationFile(input)).resolves.toEqual({
      url: `http://shop.example:${port(shop)}/.well-known/kassa-verification.txt`,
    });

    shopAnswer = (res) => {
      res.statusCode = 302;
      res.setHeader('location', `http://127.0.0.1:${port(internal)}/.well-known/kassa-verification.txt`);
      res.end();
    };
    const failure = await activities.checkVerificationFile(input).catch((error) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'UnsafeUrl', nonRetryable: true });
    expect(failure.message).toContain('loopback');
    expect(internalHits).toBe(0);
    const seen = await request(harness.app).get(`/v1/checkouts/${checkout.id}`).set('authorization', `Bearer ${key}`);
    expect(seen.body.verification.last_error).toContain('must not point to a loopback address');
  });

  test.each([
    ['a name that resolves to a private address', 'intranet.example'],
    ['a name with one public and one private address', 'mixed.example'],
    ['a name that resolves to an IPv4-mapped loopback address', 'mapped.example'],
  ])('%s is refused before connecting', async (_what, hostname) => {
    const error = await safeRequest(`http://${hostname}:${port(internal)}/`, {}, seam).catch((caught) => caught);
    expect(error).toBeInstanceOf(UnsafeUrlError);
    expect(error.message).toMatch(/private|loopback/);
    expect(internalHits).toBe(0);
  });

  test('a redirect is returned, never followed, by the webhook client', async () => {
    shopAnswer = (res) => {
      res.statusCode = 307;
      res.setHeader('location', `http://127.0.0.1:${port(internal)}/`);
      res.end();
    };
    const response = await safeRequest(
      `http://shop.example:${port(shop)}/notify`,
      { method: 'POST', body: '{}' },
      seam,
    );
    expect(response.status).toBe(307);
    expect(internalHits).toBe(0);
  });

  test('a webhook to a notify_url on a private address is refused, recorded as a failed attempt, and not retried', async () => {
    const receiver = await startReceiver();
    try {
      const merchant = await harness.merchant();
      await harness.db.query('update checkouts set notify_url = $2 where id = $1', [
        merchant.testCheckout.id,
        receiver.url,
      ]);
      const payment = await insertPayment(harness.db, {
        id: newId('pay'),
        merchantId: merchant.id,
        checkoutId: merchant.testCheckout.id,
        orderId: 'W-1',
        testMode: true,
        amountMinor: 100n,
        currency: 'RUB',
        description: 'x',
        method: null,
        delivery: null,
        metadata: {},
        expiresAt: new Date(Date.now() + 60_000),
      });
      const eventId = `evt_${newId('pay').slice(4)}`;
      const client = await harness.db.connect();
      await insertEvent(client, {
        id: eventId,
        paymentId: payment.id,
        type: 'payment.paid',
        body: '{}',
        createdAt: new Date(),
      });
      client.release();
      const deps = { db: harness.db, providers: harness.deps.providers, publicUrl: harness.config.publicUrl };

      const failure = await new MockActivityEnvironment()
        .run(createActivities({ ...deps, allowPrivateWebhookUrls: false }).notifyMerchant, { eventId })
        .catch((error) => error);
      expect(failure).toMatchObject({ type: 'WebhookUrlRefused', nonRetryable: true });
      expect(receiver.received).toHaveLength(0);
      const { rows } = await harness.db.query('select status_code, error from webhook_attempts where event_id = $1', [
        eventId,
      ]);
      expect(rows).toEqual([
        { status_code: null, error: expect.stringContaining('must not point to a loopback address') },
      ]);

      await expect(
        new MockActivityEnvironment({ attempt: 2 }).run(
          createActivities({ ...deps, allowPrivateWebhookUrls: true }).notifyMerchant,
          { eventId },
        ),
      ).resolves.toEqual({ statusCode: 200 });
      expect(receiver.received).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });
});
