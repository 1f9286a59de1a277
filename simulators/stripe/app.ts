import express, { type Express } from 'express';
import { z } from 'zod';
import { createCallbackSender, defaultRetryDelaysMs } from '../common/callbacks';
import { faultRoutes } from '../common/fault-routes';
import { FaultBook } from '../common/faults';
import { apiRoutes } from './api';
import { checkoutRoutes } from './checkout';
import type { StripeContext } from './context';
import { StripeStore } from './store';

export interface StripeSimulatorOptions {
  /** stripe-mock's base URL, e.g. `http://127.0.0.1:12111`: it checks every API request. */
  stripeMockUrl: string;
  log?: (line: string) => void;
  /** Waits before each webhook retry. Default 0.5, 1, 2, 4, 8 s. */
  retryDelaysMs?: readonly number[];
  /** Per webhook attempt. Default 10 000. */
  callbackTimeoutMs?: number;
}

export type StripeSimulatorApp = Express & { stopCallbacks(): void };

/**
 * The Stripe simulator's HTTP app: Stripe's API under `/v1` (checked by stripe-mock, answered from
 * its own objects), the hosted Checkout page under `/c/pay`, signed webhooks to the endpoints made
 * through the API, the test harness's `POST`/`DELETE /_simulator/faults`, and `/healthz`.
 */
export function createStripeSimulatorApp(opts: StripeSimulatorOptions): StripeSimulatorApp {
  const log = opts.log ?? (() => undefined);
  const context: StripeContext = {
    store: new StripeStore(),
    faults: new FaultBook(),
    sender: createCallbackSender({
      log,
      retryDelaysMs: opts.retryDelaysMs ?? defaultRetryDelaysMs,
      timeoutMs: opts.callbackTimeoutMs ?? 10_000,
    }),
    stripeMockUrl: opts.stripeMockUrl,
    log,
  };
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: 'stripe', pid: process.pid });
  });
  app.use(
    faultRoutes({
      path: '/_simulator/faults',
      faults: context.faults,
      reference: z.string().min(1).max(200),
      log,
    }),
  );
  app.use(apiRoutes(context));
  app.use(checkoutRoutes(context));
  app.use((err: unknown, req: express.Request, res: express.Response, _next: express.NextFunction) => {
    log(`internal error on ${req.method} ${req.originalUrl}: ${err instanceof Error ? err.stack : String(err)}`);
    if (res.headersSent) return;
    const status = (err as { status?: number }).status;
    const code = typeof status === 'number' && status < 500 ? status : 500;
    res.status(code).json({
      error: {
        type: code < 500 ? 'invalid_request_error' : 'api_error',
        message: 'the request could not be handled',
      },
    });
  });
  return Object.assign(app, { stopCallbacks: () => context.sender.stop() });
}
