import { api, eventually, onboardMerchant, startReceiver, type TestStack } from './stack';

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** A merchant whose test checkout notifies a fresh receiver; `checkout` overrides the checkout's fields. */
export async function moneyShop(stack: TestStack, checkout: Record<string, unknown> = {}) {
  const receiver = await startReceiver();
  return { receiver, ...(await onboardMerchant(stack, receiver.url, checkout)) };
}

let orders = 0;

/** A payment taken the way a buyer does it: created, method chosen, approved at the sandbox, until `paid`. */
export async function paidPayment(
  stack: TestStack,
  testKey: string,
  checkoutId: string,
  amount = '50.00',
  currency = 'RUB',
) {
  const created = await api(stack.url, 'POST', '/v1/payments', {
    token: testKey,
    body: {
      checkout_id: checkoutId,
      order_id: `M-${Date.now()}-${++orders}`,
      amount,
      currency,
      description: 'Test product',
    },
  });
  if (created.status !== 201) throw new Error(`payment: ${created.status} ${JSON.stringify(created.body)}`);
  const chosen = await api(stack.url, 'POST', `/pay/${created.body.id}/method`, {
    body: { method: 'sandbox_card' },
    headers: { accept: 'application/json' },
  });
  if (chosen.status !== 200) throw new Error(`method: ${chosen.status} ${JSON.stringify(chosen.body)}`);
  const approved = await fetch(`${chosen.body.redirect_url}/approve`, { method: 'POST', redirect: 'manual' });
  if (approved.status !== 303) throw new Error(`approve: ${approved.status}`);
  return eventually(
    () => api(stack.url, 'GET', `/v1/payments/${created.body.id}`, { token: testKey }).then((r) => r.body),
    (p) => p.status === 'paid',
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
