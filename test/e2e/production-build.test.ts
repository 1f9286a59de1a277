import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { copySpec, parseDockerfile } from '../support/dockerfile';
import { freePort, stopChild } from '../support/processes';
import { createTestDatabase, createTestNamespace } from '../support/stack';

const root = path.resolve(__dirname, '../..');
const dist = path.join(root, 'dist');

/**
 * Loaded with `--require` before the built worker: records every module the process loads from
 * tsx, or the loaders webpack runs when it bundles workflow code (webpack itself is loaded with
 * the Temporal worker package, but runs only when it bundles), in the file it is told.
 */
const loadRecorder = `
const Module = require('node:module');
const fs = require('node:fs');
const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (/(^|[\\\\/])(tsx|swc-loader|source-map-loader|@swc[\\\\/]core)([\\\\/]|$)/.test(request)) fs.appendFileSync(process.env.KASSA_LOAD_RECORD, request + '\\n');
  return load.apply(this, arguments);
};
`;

let build: { code: number | null; output: string; seconds: number };

beforeAll(async () => {
  const started = Date.now();
  build = await new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/build.ts'],
      { cwd: root, maxBuffer: 10 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          output: stdout + stderr,
          seconds: (Date.now() - started) / 1000,
        }),
    );
  });
}, 240_000);

test('npm run build compiles the worker and the sources, copies every migration and prebuilds both workflow bundles', () => {
  expect({ code: build.code, output: build.output }).toEqual({
    code: 0,
    output: expect.stringContaining('build: done'),
  });
  for (const file of [
    'worker.js',
    'worker.js.map',
    'src/config.js',
    'simulators/sandbox/main.js',
    'workflow-bundle.js',
    'workflow-bundle-tracing.js',
  ]) {
    expect({ file, exists: fs.existsSync(path.join(dist, file)) }).toEqual({ file, exists: true });
  }
  const migrations = fs.readdirSync(path.join(root, 'src/db/migrations')).filter((name) => name.endsWith('.sql'));
  expect(migrations.length).toBeGreaterThan(0);
  expect(fs.readdirSync(path.join(dist, 'src/db/migrations')).sort()).toEqual(migrations.sort());
  const bundle = fs.readFileSync(path.join(dist, 'workflow-bundle.js'), 'utf8');
  expect(bundle).toContain('purchaseWorkflow');
  expect(bundle).toMatch(/\/\/# sourceMappingURL=data:application\/json/);
  expect(fs.readFileSync(path.join(dist, 'workflow-bundle-tracing.js'), 'utf8')).toContain('OpenTelemetry');
});

test("the production workflow bundle holds Kassa's workflows only: the benchmark's floor is neither bundled nor compiled", () => {
  expect(build.code).toBe(0);
  const bundle = fs.readFileSync(path.join(dist, 'workflow-bundle.js'), 'utf8');
  expect(bundle).toContain('purchaseWorkflow');
  expect(bundle).not.toContain('floorWorkflow');
  const floorFiles = ['src/workflows/floor.js', 'src/activities/floor.js'].filter((file) =>
    fs.existsSync(path.join(dist, file)),
  );
  expect(floorFiles).toEqual([]);
});

test('every file the image copies exists after the build, and every command docker-compose.yml runs is in dist/', () => {
  expect(build.code).toBe(0);
  const stages = parseDockerfile(fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8'));
  const runtime = stages[stages.length - 1]!;
  const buildStage = stages.find((stage) => stage.name === 'build')!;
  const workdir = buildStage.instructions.find((i) => i.keyword === 'WORKDIR')!.args;
  const copied: string[] = [];
  for (const copy of runtime.instructions.filter((i) => i.keyword === 'COPY').map((i) => copySpec(i.args))) {
    for (const source of copy.sources) {
      // From the build stage: a path under its WORKDIR, which holds the repository as it is after `npm run build`.
      const file = copy.from === 'build' ? path.relative(workdir, source) : source;
      expect({
        copy: source,
        from: copy.from,
        exists: !file.startsWith('..') && fs.existsSync(path.join(root, file)),
      }).toEqual({ copy: source, from: copy.from, exists: true });
      copied.push(file);
    }
  }
  expect(copied).toEqual(expect.arrayContaining(['node_modules', 'dist']));
  const entry = runtime.instructions
    .filter((i) => i.keyword === 'CMD')
    .map((i) => JSON.parse(i.args) as string[])
    .pop()!;
  expect(fs.existsSync(path.join(root, entry[1]!))).toBe(true);
  const compose = parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, { command?: string[] }>;
  };
  const commands = Object.values(compose.services).flatMap((service) => (service.command ? [service.command] : []));
  expect(commands.length).toBeGreaterThan(0);
  for (const command of commands) {
    expect(command[0]).toBe('node');
    expect({ command, exists: fs.existsSync(path.join(root, command[1]!)) }).toEqual({ command, exists: true });
  }
});

describe('node dist/worker.js', () => {
  let child: ChildProcess | undefined;
  let exited: Promise<number | null>;
  let output = '';
  let scratch: string;
  let record: string;
  let port: number;
  let database: { url: string; drop(): Promise<void> } | undefined;
  let health: { status: number; body: unknown } | undefined;

  beforeAll(async () => {
    if (build.code !== 0) return;
    const address = process.env.TEST_TEMPORAL_ADDRESS!;
    let namespace: string;
    [database, namespace, port] = await Promise.all([createTestDatabase(), createTestNamespace(address), freePort()]);
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kassa-dist-'));
    const recorder = path.join(scratch, 'record-loads.cjs');
    record = path.join(scratch, 'loaded.txt');
    fs.writeFileSync(recorder, loadRecorder);
    fs.writeFileSync(record, '');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      KASSA_ENV: 'development',
      PORT: String(port),
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: namespace,
      DATA_DIR: path.join(scratch, 'data'),
      LOG_LEVEL: 'warn',
      KASSA_LOAD_RECORD: record,
    };
    const started = Date.now();
    // From another directory, as an image runs it: nothing may be looked up relative to the cwd.
    child = spawn(process.execPath, ['--require', recorder, path.join(dist, 'worker.js')], {
      cwd: scratch,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    exited = new Promise((resolve) => child!.once('exit', (code) => resolve(code)));
    while (!health && Date.now() - started < 60_000 && child.exitCode === null) {
      health = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) })
        .then(async (response) => ({ status: response.status, body: await response.json() }))
        .catch(() => undefined);
      if (!health) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // The API answers as soon as it listens; the ready line follows once the rest of the start has run.
    const listening = Date.now();
    while (health && !output.includes('ready on') && Date.now() - listening < 15_000 && child.exitCode === null)
      await new Promise((resolve) => setTimeout(resolve, 100));
    console.log(
      `build ${build.seconds.toFixed(1)} s; node dist/worker.js answered /healthz after ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }, 120_000);

  afterAll(async () => {
    if (child) await stopChild(child);
    await database?.drop();
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  });

  test('answers /healthz and /readyz on PostgreSQL and Temporal', async () => {
    expect({ health, output }).toEqual({
      health: { status: 200, body: { status: 'ok' } },
      output: expect.stringContaining(`kassa all ready on http://127.0.0.1:${port}`),
    });
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect({ status: ready.status, body: await ready.json() }).toEqual({
      status: 200,
      body: { status: 'ready', checks: { database: 'ok', temporal: 'ok' } },
    });
  });

  test("is healthy by the image's HEALTHCHECK script", async () => {
    const code = await new Promise<number | null>((resolve) =>
      spawn(process.execPath, [path.join(root, 'deploy/healthcheck.cjs')], {
        env: { PATH: process.env.PATH, PORT: String(port), HOST: '0.0.0.0' },
        stdio: 'ignore',
      }).once('exit', resolve),
    );
    expect(code).toBe(0);
  });

  test('loads neither tsx nor the loaders webpack bundles workflow code with', () => {
    expect(health?.status).toBe(200);
    expect(fs.readFileSync(record, 'utf8').split('\n').filter(Boolean)).toEqual([]);
  });

  test('stops with exit code 0 on SIGTERM', async () => {
    expect(child?.exitCode).toBe(null);
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
    child = undefined;
  });
});
