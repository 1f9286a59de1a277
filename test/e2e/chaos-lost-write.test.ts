import { Pool } from 'pg';
import { expectLedgerBalanced, postingsOf } from '../support/ledger';
import {
  api,
  eventually,
  onboardMerchant,
  purchaseHandle,
  startReceiver,
  startTestStack,
  type TestStack,
} from '../support/stack';

jest.setTimeout(120_000);

/**
 * PostgreSQL can lose a commit it has acknowledged: `synchronous_commit = off` and then a crash, or
 * a failover to an asynchronous replica that had not received the last transactions. The chaos run
 * against a cluster with commits acknowledged early found exactly this: the provider captured, the
 * workflow finished, and the payment stayed `awaiting_payment` with no event, no ledger posting
 * and no webhook, for good. Here the loss is made deterministic: the transaction that recorded
 * `paid` is undone by hand while the first webhook attempt is being retried.
 */
let stack: TestStack;
let db: Pool;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  stack = await startTestStack();
  db = new Pool({ connectionString: stack.databaseUrl, max: 2 });
  receiver = await startReceiver([500]);
}, 90_000);

afterAll(async () => {
  await receiver?.close();
  await db?.end();
  await stack?.close();
});

test('when the database loses the write that recorded paid, the workflow writes it again: paid, posted once, the merchant told', async () => {
  const shop = await onboardMerchant(stack, receiver.url);
  const created = await api(stack.url, 'POST', '/v1/payments', {
    token: shop.testKey,
    body: {
      checkout_id: shop.checkout.id,
      order_id: 'lost-write-1',
      amount: '50.00',
      currency: 'RUB',
      description: 'Lost write',
    },
  });
  expect(created.status).toBe(201);
  const paymentId: string = created.body.id;
  const chosen = await api(stack.url, 'POST', `/pay/${paymentId}/method`, {
    body: { method: 'sandbox_card' },
    headers: { accept: 'application/json' },
  });
  expect(chosen.status).toBe(200);
  const before = (await db.query('select status, status_seq, paid_at from payments where id = $1', [paymentId]))
    .rows[0];
  expect(before.status).toBe('awaiting_payment');
  const approved = await fetch(`${chosen.body.redirect_url}/approve`, { method: 'POST', redirect: 'manual' });
  expect(approved.status).toBe(303);

  // The first webhook attempt is answered 500: the next one comes about 5 s later.
  await receiver.waitFor(1);
  await eventually(
    async () =>
      (
        await db.query(
          'select count(*)::int as n from webhook_attempts a join payment_events e on e.id = a.event_id where e.payment_id = $1',
          [paymentId],
        )
      ).rows[0].n,
    (attempts) => attempts === 1,
  );
  const client = await db.connect();
  try {
    await client.query('begin');
    // As if the transaction had never been: the ledger's append-only triggers do not apply to a loss.
    await client.query('set local session_replication_role = replica');
    await client.query(
      'delete from webhook_attempts where event_id in (select id from payment_events where payment_id = $1)',
      [paymentId],
    );
    await client.query('delete from payment_events where payment_id = $1', [paymentId]);
    await client.query(
      `delete from ledger_entries where transaction_id in (select id from ledger_transactions where source_type = 'payment' and source_id = $1)`,
      [paymentId],
    );
    await client.query(`delete from ledger_transactions where source_type = 'payment' and source_id = $1`, [paymentId]);
    await client.query('update payments set status = $2, status_seq = $3, paid_at = $4 where id = $1', [
      paymentId,
      before.status,
      before.status_seq,
      before.paid_at,
    ]);
    await client.query('commit');
  } finally {
    client.release();
  }

  await purchaseHandle(stack, paymentId).result();
  const payment = await api(stack.url, 'GET', `/v1/payments/${paymentId}`, { token: shop.testKey });
  expect(payment.body.status).toBe('paid');
  expect(await postingsOf(db, 'payment', paymentId)).toEqual({ captured: 1 });
  await expectLedgerBalanced(db);
  const delivered = await eventually(
    async () => receiver.received.map((request) => JSON.parse(request.body) as { type: string }),
    (bodies) => bodies.filter((body) => body.type === 'payment.paid').length >= 2,
    20_000,
  );
  expect(new Set(receiver.received.map((request) => request.headers['webhook-id'])).size).toBe(1);
  expect(delivered.every((body) => body.type === 'payment.paid')).toBe(true);
});
