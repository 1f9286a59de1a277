import {
  api,
  createTestPayment,
  eventually,
  onboardMerchant,
  type Receiver,
  sandboxFault,
  startReceiver,
  type TestStack,
} from './stack';

export type { Receiver } from './stack';

/** A merchant whose test checkout notifies a fresh receiver; `checkout` overrides the checkout's fields. */
export async function moneyShop(stack: TestStack, checkout: Record<string, unknown> = {}) {
  const receiver = await startReceiver();
  return { receiver, ...(await onboardMerchant(stack, receiver.url, checkout)) };
}

/** Shops for one test file, each made by {@link moneyShop}; their receivers are closed after the file's tests. */
export function moneyShopsFor(stack: () => TestStack) {
  const receivers: Receiver[] = [];
  afterAll(async () => {
    await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
  });
  return async (checkout: Record<string, unknown> = {}) => {
    const shop = await moneyShop(stack(), checkout);
    receivers.push(shop.receiver);
    return shop;
  };
}

/** A payment taken the way a buyer does it: created, method chosen, approved at the sandbox, until `paid`. */
export async function paidPayment(
  stack: TestStack,
  testKey: string,
  checkoutId: string,
  amount = '50.00',
  currency = 'RUB',
) {
  const created = await createTestPayment(stack, testKey, checkoutId, { amount, currency });
  await payWithSandboxCard(stack, created.id);
  return eventually(
    () => api(stack.url, 'GET', `/v1/payments/${created.id}`, { token: testKey }).then((r) => r.body),
    (p) => p.status === 'paid',
  );
}

/** The buyer chooses the sandbox card on the hosted page and approves at the sandbox. */
async function payWithSandboxCard(stack: TestStack, paymentId: string) {
  const chosen = await api(stack.url, 'POST', `/pay/${paymentId}/method`, {
    body: { method: 'sandbox_card' },
    headers: { accept: 'application/json' },
  });
  if (chosen.status !== 200) throw new Error(`method: ${chosen.status} ${JSON.stringify(chosen.body)}`);
  const approved = await fetch(`${chosen.body.redirect_url}/approve`, { method: 'POST', redirect: 'manual' });
  if (approved.status !== 303) throw new Error(`approve: ${approved.status}`);
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
  await payWithSandboxCard(stack, payment.id);
  return eventually(
    () => api(stack.url, 'GET', `/v1/payments/${payment.id}`, { token: testKey }).then((r) => r.body),
    (body) => body.status === 'under_review',
  );
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
