import type { Pool } from 'pg';
import { api, createTestPayment, eventually, paymentOf, type Receiver, sandboxFault, type TestStack } from './stack';

/** A payment taken the way a buyer does it: created, method chosen, approved at the sandbox, until `paid`. */
export const paidPayment = (
  stack: TestStack,
  testKey: string,
  checkoutId: string,
  amount = '50.00',
  currency = 'RUB',
) => paidPaymentWith(stack, testKey, checkoutId, { amount, currency });

/** As {@link paidPayment}, with the payment's fields given as to {@link createTestPayment}; answers the paid payment. */
export async function paidPaymentWith(
  stack: TestStack,
  testKey: string,
  checkoutId: string,
  fields: Record<string, unknown> = {},
) {
  const created = await createTestPayment(stack, testKey, checkoutId, fields);
  await buyerActs(await chooseMethod(stack, created.id), 'approve');
  return eventually(
    () => paymentOf(stack, testKey, created.id),
    (p) => p.status === 'paid',
  );
}

/** The buyer picks `method` on the hosted page; answers the sandbox page URL. */
export async function chooseMethod(stack: TestStack, paymentId: string, method = 'sandbox_card'): Promise<string> {
  const chosen = await api(stack.url, 'POST', `/pay/${paymentId}/method`, {
    body: { method },
    headers: { accept: 'application/json' },
  });
  if (chosen.status !== 200) throw new Error(`method: ${chosen.status} ${JSON.stringify(chosen.body)}`);
  return chosen.body.redirect_url as string;
}

/** The buyer presses Approve or Decline on the sandbox page; answers where the sandbox sends the buyer back. */
export async function buyerActs(redirectUrl: string, action: 'approve' | 'decline'): Promise<string> {
  const response = await fetch(`${redirectUrl}/${action}`, { method: 'POST', redirect: 'manual' });
  if (response.status !== 303) throw new Error(`sandbox ${action}: ${response.status}`);
  return response.headers.get('location')!;
}

/**
 * A payment (50.00 RUB unless `extra` says otherwise) that the sandbox captures 1.00 more than asked
 * for, with any further `faults`: Kassa holds it under review. Answers the payment as Kassa shows it then.
 */
export async function heldForReview(
  stack: TestStack,
  testKey: string,
  checkoutId: string,
  faults: Record<string, boolean> = {},
  extra: Record<string, unknown> = {},
) {
  const payment = await createTestPayment(stack, testKey, checkoutId, extra);
  await sandboxFault(stack, payment.id, { wrong_amount: true, ...faults });
  await buyerActs(await chooseMethod(stack, payment.id), 'approve');
  return eventually(
    () => paymentOf(stack, testKey, payment.id),
    (body) => body.status === 'under_review',
  );
}

/**
 * A payment of 10.00 RUB made `paid` in the database behind Kassa's back: neither the ledger nor
 * the provider know of it.
 */
export async function forgedPaidPayment(stack: TestStack, db: Pool, testKey: string, checkoutId: string) {
  const forged = await createTestPayment(stack, testKey, checkoutId, { amount: '10.00', description: 'x' });
  await db.query(
    `update payments set status = 'paid', method = 'sandbox_card', paid_at = now(), buyer_total_minor = 1000, merchant_net_minor = 970, fee_minor = 30 where id = $1`,
    [forged.id],
  );
  return forged;
}

/** A card number made into a token at the sandbox, as the card holder's browser would. */
export async function sandboxCardToken(
  stack: TestStack,
  number = '4242424242424242',
): Promise<{ token: string; last4: string }> {
  const response = await fetch(`${stack.sandboxUrl}/card-tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ number, exp_month: 12, exp_year: 2030 }),
  });
  if (response.status !== 201) throw new Error(`card token: ${response.status} ${await response.text()}`);
  return (await response.json()) as { token: string; last4: string };
}

type Balance = { currency: string; available: string | null; pending: string | null; reserved: string | null };

/** `GET /v1/balance` for one currency (all `null` when the merchant never had money in it). */
export const balanceOf = async (stack: TestStack, key: string, currency = 'RUB'): Promise<Balance> => {
  const { body } = await api(stack.url, 'GET', '/v1/balance', { token: key });
  return (
    (body.balances as Balance[]).find((balance) => balance.currency === currency) ?? {
      currency,
      available: null,
      pending: null,
      reserved: null,
    }
  );
};

export const webhookTypes = (receiver: Receiver) =>
  receiver.received.map((request) => JSON.parse(request.body).type as string);
