import { purchaseWorkflowId, statusQuery } from '../src/workflows/shared';
import { verifyWebhook } from '../src/domain/signatures';
import { api, eventually, onboardMerchant, startReceiver, startTestStack, type TestStack } from './support/stack';

jest.setTimeout(120_000);

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.close();
});

async function newPayment(testKey: string, checkoutId: string, extra: Record<string, unknown> = {}) {
  const created = await api(stack.url, 'POST', '/v1/payments', {
    token: testKey,
    body: {
      checkout_id: checkoutId,
      order_id: `A-${Math.random().toString(36).slice(2)}`,
      amount: '50.00',
      currency: 'RUB',
      description: 'Test product',
      delivery: { type: 'digital', download_url: 'https://shop.example/files/1.zip' },
      ...extra,
    },
  });
  expect(created.status).toBe(201);
  return created.body;
}

async function chooseMethod(paymentId: string, method: string) {
  const chosen = await api(stack.url, 'POST', `/pay/${paymentId}/method`, {
    body: { method },
    headers: { accept: 'application/json' },
  });
  expect(chosen.status).toBe(200);
  return chosen.body.redirect_url as string;
}

async function buyerActs(redirectUrl: string, action: 'approve' | 'decline') {
  const response = await fetch(`${redirectUrl}/${action}`, { method: 'POST', redirect: 'manual' });
  expect(response.status).toBe(303);
  return response.headers.get('location')!;
}

const paymentStatus = (key: string, id: string) => api(stack.url, 'GET', `/v1/payments/${id}`, { token: key }).then((r) => r.body);

test('a buyer who pays at the sandbox makes the payment paid and the merchant gets one signed payment.paid webhook', async () => {
  const receiver = await startReceiver();
  const { testKey, checkout, merchantId } = await onboardMerchant(stack, receiver.url);
  const payment = await newPayment(testKey, checkout.id);
  expect(payment).toMatchObject({ status: 'awaiting_method', amount: '50.00', currency: 'RUB', test_mode: true, method: null });
  expect(payment.checkout_url).toBe(`${stack.url}/pay/${payment.id}`);

  const page = await api(stack.url, 'GET', `/pay/${payment.id}`);
  expect(page.body).toContain('<button type="submit" name="method" value="sandbox_card">');

  const redirectUrl = await chooseMethod(payment.id, 'sandbox_card');
  expect(redirectUrl).toMatch(new RegExp(`^${stack.sandboxUrl}/checkout/sp_`));
  const back = await buyerActs(redirectUrl, 'approve');
  expect(back).toBe(`${stack.url}/pay/${payment.id}/return`);

  const paid = await eventually(() => paymentStatus(testKey, payment.id), (p) => p.status === 'paid');
  expect(paid).toMatchObject({ method: 'sandbox_card', fee: '1.50', buyer_total: '50.00', merchant_net: '48.50' });
  const [webhook] = await receiver.waitFor(1);
  const event = JSON.parse(webhook!.body);
  expect(event).toMatchObject({ type: 'payment.paid', data: { id: payment.id, status: 'paid' } });
  expect(webhook!.headers['webhook-id']).toBe(event.id);
  expect(
    verifyWebhook(checkout.webhook_secret, {
      id: String(webhook!.headers['webhook-id']),
      timestamp: String(webhook!.headers['webhook-timestamp']),
      signature: String(webhook!.headers['webhook-signature']),
    }, webhook!.body),
  ).toBe(true);

  const described = await stack.kassa.temporal.workflow.getHandle(purchaseWorkflowId(payment.id)).describe();
  expect(described.type).toBe('purchaseWorkflow');
  expect(described.taskQueue).toBe('payments');
  expect(described.typedSearchAttributes.getAll().find((pair) => pair.key.name === 'MerchantId')?.value).toBe(merchantId);
  const state = await stack.kassa.temporal.workflow.getHandle(purchaseWorkflowId(payment.id)).query(statusQuery);
  expect(state.status).toBe('paid');
  await receiver.close();
});
