import { listen, type SimulatorServer } from '../common/server';
import { createWebMoneyApp, type WebMoneyOptions } from './app';

export type { WebMoneyOptions } from './app';

/** The WebMoney simulator listening on `host:port` (0 picks a free one). */
export async function startWebMoneyServer(
  opts: WebMoneyOptions & { port: number; host?: string },
): Promise<SimulatorServer> {
  const app = createWebMoneyApp(opts);
  return listen(app, { port: opts.port, host: opts.host, stop: () => app.stopCallbacks() });
}
