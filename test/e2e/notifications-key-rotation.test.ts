import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { workflowBundle, startKassa, type RunningKassa } from '../../worker';
import { loadConfig } from '../../src/config';
import { verifyWebhook } from '../../src/domain/signatures';
import { decryptSecret, SecretUnreadableError, secretOwner } from '../../src/notifications/secrets';
import { buyerActs, chooseMethod } from '../support/money';
import {
  api,
  createTestPayment,
  onboardMerchant,
  startReceiver,
  startTestStack,
  type TestStack,
} from '../support/stack';

// Rotating NOTIFICATIONS_KEY: Kassa started with a new key and the old one in NOTIFICATIONS_KEY_PREVIOUS
// still reads every secret sealed with the old key, seals each again with the new one at start, and
// from then on needs the old key no more.

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const webhookOwner = (checkoutId: string) => `${checkoutId}/webhook_secret`;

let stack: TestStack;
let db: Pool;
let rotated: RunningKassa | undefined;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  [stack, receiver] = await Promise.all([startTestStack({ NOTIFICATIONS_KEY: keyA.toString('hex') }), startReceiver()]);
  db = new Pool({ connectionString: stack.databaseUrl, max: 2 });
}, 90_000);

afterAll(async () => {
  await rotated?.close();
  await db?.end();
  await receiver?.close();
  await stack?.close();
});

/** Kassa again on the same database, port and Temporal namespace, with other keys. */
async function restartWith(key: Buffer, previousKeys: Buffer[]): Promise<RunningKassa> {
  await (rotated ?? stack.kassa).close();
  const config = { ...stack.kassa.config, notifications: { ...stack.kassa.config.notifications, key, previousKeys } };
  rotated = await startKassa(config, { workflowBundle: await workflowBundle() });
  return rotated;
}

const stored = async (checkoutId: string) => {
  const checkout = await db.query('select webhook_secret from checkouts where id = $1', [checkoutId]);
  const channel = await db.query(
    "select secret from notification_channels where checkout_id = $1 and kind = 'telegram'",
    [checkoutId],
  );
  return { webhook: checkout.rows[0].webhook_secret as string, telegram: channel.rows[0].secret as string };
};

test('a new key with the old one as previous: secrets are sealed again at start, webhooks still verify, then the old key can go', async () => {
  const merchant = await onboardMerchant(stack, receiver.url);
  const checkoutId: string = merchant.checkout.id;
  const secret: string = merchant.checkout.webhook_secret;
  const token = `123456:AAH${randomBytes(16).toString('hex')}`;
  const channel = await api(stack.url, 'PUT', `/v1/checkouts/${checkoutId}/channels/telegram`, {
    token: merchant.testKey,
    body: { chat_id: '-1001234567890', bot_token: token },
  });
  expect(channel.status).toBe(201);
  const before = await stored(checkoutId);
  expect(decryptSecret(keyA, before.webhook, webhookOwner(checkoutId))).toBe(secret);

  await restartWith(keyB, [keyA]);
  const after = await stored(checkoutId);
  expect(decryptSecret(keyB, after.webhook, webhookOwner(checkoutId))).toBe(secret);
  expect(decryptSecret(keyB, after.telegram, secretOwner(checkoutId, 'telegram'))).toBe(token);
  expect(() => decryptSecret(keyA, after.webhook, webhookOwner(checkoutId))).toThrow(SecretUnreadableError);

  await restartWith(keyB, []);
  const payment = await createTestPayment(stack, merchant.testKey, checkoutId);
  await buyerActs(await chooseMethod(stack, payment.id), 'approve');
  const [webhook] = await receiver.waitFor(1);
  expect(JSON.parse(webhook!.body)).toMatchObject({ type: 'payment.paid', data: { id: payment.id } });
  expect(
    verifyWebhook(
      secret,
      {
        id: String(webhook!.headers['webhook-id']),
        timestamp: String(webhook!.headers['webhook-timestamp']),
        signature: String(webhook!.headers['webhook-signature']),
      },
      webhook!.body,
    ),
  ).toBe(true);
});

test('a previous key that does not parse is refused at start, naming the variable and not repeating the value', () => {
  expect(() => loadConfig({ NOTIFICATIONS_KEY_PREVIOUS: `${keyA.toString('hex')},not-a-key-zz` })).toThrow(
    /^NOTIFICATIONS_KEY_PREVIOUS: /,
  );
  expect(() => loadConfig({ NOTIFICATIONS_KEY_PREVIOUS: 'not-a-key-zz' })).toThrow(
    /^NOTIFICATIONS_KEY_PREVIOUS: (?!.*not-a-key-zz)/,
  );
});
