import { Pool } from 'pg';
import request from 'supertest';
import { createActivities, type RecordPaymentStatusInput } from '../../src/activities';
import { ensureAccount, post } from '../../src/db/ledger';
import { findPaymentById } from '../../src/db/payments';
import { inTransaction } from '../../src/db/transaction';
import { type AccountRef, kassaOwner, paymentCaptured } from '../../src/domain/ledger';
import { type ApiHarness, startApiHarness } from '../support/merchant-api';
import { balancesOf, expectLedgerBalanced, postingsOf } from '../support/ledger';

// The ledger's invariants as the database enforces them, and the capture posted exactly once.

let harness: ApiHarness;
let db: Pool;
beforeAll(async () => {
  harness = await startApiHarness();
  db = new Pool({ connectionString: harness.config.databaseUrl, max: 12 });
}, 60_000);
afterAll(async () => {
  await db?.end();
  await harness?.close();
});
afterEach(async () => {
  await expectLedgerBalanced(db);
});

const account = (kind: AccountRef['kind'], testMode = true, owner = 'mer_ledgerTest0001'): AccountRef =>
  kind === 'fee_revenue' || kind === 'provider_clearing'
    ? { owner: kassaOwner, kind, provider: kind === 'provider_clearing' ? 'sandbox' : '', currency: 'RUB', testMode }
    : { owner, kind, provider: '', currency: 'RUB', testMode };

let sequence = 0;
/** Inserts a raw transaction with `entries` (account, minor units) in one database transaction and commits. */
async function rawTransaction(entries: [AccountRef, bigint][], testMode = true) {
  await inTransaction(db, async (client) => {
    const { rows } = await client.query<{ id: string }>(
      `insert into ledger_transactions (source_type, source_id, event, test_mode, description) values ('adjustment', $1, 'raw', $2, 'test') returning id`,
      [`adj_${++sequence}`, testMode],
    );
    for (const [ref, amount] of entries) {
      const accountId = await ensureAccount(client, ref);
      await client.query('insert into ledger_entries (transaction_id, account_id, amount_minor) values ($1, $2, $3)', [
        rows[0]!.id,
        accountId,
        amount.toString(),
      ]);
    }
  });
}

const ledgerCount = async () => Number((await db.query('select count(*) from ledger_entries')).rows[0].count);

test('a transaction whose entries do not sum to zero is refused at commit and leaves nothing behind', async () => {
  const before = await ledgerCount();
  await expect(
    rawTransaction([
      [account('available'), 100n],
      [account('fee_revenue'), -99n],
    ]),
  ).rejects.toMatchObject({
    code: '23514',
    message: expect.stringMatching(/does not balance.*RUB.*1 minor units/),
  });
  expect(await ledgerCount()).toBe(before);
  await rawTransaction([
    [account('available'), 100n],
    [account('fee_revenue'), -100n],
  ]);
  expect(await ledgerCount()).toBe(before + 2);
});

test('a transaction with a single entry, or none, is refused', async () => {
  await expect(rawTransaction([[account('available'), 100n]])).rejects.toMatchObject({
    code: '23514',
    message: expect.stringMatching(/at least two/),
  });
  await expect(rawTransaction([])).rejects.toMatchObject({
    code: '23514',
    message: expect.stringMatching(/0 entries/),
  });
});

test('entries, transactions and accounts cannot be updated, deleted or truncated', async () => {
  await rawTransaction([
    [account('available'), 5n],
    [account('fee_revenue'), -5n],
  ]);
  for (const statement of [
    'update ledger_entries set amount_minor = amount_minor * 2',
    'delete from ledger_entries',
    'truncate ledger_entries cascade',
    `update ledger_transactions set description = 'changed'`,
    'delete from ledger_transactions',
    `update ledger_accounts set currency = 'USD'`,
    'delete from ledger_accounts',
  ]) {
    await expect(db.query(statement)).rejects.toMatchObject({
      code: '42501',
      message: expect.stringMatching(/append-only/),
    });
  }
});

test('test and live money never mix: a test transaction cannot touch a live account', async () => {
  await expect(
    rawTransaction(
      [
        [account('available', true), 100n],
        [account('fee_revenue', false), -100n],
      ],
      true,
    ),
  ).rejects.toMatchObject({
    code: '23514',
    message: expect.stringMatching(/test and live money never mix/),
  });
  await expect(
    rawTransaction(
      [
        [account('available', false), 100n],
        [account('fee_revenue', false), -100n],
      ],
      true,
    ),
  ).rejects.toMatchObject({ code: '23514' });
  await rawTransaction(
    [
      [account('available', false), 100n],
      [account('fee_revenue', false), -100n],
    ],
    false,
  );
});

test('the same posting retried ten times, one after another and all at once, posts once', async () => {
  const capture = paymentCaptured({
    paymentId: 'pay_retriedPosting01',
    merchantId: 'mer_retriedPosting1',
    testMode: true,
    currency: 'RUB',
    provider: 'sandbox',
    buyerTotalMinor: 5000n,
    merchantNetMinor: 4850n,
  })!;
  const sequential: boolean[] = [];
  for (let i = 0; i < 10; i++) sequential.push(await inTransaction(db, (client) => post(client, capture)));
  expect(sequential).toEqual([true, ...Array(9).fill(false)]);

  const concurrent = { ...capture, source: { type: 'payment' as const, id: 'pay_retriedPosting02' } };
  const outcomes = await Promise.all(
    Array.from({ length: 10 }, () => inTransaction(db, (client) => post(client, concurrent))),
  );
  expect(outcomes.filter(Boolean)).toHaveLength(1);
  expect(await postingsOf(db, 'payment', 'pay_retriedPosting02')).toEqual({ captured: 1 });
  expect(await balancesOf(db, 'mer_retriedPosting1', 'RUB')).toMatchObject({ available: 2n * 4850n });
});

describe('a payment turning paid', () => {
  const paidInput = (paymentId: string, seq: number): RecordPaymentStatusInput => ({
    paymentId,
    seq,
    status: 'paid',
    method: 'sandbox_card',
    providerPaymentId: 'sp_0123abcd',
    redirectUrl: null,
    failureReason: null,
    fees: { feeMinor: '150', buyerTotalMinor: '5000', merchantNetMinor: '4850' },
    event: { id: `evt_paid${seq}${paymentId.slice(-6)}`, type: 'payment.paid' },
  });

  async function newPayment() {
    const merchant = await harness.merchant();
    const created = await request(harness.app)
      .post('/v1/payments')
      .set('authorization', `Bearer ${merchant.testKey}`)
      .send({
        checkout_id: merchant.testCheckout.id,
        order_id: `A-${++sequence}`,
        amount: '50.00',
        currency: 'RUB',
        description: 'Test product',
      });
    expect(created.status).toBe(201);
    return { merchant, paymentId: created.body.id as string };
  }

  test('credits the merchant its net and Kassa the fee once, however often recordPaymentStatus is retried', async () => {
    const activities = createActivities({ db, providers: harness.deps.providers, publicUrl: harness.config.publicUrl });
    const { merchant, paymentId } = await newPayment();
    await Promise.all(Array.from({ length: 5 }, () => activities.recordPaymentStatus(paidInput(paymentId, 1))));
    for (let i = 0; i < 5; i++) await activities.recordPaymentStatus(paidInput(paymentId, 1));
    expect((await findPaymentById(db, paymentId))!.status).toBe('paid');
    expect(await postingsOf(db, 'payment', paymentId)).toEqual({ captured: 1 });
    expect(await balancesOf(db, merchant.id, 'RUB')).toEqual({ available: 4850n, pending: 0n, reserved: 0n });
    const balance = await request(harness.app).get('/v1/balance').set('authorization', `Bearer ${merchant.testKey}`);
    expect(balance.body).toEqual({
      object: 'balance',
      test_mode: true,
      balances: [{ currency: 'RUB', available: '48.50', pending: '0.00', reserved: '0.00' }],
    });
    const live = await request(harness.app).get('/v1/balance').set('authorization', `Bearer ${merchant.liveKey}`);
    expect(live.body).toEqual({ object: 'balance', test_mode: false, balances: [] });
  });

  test('a later status change never moves a paid or refunded payment, and raises no event', async () => {
    const activities = createActivities({ db, providers: harness.deps.providers, publicUrl: harness.config.publicUrl });
    const { paymentId } = await newPayment();
    await activities.recordPaymentStatus(paidInput(paymentId, 1));
    const expired = {
      ...paidInput(paymentId, 2),
      status: 'expired' as const,
      event: { id: `evt_expired${paymentId.slice(-6)}`, type: 'payment.expired' as const },
    };
    expect(await activities.recordPaymentStatus(expired)).toEqual({ eventId: null, channels: null });
    expect((await findPaymentById(db, paymentId))!.status).toBe('paid');

    await db.query(`update payments set status = 'refunded' where id = $1`, [paymentId]);
    expect(
      await activities.recordPaymentStatus({
        ...paidInput(paymentId, 3),
        event: { id: `evt_paid3${paymentId.slice(-6)}`, type: 'payment.paid' },
      }),
    ).toEqual({ eventId: null, channels: null });
    expect((await findPaymentById(db, paymentId))!.status).toBe('refunded');
    expect(await postingsOf(db, 'payment', paymentId)).toEqual({ captured: 1 });
    const { rows } = await db.query('select type from payment_events where payment_id = $1', [paymentId]);
    expect(rows.map((row) => row.type)).toEqual(['payment.paid']);
    // The first paid write retried still finds its own event.
    expect(await activities.recordPaymentStatus(paidInput(paymentId, 1))).toEqual({
      eventId: paidInput(paymentId, 1).event!.id,
      channels: { eventType: 'payment.paid', channels: [], retrySeconds: null },
    });
  });

  test('a status change that is not paid posts nothing', async () => {
    const activities = createActivities({ db, providers: harness.deps.providers, publicUrl: harness.config.publicUrl });
    const { paymentId } = await newPayment();
    await activities.recordPaymentStatus({ ...paidInput(paymentId, 1), status: 'under_review', event: null });
    expect(await postingsOf(db, 'payment', paymentId)).toEqual({});
  });
});
