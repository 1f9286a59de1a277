import { type SimulatorServer, listen } from '../common/server';
import { type SandboxOptions, createSandboxApp } from './app';

export type { SandboxOptions } from './app';

export type SandboxServer = SimulatorServer;

/** Listens on `host:port` (port 0 picks a free one). Rejects with the listen error, e.g. EADDRINUSE. */
export async function startSandboxServer(
  opts: SandboxOptions & { port: number; host?: string },
): Promise<SandboxServer> {
  const app = createSandboxApp(opts);
  return listen(app, { port: opts.port, host: opts.host, stop: () => app.stopCallbacks() });
}
