/**
 * OpenTelemetry traces, off unless `OTEL_EXPORTER` is `console` or `otlp`: one trace from the
 * REST call (the server span of the http instrumentation, named by express route) through the
 * workflow start, update or signal (Temporal's client interceptor carries the context in
 * headers), the workflow run and its activities (`@temporalio/interceptors-opentelemetry`;
 * workflow spans leave the sandbox through a sink), with a span per express router and handler,
 * per PostgreSQL query and per outgoing HTTP request made inside it.
 *
 * `otlp` sends OTLP/HTTP JSON to `OTEL_EXPORTER_OTLP_ENDPOINT` (default `http://localhost:4318`).
 * The tracer provider is the OTel SDK 1.x line (`sdk-trace-node` 1.30), which
 * `@temporalio/interceptors-opentelemetry` 1.24 needs; the instrumentations talk to it through
 * `@opentelemetry/api` only, so the express one may come from a newer line (0.49 is the first
 * that knows express 5).
 */
import * as otel from '@opentelemetry/api';
import type { InstrumentationBase } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { Resource } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  type IdGenerator,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Request, RequestHandler, Response } from 'express';
import { type ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import { isBuiltin } from 'node:module';
import { randomBytes } from 'node:crypto';
import { routeLabel } from './route-label';
import type { RequestContext } from './request-scope';
import { findCardNumber } from '../domain/card-numbers';

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
  // Loaded only when OTLP export is asked for.
  const { OTLPTraceExporter } =
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  return new BatchSpanProcessor(new OTLPTraceExporter());
}

/** A random hex id, drawn again while it holds a card-like digit run (the log scrubber would censor it). */
function randomId(bytes: number): string {
  for (;;) {
    const id = randomBytes(bytes).toString('hex');
    if (!findCardNumber(id)) return id;
  }
}

/** Trace and span ids that survive the logs' card-number scrubbing, so log lines and spans always join. */
export const scrubSafeIds: IdGenerator = { generateTraceId: () => randomId(16), generateSpanId: () => randomId(8) };

/** Names the server span by route and gives it the request's ids, just before the span ends. */
function describeServerSpan(
  span: otel.Span,
  request: ClientRequest | IncomingMessage,
  response: IncomingMessage | ServerResponse,
): void {
  if (!(request instanceof IncomingMessage) || !(response instanceof ServerResponse)) return;
  const req = request as Request;
  const res = response as Response;
  if (!req.originalUrl) return;
  const route = routeLabel(req);
  const context = res.locals?.requestContext as RequestContext | undefined;
  span.updateName(`${req.method} ${route}`);
  span.setAttributes({
    'http.route': route,
    'url.path': req.originalUrl.split('?')[0],
    'http.request.method': req.method,
    'http.response.status_code': res.statusCode,
    ...(context && { 'kassa.request_id': context.requestId }),
    ...(context?.paymentId && { 'kassa.payment_id': context.paymentId }),
    ...(context?.workflowId && { 'temporal.workflow_id': context.workflowId }),
  });
}

/** What tracing uses of an instrumentation, whichever `@opentelemetry/instrumentation` line it is built on. */
type Instrumentation = Pick<InstrumentationBase, 'setTracerProvider' | 'getModuleDefinitions'>;

function instrumentations(): Instrumentation[] {
  return [
    new HttpInstrumentation({ enabled: false, applyCustomAttributesOnSpan: describeServerSpan }),
    // One span per route handler, named by its route: not each middleware (headers, body parsing, …)
    // nor each router express 5 tries on the way.
    new ExpressInstrumentation({
      enabled: false,
      ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER],
      spanNameHook: (info, defaultName) =>
        info.layerType === ExpressLayerType.REQUEST_HANDLER
          ? `request handler - ${routeLabel(info.request as Request)}`
          : defaultName,
    }),
    // Queries outside a traced operation (the money jobs' polling) make no traces of their own;
    // statements are recorded without their values.
    new PgInstrumentation({ enabled: false, requireParentSpan: true }),
  ];
}

function load(name: string): unknown {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the modules to patch, as this process loaded them
    return require(name);
  } catch {
    return undefined;
  }
}

/**
 * Applies the instrumentations to their modules (http, https, express, pg, pg-pool), loading
 * them now, and returns how to take them off. Not through require hooks, which only see later
 * loads: worker.ts loads express and pg before tracing starts, and jest loads modules without
 * Node's `require`. Every caller gets the same module object, so one patch reaches them all.
 * Patches check nothing about versions: the ones pinned in package.json are all supported.
 */
function patchModules(list: Instrumentation[]): () => void {
  const undo: (() => void)[] = [];
  for (const instrumentation of list) {
    for (const definition of instrumentation.getModuleDefinitions()) {
      const exports = load(definition.name);
      if (exports === undefined) continue;
      const version = isBuiltin(definition.name)
        ? process.versions.node
        : (load(`${definition.name}/package.json`) as { version?: string } | undefined)?.version;
      if (definition.patch) {
        definition.patch(exports, version);
        undo.push(() => definition.unpatch?.(exports, version));
      }
      for (const file of definition.files) {
        const fileExports = load(file.name);
        if (fileExports === undefined) continue;
        file.patch(fileExports, version);
        undo.push(() => file.unpatch(fileExports, version));
      }
    }
  }
  return () => {
    for (const step of undo.reverse()) step();
  };
}

/**
 * Starts process-wide tracing (tracer provider, AsyncLocalStorage context, W3C propagation, the
 * http, express and pg instrumentations) exporting to `exporter`, or to `spanExporter` when given
 * (tests: an in-memory exporter). Returns null when tracing is off. `shutdown` flushes, takes the
 * instrumentations off and unregisters the globals.
 */
export function startTracing(options: {
  exporter: TraceExporterName;
  spanExporter?: SpanExporter;
  serviceName?: string;
}): Tracing | null {
  if (!options.spanExporter && options.exporter === 'none') return null;
  const spanProcessor = options.spanExporter
    ? new SimpleSpanProcessor(options.spanExporter)
    : exporterFor(options.exporter as 'console' | 'otlp');
  const resource = new Resource({ [ATTR_SERVICE_NAME]: options.serviceName ?? 'kassa' });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor], idGenerator: scrubSafeIds });
  provider.register();
  const active = instrumentations();
  for (const instrumentation of active) instrumentation.setTracerProvider(provider);
  const unpatch = patchModules(active);
  return {
    tracer: provider.getTracer('kassa'),
    resource,
    spanProcessor,
    async shutdown() {
      unpatch();
      await provider.shutdown().catch(() => undefined);
      otel.trace.disable();
      otel.context.disable();
      otel.propagation.disable();
    },
  };
}

/**
 * The request's server span when no http instrumentation made one (an app given a tracer without
 * {@link startTracing}): a child of the caller's `traceparent`, named and described like the
 * instrumentation's. Everything the request does (workflow starts, updates, signals) runs inside it.
 */
export function httpTracing(tracer: otel.Tracer): RequestHandler {
  return (req, res, next) => {
    if (otel.trace.getActiveSpan()) return next();
    const parent = otel.propagation.extract(otel.context.active(), req.headers);
    const span = tracer.startSpan(`${req.method} ${req.path}`, { kind: otel.SpanKind.SERVER }, parent);
    res.once('close', () => {
      describeServerSpan(span, req, res);
      if (res.statusCode >= 500) span.setStatus({ code: otel.SpanStatusCode.ERROR });
      span.end();
    });
    otel.context.with(otel.trace.setSpan(parent, span), () => next());
  };
}
