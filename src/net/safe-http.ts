/**
 * The one HTTP client for URLs a merchant controls (webhooks, site verification). Node's `fetch`
 * ignores agents, so this is `http.request` with a `lookup` that checks every address a name
 * resolves to and refuses the connection if any is internal; IP literals in any spelling are
 * checked before connecting; credentials in URLs are refused; redirects are never followed
 * implicitly (`getFollowingRedirects` re-checks each hop). A connection is checked when it is made,
 * so one kept alive ({@link SafeHttpOptions.connections}) goes on to the address that was allowed.
 */
import dns from 'node:dns';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import net, { type LookupFunction } from 'node:net';
import { blockedHostReason, urlProblem } from './address-policy';

export type Resolver = (hostname: string) => Promise<{ address: string; family: number }[]>;

export interface SafeHttpOptions {
  /** Allow loopback, private and link-local destinations (development, or the operator's choice). */
  allowPrivate: boolean;
  /** Name resolution; `dns.lookup` with `all: true` unless given (tests inject one). */
  resolve?: Resolver;
  /**
   * Maps a vetted address to the one actually dialled. Identity in production; tests use it to
   * serve a public-looking address from a loopback server without sending traffic elsewhere.
   */
  dial?: (address: string) => string;
  /** For the whole exchange. Default 10 000. */
  timeoutMs?: number;
  /** The response body is cut at this many bytes. Default 64 KiB. */
  maxResponseBytes?: number;
  /**
   * Connections kept alive between requests to the same host (from {@link keptAliveConnections});
   * without them every request has a connection of its own. One set serves requests with the same
   * `allowPrivate`, `resolve` and `dial` only: a kept connection is not checked again.
   */
  connections?: KeptAliveConnections;
}

/** An agent per protocol that keeps connections open between requests. */
export interface KeptAliveConnections {
  'http:': http.Agent;
  'https:': https.Agent;
}

/**
 * Agents that keep a connection open for `idleMs` (default 4 s) after its last answer, or less
 * when the server announces a shorter idle time in `Keep-Alive` (Node closes it a second before).
 */
export function keptAliveConnections(options: { idleMs?: number } = {}): KeptAliveConnections {
  const settings = { keepAlive: true, timeout: options.idleMs ?? 4_000 };
  return { 'http:': new http.Agent(settings), 'https:': new https.Agent(settings) };
}

/** The failures of a request that went out on a kept connection the server had closed meanwhile. */
const staleConnectionCodes = new Set(['ECONNRESET', 'EPIPE']);

/** A URL or destination Kassa refuses to contact. */
export class UnsafeUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeUrlError';
  }
}

export interface SafeResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The URL that answered (after redirects, for `getFollowingRedirects`). */
  url: string;
}

const systemResolver: Resolver = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

function guardedLookup(options: SafeHttpOptions): LookupFunction {
  const resolve = options.resolve ?? systemResolver;
  const dial = options.dial ?? ((address: string) => address);
  return (hostname, lookupOptions, callback) => {
    resolve(hostname)
      .then((addresses) => {
        if (addresses.length === 0)
          throw Object.assign(new Error(`${hostname} does not resolve`), { code: 'ENOTFOUND' });
        if (!options.allowPrivate) {
          for (const { address } of addresses) {
            const reason = blockedHostReason(address);
            if (reason) throw new UnsafeUrlError(`${hostname} resolves to ${address}, ${reason}`);
          }
        }
        const dialled = addresses.map(({ address }) => ({ address: dial(address), family: net.isIP(dial(address)) }));
        if (lookupOptions.all) callback(null, dialled);
        else callback(null, dialled[0]!.address, dialled[0]!.family);
      })
      .catch((error: NodeJS.ErrnoException) => callback(error, '', 0));
  };
}

/**
 * One request to `url`; a `3xx` is returned as is. Throws {@link UnsafeUrlError} for a refused
 * destination and an error named `TimeoutError` when no full answer comes in time.
 */
export function safeRequest(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string },
  options: SafeHttpOptions,
): Promise<SafeResponse> {
  const problem = urlProblem(url, { allowPrivate: options.allowPrivate });
  if (problem) return Promise.reject(new UnsafeUrlError(`${url} ${problem}`));
  const target = new URL(url);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxResponseBytes ?? 65_536;
  const client = target.protocol === 'https:' ? https : http;
  const kept = options.connections?.[target.protocol as keyof KeptAliveConnections];
  const send = (agent: http.Agent | false): Promise<SafeResponse> =>
    new Promise((resolve, reject) => {
      let answered = false;
      const request = client.request(
        {
          protocol: target.protocol,
          hostname: target.hostname.replace(/^\[(.*)\]$/, '$1'),
          port: target.port || undefined,
          path: `${target.pathname}${target.search}`,
          method: init.method ?? 'GET',
          headers: {
            ...init.headers,
            ...(init.body !== undefined ? { 'content-length': String(Buffer.byteLength(init.body)) } : {}),
          },
          lookup: guardedLookup(options),
          agent,
        },
        (response) => {
          answered = true;
          const chunks: Buffer[] = [];
          let size = 0;
          const finish = () => {
            clearTimeout(timer);
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              body: Buffer.concat(chunks).toString('utf8'),
              url,
            });
          };
          response.on('data', (chunk: Buffer) => {
            if (size >= maxBytes) return;
            chunks.push(chunk.subarray(0, maxBytes - size));
            size += chunk.length;
            if (size >= maxBytes) {
              finish();
              response.destroy();
            }
          });
          response.on('end', finish);
          response.on('error', (error) => {
            clearTimeout(timer);
            reject(error);
          });
        },
      );
      const timer = setTimeout(() => {
        request.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { name: 'TimeoutError' }));
      }, timeoutMs);
      request.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        // A kept connection the server closed as the request went out: sent again once, on a new one.
        if (agent && request.reusedSocket && !answered && staleConnectionCodes.has(error.code ?? ''))
          resolve(send(false));
        else reject(error);
      });
      request.end(init.body);
    });
  return send(kept ?? false);
}

const redirectStatuses = new Set([301, 302, 303, 307, 308]);

/** A `GET` that follows up to `maxRedirects` redirects, each hop checked like the first. */
export async function getFollowingRedirects(
  url: string,
  options: SafeHttpOptions & { maxRedirects?: number; headers?: Record<string, string> },
): Promise<SafeResponse> {
  let current = url;
  for (let hop = 0; ; hop += 1) {
    const response = await safeRequest(current, { headers: options.headers }, options);
    const location = response.headers.location;
    if (!redirectStatuses.has(response.status) || !location) return response;
    if (hop >= (options.maxRedirects ?? 3))
      throw new Error(`more than ${options.maxRedirects ?? 3} redirects from ${url}`);
    current = new URL(location, current).toString();
  }
}
