import { supportedCurrencies } from '../../src/domain/money';
import { sciSign, sciSignatureValid } from '../../src/domain/sci-signature';
import { createInterkassaConnector, interkassaCredentialsSchema } from '../../src/providers/interkassa';
import {
  fromInterkassaAmount,
  INTERKASSA_TEST_PAYWAY,
  interactionState,
  invoiceState,
  toInterkassaAmount,
  toPaymentStatus,
  toSciForm,
} from '../../src/providers/interkassa/mapper';
import { CallbackVerificationError, ProviderError, type CallbackRequest } from '../../src/providers/types';

const credentials = interkassaCredentialsSchema.parse({
  checkout_id: '5f0c6a3e1ae1bd2a008b4567',
  secret_key: 'secret-key-1',
  test_key: 'test-key-1',
  api_user_id: 'user',
  api_key: 'api-key',
});

const input = {
  idempotencyKey: 'pay_abc123-attempt-1',
  reference: 'pay_abc123-attempt-1',
  paymentId: 'pay_abc123',
  method: 'interkassa_checkout',
  amountMinor: '5000',
  currency: 'RUB',
  description: 'Tea',
  returnUrl: 'https://kassa.example/pay/pay_abc123/return',
  callbackUrl: 'https://kassa.example/callbacks/interkassa/conn_1',
};

/** An interaction as Interkassa sends it, signed with `key` (override any field). */
function interaction(overrides: Record<string, string> = {}, key = 'test-key-1') {
  const fields: Record<string, string> = {
    ik_co_id: credentials.checkout_id,
    ik_co_prs_id: '300000000001',
    ik_inv_id: '300000123',
    ik_inv_st: 'success',
    ik_inv_crt: '2026-11-30 10:00:00',
    ik_inv_prc: '2026-11-30 10:01:00',
    ik_trn_id: '90000001',
    ik_pm_no: input.reference,
    ik_pw_via: INTERKASSA_TEST_PAYWAY,
    ik_am: '50.00',
    ik_co_rfn: '48.5000',
    ik_ps_price: '50.00',
    ik_cur: 'RUB',
    ik_desc: 'Tea',
    ik_x_kassa_payment: input.paymentId,
    ...overrides,
  };
  return { ...fields, ik_sign: sciSign(fields, key, 'md5') };
}

const request = (fields: Record<string, string>, method: 'POST' | 'GET' = 'POST'): CallbackRequest => ({
  rawBody: Buffer.from(method === 'POST' ? new URLSearchParams(fields).toString() : ''),
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  query: method === 'GET' ? fields : {},
  method,
  remoteAddress: '127.0.0.1',
  now: new Date('2026-11-30T10:02:00Z'),
});

const testConnector = createInterkassaConnector({ credentials, mode: 'test' });
const liveConnector = createInterkassaConnector({ credentials, mode: 'live' });

describe('the SCI form', () => {
  test('carries the order, the amount in the currency’s decimals, the URLs and a valid ik_sign; a test connector asks for the test payway', async () => {
    const created = await testConnector.createPayment(input);
    expect(created.providerPaymentId).toBeNull();
    expect(created.redirect).toMatchObject({ method: 'POST', url: 'https://sci.interkassa.com/' });
    const fields = (created.redirect as { fields: Record<string, string> }).fields;
    expect(fields).toMatchObject({
      ik_co_id: credentials.checkout_id,
      ik_pm_no: input.reference,
      ik_am: '50.00',
      ik_cur: 'RUB',
      ik_ia_u: input.callbackUrl,
      ik_ia_m: 'POST',
      ik_suc_u: input.returnUrl,
      ik_fal_u: input.returnUrl,
      ik_pw_via: INTERKASSA_TEST_PAYWAY,
      ik_x_kassa_payment: input.paymentId,
    });
    expect(sciSignatureValid(fields, credentials.secret_key, 'md5')).toBe(true);
    expect(sciSignatureValid({ ...fields, ik_am: '5.00' }, credentials.secret_key, 'md5')).toBe(false);
    // The same attempt gives the same form: Interkassa finds its invoice again, nothing is made twice.
    expect((await testConnector.createPayment(input)).redirect).toEqual(created.redirect);
    const live = (await liveConnector.createPayment(input)).redirect as { fields: Record<string, string> };
    expect(live.fields.ik_pw_via).toBeUndefined();
  });

  test('sha256 checkouts are signed with sha256', () => {
    const fields = toSciForm(input, {
      checkoutId: 'c'.repeat(24),
      secretKey: 'k',
      signAlgorithm: 'sha256',
      testMode: false,
    });
    expect(sciSignatureValid(fields, 'k', 'sha256')).toBe(true);
    expect(sciSignatureValid(fields, 'k', 'md5')).toBe(false);
  });
});

describe('amounts', () => {
  test.each(supportedCurrencies)('%s goes out in its decimals and comes back the same', (currency) => {
    for (const minor of ['1', '5000', '123456789']) {
      const decimal = toInterkassaAmount(minor, currency);
      expect(fromInterkassaAmount(decimal, currency)).toBe(minor);
    }
  });

  test('JPY has no decimals, KWD three; four-decimal amounts with trailing zeros are read; extra precision is refused', () => {
    expect(toInterkassaAmount('500', 'JPY')).toBe('500');
    expect(toInterkassaAmount('1500', 'KWD')).toBe('1.500');
    expect(toInterkassaAmount('7', 'USD')).toBe('0.07');
    expect(fromInterkassaAmount('97.0000', 'USD')).toBe('9700');
    expect(fromInterkassaAmount('1.234', 'USD')).toBeNull();
    expect(fromInterkassaAmount('-1.00', 'USD')).toBeNull();
    expect(() => toInterkassaAmount('100', 'XXX')).toThrow(ProviderError);
  });
});

describe('states', () => {
  test('every ik_inv_st and every API invoice state maps; unknown ones are pending, never a success', () => {
    expect(['new', 'waitAccept', 'process', 'success', 'canceled', 'fail', 'other'].map(interactionState)).toEqual([
      'pending',
      'pending',
      'pending',
      'succeeded',
      'declined',
      'declined',
      'pending',
    ]);
    expect(['1', '2', '3', '4', '5', '6', '7', '8', '9'].map(invoiceState)).toEqual([
      'pending',
      'pending',
      'pending',
      'succeeded',
      'canceled',
      'pending',
      'succeeded',
      'declined',
      'succeeded',
    ]);
    expect(toPaymentStatus({ id: '300', coId: 'c', paymentNo: 'p', state: '7', am: '50.0000', cur: 'rub' })).toEqual({
      providerPaymentId: 'p',
      state: 'succeeded',
      amountMinor: '5000',
      currency: 'RUB',
    });
  });
});

describe('the interaction', () => {
  test('a test-payway interaction signed with the test key is the payment’s callback, by POST or GET', async () => {
    for (const method of ['POST', 'GET'] as const) {
      const translated = await testConnector.verifyCallback(request(interaction(), method));
      expect(translated).toEqual({
        kind: 'payment',
        callback: {
          eventId: 'interkassa:300000123:success',
          providerPaymentId: input.reference,
          paymentId: input.paymentId,
          state: 'succeeded',
          amountMinor: '5000',
          currency: 'RUB',
          occurredAt: '2026-11-30T10:01:00.000Z',
        },
      });
    }
    const canceled = await testConnector.verifyCallback(request(interaction({ ik_inv_st: 'canceled' })));
    expect(canceled).toMatchObject({ callback: { state: 'declined', declineReason: 'interkassa_canceled' } });
  });

  test('a real payway is checked with the secret key, the test payway with the test key, never the other', async () => {
    const real = interaction({ ik_pw_via: 'visa_cpaytrz_merchant_rub' }, 'secret-key-1');
    await expect(liveConnector.verifyCallback(request(real))).resolves.toMatchObject({ kind: 'payment' });
    const realWithTestKey = interaction({ ik_pw_via: 'visa_cpaytrz_merchant_rub' }, 'test-key-1');
    await expect(liveConnector.verifyCallback(request(realWithTestKey))).rejects.toThrow(CallbackVerificationError);
    const testWithSecretKey = interaction({}, 'secret-key-1');
    await expect(testConnector.verifyCallback(request(testWithSecretKey))).rejects.toThrow(CallbackVerificationError);
  });

  test('forged, changed, unsigned or another checkout’s interactions are refused', async () => {
    const forged = interaction({}, 'someone-else');
    const changed = { ...interaction(), ik_am: '5000.00' };
    const { ik_sign: _sign, ...unsigned } = interaction();
    const other = interaction({ ik_co_id: 'a'.repeat(24) });
    for (const fields of [forged, changed, unsigned, other])
      await expect(testConnector.verifyCallback(request(fields))).rejects.toThrow(CallbackVerificationError);
  });

  test('a live connector never takes a test-payway payment as paid', async () => {
    await expect(liveConnector.verifyCallback(request(interaction()))).resolves.toEqual({
      kind: 'ignored',
      reason: 'a test-payway payment at a live connector',
    });
  });

  test('the reply is HTTP 200 "OK" as Interkassa counts delivery, and 400 for a refused signature', () => {
    expect(testConnector.callbackReply!('accepted', null)).toEqual({
      status: 200,
      contentType: 'text/plain; charset=utf-8',
      body: 'OK',
    });
    expect(testConnector.callbackReply!('duplicate', null)).toEqual(testConnector.callbackReply!('accepted', null));
    expect(testConnector.callbackReply!('rejected', null)).toMatchObject({ status: 400, body: 'ik_sign invalid' });
  });
});

describe('the REST API client', () => {
  type Answer = { status: number; body: unknown; headers?: Record<string, string> } | Error;
  /** A connector whose API answers `answers` in turn; keeps each request. */
  function connectorAnswering(answers: Answer[]) {
    const requests: { url: string; init: RequestInit }[] = [];
    const fetchImpl = (async (url: string, init: RequestInit) => {
      requests.push({ url, init });
      const answer = answers.shift()!;
      if (answer instanceof Error) throw answer;
      return new Response(JSON.stringify(answer.body), { status: answer.status, headers: answer.headers });
    }) as unknown as typeof fetch;
    const connector = createInterkassaConnector({
      credentials: { ...credentials, api_account_id: 'acct-9' },
      mode: 'test',
      fetchImpl,
    });
    return { connector, requests };
  }
  const ref = { idempotencyKey: input.idempotencyKey, reference: input.reference, providerPaymentId: input.reference };
  const invoice = (state: string, id = '300000123') => ({
    id,
    coId: credentials.checkout_id,
    paymentNo: input.reference,
    state,
    am: '50.00',
    cur: 'RUB',
  });

  test('finds the invoice by order number with Basic auth and the business account; the paid one wins', async () => {
    const { connector, requests } = connectorAnswering([
      {
        status: 200,
        body: {
          status: 'ok',
          code: 0,
          data: {
            '300000124': invoice('8', '300000124'),
            '300000123': invoice('7'),
            '1': { ...invoice('7', '1'), paymentNo: 'someone-else' },
          },
        },
      },
    ]);
    await expect(connector.getPaymentStatus(ref)).resolves.toEqual({
      providerPaymentId: input.reference,
      state: 'succeeded',
      amountMinor: '5000',
      currency: 'RUB',
    });
    const url = new URL(requests[0]!.url);
    expect(url.pathname).toBe('/v1/co-invoice');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      checkoutId: credentials.checkout_id,
      paymentNo: input.reference,
    });
    expect(requests[0]!.init.headers).toMatchObject({
      authorization: `Basic ${Buffer.from('user:api-key').toString('base64')}`,
      'ik-api-account-id': 'acct-9',
    });
  });

  test('no invoice is null: Interkassa never saw the form', async () => {
    const { connector } = connectorAnswering([{ status: 200, body: { status: 'ok', code: 0, data: {} } }]);
    await expect(connector.getPaymentStatus(ref)).resolves.toBeNull();
  });

  test('failures are classified once: rate limits and outages wait as told, refusals are definite, a lost refund is indeterminate', async () => {
    const kinds = async (
      answers: Answer[],
      call: (c: ReturnType<typeof connectorAnswering>['connector']) => Promise<unknown>,
    ) => {
      const error = await call(connectorAnswering(answers).connector).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProviderError);
      const { kind, code, retryAfterMs } = error as ProviderError;
      return { kind, code, retryAfterMs };
    };
    const status = (c: ReturnType<typeof connectorAnswering>['connector']) => c.getPaymentStatus(ref);
    expect(await kinds([{ status: 429, body: {}, headers: { 'retry-after': '7' } }], status)).toEqual({
      kind: 'transient',
      code: 'rate_limited',
      retryAfterMs: 7000,
    });
    expect(await kinds([{ status: 401, body: { status: 'error', code: 401, message: 'Auth' } }], status)).toMatchObject(
      { kind: 'definite', code: 'unauthorized' },
    );
    expect(
      await kinds([{ status: 200, body: { status: 'error', code: 5, data: { '@resultMessage': 'no' } } }], status),
    ).toMatchObject({ kind: 'definite', code: 'interkassa_5' });
    expect(await kinds([{ status: 502, body: {} }], status)).toMatchObject({ kind: 'transient' });
    const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    expect(await kinds([refused], status)).toMatchObject({ kind: 'transient', code: 'unreachable' });

    const refund = (c: ReturnType<typeof connectorAnswering>['connector']) =>
      c.refundPayment!({
        idempotencyKey: 're_1',
        refundId: 're_1',
        providerPaymentId: input.reference,
        amountMinor: '2000',
        currency: 'RUB',
      });
    const paid = { status: 200, body: { status: 'ok', code: 0, data: { '300000123': invoice('7') } } };
    const timeout = Object.assign(new Error('timed out'), { name: 'TimeoutError' });
    expect(await kinds([paid, timeout], refund)).toMatchObject({ kind: 'indeterminate', code: 'timeout' });
    expect(await kinds([paid, { status: 500, body: {} }], refund)).toMatchObject({ kind: 'indeterminate' });
    const unpaid = { status: 200, body: { status: 'ok', code: 0, data: { '300000123': invoice('2') } } };
    expect(await kinds([unpaid], refund)).toMatchObject({ kind: 'definite', code: 'not_paid' });
  });

  test('a refund goes to the paid invoice with Kassa’s refund id as merchantOrderId', async () => {
    const paid = { status: 200, body: { status: 'ok', code: 0, data: { '300000123': invoice('7') } } };
    const done = {
      status: 200,
      body: { status: 'ok', code: 0, data: { id: '7000001', state: 'success', amount: '20.00' } },
    };
    const { connector, requests } = connectorAnswering([paid, done]);
    const refund = await connector.refundPayment!({
      idempotencyKey: 're_1',
      refundId: 're_1',
      providerPaymentId: input.reference,
      amountMinor: '2000',
      currency: 'RUB',
    });
    expect(refund).toEqual({ providerRefundId: '7000001', state: 'succeeded', amountMinor: '2000', currency: 'RUB' });
    expect(new URL(requests[1]!.url).pathname).toBe('/v1/refund');
    expect(Object.fromEntries(new URLSearchParams(String(requests[1]!.init.body)))).toMatchObject({
      id: '300000123',
      amount: '20.00',
      merchantOrderId: 're_1',
    });
  });
});
