import { createServer } from 'node:http';
import { type AddressInfo, isIPv6 } from 'node:net';
import { type SandboxOptions, createSandboxApp } from './app';

export type { SandboxOptions } from './app';

export interface SandboxServer {
  url: string;
  port: number;
  /** Stops callbacks, drops open connections and stops listening. */
  close(): Promise<void>;
}

/** Listens on `host:port` (port 0 picks a free one). Rejects with the listen error, e.g. EADDRINUSE. */
export async function startSandboxServer(
  opts: SandboxOptions & { port: number; host?: string },
): Promise<SandboxServer> {
  const host = opts.host ?? '127.0.0.1';
  const app = createSandboxApp(opts);
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
        app.stopCallbacks();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
