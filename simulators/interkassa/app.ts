import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { createCallbackSender, defaultRetryDelaysMs } from '../common/callbacks';
import { faultRoutes } from '../common/fault-routes';
import { FaultBook } from '../common/faults';
import { apiRoutes } from './api';
import type { Checkout, InterkassaContext } from './context';
import { sciRoutes } from './sci';
import { InterkassaStore } from './store';
import { z } from 'zod';

export interface InterkassaOptions {
  checkout: Checkout;
  log?: (line: string) => void;
  /** Waits before each interaction retry. Default 0.5, 1, 2, 4, 8 s. */
  retryDelaysMs?: readonly number[];
  /** Per interaction attempt. Default 10 000. */
  timeoutMs?: number;
}

export type InterkassaApp = Express & { stop(): void };

/**
 * Interkassa's checkout as one HTTP app: the SCI form at `/` and the buyer's page under `/pay`,
 * signed interactions to the shop, the REST API under `/v1`, `/healthz`, and the test harness's
 * fault knobs at `/_sim/faults` (keyed by `ik_pm_no`).
 */
export function createInterkassaApp(opts: InterkassaOptions): InterkassaApp {
  const log = opts.log ?? (() => undefined);
  const context: InterkassaContext = {
    checkout: opts.checkout,
    store: new InterkassaStore(),
    faults: new FaultBook(),
    interactions: createCallbackSender({
      log,
      retryDelaysMs: opts.retryDelaysMs ?? defaultRetryDelaysMs,
      timeoutMs: opts.timeoutMs ?? 10_000,
      accepted: ({ status }) => status === 200,
    }),
    log,
  };
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.get('/healthz', (_req, res) => {
    res.json({ simulator: 'interkassa', checkout_id: opts.checkout.id, pid: process.pid });
  });
  app.use(faultRoutes({ path: '/_sim/faults', faults: context.faults, reference: z.string().min(1).max(200), log }));
  app.use(apiRoutes(context));
  app.use(sciRoutes(context));
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    log(`error: ${err instanceof Error ? err.message : String(err)}`);
    const status = (err as { status?: number }).status;
    res
      .status(status && status >= 400 && status < 500 ? status : 500)
      .type('text/plain')
      .send('error');
  });
  return Object.assign(app, { stop: () => context.interactions.stop() });
}
