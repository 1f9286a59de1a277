import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buyerActs, chooseMethod } from '../support/money';
import {
  api,
  createTestPayment,
  eventually,
  paymentOf,
  sandboxApiKey,
  sandboxFault,
  sandboxWebhookSecret,
  shopsFor,
  stackForFile,
  type TestStack,
} from '../support/stack';

// Pause and resume with a payment in flight: while its connector is paused the provider is not asked
// about it (counted at a proxy in front of the sandbox); the resume wakes it and it is paid.
jest.setTimeout(90_000);

let stack: TestStack;
// the first status check 2 s after the create, the next only after 10 minutes: only the wake can ask again soon
stackForFile((running) => ({ stack } = running), { STATUS_POLL_SECONDS: '2,600' });
const newShop = shopsFor(() => stack, 'all');

/** A proxy in front of the sandbox that counts the requests it forwards, by `METHOD path`. */
async function countingProxy(target: string) {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const forwarded = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    statusChecks: () => seen.filter((request) => request.startsWith('GET ')).length,
    creates: () => seen.filter((request) => request.startsWith('POST /api/payments')).length,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const admin = (method: string, pathname: string, body?: unknown) =>
  api(stack.url, method, pathname, { token: stack.adminToken, body });

test('a payment at a paused connector is not asked about; the resume wakes it and it is paid', async () => {
  const proxy = await countingProxy(stack.sandboxUrl);
  try {
    const created = await admin('POST', '/admin/connectors', {
      provider: 'sandbox',
      mode: 'test',
      credentials: { base_url: proxy.url, api_key: sandboxApiKey, webhook_secret: sandboxWebhookSecret },
      methods: ['sandbox_card'],
      priority: 0,
    });
    expect(created.status).toBe(201);
    const connectorId = created.body.id as string;
    const shop = await newShop();
    const payment = await createTestPayment(stack, shop.testKey, shop.checkout.id);
    // the provider's callback is lost: only a status check can tell Kassa the buyer paid
    await sandboxFault(stack, payment.id, { drop: true });
    const redirectUrl = await chooseMethod(stack, payment.id);
    expect(proxy.creates()).toBe(1);
    expect((await admin('POST', `/admin/connectors/${connectorId}/pause`, {})).status).toBe(200);
    await buyerActs(redirectUrl, 'approve');

    // the scheduled check comes and goes: parked, the provider is not asked
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(proxy.statusChecks()).toBe(0);
    expect((await paymentOf(stack, shop.testKey, payment.id)).status).toBe('awaiting_payment');

    // the resume wakes it: the next scheduled check would be 10 minutes away
    expect((await admin('POST', `/admin/connectors/${connectorId}/resume`, {})).status).toBe(200);
    await eventually(
      () => paymentOf(stack, shop.testKey, payment.id),
      (current) => current.status === 'paid',
      20_000,
    );
    expect(proxy.statusChecks()).toBeGreaterThan(0);
    await admin('POST', `/admin/connectors/${connectorId}/pause`, {});
  } finally {
    await proxy.close();
  }
});
