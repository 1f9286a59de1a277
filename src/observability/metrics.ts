/**
 * Prometheus metrics (`GET /metrics`, text format 0.0.4). Kassa's own series are `kassa_*`; the
 * Node process series come from prom-client's defaults; the worker's Temporal SDK series
 * (`temporal_*`: task slots, poll and schedule-to-start latencies, activity and workflow
 * outcomes) are served by the Temporal Runtime's Prometheus exporter on a loopback port and
 * appended to the same answer, so one scrape target gives everything.
 *
 * Activities are observed from outside through a Temporal activity interceptor
 * ({@link activityObserver}); HTTP requests through the request-context hook.
 */
import http from 'node:http';
import net from 'node:net';
import { CancelledFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { type Request, type RequestHandler, Router } from 'express';
import type { Pool } from 'pg';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { connectorMetricsRegistry } from './connector-breaker';
import { routeLabel } from './route-label';
import type { Logger } from './logger';

const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface MetricsOptions {
  /** Where `kassa_payments` counts payments; without it that gauge is absent. */
  db?: Pool;
  /** The Temporal Runtime's Prometheus endpoint (`http://127.0.0.1:PORT/metrics`) to append. */
  temporalMetricsUrl?: string;
  /** Whether a callback path names a configured provider; any other is labelled `unknown`. */
  isProvider?: (name: string) => boolean;
}

export type Metrics = ReturnType<typeof createMetrics>;

/** One registry per Kassa instance (tests run several in a process). */
export function createMetrics(options: MetricsOptions = {}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const isProvider = options.isProvider ?? (() => false);

  if (options.db) {
    const db = options.db;
    new Gauge({
      name: 'kassa_payments',
      help: 'Payments by current status, method and mode, counted in the database at scrape time (the same in every process: aggregate with max, not sum)',
      labelNames: ['status', 'method', 'mode'] as const,
      registers,
      async collect() {
        this.reset();
        // A database that does not answer leaves the gauge empty rather than failing the whole scrape.
        const rows = await db
          .query<{ status: string; method: string | null; test_mode: boolean; count: string }>(
            'select status, method, test_mode, count(*) as count from payments group by status, method, test_mode',
          )
          .then(
            (result) => result.rows,
            () => [],
          );
        for (const row of rows) {
          this.set(
            { status: row.status, method: row.method ?? 'none', mode: row.test_mode ? 'test' : 'live' },
            Number(row.count),
          );
        }
      },
    });
    new Gauge({
      name: 'kassa_payment_oldest_awaiting_payment_seconds',
      help: 'Seconds since the oldest payment waiting for its provider (awaiting_payment) last changed, by method and mode, read in the database at scrape time (aggregate with max)',
      labelNames: ['method', 'mode'] as const,
      registers,
      async collect() {
        this.reset();
        const rows = await db
          .query<{ method: string | null; test_mode: boolean; age: string }>(
            `select method, test_mode, extract(epoch from now() - min(updated_at)) as age
               from payments where status = 'awaiting_payment' group by method, test_mode`,
          )
          .then(
            (result) => result.rows,
            () => [],
          );
        for (const row of rows)
          this.set({ method: row.method ?? 'none', mode: row.test_mode ? 'test' : 'live' }, Number(row.age));
      },
    });
    new Gauge({
      name: 'kassa_reconciliation_last_run_mismatches',
      help: 'Mismatches the last finished reconciliation run found; absent before the first run (aggregate with max)',
      registers,
      async collect() {
        this.reset();
        const rows = await db
          .query<{ mismatches: number }>(
            'select jsonb_array_length(mismatches) as mismatches from reconciliation_runs order by finished_at desc limit 1',
          )
          .then(
            (result) => result.rows,
            () => [],
          );
        if (rows[0]) this.set(rows[0].mismatches);
      },
    });
  }

  const metrics = {
    registry,
    httpDuration: new Histogram({
      name: 'kassa_http_request_duration_seconds',
      help: 'API, hosted page and callback requests by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: latencyBuckets,
      registers,
    }),
    callbacks: new Counter({
      name: 'kassa_provider_callbacks_total',
      help: 'Provider callbacks received: accepted, rejected_signature (401), rejected (other 4xx), error (5xx)',
      labelNames: ['provider', 'outcome'] as const,
      registers,
    }),
    statusChanges: new Counter({
      name: 'kassa_payment_status_changes_total',
      help: 'Payment status changes recorded by workflows, by new status and method',
      labelNames: ['status', 'method'] as const,
      registers,
    }),
    providerCallDuration: new Histogram({
      name: 'kassa_provider_call_duration_seconds',
      help: 'Provider API calls made by activities (create, check) by method and outcome',
      labelNames: ['operation', 'method', 'outcome'] as const,
      buckets: latencyBuckets,
      registers,
    }),
    webhookDuration: new Histogram({
      name: 'kassa_webhook_delivery_duration_seconds',
      help: 'Merchant webhook delivery attempts by outcome (delivered, failed)',
      labelNames: ['outcome', 'source'] as const,
      buckets: latencyBuckets,
      registers,
    }),
    webhookAttempts: new Counter({
      name: 'kassa_webhook_delivery_attempts_total',
      help: 'Merchant webhook delivery attempts by outcome; failed ones are retried with backoff for days',
      labelNames: ['outcome', 'source'] as const,
      registers,
    }),
    activityDuration: new Histogram({
      name: 'kassa_activity_duration_seconds',
      help: 'Every activity execution (each retry counts) by type and outcome',
      labelNames: ['activity', 'outcome'] as const,
      buckets: latencyBuckets,
      registers,
    }),

    /** Called by the request-context middleware once a response is sent. */
    observeRequest(req: Request, status: number, seconds: number) {
      const route = routeLabel(req);
      metrics.httpDuration.observe({ method: req.method, route, status: String(status) }, seconds);
      if (route.startsWith('/callbacks/:provider')) {
        const name = (req.originalUrl.split('?')[0] ?? '').split('/')[2] ?? '';
        const outcome =
          status < 300 ? 'accepted' : status === 401 ? 'rejected_signature' : status < 500 ? 'rejected' : 'error';
        metrics.callbacks.inc({ provider: isProvider(name) ? name : 'unknown', outcome });
      }
    },

    /** The whole exposition: Kassa's registry, then the Temporal Runtime's series when it serves any. */
    async render(): Promise<string> {
      const own = `${await registry.metrics()}\n${await connectorMetricsRegistry.metrics()}`;
      if (!options.temporalMetricsUrl) return own;
      try {
        const response = await fetch(options.temporalMetricsUrl, { signal: AbortSignal.timeout(2000) });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        return `${own}\n${await response.text()}`;
      } catch (error) {
        return `${own}\n# temporal worker metrics unavailable: ${(error as Error).message}\n`;
      }
    },
  };
  return metrics;
}

/** `GET /metrics` for the API app, behind `guard` (the operator token there: the API port faces the internet). */
export function metricsRoutes(metrics: Metrics, guard: RequestHandler): Router {
  const router = Router();
  router.get('/metrics', guard, async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.render());
  });
  return router;
}

/** A free TCP port on the loopback interface (for the Temporal Runtime's exporter when none is configured). */
export async function pickLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A listener serving only `GET /metrics`, without auth, for a private scrape network (`METRICS_PORT`). */
export async function startMetricsServer(metrics: Metrics, host: string, port: number): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('GET /metrics\n');
      return;
    }
    metrics.render().then(
      (body) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body),
      (error: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${error.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

const providerOperations: Record<string, string> = {
  createProviderPayment: 'create',
  checkProviderPayment: 'check',
  cancelProviderPayment: 'cancel',
};
const webhookActivities: Record<string, string> = { notifyMerchant: 'workflow', resendEvent: 'operator' };

/** The payment an activity works for, from its workflow id (`payment-pay_…`) or its input. */
function paymentOf(workflowId: string, input: unknown): string | undefined {
  const fromWorkflow = /^payment-(pay_[0-9A-Za-z]+)$/.exec(workflowId)?.[1];
  if (fromWorkflow) return fromWorkflow;
  const paymentId = (input as { paymentId?: unknown } | undefined)?.paymentId;
  return typeof paymentId === 'string' ? paymentId : undefined;
}

/**
 * An activity interceptor that times every activity execution into the histograms above and
 * logs its outcome with the workflow id, payment id, activity type and attempt.
 */
export function activityObserver(metrics: Metrics, logger: Logger): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const { activityType, attempt, isLocal, workflowExecution } = ctx.info;
        const request = input.args[0] as Record<string, unknown> | undefined;
        const started = performance.now();
        let outcome = 'ok';
        let failure: unknown;
        try {
          return await next(input);
        } catch (error) {
          failure = error;
          outcome = error instanceof CancelledFailure ? 'canceled' : 'failed';
          throw error;
        } finally {
          const seconds = (performance.now() - started) / 1000;
          metrics.activityDuration.observe({ activity: activityType, outcome }, seconds);
          const operation = providerOperations[activityType];
          if (operation) {
            metrics.providerCallDuration.observe(
              { operation, method: String(request?.method ?? 'unknown'), outcome },
              seconds,
            );
          }
          const source = webhookActivities[activityType];
          if (source) {
            const delivery = outcome === 'ok' ? 'delivered' : 'failed';
            metrics.webhookDuration.observe({ outcome: delivery, source }, seconds);
            metrics.webhookAttempts.inc({ outcome: delivery, source });
          }
          if (activityType === 'recordPaymentStatus' && outcome === 'ok' && typeof request?.status === 'string') {
            metrics.statusChanges.inc({
              status: request.status,
              method: typeof request.method === 'string' ? request.method : 'none',
            });
          }
          const workflowId = workflowExecution?.workflowId ?? '';
          const paymentId = paymentOf(workflowId, request);
          const fields = {
            workflowId,
            ...(paymentId && { paymentId }),
            activity: activityType,
            attempt,
            durationMs: Math.round(seconds * 1000),
            outcome,
            ...(failure !== undefined && { error: (failure as Error).message }),
          };
          if (outcome === 'failed') logger.warn(fields, `activity ${activityType} failed (attempt ${attempt})`);
          else if (isLocal) logger.debug(fields, `activity ${activityType} ${outcome}`);
          else logger.info(fields, `activity ${activityType} ${outcome}`);
        }
      },
    },
  });
}
