/**
 * How a provider's HTTP call failed, classified once for every adapter: a request that never left
 * is safe to send again; one that timed out or lost its connection after sending may have taken
 * effect. And a provider's `Retry-After`, as the delay Kassa waits before asking again.
 */
import { type ProviderFailureKind, ProviderError } from './types';

/** Network errors that mean the connection was never made, so the request never left. */
const notSentCodes = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Whether a network error code means the request never left. */
export const neverSent = (code: string | undefined) => code !== undefined && notSentCodes.has(code);

function errorCodes(error: unknown): string[] {
  const cause = (error as { cause?: unknown })?.cause;
  if (cause instanceof AggregateError) return cause.errors.map((e: { code?: unknown }) => String(e?.code ?? ''));
  const code = (cause as { code?: unknown })?.code;
  return typeof code === 'string' ? [code] : [];
}

/**
 * A `fetch` that threw, in Kassa's terms: never sent → `transient` `unreachable`; no answer in time or
 * the connection lost after sending → `afterSend` (`indeterminate` for a call that moves money,
 * `transient` for a read).
 */
export function fetchFailure(
  error: unknown,
  what: string,
  afterSend: ProviderFailureKind,
  timeoutMs: number,
): ProviderError {
  const name = (error as { name?: unknown })?.name;
  if (name === 'TimeoutError' || name === 'AbortError')
    return new ProviderError(afterSend, 'timeout', `${what}: no answer within ${timeoutMs} ms`);
  const codes = errorCodes(error);
  if (codes.length > 0 && codes.every((code) => notSentCodes.has(code)))
    return new ProviderError('transient', 'unreachable', `${what}: ${codes[0]}`);
  const detail = codes[0] ?? (error instanceof Error ? error.message : String(error));
  return new ProviderError(afterSend, 'connection_lost', `${what}: ${detail}`);
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | string[] | null | undefined, now = new Date()): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d{1,7}$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

/** The options of a {@link ProviderError} that honours the provider's `Retry-After`. */
export const retryAfter = (value: string | string[] | null | undefined) => {
  const delay = retryAfterMs(value);
  return delay === undefined ? undefined : { retryAfterMs: delay };
};
