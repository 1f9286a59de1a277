import type { PoolClient } from 'pg';
import { createActivities, type RecordPaymentStatusInput } from '../../src/activities';
import { capturePosting } from '../../src/activities/ledger';
import { storePaymentEvent } from '../../src/activities/merchant-events';
import { settleAttempt } from '../../src/db/attempts';
import { eventExists } from '../../src/db/events';
import { ensureAccount } from '../../src/db/ledger';
import { applyStatusChange } from '../../src/db/payments';
import { inTransaction } from '../../src/db/transaction';
import type { Posting } from '../../src/domain/ledger';
import { paymentResource } from '../../src/resources/payment';
import { expectLedgerBalanced } from '../support/ledger';
import { type ApiHarness, startApiHarness } from '../support/merchant-api';
import { countingPool } from '../support/counting-pool';

// Paid status writes one after another, as written before (a statement per step, per account and
// per entry) and as written now: the statements each takes and the wall time. STATUS_WRITE_WRITES
// sets how many (default 20; 200 to measure).
jest.setTimeout(600_000);
const writes = Number(process.env.STATUS_WRITE_WRITES ?? 20);

let harness: ApiHarness;
beforeAll(async () => {
  harness = await startApiHarness();
});
afterAll(async () => {
  await harness?.close();
});

/** The ledger posting as it was: the transaction, then per entry its account (insert, select) and the entry. */
async function postOneByOne(client: PoolClient, posting: Posting): Promise<boolean> {
  const { rows } = await client.query<{ id: string }>(
    `insert into ledger_transactions (source_type, source_id, event, test_mode, description) values ($1, $2, $3, $4, $5)
     on conflict (source_type, source_id, event) do nothing returning id`,
    [posting.source.type, posting.source.id, posting.event, posting.testMode, posting.description],
  );
  if (!rows[0]) return false;
  for (const entry of posting.entries) {
    const accountId = await ensureAccount(client, entry.account);
    await client.query(
      'insert into ledger_entries (transaction_id, account_id, amount_minor, memo) values ($1, $2, $3, $4)',
      [rows[0].id, accountId, entry.amountMinor.toString(), entry.memo],
    );
  }
  return true;
}

async function paymentsToPay(count: number) {
  const merchant = await harness.merchant();
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const payment = await harness.payment(merchant);
    await harness.db.query(
      `insert into payment_attempts (payment_id, attempt, connector_id, provider, method, reference, status)
       values ($1, 1, 'sandbox', 'sandbox', 'sandbox_card', $1, 'created')`,
      [payment.id],
    );
    ids.push(payment.id as string);
  }
  return ids;
}

const paidInput = (paymentId: string): RecordPaymentStatusInput => ({
  paymentId,
  seq: 1,
  status: 'paid',
  method: 'sandbox_card',
  providerPaymentId: 'sp_timing',
  redirectUrl: null,
  failureReason: null,
  fees: { feeMinor: '150', buyerTotalMinor: '5000', merchantNetMinor: '4850' },
  event: { id: `evt_paid_${paymentId.slice(4)}`, type: 'payment.paid' },
  attempt: { attempt: 1, status: 'succeeded', providerPaymentId: 'sp_timing' },
});

test('a paid status write takes a fraction of the statements it took', async () => {
  const { providers } = harness.deps;
  const { publicUrl } = harness.config;
  const before = countingPool(harness.db);
  const earlier = async (input: RecordPaymentStatusInput) =>
    inTransaction(before.db, async (client) => {
      const fees = input.fees!;
      const { payment, applied } = await applyStatusChange(client, {
        ...input,
        fees: {
          feeMinor: BigInt(fees.feeMinor),
          buyerTotalMinor: BigInt(fees.buyerTotalMinor),
          merchantNetMinor: BigInt(fees.merchantNetMinor),
        },
      });
      const posting = applied && payment.status === 'paid' ? capturePosting(payment, providers) : null;
      if (posting) await postOneByOne(client, posting);
      if (applied && input.attempt) await settleAttempt(client, { paymentId: input.paymentId, ...input.attempt });
      const event = input.event && (applied || (await eventExists(client, input.event.id))) ? input.event : null;
      if (event && applied) await storePaymentEvent(client, payment.id, event, paymentResource(payment, publicUrl));
      return { eventId: event?.id ?? null };
    });
  const after = countingPool(harness.db);
  const now = createActivities({ db: after.db, providers, publicUrl });

  const measured: Record<string, { statementsPerWrite: number; msPerWrite: number }> = {};
  const runs = [
    ['before', earlier, before],
    ['after', now.recordPaymentStatus, after],
  ] as const;
  // STATUS_WRITE_AFTER_FIRST=1 measures the new write first, so warming up favours neither.
  for (const [name, write, counted] of process.env.STATUS_WRITE_AFTER_FIRST ? [...runs].reverse() : runs) {
    const ids = await paymentsToPay(writes);
    await write(paidInput(ids.shift()!)); // the merchant's accounts are made by its first payment
    counted.statements.length = 0;
    const started = performance.now();
    for (const id of ids) await write(paidInput(id));
    const elapsed = performance.now() - started;
    measured[name] = {
      statementsPerWrite: counted.statements.length / ids.length,
      msPerWrite: Math.round((elapsed / ids.length) * 100) / 100,
    };
  }
  console.log(`${writes - 1} paid status writes each:`, JSON.stringify(measured));
  expect(measured.before!.statementsPerWrite).toBe(15);
  expect(measured.after!.statementsPerWrite).toBe(4);
  await expectLedgerBalanced(harness.db);
});
