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

/** One request that went through the proxy to stripe-mock, and its answer. */
export interface StripeExchange {
  method: string;
  /** Path and query, percent-decoded. */
  path: string;
  idempotencyKey: string | undefined;
  /** The form-encoded request body. */
  params: URLSearchParams;
  status: number;
  answer: any;
}

export interface StripeMock {
  /**
   * A Stripe connector's `api_base`: a proxy in front of stripe-mock that records every exchange
   * and presents a live key (`sk_live_…`) as the test key of the same name, since stripe-mock
   * accepts test keys only and a live connector must hold a live key.
   */
  url: string;
  /** stripe-mock itself. */
  directUrl: string;
  /** What went through {@link url}, oldest first; tests may empty it. */
  exchanges: StripeExchange[];
  process: ChildProcess;
  stop(): Promise<void>;
}

async function startProxy(port: number, exchanges: StripeExchange[]): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const headers = { ...req.headers };
      if (typeof headers.authorization === 'string')
        headers.authorization = headers.authorization.replace(/^Bearer (sk|rk)_live_/, 'Bearer $1_test_');
      const key = req.headers['idempotency-key'];
      const upstream = http.request(
        { host: '127.0.0.1', port, method: req.method, path: req.url, headers },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => parts.push(chunk));
          answer.on('end', () => {
            const text = Buffer.concat(parts).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // not JSON: kept as text
            }
            exchanges.push({
              method: req.method!,
              path: decodeURIComponent(req.url!),
              idempotencyKey: typeof key === 'string' ? key : undefined,
              params: new URLSearchParams(body.toString('utf8')),
              status: answer.statusCode!,
              answer: parsed,
            });
            res.writeHead(answer.statusCode!, answer.headers);
            res.end(text);
          });
        },
      );
      upstream.once('error', () => res.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/**
 * A stripe-mock process serving HTTP (and HTTPS, unused) on ports the kernel picks on 127.0.0.1
 * (read back from its first lines), behind a recording proxy. It keeps no state: every answer is
 * a fixture that echoes some of the request's parameters.
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
  const exchanges: StripeExchange[] = [];
  const proxy = await startProxy(port, exchanges);
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    directUrl: `http://127.0.0.1:${port}`,
    exchanges,
    process: child,
    async stop() {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await stopChild(child, 'SIGTERM', 5_000);
    },
  };
}
