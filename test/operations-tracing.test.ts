import * as otel from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { purchaseWorkflowId } from '../src/workflows/shared';
import { newShop, paidPayment, type Shop } from './support/operations';
import { api, eventually, startTestStack, type TestStack } from './support/stack';

// OpenTelemetry traces from the REST call through the workflow to its activities, collected in memory.
jest.setTimeout(60_000);

const exporter = new InMemorySpanExporter();
let stack: TestStack;
let shop: Shop;

beforeAll(async () => {
  stack = await startTestStack({}, { kassa: { spanExporter: exporter } });
  shop = await newShop(stack);
}, 90_000);
afterAll(async () => {
  await shop?.receiver.close();
  await stack?.close();
});

const spans = () => exporter.getFinishedSpans();
const named = (name: string, traceId?: string) =>
  spans().filter((span) => span.name === name && (traceId === undefined || span.spanContext().traceId === traceId));

/** The chain of span names from `span` up to its trace's root. */
function ancestry(span: ReadableSpan): string[] {
  const byId = new Map(spans().map((candidate) => [candidate.spanContext().spanId, candidate]));
  const chain = [span.name];
  for (let parent = span.parentSpanId && byId.get(span.parentSpanId); parent; parent = parent.parentSpanId && byId.get(parent.parentSpanId)) {
    chain.push(parent.name);
  }
  return chain;
}

test('one trace runs from the REST call through the workflow into its activities', async () => {
  const payment = await paidPayment(stack, shop, { order_id: 'TRACE-1' });
  await stack.kassa.temporal.workflow.getHandle(purchaseWorkflowId(payment.id)).result();

  // POST /v1/payments starts the workflow: its run and the activities it schedules belong to that trace.
  const created = await eventually(async () => named('POST /v1/payments'), (found) => found.length === 1);
  const server = created[0]!;
  expect(server.kind).toBe(otel.SpanKind.SERVER);
  expect(server.attributes).toMatchObject({ 'http.route': '/v1/payments', 'http.response.status_code': 201, 'kassa.payment_id': payment.id });
  const traceId = server.spanContext().traceId;
  const notify = await eventually(async () => named('RunActivity:notifyMerchant', traceId), (found) => found.length === 1);
  expect(ancestry(notify[0]!)).toEqual([
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
  expect(ancestry(create[0]!)).toEqual(expect.arrayContaining(['RunActivity:createProviderPayment', 'POST /pay/:id/method']));
  expect(ancestry(create[0]!).some((name) => name.includes('selectMethod'))).toBe(true);

  // So is the provider's callback: verified, stored, signalled.
  const [callback] = named('POST /callbacks/:provider');
  expect(named('SignalWorkflow:providerCallback', callback!.spanContext().traceId)).toHaveLength(1);
});

test("a caller's traceparent is continued by the request's span", async () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const response = await api(stack.url, 'GET', '/healthz', { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
  expect(response.status).toBe(200);
  const [health] = await eventually(async () => named('GET /healthz', traceId), (found) => found.length === 1);
  expect(health!.parentSpanId).toBe('00f067aa0ba902b7');
});
