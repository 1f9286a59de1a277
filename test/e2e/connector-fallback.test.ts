import net from 'node:net';
import type { Pool } from 'pg';
import { buyerActs, chooseMethod } from '../support/money';
import { postingsOf } from '../support/ledger';
import {
  api,
  createTestPayment,
  eventually,
  paymentOf,
  sandboxApiKey,
  sandboxReport,
  sandboxWebhookSecret,
  shopsFor,
  stackForFile,
  type TestStack,
} from '../support/stack';
import { connectorBreakerTrips } from '../../src/observability/connector-breaker';

// A purchase at connectors on the real stack: a connector that refuses to create is followed by the
// next one for the method, one charge in all; a connector whose creates keep failing is paused by its
// circuit breaker, and resumed once its probe answers.
jest.setTimeout(90_000);

let stack: TestStack;
let db: Pool;
stackForFile((running) => ({ stack, db } = running), {
  CONNECTOR_BREAKER_FAILURES: '2',
  CONNECTOR_BREAKER_PROBE_SECONDS: '1',
});
const newShop = shopsFor(() => stack, 'all');

/** A port nothing listens on. */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

async function addConnector(baseUrl: string, apiKey = sandboxApiKey): Promise<string> {
  const created = await api(stack.url, 'POST', '/admin/connectors', {
    token: stack.adminToken,
    body: {
      provider: 'sandbox',
      mode: 'test',
      credentials: { base_url: baseUrl, api_key: apiKey, webhook_secret: sandboxWebhookSecret },
      methods: ['sandbox_card'],
      priority: 0,
    },
  });
  if (created.status !== 201) throw new Error(`connector: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body.id as string;
}

const pause = (id: string) =>
  api(stack.url, 'POST', `/admin/connectors/${id}/pause`, { token: stack.adminToken, body: {} });

test('a connector that refuses to create is followed by the next one: paid there, one charge, both attempts listed', async () => {
  const refusing = await addConnector(stack.sandboxUrl, 'sandbox_wrong_key');
  try {
    const shop = await newShop();
    const payment = await createTestPayment(stack, shop.testKey, shop.checkout.id);
    await buyerActs(await chooseMethod(stack, payment.id), 'approve');
    await eventually(
      () => paymentOf(stack, shop.testKey, payment.id),
      (current) => current.status === 'paid',
    );
    const attempts = await api(stack.url, 'GET', `/v1/payments/${payment.id}/attempts`, { token: shop.testKey });
    expect(attempts.status).toBe(200);
    const listed = attempts.body.data as Record<string, unknown>[];
    expect(listed.map((entry) => [entry.attempt, entry.connector_id === refusing, entry.status])).toEqual([
      [1, true, 'refused'],
      [2, false, 'succeeded'],
    ]);
    expect(listed[1]).toMatchObject({ provider: 'sandbox', method: 'sandbox_card', error: null });
    expect(listed[1]!.provider_reference).toBe(`${payment.id}-attempt-2`);
    expect(typeof listed[0]!.error).toBe('string');
    expect(listed[1]!.latency_ms).toEqual(expect.any(Number));
    // one charge in all: at the provider and in the ledger
    const report = (await sandboxReport(stack)) as { payments: { reference: string }[] };
    expect(report.payments.filter((entry) => entry.reference.startsWith(payment.id))).toHaveLength(1);
    expect(await postingsOf(db, 'payment', payment.id)).toEqual({ captured: 1 });
    // the operator sees them too; another merchant does not
    const asOperator = await api(stack.url, 'GET', `/admin/payments/${payment.id}/attempts`, {
      token: stack.adminToken,
    });
    expect(asOperator.body.data).toHaveLength(2);
    const other = await newShop();
    expect((await api(stack.url, 'GET', `/v1/payments/${payment.id}/attempts`, { token: other.testKey })).status).toBe(
      404,
    );
  } finally {
    await pause(refusing);
  }
});

test('creates that keep failing trip the breaker: paused, counted, told to the operator; the probe resumes it once it answers', async () => {
  const down = await addConnector(`http://127.0.0.1:${await closedPort()}`);
  const shop = await newShop();
  for (let n = 0; n < 2; n++) {
    const payment = await createTestPayment(stack, shop.testKey, shop.checkout.id);
    // each falls back to the sandbox after the dead connector's retries
    await chooseMethod(stack, payment.id);
  }
  const connector = await api(stack.url, 'GET', `/admin/connectors/${down}`, { token: stack.adminToken });
  expect([connector.body.status, connector.body.paused_reason]).toEqual(['paused', 'circuit_breaker']);
  const events = await api(stack.url, 'GET', `/admin/connector-events?connector_id=${down}`, {
    token: stack.adminToken,
  });
  expect(events.body.data.map((event: { kind: string }) => event.kind)).toContain('breaker_tripped');
  const trips = (await connectorBreakerTrips.get()).values.filter((value) => value.labels.connector_id === down);
  expect(trips).toEqual([expect.objectContaining({ value: 1 })]);

  // its provider comes back: the next probe answers and the connector is active again
  const patched = await api(stack.url, 'PATCH', `/admin/connectors/${down}`, {
    token: stack.adminToken,
    body: {
      credentials: { base_url: stack.sandboxUrl, api_key: sandboxApiKey, webhook_secret: sandboxWebhookSecret },
    },
  });
  expect(patched.status).toBe(200);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const next = await createTestPayment(stack, shop.testKey, shop.checkout.id);
  await chooseMethod(stack, next.id);
  await eventually(
    async () => (await api(stack.url, 'GET', `/admin/connectors/${down}`, { token: stack.adminToken })).body.status,
    (status) => status === 'active',
  );
  const after = await api(stack.url, 'GET', `/admin/connector-events?connector_id=${down}`, {
    token: stack.adminToken,
  });
  expect(after.body.data[0].kind).toBe('breaker_resumed');
  await pause(down);
});
