/**
 * Kassa's composition root: config → database → Temporal → providers → activities → worker,
 * and the HTTP API beside it. `KASSA_ROLE` picks what this process runs: `api`, `worker` or
 * `all` (both, the default).
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Client } from '@temporalio/client';
import type { Context } from '@temporalio/activity';
import { bundleWorkflowCode, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Pool } from 'pg';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/worker';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createActivities } from './src/activities';
import { requestContextClientInterceptor } from './src/api/request-context';
import { createApp } from './src/api/app';
import { type Config, ConfigError, loadConfig } from './src/config';
import { EmbeddedPostgresError, startEmbeddedPostgres, stopEmbeddedServers } from './src/db/embedded';
import { migrate } from './src/db/migrate';
import { sealPlaintextWebhookSecrets } from './src/db/checkouts';
import { resealSecrets } from './src/db/secret-rotation';
import { notificationsKey } from './src/notifications/secrets';
import { notificationSettings } from './src/config';
import { createPool } from './src/db/pool';
import { stopWhenParentExits } from './src/parent-watch';
import { randomToken } from './src/domain/ids';
import { loadProviderRegistry, type ProviderRegistry } from './src/providers/registry';
import { loadStoredConnectors } from './src/db/connectors';
import { prepareConnectors } from './src/services/connectors';
import type { ServiceDeps } from './src/services/deps';
import { startLookupCache } from './src/services/lookup-cache';
import { startOutboxSweep } from './src/temporal/outbox';
import { connectClient, connectWorker, describeTemporal } from './src/temporal/connection';
import { prepareSearchAttributes, searchAttributeClientInterceptor } from './src/temporal/search-attributes';
import { ensureReconciliationSchedule } from './src/temporal/start';
import { StartedMarks } from './src/temporal/started-marks';
import { withWorkflowStackTraceLimit } from './src/temporal/stack-trace-limit';
import { taskQueue } from './src/workflows/shared';
import type { Observability } from './src/observability';
import { createLogger, temporalLogger } from './src/observability/logger';
import { activityObserver, createMetrics, pickLoopbackPort, startMetricsServer } from './src/observability/metrics';
import { startTracing } from './src/observability/tracing';

export interface KassaOptions {
  /** A prebuilt workflow bundle (tests build one per file and share it). */
  workflowBundle?: WorkflowBundleWithSourceMap;
  /** Replaces the connector registry read from the database (tests). */
  providers?: ProviderRegistry;
  /** Where log lines go instead of stdout (tests). */
  logDestination?: { write(chunk: string): unknown };
  /** Traces go here whatever `OTEL_EXPORTER` says (tests: an in-memory exporter). */
  spanExporter?: SpanExporter;
  /** The Temporal Runtime's Prometheus endpoint, appended to `/metrics` (main() installs the Runtime). */
  temporalMetricsUrl?: string;
}

export interface RunningKassa {
  config: Config;
  /** Base URL of the HTTP API when this process serves it. */
  url?: string;
  db: Pool;
  temporal: Client;
  /** The connector registry this process serves with. */
  providers?: ProviderRegistry;
  observability: Observability;
  close(): Promise<void>;
}

const cachedBundles = new Map<boolean, Promise<WorkflowBundleWithSourceMap>>();

/**
 * The workflow code, bundled once per process; with `tracing`, the OpenTelemetry workflow interceptors are bundled in.
 * The compiled worker (`npm run build`) reads the bundles the build wrote beside it instead of running webpack.
 */
export function workflowBundle(options: { tracing?: boolean } = {}): Promise<WorkflowBundleWithSourceMap> {
  const tracing = options.tracing ?? false;
  let bundle = cachedBundles.get(tracing);
  const prebuilt = path.join(__dirname, tracing ? 'workflow-bundle-tracing.js' : 'workflow-bundle.js');
  if (!bundle && fs.existsSync(prebuilt)) {
    bundle = fs.promises.readFile(prebuilt, 'utf8').then((code) => ({ code, sourceMap: '' }));
    cachedBundles.set(tracing, bundle);
  }
  if (!bundle) {
    const workflowInterceptorModules = [
      require.resolve('./src/workflows/search-attribute-guard'),
      ...(tracing ? [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')] : []),
    ];
    bundle = bundleWorkflowCode({
      workflowsPath: require.resolve('./src/workflows'),
      workflowInterceptorModules,
      logger: quietBundlerLogger,
    });
    cachedBundles.set(tracing, bundle);
  }
  return bundle;
}

const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};

function adminTokenFor(config: Config): string {
  if (config.adminToken) return config.adminToken;
  const file = path.join(config.dataDir, 'admin-token');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const token = `adm_${randomToken(40)}`;
  fs.mkdirSync(config.dataDir, { recursive: true });
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}

async function listen(server: http.Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new ConfigError(`port ${port} is in use: set PORT to a free port`) : error),
    );
    server.listen(port, host, () => resolve());
  });
  return (server.address() as { port: number }).port;
}

/**
 * One line per startup step, `{ startupStep, durationMs, detail }`: `npm start` shows them as
 * "database  1.9 s  …". Steps: database, migrations, workflow bundle, worker, API.
 */
export interface StartupStep {
  startupStep: 'database' | 'migrations' | 'workflow bundle' | 'worker' | 'API';
  durationMs: number;
  detail?: string;
}

async function timed<T>(
  logger: { info(fields: object, message: string): void },
  step: StartupStep['startupStep'],
  run: () => Promise<T>,
  detail?: (result: T) => string | undefined,
): Promise<T> {
  const started = performance.now();
  const result = await run();
  const fields: StartupStep = {
    startupStep: step,
    durationMs: Math.round(performance.now() - started),
    detail: detail?.(result),
  };
  logger.info(fields, `${step} ready`);
  return result;
}

/**
 * Installs the Temporal SDK's runtime once per process, with its Prometheus exporter on
 * `metricsBindAddress` (`host:port`) when given: worker processes append its series to `/metrics`.
 * Answers the exporter's URL.
 */
export function installTemporalRuntime(
  logger: Runtime['logger'],
  metricsBindAddress: string | null,
): string | undefined {
  if (metricsBindAddress === null) {
    Runtime.install({ logger });
    return undefined;
  }
  const prometheus = {
    bindAddress: metricsBindAddress,
    countersTotalSuffix: true,
    unitSuffix: true,
    useSecondsForDurations: true,
  };
  Runtime.install({ logger, telemetryOptions: { metrics: { prometheus } } });
  return `http://${metricsBindAddress}/metrics`;
}

/** Starts what `config.role` asks for and returns a handle that stops all of it. */
export async function startKassa(config: Config, options: KassaOptions = {}): Promise<RunningKassa> {
  const closers: (() => Promise<unknown>)[] = [];
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      for (const closer of closers.reverse())
        await closer().catch((error) => console.error(`shutdown: ${error.message}`));
    })());
  let embeddedDescription: string | undefined;
  try {
    const logger = createLogger({
      level: config.logLevel,
      destination: options.logDestination,
      base: { role: config.role },
    });
    const tracing = startTracing({ exporter: config.otelExporter, spanExporter: options.spanExporter });
    if (tracing) closers.push(() => tracing.shutdown());
    const db = await timed(
      logger,
      'database',
      async () => {
        let databaseUrl = config.databaseUrl;
        if (!databaseUrl) {
          const embedded = await startEmbeddedPostgres(path.join(config.dataDir, 'postgres'), {
            logFile: path.join(config.dataDir, 'logs', 'postgres.log'),
            passwordFile: path.join(config.dataDir, 'postgres-password'),
          });
          closers.push(() => embedded.stop());
          databaseUrl = embedded.url;
          embeddedDescription = `embedded PostgreSQL ${embedded.version}${embedded.created ? ', created' : ''} in ${embedded.dataDir}, 127.0.0.1:${embedded.port}`;
        }
        const pool = createPool(databaseUrl, config.databasePoolMax);
        closers.push(() => pool.end());
        await pool.query('select 1');
        return pool;
      },
      () => embeddedDescription ?? `DATABASE_URL ${describeDatabaseUrl(config.databaseUrl!)}`,
    );
    await timed(
      logger,
      'migrations',
      async () => {
        const applied = await migrate(db);
        await sealPlaintextWebhookSecrets(db, notificationsKey(config));
        const resealed = await resealSecrets(db, notificationsKey(config), config.notifications.previousKeys);
        if (resealed.checkouts + resealed.channels > 0)
          logger.info(resealed, 'secrets sealed again with the current NOTIFICATIONS_KEY');
        const connectors = await prepareConnectors(db, config);
        if (connectors.resealed > 0)
          logger.info(
            { connectors: connectors.resealed },
            'connector credentials sealed again with the current NOTIFICATIONS_KEY',
          );
        return applied;
      },
      (applied) => (applied.length > 0 ? `${applied.length} applied` : 'up to date'),
    );

    const temporalTarget = describeTemporal(config.temporal);
    const connectionFailed = (error: Error) => {
      throw new Error(`connecting to Temporal (${temporalTarget}): ${error.message}`);
    };
    const connection = await connectClient(config.temporal).catch(connectionFailed);
    closers.push(() => connection.close());
    // With a worker in this process the client shares its native connection: payments then start
    // eagerly, their first workflow task handed back with the start call (docs/performance.md).
    const workerConnection =
      config.role !== 'api' ? await connectWorker(config.temporal).catch(connectionFailed) : undefined;
    if (workerConnection) closers.push(() => workerConnection.close());
    logger.info({ temporal: temporalTarget }, 'Temporal connected');
    const searchAttributes = await prepareSearchAttributes(connection, config.temporal.namespace, logger);
    const clientInterceptors = [
      requestContextClientInterceptor(),
      ...(tracing ? [new OpenTelemetryWorkflowClientInterceptor({ tracer: tracing.tracer })] : []),
      searchAttributeClientInterceptor(searchAttributes),
    ];
    const temporal = new Client({
      connection: workerConnection ?? connection,
      namespace: config.temporal.namespace,
      interceptors: { workflow: clientInterceptors },
    });

    const loaded = options.providers ? undefined : await connectorRegistry(db, config, logger);
    if (loaded) closers.push(async () => loaded.close());
    const providers = options.providers ?? loaded!;
    const metrics = createMetrics({
      db,
      temporalMetricsUrl: options.temporalMetricsUrl,
      isProvider: (name) => providers.byProvider(name).length > 0,
    });
    const observability: Observability = { logger, metrics, tracer: tracing?.tracer };
    const running: RunningKassa = { config, db, temporal, providers, observability, close };
    if (config.metricsPort !== undefined) {
      const metricsServer = await startMetricsServer(metrics, config.host, config.metricsPort);
      closers.push(
        () =>
          new Promise((resolve) => {
            metricsServer.closeAllConnections();
            metricsServer.close(resolve);
          }),
      );
    }

    if (workerConnection) {
      const bundle =
        options.workflowBundle ??
        (await timed(logger, 'workflow bundle', () => workflowBundle({ tracing: tracing !== null })));
      const worker = await timed(
        logger,
        'worker',
        () =>
          withWorkflowStackTraceLimit(config.workflowStackTraceLimit, () =>
            Worker.create({
              connection: workerConnection,
              namespace: config.temporal.namespace,
              taskQueue,
              // Sized for payments in motion, not for every open one: a payment parked at method choice is
              // evicted and replays its few events when the buyer comes back (docs/performance.md).
              maxCachedWorkflows: config.workflowCacheSize,
              workflowBundle: bundle,
              activities: createActivities({
                db,
                providers,
                publicUrl: config.publicUrl,
                allowPrivateWebhookUrls: config.allowPrivateWebhookUrls,
                notifications: notificationSettings(config),
                connectorBreaker: config.connectorBreaker,
              }),
              interceptors: {
                activity: [
                  ...(tracing
                    ? [
                        (ctx: Context) => ({
                          inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer: tracing.tracer }),
                          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
                        }),
                      ]
                    : []),
                  activityObserver(metrics, logger),
                ],
              },
              sinks: tracing ? { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) } : undefined,
            }),
          ),
        () => `task queue ${taskQueue}, up to ${config.workflowCacheSize} workflows cached`,
      );
      const runs = worker.run();
      closers.push(async () => {
        // The Temporal Runtime starts draining its workers on SIGINT/SIGTERM itself.
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await runs;
      });
    }

    if (config.role !== 'worker') {
      const cache = startLookupCache(db);
      closers.push(cache.stop);
      const startedMarks = new StartedMarks(db, (message, error) => logger.error({ err: error }, message));
      closers.push(() => startedMarks.settled());
      const deps: ServiceDeps = {
        db,
        lookups: cache.lookups,
        startedMarks,
        temporal,
        eagerWorkflowStart: workerConnection !== undefined,
        providers,
        observability,
        config: { ...config, adminToken: adminTokenFor(config) },
      };
      running.config = deps.config;
      const server = http.createServer(createApp(deps));
      server.keepAliveTimeout = config.httpKeepAliveSeconds * 1000;
      const port = await timed(
        logger,
        'API',
        () => listen(server, config.host, config.port),
        (bound) => `http://${config.host}:${bound}`,
      );
      closers.push(
        () =>
          new Promise((resolve) => {
            server.closeAllConnections();
            server.close(resolve);
          }),
      );
      running.url = `http://${config.host}:${port}`;
      await ensureReconciliationSchedule(temporal).catch((error: Error) =>
        logger.error({ err: error }, `creating the reconciliation schedule: ${error.message}`),
      );
      closers.push(startOutboxSweep(deps, (message, error) => logger.error({ err: error }, message)));
    }
    return running;
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * The connectors table as a registry, read before anything serves and every `CONNECTOR_REFRESH_MS`
 * after; a connector that cannot be made is logged once per change.
 */
async function connectorRegistry(db: Pool, config: Config, logger: { error(fields: object, message: string): void }) {
  const reported = new Set<string>();
  return loadProviderRegistry({
    load: () => loadStoredConnectors(db, [notificationsKey(config), ...config.notifications.previousKeys]),
    publicUrl: config.publicUrl,
    refreshMs: config.connectorRefreshMs,
    onError: (error, connectorId) => {
      if (reported.has(error.message)) return;
      if (connectorId) reported.add(error.message);
      logger.error({ err: error, connectorId }, error.message);
    },
  });
}

async function main() {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    console.error(`configuration error: ${(error as Error).message}`);
    process.exit(1);
  }
  // The Temporal SDK logs through pino too; worker processes export its metrics for /metrics to append.
  const temporalLogLevel =
    config.logLevel === 'debug' || config.logLevel === 'silent' || config.logLevel === 'error'
      ? config.logLevel
      : 'warn';
  let temporalMetricsUrl: string | undefined;
  const runtimeLogger = temporalLogger(createLogger({ level: temporalLogLevel, base: { role: config.role } }));
  if (config.role === 'api') {
    installTemporalRuntime(runtimeLogger, null);
  } else {
    temporalMetricsUrl = installTemporalRuntime(
      runtimeLogger,
      `127.0.0.1:${config.temporalMetricsPort ?? (await pickLoopbackPort())}`,
    );
  }
  let running: RunningKassa | undefined;
  let stopping = false;
  // Installed before starting, so a signal during startup still stops the embedded database.
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await (running ? running.close() : stopEmbeddedServers());
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (process.env.KASSA_PARENT_PID) stopWhenParentExits(stop);
  try {
    running = await startKassa(config, { temporalMetricsUrl });
  } catch (error) {
    const known = error instanceof ConfigError || error instanceof EmbeddedPostgresError;
    console.error(known ? (error as Error).message : `startup failed: ${(error as Error).message}`);
    process.exit(1);
  }
  if (stopping) return void (await running.close());
  console.log(`kassa ${config.role} ready${running.url ? ` on ${running.url}` : ''}`);
}

/** A database URL without its password, for a log line. */
function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
  } catch {
    return '(unparsable)';
  }
}

if (require.main === module) void main();
