/**
 * The benchmark's own infrastructure, all on loopback and free ports: a Temporal dev server on a
 * file SQLite database in WAL mode, a PostgreSQL cluster (the server npm installs) unless Kassa runs its embedded
 * database, the sandbox provider process,
 * Kassa as its own process (so its RSS can be read) and the floor worker as another, each stopped by {@link Cleanup}.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Pool } from 'pg';
import { searchAttributeDefinitions } from '../../src/workflows/shared';
import { dynamicConfigArgs } from '../temporal-cli';
import {
  answersAsItself,
  freePort,
  startPostgresCluster,
  stopChild,
  temporalCli,
  waitForPort,
} from '../../test/support/processes';
import type { FloorReply, FloorRequest } from './floor-driver';
import { floorWorkerReadyLine } from './floor-worker';
import { request } from './http';

export const root = path.resolve(__dirname, '../..');

/** Stops what was started, last first; also on SIGINT/SIGTERM and, as a last resort, on exit. */
export class Cleanup {
  private readonly steps: { name: string; run: () => Promise<unknown> }[] = [];
  private readonly children = new Set<ChildProcess>();
  private running: Promise<void> | null = null;

  add(name: string, run: () => Promise<unknown>): void {
    this.steps.push({ name, run });
  }

  /** A child killed with SIGKILL if the bench exits without stopping it. */
  track(child: ChildProcess): void {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (const step of this.steps.reverse()) {
        await Promise.race([step.run(), new Promise((resolve) => setTimeout(resolve, 20_000))]).catch((error: Error) =>
          console.error(`cleanup ${step.name}: ${error.message}`),
        );
      }
    })();
    return this.running;
  }

  /** Synchronous: for process 'exit', when nothing async can run any more. */
  killAll(): void {
    for (const child of this.children) child.kill('SIGKILL');
  }
}

export interface TemporalServer {
  address: string;
  dbFile: string;
  pid: number;
  logFile: string;
}

/**
 * `temporal server start-dev` on a file SQLite DB in WAL mode, with Kassa's dynamic configuration
 * (`devServerDynamicConfig`). Tried three times: a free port can be taken by another process before the
 * server binds it, and a busy machine can make a start slow.
 */
export async function startTemporal(cleanup: Cleanup, dir: string): Promise<TemporalServer> {
  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const [port, httpPort] = [await freePort(), await freePort()];
    const dbFile = path.join(dir, `temporal-${attempt}.sqlite`);
    const args = [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--http-port',
      String(httpPort),
      '--headless',
      '--log-level',
      'error',
      '--db-filename',
      dbFile,
      '--sqlite-pragma',
      'journal_mode=wal',
      ...dynamicConfigArgs(),
    ];
    for (const [name, type] of Object.entries(searchAttributeDefinitions))
      args.push('--search-attribute', `${name}=${type}`);
    const logFile = path.join(dir, 'temporal.log');
    const log = fs.openSync(logFile, 'a');
    const child = spawn(temporalCli(), args, { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    cleanup.track(child);
    const exited = failOnExit(child, 'temporal dev server', logFile);
    exited.catch(() => undefined);
    try {
      await Promise.race([waitForPort(port, 60_000, 'temporal dev server'), exited]);
      // An open port is only ours if the server is still running: it exits when a port it needs was taken.
      await new Promise((resolve) => setTimeout(resolve, 300));
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`temporal dev server exited; see ${logFile}`);
      cleanup.add('temporal', () => stopChild(child));
      return { address: `127.0.0.1:${port}`, dbFile, pid: child.pid!, logFile };
    } catch (error) {
      lastError = error as Error;
      await stopChild(child);
    }
  }
  throw lastError!;
}

/** A throwaway PostgreSQL cluster (the npm-installed server, or `PG_BIN`) with one database for Kassa. */
export async function startDatabase(cleanup: Cleanup): Promise<{ url: string }> {
  const cluster = await startPostgresCluster();
  cleanup.add('postgres', () => cluster.stop());
  const admin = new Pool({ connectionString: cluster.adminUrl, max: 1 });
  await admin.query('create database kassa_bench');
  await admin.end();
  return { url: cluster.adminUrl.replace(/\/postgres$/, '/kassa_bench') };
}

export const sandboxApiKey = 'sandbox_bench_key';
export const sandboxWebhookSecret = 'sandbox_bench_webhook_secret';

function spawnTsx(
  cleanup: Cleanup,
  name: string,
  script: string,
  env: Record<string, string | undefined>,
  logFile: string,
  options: { ipc?: boolean } = {},
): ChildProcess {
  const log = fs.openSync(logFile, 'a');
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, KASSA_PARENT_PID: String(process.pid) };
  // An undefined value unsets what the benchmark's own environment has (DATABASE_URL for the embedded database).
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete childEnv[name];
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, script)], {
    cwd: root,
    env: childEnv,
    stdio: options.ipc ? ['ignore', log, log, 'ipc'] : ['ignore', log, log],
  });
  fs.closeSync(log);
  cleanup.track(child);
  cleanup.add(name, () => stopChild(child));
  return child;
}

function failOnExit(child: ChildProcess, what: string, logFile: string): Promise<never> {
  return new Promise((_resolve, reject) => {
    child.once('exit', (code, signal) => {
      const lines = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').split('\n') : [];
      const excerpt = lines.length > 30 ? [...lines.slice(0, 12), '…', ...lines.slice(-12)] : lines;
      reject(new Error(`${what} exited (${code ?? signal}) while starting:\n${excerpt.join('\n')}`));
    });
  });
}

/** The sandbox provider as its own process, as in production. */
export async function startSandbox(cleanup: Cleanup, dir: string, tries = 1): Promise<{ url: string; pid: number }> {
  const port = await freePort();
  const logFile = path.join(dir, 'sandbox.log');
  const child = spawnTsx(
    cleanup,
    'sandbox',
    'simulators/sandbox/main.ts',
    {
      SANDBOX_PORT: String(port),
      SANDBOX_API_KEY: sandboxApiKey,
      SANDBOX_WEBHOOK_SECRET: sandboxWebhookSecret,
    },
    logFile,
  );
  if (!(await answersAsItself(child, port, 30_000))) {
    if (tries < 3) return startSandbox(cleanup, dir, tries + 1);
    throw new Error(`the sandbox provider could not start on a free port; see ${logFile}`);
  }
  return { url: `http://127.0.0.1:${port}`, pid: child.pid! };
}

/** The task queue only the floor worker polls: Kassa's workers do not know `floorWorkflow`. */
export const floorTaskQueue = 'bench-floor';

/** Asks the floor worker for one run (./floor-driver.ts) and answers its workflow id. */
export type FloorDrive = (request: Omit<FloorRequest, 'id'>) => Promise<string>;

/**
 * The floor worker (scripts/bench/floor-worker.ts) as its own process, ready once it polls
 * {@link floorTaskQueue}; `drive` asks it for a run over its IPC channel.
 */
export async function startFloorWorker(
  cleanup: Cleanup,
  dir: string,
  temporalAddress: string,
): Promise<{ pid: number; logFile: string; drive: FloorDrive }> {
  const logFile = path.join(dir, 'floor-worker.log');
  const child = spawnTsx(
    cleanup,
    'floor worker',
    'scripts/bench/floor-worker.ts',
    { TEMPORAL_ADDRESS: temporalAddress, FLOOR_TASK_QUEUE: floorTaskQueue },
    logFile,
    { ipc: true },
  );
  const exited = failOnExit(child, 'floor worker', logFile);
  exited.catch(() => undefined);
  const ready = (async () => {
    const deadline = Date.now() + 120_000;
    while (!fs.readFileSync(logFile, 'utf8').includes(floorWorkerReadyLine)) {
      if (Date.now() > deadline) throw new Error(`the floor worker was not ready within 120 s (log: ${logFile})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  await Promise.race([ready, exited]);

  const waiting = new Map<number, { resolve: (workflowId: string) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  child.on('message', (reply: FloorReply) => {
    const pending = waiting.get(reply.id);
    if (!pending) return;
    waiting.delete(reply.id);
    if ('error' in reply) pending.reject(new Error(reply.error));
    else pending.resolve(reply.workflowId);
  });
  child.once('exit', (code, signal) => {
    for (const pending of waiting.values()) pending.reject(new Error(`the floor worker exited (${code ?? signal})`));
    waiting.clear();
  });
  const drive: FloorDrive = (request) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      child.send({ ...request, id } satisfies FloorRequest);
    });
  return { pid: child.pid!, logFile, drive };
}

export interface KassaProcess {
  url: string;
  pid: number;
  adminToken: string;
  logFile: string;
}

/**
 * Kassa (`node --import tsx worker.ts`, KASSA_ROLE=all) as its own process, ready once /healthz answers 200.
 * Without `databaseUrl` it runs its embedded default database, with `DATA_DIR` in `dir`; that server
 * is Kassa's child, so its memory and CPU are not counted in Kassa's, as the cluster's are not.
 */
export async function startKassaProcess(
  cleanup: Cleanup,
  dir: string,
  settings: { databaseUrl?: string; temporalAddress: string; sandboxUrl: string; env?: Record<string, string> },
): Promise<KassaProcess> {
  // As root the embedded server runs as `postgres`, which must pass through the run's temp dir to DATA_DIR.
  if (!settings.databaseUrl) fs.chmodSync(dir, fs.statSync(dir).mode | 0o001);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const adminToken = `adm_bench_${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  const logFile = path.join(dir, 'kassa.log');
  const child = spawnTsx(
    cleanup,
    'kassa',
    'worker.ts',
    {
      KASSA_ROLE: 'all',
      KASSA_ENV: 'test',
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: url,
      DATABASE_URL: settings.databaseUrl,
      TEMPORAL_ADDRESS: settings.temporalAddress,
      TEMPORAL_NAMESPACE: 'default',
      SANDBOX_URL: settings.sandboxUrl,
      SANDBOX_API_KEY: sandboxApiKey,
      SANDBOX_WEBHOOK_SECRET: sandboxWebhookSecret,
      ADMIN_TOKEN: adminToken,
      DATA_DIR: path.join(dir, 'kassa-data'),
      LOG_LEVEL: 'warn',
      // One merchant key drives all the load: its per-key limit (600 a minute by default) would be
      // what is measured otherwise.
      RATE_LIMIT_PER_MINUTE: '1000000',
      ...settings.env,
    },
    logFile,
  );
  const exited = failOnExit(child, 'kassa', logFile);
  exited.catch(() => undefined);
  const ready = (async () => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const health = await request(`${url}/healthz`, { timeoutMs: 2_000 }).catch(() => null);
      if (health?.status === 200) return;
      if (Date.now() > deadline) throw new Error(`kassa did not answer /healthz within 120 s (log: ${logFile})`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  await Promise.race([ready, exited]);
  return { url, pid: child.pid!, adminToken, logFile };
}

/** The server's counters whose name mentions `eager`: how many starts and activities took the eager path. */
export async function eagerCounters(server: TemporalServer): Promise<Record<string, number>> {
  const metricsPort = /Temporal Metrics:\s+http:\/\/[^:/]+:(\d+)\/metrics/.exec(
    fs.readFileSync(server.logFile, 'utf8'),
  )?.[1];
  if (!metricsPort) return {};
  const answer = await request(`http://127.0.0.1:${metricsPort}/metrics`, {
    headers: { accept: 'text/plain' },
    timeoutMs: 5_000,
  }).catch(() => null);
  const counters: Record<string, number> = {};
  for (const line of answer?.text.split('\n') ?? []) {
    const match = /^(\w*eager\w*)(\{[^}]*\})?\s+([\d.e+]+)$/.exec(line);
    if (!match) continue;
    const operation = /operation="([^"]+)"/.exec(match[2] ?? '')?.[1];
    const key = operation ? `${match[1]} (${operation})` : match[1]!;
    counters[key] = (counters[key] ?? 0) + Number(match[3]);
  }
  return counters;
}

/** Resident and peak resident memory of a process, MiB, from /proc/<pid>/status. */
export function memoryOf(pid: number): { rssMiB: number; peakRssMiB: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: Math.round(kib('VmRSS') / 1024), peakRssMiB: Math.round(kib('VmHWM') / 1024) };
}

/**
 * CPU seconds every core of the machine has spent busy since boot, from the first line of /proc/stat
 * (user, nice, system, irq, softirq and steal; idle and iowait are not busy).
 */
export function machineCpuSeconds(): number {
  const [, user, nice, system, , , irq, softirq, steal] = fs
    .readFileSync('/proc/stat', 'utf8')
    .split('\n', 1)[0]!
    .trim()
    .split(/\s+/)
    .map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / 100;
}

/** CPU seconds (user + system) this process has used. */
export function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
export function cpuSecondsOf(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}
