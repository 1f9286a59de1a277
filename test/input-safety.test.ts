import { Pool } from 'pg';
import { findCardNumber } from '../src/domain/card-numbers';
import { luhnValid, scrubText } from '../src/observability/logger';
import { signSandboxPayload } from '../src/providers/sandbox/webhook';
import { api, onboardMerchant, sandboxWebhookSecret, startTestStack, type TestStack } from './support/stack';

/** A Luhn-valid number: `prefix` plus digits up to `length`, the last one the check digit. */
function luhnNumber(prefix: string, length: number): string {
  let body = prefix;
  while (body.length < length - 1) body += String((body.length * 7) % 10);
  for (let check = 0; check <= 9; check += 1) if (luhnValid(body + check)) return body + check;
  throw new Error('unreachable');
}

describe('what looks like a card number', () => {
  test.each([
    ['4111111111111111'],
    ['card 4111 1111 1111 1111 please'],
    ['4111-1111-1111-1111'],
    ['5555555555554444'],
    ['378282246310005'],
    ['ref 12 4111 1111 1111 1111'],
    ['+7 4111 1111 1111 1111 (17 digits is no phone number)'],
    [`maestro ${luhnNumber('6759', 12)}`],
    [`mir ${luhnNumber('2200', 16)}`],
  ])('%s is found', (text) => {
    expect(findCardNumber(text)).not.toBeNull();
  });

  test.each([
    ['a phone with its + sign', `+${luhnNumber('49', 15)}`],
    ['a grouped phone with its + sign', luhnNumber('4', 15).replace(/^(\d{3})(\d{4})(\d{4})(\d{4})$/, '+$1 $2-$3-$4')],
    ['a Luhn-valid millisecond timestamp', luhnNumber('17644893', 13)],
    ['a Luhn-valid date-based order id', luhnNumber('2026113012', 16)],
    ['a number failing Luhn', '4111111111111112'],
    ['digits inside a word or token', `ord${luhnNumber('4111', 16)}x`],
    ['a 20-digit number', luhnNumber('4111', 20)],
    ['a decimal amount', `${luhnNumber('4111', 16)}.50`],
    ['eleven digits', luhnNumber('4', 11)],
    ['a snowflake id in a URL', `https://shop.example/files/${luhnNumber('1', 19)}.zip`],
  ])('%s is not', (_name, text) => {
    expect(findCardNumber(text)).toBeNull();
  });

  test('the logger masks 12-digit card numbers too, as it does longer ones', () => {
    expect(scrubText(`maestro ${luhnNumber('6759', 12)} and visa 4111 1111 1111 1111`)).toBe('maestro [REDACTED] and visa [REDACTED]');
  });
});

describe('input that PostgreSQL or PCI DSS cannot take', () => {
  let stack: TestStack;
  let db: Pool;
  let key: string;
  let checkoutId: string;

  beforeAll(async () => {
    stack = await startTestStack();
    db = new Pool({ connectionString: stack.databaseUrl, max: 2 });
    const merchant = await onboardMerchant(stack, 'http://127.0.0.1:9/notify');
    key = merchant.testKey;
    checkoutId = merchant.checkout.id;
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    await stack?.close();
  });

  const payment = (extra: Record<string, unknown>, headers: Record<string, string> = {}) =>
    api(stack.url, 'POST', '/v1/payments', {
      token: key,
      headers,
      body: { checkout_id: checkoutId, order_id: `O-${Math.random().toString(36).slice(2)}`, amount: '50.00', currency: 'RUB', description: 'Book', ...extra },
    });

  const expectRefused = (response: { status: number; body: any }, param: string, code: string) => {
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ type: 'invalid_request_error', code, param });
  };

  test('a NUL character in metadata, description or order id is a 400 naming the field, and nothing is stored', async () => {
    expectRefused(await payment({ metadata: { note: 'a\u0000b' } }), 'metadata.note', 'invalid_character');
    expectRefused(await payment({ description: 'Book\u0000' }), 'description', 'invalid_character');
    expectRefused(await payment({ order_id: 'O-\u0000' }), 'order_id', 'invalid_character');
    expectRefused(await payment({ delivery: { type: 'physical', method: 'cou\u0000rier', eta_days: 3 } }), 'delivery.method', 'invalid_character');
    const { rows } = await db.query('select count(*)::int as n from payments');
    expect(rows[0].n).toBe(0);
  });

  test('a NUL in a metadata key and an unpaired surrogate are refused too', async () => {
    expectRefused(await payment({ metadata: { 'no\u0000te': 'x' } }), 'metadata.no\\u0000te', 'invalid_character');
    // JSON.stringify keeps a lone surrogate as the escape \ud800, which PostgreSQL's jsonb refuses
    expectRefused(await payment({ metadata: { note: 'x\ud800y' } }), 'metadata.note', 'invalid_character');
    expectRefused(await payment({ description: '\udc00' }), 'description', 'invalid_character');
  });

  test('a NUL in a checkout name is refused, and a well-formed emoji passes', async () => {
    const body = {
      name: 'Shop\u0000', site_url: 'https://shop.example', currencies: ['RUB'], notify_url: 'https://shop.example/n',
      success_url: 'https://shop.example/ok', fail_url: 'https://shop.example/fail', pending_url: 'https://shop.example/wait',
    };
    expectRefused(await api(stack.url, 'POST', '/v1/checkouts', { token: key, body }), 'name', 'invalid_character');
    const fine = await api(stack.url, 'POST', '/v1/checkouts', { token: key, body: { ...body, name: 'Shop 🛒' } });
    expect(fine.status).toBe(201);
    expect(fine.body.name).toBe('Shop 🛒');
  });

  test('a NUL in a route parameter or a query string is a 400 naming it', async () => {
    expectRefused(await api(stack.url, 'GET', '/v1/payments/pay_abc%00def', { token: key }), 'id', 'invalid_character');
    expectRefused(await api(stack.url, 'GET', `/v1/checkouts/${checkoutId}%00`, { token: key }), 'id', 'invalid_character');
    expectRefused(await api(stack.url, 'GET', '/pay/pay_abc%00def/status'), 'id', 'invalid_character');
    expectRefused(await api(stack.url, 'GET', '/v1/payments?status=paid%00', { token: key }), 'status', 'invalid_character');
  });

  test('a NUL in the hosted page form is a 400 naming the field', async () => {
    const created = await payment({});
    expect(created.status).toBe(201);
    const response = await api(stack.url, 'POST', `/pay/${created.body.id}/method`, {
      body: 'method=sandbox_card%00',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expectRefused(response, 'method', 'invalid_character');
  });

  test('a validly signed callback carrying a NUL is a 400 naming the field and is not stored; a forged one stays 401', async () => {
    const t = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({
      id: 'sevt_nul\u0000',
      type: 'payment.declined',
      created: t,
      data: { id: 'sp_x', reference: 'pay_abcdefgh12345678', status: 'declined', amount_minor: '5000', currency: 'RUB', decline_reason: 'no' },
    });
    const post = (signature: string) =>
      fetch(`${stack.url}/callbacks/sandbox`, { method: 'POST', headers: { 'content-type': 'application/json', 'sandbox-signature': signature }, body });
    const signed = await post(signSandboxPayload(sandboxWebhookSecret, body, t));
    expect(signed.status).toBe(400);
    expect((await signed.json()).error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_character', param: 'id' });
    const forged = await post(signSandboxPayload('not_the_sandbox_secret_at_all', body, t));
    expect(forged.status).toBe(401);
    const { rows } = await db.query('select count(*)::int as n from provider_callbacks');
    expect(rows[0].n).toBe(0);
  });

  test('a card number in a description, metadata, delivery or checkout name is refused with 400 card_data_refused and stored nowhere', async () => {
    const card = '4111 1111 1111 1111';
    const refused = [
      [await payment({ description: `Card ${card}` }), 'description'],
      [await payment({ metadata: { note: '4111-1111-1111-1111' } }), 'metadata.note'],
      [await payment({ order_id: '5555555555554444' }), 'order_id'],
      [await payment({ delivery: { type: 'digital', download_url: 'https://shop.example/f/4111111111111111.zip' } }), 'delivery.download_url'],
    ] as const;
    for (const [response, param] of refused) {
      expectRefused(response, param, 'card_data_refused');
      expect(JSON.stringify(response.body)).not.toMatch(/4111|5555/);
    }
    const checkout = await api(stack.url, 'PATCH', `/v1/checkouts/${checkoutId}`, { token: key, body: { name: `Shop ${card}` } });
    expectRefused(checkout, 'name', 'card_data_refused');
    const telegram = await api(stack.url, 'PUT', `/v1/checkouts/${checkoutId}/channels/telegram`, {
      token: key,
      body: { chat_id: 4111111111111111, bot_token: `123456789:${'A'.repeat(30)}` },
    });
    expectRefused(telegram, 'chat_id', 'card_data_refused');
    const { rows } = await db.query(
      `select (select count(*)::int from payments where description ~ '4111' or metadata::text ~ '4111|5555' or order_id ~ '5555') as payments,
              (select count(*)::int from checkouts where name ~ '4111') as checkouts`,
    );
    expect(rows[0]).toEqual({ payments: 0, checkouts: 0 });
  });

  test('phone numbers, timestamps, numeric order ids and amounts are not mistaken for cards', async () => {
    const phone = `+${luhnNumber('4', 13)}`;
    const created = await payment({
      order_id: luhnNumber('1', 16),
      metadata: { phone, created_ms: luhnNumber('17644893', 13), amount: '4111111111111111.00' },
      delivery: { type: 'digital', download_url: `https://shop.example/files/${luhnNumber('1', 19)}.zip` },
    });
    expect(created.status).toBe(201);
    expect(created.body.metadata.phone).toBe(phone);
    const sms = await api(stack.url, 'PUT', `/v1/checkouts/${checkoutId}/channels/sms`, {
      token: key,
      body: { to: phone, url: 'https://sms.example/send', body: '{"to":"{to}","text":"{text}"}', auth_value: 'Bearer abc' },
    });
    expect([sms.status, sms.body.error]).toEqual([201, undefined]);
  });
});
