import { supportedCurrencies } from '../../src/domain/money';
import { ProviderError, type CallbackRequest } from '../../src/providers/types';
import {
  createYooKassaConnector,
  yookassaAdapter,
  yookassaCallbackReply,
  yookassaCredentialsSchema,
  yookassaModeProblem,
} from '../../src/providers/yookassa';
import { classifyYooKassaAnswer, retryDelayMs } from '../../src/providers/yookassa/client';
import {
  fromYooKassaAmount,
  paymentState,
  refundIdOf,
  toPaymentCreateBody,
  toProviderRefund,
  toYooKassaAmount,
  YOOKASSA_CURRENCIES,
} from '../../src/providers/yookassa/mapper';
import { networkCheck, YOOKASSA_NOTIFICATION_NETWORKS } from '../../src/providers/yookassa/webhook';

describe('amounts', () => {
  test.each(supportedCurrencies)(
    '%s goes out and back in minor units, or is refused before YooKassa is asked',
    (currency) => {
      if (!YOOKASSA_CURRENCIES.has(currency)) {
        expect(() => toYooKassaAmount('1234', currency)).toThrow(
          expect.objectContaining({ kind: 'definite', code: 'currency_not_supported' }),
        );
        return;
      }
      for (const minor of ['1', '99', '100', '1234', '100000000000000000']) {
        const amount = toYooKassaAmount(minor, currency);
        expect(amount.value).toMatch(/^\d+\.\d{2}$/);
        expect(fromYooKassaAmount(amount)).toEqual({ amountMinor: minor, currency });
      }
    },
  );

  test('YooKassa writes major units with a point: 5000 kopecks is "50.00"; fewer decimals read back the same', () => {
    expect(toYooKassaAmount('5000', 'RUB')).toEqual({ value: '50.00', currency: 'RUB' });
    expect(toYooKassaAmount('7', 'rub')).toEqual({ value: '0.07', currency: 'RUB' });
    expect(fromYooKassaAmount({ value: '50', currency: 'RUB' }).amountMinor).toBe('5000');
    expect(fromYooKassaAmount({ value: '50.5', currency: 'RUB' }).amountMinor).toBe('5050');
  });

  test('an amount that is not minor units, or one YooKassa sends with too many decimals, is refused', () => {
    expect(() => toYooKassaAmount('1.5', 'RUB')).toThrow(ProviderError);
    expect(() => toYooKassaAmount('-5', 'RUB')).toThrow(ProviderError);
    expect(() => fromYooKassaAmount({ value: '1.005', currency: 'RUB' })).toThrow(ProviderError);
    expect(() => fromYooKassaAmount({ value: '1e3', currency: 'RUB' })).toThrow(ProviderError);
  });
});

describe('statuses', () => {
  test.each([
    ['pending', undefined, { state: 'pending' }],
    ['waiting_for_capture', undefined, { state: 'pending' }],
    ['succeeded', undefined, { state: 'succeeded' }],
    ['canceled', 'insufficient_funds', { state: 'declined', declineReason: 'insufficient_funds' }],
    ['canceled', '3d_secure_failed', { state: 'declined', declineReason: '3d_secure_failed' }],
    ['canceled', 'general_decline', { state: 'declined', declineReason: 'general_decline' }],
    ['canceled', 'expired_on_confirmation', { state: 'canceled' }],
    ['canceled', 'expired_on_capture', { state: 'canceled' }],
    ['canceled', 'canceled_by_merchant', { state: 'canceled' }],
    ['something_new', undefined, { state: 'pending' }],
  ])('payment %s (%s) is %j', (status, reason, expected) => {
    expect(
      paymentState({ status, cancellation_details: reason ? { party: 'payment_network', reason } : null }),
    ).toEqual(expected);
  });

  test.each([
    ['succeeded', 'succeeded'],
    ['canceled', 'failed'],
    ['pending', 'pending'],
    ['other', 'pending'],
  ])('refund %s is %s', (status, state) => {
    const refund = toProviderRefund({
      id: 'r1',
      payment_id: 'p1',
      status,
      amount: { value: '10.00', currency: 'RUB' },
      created_at: '2026-01-01T00:00:00.000Z',
      ...(status === 'canceled' && { cancellation_details: { party: 'yoo_money', reason: 'rejected_by_payee' } }),
    });
    expect(refund).toMatchObject({ state, amountMinor: '1000', currency: 'RUB' });
    if (state === 'failed') expect(refund.failureReason).toBe('rejected_by_payee');
  });
});

test('the create body: two-stage, a redirect back to Kassa, the method, Kassa ids in metadata, a description cut to 128', () => {
  const body = toPaymentCreateBody({
    idempotencyKey: 'pay_1-attempt-1',
    reference: 'pay_1-attempt-1',
    paymentId: 'pay_1',
    method: 'yookassa_sbp',
    amountMinor: '12345',
    currency: 'RUB',
    description: 'x'.repeat(200),
    returnUrl: 'https://kassa.example/pay/pay_1/return',
    callbackUrl: 'https://kassa.example/callbacks/yookassa/conn_1',
  });
  expect(body).toEqual({
    amount: { value: '123.45', currency: 'RUB' },
    capture: false,
    confirmation: { type: 'redirect', return_url: 'https://kassa.example/pay/pay_1/return' },
    payment_method_data: { type: 'sbp' },
    description: 'x'.repeat(128),
    metadata: { kassa_payment_id: 'pay_1', kassa_attempt_key: 'pay_1-attempt-1' },
  });
});

test("a refund's description names Kassa's refund and finds it again", () => {
  expect(refundIdOf({ description: 'Kassa refund re_abc' })).toBe('re_abc');
  expect(refundIdOf({ description: 'refund by hand' })).toBeNull();
  expect(refundIdOf({ description: null })).toBeNull();
});

describe('errors', () => {
  const classify = (method: 'GET' | 'POST', status: number, body: unknown = null, retryAfter: string | null = null) =>
    classifyYooKassaAnswer(method, status, body, retryAfter, 'test');

  test.each([
    [400, 'invalid_request'],
    [401, 'invalid_credentials'],
    [403, 'forbidden'],
    [404, 'not_found'],
  ])('HTTP %i (%s) is definite', (status, code) => {
    expect(classify('POST', status, { type: 'error', code, description: 'no' })).toMatchObject({
      kind: 'definite',
      code,
    });
  });

  test('202 (still processing) is transient after its retry_after; 429 after Retry-After', () => {
    expect(classify('POST', 202, { type: 'processing', retry_after: 1800 })).toMatchObject({
      kind: 'transient',
      retryAfterMs: 1800,
    });
    expect(classify('POST', 429, { code: 'too_many_requests' }, '3')).toMatchObject({
      kind: 'transient',
      retryAfterMs: 3000,
    });
  });

  test('500 leaves a POST indeterminate and a GET transient', () => {
    expect(classify('POST', 500, { code: 'internal_server_error' }).kind).toBe('indeterminate');
    expect(classify('GET', 500, { code: 'internal_server_error' }).kind).toBe('transient');
    expect(classify('POST', 502, null).kind).toBe('indeterminate');
  });

  test('Retry-After as an HTTP date', () => {
    expect(retryDelayMs('Thu, 01 Jan 2026 00:00:10 GMT', null, Date.parse('2026-01-01T00:00:00Z'))).toBe(10_000);
    expect(retryDelayMs(null, { retry_after: 'soon' })).toBeUndefined();
  });
});

describe('notification networks', () => {
  const documented = networkCheck(YOOKASSA_NOTIFICATION_NETWORKS);
  test.each([
    ['185.71.76.1', true],
    ['185.71.76.31', true],
    ['185.71.76.32', false],
    ['185.71.77.20', true],
    ['77.75.153.127', true],
    ['77.75.153.128', false],
    ['77.75.156.11', true],
    ['77.75.156.12', false],
    ['77.75.154.200', true],
    ['::ffff:185.71.76.5', true],
    ['2a02:5180:0:1509::17', true],
    ['2a02:5180:0:1510::17', false],
    ['127.0.0.1', false],
    ['not an address', false],
  ])('%s is YooKassa: %s', (address, trusted) => {
    expect(documented(address)).toBe(trusted);
  });

  test('a connector may name its own networks (a simulator on this machine)', () => {
    const local = networkCheck(['127.0.0.1/32', '::1']);
    expect(local('127.0.0.1')).toBe(true);
    expect(local('::ffff:127.0.0.1')).toBe(true);
    expect(local('::1')).toBe(true);
    expect(local('185.71.76.1')).toBe(false);
  });
});

describe('credentials', () => {
  const valid = { shop_id: '123456', secret_key: 'test_abcdefgh12345' };
  test('a shop id, a test_ or live_ key, optionally an API base and networks', () => {
    expect(yookassaCredentialsSchema.safeParse(valid).success).toBe(true);
    expect(
      yookassaCredentialsSchema.safeParse({
        ...valid,
        api_base: 'http://127.0.0.1:4300/v3',
        notification_networks: ['127.0.0.1/32', '::1'],
      }).success,
    ).toBe(true);
  });

  test.each([
    ['shop_id', { ...valid, shop_id: 'shop' }],
    ['secret_key', { ...valid, secret_key: 'sk_test_123456789' }],
    ['api_base', { ...valid, api_base: 'ftp://x' }],
    ['notification_networks.0', { ...valid, notification_networks: ['10.0.0.0/33'] }],
    ['notification_networks.0', { ...valid, notification_networks: ['example.com'] }],
  ])('a bad %s is named', (field, credentials) => {
    const parsed = yookassaCredentialsSchema.safeParse(credentials);
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]!.path.join('.')).toBe(field);
  });

  test("a key of the other mode is refused by the connector's mode", () => {
    expect(yookassaModeProblem(valid, 'test')).toBeNull();
    expect(yookassaModeProblem(valid, 'live')).toMatchObject({ field: 'secret_key' });
    expect(yookassaModeProblem({ ...valid, secret_key: 'live_abcdefgh12345' }, 'test')).toMatchObject({
      field: 'secret_key',
    });
  });

  test('the secret key is masked; the adapter is YooKassa with its three methods', () => {
    expect(yookassaAdapter.secretFields).toEqual(['secret_key']);
    expect(yookassaAdapter.methods.map((method) => method.code)).toEqual([
      'yookassa_card',
      'yookassa_wallet',
      'yookassa_sbp',
    ]);
  });
});

test('the reply YooKassa requires: an empty 200 for everything it should not send again, a refusal otherwise', () => {
  for (const outcome of ['accepted', 'duplicate', 'ignored'] as const)
    expect(yookassaCallbackReply(outcome)).toEqual({ status: 200, contentType: 'text/plain; charset=utf-8', body: '' });
  expect(yookassaCallbackReply('rejected').status).toBe(403);
});

describe('verifying a notification', () => {
  const payment = {
    id: '2a9b4c1d-000f-5000-8000-0123456789ab',
    status: 'succeeded',
    paid: true,
    amount: { value: '50.00', currency: 'RUB' },
    created_at: '2026-01-01T00:00:00.000Z',
    captured_at: '2026-01-01T00:01:00.000Z',
    metadata: { kassa_payment_id: 'pay_1', kassa_attempt_key: 'pay_1-attempt-1' },
    test: true,
  };
  const request = (body: unknown, remoteAddress = '185.71.76.10'): CallbackRequest => ({
    rawBody: Buffer.from(JSON.stringify(body)),
    headers: { 'content-type': 'application/json' },
    query: {},
    method: 'POST',
    remoteAddress,
    now: new Date(),
  });
  /** A connector whose API answers `apiPayment` to every GET, counting the calls. */
  const connectorWith = (apiPayment: unknown, mode: 'test' | 'live' = 'test') => {
    const calls: string[] = [];
    const fetchImpl = (async (url: string, init: RequestInit) => {
      calls.push(`${init.method} ${new URL(url).pathname}`);
      return new Response(JSON.stringify(apiPayment), { status: apiPayment ? 200 : 404 });
    }) as unknown as typeof fetch;
    const connector = createYooKassaConnector(
      { shop_id: '1', secret_key: 'test_abcdefgh12345', api_base: 'http://yookassa.invalid/v3' },
      { mode },
      { fetchImpl },
    );
    return { connector, calls };
  };
  const notification = { type: 'notification', event: 'payment.succeeded', object: payment };

  test("from YooKassa's network with the status the API confirms: the API's object, keyed by payment and status", async () => {
    const { connector, calls } = connectorWith(payment);
    const translated = await connector.verifyCallback(
      request({ ...notification, object: { ...payment, amount: { value: '1.00', currency: 'RUB' } } }),
    );
    expect(translated).toEqual({
      kind: 'payment',
      callback: {
        eventId: `${payment.id}.succeeded`,
        providerPaymentId: payment.id,
        paymentId: 'pay_1',
        state: 'succeeded',
        amountMinor: '5000',
        currency: 'RUB',
        occurredAt: payment.captured_at,
      },
    });
    expect(calls).toEqual([`GET /v3/payments/${payment.id}`]);
  });

  test('from outside the networks: refused before the API is asked', async () => {
    const { connector, calls } = connectorWith(payment);
    await expect(connector.verifyCallback(request(notification, '203.0.113.9'))).rejects.toThrow(
      /outside YooKassa's networks/,
    );
    expect(calls).toEqual([]);
  });

  test('a status the API does not show, an unknown object, or an event that contradicts its object: refused', async () => {
    await expect(
      connectorWith({ ...payment, status: 'pending' }).connector.verifyCallback(request(notification)),
    ).rejects.toThrow(/API says pending/);
    await expect(connectorWith(null).connector.verifyCallback(request(notification))).rejects.toThrow(/has no payment/);
    await expect(
      connectorWith(payment).connector.verifyCallback(
        request({ ...notification, object: { ...payment, status: 'canceled' } }),
      ),
    ).rejects.toThrow(/names an object in status canceled/);
  });

  test('a test payment at a live connector, and events Kassa does not use, are ignored', async () => {
    const live = createYooKassaConnector(
      { shop_id: '1', secret_key: 'live_abcdefgh12345', api_base: 'http://yookassa.invalid/v3' },
      { mode: 'live' },
      {
        fetchImpl: (async () => new Response(JSON.stringify(payment), { status: 200 })) as unknown as typeof fetch,
      },
    );
    await expect(live.verifyCallback(request(notification))).resolves.toMatchObject({ kind: 'ignored' });
    const { connector } = connectorWith(payment);
    await expect(
      connector.verifyCallback(
        request({ type: 'notification', event: 'payout.succeeded', object: { id: 'po', status: 'succeeded' } }),
      ),
    ).resolves.toMatchObject({ kind: 'ignored' });
  });
});
