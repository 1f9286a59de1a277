import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import PostalMime from 'postal-mime';
import { ConfigError, loadConfig } from '../../src/config';
import { merchantEventTypes } from '../../src/domain/event-types';
import { createMailer } from '../../src/notifications/email';
import {
  buyerReceiptEmail,
  type EventView,
  sellerChatMessage,
  sellerEmail,
  sellerSms,
} from '../../src/notifications/messages';
import {
  decryptSecret,
  encryptSecret,
  notificationsKey,
  parseNotificationsKey,
  redactSecrets,
} from '../../src/notifications/secrets';
import { maskSecret } from '../../src/domain/channel';
import { notificationSettings } from '../../src/config';
import { fillTemplate, sampleSmsValues, smsRequest, unknownPlaceholders } from '../../src/notifications/sms';

// Notification building blocks without servers: secret encryption and the key, configuration,
// SMS templates, message rendering and the development mail log.

const tempDirs: string[] = [];
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kassa-notify-unit-'));
  tempDirs.push(dir);
  return dir;
};
afterAll(() => tempDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

describe('channel secrets', () => {
  const key = randomBytes(32);

  test('a secret is sealed with AES-256-GCM: fresh ciphertext each time, readable only with the same key and owner, tampering detected', () => {
    const token = '7301234567:AAHf9dX2kq_Lm3nP4rS5tU6vW7xY8zA9bC0';
    const first = encryptSecret(key, token, 'co_1/telegram');
    const second = encryptSecret(key, token, 'co_1/telegram');
    expect(first).toMatch(/^v1\.[\w-]{16}\.[\w-]+$/);
    expect(first).not.toBe(second);
    expect(first).not.toContain(token.slice(11));
    expect(decryptSecret(key, first, 'co_1/telegram')).toBe(token);
    expect(() => decryptSecret(randomBytes(32), first, 'co_1/telegram')).toThrow('cannot be decrypted');
    expect(() => decryptSecret(key, first, 'co_2/telegram')).toThrow('cannot be decrypted');
    const [version, nonce, sealed] = first.split('.');
    const flipped = Buffer.from(sealed!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    expect(() =>
      decryptSecret(key, [version, nonce, flipped.toString('base64url')].join('.'), 'co_1/telegram'),
    ).toThrow('cannot be decrypted');
    expect(() => decryptSecret(key, 'plaintext-token', 'co_1/telegram')).toThrow('not in a known format');
  });

  test('NOTIFICATIONS_KEY is 32 bytes in hex or base64; masks show the last four characters; redaction covers raw and URL-encoded forms', () => {
    expect(parseNotificationsKey(key.toString('hex'))).toEqual(key);
    expect(parseNotificationsKey(key.toString('base64'))).toEqual(key);
    expect(parseNotificationsKey(key.toString('base64url'))).toEqual(key);
    expect(parseNotificationsKey(randomBytes(16).toString('base64'))).toBeNull();
    expect(parseNotificationsKey('correct horse battery staple')).toBeNull();
    expect(maskSecret('WXYZ')).toBe('********WXYZ');
    expect(maskSecret(null)).toBeNull();
    expect(redactSecrets('GET /bot123:a/b?x=123%3Aa%2Fb failed', ['123:a/b'])).toBe(
      'GET /bot[REDACTED]?x=[REDACTED] failed',
    );
  });

  test('without NOTIFICATIONS_KEY a development key is made once under DATA_DIR, private to its owner, and reused', () => {
    const dataDir = tempDir();
    const config = loadConfig({ DATA_DIR: dataDir });
    expect(config.notifications.key).toBeNull();
    const made = notificationsKey(config);
    expect(made).toHaveLength(32);
    const file = path.join(dataDir, 'notifications-key');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(parseNotificationsKey(fs.readFileSync(file, 'utf8'))).toEqual(made);
    expect(notificationsKey(loadConfig({ DATA_DIR: dataDir }))).toEqual(made);
    const given = randomBytes(32);
    expect(notificationsKey(loadConfig({ DATA_DIR: tempDir(), NOTIFICATIONS_KEY: given.toString('hex') }))).toEqual(
      given,
    );
  });
});

describe('configuration', () => {
  test('production requires NOTIFICATIONS_KEY; a bad key or SMTP URL stops startup without repeating the value', () => {
    expect(() => loadConfig({ KASSA_ENV: 'production' })).toThrow(/^NOTIFICATIONS_KEY: is required in production/);
    const secret = 'not-a-key-but-maybe-a-password';
    for (const [name, value] of [
      ['NOTIFICATIONS_KEY', secret],
      ['SMTP_URL', `http://user:${secret}@mail.example`],
    ] as const) {
      let error: unknown;
      try {
        loadConfig({ [name]: value });
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(new RegExp(`^${name}: `));
      expect((error as Error).message).not.toContain(secret);
    }
    expect(() => loadConfig({ NOTIFICATION_RETRY_SECONDS: '1' })).toThrow(
      /^NOTIFICATION_RETRY_SECONDS: two whole seconds/,
    );
  });

  test('defaults: the public Telegram Bot API, the dev mail log outside production, each channel on its own retry schedule', () => {
    const config = loadConfig({ DATA_DIR: tempDir() });
    expect(config.notifications).toMatchObject({
      smtpUrl: null,
      telegramApiUrl: 'https://api.telegram.org',
      retrySeconds: null,
      mailFrom: 'Kassa <kassa@localhost>',
    });
    const settings = notificationSettings(config);
    expect(settings.mailLogDir).toBe(path.resolve(config.dataDir, 'mail'));
    const production = loadConfig({
      KASSA_ENV: 'production',
      NOTIFICATIONS_KEY: randomBytes(32).toString('base64'),
      DATA_DIR: tempDir(),
    });
    expect(notificationSettings(production).mailLogDir).toBeNull();
    expect(
      notificationSettings(
        loadConfig({ DATA_DIR: tempDir(), SMTP_URL: 'smtp://mail.example:587', NOTIFICATION_RETRY_SECONDS: '1,2' }),
      ),
    ).toMatchObject({
      smtpUrl: 'smtp://mail.example:587',
      mailLogDir: null,
      retrySeconds: [1, 2],
    });
  });
});

describe('SMS gateway templates', () => {
  const values = { ...sampleSmsValues, text: 'Shop & Co: order "A 1" paid, 5 000.00 RUB' };

  test('placeholders are escaped for where they land: percent-encoded in URLs and forms, JSON-escaped in JSON, as is in text', () => {
    expect(fillTemplate('https://sms.example/send?to={to}&msg={text}', values, 'url')).toBe(
      'https://sms.example/send?to=%2B79991234567&msg=Shop%20%26%20Co%3A%20order%20%22A%201%22%20paid%2C%205%20000.00%20RUB',
    );
    expect(JSON.parse(fillTemplate('{"to":"{to}","text":"{text}"}', values, 'application/json'))).toEqual({
      to: '+79991234567',
      text: values.text,
    });
    expect(fillTemplate('{text}', values, 'text/plain')).toBe(values.text);
    expect(unknownPlaceholders('{to} {text} {message} {shop}')).toEqual(['message']);
  });

  test('the credential goes in the header the merchant named; GET carries no body', () => {
    const settings = {
      to: '+79991234567',
      url: 'https://sms.example/send?to={to}',
      method: 'POST' as const,
      contentType: 'application/x-www-form-urlencoded' as const,
      body: 'text={text}',
      authHeader: 'x-api-key',
    };
    expect(smsRequest(settings, 'k3y', values)).toEqual({
      url: 'https://sms.example/send?to=%2B79991234567',
      method: 'POST',
      headers: {
        'user-agent': 'Kassa-Notifications/1',
        'x-api-key': 'k3y',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `text=${encodeURIComponent(values.text)}`,
    });
    expect(smsRequest({ ...settings, method: 'GET' }, null, values).body).toBeUndefined();
  });
});

describe('messages', () => {
  const view: EventView = {
    shop: 'Tea & <Cakes>',
    eventId: 'evt_1',
    eventType: 'payment.failed',
    publicUrl: 'https://pay.example',
    methodTitle: 'Bank card',
    payment: {
      id: 'pay_1',
      order_id: 'A-7',
      status: 'failed',
      amount: '1250.50',
      currency: 'RUB',
      description: 'Green tea',
      method: 'card',
      fee: '37.52',
      buyer_total: '1288.02',
      merchant_net: '1250.50',
      failure_reason: 'declined',
      checkout_url: 'https://pay.example/pay/pay_1',
      test_mode: false,
      delivery: { type: 'physical', method: 'courier', eta_days: 2 },
      paid_at: null,
    },
  };

  const spaces = (text: string) => text.replace(/[\u00a0\u202f]/g, ' ');

  test('the seller sees shop, order, amount, method, status and the link in every form; HTML is escaped', () => {
    const email = sellerEmail(view);
    expect(spaces(email.subject)).toBe('[Tea & <Cakes>] Order A-7 failed: RUB 1,250.50');
    for (const text of [email.text, sellerChatMessage(view)]) {
      for (const fact of [
        'Tea & <Cakes>',
        'A-7',
        'RUB 1,250.50',
        'Bank card (card)',
        'failed',
        'https://pay.example/pay/pay_1',
        'Buyer paid: RUB 1,288.02',
        'You are credited: RUB 1,250.50 (fee RUB 37.52)',
        'declined',
      ]) {
        expect(spaces(text).replace(/:\s+/g, ': ')).toContain(fact);
      }
    }
    expect(email.html).toContain('<html lang="en">');
    expect(email.html).toContain('Tea &amp; &lt;Cakes&gt;');
    expect(email.html).not.toContain('<Cakes>');
    expect(email.html).toContain('<a href="https://pay.example/pay/pay_1">https://pay.example/pay/pay_1</a>');
    expect(sellerSms(view)).toBe(
      'Tea & <Cakes>: order A-7 failed, RUB 1,250.50 by Bank card. https://pay.example/pay/pay_1',
    );
  });

  test('the seller’s messages speak the checkout’s default language, amounts in its format', () => {
    const russian: EventView = { ...view, locale: 'ru', payment: { ...view.payment, test_mode: true } };
    const email = sellerEmail(russian);
    expect(spaces(email.subject)).toBe('[Tea & <Cakes>] [ТЕСТ] Заказ A-7: оплата не прошла, 1 250,50 ₽');
    const text = spaces(email.text).replace(/:\s+/g, ': ');
    for (const fact of [
      'Магазин: Tea & <Cakes>',
      'Сумма: 1 250,50 ₽',
      'Способ оплаты: Bank card (card)',
      'Статус: оплата не прошла',
      'Покупатель заплатил: 1 288,02 ₽',
      'Вам зачислено: 1 250,50 ₽ (комиссия 37,52 ₽)',
      'Причина: платёж отклонён',
      'Событие evt_1 (payment.failed); подробности в API: https://pay.example/v1/payments/pay_1',
    ])
      expect(text).toContain(fact);
    expect(email.html).toContain('<html lang="ru">');
    expect(sellerChatMessage(russian)).toMatch(/^❌ \[ТЕСТ\] Заказ A-7: оплата не прошла, 1 250,50 ₽\n/);
    // SMS and chats carry plain spaces: a no-break space would cost an SMS its GSM alphabet
    expect(sellerSms(russian)).toBe(
      'Tea & <Cakes>: заказ A-7 — оплата не прошла, 1 250,50 ₽, Bank card. https://pay.example/pay/pay_1',
    );
    expect(sellerSms(russian)).not.toMatch(/[\u00a0\u202f]/);
    // a language Kassa does not speak: English
    expect(sellerSms({ ...view, locale: 'xx' })).toBe(sellerSms(view));
    // a currency without minor units keeps none
    expect(sellerSms({ ...view, payment: { ...view.payment, amount: '1500', currency: 'JPY' } })).toContain(
      '¥1,500 by',
    );
  });

  test('the buyer’s receipt names what was bought, what was paid and how it comes', () => {
    const receipt = buyerReceiptEmail(
      { ...view, eventType: 'payment.paid', payment: { ...view.payment, paid_at: '2026-03-02T09:30:00.000Z' } },
      { type: 'physical', method: 'courier', expectedBy: '2026-03-04' },
    );
    expect(receipt.subject).toBe('Your receipt from Tea & <Cakes>: order A-7');
    expect(receipt.text).toMatch(/Item:\s+Green tea/);
    expect(spaces(receipt.text)).toMatch(/Paid:\s+RUB 1,288\.02/);
    expect(spaces(receipt.text)).toMatch(/Date:\s+Mar 2, 2026, 9:30 AM/);
    expect(receipt.text).toMatch(/Delivery:\s+courier/);
    expect(receipt.text).toMatch(/Expected by:\s+Mar 4, 2026/);
    expect(receipt.text).toContain('Your order will be delivered by courier.');
    expect(receipt.html).toContain('<h2>Thank you for your purchase at Tea &amp; &lt;Cakes&gt;</h2>');
  });

  test('the receipt speaks the buyer’s language, else the checkout’s default; the download link is escaped', () => {
    const digital = {
      type: 'digital' as const,
      downloadUrl: 'https://pay.example/pay/pay_1/download?expires=1&token="x"',
      validUntil: '2026-03-09T10:00:00.000Z',
    };
    const paid: EventView = { ...view, eventType: 'payment.paid', payment: { ...view.payment, test_mode: true } };
    const russian = buyerReceiptEmail({ ...paid, buyerLocale: 'ru', locale: 'en' }, digital);
    expect(russian.subject).toBe('[ТЕСТ] Ваш чек от Tea & <Cakes>: заказ A-7');
    expect(spaces(russian.text)).toMatch(/Оплачено:\s+1 288,02 ₽/);
    expect(russian.text).toMatch(/Ссылка действует до:\s+9 мар\. 2026 г\., 10:00/);
    expect(russian.text).toContain('Откройте ссылку для скачивания, чтобы получить файл.');
    expect(russian.html).toContain('<html lang="ru">');
    expect(russian.html).toContain(
      '<a href="https://pay.example/pay/pay_1/download?expires=1&amp;token=&quot;x&quot;">Скачать файл</a>',
    );
    // nothing chosen on the payment: the checkout's default
    expect(buyerReceiptEmail({ ...paid, locale: 'ru' }, digital).subject).toContain('Ваш чек');
    expect(buyerReceiptEmail({ ...paid, buyerLocale: 'en', locale: 'ru' }, digital).subject).toBe(
      '[TEST] Your receipt from Tea & <Cakes>: order A-7',
    );
    // the seller's messages do not follow the buyer's language
    expect(sellerSms({ ...paid, buyerLocale: 'ru' })).toContain('order A-7 paid');
  });

  test('every merchant event has a status in every language', () => {
    for (const locale of ['en', 'ru'])
      for (const type of merchantEventTypes) {
        const chat = sellerChatMessage({ ...view, eventType: type, locale });
        expect(chat).not.toContain('🔔');
        expect(chat.split('\n')[0]).not.toContain('_');
      }
    expect(sellerChatMessage({ ...view, eventType: 'payout.failed', locale: 'ru' })).toContain('выплата не удалась');
  });
});

test('the development mail log keeps each message as an .eml file and a line in mail.log', async () => {
  const dir = path.join(tempDir(), 'mail');
  const mailer = createMailer({ smtpUrl: null, mailLogDir: dir, from: 'Kassa <kassa@localhost>' })!;
  expect(mailer.destination).toBe(dir);
  const receipt = await mailer.send({
    to: ['seller@shop.example'],
    subject: 'Order A-1 paid',
    text: 'Order: A-1',
    html: '<p>Order: A-1</p>',
  });
  const [line] = fs
    .readFileSync(path.join(dir, 'mail.log'), 'utf8')
    .trim()
    .split('\n')
    .map((entry) => JSON.parse(entry));
  expect(line).toMatchObject({
    from: 'Kassa <kassa@localhost>',
    to: ['seller@shop.example'],
    subject: 'Order A-1 paid',
  });
  expect(receipt.response).toBe(`written to ${line.file}`);
  const mail = await PostalMime.parse(fs.readFileSync(line.file));
  expect([mail.subject, mail.text?.trim(), mail.html?.trim(), mail.to?.[0]?.address]).toEqual([
    'Order A-1 paid',
    'Order: A-1',
    '<p>Order: A-1</p>',
    'seller@shop.example',
  ]);
  mailer.close();
});
