import express, { type Express } from 'express';
import { defaultRetryDelaysMs } from '../common/callbacks';
import { createCallbackSender } from './callbacks';
import { type SandboxContext, requireApiKey } from './context';
import { errorHandler, notFound } from './errors';
import { FaultBook } from './faults';
import { cardRoutes } from './routes/cards';
import { checkoutRoutes } from './routes/checkout';
import { faultRoutes } from './routes/faults';
import { paymentRoutes } from './routes/payments';
import { payoutRoutes } from './routes/payouts';
import { refundRoutes } from './routes/refunds';
import { reportRoutes } from './routes/report';
import { statusRoutes } from './routes/status';
import { SandboxStore } from './store';

export interface SandboxOptions {
  /** Expected in `Authorization: Bearer <apiKey>` on every `/api` route. */
  apiKey: string;
  /** Key of the HMAC in each callback's `Sandbox-Signature`. */
  webhookSecret: string;
  /** One line per notable event (payments, callback attempts). Silent when absent. */
  log?: (line: string) => void;
  /** Waits before each callback retry. Default 500, 1000, 2000, 4000, 8000 ms (5 retries). */
  retryDelaysMs?: readonly number[];
  /** Per callback attempt. Default 10 000. */
  callbackTimeoutMs?: number;
}

/** The sandbox's express app plus a way to stop its scheduled and in-flight callbacks. */
export type SandboxApp = Express & { stopCallbacks(): void };

/**
 * The sandbox payment provider's HTTP app, without listening: its API under `/api` (payments,
 * refunds, payouts, card tokens, the report, faults; every create takes an `Idempotency-Key`),
 * the card holder's `/card-tokens`, the buyer's hosted page under `/checkout`, `/healthz`, and
 * signed callbacks to each payment's `callback_url`.
 */
export function createSandboxApp(opts: SandboxOptions): SandboxApp {
  const log = opts.log ?? (() => undefined);
  const context: SandboxContext = {
    store: new SandboxStore(),
    faults: new FaultBook(),
    callbacks: createCallbackSender({
      webhookSecret: opts.webhookSecret,
      log,
      retryDelaysMs: opts.retryDelaysMs ?? defaultRetryDelaysMs,
      timeoutMs: opts.callbackTimeoutMs ?? 10_000,
    }),
    log,
  };

  const app = express();
  app.disable('x-powered-by');
  app.use(statusRoutes());
  app.use('/api', requireApiKey(opts.apiKey), express.json({ limit: '64kb' }));
  app.use(
    cardRoutes(context),
    paymentRoutes(context),
    refundRoutes(context),
    payoutRoutes(context),
    reportRoutes(context),
    faultRoutes(context),
  );
  app.use('/api', () => {
    throw notFound('no such route');
  });
  app.use(checkoutRoutes(context));
  app.use(errorHandler(log));

  return Object.assign(app, { stopCallbacks: () => context.callbacks.stop() });
}
