import { type RequestListener, createServer } from 'node:http';
import { type AddressInfo, isIPv6 } from 'node:net';

export interface SimulatorServer {
  url: string;
  port: number;
  /** Stops callbacks, drops open connections and stops listening. */
  close(): Promise<void>;
}

/**
 * Listens with `app` on `host:port` (port 0 picks a free one); `stop` cancels the app's background
 * work on close. Rejects with the listen error, e.g. EADDRINUSE.
 */
export async function listen(
  app: RequestListener,
  opts: { port: number; host?: string; stop?: () => void },
): Promise<SimulatorServer> {
  const host = opts.host ?? '127.0.0.1';
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${isIPv6(host) ? `[${host}]` : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        opts.stop?.();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
