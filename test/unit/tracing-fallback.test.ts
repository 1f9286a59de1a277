import type { AddressInfo } from 'node:net';
import * as otel from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import express from 'express';
import { requestContext } from '../../src/api/request-context';
import { silentLogger } from '../../src/observability/logger';
import { httpTracing } from '../../src/observability/tracing';

// An app given a tracer but no http instrumentation (no startTracing) still gets a server span per request.
test('without the http instrumentation, httpTracing makes the server span, named by route, with the request id', async () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  otel.context.setGlobalContextManager(contextManager);
  const app = express();
  app.use(httpTracing(provider.getTracer('test')));
  app.use(requestContext(silentLogger));
  app.get('/things/:id', (_req, res) => {
    res.json({ traced: otel.trace.getActiveSpan() !== undefined });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/things/42`, {
      headers: { 'x-request-id': 'req_fallback' },
    });
    expect(await response.json()).toEqual({ traced: true });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(1);
    expect(spans[0]).toMatchObject({ name: 'GET /things/:id', kind: otel.SpanKind.SERVER });
    expect(spans[0]!.attributes).toMatchObject({
      'http.route': '/things/:id',
      'http.response.status_code': 200,
      'kassa.request_id': 'req_fallback',
    });
  } finally {
    server.close();
    otel.context.disable();
    await provider.shutdown();
  }
});
