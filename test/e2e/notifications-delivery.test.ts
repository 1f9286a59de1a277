import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { recordHistory } from '../../scripts/record-histories';
import { translator } from '../../src/i18n';
import { decryptSecret } from '../../src/notifications/secrets';
import { startFakeSmsGateway, startFakeTelegram, startSmtpSink, until } from '../support/notification-peers';
import { buyerActs, chooseMethod } from '../support/money';
import {
  api,
  createTestPayment,
  eventually,
  purchaseHandle,
  shopsFor,
  startTestStack,
  type TestStack,
} from '../support/stack';

// Notification channels against real peers on loopback: an SMTP server, a Telegram Bot API and an
// SMS gateway, beside the merchant's webhook receiver. Retries are shortened to 1 s, then 2 s
// (NOTIFICATION_RETRY_SECONDS); the production schedules are in src/workflows/notifications.ts.
jest.setTimeout(60_000);

/** Amounts and dates are formatted with no-break spaces; the facts are compared with plain ones. */
const spaces = (text: string) => text.replace(/[\u00a0\u202f]/g, ' ');
const smtpUser = 'kassa-mailer';
const smtpPass = 'smtp-Pass-7f3c9a1e';
const notificationsKey = randomBytes(32);
const logLines: string[] = [];

let stack: TestStack;
let db: Pool;
let dataDir: string;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
let telegram: Awaited<ReturnType<typeof startFakeTelegram>>;
let sms: Awaited<ReturnType<typeof startFakeSmsGateway>>;
const smsAuth = { header: 'X-Api-Key', value: 'sms-gw-key-0c1d2e3f4a5b' };

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kassa-notifications-'));
  [smtp, telegram, sms] = await Promise.all([
    startSmtpSink({ user: smtpUser, pass: smtpPass, refuse: /@bounce\.example$/ }),
    startFakeTelegram(),
    startFakeSmsGateway(smsAuth.header, smsAuth.value),
  ]);
  stack = await startTestStack(
    {
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Kassa <kassa@pay.example>',
      TELEGRAM_API_URL: telegram.url,
      NOTIFICATIONS_KEY: notificationsKey.toString('base64'),
      NOTIFICATION_RETRY_SECONDS: '1,2',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'debug',
    },
    { kassa: { logDestination: { write: (line: string) => logLines.push(line) } } },
  );
  db = new Pool({ connectionString: stack.databaseUrl, max: 2 });
}, 90_000);
afterAll(async () => {
  await db?.end();
  await stack?.close();
  await Promise.all([smtp?.stop(), telegram?.close(), sms?.close()]);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const shops = shopsFor(() => stack);

const unique = () => Math.random().toString(36).slice(2, 10);
const botToken = () => `${100000 + Math.floor(Math.random() * 900000)}:AAH${randomBytes(16).toString('hex')}`;
const chatId = () => `-100${Math.floor(Math.random() * 1e10)}`;

/** A merchant whose checkout notifies a fresh webhook receiver. */
async function newShop(name = 'My shop') {
  const shop = await shops([], { name });
  const channels = `/v1/checkouts/${shop.checkout.id}/channels`;
  const put = (channel: string, body: Record<string, unknown>) =>
    api(stack.url, 'PUT', `${channels}/${channel}`, { token: shop.testKey, body });
  return { ...shop, checkoutId: shop.checkout.id as string, channels, put };
}

type Shop = Awaited<ReturnType<typeof newShop>>;

/** A payment of 50.00 RUB with a digital delivery; `extra` overrides any field. */
const newPayment = (shop: Shop, extra: Record<string, unknown> = {}) =>
  createTestPayment(stack, shop.testKey, shop.checkoutId, {
    delivery: { type: 'digital', download_url: 'https://shop.example/files/1.zip' },
    ...extra,
  });

/** The buyer pays with the sandbox card; answers when the sandbox has sent the buyer back. */
async function pay(paymentId: string) {
  await buyerActs(await chooseMethod(stack, paymentId), 'approve');
  return Date.now();
}

const deliveries = (shop: Shop, paymentId: string) =>
  api(stack.url, 'GET', `/v1/payments/${paymentId}/deliveries`, { token: shop.testKey }).then((response) => {
    expect(response.status).toBe(200);
    return response.body.data as any[];
  });

const attemptsOn = (log: any[], channel: string) => log.filter((attempt) => attempt.channel === channel);

describe('channel settings', () => {
  test('a checkout gets e-mail, Telegram and SMS channels; the API shows secrets masked and the database holds them encrypted', async () => {
    const shop = await newShop();
    const token = botToken();
    const chat = chatId();
    const email = await shop.put('email', {
      to: ['Orders@Shop.example', 'owner@shop.example', 'orders@shop.example'],
      events: ['payment.paid', 'payment.failed'],
    });
    expect(email.status).toBe(201);
    expect(email.body).toMatchObject({
      object: 'notification_channel',
      channel: 'email',
      to: ['Orders@Shop.example', 'owner@shop.example'],
      enabled: true,
    });
    expect((await shop.put('email', { to: ['orders@shop.example'] })).status).toBe(200);

    const created = await shop.put('telegram', { chat_id: chat, bot_token: token });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      channel: 'telegram',
      chat_id: chat,
      bot_token: `********${token.slice(-4)}`,
      events: ['payment.paid'],
    });
    const gateway = await shop.put('sms', {
      to: '+79991234567',
      url: `${sms.url}/send`,
      body: '{"to":"{to}","text":"{text}"}',
      auth_header: smsAuth.header,
      auth_value: smsAuth.value,
    });
    expect(gateway.status).toBe(201);
    expect(gateway.body).toMatchObject({
      channel: 'sms',
      method: 'POST',
      content_type: 'application/json',
      auth_header: 'x-api-key',
      auth_value: `********${smsAuth.value.slice(-4)}`,
    });

    const listed = await api(stack.url, 'GET', shop.channels, { token: shop.testKey });
    expect(listed.body.data.map((channel: { channel: string }) => channel.channel)).toEqual([
      'email',
      'telegram',
      'sms',
    ]);
    expect(listed.body.data[0]).toMatchObject({
      to: ['orders@shop.example'],
      events: ['payment.paid', 'payment.failed'],
      last_attempt: null,
    });
    const answers = JSON.stringify([email.body, created.body, gateway.body, listed.body]);
    expect(answers).not.toContain(token);
    expect(answers).not.toContain(token.split(':')[1]);
    expect(answers).not.toContain(smsAuth.value);

    const { rows } = await db.query<{ kind: string; secret: string | null; settings: unknown }>(
      'select kind, secret, settings from notification_channels where checkout_id = $1 order by kind',
      [shop.checkoutId],
    );
    const stored = Object.fromEntries(rows.map((row) => [row.kind, row]));
    expect(JSON.stringify(rows)).not.toContain(token.split(':')[1]);
    expect(JSON.stringify(rows)).not.toContain(smsAuth.value);
    expect(stored.telegram!.secret).toMatch(/^v1\.[\w-]+\.[\w-]+$/);
    expect(decryptSecret(notificationsKey, stored.telegram!.secret!, `${shop.checkoutId}/telegram`)).toBe(token);
    expect(decryptSecret(notificationsKey, stored.sms!.secret!, `${shop.checkoutId}/sms`)).toBe(smsAuth.value);
    // bound to its row: the same ciphertext does not open as another checkout's
    expect(() => decryptSecret(notificationsKey, stored.telegram!.secret!, `co_other/telegram`)).toThrow(
      'cannot be decrypted',
    );

    // write-only: leaving the token out keeps it; the chat id changes
    const otherChat = chatId();
    const changed = await shop.put('telegram', { chat_id: otherChat });
    expect(changed.body).toMatchObject({ chat_id: otherChat, bot_token: `********${token.slice(-4)}` });
    const { rows: after } = await db.query<{ secret: string }>(
      "select secret from notification_channels where checkout_id = $1 and kind = 'telegram'",
      [shop.checkoutId],
    );
    expect(after[0]!.secret).toBe(stored.telegram!.secret);

    const removed = await api(stack.url, 'DELETE', `${shop.channels}/sms`, { token: shop.testKey });
    expect(removed.body).toEqual({
      object: 'notification_channel',
      checkout_id: shop.checkoutId,
      channel: 'sms',
      deleted: true,
    });
    expect((await api(stack.url, 'GET', `${shop.channels}/sms`, { token: shop.testKey })).status).toBe(404);
  });

  test('bad channel settings are a 400 naming the field, and another merchant’s checkout is not found', async () => {
    const shop = await newShop();
    const expectInvalid = async (channel: string, body: Record<string, unknown>, param: string) => {
      const answer = await shop.put(channel, body);
      expect([answer.status, answer.body.error?.param]).toEqual([400, param]);
      expect(answer.body.error.message).toContain(param.split('.')[0]);
    };
    await expectInvalid('email', { to: ['orders@shop.example', 'not an address'] }, 'to.1');
    await expectInvalid('email', { to: [] }, 'to');
    await expectInvalid('email', { to: ['orders@shop.example'], events: ['payment.bogus'] }, 'events.0');
    await expectInvalid('telegram', { chat_id: chatId() }, 'bot_token');
    await expectInvalid('telegram', { chat_id: chatId(), bot_token: 'not-a-token' }, 'bot_token');
    await expectInvalid('telegram', { chat_id: 'general chat', bot_token: botToken() }, 'chat_id');
    const gateway = { to: '+79991234567', url: `${sms.url}/send?to={to}&text={text}`, method: 'GET' };
    await expectInvalid('sms', { ...gateway, to: '8 999 123' }, 'to');
    await expectInvalid('sms', { ...gateway, url: 'ftp://sms.example/{to}/{text}' }, 'url');
    await expectInvalid('sms', { ...gateway, url: `${sms.url}/send?to={to}&text={message}` }, 'url');
    await expectInvalid('sms', { ...gateway, url: `${sms.url}/send?to={to}` }, 'url');
    await expectInvalid(
      'sms',
      { ...gateway, method: 'POST', url: `${sms.url}/send`, body: '{"to":{to},"text":"{text}"}' },
      'body',
    );
    await expectInvalid('sms', { ...gateway, body: 'text={text}' }, 'body');

    const fax = await shop.put('fax', { to: ['x@shop.example'] });
    expect([fax.status, fax.body.error.param]).toEqual([404, 'channel']);
    const stranger = await newShop();
    const foreign = await api(stack.url, 'PUT', `${shop.channels}/email`, {
      token: stranger.testKey,
      body: { to: ['x@shop.example'] },
    });
    expect([foreign.status, foreign.body.error.param]).toEqual([404, 'id']);
    expect((await api(stack.url, 'GET', shop.channels, { token: shop.testKey })).body.data).toEqual([]);
  });
});

describe('delivery', () => {
  test('a paid payment reaches the webhook, the seller’s e-mail, Telegram and SMS at once, and the buyer gets a receipt with the download link', async () => {
    const shop = await newShop('Gadget store');
    const token = botToken();
    const chat = chatId();
    const seller = `seller-${unique()}@shop.example`;
    const buyer = `buyer-${unique()}@example.com`;
    telegram.addBot(token);
    await shop.put('email', { to: [seller, `owner-${unique()}@shop.example`] });
    await shop.put('telegram', { chat_id: chat, bot_token: token });
    await shop.put('sms', {
      to: '+79991234567',
      url: `${sms.url}/send?ref={payment_id}`,
      body: '{"to":"{to}","text":"{text}","order":"{order_id}"}',
      auth_header: smsAuth.header,
      auth_value: smsAuth.value,
      events: ['payment.paid', 'payment.failed'],
    });
    const payment = await newPayment(shop, { buyer: { email: buyer } });
    const paidAt = await pay(payment.id);

    const [webhook] = await shop.receiver.waitFor(1);
    const [sellerMail] = await smtp.waitFor(seller);
    const [receipt] = await smtp.waitFor(buyer);
    const chatMessage = await until('the Telegram message', () => telegram.delivered(chat)[0], 30_000);
    const text = await until(
      'the SMS',
      () => sms.requests.find((request) => request.path === `/send?ref=${payment.id}`),
      30_000,
    );
    expect(JSON.parse(webhook!.body)).toMatchObject({ type: 'payment.paid', data: { id: payment.id } });

    // the seller's e-mail: text and HTML with shop, order, amount, method, status and the payment link
    const mail = sellerMail!.mail;
    expect(sellerMail!.user).toBe(smtpUser);
    expect(sellerMail!.rcpt).toHaveLength(2);
    expect(mail.from?.address).toBe('kassa@pay.example');
    expect(spaces(mail.subject!)).toBe(`[Gadget store] [TEST] Order ${payment.order_id} paid: RUB 50.00`);
    for (const part of [spaces(mail.text!), spaces(mail.html!)]) {
      for (const fact of [
        'Gadget store',
        payment.order_id,
        'RUB 50.00',
        'Bank card (sandbox)',
        'paid',
        payment.checkout_url,
        payment.id,
      ])
        expect(part).toContain(fact);
    }
    expect(mail.text).toMatch(/Method:\s+Bank card \(sandbox\) \(sandbox_card\)/);
    expect(mail.text).toMatch(/Status:\s+paid/);
    expect(mail.html).toContain(`<a href="${payment.checkout_url}">`);

    // the buyer's receipt: what was bought and a download link that works
    expect(receipt!.mail.subject).toBe(`[TEST] Your receipt from Gadget store: order ${payment.order_id}`);
    expect(receipt!.mail.text).toContain('Test product');
    const link = /Download:\s+(\S+)/.exec(receipt!.mail.text!)![1]!;
    expect(link).toMatch(new RegExp(`^${stack.url}/pay/${payment.id}/download\\?expires=\\d+&token=[0-9a-f]{64}$`));
    expect(receipt!.mail.html).toContain('Download your file');
    const download = await fetch(link, { redirect: 'manual' });
    expect([download.status, download.headers.get('location')]).toEqual([302, 'https://shop.example/files/1.zip']);

    // Telegram: the bot's token in the path, the chat, the same facts
    expect(chatMessage.path).toBe(`/bot${token}/sendMessage`);
    const sent = JSON.parse(chatMessage.body);
    expect(String(sent.chat_id)).toBe(chat);
    for (const fact of [
      'Gadget store',
      payment.order_id,
      'RUB 50.00',
      'Bank card (sandbox)',
      'Status: paid',
      payment.checkout_url,
    ])
      expect(sent.text).toContain(fact);

    // SMS: the credential in its header, the template filled in
    expect(text.headers['x-api-key']).toBe(smsAuth.value);
    expect(text.headers['content-type']).toBe('application/json');
    const smsBody = JSON.parse(text.body);
    expect(smsBody).toEqual({
      to: '+79991234567',
      text: expect.stringContaining(`order ${payment.order_id} paid, RUB 50.00`),
      order: payment.order_id,
    });

    // all at once: every channel within moments of the webhook, none waiting for another
    const times = {
      webhook: webhook!.receivedAt,
      email: sellerMail!.receivedAt,
      receipt: receipt!.receivedAt,
      telegram: chatMessage.receivedAt,
      sms: text.receivedAt,
    };
    for (const [channel, at] of Object.entries(times))
      expect([channel, at - paidAt < 5_000, Math.abs(at - times.webhook) < 1_500]).toEqual([channel, true, true]);
    const history = await purchaseHandle(stack, payment.id).fetchHistory();
    const scheduled = (history.events ?? []).filter((event) => event.activityTaskScheduledEventAttributes);
    const notifications = scheduled.filter((event) =>
      [
        'notifyMerchant',
        'sendEmailNotification',
        'sendTelegramNotification',
        'sendSmsNotification',
        'sendBuyerReceipt',
      ].includes(event.activityTaskScheduledEventAttributes!.activityType!.name!),
    );
    expect(notifications).toHaveLength(5);
    // scheduled by one workflow task: in parallel
    expect(
      new Set(
        notifications.map((event) => String(event.activityTaskScheduledEventAttributes!.workflowTaskCompletedEventId)),
      ).size,
    ).toBe(1);
    // each on its own policy; a channel down for hours is retried (here every 2 s at most, in production up to hourly) until its schedule-to-close
    const policies = Object.fromEntries(
      notifications.map((event) => {
        const attributes = event.activityTaskScheduledEventAttributes!;
        return [
          attributes.activityType!.name!,
          [
            Number(attributes.scheduleToCloseTimeout?.seconds ?? 0) / 3600,
            Number(attributes.retryPolicy?.maximumInterval?.seconds),
          ],
        ];
      }),
    );
    expect(policies).toEqual({
      notifyMerchant: [96, 3600],
      sendEmailNotification: [72, 2],
      sendTelegramNotification: [72, 2],
      sendSmsNotification: [24, 2],
      sendBuyerReceipt: [72, 2],
    });

    // the delivery log: every channel, one delivered attempt each
    const log = await eventually(
      () => deliveries(shop, payment.id),
      (entries) => entries.length >= 5,
    );
    expect(log.map((attempt) => [attempt.channel, attempt.attempt, attempt.delivered]).sort()).toEqual(
      [
        ['buyer_receipt', 1, true],
        ['email', 1, true],
        ['sms', 1, true],
        ['telegram', 1, true],
        ['webhook', 1, true],
      ].sort(),
    );
    expect(attemptsOn(log, 'telegram')[0]).toMatchObject({
      event_type: 'payment.paid',
      target: `chat ${chat}`,
      response: expect.stringMatching(/^HTTP 200/),
    });
    expect(attemptsOn(log, 'email')[0].response).toMatch(/^250/);
    expect(attemptsOn(log, 'sms')[0].target).toBe(`+79991234567 via ${new URL(sms.url).host}`);
    expect(JSON.stringify(log)).not.toContain(smsAuth.value);
    const channels = await api(stack.url, 'GET', shop.channels, { token: shop.testKey });
    for (const channel of channels.body.data)
      expect(channel.last_attempt).toMatchObject({ delivered: true, error: null });

    const handle = purchaseHandle(stack, payment.id);
    expect((await handle.result()).status).toBe('paid');
    recordHistory('paid-with-channels', await handle.fetchHistory());
  });

  test('a receipt for physical goods names the delivery method and the expected date', async () => {
    const shop = await newShop();
    const buyer = `buyer-${unique()}@example.com`;
    const payment = await newPayment(shop, {
      buyer: { email: buyer },
      delivery: { type: 'physical', method: 'courier', eta_days: 3 },
    });
    await pay(payment.id);
    const [receipt] = await smtp.waitFor(buyer);
    const paid = await api(stack.url, 'GET', `/v1/payments/${payment.id}`, { token: shop.testKey });
    const day = new Date(Date.parse(paid.body.paid_at) + 3 * 86_400_000).toISOString().slice(0, 10);
    const expected = translator('en').date(new Date(day));
    expect(receipt!.mail.text).toMatch(/Delivery:\s+courier/);
    expect(spaces(receipt!.mail.text!)).toMatch(new RegExp(`Expected by:\\s+${expected}`));
    expect(spaces(receipt!.mail.html!)).toContain(expected);
    expect(receipt!.mail.text).not.toContain('Download');
  });

  test('a channel gets only the events it chose: a canceled payment goes to Telegram, not to the e-mail that wants payment.paid', async () => {
    const shop = await newShop();
    const token = botToken();
    const chat = chatId();
    const seller = `seller-${unique()}@shop.example`;
    telegram.addBot(token);
    await shop.put('email', { to: [seller] });
    await shop.put('telegram', { chat_id: chat, bot_token: token, events: ['payment.canceled'] });
    const payment = await newPayment(shop);
    const canceled = await api(stack.url, 'POST', `/v1/payments/${payment.id}/cancel`, { token: shop.testKey });
    expect(canceled.status).toBe(200);
    await purchaseHandle(stack, payment.id).result();
    expect(JSON.parse(telegram.delivered(chat)[0]!.body).text).toContain(`Order ${payment.order_id} canceled`);
    expect(smtp.to(seller)).toEqual([]);
    expect((await deliveries(shop, payment.id)).map((attempt) => attempt.channel).sort()).toEqual([
      'telegram',
      'webhook',
    ]);
  });
});

describe('failures', () => {
  test('Telegram answering 502 for a while is delivered once it is back, and neither the webhook nor the e-mail waits for it', async () => {
    const shop = await newShop();
    const token = botToken();
    const chat = chatId();
    const seller = `seller-${unique()}@shop.example`;
    telegram.addBot(token);
    telegram.failNext(chat, 3);
    await shop.put('email', { to: [seller] });
    await shop.put('telegram', { chat_id: chat, bot_token: token });
    const payment = await newPayment(shop);
    const paidAt = await pay(payment.id);

    const [webhook] = await shop.receiver.waitFor(1);
    const [mail] = await smtp.waitFor(seller);
    const delivered = await until('the Telegram message after the outage', () => telegram.delivered(chat)[0], 30_000);
    const tries = telegram.toChat(chat);
    expect(tries.map((request) => request.status)).toEqual([502, 502, 502, 200]);
    // the webhook and the e-mail came at once, before Telegram's first retry
    expect(webhook!.receivedAt - paidAt).toBeLessThan(3_000);
    expect(mail!.receivedAt - paidAt).toBeLessThan(3_000);
    expect(webhook!.receivedAt).toBeLessThan(tries[1]!.receivedAt);
    expect(mail!.receivedAt).toBeLessThan(tries[1]!.receivedAt);
    // retried on the channel's own schedule (1 s, then 2 s here)
    expect(delivered.receivedAt - tries[0]!.receivedAt).toBeGreaterThanOrEqual(4_000);

    const log = attemptsOn(
      await eventually(
        () => deliveries(shop, payment.id),
        (entries) => attemptsOn(entries, 'telegram').length >= 4,
      ),
      'telegram',
    );
    expect(log.map((attempt) => [attempt.attempt, attempt.delivered])).toEqual([
      [1, false],
      [2, false],
      [3, false],
      [4, true],
    ]);
    expect(log[0].error).toBe('Telegram Bot API answered HTTP 502: Bad Gateway (bot[REDACTED])');
    await purchaseHandle(stack, payment.id).result();
    const history = JSON.stringify(await purchaseHandle(stack, payment.id).fetchHistory());
    expect(history).toContain('Bad Gateway (bot[REDACTED])');
    expect(history).not.toContain(token.split(':')[1]);
  });

  test('an SMTP server that is down gets the e-mail once it is back; the webhook does not wait', async () => {
    // Hours are the same mechanism at another scale: the e-mail profile retries at most hourly
    // until its 3-day schedule-to-close, so a server back after hours gets the message within
    // an hour of returning. Here the intervals are 1 s and 2 s.
    const shop = await newShop();
    const seller = `seller-${unique()}@shop.example`;
    await shop.put('email', { to: [seller] });
    const payment = await newPayment(shop);
    await smtp.stop();
    try {
      await pay(payment.id);
      await shop.receiver.waitFor(1);
      const failed = await eventually(
        () => deliveries(shop, payment.id),
        (entries) => attemptsOn(entries, 'email').length >= 2,
      );
      expect(
        attemptsOn(failed, 'email').every((attempt) => !attempt.delivered && /ECONNREFUSED/.test(attempt.error)),
      ).toBe(true);
      expect(attemptsOn(failed, 'webhook')).toMatchObject([{ delivered: true }]);
      expect(smtp.to(seller)).toEqual([]);
    } finally {
      await smtp.start();
    }
    const [mail] = await smtp.waitFor(seller, 1, 15_000);
    expect(mail!.mail.subject).toContain(payment.order_id);
    const log = attemptsOn(
      await eventually(
        () => deliveries(shop, payment.id),
        (entries) => attemptsOn(entries, 'email').some((attempt) => attempt.delivered),
      ),
      'email',
    );
    expect(log.at(-1)).toMatchObject({ delivered: true, error: null });
    expect(log.slice(0, -1).every((attempt) => !attempt.delivered)).toBe(true);
  });

  test('an address the SMTP server refuses is a clear error on the checkout’s channel; the payment and its webhook go on', async () => {
    const shop = await newShop();
    await shop.put('email', { to: ['nobody@bounce.example'] });
    const payment = await newPayment(shop);
    await pay(payment.id);
    const result = await purchaseHandle(stack, payment.id).result();
    expect(result.status).toBe('paid');
    await shop.receiver.waitFor(1);

    const log = await deliveries(shop, payment.id);
    expect(attemptsOn(log, 'webhook')).toMatchObject([{ delivered: true }]);
    // refused for good: one attempt, not retried for days
    expect(attemptsOn(log, 'email')).toEqual([
      expect.objectContaining({
        attempt: 1,
        delivered: false,
        target: 'nobody@bounce.example',
        error: expect.stringMatching(/^recipient refused: .*550 5\.1\.1 <nobody@bounce\.example>/),
      }),
    ]);
    const channel = await api(stack.url, 'GET', `${shop.channels}/email`, { token: shop.testKey });
    expect(channel.body.last_attempt).toMatchObject({
      event_id: log[0].event_id,
      delivered: false,
      error: expect.stringContaining('Recipient address rejected'),
    });
  });
});

describe('resend and secrecy', () => {
  test('a merchant re-sends an event to the channel they choose', async () => {
    const shop = await newShop();
    const seller = `seller-${unique()}@shop.example`;
    await shop.put('email', { to: [seller] });
    const payment = await newPayment(shop);
    await pay(payment.id);
    await smtp.waitFor(seller);
    await purchaseHandle(stack, payment.id).result();
    const [event] = (await api(stack.url, 'GET', `/v1/payments/${payment.id}/events`, { token: shop.testKey })).body
      .data;
    const resend = (body: unknown) =>
      api(stack.url, 'POST', `/v1/payments/${payment.id}/events/${event.id}/resend`, { token: shop.testKey, body });

    const email = await resend({ channel: 'email' });
    expect(email.status).toBe(200);
    expect(email.body).toMatchObject({
      object: 'delivery_attempt',
      event_id: event.id,
      channel: 'email',
      delivered: true,
      attempt: 2,
      error: null,
    });
    expect(smtp.to(seller)).toHaveLength(2);
    const webhook = await resend({ channel: 'webhook' });
    expect(webhook.body).toMatchObject({ channel: 'webhook', delivered: true, attempt: 2, response: 'HTTP 200' });
    expect(shop.receiver.received).toHaveLength(2);

    const missing = await resend({ channel: 'telegram' });
    expect([missing.status, missing.body.error.param]).toEqual([400, 'channel']);
    expect(missing.body.error.message).toContain(`PUT /v1/checkouts/${shop.checkoutId}/channels/telegram`);
    const receipt = await resend({ channel: 'buyer_receipt' });
    expect([receipt.status, receipt.body.error.param]).toEqual([400, 'channel']);
    expect((await resend({ channel: 'fax' })).body.error.param).toBe('channel');
    const unknown = await api(stack.url, 'POST', `/v1/payments/${payment.id}/events/evt_nope1234/resend`, {
      token: shop.testKey,
      body: { channel: 'email' },
    });
    expect([unknown.status, unknown.body.error.param]).toEqual([404, 'event_id']);

    const log = await deliveries(shop, payment.id);
    expect(attemptsOn(log, 'email').map((attempt) => [attempt.attempt, attempt.delivered, attempt.resend])).toEqual([
      [1, true, false],
      [2, true, true],
    ]);
    expect(attemptsOn(log, 'webhook').map((attempt) => attempt.attempt)).toEqual([1, 2]);
  });

  test('channel secrets and the SMTP password never reach the logs', async () => {
    const { rows } = await db.query<{ secret: string; checkout_id: string; kind: string }>(
      'select checkout_id, kind, secret from notification_channels where secret is not null',
    );
    const secrets = rows.map((row) => decryptSecret(notificationsKey, row.secret, `${row.checkout_id}/${row.kind}`));
    expect(secrets.length).toBeGreaterThanOrEqual(4);
    expect(logLines.length).toBeGreaterThan(50);
    const logs = logLines.join('');
    expect(logs).toContain('sendTelegramNotification');
    expect(logs).toContain('Bad Gateway (bot[REDACTED])'); // the outage test's failures were logged, redacted
    for (const secret of [...secrets, ...secrets.map((secret) => secret.split(':')[1] ?? secret), smtpPass])
      expect(logs).not.toContain(secret);
  });
});
