/** Steps the operations tests share: a shop, a payment, a buyer paying at the sandbox. */
import { api, eventually, onboardMerchant, startReceiver, type TestStack } from './stack';

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
export type Shop = Awaited<ReturnType<typeof onboardMerchant>> & { receiver: Receiver };

/** A merchant whose checkout notifies a fresh receiver answering `statuses`, then 200. Close `shop.receiver` after. */
export async function newShop(stack: TestStack, statuses: number[] = []): Promise<Shop> {
  const receiver = await startReceiver(statuses);
  return { receiver, ...(await onboardMerchant(stack, receiver.url)) };
}

export async function newPayment(stack: TestStack, shop: Shop, extra: Record<string, unknown> = {}) {
  const created = await api(stack.url, 'POST', '/v1/payments', {
    token: shop.testKey,
    body: {
      checkout_id: shop.checkout.id,
      order_id: `OPS-${Math.random().toString(36).slice(2, 10)}`,
      amount: '50.00',
      currency: 'RUB',
      description: 'Test product',
      ...extra,
    },
  });
  if (created.status !== 201) throw new Error(`payment: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body as { id: string; order_id: string; status: string; checkout_url: string };
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

/** The buyer presses Approve or Decline on the sandbox page. */
export async function buyerActs(redirectUrl: string, action: 'approve' | 'decline'): Promise<void> {
  const response = await fetch(`${redirectUrl}/${action}`, { method: 'POST', redirect: 'manual' });
  if (response.status !== 303) throw new Error(`sandbox ${action}: ${response.status}`);
}

export { sandboxFault } from './stack';

export const paymentOf = (stack: TestStack, shop: Shop, id: string) =>
  api(stack.url, 'GET', `/v1/payments/${id}`, { token: shop.testKey }).then((response) => response.body);

/** A payment the buyer has paid with a sandbox card; resolves once Kassa says `paid`. */
export async function paidPayment(stack: TestStack, shop: Shop, extra: Record<string, unknown> = {}) {
  const payment = await newPayment(stack, shop, extra);
  await buyerActs(await chooseMethod(stack, payment.id), 'approve');
  await eventually(
    () => paymentOf(stack, shop, payment.id),
    (current) => current.status === 'paid',
  );
  return payment;
}
