import type { Checkout } from '../../src/domain/checkout';
import type { StoredChannel } from '../../src/domain/channel';
import type { PaymentEventWithAttempts } from '../../src/domain/event';
import type { Payment } from '../../src/domain/payment';
import type { Payout } from '../../src/domain/payout';
import type { Refund } from '../../src/domain/refund';
import { balanceResource } from '../../src/resources/balance';
import { channelDeliveryResource, channelResource, webhookDeliveryResource } from '../../src/resources/channel';
import { checkoutResource, checkoutWithSecretResource } from '../../src/resources/checkout';
import { eventEnvelope, eventResource, webhookBody } from '../../src/resources/event';
import { decisionResource, exceptionResource } from '../../src/resources/exception';
import { listResource } from '../../src/resources/list';
import { apiKeyResource, merchantResource } from '../../src/resources/merchant';
import { paymentResource } from '../../src/resources/payment';
import { payoutResource } from '../../src/resources/payout';
import { reconciliationRunResource } from '../../src/resources/reconciliation';
import { refundResource } from '../../src/resources/refund';

// The JSON Kassa answers and sends, field by field and in order, from the domain's types.

const at = (iso: string) => new Date(iso);

const payment: Payment = {
  id: 'pay_4Xk9Qw2Lm8Zp1Rt7Yv3N',
  merchantId: 'mer_1',
  checkoutId: 'co_1',
  orderId: 'order-7',
  testMode: true,
  status: 'paid',
  amountMinor: 123456n,
  currency: 'RUB',
  description: 'Tea',
  method: 'sandbox_card',
  feeMinor: 3704n,
  buyerTotalMinor: 123456n,
  merchantNetMinor: 119752n,
  providerPaymentId: 'sp_1',
  failureReason: null,
  delivery: { type: 'physical', method: 'courier', eta_days: 2 },
  metadata: { cart: '42' },
  createdAt: at('2026-01-01T12:00:00.000Z'),
  expiresAt: at('2026-01-01T13:00:00.000Z'),
  paidAt: at('2026-01-01T12:05:00.000Z'),
};

const refund: Refund = {
  id: 're_1',
  paymentId: payment.id,
  merchantId: 'mer_1',
  testMode: true,
  amountMinor: 1000n,
  currency: 'RUB',
  feeReturnedMinor: 30n,
  merchantDebitMinor: 970n,
  status: 'succeeded',
  provider: 'sandbox',
  providerRefundId: 'sr_1',
  failureReason: null,
  createdAt: at('2026-01-02T00:00:00.000Z'),
  completedAt: at('2026-01-02T00:00:01.000Z'),
};

const payout = (overrides: Partial<Payout> = {}): Payout => ({
  id: 'po_1',
  merchantId: 'mer_1',
  testMode: true,
  checkoutId: 'co_1',
  amountMinor: 50000n,
  currency: 'RUB',
  feeMinor: 150n,
  destination: { type: 'card', token: 'tok_secret', last4: '4242' },
  status: 'paid',
  provider: 'sandbox',
  providerPayoutId: 'spo_1',
  failureReason: null,
  createdAt: at('2026-01-03T00:00:00.000Z'),
  completedAt: null,
  ...overrides,
});

test('a payment answers with decimal amounts, its hosted page link and ISO times, in the documented order', () => {
  const json = paymentResource(payment, 'https://kassa.example');
  expect(JSON.stringify(json)).toBe(
    JSON.stringify({
      id: 'pay_4Xk9Qw2Lm8Zp1Rt7Yv3N',
      object: 'payment',
      checkout_id: 'co_1',
      order_id: 'order-7',
      status: 'paid',
      amount: '1234.56',
      currency: 'RUB',
      description: 'Tea',
      method: 'sandbox_card',
      fee: '37.04',
      buyer_total: '1234.56',
      merchant_net: '1197.52',
      failure_reason: null,
      checkout_url: 'https://kassa.example/pay/pay_4Xk9Qw2Lm8Zp1Rt7Yv3N',
      test_mode: true,
      delivery: { type: 'physical', method: 'courier', eta_days: 2 },
      created_at: '2026-01-01T12:00:00.000Z',
      expires_at: '2026-01-01T13:00:00.000Z',
      paid_at: '2026-01-01T12:05:00.000Z',
      metadata: { cart: '42' },
    }),
  );
  expect(paymentResource({ ...payment, feeMinor: null, paidAt: null }, '').fee).toBeNull();
});

test('a refund shows what the merchant paid and what Kassa gave back', () => {
  expect(refundResource(refund)).toEqual({
    id: 're_1',
    object: 'refund',
    payment_id: payment.id,
    status: 'succeeded',
    amount: '10.00',
    currency: 'RUB',
    fee_returned: '0.30',
    merchant_debit: '9.70',
    failure_reason: null,
    test_mode: true,
    created_at: '2026-01-02T00:00:00.000Z',
    completed_at: '2026-01-02T00:00:01.000Z',
  });
});

test("a payout shows a card's last four digits only, and its net once the fee is known", () => {
  const card = payoutResource(payout());
  expect(card).toMatchObject({
    amount: '500.00',
    fee: '1.50',
    net: '498.50',
    destination: { type: 'card', last4: '4242' },
  });
  expect(JSON.stringify(card)).not.toContain('tok_secret');
  const wallet = payoutResource(
    payout({ feeMinor: null, status: 'pending', destination: { type: 'wallet', walletId: 'w_9' } }),
  );
  expect(wallet).toMatchObject({ fee: null, net: null, destination: { type: 'wallet', wallet_id: 'w_9' } });
});

test('a balance lists each currency in decimals', () => {
  expect(balanceResource(false, [{ currency: 'RUB', available: 100n, pending: 0n, reserved: -5n }])).toEqual({
    object: 'balance',
    test_mode: false,
    balances: [{ currency: 'RUB', available: '1.00', pending: '0.00', reserved: '-0.05' }],
  });
});

test('a list carries one page and whether more follow', () => {
  expect(JSON.stringify(listResource([1, 2], true))).toBe('{"object":"list","data":[1,2],"has_more":true}');
  expect(listResource([])).toEqual({ object: 'list', data: [], has_more: false });
});

test('a webhook body is {id, type, created_at, data} in that order, and the events list shows it as sent', () => {
  const createdAt = at('2026-01-01T12:05:01.000Z');
  const data = paymentResource(payment, 'https://kassa.example');
  const body = webhookBody({ id: 'evt_1', type: 'payment.paid', createdAt }, data);
  expect(body).toBe(
    JSON.stringify({ id: 'evt_1', type: 'payment.paid', created_at: '2026-01-01T12:05:01.000Z', data }),
  );
  expect(eventEnvelope({ id: 'evt_2', type: 'payout.failed', createdAt }, payoutResource(payout())).data.object).toBe(
    'payout',
  );

  const stored: PaymentEventWithAttempts = {
    id: 'evt_1',
    paymentId: payment.id,
    checkoutId: null,
    type: 'payment.paid',
    body,
    createdAt,
    deliveredAt: null,
    attempts: [
      {
        attempt: 1,
        url: 'https://shop.example/hook',
        attemptedAt: createdAt,
        statusCode: 500,
        latencyMs: 12,
        error: 'HTTP 500',
      },
    ],
  };
  expect(eventResource(stored)).toEqual({
    id: 'evt_1',
    object: 'event',
    type: 'payment.paid',
    created_at: '2026-01-01T12:05:01.000Z',
    delivered_at: null,
    data: JSON.parse(JSON.stringify(data)),
    attempts: [
      {
        attempt: 1,
        url: 'https://shop.example/hook',
        attempted_at: '2026-01-01T12:05:01.000Z',
        status_code: 500,
        latency_ms: 12,
        error: 'HTTP 500',
      },
    ],
  });
});

describe('checkout', () => {
  const checkout: Checkout = {
    id: 'co_1',
    merchantId: 'mer_1',
    testMode: true,
    type: 'mobile_app',
    name: 'Shop',
    siteUrl: 'https://shop.example/store',
    currencies: ['RUB'],
    notifyUrl: 'https://shop.example/hook',
    successUrl: 'https://shop.example/ok',
    failUrl: 'https://shop.example/fail',
    pendingUrl: 'https://shop.example/wait',
    feePayer: { type: 'split', buyerPercent: 40 },
    fee: { basisPoints: 300, fixedMinor: {} },
    methodFees: { sandbox_wallet: { basisPoints: 150, fixedMinor: { RUB: 1000n } } },
    methods: null,
    lateSuccess: 'hold',
    branding: { logoUrl: null, color: null },
    locale: 'en',
    sci: null,
    sciKeyHints: null,
    previousWebhookSecretExpiresAt: at('2026-01-02T00:00:00.000Z'),
    verification: { token: 'tok', status: 'unverified', error: null, verifiedAt: null },
    createdAt: at('2026-01-01T00:00:00.000Z'),
    updatedAt: at('2026-01-01T00:00:00.000Z'),
  };
  const offered = [
    { code: 'sandbox_card', title: 'Sandbox card', testMode: true },
    { code: 'sandbox_wallet', title: 'Sandbox wallet', testMode: true },
  ];

  test('every offered method shows with its own fee when the checkout lists none; the split payer keeps its share', () => {
    const json = checkoutResource(checkout, offered, at('2026-01-01T12:00:00.000Z'));
    expect(json.fee_payer).toEqual({ type: 'split', buyer_percent: 40 });
    expect(json.type).toBe('mobile_app');
    expect(json.methods).toEqual([
      {
        method: 'sandbox_card',
        title: 'Sandbox card',
        currencies: null,
        min_amount: {},
        max_amount: {},
        fee: { percent: '3.00', fixed: {} },
      },
      {
        method: 'sandbox_wallet',
        title: 'Sandbox wallet',
        currencies: null,
        min_amount: {},
        max_amount: {},
        fee: { percent: '1.50', fixed: { RUB: '10.00' } },
      },
    ]);
    expect(json.methods_configured).toBe(false);
    expect(json.verification.file_url).toBe('https://shop.example/.well-known/kassa-verification.txt');
    expect(json.previous_secret_expires_at).toBe('2026-01-02T00:00:00.000Z');
  });

  test('a lapsed previous secret is not shown; a method the providers no longer offer is left out; the secret comes last', () => {
    const json = checkoutWithSecretResource(
      { ...checkout, methods: [{ code: 'gone', currencies: null, minAmountMinor: {}, maxAmountMinor: {} }] },
      offered,
      'whsec_x',
      at('2026-01-03T00:00:00.000Z'),
    );
    expect(json.previous_secret_expires_at).toBeNull();
    expect(json.methods).toEqual([]);
    expect(json.methods_configured).toBe(true);
    expect(Object.keys(json).at(-1)).toBe('webhook_secret');
  });
});

test('a channel shows its settings in the API names with secrets masked, and its last attempt', () => {
  const base = {
    checkoutId: 'co_1',
    enabled: true,
    events: ['payment.paid' as const],
    createdAt: at('2026-01-01T00:00:00.000Z'),
    updatedAt: at('2026-01-01T00:00:00.000Z'),
  };
  const telegram: StoredChannel = {
    ...base,
    kind: 'telegram',
    settings: { chatId: '-100123' },
    secret: 'v1.sealed',
    secretHint: 'WXYZ',
  };
  const json = channelResource(telegram, {
    eventId: 'evt_1',
    checkoutId: 'co_1',
    channel: 'telegram',
    target: '-100123',
    attemptedAt: at('2026-01-01T00:01:00.000Z'),
    latencyMs: 5,
    delivered: true,
    response: 'HTTP 200',
    error: null,
    resend: false,
    attempt: 1,
  });
  expect(json).toEqual({
    object: 'notification_channel',
    checkout_id: 'co_1',
    channel: 'telegram',
    enabled: true,
    events: ['payment.paid' as const],
    chat_id: '-100123',
    bot_token: '********WXYZ',
    last_attempt: {
      event_id: 'evt_1',
      attempted_at: '2026-01-01T00:01:00.000Z',
      delivered: true,
      response: 'HTTP 200',
      error: null,
    },
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
  });
  const sms = channelResource(
    {
      ...base,
      kind: 'sms',
      settings: {
        to: '+79991234567',
        url: 'https://sms.example/send',
        method: 'POST',
        contentType: 'application/json',
        body: '{}',
        authHeader: 'Authorization',
      },
      secret: null,
      secretHint: null,
    },
    undefined,
  );
  expect(sms).toMatchObject({
    auth_value: null,
    auth_header: 'Authorization',
    content_type: 'application/json',
    last_attempt: null,
  });
});

test('the delivery log shows a webhook attempt as delivered only on a 2xx, and a channel attempt as recorded', () => {
  const attemptedAt = at('2026-01-01T00:02:00.000Z');
  const hook = { attempt: 2, url: 'https://shop.example/hook', attemptedAt, latencyMs: 9, error: null };
  expect(webhookDeliveryResource({ id: 'evt_1', type: 'payment.paid' }, { ...hook, statusCode: 204 })).toEqual({
    object: 'delivery_attempt',
    event_id: 'evt_1',
    event_type: 'payment.paid',
    channel: 'webhook',
    attempt: 2,
    target: 'https://shop.example/hook',
    attempted_at: '2026-01-01T00:02:00.000Z',
    delivered: true,
    latency_ms: 9,
    response: 'HTTP 204',
    error: null,
    resend: null,
  });
  expect(webhookDeliveryResource({ id: 'evt_1', type: 'payment.paid' }, { ...hook, statusCode: 302 }).delivered).toBe(
    false,
  );
  expect(
    webhookDeliveryResource({ id: 'evt_1', type: 'payment.paid' }, { ...hook, statusCode: null, error: 'timeout' }),
  ).toMatchObject({ delivered: false, response: null, error: 'timeout' });
  const email = channelDeliveryResource(
    {
      eventId: 'evt_1',
      checkoutId: 'co_1',
      channel: 'email',
      target: 'a@shop.example',
      attemptedAt,
      latencyMs: 3,
      delivered: false,
      response: null,
      error: '550 no such user',
      resend: true,
      attempt: 1,
    },
    null,
  );
  expect(email).toMatchObject({ channel: 'email', event_type: null, delivered: false, resend: true });
});

test('a merchant and its keys show the key prefix only; a reconciliation run counts its mismatches', () => {
  const createdAt = at('2026-01-01T00:00:00.000Z');
  expect(merchantResource({ id: 'mer_1', name: 'Shop', email: 'a@shop.example', createdAt })).toEqual({
    id: 'mer_1',
    object: 'merchant',
    name: 'Shop',
    email: 'a@shop.example',
    created_at: '2026-01-01T00:00:00.000Z',
  });
  expect(
    apiKeyResource({
      id: 'key_1',
      merchantId: 'mer_1',
      mode: 'live',
      prefix: 'sk_live_AbCd',
      createdAt,
      revokedAt: null,
    }),
  ).toEqual({
    id: 'key_1',
    object: 'api_key',
    merchant_id: 'mer_1',
    mode: 'live',
    prefix: 'sk_live_AbCd',
    created_at: '2026-01-01T00:00:00.000Z',
    revoked_at: null,
  });
  const mismatch = { kind: 'not_in_ledger', source: 'payment' as const, id: 'pay_1', provider: null, message: 'm' };
  expect(
    reconciliationRunResource({
      id: 'run_1',
      workflowId: 'reconciliation-1',
      windowFrom: createdAt,
      windowTo: at('2026-01-02T00:00:00.000Z'),
      startedAt: createdAt,
      finishedAt: createdAt,
      checked: { payments: 3 },
      mismatches: [mismatch, mismatch],
    }),
  ).toMatchObject({
    object: 'reconciliation_run',
    window: { from: '2026-01-01T00:00:00.000Z', to: '2026-01-02T00:00:00.000Z' },
    mismatch_count: 2,
  });
});

test('an exception shows its amounts in decimals and its standing decision: the last one that did not fail', () => {
  const decision = (id: string, status: 'failed' | 'applied') => ({
    id,
    exceptionId: payment.id,
    kind: 'under_review' as const,
    paymentId: payment.id,
    action: 'accept' as const,
    operator: 'ops',
    decidedAt: at('2026-01-01T13:00:00.000Z'),
    status,
    outcome:
      status === 'applied'
        ? {
            captured: {
              providerPaymentId: 'sp_1',
              amountMinor: '123456',
              currency: 'RUB',
              feeMinor: '3704',
              merchantNetMinor: '119752',
            },
          }
        : null,
    failureReason: status === 'failed' ? 'provider down' : null,
    completedAt: null,
    workflowId: `review-${id}`,
  });
  const json = exceptionResource(
    {
      id: payment.id,
      kind: 'under_review',
      since: at('2026-01-01T12:06:00.000Z'),
      paymentId: payment.id,
      payment: { ...payment, status: 'under_review', failureReason: 'amount_mismatch' },
      flags: [],
      decisions: [decision('d1', 'failed'), decision('d2', 'applied')],
    },
    null,
    null,
  );
  expect(json).toMatchObject({
    object: 'exception',
    status: 'decided',
    amount: '1234.56',
    expected_total: '1234.56',
    reason: 'amount_mismatch',
    provider_captured: null,
  });
  expect(json.decision).toMatchObject({
    id: 'd2',
    outcome: { captured: { amount: '1234.56', fee: '37.04', merchant_net: '1197.52' } },
  });
  expect(decisionResource(decision('d1', 'failed'))).toMatchObject({ outcome: null, failure_reason: 'provider down' });
  expect(json.decisions).toHaveLength(2);
});
