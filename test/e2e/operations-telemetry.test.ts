import { DefaultLogger } from '@temporalio/worker';
import { installTemporalRuntime } from '../../worker';
import { Pool } from 'pg';
import pino from 'pino';
import { createLogger, luhnValid, scrubText } from '../../src/observability/logger';
import { signSandboxPayload } from '../../src/providers/sandbox';
import { purchaseWorkflowId } from '../../src/workflows/shared';
import { newPayment, paidPayment } from '../support/operations';
import { freePort } from '../support/processes';
import { api, eventually, purchaseHandle, shopsFor, startTestStack, type TestStack } from '../support/stack';

// /metrics and the JSON logs of a Kassa whose worker exports the Temporal SDK's own metrics, as
// `worker.ts` main() sets it up, with every log line captured.
jest.setTimeout(60_000);

const lines: string[] = [];
let stack: TestStack;
let metricsPort: number;
const shop = shopsFor(() => stack, 'all');

beforeAll(async () => {
  const temporalMetricsPort = await freePort();
  metricsPort = await freePort();
  // Before anything in this file creates a Temporal Runtime.
  installTemporalRuntime(new DefaultLogger('WARN'), `127.0.0.1:${temporalMetricsPort}`);
  stack = await startTestStack(
    { LOG_LEVEL: 'debug', METRICS_PORT: String(metricsPort) },
    {
      kassa: {
        logDestination: { write: (line: string) => lines.push(line) },
        temporalMetricsUrl: `http://127.0.0.1:${temporalMetricsPort}/metrics`,
      },
    },
  );
}, 90_000);
afterAll(async () => {
  await stack?.close();
});

/** The value of one sample line of the exposition, or undefined. */
function sample(exposition: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of exposition.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = (match[2] ?? '').split(/,(?=[a-zA-Z_]\w*=")/);
    if (wanted.every((label) => present.includes(label))) return Number(match[3]);
  }
  return undefined;
}

const scrape = () =>
  api(stack.url, 'GET', '/metrics', { token: stack.adminToken }).then((response) => response.body as string);

test('/metrics counts payments by status and method, API, provider and webhook latency, rejected callbacks and the worker’s Temporal metrics', async () => {
  const merchant = await shop();
  const payment = await paidPayment(stack, merchant);
  await merchant.receiver.waitFor(1);
  const failing = await shop([500]);
  await paidPayment(stack, failing);
  await failing.receiver.waitFor(1);

  // A callback with a bad signature, one for a provider that does not exist.
  const body = JSON.stringify({ id: 'sevt_forged', type: 'payment.succeeded', data: { reference: payment.id } });
  const forged = await api(stack.url, 'POST', '/callbacks/sandbox', {
    body,
    headers: {
      'content-type': 'application/json',
      'sandbox-signature': signSandboxPayload('not the secret at all', body, Math.floor(Date.now() / 1000)),
    },
  });
  expect(forged.status).toBe(401);
  expect(
    (
      await api(stack.url, 'POST', '/callbacks/nosuchprovider', {
        body: '{}',
        headers: { 'content-type': 'application/json' },
      })
    ).status,
  ).toBe(404);

  expect((await api(stack.url, 'GET', '/metrics')).status).toBe(401);
  const response = await api(stack.url, 'GET', '/metrics', { token: stack.adminToken });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await eventually(
    scrape,
    (exposition) =>
      sample(exposition, 'kassa_webhook_delivery_attempts_total', { outcome: 'failed', source: 'workflow' }) === 1,
  );

  expect(sample(text, 'kassa_payments', { status: 'paid', method: 'sandbox_card', mode: 'test' })).toBe(2);
  expect(sample(text, 'kassa_payment_status_changes_total', { status: 'paid', method: 'sandbox_card' })).toBe(2);
  expect(
    sample(text, 'kassa_payment_status_changes_total', { status: 'awaiting_payment', method: 'sandbox_card' }),
  ).toBe(2);
  expect(
    sample(text, 'kassa_http_request_duration_seconds_count', { method: 'POST', route: '/v1/payments', status: '201' }),
  ).toBe(2);
  expect(
    sample(text, 'kassa_http_request_duration_seconds_count', {
      method: 'POST',
      route: '/pay/:id/method',
      status: '200',
    }),
  ).toBe(2);
  expect(
    sample(text, 'kassa_provider_call_duration_seconds_count', {
      operation: 'create',
      method: 'sandbox_card',
      outcome: 'ok',
    }),
  ).toBe(2);
  expect(
    sample(text, 'kassa_webhook_delivery_duration_seconds_count', { outcome: 'delivered', source: 'workflow' }),
  ).toBe(1);
  expect(sample(text, 'kassa_webhook_delivery_duration_seconds_count', { outcome: 'failed', source: 'workflow' })).toBe(
    1,
  );
  expect(
    sample(text, 'kassa_provider_callbacks_total', { provider: 'sandbox', outcome: 'accepted' }),
  ).toBeGreaterThanOrEqual(2);
  expect(sample(text, 'kassa_provider_callbacks_total', { provider: 'sandbox', outcome: 'rejected_signature' })).toBe(
    1,
  );
  expect(sample(text, 'kassa_provider_callbacks_total', { provider: 'unknown', outcome: 'rejected' })).toBe(1);
  expect(sample(text, 'kassa_activity_duration_seconds_count', { activity: 'notifyMerchant', outcome: 'failed' })).toBe(
    1,
  );
  expect(text).toMatch(/^process_cpu_seconds_total /m);
  // The worker's own Temporal metrics, appended.
  expect(
    sample(text, 'temporal_workflow_completed_total', { workflow_type: 'purchaseWorkflow' }),
  ).toBeGreaterThanOrEqual(1);
  expect(text).toMatch(/^temporal_activity_execution_latency_seconds_bucket\{.*activity_type="createProviderPayment"/m);

  // The same, without a token, on the metrics port for a private scrape network.
  const plain = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  expect(plain.status).toBe(200);
  expect(await plain.text()).toMatch(/^kassa_payments\{status="paid",method="sandbox_card",mode="test"\} 2$/m);
});

test('no API key, webhook secret, signature or card number reaches a log line, while request, payment and workflow ids do', async () => {
  const merchant = await shop();
  const secret: string = merchant.checkout.webhook_secret;
  const cards = ['4111 1111 1111 1111', '4242424242424242', '5555-5555-5555-4444', '378282246310005'];
  lines.length = 0;

  // Card numbers in free text are masked before anything sees them: the answer, the row and the log lines.
  const masked = await api(stack.url, 'POST', '/v1/payments', {
    token: merchant.testKey,
    body: {
      checkout_id: merchant.checkout.id,
      order_id: 'OPS-card',
      amount: '50.00',
      currency: 'RUB',
      description: `Card ${cards[0]} please`,
      metadata: { note: cards[1]!, card_number: cards[2]! },
    },
  });
  expect([masked.status, masked.body.description, masked.body.metadata]).toEqual([
    201,
    'Card 4111 11** **** 1111 please',
    { note: '424242******4242', card_number: '5555-55**-****-4444' },
  ]);
  const db = new Pool({ connectionString: stack.databaseUrl, max: 1 });
  const stored = await db
    .query('select description, metadata::text as metadata from payments where id = $1', [masked.body.id])
    .finally(() => db.end());
  expect(stored.rows).toHaveLength(1);
  for (const card of cards)
    expect(JSON.stringify(stored.rows[0]).replace(/[^\d*]/g, '')).not.toContain(card.replace(/\D/g, ''));
  const payment = await newPayment(stack, merchant);
  // A request carrying every kind of secret in its headers and URL.
  const signature = `t=${Math.floor(Date.now() / 1000)},v1=${'ab12'.repeat(16)}`;
  const status = await api(
    stack.url,
    'GET',
    `/pay/${payment.id}/status?card=${encodeURIComponent(cards[3]!)}&token=tok_verysecretvalue123`,
    {
      headers: {
        'x-request-id': 'ops-req-0001',
        authorization: `Bearer ${merchant.testKey}`,
        'x-forwarded-secret': secret,
        'webhook-signature': 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
        'sandbox-signature': signature,
        'x-note': `pay with ${cards[1]}`,
      },
    },
  );
  expect(status.status).toBe(200);
  expect(status.headers.get('x-request-id')).toBe('ops-req-0001');
  const rejected = await api(stack.url, 'POST', '/callbacks/sandbox', {
    body: JSON.stringify({ data: { reference: payment.id, card: cards[0] } }),
    headers: { 'content-type': 'application/json', 'sandbox-signature': signature, 'x-request-id': 'ops-req-0002' },
  });
  expect(rejected.status).toBe(401);
  const canceled = await api(stack.url, 'POST', `/v1/payments/${payment.id}/cancel`, {
    token: merchant.testKey,
    headers: { 'x-request-id': 'ops-req-0003' },
  });
  expect(canceled.status).toBe(200);
  await merchant.receiver.waitFor(1);
  await purchaseHandle(stack, payment.id).result();
  // And the logger used directly, with secrets in the message, the fields and an error.
  stack.kassa.observability.logger.error(
    {
      err: new Error(`charge of ${cards[2]} failed for ${merchant.testKey}`),
      webhook_secret: secret,
      nested: { pan: cards[1], text: `Bearer ${stack.adminToken}` },
    },
    `refund to ${cards[3]} with ${secret}`,
  );
  expect(lines.at(-1)).toContain('"text":"Bearer [REDACTED]"');

  const logged = lines.join('');
  const records = lines.map((line) => JSON.parse(line));
  for (const forbidden of [
    merchant.testKey,
    merchant.liveKey,
    secret,
    secret.slice(6),
    stack.adminToken,
    'ab12ab12ab12ab12',
    'K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN',
    'tok_verysecretvalue123',
  ]) {
    expect(logged).not.toContain(forbidden);
  }
  for (const card of cards) {
    expect(logged).not.toContain(card);
    expect(logged).not.toContain(card.replace(/\D/g, ''));
  }
  expect(logged).toContain('[REDACTED]');

  // What an operator needs stays: request ids on request lines, payment and workflow ids.
  const request = records.filter((record) => record.requestId === 'ops-req-0001');
  expect(request.map((record) => record.msg)).toEqual(['request received', `GET /pay/:id/status 200`]);
  expect(request[1]).toMatchObject({ level: 'info', paymentId: payment.id, route: '/pay/:id/status', status: 200 });
  expect(records.find((record) => record.requestId === 'ops-req-0002' && record.status === 401)).toMatchObject({
    route: '/callbacks/:provider',
  });
  expect(records.find((record) => record.requestId === 'ops-req-0003' && record.status === 200)).toMatchObject({
    paymentId: payment.id,
    workflowId: purchaseWorkflowId(payment.id),
  });
  expect(
    records.find((record) => record.activity === 'notifyMerchant' && record.paymentId === payment.id),
  ).toMatchObject({
    workflowId: purchaseWorkflowId(payment.id),
    outcome: 'ok',
    attempt: 1,
  });
});

test('the scrubber knows a card number from other long numbers', () => {
  expect(luhnValid('4111111111111111')).toBe(true);
  expect(luhnValid('4111111111111112')).toBe(false);
  expect(scrubText('order 4111111111111112 at 1700000000000 for pay_4Ab9')).toBe(
    'order 4111111111111112 at 1700000000000 for pay_4Ab9',
  );
  expect(scrubText('pan 4111-1111-1111-1111, key sk_live_Abc123, whsec_QUJD==')).toBe(
    'pan [REDACTED], key sk_live_[REDACTED], whsec_[REDACTED]',
  );
  const collected: string[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (line) => collected.push(line) } });
  logger.info({ amountMinor: 4111111111111111, headers: { authorization: 'Bearer x' } }, 'n');
  expect(JSON.parse(collected[0]!)).toMatchObject({
    amountMinor: '[REDACTED]',
    headers: { authorization: '[REDACTED]' },
    msg: 'n',
  });
  expect(pino.levels.values.info).toBe(30);
});
