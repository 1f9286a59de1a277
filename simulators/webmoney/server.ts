import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { listen, type SimulatorServer } from '../common/server';
import { createWebMoneyApp, type WebMoneyOptions } from './app';

export type { WebMoneyOptions } from './app';

/** W3S's TLS: its server certificate, and the CA whose client certificates it takes (PEM). */
export interface X14Tls {
  port: number;
  cert: string;
  key: string;
  ca: string;
}

/**
 * The WebMoney simulator listening on `host:port` (0 picks a free one); with `x14`, X14 over
 * mutual TLS on its own port too (`x14Url`).
 */
export async function startWebMoneyServer(
  opts: WebMoneyOptions & { port: number; host?: string; x14?: X14Tls },
): Promise<SimulatorServer & { x14Url?: string }> {
  const app = createWebMoneyApp(opts);
  if (!opts.x14) return listen(app, { port: opts.port, host: opts.host, stop: () => app.stopCallbacks() });
  // X14 listens first: once the Merchant service answers, both do. A client certificate the CA did
  // not sign still completes the handshake, so the caller gets X14's answer (retval -4), not a reset.
  const tls = createHttpsServer(
    { cert: opts.x14.cert, key: opts.x14.key, ca: opts.x14.ca, requestCert: true, rejectUnauthorized: false },
    app.x14,
  );
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    tls.once('error', reject);
    tls.listen(opts.x14!.port, host, () => resolve());
  });
  const main = await listen(app, { port: opts.port, host: opts.host, stop: () => app.stopCallbacks() });
  return {
    ...main,
    x14Url: `https://${host}:${(tls.address() as AddressInfo).port}`,
    close: async () => {
      tls.close();
      tls.closeAllConnections();
      await main.close();
    },
  };
}
