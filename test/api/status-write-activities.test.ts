import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Pool } from 'pg';
import { createActivities, type RecordPaymentStatusInput } from '../../src/activities';
import { upsertChannel } from '../../src/db/channels';
import { webhookSecretsFor } from '../../src/db/checkouts';
import { transactionsOf } from '../../src/db/ledger';
import { findPaymentById } from '../../src/db/payments';
import type { NotificationSettings } from '../../src/notifications/types';
import { expectLedgerBalanced } from '../support/ledger';
import { type ApiHarness, type Merchant, startApiHarness } from '../support/merchant-api';
import { startReceiver } from '../support/stack';
import { countingPool } from '../support/counting-pool';

// The paid status write in four round trips with the channel plan of its event, and a merchant
// webhook read in one query before its POST and recorded in one after.
jest.setTimeout(60_000);

let harness: ApiHarness;
let settings: NotificationSettings;
beforeAll(async () => {
  harness = await startApiHarness();
  settings = {
    key: Buffer.alloc(32, 3),
    previousKeys: [],
    smtpUrl: null,
    mailLogDir: await mkdtemp(path.join(tmpdir(), 'kassa-status-write-mail-')),
    mailFrom: 'Kassa <kassa@example.com>',
    telegramApiUrl: 'http://127.0.0.1:1',
    retrySeconds: [1, 5],
    allowPrivateUrls: true,
  };
});
afterAll(async () => {
  await harness?.close();
});
afterEach(async () => {
  await expectLedgerBalanced(harness.db);
});

const paidInput = (paymentId: string, seq = 1): RecordPaymentStatusInput => ({
  paymentId,
  seq,
  status: 'paid',
  method: 'sandbox_card',
  providerPaymentId: 'sp_statuswrite',
  redirectUrl: null,
  failureReason: null,
  fees: { feeMinor: '150', buyerTotalMinor: '5000', merchantNetMinor: '4850' },
  event: { id: `evt_paid_${paymentId.slice(4)}_${seq}`, type: 'payment.paid' },
});

async function paymentWithAttempt(merchant: Merchant, extra: Record<string, unknown> = {}) {
  const payment = await harness.payment(merchant, extra);
  await harness.db.query(
    `insert into payment_attempts (payment_id, attempt, connector_id, provider, method, reference, status)
     values ($1, 1, 'sandbox', 'sandbox', 'sandbox_card', $1, 'created')`,
    [payment.id],
  );
  return payment.id as string;
}

const activitiesOn = (db: Pool, notifications?: NotificationSettings) =>
  createActivities({
    db,
    providers: harness.deps.providers,
    publicUrl: harness.config.publicUrl,
    allowPrivateWebhookUrls: true,
    notifications,
  });

describe('recordPaymentStatus of a change that raises no event', () => {
  test('is one statement, no transaction around it: a decline back to method choice, its attempt settled', async () => {
    const merchant = await harness.merchant();
    const paymentId = await paymentWithAttempt(merchant);
    const counted = countingPool(harness.db);
    const result = await activitiesOn(counted.db, settings).recordPaymentStatus({
      ...paidInput(paymentId),
      status: 'awaiting_method',
      providerPaymentId: null,
      failureReason: 'declined',
      event: null,
      attempt: { attempt: 1, status: 'declined', providerPaymentId: 'sp_declined' },
    });
    expect(result).toEqual({ eventId: null, channels: null });
    expect(counted.statements).toHaveLength(1);
    expect(counted.statements[0]).toMatch(/^with changed as/);
    expect(await findPaymentById(harness.db, paymentId)).toMatchObject({
      status: 'awaiting_method',
      failureReason: 'declined',
    });
    const { rows: attempts } = await harness.db.query(
      'select status, provider_payment_id from payment_attempts where payment_id = $1',
      [paymentId],
    );
    expect(attempts).toEqual([{ status: 'declined', provider_payment_id: 'sp_declined' }]);
    expect(await transactionsOf(harness.db, 'payment', [paymentId])).toEqual([]);
  });
});

describe('recordPaymentStatus of a paid payment', () => {
  test('makes four round trips (BEGIN, the status change, the event with the ledger posting, COMMIT)', async () => {
    const merchant = await harness.merchant();
    // The accounts exist from a first payment, as they do for every merchant after its first.
    await activitiesOn(harness.db).recordPaymentStatus(paidInput(await paymentWithAttempt(merchant)));
    const paymentId = await paymentWithAttempt(merchant);
    const counted = countingPool(harness.db);
    const input = {
      ...paidInput(paymentId),
      attempt: { attempt: 1, status: 'succeeded' as const, providerPaymentId: 'sp_1' },
    };
    const result = await activitiesOn(counted.db, settings).recordPaymentStatus(input);
    expect(counted.statements).toHaveLength(4);
    expect(result).toEqual({
      eventId: input.event!.id,
      channels: { eventType: 'payment.paid', channels: [], retrySeconds: [1, 5] },
    });

    const payment = await findPaymentById(harness.db, paymentId);
    expect(payment).toMatchObject({ status: 'paid', buyerTotalMinor: 5000n, merchantNetMinor: 4850n });
    const { rows: attempts } = await harness.db.query(
      'select status, provider_payment_id from payment_attempts where payment_id = $1',
      [paymentId],
    );
    expect(attempts).toEqual([{ status: 'succeeded', provider_payment_id: 'sp_1' }]);
    const { rows: events } = await harness.db.query('select id, type, body from payment_events where payment_id = $1', [
      paymentId,
    ]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ id: input.event!.id, type: 'payment.paid' });
    expect(JSON.parse(events[0].body)).toMatchObject({
      id: input.event!.id,
      type: 'payment.paid',
      data: { id: paymentId, status: 'paid' },
    });
    const [posted] = await transactionsOf(harness.db, 'payment', [paymentId]);
    expect(posted!.entries.map((entry) => [entry.owner, entry.kind, entry.provider, entry.amountMinor])).toEqual([
      ['kassa', 'provider_clearing', 'sandbox', -5000n],
      [merchant.id, 'available', '', 4850n],
      ['kassa', 'fee_revenue', '', 150n],
    ]);
  });

  test('the first payment of a merchant, on accounts not made yet, posts the same three entries', async () => {
    const merchant = await harness.merchant();
    const paymentId = await paymentWithAttempt(merchant);
    const counted = countingPool(harness.db);
    await activitiesOn(counted.db).recordPaymentStatus(paidInput(paymentId));
    expect(counted.statements).toHaveLength(4);
    const [posted] = await transactionsOf(harness.db, 'payment', [paymentId]);
    expect(posted!.entries.map((entry) => [entry.owner, entry.kind, entry.amountMinor, entry.memo])).toEqual([
      ['kassa', 'provider_clearing', -5000n, 'paid by the buyer'],
      [merchant.id, 'available', 4850n, 'net of the fee'],
      ['kassa', 'fee_revenue', 150n, 'commission'],
    ]);
  });

  test('two first payments of one merchant written at once both post, and its balance is both nets', async () => {
    const merchant = await harness.merchant({ currencies: ['USD'] });
    const ids = [
      await paymentWithAttempt(merchant, { currency: 'USD' }),
      await paymentWithAttempt(merchant, { currency: 'USD' }),
    ];
    const activities = activitiesOn(harness.db);
    await Promise.all(ids.map((id) => activities.recordPaymentStatus(paidInput(id))));
    const { rows } = await harness.db.query(
      `select coalesce(sum(e.amount_minor), 0)::text as balance from ledger_entries e join ledger_accounts a on a.id = e.account_id
       where a.owner = $1 and a.kind = 'available' and a.currency = 'USD'`,
      [merchant.id],
    );
    expect(rows[0].balance).toBe(String(2 * 4850));
  });

  test('a retry posts nothing twice and answers the same event and plan; no event answers no plan', async () => {
    const merchant = await harness.merchant();
    const paymentId = await paymentWithAttempt(merchant);
    const activities = activitiesOn(harness.db, settings);
    const first = await activities.recordPaymentStatus(paidInput(paymentId));
    const entries = async () =>
      Number(
        (
          await harness.db.query(
            `select count(*) from ledger_entries e join ledger_transactions t on t.id = e.transaction_id where t.source_id = $1`,
            [paymentId],
          )
        ).rows[0].count,
      );
    expect(await entries()).toBe(3);
    expect(await activities.recordPaymentStatus(paidInput(paymentId))).toEqual(first);
    expect(await entries()).toBe(3);
    const later = {
      ...paidInput(paymentId, 2),
      status: 'expired' as const,
      event: { id: `evt_expired_${paymentId}`, type: 'payment.expired' as const },
    };
    expect(await activities.recordPaymentStatus(later)).toEqual({ eventId: null, channels: null });
    expect(await activities.recordPaymentStatus({ ...paidInput(paymentId, 3), event: null })).toEqual({
      eventId: null,
      channels: null,
    });
  });
});

describe('the channel plan the status write answers', () => {
  /** The plan recordPaymentStatus answers and the one channelsForEvent answers for the same event. */
  async function plans(paymentId: string, notifications: NotificationSettings | null = settings) {
    const activities = activitiesOn(harness.db, notifications ?? undefined);
    const input = paidInput(paymentId);
    const written = await activities.recordPaymentStatus(input);
    const asked = await activities.channelsForEvent({ eventId: written.eventId! });
    return { written: written.channels, asked };
  }

  test('e-mail, Telegram and SMS channels that want the event, and the buyer receipt with an e-mail', async () => {
    const merchant = await harness.merchant();
    const checkoutId = merchant.testCheckout.id as string;
    const channel = { checkoutId, enabled: true, secret: null, secretHint: null };
    await upsertChannel(harness.db, {
      ...channel,
      kind: 'email',
      events: ['payment.paid'],
      settings: { to: ['a@example.com'] },
    });
    await upsertChannel(harness.db, {
      ...channel,
      kind: 'telegram',
      events: ['payment.paid'],
      settings: { chatId: '-100' },
    });
    await upsertChannel(harness.db, {
      ...channel,
      kind: 'sms',
      events: ['payment.paid'],
      settings: { to: '+70000000000', url: 'http://127.0.0.1:1/sms', method: 'POST' } as never,
    });
    const paymentId = await paymentWithAttempt(merchant);
    await harness.db.query(`update payments set buyer_email = 'buyer@example.com' where id = $1`, [paymentId]);
    const { written, asked } = await plans(paymentId);
    expect(written).toEqual({
      eventType: 'payment.paid',
      channels: ['email', 'telegram', 'sms', 'buyer_receipt'],
      retrySeconds: [1, 5],
    });
    expect(written).toEqual(asked);

    // A channel disabled or wanting other events is left out, in both.
    await upsertChannel(harness.db, {
      ...channel,
      kind: 'telegram',
      enabled: false,
      events: ['payment.paid'],
      settings: { chatId: '-100' },
    });
    await upsertChannel(harness.db, {
      ...channel,
      kind: 'email',
      events: ['payment.failed'],
      settings: { to: ['a@example.com'] },
    });
    const second = await paymentWithAttempt(merchant);
    const again = await plans(second);
    expect(again.written).toEqual({ eventType: 'payment.paid', channels: ['sms'], retrySeconds: [1, 5] });
    expect(again.written).toEqual(again.asked);
  });

  test('the interaction of an SCI payment, from its own URL or its checkout’s', async () => {
    const merchant = await harness.merchant();
    const own = await paymentWithAttempt(merchant);
    const sci = {
      coId: 'co',
      amount: '50',
      paymentNo: 'A-1',
      payway: null,
      methods: null,
      payerContact: null,
      extra: {},
    };
    await harness.db.query(`update payments set sci = $2 where id = $1`, [
      own,
      JSON.stringify({ ...sci, urls: { interaction: { url: 'http://127.0.0.1:1/ia', method: 'POST' } } }),
    ]);
    const first = await plans(own);
    expect(first.written).toEqual({ eventType: 'payment.paid', channels: ['interaction'], retrySeconds: [1, 5] });
    expect(first.written).toEqual(first.asked);

    const fromCheckout = await paymentWithAttempt(merchant);
    await harness.db.query(`update payments set sci = $2 where id = $1`, [fromCheckout, JSON.stringify(sci)]);
    const withoutUrl = await plans(fromCheckout);
    expect(withoutUrl.written).toEqual({ eventType: 'payment.paid', channels: [], retrySeconds: [1, 5] });
    expect(withoutUrl.written).toEqual(withoutUrl.asked);
    await harness.db.query(`update checkouts set sci_settings = $2 where id = $1`, [
      merchant.testCheckout.id,
      JSON.stringify({ sign_algorithm: 'md5', interaction_url: 'http://127.0.0.1:1/ia', interaction_method: 'post' }),
    ]);
    const another = await paymentWithAttempt(merchant);
    await harness.db.query(`update payments set sci = $2 where id = $1`, [another, JSON.stringify(sci)]);
    const withUrl = await plans(another);
    expect(withUrl.written).toEqual({ eventType: 'payment.paid', channels: ['interaction'], retrySeconds: [1, 5] });
    expect(withUrl.written).toEqual(withUrl.asked);
  });

  test('without notification settings no channel, as channelsForEvent answers', async () => {
    const merchant = await harness.merchant();
    const paymentId = await paymentWithAttempt(merchant);
    await harness.db.query(`update payments set buyer_email = 'buyer@example.com' where id = $1`, [paymentId]);
    const { written, asked } = await plans(paymentId, null);
    expect(written).toEqual({ eventType: 'payment.paid', channels: [], retrySeconds: null });
    expect(written).toEqual(asked);
  });
});

describe('notifyMerchant', () => {
  async function storedEvent(notifyUrl: string) {
    const merchant = await harness.merchant();
    await harness.db.query('update checkouts set notify_url = $2 where id = $1', [merchant.testCheckout.id, notifyUrl]);
    const paymentId = await paymentWithAttempt(merchant);
    const { eventId } = await activitiesOn(harness.db).recordPaymentStatus(paidInput(paymentId));
    return { merchant, paymentId, eventId: eventId! };
  }

  test('reads everything it needs in one query before the POST, records the attempt in one after', async () => {
    const receiver = await startReceiver();
    try {
      const { merchant, eventId } = await storedEvent(receiver.url);
      const rotated = await harness.call(
        merchant.testKey,
        'post',
        `/v1/checkouts/${merchant.testCheckout.id}/rotate_secret`,
        {},
      );
      expect(rotated.status).toBe(200);
      const counted = countingPool(harness.db);
      let beforePost = -1;
      const arrived = receiver.waitFor(1).then(() => undefined);
      const notify = new MockActivityEnvironment().run(activitiesOn(counted.db).notifyMerchant, { eventId });
      void arrived.then(() => (beforePost = beforePost < 0 ? counted.statements.length : beforePost));
      expect(await notify).toEqual({ statusCode: 200 });
      await arrived;
      expect(beforePost).toBe(1);
      expect(counted.statements).toHaveLength(2);
      const [webhook] = receiver.received;
      expect(String(webhook!.headers['webhook-signature']).split(' ')).toHaveLength(2);
      expect(await webhookSecretsFor(harness.db, merchant.testCheckout.id)).toHaveLength(2);
      const { rows } = await harness.db.query(
        'select attempt, url, status_code, error from webhook_attempts where event_id = $1',
        [eventId],
      );
      expect(rows).toEqual([{ attempt: 1, url: receiver.url, status_code: 200, error: null }]);
      const { rows: delivered } = await harness.db.query('select delivered_at from payment_events where id = $1', [
        eventId,
      ]);
      expect(delivered[0].delivered_at).toBeInstanceOf(Date);

      // Delivered: answered without a POST, after its one query.
      const again = countingPool(harness.db);
      expect(await new MockActivityEnvironment().run(activitiesOn(again.db).notifyMerchant, { eventId })).toEqual({
        statusCode: 200,
      });
      expect(again.statements).toHaveLength(1);
      expect(receiver.received).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });

  test('a failed attempt is retryable, numbered after the last, and leaves the event undelivered', async () => {
    const receiver = await startReceiver([503, 503]);
    try {
      const { eventId } = await storedEvent(receiver.url);
      for (const attempt of [1, 2]) {
        const failure = await new MockActivityEnvironment()
          .run(activitiesOn(harness.db).notifyMerchant, { eventId })
          .catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(ApplicationFailure);
        expect(failure).toMatchObject({ type: 'WebhookNotDelivered', nonRetryable: false });
        expect((failure as Error).message).toContain(`attempt ${attempt}: HTTP 503`);
      }
      expect(await new MockActivityEnvironment().run(activitiesOn(harness.db).notifyMerchant, { eventId })).toEqual({
        statusCode: 200,
      });
      const { rows } = await harness.db.query(
        'select attempt, status_code from webhook_attempts where event_id = $1 order by attempt',
        [eventId],
      );
      expect(rows).toEqual([
        { attempt: 1, status_code: 503 },
        { attempt: 2, status_code: 503 },
        { attempt: 3, status_code: 200 },
      ]);
    } finally {
      await receiver.close();
    }
  });

  test('an unknown event, and an event whose checkout is gone, fail for good', async () => {
    const unknown = await new MockActivityEnvironment()
      .run(activitiesOn(harness.db).notifyMerchant, { eventId: 'evt_nothing_here' })
      .catch((error: unknown) => error);
    expect(unknown).toMatchObject({ type: 'UnknownEvent', nonRetryable: true });

    const merchant = await harness.merchant();
    const eventId = 'evt_payout_checkout_gone';
    await harness.db.query(
      `insert into payouts (id, merchant_id, test_mode, checkout_id, amount_minor, currency, destination_type, destination_wallet, status, provider)
       values ('po_statuswrite1', $1, true, null, 100, 'RUB', 'wallet', 'w', 'pending', 'sandbox')`,
      [merchant.id],
    );
    await harness.db.query('alter table payment_events drop constraint payment_events_target');
    await harness.db.query(
      `insert into payment_events (id, payout_id, checkout_id, type, body, created_at) values ($1, 'po_statuswrite1', null, 'payout.paid', '{}', now())`,
      [eventId],
    );
    const gone = await new MockActivityEnvironment()
      .run(activitiesOn(harness.db).notifyMerchant, { eventId })
      .catch((error: unknown) => error);
    expect(gone).toMatchObject({ type: 'UnknownCheckout', nonRetryable: true });
  });
});
