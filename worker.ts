/**
 * Kassa's composition root: config → database → Temporal → providers → activities → worker,
 * and the HTTP API beside it. `KASSA_ROLE` picks what this process runs: `api`, `worker` or
 * `all` (both, the default).
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createActivities } from './src/activities';
import { createApp } from './src/api/app';
import { type Config, ConfigError, loadConfig } from './src/config';
import { embeddedMaxConnections, startEmbeddedPostgres } from './src/db/embedded';
import { migrate } from './src/db/migrate';
import { createPool } from './src/db/pool';
import { stopWhenParentExits } from './src/parent-watch';
import { randomToken } from './src/domain/ids';
import { providersFromConfig, type ProviderRegistry } from './src/providers/registry';
import type { ServiceDeps } from './src/services/deps';
import { startUnstartedWorkflows } from './src/services/payments';
import { ensureSearchAttributes } from './src/services/temporal-setup';
import { taskQueue } from './src/workflows/shared';

export interface KassaOptions {
  /** A prebuilt workflow bundle (tests build one per file and share it). */
  workflowBundle?: WorkflowBundleWithSourceMap;
  /** Replaces the providers built from config (tests). */
  providers?: ProviderRegistry;
}

export interface RunningKassa {
  config: Config;
  /** Base URL of the HTTP API when this process serves it. */
  url?: string;
  db: Pool;
  temporal: Client;
  close(): Promise<void>;
}

let cachedBundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The workflow code, bundled once per process. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  cachedBundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('./src/workflows'), logger: quietBundlerLogger });
  return cachedBundle;
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

/** Starts what `config.role` asks for and returns a handle that stops all of it. */
export async function startKassa(config: Config, options: KassaOptions = {}): Promise<RunningKassa> {
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch((error) => console.error(`shutdown: ${error.message}`));
  };
  try {
    let databaseUrl = config.databaseUrl;
    let poolMax = config.databasePoolMax;
    if (!databaseUrl) {
      const embedded = await startEmbeddedPostgres(path.join(config.dataDir, 'pglite'));
      closers.push(() => embedded.stop());
      databaseUrl = embedded.url;
      poolMax = Math.min(poolMax, embeddedMaxConnections);
    }
    const db = createPool(databaseUrl, poolMax);
    closers.push(() => db.end());
    await migrate(db);

    const connection = await Connection.connect({ address: config.temporal.address });
    closers.push(() => connection.close());
    const temporal = new Client({ connection, namespace: config.temporal.namespace });
    await ensureSearchAttributes(connection, config.temporal.namespace);

    const providers = options.providers ?? providersFromConfig(config);
    const running: RunningKassa = { config, db, temporal, close };

    if (config.role !== 'api') {
      const workerConnection = await NativeConnection.connect({ address: config.temporal.address });
      const worker = await Worker.create({
        connection: workerConnection,
        namespace: config.temporal.namespace,
        taskQueue,
        workflowBundle: options.workflowBundle ?? (await workflowBundle()),
        activities: createActivities({ db, providers, publicUrl: config.publicUrl }),
      });
      const runs = worker.run();
      closers.push(async () => {
        worker.shutdown();
        await runs;
        await workerConnection.close();
      });
    }

    if (config.role !== 'worker') {
      const deps: ServiceDeps = { db, temporal, providers, config: { ...config, adminToken: adminTokenFor(config) } };
      running.config = deps.config;
      const server = http.createServer(createApp(deps));
      const port = await listen(server, config.host, config.port);
      closers.push(() => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }));
      running.url = `http://${config.host}:${port}`;
      const sweep = setInterval(() => {
        startUnstartedWorkflows(deps).catch((error) => console.error(`restarting unstarted payments: ${error.message}`));
      }, 30_000);
      closers.push(async () => clearInterval(sweep));
    }
    return running;
  } catch (error) {
    await close();
    throw error;
  }
}

async function main() {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    console.error(`configuration error: ${(error as Error).message}`);
    process.exit(1);
  }
  Runtime.install({ logger: new DefaultLogger('WARN') });
  let running: RunningKassa;
  try {
    running = await startKassa(config);
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : `startup failed: ${(error as Error).message}`);
    process.exit(1);
  }
  console.log(`kassa ${config.role} ready${running.url ? ` on ${running.url}` : ''}`);
  const stop = async () => {
    await running.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (process.env.KASSA_PARENT_PID) stopWhenParentExits(stop);
}

if (require.main === module) void main();
