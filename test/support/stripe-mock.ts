import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { stopChild } from './processes';

const root = path.resolve(__dirname, '../..');

/** The stripe-mock executable: `STRIPE_MOCK`, else the pinned version in .tools (installed on first use). */
export function stripeMockBinary(): string {
  const out = execFileSync(process.execPath, [path.join(root, 'scripts/setup-stripe-mock.cjs')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out.trim().split('\n').pop()!;
}

export interface StripeMock {
  /** `http://127.0.0.1:<port>`: a test Stripe connector's `api_base`. */
  url: string;
  /**
   * The same stripe-mock behind a proxy that presents a live key (`sk_live_…`) as the test key of
   * the same name: stripe-mock accepts test keys only, and a live connector must hold a live key.
   */
  liveUrl: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Forwards every request to `port`, a `Bearer sk_live_…`/`rk_live_…` key rewritten to its test twin. */
async function startLiveKeyProxy(port: number): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const headers = { ...req.headers };
    if (typeof headers.authorization === 'string')
      headers.authorization = headers.authorization.replace(/^Bearer (sk|rk)_live_/, 'Bearer $1_test_');
    const upstream = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.once('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/**
 * A stripe-mock process serving HTTP (and HTTPS, unused) on ports the kernel picks on 127.0.0.1 (read back
 * from its first lines). It keeps no state: every answer is a fixture, the same ids every time.
 */
export async function startStripeMock(): Promise<StripeMock> {
  const child = spawn(stripeMockBinary(), ['-http-addr', '127.0.0.1:0', '-https-addr', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`stripe-mock did not listen within 15 s: ${seen}`)), 15_000);
    const read = (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const match = /Listening for HTTP at address: 127\.0\.0\.1:(\d+)/.exec(seen);
      if (!match) return;
      clearTimeout(timer);
      child.stdout!.off('data', read);
      child.stderr!.off('data', read);
      resolve(Number(match[1]));
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`stripe-mock exited with ${code}: ${seen}`));
    });
  });
  child.stdout!.resume();
  child.stderr!.resume();
  const proxy = await startLiveKeyProxy(port);
  return {
    url: `http://127.0.0.1:${port}`,
    liveUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    process: child,
    async stop() {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await stopChild(child, 'SIGTERM', 5_000);
    },
  };
}
