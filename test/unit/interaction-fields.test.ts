import { sciSign } from '../../src/domain/sci-signature';
import {
  type InteractionFacts,
  interactionFields,
  interactionRequest,
  interactionState,
  sendInteraction,
} from '../../src/notifications/interaction';
import { DeliveryError } from '../../src/notifications/types';

const facts: InteractionFacts = {
  coId: '51237daa8f2a2d8413000000',
  paymentId: 'pay_3kTMd2pL9sXq7vB1nW0e',
  state: 'success',
  createdAt: new Date('2026-11-30T10:01:02.345Z'),
  processedAt: new Date('2026-11-30T10:05:06.789Z'),
  providerPaymentId: 'sp_123',
  paymentNo: 'A-1001',
  testMode: false,
  payway: null,
  method: 'sandbox_card',
  amount: '50',
  currency: 'RUB',
  description: 'Книга',
  merchantNet: '48.50',
  buyerTotal: '50.00',
  extra: { ik_x_user: '42' },
};

describe('interaction fields', () => {
  test('paid is success, failed is fail, canceled and expired are canceled; other events send none', () => {
    expect(interactionState('payment.paid')).toBe('success');
    expect(interactionState('payment.failed')).toBe('fail');
    expect(interactionState('payment.canceled')).toBe('canceled');
    expect(interactionState('payment.expired')).toBe('canceled');
    expect(interactionState('payment.under_review')).toBeNull();
    expect(interactionState('payment.refunded')).toBeNull();
  });

  test('dates are Interkassa’s Y-m-d H:i:s, amounts as given, ik_x_* echoed', () => {
    expect(interactionFields(facts)).toEqual({
      ik_co_id: '51237daa8f2a2d8413000000',
      ik_inv_id: 'pay_3kTMd2pL9sXq7vB1nW0e',
      ik_inv_st: 'success',
      ik_inv_crt: '2026-11-30 10:01:02',
      ik_inv_prc: '2026-11-30 10:05:06',
      ik_trn_id: 'sp_123',
      ik_pm_no: 'A-1001',
      ik_pw_via: 'sandbox_card',
      ik_am: '50',
      ik_cur: 'RUB',
      ik_desc: 'Книга',
      ik_co_rfn: '48.50',
      ik_ps_price: '50.00',
      ik_x_user: '42',
    });
  });

  test('ik_pw_via is the test payway for a test payment (shops pick the test key by it), the shop’s payway when it chose one', () => {
    expect(interactionFields({ ...facts, testMode: true }).ik_pw_via).toBe('test_interkassa_test_xts');
    expect(interactionFields({ ...facts, payway: 'visa_cpaytrz_merchant_rub' }).ik_pw_via).toBe(
      'visa_cpaytrz_merchant_rub',
    );
    expect(interactionFields({ ...facts, method: null }).ik_pw_via).toBe('');
  });

  test('the interaction is signed as the form is: ik_sign matches vectors computed apart (Python hashlib over the UTF-8 text), md5 and sha256; ik_sign itself is left out', () => {
    // "50.00:51237daa8f2a2d8413000000:Книга:success:visa:1:SecretKey123"
    const fields = {
      ik_co_id: '51237daa8f2a2d8413000000',
      ik_am: '50.00',
      ik_inv_st: 'success',
      ik_desc: 'Книга',
      ik_x_a: '1',
      ik_pw_via: 'visa',
    };
    expect(sciSign(fields, 'SecretKey123', 'md5')).toBe('N+M/o5XekC7InXJI59PNjQ==');
    expect(sciSign(fields, 'SecretKey123', 'sha256')).toBe('dPJ5vmlTu3IChw+z+iv6CWHy7HBrcLjjYjEPtgkMIhg=');
    expect(sciSign({ ...fields, ik_sign: 'anything' }, 'SecretKey123', 'md5')).toBe('N+M/o5XekC7InXJI59PNjQ==');
  });

  test('POST is a form body; GET keeps the URL’s own query and adds the fields', () => {
    const fields = { ik_inv_st: 'success', ik_desc: 'a&b c' };
    const post = interactionRequest({ url: 'https://shop.example/ik?route=callback', method: 'POST' }, fields);
    expect(post).toMatchObject({
      url: 'https://shop.example/ik?route=callback',
      method: 'POST',
      body: 'ik_inv_st=success&ik_desc=a%26b+c',
    });
    expect(post.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    const get = interactionRequest({ url: 'https://shop.example/ik?route=callback', method: 'GET' }, fields);
    expect(get.body).toBeUndefined();
    expect(Object.fromEntries(new URL(get.url).searchParams)).toEqual({ route: 'callback', ...fields });
  });

  test('an interaction URL on a loopback or private address is refused for good where the operator does not allow them, before connecting', async () => {
    for (const url of ['http://127.0.0.1:1/ik', 'http://10.0.0.7/ik', 'http://[::1]/ik']) {
      const sent = sendInteraction(
        { url, method: 'POST' },
        { ik_inv_st: 'success' },
        { allowPrivate: false, timeoutMs: 1000 },
      );
      await expect(sent).rejects.toBeInstanceOf(DeliveryError);
      await expect(sent).rejects.toMatchObject({
        kind: 'definite',
        message: expect.stringContaining('the interaction URL is refused'),
      });
    }
  });
});
