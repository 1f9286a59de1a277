import { type SimulatorServer, listen } from '../common/server';
import { type StripeSimulatorOptions, createStripeSimulatorApp } from './app';

export type { StripeSimulatorOptions } from './app';

/** Listens on `host:port` (port 0 picks a free one). Rejects with the listen error, e.g. EADDRINUSE. */
export function startStripeSimulator(
  opts: StripeSimulatorOptions & { port: number; host?: string },
): Promise<SimulatorServer> {
  const app = createStripeSimulatorApp(opts);
  return listen(app, { port: opts.port, host: opts.host, stop: () => app.stopCallbacks() });
}
