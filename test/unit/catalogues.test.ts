import fs from 'node:fs';
import path from 'node:path';
import { eventIdFromUuid, paymentStatusEventId } from '../../src/domain/event-ids';
import {
  isMerchantEventType,
  merchantEventTypes,
  notificationEventTypes,
  payoutEventTypes,
  purchaseEventTypes,
  refundEventTypes,
} from '../../src/domain/event-types';
import { FailureType } from '../../src/domain/failure-types';
import { sellerChatMessage, type EventView } from '../../src/notifications/messages';

const root = path.join(__dirname, '..', '..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');

describe('merchant event types', () => {
  test('the catalogue lists exactly the types docs/api.md §8 promises, once each', () => {
    const section = read('docs/api.md').split('## 8. Webhooks')[1]!.split('\n## ')[0]!;
    const typesParagraph = section.slice(section.indexOf('Types:'), section.indexOf('Signed per'));
    const documented = [...typesParagraph.matchAll(/`((?:payment|payout)\.[a-z_]+)`/g)].map((match) => match[1]);
    expect([...merchantEventTypes].sort()).toEqual([...new Set(documented)].sort());
    expect(new Set(merchantEventTypes).size).toBe(merchantEventTypes.length);
  });

  test('purchase, refund and payout events split the catalogue without overlap; channels subscribe to purchase outcomes', () => {
    expect([...purchaseEventTypes, ...refundEventTypes, ...payoutEventTypes].sort()).toEqual(
      [...merchantEventTypes].sort(),
    );
    expect(notificationEventTypes).toEqual([
      'payment.paid',
      'payment.failed',
      'payment.expired',
      'payment.canceled',
      'payment.under_review',
    ]);
    expect(isMerchantEventType('payment.refund_failed')).toBe(true);
    expect(isMerchantEventType('payment.succeeded')).toBe(false);
  });

  test('every event type, payment.refund_failed too, has its own words in notifications', () => {
    const view = (eventType: string): EventView => ({
      shop: 'Shop',
      eventId: 'evt_1',
      eventType,
      methodTitle: null,
      publicUrl: 'https://kassa.example',
      payment: {
        id: 'pay_1',
        order_id: 'o-1',
        status: 'paid',
        amount: '10.00',
        currency: 'RUB',
        description: 'Tea',
        method: null,
        fee: null,
        buyer_total: null,
        merchant_net: null,
        failure_reason: null,
        checkout_url: 'https://kassa.example/pay/pay_1',
        test_mode: false,
        delivery: null,
        paid_at: null,
      },
    });
    const fallback = sellerChatMessage(view('payment.something_new'));
    expect(fallback).toContain('🔔');
    for (const type of merchantEventTypes) expect(sellerChatMessage(view(type))).not.toContain('🔔');
    expect(sellerChatMessage(view('payment.refund_failed'))).toContain('refund failed');
  });
});

describe('event ids', () => {
  test('a random event id is evt_ and the 32 hex digits of the uuid', () => {
    expect(eventIdFromUuid('0f8e1c2a-7b3d-4e5f-9a6b-1c2d3e4f5a6b')).toBe('evt_0f8e1c2a7b3d4e5f9a6b1c2d3e4f5a6b');
  });

  test("a payment's outcome event id is the payment id without pay_ and the status without punctuation", () => {
    expect(paymentStatusEventId('pay_4Xk9Qw2Lm8Zp1Rt7Yv3N', 'under_review')).toBe(
      'evt_4Xk9Qw2Lm8Zp1Rt7Yv3Nunderreview',
    );
    expect(paymentStatusEventId('pay_abc', 'paid')).toBe('evt_abcpaid');
    expect(paymentStatusEventId('pay_abc', 'paid')).not.toBe(paymentStatusEventId('pay_abc', 'failed'));
  });
});

describe('failure types', () => {
  test('each failure type is its own name, as recorded in histories', () => {
    for (const [name, value] of Object.entries(FailureType)) expect(value).toBe(name);
  });

  test('activities and workflows raise no failure type outside the catalogue', () => {
    const sources = ['src/activities', 'src/workflows'].flatMap((dir) =>
      fs
        .readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.ts'))
        .map((file) => read(path.join(dir, file))),
    );
    const used = sources.flatMap((source) => [
      ...[...source.matchAll(/FailureType\.(\w+)/g)].map((match) => match[1]!),
      ...[...source.matchAll(/ApplicationFailure\.(?:nonRetryable|retryable)\([^;]*?,\s*'(\w+)'/gs)].map(
        (match) => match[1]!,
      ),
      ...[...source.matchAll(/type: '([A-Z]\w+)'/g)].map((match) => match[1]!),
    ]);
    expect(used.length).toBeGreaterThan(20);
    for (const type of used) expect(Object.keys(FailureType)).toContain(type);
  });
});
