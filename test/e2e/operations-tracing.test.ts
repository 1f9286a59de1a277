import * as otel from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { findCardNumber } from '../../src/domain/card-numbers';
import { scrubSafeIds } from '../../src/observability/tracing';
import { paidPayment } from '../support/operations';
import { api, eventually, newShop, purchaseHandle, type Shop, startTestStack, type TestStack } from '../support/stack';

// OpenTelemetry traces from the REST call through the workflow to its activities, collected in memory,
// and Kassa's log lines, which carry the ids of the span they were written in.
jest.setTimeout(60_000);

const exporter = new InMemorySpanExporter();
const logLines: Record<string, unknown>[] = [];
let stack: TestStack;
let shop: Shop;

beforeAll(async () => {
  stack = await startTestStack(
    { LOG_LEVEL: 'info' },
    { kassa: { spanExporter: exporter, logDestination: { write: (line: string) => logLines.push(JSON.parse(line)) } } },
  );
  shop = await newShop(stack);
}, 90_000);
afterAll(async () => {
  await shop?.receiver.close();
  await stack?.close();
});

const spans = () => exporter.getFinishedSpans();
const fromLibrary = (library: string, traceId: string) =>
  spans().filter((span) => span.instrumentationLibrary.name === library && span.spanContext().traceId === traceId);
/** The chain without the express handler span between the server span and what the handler did. */
const withoutExpress = (chain: string[]) => chain.filter((name) => !name.startsWith('request handler - '));
const named = (name: string, traceId?: string) =>
  spans().filter((span) => span.name === name && (traceId === undefined || span.spanContext().traceId === traceId));

/** The chain of span names from `span` up to its trace's root. */
function ancestry(span: ReadableSpan): string[] {
  const byId = new Map(spans().map((candidate) => [candidate.spanContext().spanId, candidate]));
  const chain = [span.name];
  for (
    let parent = span.parentSpanId && byId.get(span.parentSpanId);
    parent;
    parent = parent.parentSpanId && byId.get(parent.parentSpanId)
  ) {
    chain.push(parent.name);
  }
  return chain;
}

test('one trace runs from the REST call through the workflow into its activities', async () => {
  const payment = await paidPayment(stack, shop, { order_id: 'TRACE-1' });
  await purchaseHandle(stack, payment.id).result();

  // POST /v1/payments starts the workflow: its run and the activities it schedules belong to that trace.
  const created = await eventually(
    async () => named('POST /v1/payments'),
    (found) => found.length === 1,
  );
  const server = created[0]!;
  expect(server.kind).toBe(otel.SpanKind.SERVER);
  expect(server.attributes).toMatchObject({
    'http.route': '/v1/payments',
    'http.response.status_code': 201,
    'kassa.payment_id': payment.id,
  });
  const traceId = server.spanContext().traceId;
  const notify = await eventually(
    async () => named('RunActivity:notifyMerchant', traceId),
    (found) => found.length === 1,
  );
  expect(withoutExpress(ancestry(notify[0]!))).toEqual([
    'RunActivity:notifyMerchant',
    'StartActivity:notifyMerchant',
    'RunWorkflow:purchaseWorkflow',
    'StartWorkflow:purchaseWorkflow',
    'POST /v1/payments',
  ]);

  // The buyer's method choice is its own trace: the update, and the provider call made for it.
  const [choice] = named('POST /pay/:id/method');
  const create = named('RunActivity:createProviderPayment', choice!.spanContext().traceId);
  expect(create).toHaveLength(1);
  expect(ancestry(create[0]!)).toEqual(
    expect.arrayContaining(['RunActivity:createProviderPayment', 'POST /pay/:id/method']),
  );
  expect(ancestry(create[0]!).some((name) => name.includes('selectMethod'))).toBe(true);

  // So is the provider's callback: verified, stored, signalled.
  const [callback] = named('POST /callbacks/:provider/:connector_id');
  expect(named('SignalWorkflow:providerCallback', callback!.spanContext().traceId)).toHaveLength(1);
});

test("a caller's traceparent is continued by the request's span", async () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const response = await api(stack.url, 'GET', '/healthz', {
    headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
  });
  expect(response.status).toBe(200);
  const [health] = await eventually(
    async () => named('GET /healthz', traceId),
    (found) => found.length === 1,
  );
  expect(health!.parentSpanId).toBe('00f067aa0ba902b7');
});

test('a request makes spans from the http, express and pg instrumentations in one trace', async () => {
  const payment = await paidPayment(stack, shop, { order_id: 'TRACE-2' });
  const [server] = await eventually(
    async () => named('POST /v1/payments').filter((span) => span.attributes['kassa.payment_id'] === payment.id),
    (found) => found.length === 1,
  );
  const traceId = server!.spanContext().traceId;
  expect(server!.instrumentationLibrary.name).toBe('@opentelemetry/instrumentation-http');
  expect(server!.attributes).toMatchObject({ 'http.method': 'POST', 'http.status_code': 201 });

  const express = fromLibrary('@opentelemetry/instrumentation-express', traceId);
  expect(express.map((span) => span.name)).toEqual(['request handler - /v1/payments']);
  expect(express[0]!.parentSpanId).toBe(server!.spanContext().spanId);

  // The payment's insert, as a statement without its values.
  const queries = fromLibrary('@opentelemetry/instrumentation-pg', traceId).filter(
    (span) => span.kind === otel.SpanKind.CLIENT,
  );
  expect(queries.length).toBeGreaterThan(0);
  expect(queries.every((span) => span.attributes['db.system'] === 'postgresql')).toBe(true);
  const insert = queries.find((span) => /insert into payments/i.test(String(span.attributes['db.statement'])));
  expect(insert).toBeDefined();
  expect(String(insert!.attributes['db.statement'])).not.toContain('TRACE-2');
  expect(insert!.attributes['db.postgresql.values']).toBeUndefined();
  expect(ancestry(insert!).at(-1)).toBe('POST /v1/payments');
});

test("every log line of a traced request carries its trace's trace_id and the span_id of a span in it", async () => {
  const payment = await paidPayment(stack, shop, { order_id: 'TRACE-3' });
  const [server] = await eventually(
    async () => named('POST /v1/payments').filter((span) => span.attributes['kassa.payment_id'] === payment.id),
    (found) => found.length === 1,
  );
  const traceId = server!.spanContext().traceId;
  const requestId = server!.attributes['kassa.request_id'];
  expect(typeof requestId).toBe('string');
  const lines = logLines.filter((line) => line.requestId === requestId);
  expect(lines.map((line) => line.msg)).toContain('POST /v1/payments 201');
  const spanIds = new Set(
    spans()
      .filter((span) => span.spanContext().traceId === traceId)
      .map((span) => span.spanContext().spanId),
  );
  for (const line of lines) {
    expect(line).toMatchObject({ trace_id: traceId, trace_flags: '01' });
    expect(spanIds).toContain(line.span_id);
  }
  // Lines written outside any traced operation carry no ids.
  expect(logLines.some((line) => line.trace_id === undefined)).toBe(true);
});

test('span ids never hold a card-like digit run, so the log scrubber leaves every id whole', () => {
  // Plain random ids hold one about every 30,000 trace ids.
  const cardLike: string[] = [];
  for (let index = 0; index < 100_000; index += 1) {
    for (const id of [scrubSafeIds.generateTraceId(), scrubSafeIds.generateSpanId()])
      if (findCardNumber(id)) cardLike.push(id);
  }
  expect(cardLike).toEqual([]);
});
