import type { Checkout } from '../../src/domain/checkout';
import type { PaymentSci } from '../../src/domain/interkassa';
import type { PaymentStatus, StoredPayment } from '../../src/domain/payment';
import { resultLinks } from '../../src/services/buyer';
import type { ServiceDeps } from '../../src/services/deps';

// Where the result page sends the buyer back, for every status, without servers.
const at = (iso: string) => new Date(iso);
const deps = { config: { publicUrl: 'https://pay.example' } } as ServiceDeps;
const checkout = {
  id: 'co_1',
  successUrl: 'https://shop.example/ok?lang=ru',
  failUrl: 'https://shop.example/fail',
  pendingUrl: 'https://shop.example/wait',
} as Checkout;
const sci: PaymentSci = {
  coId: '0123456789abcdef01234567',
  amount: '50',
  paymentNo: 'A-1',
  payway: null,
  methods: null,
  payerContact: null,
  extra: {},
  urls: {},
};
const payment = (status: PaymentStatus, sciPart: PaymentSci | null = sci) =>
  ({
    id: 'pay_3kTMd2pL9sXq7vB1nW0e',
    orderId: 'A-1~2',
    status,
    testMode: true,
    delivery: null,
    sci: sciPart,
    createdAt: at('2026-01-01T00:00:00.000Z'),
  }) as unknown as StoredPayment;
const secret = 'whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0';

describe('the way back of an SCI-made payment', () => {
  test.each([
    ['paid', 'https://shop.example/ok', 'success', 5],
    ['refunded', 'https://shop.example/ok', 'success', 5],
    ['failed', 'https://shop.example/fail', 'fail', 5],
    ['expired', 'https://shop.example/fail', 'canceled', 5],
    ['canceled', 'https://shop.example/fail', 'canceled', 5],
    ['under_review', 'https://shop.example/wait', 'process', 5],
    ['awaiting_payment', 'https://shop.example/wait', 'process', null],
    ['awaiting_method', 'https://shop.example/fail', 'fail', null],
  ] as const)('%s goes to %s with ik_inv_st=%s (on its own after %s s)', (status, page, state, seconds) => {
    const links = resultLinks(deps, payment(status), checkout, secret, { now: 0 });
    const url = new URL(links.back.url);
    expect(url.origin + url.pathname).toBe(page);
    expect(url.searchParams.get('ik_inv_st')).toBe(state);
    // ik_pm_no as the shop sent it, not the order id Kassa suffixed
    expect(url.searchParams.get('ik_pm_no')).toBe('A-1');
    expect(links.back.method).toBe('GET');
    expect(links.autoReturnSeconds).toBe(seconds);
  });

  test('the checkout URL’s own query stays; a POST target carries the fields in the form', () => {
    const get = new URL(resultLinks(deps, payment('paid'), checkout, secret).back.url);
    expect(get.searchParams.get('lang')).toBe('ru');
    const post = resultLinks(
      deps,
      payment('paid', { ...sci, urls: { success: { url: 'https://shop.example/thanks', method: 'POST' } } }),
      checkout,
      secret,
    ).back;
    expect(post).toEqual({
      method: 'POST',
      url: 'https://shop.example/thanks',
      fields: { ik_co_id: sci.coId, ik_inv_id: 'pay_3kTMd2pL9sXq7vB1nW0e', ik_inv_st: 'success', ik_pm_no: 'A-1' },
    });
  });

  test('a payment being confirmed refreshes with its wait counted, and after a minute goes to the pending page', () => {
    expect(resultLinks(deps, payment('awaiting_payment'), checkout, secret, { waitedSeconds: 10 })).toMatchObject({
      autoReturnSeconds: null,
      refreshUrl: '/pay/pay_3kTMd2pL9sXq7vB1nW0e/return?waited=12',
      watch: {
        statusUrl: '/pay/pay_3kTMd2pL9sXq7vB1nW0e/status',
        everySeconds: 2,
        resultUrl: '/pay/pay_3kTMd2pL9sXq7vB1nW0e/return',
        giveUpAfterSeconds: 50,
        giveUpUrl: '/pay/pay_3kTMd2pL9sXq7vB1nW0e/return?waited=60',
      },
    });
    const long = resultLinks(deps, payment('awaiting_payment'), checkout, secret, { waitedSeconds: 60 });
    expect(long.autoReturnSeconds).toBe(5);
    expect(long.refreshUrl).toBeUndefined();
    expect(long.watch).toBeUndefined();
  });
});

test('a payment made through the API goes back to the signed checkout URL, paid digital goods after 30 s', () => {
  const paid = { ...payment('paid', null), delivery: { type: 'digital', download_url: 'https://shop.example/f' } };
  const links = resultLinks(deps, paid as StoredPayment, checkout, secret, { now: 0 });
  const url = new URL(links.back.url);
  expect(url.origin + url.pathname).toBe('https://shop.example/ok');
  expect([...url.searchParams.keys()]).toEqual(['lang', 'payment_id', 'order_id', 'status', 'signature']);
  expect(links.shopUrl).toBe(links.back.url);
  expect(links.downloadUrl).toMatch(
    /^https:\/\/pay\.example\/pay\/pay_3kTMd2pL9sXq7vB1nW0e\/download\?expires=86400&token=/,
  );
  expect(links.autoReturnSeconds).toBe(30);
});
