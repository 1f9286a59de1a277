import { Pool } from 'pg';
import { findCardNumber, maskCardNumbers } from '../../src/domain/card-numbers';
import { luhnValid, scrubLine, scrubText } from '../../src/observability/logger';
import { purchaseWorkflowId } from '../../src/workflows/shared';
import { signSandboxPayload } from '../../src/providers/sandbox/webhook';
import { api, onboardMerchant, sandboxWebhookSecret, startTestStack, type TestStack } from '../support/stack';

/** A Luhn-valid number: `prefix` plus digits up to `length`, the last one the check digit. */
function luhnNumber(prefix: string, length: number): string {
  let body = prefix;
  while (body.length < length - 1) body += String((body.length * 7) % 10);
  for (let check = 0; check <= 9; check += 1) if (luhnValid(body + check)) return body + check;
  throw new Error('unreachable');
}

/** How a card's digits are printed, by length (`4-6-5` for American Express, `4-4-4-4-3` for 19 digits). */
const printedGroups: Record<number, number[]> = {
  12: [4, 4, 4],
  13: [4, 4, 4, 1],
  14: [4, 6, 4],
  15: [4, 6, 5],
  16: [4, 4, 4, 4],
  17: [4, 4, 4, 4, 1],
  18: [4, 4, 4, 4, 2],
  19: [4, 4, 4, 4, 3],
};
function printed(pan: string, separator: string): string {
  const groups: string[] = [];
  let at = 0;
  for (const length of printedGroups[pan.length]!) groups.push(pan.slice(at, (at += length)));
  return groups.join(separator);
}

/** The networks' published test numbers, and Luhn-valid numbers at the edges of their ranges and lengths. */
const testCards: [string, string][] = [
  ['Visa', '4111111111111111'],
  ['Visa 13', '4222222222222'],
  ['Visa 19', luhnNumber('4', 19)],
  ['Mastercard', '5555555555554444'],
  ['Mastercard 2-series', '2223003122003222'],
  ['Mastercard 2720', luhnNumber('2720', 16)],
  ['American Express', '378282246310005'],
  ['American Express 34', '341111111111111'],
  ['Mir', luhnNumber('2200', 16)],
  ['Mir 19', luhnNumber('2204', 19)],
  ['Maestro', '6759649826438453'],
  ['Maestro 12', luhnNumber('6759', 12)],
  ['Maestro 50', luhnNumber('5018', 18)],
  ['UnionPay', '6200000000000005'],
  ['UnionPay 19', '6205500000000000004'],
  ['JCB', '3566002020360505'],
  ['JCB 3528', luhnNumber('3528', 19)],
  ['Discover', '6011111111111117'],
  ['Discover 644', luhnNumber('644', 16)],
  ['Discover 65', luhnNumber('65', 19)],
  ['Diners Club 14', '36227206271667'],
  ['Diners Club 300', '3056930009020004'],
  ['Diners Club 38', '38520000023237'],
];
const separators: [string, string][] = [
  ['together', ''],
  ['spaces', ' '],
  ['dashes', '-'],
  ['dots', '.'],
  ['double spaces', '  '],
  ['tabs', '\t'],
  ['new lines', '\n'],
  ['slashes', '/'],
  ['a space and a line break', ' \r\n'],
];

/** The check digits Russia's registries put on their numbers, computed as the Federal Tax Service defines them. */
const innCheck = (digits: string, weights: number[]) =>
  String((weights.reduce((sum, w, i) => sum + w * Number(digits[i]), 0) % 11) % 10);
const inn12 = (first10: string) => {
  const eleven = first10 + innCheck(first10, [7, 2, 4, 10, 3, 5, 9, 4, 6, 8]);
  return eleven + innCheck(eleven, [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]);
};
const ogrn = (first12: string) => first12 + String((BigInt(first12) % 11n) % 10n);
const ogrnip = (first14: string) => first14 + String((BigInt(first14) % 13n) % 10n);
/** The first of `make(serial)` from `serial` on that passes Luhn: what a card-number guard that only knows Luhn would take for a card. */
function luhnValidFrom(serial: number, width: number, make: (serial: string) => string): string {
  for (let n = serial; ; n += 1) {
    const number = make(String(n).padStart(width, '0'));
    if (luhnValid(number)) return number;
  }
}
/** Individual tax numbers (INN) of regions 50 (Moscow Oblast), 56–69, 22–27, 3x, 4x: region, tax office, serial, two check digits. */
const inns = ['5029', '5047', '5610', '6316', '6658', '6901', '2312', '2724', '3445', '4703'].map((office, index) =>
  luhnValidFrom(482_913 + index * 7_919, 6, (serial) => inn12(office + serial)),
);
/** Company registrations (OGRN): sign 1 or 5, year, region, office record, check digit. */
const ogrns = ['1027700', '1167746', '5067847', '5087746', '5097746'].map((head) =>
  luhnValidFrom(13_579, 5, (serial) => ogrn(head + serial)),
);
/** Sole traders' registrations (OGRNIP): sign 3, year, region, record, check digit. */
const ogrnips = ['304770', '305500', '318665', '321774'].map((head) =>
  luhnValidFrom(24_680, 8, (serial) => ogrnip(head + serial)),
);

describe('what looks like a card number', () => {
  test.each(
    testCards.flatMap(([network, pan]) =>
      separators.map(([style, separator]) => [network, style, pan, printed(pan, separator)] as const),
    ),
  )(
    '%s written with %s is found, and masked to its first six and last four digits',
    (_network, _style, pan, written) => {
      const text = `pay with ${written} please`;
      expect(findCardNumber(text)).toMatchObject({ digits: pan, start: 9, end: 9 + written.length });
      const masked = maskCardNumbers(text);
      let digit = 0;
      const expected = written.replace(/\d/g, (d) => (++digit <= 6 || digit > pan.length - 4 ? d : '*'));
      expect(masked).toBe(`pay with ${expected} please`);
      expect(findCardNumber(masked)).toBeNull();
      expect(scrubText(text)).toBe('pay with [REDACTED] please');
    },
  );

  test.each([
    ['4111111111111111'],
    ['card 4111 1111 1111 1111 please'],
    ['ref 12 4111 1111 1111 1111'],
    ['4111 1111 1111 1111 2026'],
    ['+7 4111 1111 1111 1111 (17 digits is no phone number)'],
    ['cards 4111111111111111,5555555555554444'],
    ['4111111111111111 12'],
  ])('%s is found', (text) => {
    expect(findCardNumber(text)).not.toBeNull();
  });

  test('the constructed registration numbers are real in form and would pass a prefix-and-Luhn guard', () => {
    for (const number of [
      ...inns,
      ...ogrns.filter((n) => n.startsWith('5')),
      ...ogrnips.filter((n) => n.startsWith('30')),
    ]) {
      expect([number, luhnValid(number), /^(?:2[2-7]|[3-6])/.test(number)]).toEqual([number, true, true]);
    }
    expect(inns.every((n) => n.length === 12 && inn12(n.slice(0, 10)) === n)).toBe(true);
    expect(ogrns.every((n) => n.length === 13) && ogrnips.every((n) => n.length === 15)).toBe(true);
  });

  test.each([
    ...inns.map((inn) => [`an individual tax number (INN ${inn})`, `ИП Петров, ИНН ${inn}`]),
    ...ogrns.map((number) => [`a company registration (OGRN ${number})`, `ООО «Ромашка», ОГРН ${number}`]),
    ...ogrnips.map((number) => [`a sole trader registration (OGRNIP ${number})`, `ОГРНИП ${number}`]),
    ['a phone with its + sign', `+${luhnNumber('49', 15)}`],
    ['a grouped phone with its + sign', luhnNumber('4', 15).replace(/^(\d{3})(\d{4})(\d{4})(\d{4})$/, '+$1 $2-$3-$4')],
    ['a Luhn-valid millisecond timestamp', luhnNumber('17644893', 13)],
    ['a Luhn-valid date-based order id', luhnNumber('2026113012', 16)],
    ['a number failing Luhn', '4111111111111112'],
    ['digits inside a word or token', `ord${luhnNumber('4111', 16)}x`],
    ['a 20-digit number', luhnNumber('4111', 20)],
    ['a decimal amount', `${luhnNumber('4111', 16)}.50`],
    ['a decimal with a comma', `${luhnNumber('4111', 16)},50`],
    ['a fraction', `0.${luhnNumber('4111', 16)}`],
    ['a plain price', 'total 12.50, then 1234.56 and 4111.11'],
    ['eleven digits', luhnNumber('4', 11)],
    ['a snowflake id in a URL', `https://shop.example/files/${luhnNumber('1', 19)}.zip`],
    ['American Express digits, 16 of them', luhnNumber('34', 16)],
    ['Mastercard digits, 15 of them', luhnNumber('51', 15)],
    ['Visa digits, 14 of them', luhnNumber('4', 14)],
    ['Mir digits, 15 of them', luhnNumber('2200', 15)],
    ['JCB digits, 15 of them', luhnNumber('3528', 15)],
    ['a 12-digit Visa-like number', luhnNumber('4', 12)],
    ['pairs of digits', `41 11 11 11 11 11 11 11`],
    ['a date and a time', '2026/11/30 12.30.45 2026-11-30'],
  ])('%s is not', (_name, text) => {
    expect(findCardNumber(text)).toBeNull();
    expect(maskCardNumbers(text)).toBe(text);
    expect(scrubText(text)).toBe(text);
  });

  test('a log line holding a card grouped by tabs or line breaks is scrubbed, as the JSON of the line escapes them', () => {
    for (const written of [
      '4111\t1111\t1111\t1111',
      '4111\n1111\n1111\n1111',
      '5555.5555.5555.4444',
      '5555/5555/5555/4444',
    ]) {
      const line = `${JSON.stringify({ level: 'info', msg: 'note', note: written })}\n`;
      expect(JSON.parse(scrubLine(line))).toEqual({ level: 'info', msg: 'note', note: '[REDACTED]' });
    }
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
      body: {
        checkout_id: checkoutId,
        order_id: `O-${Math.random().toString(36).slice(2)}`,
        amount: '50.00',
        currency: 'RUB',
        description: 'Book',
        ...extra,
      },
    });

  const expectRefused = (response: { status: number; body: any }, param: string, code: string) => {
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ type: 'invalid_request_error', code, param });
  };

  test('a NUL character in metadata, description or order id is a 400 naming the field, and nothing is stored', async () => {
    expectRefused(await payment({ metadata: { note: 'a\u0000b' } }), 'metadata.note', 'invalid_character');
    expectRefused(await payment({ description: 'Book\u0000' }), 'description', 'invalid_character');
    expectRefused(await payment({ order_id: 'O-\u0000' }), 'order_id', 'invalid_character');
    expectRefused(
      await payment({ delivery: { type: 'physical', method: 'cou\u0000rier', eta_days: 3 } }),
      'delivery.method',
      'invalid_character',
    );
    const { rows } = await db.query('select count(*)::int as n from payments');
    expect(rows[0].n).toBe(0);
  });

  test('a body that is not an object is refused as a whole by the route, never by a field inside it', async () => {
    for (const body of ['[[[56000000000000000]]]', '[{"":-3800000000000000000}]', '["a\\u0000b"]']) {
      const created = await api(stack.url, 'POST', '/v1/checkouts', { token: key, body });
      expect([created.status, created.body.error?.param]).toEqual([400, 'body']);
      const rotated = await api(stack.url, 'POST', `/v1/checkouts/${checkoutId}/rotate_secret`, { token: key, body });
      expect(rotated.body.error?.param ?? 'body').toBe('body');
      expect(rotated.status).toBeLessThan(500);
    }
  });

  test('a NUL in a metadata key and an unpaired surrogate are refused too', async () => {
    expectRefused(await payment({ metadata: { 'no\u0000te': 'x' } }), 'metadata.no\\u0000te', 'invalid_character');
    // JSON.stringify keeps a lone surrogate as the escape \ud800, which PostgreSQL's jsonb refuses
    expectRefused(await payment({ metadata: { note: 'x\ud800y' } }), 'metadata.note', 'invalid_character');
    expectRefused(await payment({ description: '\udc00' }), 'description', 'invalid_character');
  });

  test('a NUL in a checkout name is refused, and a well-formed emoji passes', async () => {
    const body = {
      name: 'Shop\u0000',
      site_url: 'https://shop.example',
      currencies: ['RUB'],
      notify_url: 'https://shop.example/n',
      success_url: 'https://shop.example/ok',
      fail_url: 'https://shop.example/fail',
      pending_url: 'https://shop.example/wait',
    };
    expectRefused(await api(stack.url, 'POST', '/v1/checkouts', { token: key, body }), 'name', 'invalid_character');
    const fine = await api(stack.url, 'POST', '/v1/checkouts', { token: key, body: { ...body, name: 'Shop 🛒' } });
    expect(fine.status).toBe(201);
    expect(fine.body.name).toBe('Shop 🛒');
  });

  test('a NUL in a route parameter or a query string is a 400 naming it', async () => {
    expectRefused(await api(stack.url, 'GET', '/v1/payments/pay_abc%00def', { token: key }), 'id', 'invalid_character');
    expectRefused(
      await api(stack.url, 'GET', `/v1/checkouts/${checkoutId}%00`, { token: key }),
      'id',
      'invalid_character',
    );
    expectRefused(await api(stack.url, 'GET', '/pay/pay_abc%00def/status'), 'id', 'invalid_character');
    expectRefused(
      await api(stack.url, 'GET', '/v1/payments?status=paid%00', { token: key }),
      'status',
      'invalid_character',
    );
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
      data: {
        id: 'sp_x',
        reference: 'pay_abcdefgh12345678',
        status: 'declined',
        amount_minor: '5000',
        currency: 'RUB',
        decline_reason: 'no',
      },
    });
    const post = (signature: string) =>
      fetch(`${stack.url}/callbacks/sandbox`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'sandbox-signature': signature },
        body,
      });
    const signed = await post(signSandboxPayload(sandboxWebhookSecret, body, t));
    expect(signed.status).toBe(400);
    expect((await signed.json()).error).toMatchObject({
      type: 'invalid_request_error',
      code: 'invalid_character',
      param: 'id',
    });
    const forged = await post(signSandboxPayload('not_the_sandbox_secret_at_all', body, t));
    expect(forged.status).toBe(401);
    const { rows } = await db.query('select count(*)::int as n from provider_callbacks');
    expect(rows[0].n).toBe(0);
  });

  /** Every PAN of `pans` that `text` holds, with its separators taken out. */
  const fullPans = (text: string, pans: string[]) => pans.filter((pan) => text.replace(/[^\d*]/g, '').includes(pan));

  test('a card number in free text is masked before anything stores it: description, metadata values, delivery method, checkout name', async () => {
    const pans = ['4111111111111111', '5555555555554444', '378282246310005', '6759649826438453'];
    const created = await payment({
      description: 'Card 4111.1111.1111.1111 please',
      metadata: { note: '5555\t5555\t5555\t4444', slashes: 'pay 6759/6498/2643/8453', inn: `ИНН ${inns[0]}` },
      delivery: { type: 'physical', method: 'courier, card 3782  822463  10005', eta_days: 3 },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      description: 'Card 4111.11**.****.1111 please',
      metadata: { note: '5555\t55**\t****\t4444', slashes: 'pay 6759/64**/****/8453', inn: `ИНН ${inns[0]}` },
      delivery: { method: 'courier, card 3782  82****  *0005' },
    });
    const fetched = await api(stack.url, 'GET', `/v1/payments/${created.body.id}`, { token: key });
    expect(fetched.body.description).toBe('Card 4111.11**.****.1111 please');

    const { rows } = await db.query('select description, metadata, delivery from payments where id = $1', [
      created.body.id,
    ]);
    expect(rows[0].description).toBe('Card 4111.11**.****.1111 please');
    expect(fullPans(JSON.stringify(rows[0]), pans)).toEqual([]);
    const all = await db.query(
      'select description, metadata::text as metadata, delivery::text as delivery from payments',
    );
    expect(fullPans(JSON.stringify(all.rows), pans)).toEqual([]);
    // Nor does the payment's workflow get it.
    const history = await stack.kassa.temporal.workflow.getHandle(purchaseWorkflowId(created.body.id)).fetchHistory();
    const input = history
      .events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads!.map((p) =>
        Buffer.from(p.data!).toString('utf8'),
      )
      .join('');
    expect(input).toContain('Card 4111.11**.****.1111 please');
    expect(fullPans(input, pans)).toEqual([]);

    const checkout = await api(stack.url, 'PATCH', `/v1/checkouts/${checkoutId}`, {
      token: key,
      body: { name: 'Shop 4111 1111 1111 1111' },
    });
    expect([checkout.status, checkout.body.name]).toEqual([200, 'Shop 4111 11** **** 1111']);
    const names = await db.query('select name from checkouts where id = $1', [checkoutId]);
    expect(names.rows[0].name).toBe('Shop 4111 11** **** 1111');
    await api(stack.url, 'PATCH', `/v1/checkouts/${checkoutId}`, { token: key, body: { name: 'Shop' } });
    const merchant = await api(stack.url, 'POST', '/admin/merchants', {
      token: stack.adminToken,
      body: { name: 'ИП 2200-0000-0000-0004', email: 'm@shop.example' },
    });
    expect([merchant.status, merchant.body.name]).toEqual([201, 'ИП 2200-00**-****-0004']);
  });

  test('a card number in an id, a link, a metadata key or a JSON integer is refused with 400 card_data_refused and stored nowhere', async () => {
    const before = await db.query('select count(*)::int as n from payments');
    const refused = [
      [await payment({ order_id: '5555555555554444' }), 'order_id'],
      [await payment({ order_id: 'A-4111.1111.1111.1111' }), 'order_id'],
      [
        await payment({ delivery: { type: 'digital', download_url: 'https://shop.example/f/4111111111111111.zip' } }),
        'delivery.download_url',
      ],
      [
        await payment({ delivery: { type: 'digital', download_url: 'https://shop.example/f/4111/1111/1111/1111' } }),
        'delivery.download_url',
      ],
      [await payment({ metadata: { '4111 1111 1111 1111': 'x' } }), 'metadata'],
      [await payment({ expires_in: 4111111111111111 }), 'expires_in'],
    ] as const;
    for (const [response, param] of refused) {
      expectRefused(response, param, 'card_data_refused');
      expect(JSON.stringify(response.body)).not.toMatch(/4111|5555/);
    }
    const checkout = await api(stack.url, 'PATCH', `/v1/checkouts/${checkoutId}`, {
      token: key,
      body: { notify_url: 'https://shop.example/n?card=4111-1111-1111-1111' },
    });
    expectRefused(checkout, 'notify_url', 'card_data_refused');
    const telegram = await api(stack.url, 'PUT', `/v1/checkouts/${checkoutId}/channels/telegram`, {
      token: key,
      body: { chat_id: 4111111111111111, bot_token: `123456789:${'A'.repeat(30)}` },
    });
    expectRefused(telegram, 'chat_id', 'card_data_refused');
    const { rows } = await db.query(
      `select (select count(*)::int from payments) as payments,
              (select count(*)::int from checkouts where notify_url ~ '4111') as checkouts`,
    );
    expect(rows[0]).toEqual({ payments: before.rows[0].n, checkouts: 0 });
  });

  test('Russian tax and registration numbers pass unchanged in an order id, a description and metadata', async () => {
    const created = await payment({
      order_id: ogrns[3]!,
      description: `ИП Петров, ИНН ${inns[0]}, ОГРНИП ${ogrnips[0]}`,
      metadata: { inn: inns[5]!, ogrn: ogrns[2]!, ogrnip: ogrnips[1]!, note: `ИНН ${inns[1]} / ${inns[2]}` },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      order_id: ogrns[3],
      description: `ИП Петров, ИНН ${inns[0]}, ОГРНИП ${ogrnips[0]}`,
      metadata: { inn: inns[5], ogrn: ogrns[2], ogrnip: ogrnips[1], note: `ИНН ${inns[1]} / ${inns[2]}` },
    });
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
      body: {
        to: phone,
        url: 'https://sms.example/send',
        body: '{"to":"{to}","text":"{text}"}',
        auth_value: 'Bearer abc',
      },
    });
    expect([sms.status, sms.body.error]).toEqual([201, undefined]);
  });
});
