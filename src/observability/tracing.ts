/**
 * OpenTelemetry traces, off unless `OTEL_EXPORTER` is `console` or `otlp`: one trace from the
 * REST call (a server span per request) through the workflow start, update or signal (Temporal's
 * client interceptor carries the context in headers), the workflow run and its activities
 * (`@temporalio/interceptors-opentelemetry`; workflow spans leave the sandbox through a sink).
 *
 * `otlp` sends OTLP/HTTP protobuf-free JSON to `OTEL_EXPORTER_OTLP_ENDPOINT` (default
 * `http://localhost:4318`) with the exporter that `@opentelemetry/sdk-node` 0.57 itself depends on.
 * Uses the OTel SDK 1.x line: `@temporalio/interceptors-opentelemetry` 1.24 needs it.
 */
import * as otel from '@opentelemetry/api';
import { Resource } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { RequestHandler } from 'express';
import { type RequestContext, routeLabel } from '../api/request-context';

export type TraceExporterName = 'none' | 'console' | 'otlp';

export interface Tracing {
  tracer: otel.Tracer;
  resource: Resource;
  /** Also handed to the worker's workflow-span sink. */
  spanProcessor: SpanProcessor;
  shutdown(): Promise<void>;
}

function exporterFor(name: Exclude<TraceExporterName, 'none'>): SpanProcessor {
  if (name === 'console') return new SimpleSpanProcessor(new ConsoleSpanExporter());
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  return new BatchSpanProcessor(new OTLPTraceExporter());
}

/**
 * Starts the process-wide OTel SDK (tracer provider, AsyncLocalStorage context, W3C propagation)
 * exporting to `exporter`, or to `spanExporter` when given (tests: an in-memory exporter).
 * Returns null when tracing is off. `shutdown` flushes and unregisters the globals.
 */
export function startTracing(options: { exporter: TraceExporterName; spanExporter?: SpanExporter; serviceName?: string }): Tracing | null {
  if (!options.spanExporter && options.exporter === 'none') return null;
  const spanProcessor = options.spanExporter ? new SimpleSpanProcessor(options.spanExporter) : exporterFor(options.exporter as 'console' | 'otlp');
  const resource = new Resource({ [ATTR_SERVICE_NAME]: options.serviceName ?? 'kassa' });
  const sdk = new NodeSDK({
    resource,
    autoDetectResources: false,
    spanProcessors: [spanProcessor],
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();
  return {
    tracer: otel.trace.getTracer('kassa'),
    resource,
    spanProcessor,
    async shutdown() {
      await sdk.shutdown().catch(() => undefined);
      otel.trace.disable();
      otel.context.disable();
      otel.propagation.disable();
    },
  };
}

/**
 * A server span per HTTP request, child of the caller's `traceparent` when it sends one; named
 * by route (`POST /v1/payments`), with the request, payment and workflow ids as attributes.
 * Everything the request does (workflow starts, updates, signals) runs inside it.
 */
export function httpTracing(tracer: otel.Tracer): RequestHandler {
  return (req, res, next) => {
    const parent = otel.propagation.extract(otel.context.active(), req.headers);
    const span = tracer.startSpan(
      `${req.method} ${req.path}`,
      { kind: otel.SpanKind.SERVER, attributes: { 'http.request.method': req.method } },
      parent,
    );
    res.once('close', () => {
      const route = routeLabel(req);
      const context = res.locals.requestContext as RequestContext | undefined;
      span.updateName(`${req.method} ${route}`);
      span.setAttributes({
        'http.route': route,
        'url.path': req.originalUrl.split('?')[0],
        'http.response.status_code': res.statusCode,
        ...(context && { 'kassa.request_id': context.requestId }),
        ...(context?.paymentId && { 'kassa.payment_id': context.paymentId }),
        ...(context?.workflowId && { 'temporal.workflow_id': context.workflowId }),
      });
      if (res.statusCode >= 500) span.setStatus({ code: otel.SpanStatusCode.ERROR });
      span.end();
    });
    otel.context.with(otel.trace.setSpan(parent, span), () => next());
  };
}
