import { Pool } from 'pg';
import { sealPlaintextWebhookSecrets, webhookSecretsFor } from '../../src/db/checkouts';
import { newWebhookSecret, signReturn, verifyWebhook } from '../../src/domain/signatures';
import { notificationsKey, SecretUnreadableError } from '../../src/notifications/secrets';
import {
  api,
  onboardMerchant,
  type ReceivedRequest,
  startReceiver,
  startTestStack,
  type TestStack,
} from '../support/stack';

describe('webhook secrets at rest', () => {
  let stack: TestStack;
  let db: Pool;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    [stack, receiver] = await Promise.all([startTestStack(), startReceiver()]);
    db = new Pool({ connectionString: stack.databaseUrl, max: 2 });
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    await receiver?.close();
    await stack?.close();
  });

  const stored = async (checkoutId: string) =>
    (await db.query('select webhook_secret, previous_webhook_secret from checkouts where id = $1', [checkoutId]))
      .rows[0] as {
      webhook_secret: string;
      previous_webhook_secret: string | null;
    };

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

  /** A payment paid through the sandbox; resolves with the webhook its checkout received and the buyer's return page. */
  async function pay(key: string, checkoutId: string) {
    const before = receiver.received.length;
    const created = await api(stack.url, 'POST', '/v1/payments', {
      token: key,
      body: {
        checkout_id: checkoutId,
        order_id: `S-${Math.random().toString(36).slice(2)}`,
        amount: '50.00',
        currency: 'RUB',
        description: 'Book',
      },
    });
    expect(created.status).toBe(201);
    const chosen = await api(stack.url, 'POST', `/pay/${created.body.id}/method`, {
      body: { method: 'sandbox_card' },
      headers: { accept: 'application/json' },
    });
    expect(chosen.status).toBe(200);
    const approved = await fetch(`${chosen.body.redirect_url}/approve`, { method: 'POST', redirect: 'manual' });
    expect(approved.status).toBe(303);
    const received = await receiver.waitFor(before + 1);
    const webhook = received.slice(before).find((request) => JSON.parse(request.body).data?.id === created.body.id)!;
    expect(JSON.parse(webhook.body).type).toBe('payment.paid');
    const page = await api(stack.url, 'GET', `/pay/${created.body.id}/return`);
    const signature = /[?&;]signature=([0-9a-f]{64})/.exec(page.body as string)?.[1];
    return { payment: created.body, webhook, returnSignature: signature };
  }

  test('a new checkout answers its secret once in clear, stores it sealed, and its webhooks and buyer links verify with it', async () => {
    const merchant = await onboardMerchant(stack, receiver.url);
    const secret: string = merchant.checkout.webhook_secret;
    expect(secret).toMatch(/^whsec_/);
    const row = await stored(merchant.checkout.id);
    expect(row.webhook_secret).toMatch(/^v1\./);
    expect(row.webhook_secret).not.toContain(secret.slice('whsec_'.length, 'whsec_'.length + 12));
    const shown = await api(stack.url, 'GET', `/v1/checkouts/${merchant.checkout.id}`, { token: merchant.testKey });
    expect(JSON.stringify(shown.body)).not.toContain(secret);

    const { payment, webhook, returnSignature } = await pay(merchant.testKey, merchant.checkout.id);
    expect(signedBy(secret, webhook)).toBe(true);
    expect(returnSignature).toBe(
      signReturn(secret, { paymentId: payment.id, orderId: payment.order_id, status: 'paid' }),
    );
  }, 60_000);

  test('a rotation answers the new secret once, keeps both sealed, and both sign during the grace period', async () => {
    const merchant = await onboardMerchant(stack, receiver.url);
    const rotated = await api(stack.url, 'POST', `/v1/checkouts/${merchant.checkout.id}/rotate_secret`, {
      token: merchant.testKey,
    });
    expect(rotated.status).toBe(200);
    expect(rotated.body.webhook_secret).toMatch(/^whsec_/);
    const row = await stored(merchant.checkout.id);
    expect(row.webhook_secret).toMatch(/^v1\./);
    expect(row.previous_webhook_secret).toMatch(/^v1\./);
    const { webhook } = await pay(merchant.testKey, merchant.checkout.id);
    expect(signedBy(rotated.body.webhook_secret, webhook)).toBe(true);
    expect(signedBy(merchant.checkout.webhook_secret, webhook)).toBe(true);
  }, 60_000);

  test('a checkout whose secrets were stored in clear before the upgrade keeps signing with them, and is sealed on first use', async () => {
    const merchant = await onboardMerchant(stack, receiver.url);
    const [current, previous] = [newWebhookSecret(), newWebhookSecret()];
    await db.query(
      `update checkouts set webhook_secret = $2, previous_webhook_secret = $3, previous_webhook_secret_expires_at = now() + interval '1 hour' where id = $1`,
      [merchant.checkout.id, current, previous],
    );
    const { payment, webhook, returnSignature } = await pay(merchant.testKey, merchant.checkout.id);
    expect(signedBy(current, webhook)).toBe(true);
    expect(signedBy(previous, webhook)).toBe(true);
    expect(returnSignature).toBe(
      signReturn(current, { paymentId: payment.id, orderId: payment.order_id, status: 'paid' }),
    );
    const row = await stored(merchant.checkout.id);
    expect(row.webhook_secret).toMatch(/^v1\./);
    expect(row.previous_webhook_secret).toMatch(/^v1\./);
    expect(await webhookSecretsFor(db, merchant.checkout.id)).toEqual([current, previous]);
  }, 60_000);

  test('rotating a secret stored in clear seals the old one as it becomes the previous', async () => {
    const merchant = await onboardMerchant(stack, receiver.url);
    const old = newWebhookSecret();
    await db.query('update checkouts set webhook_secret = $2 where id = $1', [merchant.checkout.id, old]);
    const rotated = await api(stack.url, 'POST', `/v1/checkouts/${merchant.checkout.id}/rotate_secret`, {
      token: merchant.testKey,
    });
    expect(rotated.status).toBe(200);
    const row = await stored(merchant.checkout.id);
    expect(row.previous_webhook_secret).toMatch(/^v1\./);
    expect(await webhookSecretsFor(db, merchant.checkout.id)).toEqual([rotated.body.webhook_secret, old]);
  });

  test('the startup pass seals every secret still in clear, once', async () => {
    const merchants = await Promise.all([onboardMerchant(stack, receiver.url), onboardMerchant(stack, receiver.url)]);
    const plain = merchants.map(() => newWebhookSecret());
    for (const [index, merchant] of merchants.entries()) {
      await db.query('update checkouts set webhook_secret = $2 where id = $1', [merchant.checkout.id, plain[index]]);
    }
    const key = notificationsKey(stack.kassa.config);
    expect(await sealPlaintextWebhookSecrets(db, key)).toBe(2);
    expect(await sealPlaintextWebhookSecrets(db, key)).toBe(0);
    const { rows } = await db.query(
      `select count(*)::int as n from checkouts where webhook_secret like 'whsec%' or previous_webhook_secret like 'whsec%'`,
    );
    expect(rows[0].n).toBe(0);
    for (const [index, merchant] of merchants.entries())
      expect(await webhookSecretsFor(db, merchant.checkout.id)).toEqual([plain[index]]);
  });

  test('a sealed secret copied onto another checkout does not open there', async () => {
    const [a, b] = await Promise.all([onboardMerchant(stack, receiver.url), onboardMerchant(stack, receiver.url)]);
    await db.query(
      'update checkouts set webhook_secret = (select webhook_secret from checkouts where id = $1) where id = $2',
      [a.checkout.id, b.checkout.id],
    );
    await expect(webhookSecretsFor(db, b.checkout.id)).rejects.toBeInstanceOf(SecretUnreadableError);
    expect(await webhookSecretsFor(db, a.checkout.id)).toEqual([a.checkout.webhook_secret]);
  });
});
