import Stripe from 'stripe';
import { supportedCurrencies } from '../../src/domain/money';
import { fromStripeAmount, stripeExponent, toStripeAmount } from '../../src/providers/stripe/amounts';
import { createStripeConnector, stripeCredentialsSchema, stripeModeProblem } from '../../src/providers/stripe';
import {
  classifyStripeError,
  sessionState,
  type StripeEvent,
  type StripeSession,
  toSessionCreateParams,
  translateEvent,
} from '../../src/providers/stripe/mapper';
import { retryAfterMs } from '../../src/providers/http-failures';
import { type CallbackRequest, CallbackVerificationError } from '../../src/providers/types';

const session = (over: Partial<StripeSession> = {}): StripeSession => ({
  id: 'cs_test_1',
  status: 'complete',
  payment_status: 'paid',
  amount_total: 125000,
  currency: 'usd',
  client_reference_id: 'pay_1-attempt-1',
  metadata: { kassa_payment_id: 'pay_1', kassa_attempt_key: 'pay_1-attempt-1' },
  payment_intent: 'pi_1',
  url: null,
  ...over,
});

const event = (type: string, object: object, over: Partial<StripeEvent> = {}): StripeEvent => ({
  id: 'evt_1',
  type,
  created: 1_700_000_000,
  livemode: false,
  data: { object: object as Record<string, unknown> },
  ...over,
});

const caught = (run: () => unknown): unknown => {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
};

describe('Stripe amounts', () => {
  test('two-decimal, zero-decimal and three-decimal currencies keep their minor units', () => {
    expect(toStripeAmount('125000', 'USD')).toBe(125000);
    expect(toStripeAmount('500', 'JPY')).toBe(500);
    expect(toStripeAmount('1250', 'KWD')).toBe(1250);
    expect(fromStripeAmount(500, 'jpy')).toBe('500');
  });

  test('ISK, whole krónur in Kassa, is two-decimal in Stripe: 5 ISK is 500 both ways', () => {
    expect(stripeExponent('isk')).toBe(2);
    expect(toStripeAmount('5', 'ISK')).toBe(500);
    expect(fromStripeAmount(500, 'isk')).toBe('5');
    expect(caught(() => fromStripeAmount(550, 'isk'))).toMatchObject({
      kind: 'definite',
      code: 'amount_not_supported',
    });
  });

  test('a three-decimal amount whose last digit is not 0 is refused before Stripe sees it', () => {
    expect(caught(() => toStripeAmount('1255', 'KWD'))).toMatchObject({
      kind: 'definite',
      code: 'amount_not_supported',
    });
  });

  test('every currency Kassa accepts goes to Stripe and back unchanged', () => {
    for (const currency of supportedCurrencies)
      expect(fromStripeAmount(toStripeAmount('12340', currency), currency.toLowerCase())).toBe('12340');
  });

  test('a currency Kassa lacks is a definite refusal', () => {
    expect(caught(() => toStripeAmount('100', 'HUF'))).toMatchObject({
      kind: 'definite',
      code: 'currency_not_supported',
    });
  });
});

describe('Stripe Checkout Session mapping', () => {
  test('the create parameters carry the amount in Stripe units, the key, the payment id and the return URL', () => {
    const params = toSessionCreateParams({
      idempotencyKey: 'pay_1-attempt-2',
      reference: 'pay_1-attempt-2',
      paymentId: 'pay_1',
      method: 'stripe_card',
      amountMinor: '5',
      currency: 'ISK',
      description: 'Order 42',
      returnUrl: 'https://kassa.example/pay/pay_1/return',
      callbackUrl: 'https://kassa.example/callbacks/stripe/conn_1',
    });
    expect(params).toMatchObject({
      mode: 'payment',
      payment_method_types: ['card'],
      client_reference_id: 'pay_1-attempt-2',
      metadata: { kassa_payment_id: 'pay_1', kassa_attempt_key: 'pay_1-attempt-2' },
      payment_intent_data: { metadata: { kassa_payment_id: 'pay_1', kassa_attempt_key: 'pay_1-attempt-2' } },
      success_url: 'https://kassa.example/pay/pay_1/return',
      line_items: [
        { quantity: 1, price_data: { currency: 'isk', unit_amount: 500, product_data: { name: 'Order 42' } } },
      ],
    });
  });

  test('a method Stripe does not serve is a definite refusal', () => {
    const error = caught(() =>
      toSessionCreateParams({
        idempotencyKey: 'k',
        reference: 'k',
        paymentId: 'pay_1',
        method: 'sandbox_card',
        amountMinor: '100',
        currency: 'USD',
        description: '',
        returnUrl: 'https://x',
        callbackUrl: 'https://x',
      }),
    );
    expect(error).toMatchObject({ kind: 'definite', code: 'method_not_supported' });
  });

  test.each([
    ['open', 'unpaid', null, 'pending'],
    ['complete', 'paid', null, 'succeeded'],
    ['complete', 'unpaid', 'processing', 'pending'],
    ['complete', 'unpaid', 'requires_payment_method', 'declined'],
    ['expired', 'unpaid', null, 'canceled'],
  ])('a %s, %s session whose intent is %s is %s', (status, paymentStatus, intentStatus, state) => {
    const intent = intentStatus && {
      id: 'pi_1',
      status: intentStatus,
      amount: 100,
      currency: 'usd',
      last_payment_error: { decline_code: 'insufficient_funds' },
    };
    const mapped = sessionState(session({ status, payment_status: paymentStatus, payment_intent: intent || 'pi_1' }));
    expect(mapped.state).toBe(state);
    if (state === 'declined') expect(mapped.declineReason).toBe('insufficient_funds');
  });
});

describe('Stripe events', () => {
  test('checkout.session.completed, paid, is the payment succeeded with its amount and Kassa payment id', () => {
    expect(translateEvent(event('checkout.session.completed', session()), 'test')).toEqual({
      kind: 'payment',
      callback: {
        eventId: 'evt_1',
        providerPaymentId: 'cs_test_1',
        paymentId: 'pay_1',
        state: 'succeeded',
        amountMinor: '125000',
        currency: 'USD',
        occurredAt: new Date(1_700_000_000_000).toISOString(),
      },
    });
  });

  test('an ISK session event is read in whole krónur', () => {
    const translated = translateEvent(
      event('checkout.session.completed', session({ amount_total: 50000, currency: 'isk' })),
      'test',
    );
    expect(translated).toMatchObject({ kind: 'payment', callback: { amountMinor: '500', currency: 'ISK' } });
  });

  test('async payment failed is declined, expired is canceled, async payment succeeded is succeeded', () => {
    const unpaid = session({ payment_status: 'unpaid' });
    expect(translateEvent(event('checkout.session.async_payment_failed', unpaid), 'test')).toMatchObject({
      callback: { state: 'declined', declineReason: 'async_payment_failed' },
    });
    expect(
      translateEvent(
        event('checkout.session.expired', session({ status: 'expired', payment_status: 'unpaid' })),
        'test',
      ),
    ).toMatchObject({ callback: { state: 'canceled' } });
    expect(translateEvent(event('checkout.session.async_payment_succeeded', unpaid), 'test')).toMatchObject({
      callback: { state: 'succeeded' },
    });
  });

  test('PaymentIntent and charge events, sessions Kassa did not make and the other mode are ignored', () => {
    expect(translateEvent(event('payment_intent.succeeded', { id: 'pi_1' }), 'test').kind).toBe('ignored');
    expect(translateEvent(event('charge.refunded', { id: 'ch_1' }), 'test').kind).toBe('ignored');
    expect(translateEvent(event('checkout.session.completed', session({ metadata: {} })), 'test').kind).toBe('ignored');
    expect(translateEvent(event('checkout.session.completed', session()), 'live')).toMatchObject({
      kind: 'ignored',
      reason: 'a test-mode event at a live connector',
    });
  });

  test('refund events carry the refund by Kassa refund id: pending, succeeded, failed with its reason', () => {
    const refund = (status: string, failure_reason: string | null = null) => ({
      id: 're_stripe_1',
      object: 'refund',
      status,
      amount: 700,
      currency: 'jpy',
      metadata: { kassa_refund_id: 're_kassa_1' },
      failure_reason,
    });
    expect(translateEvent(event('refund.created', refund('pending')), 'test')).toEqual({
      kind: 'refund',
      eventId: 'evt_1',
      refundId: 're_kassa_1',
      refund: { providerRefundId: 're_stripe_1', state: 'pending', amountMinor: '700', currency: 'JPY' },
    });
    expect(translateEvent(event('refund.updated', refund('succeeded')), 'test')).toMatchObject({
      refund: { state: 'succeeded' },
    });
    expect(translateEvent(event('refund.failed', refund('failed', 'expired_or_canceled_card')), 'test')).toMatchObject({
      refund: { state: 'failed', failureReason: 'expired_or_canceled_card' },
    });
    expect(translateEvent(event('refund.updated', { ...refund('succeeded'), metadata: {} }), 'test').kind).toBe(
      'ignored',
    );
  });
});

describe('Stripe errors', () => {
  const now = new Date('2026-11-30T12:00:00Z');

  test('a declined card, an invalid request, a reused key and a bad key are definite', () => {
    expect(
      classifyStripeError({ type: 'StripeCardError', message: 'declined', decline_code: 'insufficient_funds' }),
    ).toMatchObject({ kind: 'definite', code: 'insufficient_funds' });
    expect(
      classifyStripeError({ type: 'StripeInvalidRequestError', message: 'bad', code: 'parameter_missing' }),
    ).toMatchObject({ kind: 'definite', code: 'parameter_missing' });
    expect(classifyStripeError({ type: 'StripeIdempotencyError', message: 'reused' }).kind).toBe('definite');
    expect(classifyStripeError({ type: 'StripeAuthenticationError', message: 'bad key' }).kind).toBe('definite');
  });

  test('429 is transient with the Retry-After delay, in seconds or as a date', () => {
    const limited = classifyStripeError(
      { type: 'StripeRateLimitError', message: 'slow down', statusCode: 429, headers: { 'retry-after': '3' } },
      now,
    );
    expect(limited).toMatchObject({ kind: 'transient', code: 'rate_limited', retryAfterMs: 3000 });
    expect(retryAfterMs('Mon, 30 Nov 2026 12:00:10 GMT', now)).toBe(10_000);
    expect(
      classifyStripeError({ type: 'StripeRateLimitError', message: 'slow down', statusCode: 429 }).retryAfterMs,
    ).toBeUndefined();
  });

  test('a connection never opened is transient; a timeout or a lost connection is indeterminate', () => {
    const connection = (code: string) =>
      classifyStripeError({ type: 'StripeConnectionError', message: 'conn', detail: { code } });
    expect(connection('ECONNREFUSED').kind).toBe('transient');
    expect(connection('ETIMEDOUT')).toMatchObject({ kind: 'indeterminate', code: 'timeout' });
    expect(connection('ECONNRESET').kind).toBe('indeterminate');
  });

  test('a 5xx is indeterminate, a 409 (same key in flight) transient', () => {
    expect(classifyStripeError({ type: 'StripeAPIError', message: 'oops', statusCode: 500 }).kind).toBe(
      'indeterminate',
    );
    expect(classifyStripeError({ type: 'StripeAPIError', message: 'busy', statusCode: 409 }).kind).toBe('transient');
  });
});

describe('Stripe credentials and webhooks', () => {
  const secret = 'whsec_unit_test_secret';
  const credentials = { secret_key: 'sk_test_unit', webhook_secret: secret, api_base: 'http://127.0.0.1:9' };
  const connector = createStripeConnector(credentials, { mode: 'test' });
  const body = JSON.stringify(event('checkout.session.completed', session()));
  const request = (header: string | undefined, now: Date, raw = body): CallbackRequest => ({
    rawBody: Buffer.from(raw),
    headers: header === undefined ? {} : { 'Stripe-Signature': header },
    query: {},
    method: 'POST',
    remoteAddress: '127.0.0.1',
    now,
  });
  const signedAt = (seconds: number, key = secret, payload = body) =>
    Stripe.webhooks.generateTestHeaderString({ payload, secret: key, timestamp: seconds });
  const t = 1_780_000_000;

  test('the credentials name the field that is wrong', () => {
    expect(stripeCredentialsSchema.safeParse(credentials).success).toBe(true);
    const wrong = stripeCredentialsSchema.safeParse({ ...credentials, secret_key: 'pk_test_1', api_base: 'ftp://x/y' });
    expect(wrong.success).toBe(false);
    expect(wrong.error!.issues.map((issue) => issue.path.join('.')).sort()).toEqual(['api_base', 'secret_key']);
    expect(stripeCredentialsSchema.safeParse({ ...credentials, extra: 1 }).success).toBe(false);
  });

  test('a key of the other mode is a problem named secret_key', () => {
    expect(stripeModeProblem(credentials, 'test')).toBeNull();
    expect(stripeModeProblem(credentials, 'live')).toMatchObject({ field: 'secret_key' });
    expect(stripeModeProblem({ ...credentials, secret_key: 'rk_live_1' }, 'live')).toBeNull();
  });

  test('a live connector with a test key refuses to act', async () => {
    const live = createStripeConnector(credentials, { mode: 'live' });
    await expect(
      live.getPaymentStatus({ idempotencyKey: 'k', reference: 'k', providerPaymentId: 'cs_1' }),
    ).rejects.toMatchObject({ kind: 'definite', code: 'key_mode_mismatch' });
  });

  test('an event signed with the endpoint secret is accepted up to 300 s after signing', async () => {
    await expect(connector.verifyCallback(request(signedAt(t), new Date((t + 300) * 1000)))).resolves.toMatchObject({
      kind: 'payment',
      callback: { state: 'succeeded', paymentId: 'pay_1' },
    });
  });

  test('a signature older than 300 s is refused', async () => {
    await expect(connector.verifyCallback(request(signedAt(t), new Date((t + 301) * 1000)))).rejects.toBeInstanceOf(
      CallbackVerificationError,
    );
  });

  test('a forged signature, a changed body and a missing header are refused', async () => {
    const now = new Date(t * 1000);
    await expect(connector.verifyCallback(request(signedAt(t, 'whsec_other'), now))).rejects.toBeInstanceOf(
      CallbackVerificationError,
    );
    const tampered = body.replace('125000', '1');
    await expect(connector.verifyCallback(request(signedAt(t), now, tampered))).rejects.toBeInstanceOf(
      CallbackVerificationError,
    );
    await expect(connector.verifyCallback(request(undefined, now))).rejects.toBeInstanceOf(CallbackVerificationError);
  });
});
