/**
 * Kassa's logs: pino JSON lines on stdout, one object per line, ISO times.
 *
 * Two layers keep secrets out of them (PCI DSS: no card number in any log):
 * 1. `redact` paths censor the fields where secrets live (authorization headers, signature
 *    headers, webhook secrets, API keys, tokens);
 * 2. every finished line passes {@link scrubLine}, which looks at values wherever they are
 *    (messages, error stacks, nested objects): `sk_…` keys, `whsec_…` secrets, operator tokens,
 *    `Bearer …`, webhook and provider signatures, signed link parameters and every card number
 *    become `[REDACTED]`. What a card number is, is decided by `src/domain/card-numbers.ts`, the
 *    same test the API's input guard applies, so the two never disagree.
 *
 * A line written inside a traced operation (an HTTP request, an activity) carries its
 * `trace_id` and `span_id`, so logs and traces can be joined.
 */
import { trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';
import { isCardLikeInteger, luhnValid, replaceCardNumbers } from '../domain/card-numbers';

export { luhnValid };

export type { Logger } from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const censor = '[REDACTED]';

/** Field names whose value is a secret wherever they appear. */
const secretKey =
  /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api_?key|api_keys|password|passwd|secret|client_secret|webhook_?secret|admin_?token|token|access_token|refresh_token|signature|webhook-signature|sandbox-signature|stripe-signature|ik_sign|lmi_hash|card|card_?number|pan|cvv2?|cvc2?)$/i;

/** Where those fields sit in the objects Kassa logs (fast-redact paths, one wildcard level). */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers["webhook-signature"]',
  'headers["sandbox-signature"]',
  'headers["stripe-signature"]',
  '*.authorization',
  '*.password',
  '*.secret',
  '*.token',
  '*.signature',
  '*.webhook_secret',
  '*.webhookSecret',
  '*.api_key',
  '*.api_keys',
  '*.adminToken',
  'webhook_secret',
  'webhookSecret',
  'api_keys',
  'adminToken',
];

const valuePatterns: [RegExp, string][] = [
  [/\b(Bearer|Basic)\s+[\w.~+/=-]+/gi, `$1 ${censor}`],
  [/\bsk_(test|live)_[A-Za-z0-9]+/g, `sk_$1_${censor}`],
  [/\bwhsec_[A-Za-z0-9+/=]+/g, `whsec_${censor}`],
  [/\badm_[A-Za-z0-9]{8,}/g, `adm_${censor}`],
  // Standard Webhooks `v1,<base64>` and `t=…,v1=<hex>` provider signatures
  [/\bv1,[A-Za-z0-9+/]{16,}={0,2}/g, `v1,${censor}`],
  [/\bv1=[0-9A-Fa-f]{16,}/g, `v1=${censor}`],
  // signed link parameters and form fields: ?signature=…&token=…, ik_sign=…
  [/([?&;](?:signature|token|sign|ik_sign|LMI_HASH|secret|key|api_key)=)[^&\s"'#]+/gi, `$1${censor}`],
  // a secret-named field inside a logged JSON or header text
  [
    /(["']?(?:signature|secret|token|password|ik_sign|webhook_secret|authorization)["']?\s*[:=]\s*["']?)[^"',\s}]+/gi,
    `$1${censor}`,
  ],
];

/** Replaces every secret-looking part of `text`. */
export function scrubText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of valuePatterns) out = out.replace(pattern, replacement);
  return replaceCardNumbers(out, () => censor);
}

/**
 * What a line must hold to be worth parsing: a secret's mark, or 12 digits with at most separators
 * between them (white space, `-`, `.`, `/`, or white space as the line's JSON escapes it).
 */
const suspicious =
  /sk_(?:test|live)_|whsec_|adm_|bearer|basic|v1[,=]|sign|token|secret|password|authorization|cookie|card|pan"|cvv|cvc|api_?key|\d(?:(?:[\s\-./]|\\[nrtbf]|\\u[0-9a-f]{4})*\d){11}/i;

/** A parsed log value with every secret censored: secret-named keys, secret-looking strings, card-like numbers. */
export function scrubValue(value: unknown, key = '', depth = 0): unknown {
  if (key && secretKey.test(key) && value !== null && value !== undefined && value !== '') return censor;
  if (typeof value === 'string') return scrubText(value);
  if (typeof value === 'number') return isCardLikeInteger(value) ? censor : value;
  if (depth > 10 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, '', depth + 1));
  return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, scrubValue(item, name, depth + 1)]));
}

/**
 * One finished pino line, scrubbed. Lines with nothing suspicious pass untouched; others are
 * parsed, scrubbed field by field and re-serialized (a line that does not parse is scrubbed as text).
 */
export function scrubLine(line: string): string {
  if (!suspicious.test(line)) return line;
  const newline = line.endsWith('\n') ? '\n' : '';
  try {
    return JSON.stringify(scrubValue(JSON.parse(line))) + newline;
  } catch {
    return scrubText(line);
  }
}

/** Wraps a destination so that nothing reaches it unscrubbed. */
export function scrubbingDestination(destination: { write(chunk: string): unknown }): DestinationStream {
  return { write: (line: string) => destination.write(scrubLine(line)) };
}

export interface LoggerOptions {
  level: LogLevel;
  /** Where lines go; stdout by default (tests pass a collector). */
  destination?: { write(chunk: string): unknown };
  /** Fields on every line. */
  base?: Record<string, unknown>;
}

/** `trace_id`, `span_id` and `trace_flags` of the span active where the line is written, if any. */
export function traceFields(): Record<string, string> {
  const span = trace.getActiveSpan()?.spanContext();
  if (!span || !trace.isSpanContextValid(span)) return {};
  return { trace_id: span.traceId, span_id: span.spanId, trace_flags: `0${span.traceFlags.toString(16)}`.slice(-2) };
}

/** The process logger. Children (`logger.child({ requestId })`) share its scrubbing destination. */
export function createLogger(options: LoggerOptions): Logger {
  const destination = options.destination ?? pino.destination({ dest: 1, sync: true });
  return pino(
    {
      level: options.level,
      base: { service: 'kassa', pid: process.pid, ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: traceFields,
      redact: { paths: redactPaths, censor },
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    },
    scrubbingDestination(destination),
  );
}

/** A logger that writes nothing (for code paths built without one). */
export const silentLogger: Logger = pino({ level: 'silent' });

/**
 * The Temporal SDK's logger interface over pino, for `Runtime.install({ logger })`: workflow and
 * activity log lines then carry `workflowId`, `runId`, `activityType`, … as JSON fields.
 */
export function temporalLogger(logger: Logger) {
  const levels = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;
  const log = (level: keyof typeof levels, message: string, meta?: Record<string, unknown>) =>
    logger[levels[level]]({ ...meta, component: 'temporal' }, message);
  return {
    log,
    trace: (message: string, meta?: Record<string, unknown>) => log('TRACE', message, meta),
    debug: (message: string, meta?: Record<string, unknown>) => log('DEBUG', message, meta),
    info: (message: string, meta?: Record<string, unknown>) => log('INFO', message, meta),
    warn: (message: string, meta?: Record<string, unknown>) => log('WARN', message, meta),
    error: (message: string, meta?: Record<string, unknown>) => log('ERROR', message, meta),
  };
}
