import type { Pool } from 'pg';
import { lateSuccessOperator } from '../../src/domain/attempt';
import { buyerActs, chooseMethod } from '../support/money';
import {
  createTestPayment,
  eventually,
  paymentOf,
  purchaseHandle,
  shopsFor,
  stackForFile,
  type TestStack,
} from '../support/stack';

// A buyer who pays after the payment expired: the checkout's late_success says whether Kassa gives
// the money back at once (a review decision made by Kassa) or holds it for the operator.
jest.setTimeout(90_000);

let stack: TestStack;
let db: Pool;
stackForFile((running) => ({ stack, db } = running), { MIN_EXPIRES_IN_SECONDS: '2' });
const newShop = shopsFor(() => stack, 'all');

/** The merchant's endpoint fails for a while, so the purchase is still sending its webhook when the late success comes. */
const failingWebhooks = Array.from({ length: 20 }, () => 500);

async function paidAfterExpiry(lateSuccess: 'refund' | 'hold') {
  const shop = await newShop(failingWebhooks, { late_success: lateSuccess });
  const payment = await createTestPayment(stack, shop.testKey, shop.checkout.id, { expires_in: 3 });
  const redirectUrl = await chooseMethod(stack, payment.id);
  await eventually(
    () => paymentOf(stack, shop.testKey, payment.id),
    (current) => current.status === 'expired',
  );
  await buyerActs(redirectUrl, 'approve');
  return payment.id as string;
}

const decisionsOf = async (paymentId: string) =>
  (
    await db.query<{ action: string; operator: string; status: string; outcome: any }>(
      'select action, operator, status, outcome from exception_decisions where payment_id = $1',
      [paymentId],
    )
  ).rows;

test('late_success refund: a success after expiry is refunded at once by a decision Kassa records', async () => {
  const paymentId = await paidAfterExpiry('refund');
  const [decision] = await eventually(
    () => decisionsOf(paymentId),
    (rows) => rows[0]?.status === 'applied',
  );
  expect(decision).toMatchObject({ action: 'refund', operator: lateSuccessOperator });
  expect(decision!.outcome.refunds.map((refund: { state: string }) => refund.state)).toEqual(['succeeded']);
});

test('late_success hold: a success after expiry is flagged and waits for the operator', async () => {
  const paymentId = await paidAfterExpiry('hold');
  await eventually(
    async () =>
      (await db.query('select flag from provider_callbacks where payment_id = $1 and flag is not null', [paymentId]))
        .rows,
    (rows) => rows.length > 0,
  );
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  expect(await decisionsOf(paymentId)).toEqual([]);
});

test('late_success refund: a success after the purchase has closed is refunded at once too', async () => {
  const shop = await newShop([200], { late_success: 'refund' });
  const payment = await createTestPayment(stack, shop.testKey, shop.checkout.id, { expires_in: 3 });
  const redirectUrl = await chooseMethod(stack, payment.id);
  await eventually(
    async () => (await purchaseHandle(stack, payment.id).describe()).status.name,
    (status) => status === 'COMPLETED',
  );
  await buyerActs(redirectUrl, 'approve');
  const [decision] = await eventually(
    () => decisionsOf(payment.id),
    (rows) => rows[0]?.status === 'applied',
  );
  expect(decision).toMatchObject({ action: 'refund', operator: lateSuccessOperator });
  expect(decision!.outcome.refunds.map((refund: { state: string }) => refund.state)).toEqual(['succeeded']);
});
