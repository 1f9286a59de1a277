import { api, eventually, shopsFor, startTestStack, type TestStack } from '../support/stack';

jest.setTimeout(120_000);

let stack: TestStack;
const newShop = shopsFor(() => stack);
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.close();
});

test('a split commission with a per-method fee is what the buyer is charged at the provider and what the payment shows', async () => {
  const { testKey, checkout } = await newShop([], { fee_payer: { type: 'split', buyer_percent: 50 } });
  const pricing = await api(stack.url, 'PATCH', `/admin/checkouts/${checkout.id}`, {
    token: stack.adminToken,
    body: { method_fees: { sandbox_wallet: { percent: '5', fixed: { RUB: '1.00' } } } },
  });
  expect(pricing.status).toBe(200);

  const methods = await api(stack.url, 'GET', `/v1/checkouts/${checkout.id}/methods?amount=100.00&currency=RUB`, {
    token: testKey,
  });
  const wallet = methods.body.data.find((quote: { method: string }) => quote.method === 'sandbox_wallet');
  // 5% of 100.00 = 5.00, plus 1.00 fixed = 6.00; the buyer pays half (3.00), the merchant the rest.
  expect(wallet).toMatchObject({ fee: '6.00', buyer_fee: '3.00', merchant_fee: '3.00' });

  const created = await api(stack.url, 'POST', '/v1/payments', {
    token: testKey,
    body: { checkout_id: checkout.id, order_id: 'FEE-1', amount: '100.00', currency: 'RUB', description: 'Fee test' },
  });
  expect(created.status).toBe(201);
  const chosen = await api(stack.url, 'POST', `/pay/${created.body.id}/method`, {
    body: { method: 'sandbox_wallet' },
    headers: { accept: 'application/json' },
  });
  const providerPage = await fetch(chosen.body.redirect_url);
  expect(await providerPage.text()).toContain('103.00');
  await fetch(`${chosen.body.redirect_url}/approve`, { method: 'POST', redirect: 'manual' });

  const paid = await eventually(
    () =>
      api(stack.url, 'GET', `/v1/payments/${created.body.id}`, { token: testKey }).then((response) => response.body),
    (payment) => payment.status === 'paid',
  );
  expect(paid).toMatchObject({ fee: '6.00', buyer_total: '103.00', merchant_net: '97.00' });
  const balance = await api(stack.url, 'GET', '/v1/balance', { token: testKey });
  expect(JSON.stringify(balance.body)).toContain('97.00');
});
