import http from 'node:http';
import { verifyWebhook } from '../../src/domain/signatures';

/** Keep-alive sockets for every request the benchmark makes: loopback only, so they are cheap to hold. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256 });

export interface HttpResponse<T = any> {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: T;
  text: string;
}

/**
 * One HTTP request over node:http (lighter than fetch, which matters when the load generator
 * shares the cores with what it measures). JSON bodies are sent and parsed; nothing is followed.
 * A request that finds its kept-alive socket closed by the server (`ECONNRESET` on a reused socket,
 * the server's keep-alive timeout racing the send) is sent once more on a new socket, as Node's
 * documentation of `request.reusedSocket` advises.
 */
export function request<T = any>(
  url: string,
  options: {
    method?: string;
    token?: string;
    body?: unknown;
    rawBody?: string;
    headers?: Record<string, string>;
    timeoutMs?: number;
  } = {},
): Promise<HttpResponse<T>> {
  const target = new URL(url);
  const payload = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const headers: Record<string, string> = {
    accept: 'application/json',
    ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    ...(payload !== undefined
      ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }
      : {}),
    ...options.headers,
  };
  const send = (retried: boolean): Promise<HttpResponse<T>> =>
    new Promise((resolve, reject) => {
      const req = http.request(
        {
          agent,
          hostname: target.hostname,
          port: target.port,
          path: `${target.pathname}${target.search}`,
          method: options.method ?? 'GET',
          headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown = text;
            if ((res.headers['content-type'] ?? '').includes('json')) {
              try {
                body = JSON.parse(text);
              } catch {
                // left as text
              }
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: body as T, text });
          });
          res.on('error', reject);
        },
      );
      req.setTimeout(options.timeoutMs ?? 30_000, () =>
        req.destroy(new Error(`${options.method ?? 'GET'} ${url}: no answer within ${options.timeoutMs ?? 30_000} ms`)),
      );
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (!retried && req.reusedSocket && error.code === 'ECONNRESET') resolve(send(true));
        else reject(error);
      });
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  return send(false);
}

export function closeHttpAgent(): void {
  agent.destroy();
}

export interface Webhook {
  /** `performance.now()` when the request's body had arrived. */
  at: number;
  type: string;
  paymentId: string;
  paymentStatus: string;
  signatureValid: boolean;
}

/**
 * The merchant's webhook endpoint: a real HTTP server on loopback that answers 200 and tells
 * waiters, by payment id, when a payment's event arrives.
 */
export async function startMerchantReceiver() {
  let webhookSecret = '';
  const arrived = new Map<string, Webhook>();
  const waiters = new Map<string, (webhook: Webhook) => void>();
  let count = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const at = performance.now();
      const body = Buffer.concat(chunks).toString('utf8');
      res.statusCode = 200;
      res.end('ok');
      count += 1;
      let event: { type?: string; data?: { id?: string; status?: string } };
      try {
        event = JSON.parse(body);
      } catch {
        return;
      }
      const paymentId = event.data?.id;
      if (!paymentId) return;
      const header = (name: string) => String(req.headers[name] ?? '');
      const signatureValid = verifyWebhook(
        webhookSecret,
        { id: header('webhook-id'), timestamp: header('webhook-timestamp'), signature: header('webhook-signature') },
        body,
      );
      const webhook: Webhook = {
        at,
        type: event.type ?? '',
        paymentId,
        paymentStatus: event.data?.status ?? '',
        signatureValid,
      };
      const waiter = waiters.get(paymentId);
      if (waiter) {
        waiters.delete(paymentId);
        waiter(webhook);
      } else {
        arrived.set(paymentId, webhook);
      }
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/notify`;
  return {
    url,
    /** Webhooks received so far, all payments. */
    get count() {
      return count;
    },
    setSecret(secret: string) {
      webhookSecret = secret;
    },
    /** The first webhook for `paymentId`, whenever it came. */
    waitFor(paymentId: string, timeoutMs: number): Promise<Webhook> {
      const early = arrived.get(paymentId);
      if (early) {
        arrived.delete(paymentId);
        return Promise.resolve(early);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(paymentId);
          reject(new Error(`no webhook for ${paymentId} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.set(paymentId, (webhook) => {
          clearTimeout(timer);
          resolve(webhook);
        });
      });
    },
    /** Forgets webhooks nobody waited for (payments driven only part of the way). */
    forget(paymentId: string) {
      arrived.delete(paymentId);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type MerchantReceiver = Awaited<ReturnType<typeof startMerchantReceiver>>;
