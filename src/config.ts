import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { notificationsKey, parseNotificationsKey } from './notifications/secrets';
import type { NotificationSettings } from './notifications/types';
import { ConfigError } from './config-error';
import { loadTemporalSettings, type TemporalSettings } from './temporal-settings';

export { ConfigError } from './config-error';

const port = z.coerce.number().int().min(0).max(65535);
const httpUrl = z
  .string()
  .url()
  .refine((value) => /^https?:\/\//.test(value), 'an http(s) URL')
  .transform((value) => value.replace(/\/+$/, ''));

/** A proxy express may trust: one of its names, or an address with an optional prefix length. */
const isProxyItem = (item: string) => {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(item)) return true;
  const [address, prefix, extra] = item.split('/');
  return extra === undefined && net.isIP(address ?? '') !== 0 && (prefix === undefined || /^\d{1,3}$/.test(prefix));
};

/** `TRUST_PROXY`: hops to trust (`1`), or the proxies' names, addresses and networks, comma-separated. */
const trustProxy = z
  .string()
  .transform((value) => value.split(',').map((item) => item.trim()))
  .refine(
    (items) => (items.length === 1 && /^\d{1,2}$/.test(items[0]!)) || items.every(isProxyItem),
    'a number of hops, or loopback, linklocal, uniquelocal, addresses and networks, comma-separated',
  )
  .transform((items) => (items.length === 1 && /^\d{1,2}$/.test(items[0]!) ? Number(items[0]) : items));

const envSchema = z
  .object({
    KASSA_ENV: z.enum(['development', 'test', 'production']).default('development'),
    KASSA_ROLE: z.enum(['all', 'api', 'worker']).default('all'),
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: port.default(3000),
    HTTP_KEEP_ALIVE_SECONDS: z.coerce.number().int().min(1).max(3600).default(65),
    PUBLIC_URL: httpUrl.optional(),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'a postgres:// URL')
      .optional(),
    DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
    TEMPORAL_ADDRESS: z
      .string()
      .regex(/^[^\s:]+:\d+$/, 'host:port')
      .optional(),
    TEMPORAL_TLS: z.enum(['true', 'false', '1', '0'], 'true or false').optional(),
    SANDBOX_URL: httpUrl.default('http://127.0.0.1:4100'),
    SANDBOX_API_KEY: z.string().min(8).default('sandbox_dev_key'),
    SANDBOX_WEBHOOK_SECRET: z.string().min(16).default('sandbox_dev_webhook_secret'),
    CONNECTOR_REFRESH_MS: z.coerce.number().int().min(0).max(3_600_000).default(2000),
    CONNECTOR_BREAKER_FAILURES: z.coerce.number().int().min(1).max(10_000).default(5),
    CONNECTOR_BREAKER_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
    CONNECTOR_BREAKER_PROBE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(30),
    ADMIN_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
    TEMPORAL_UI_URL: httpUrl.optional(),
    TRUST_PROXY: trustProxy.optional(),
    ALLOW_PRIVATE_WEBHOOK_URLS: z
      .enum(['true', 'false'])
      .optional()
      .transform((value) => (value === undefined ? undefined : value === 'true')),
    DATA_DIR: z.string().min(1).default('.data'),
    STATUS_POLL_SECONDS: z
      .string()
      .regex(/^\d+(,\d+)*$/, 'comma-separated whole seconds such as "30,60,300"')
      .default('30,60,300,900,3600'),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
    OTEL_EXPORTER: z.enum(['none', 'console', 'otlp'], 'none, console or otlp').default('none'),
    METRICS_PORT: port.optional(),
    TEMPORAL_METRICS_PORT: port.optional(),
    MIN_EXPIRES_IN_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
    RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(600),
    WORKFLOW_STACK_TRACE_LIMIT: z.coerce.number().int().min(3).max(100).default(4),
    WORKFLOW_CACHE_SIZE: z.coerce.number().int().min(1).max(1_000_000).default(1000),
    NOTIFICATIONS_KEY: z
      .string()
      .refine(
        (value) => parseNotificationsKey(value) !== null,
        '32 bytes as 64 hex digits or base64 (openssl rand -base64 32)',
      )
      .optional(),
    NOTIFICATIONS_KEY_PREVIOUS: z
      .string()
      .refine(
        (value) => value.split(',').every((part) => parseNotificationsKey(part) !== null),
        'keys NOTIFICATIONS_KEY replaced, comma-separated, each 32 bytes as 64 hex digits or base64',
      )
      .optional(),
    SMTP_URL: z
      .string()
      .regex(/^smtps?:\/\/[^\s]+$/, 'an smtp:// or smtps:// URL')
      .optional(),
    MAIL_FROM: z.string().min(3).max(320).default('Kassa <kassa@localhost>'),
    TELEGRAM_API_URL: httpUrl.default('https://api.telegram.org'),
    NOTIFICATION_RETRY_SECONDS: z
      .string()
      .regex(/^\d+,\d+$/, 'two whole seconds "first,longest" such as "1,2"')
      .optional(),
  })
  .refine((env) => env.KASSA_ENV !== 'production' || env.MIN_EXPIRES_IN_SECONDS >= 60, {
    message: 'must be at least 60 in production',
    path: ['MIN_EXPIRES_IN_SECONDS'],
  })
  .refine((env) => env.KASSA_ENV !== 'production' || env.NOTIFICATIONS_KEY !== undefined, {
    message:
      'is required in production (32 bytes, e.g. openssl rand -base64 32): it encrypts notification channel secrets',
    path: ['NOTIFICATIONS_KEY'],
  })
  .transform((env) => ({
    env: env.KASSA_ENV,
    role: env.KASSA_ROLE,
    host: env.HOST,
    port: env.PORT,
    /**
     * How long an idle kept-alive connection stays open: longer than a load balancer's own idle
     * timeout (60 s for most), or it sends a request on a connection Kassa is closing and answers 502.
     */
    httpKeepAliveSeconds: env.HTTP_KEEP_ALIVE_SECONDS,
    publicUrl: env.PUBLIC_URL ?? `http://${env.HOST}:${env.PORT}`,
    databaseUrl: env.DATABASE_URL,
    databasePoolMax: env.DATABASE_POOL_MAX,
    sandbox: { url: env.SANDBOX_URL, apiKey: env.SANDBOX_API_KEY, webhookSecret: env.SANDBOX_WEBHOOK_SECRET },
    /** How often each process reads the connectors table again for other processes' changes; 0: never. */
    connectorRefreshMs: env.CONNECTOR_REFRESH_MS,
    /** A connector pauses itself after `failures` failed creates within `windowSeconds`; probed after `probeSeconds`. */
    connectorBreaker: {
      failures: env.CONNECTOR_BREAKER_FAILURES,
      windowSeconds: env.CONNECTOR_BREAKER_WINDOW_SECONDS,
      probeSeconds: env.CONNECTOR_BREAKER_PROBE_SECONDS,
    },
    adminToken: env.ADMIN_TOKEN,
    /** The Temporal UI the console links payments' workflows into; unset: no links. */
    temporalUiUrl: env.TEMPORAL_UI_URL ?? null,
    allowPrivateWebhookUrls: env.ALLOW_PRIVATE_WEBHOOK_URLS ?? env.KASSA_ENV !== 'production',
    /** The reverse proxies whose `X-Forwarded-For` names the caller (a provider's address is checked); unset: none. */
    trustProxy: env.TRUST_PROXY ?? null,
    dataDir: env.DATA_DIR,
    statusPollSeconds: env.STATUS_POLL_SECONDS.split(',').map(Number),
    logLevel: env.LOG_LEVEL,
    /** Where traces go: `none` (off), `console`, or `otlp` (OTLP/HTTP to `OTEL_EXPORTER_OTLP_ENDPOINT`). */
    otelExporter: env.OTEL_EXPORTER,
    /** When set, every process also serves `GET /metrics` without auth on `HOST:METRICS_PORT`. */
    metricsPort: env.METRICS_PORT,
    /** Loopback port of the Temporal Runtime's Prometheus exporter (worker processes); a free one when unset. */
    temporalMetricsPort: env.TEMPORAL_METRICS_PORT,
    /** The smallest `expires_in` a merchant may ask for: 60, lowered only so tests can watch a payment expire. */
    minExpiresInSeconds: env.MIN_EXPIRES_IN_SECONDS,
    /** Requests each API key (and the operator token) may make per minute, with bursts up to the same number. */
    rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
    /** Frames kept in the workflow threads' stack traces, the capture's own two among them (docs/operations.md). */
    workflowStackTraceLimit: env.WORKFLOW_STACK_TRACE_LIMIT,
    /** Workflows a worker keeps in memory between their tasks; the rest replay their history when they move (docs/operations.md §6). */
    workflowCacheSize: env.WORKFLOW_CACHE_SIZE,
    /** Merchant notification channels besides webhooks (e-mail, Telegram, SMS) and buyer receipts. */
    notifications: {
      /** Encrypts channel secrets at rest; unset outside production: a key generated into `DATA_DIR/notifications-key`. */
      key: env.NOTIFICATIONS_KEY === undefined ? null : parseNotificationsKey(env.NOTIFICATIONS_KEY),
      /** Keys `NOTIFICATIONS_KEY` replaced: they only decrypt, until every secret is sealed again with the current one. */
      previousKeys: (env.NOTIFICATIONS_KEY_PREVIOUS?.split(',') ?? []).map((part) => parseNotificationsKey(part)!),
      /** Unset: e-mail goes to the dev mail log `DATA_DIR/mail` (development, test) and e-mail channels are refused (production). */
      smtpUrl: env.SMTP_URL ?? null,
      mailFrom: env.MAIL_FROM,
      telegramApiUrl: env.TELEGRAM_API_URL,
      /** First and longest wait between channel retries, replacing each channel's own schedule (tests, drills). */
      retrySeconds: env.NOTIFICATION_RETRY_SECONDS
        ? (env.NOTIFICATION_RETRY_SECONDS.split(',').map(Number) as [number, number])
        : null,
    },
  }));

/** Kassa's whole configuration, parsed once from the environment at boot. */
export type Config = z.infer<typeof envSchema> & {
  /** The Temporal cluster: `TEMPORAL_*` variables and an optional profile file (src/temporal-settings.ts). */
  temporal: TemporalSettings;
};

/** Variables whose value a configuration error never repeats. */
const secretVariables = new Set([
  'NOTIFICATIONS_KEY',
  'NOTIFICATIONS_KEY_PREVIOUS',
  'SMTP_URL',
  'ADMIN_TOKEN',
  'SANDBOX_API_KEY',
  'SANDBOX_WEBHOOK_SECRET',
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS_CLIENT_KEY_DATA',
]);

/**
 * Parses the environment; an empty variable counts as unset. A bad value throws a {@link ConfigError} whose message names the
 * variable and the form it expects, e.g. `PORT must be a number (got "abc")`.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const set = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  ) as Record<string, string>;
  const result = envSchema.safeParse(set);
  if (result.success) return { ...result.data, temporal: loadTemporalSettings(set) };
  const issue = result.error.issues[0]!;
  const name = String(issue.path[0] ?? 'environment');
  const got = env[name] === undefined || secretVariables.has(name) ? '' : ` (got ${JSON.stringify(env[name])})`;
  throw new ConfigError(`${name}: ${issue.message}${got}`);
}

/** How the worker delivers notifications, from config (the composition root calls this once). */
export function notificationSettings(config: Config): NotificationSettings {
  return {
    key: notificationsKey(config),
    previousKeys: config.notifications.previousKeys,
    smtpUrl: config.notifications.smtpUrl,
    mailLogDir: config.notifications.smtpUrl || config.env === 'production' ? null : mailLogDir(config),
    mailFrom: config.notifications.mailFrom,
    telegramApiUrl: config.notifications.telegramApiUrl,
    retrySeconds: config.notifications.retrySeconds,
    allowPrivateUrls: config.allowPrivateWebhookUrls,
  };
}

/** The dev mail log's directory: e-mail goes there outside production when `SMTP_URL` is unset. */
export const mailLogDir = (config: Pick<Config, 'dataDir'>) => path.resolve(config.dataDir, 'mail');

/** Whether e-mail can go anywhere: SMTP, or the dev mail log. */
export const emailAvailable = (config: Config) => config.notifications.smtpUrl !== null || config.env !== 'production';
