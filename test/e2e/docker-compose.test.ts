import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config';
import { searchAttributeDefinitions } from '../../src/workflows/shared';
import { execForm, parseDockerfile, type Stage } from '../support/dockerfile';
import { createTestDatabase } from '../support/stack';

const root = join(__dirname, '../..');

type Environment = Record<string, string | number | boolean | null> | string[];
type PortSpec = string | number | { target: number | string; published?: number | string; host_ip?: string };

interface Service {
  image?: string;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Environment;
  ports?: PortSpec[];
  volumes?: (string | { type?: string; source?: string; target: string })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  deploy?: { replicas?: number };
  restart?: string;
  profiles?: string[];
}

interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const testSecrets: Record<string, string> = {
  POSTGRES_PASSWORD: 'pg-secret',
  ADMIN_TOKEN: 'admin-secret',
  SANDBOX_API_KEY: 'sandbox-key',
  SANDBOX_WEBHOOK_SECRET: 'sandbox-webhook-secret',
  NOTIFICATIONS_KEY: 'BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=',
  GRAFANA_ADMIN_PASSWORD: 'grafana-secret',
};

/** Compose's variable substitution: `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `$$`. */
function interpolate(text: string, vars: Record<string, string>): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g,
    (match, name: string | undefined, op: string | undefined, arg: string | undefined) => {
      if (match === '$$') return '$';
      const value = vars[name!];
      const missing = op?.startsWith(':') ? !value : value === undefined;
      if (!missing) return value!;
      if (op?.endsWith('?')) throw new Error(`required variable ${name} is not set: ${arg}`);
      return op ? arg! : '';
    },
  );
}

const composeText = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
const raw = parse(composeText, { merge: true }) as ComposeFile;
const compose = parse(interpolate(composeText, testSecrets), { merge: true }) as ComposeFile;
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');

function service(name: string, file: ComposeFile = compose): Service {
  const found = file.services[name];
  if (!found) throw new Error(`no service ${name} in docker-compose.yml`);
  return found;
}

function env(svc: Service): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(svc.environment)) {
    for (const entry of svc.environment) {
      const eq = entry.indexOf('=');
      if (eq > 0) out[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
  } else {
    for (const [key, value] of Object.entries(svc.environment ?? {})) {
      if (value !== null) out[key] = String(value);
    }
  }
  return out;
}

/** Published → container port pairs; a bare container port has no published side. */
function ports(svc: Service): { published?: string; target: string }[] {
  return bindings(svc).map(({ published, target }) => (published === undefined ? { target } : { published, target }));
}

/** Each published port with the host address it is bound to (undefined: every interface). */
function bindings(svc: Service): { host?: string; published?: string; target: string }[] {
  return (svc.ports ?? []).map((spec) => {
    if (typeof spec === 'object') {
      return {
        host: spec.host_ip,
        published: spec.published === undefined ? undefined : String(spec.published),
        target: String(spec.target),
      };
    }
    const parts = String(spec).split('/')[0]!.split(':');
    const target = parts[parts.length - 1]!;
    if (parts.length === 1) return { target };
    return {
      host: parts.length > 2 ? parts.slice(0, -2).join(':') : undefined,
      published: parts[parts.length - 2],
      target,
    };
  });
}

/** A job that runs once and exits (`restart: 'no'`); every other service runs for good. */
const isOneShot = (svc: Service) => svc.restart === 'no';

function dependsOn(svc: Service): Record<string, { condition?: string }> {
  const deps = svc.depends_on ?? {};
  return Array.isArray(deps) ? Object.fromEntries(deps.map((name) => [name, {}])) : deps;
}

function dependencies(svc: Service): string[] {
  const deps = svc.depends_on ?? [];
  return Array.isArray(deps) ? deps : Object.keys(deps);
}

/**
 * Whether an image reference names an exact release: a tag that is not `latest` and has at
 * least major.minor.patch (major.minor for PostgreSQL, whose releases since 10 are numbered
 * that way: 15.8 is one exact release), optionally followed by a variant such as `-bookworm`.
 */
function isPinned(ref: string): boolean {
  const match = /^([a-z0-9]+(?:[._/-][a-z0-9]+)*):([\w][\w.-]*)$/.exec(ref);
  if (!match) return false;
  const [, repository, tag] = match;
  if (tag === 'latest') return false;
  const components = repository === 'postgres' ? 2 : 3;
  return new RegExp(`^v?\\d+(?:\\.\\d+){${components - 1},}(?:-[a-z0-9][a-z0-9.-]*)?$`).test(tag!);
}

describe('docker-compose.yml', () => {
  it('recognises floating image tags as unpinned', () => {
    for (const ref of [
      'postgres',
      'postgres:latest',
      'postgres:15',
      'postgres:15-bookworm',
      'temporalio/auto-setup:1.29',
      'temporalio/ui:2',
      'node:20-bookworm-slim',
      'node:lts',
    ]) {
      expect({ ref, pinned: isPinned(ref) }).toEqual({ ref, pinned: false });
    }
    for (const ref of [
      'postgres:15.8-bookworm',
      'temporalio/server:1.31.0',
      'node:20.19.5-bookworm-slim',
      'prom/prometheus:v3.5.0',
      'nginx:1.27.4-alpine',
    ]) {
      expect({ ref, pinned: isPinned(ref) }).toEqual({ ref, pinned: true });
    }
  });

  it('pins every service image to an exact release tag', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      if (svc.image === undefined) {
        expect({ name, build: svc.build }).toEqual({ name, build: expect.anything() });
        continue;
      }
      expect({ name, image: svc.image, pinned: isPinned(svc.image) }).toEqual({ name, image: svc.image, pinned: true });
    }
  });

  it('defines the production topology: PostgreSQL, Temporal with its setup jobs and UI, migrations, API, workers, sandbox', () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining([
        'postgres',
        'temporal-schema',
        'temporal',
        'temporal-setup',
        'temporal-ui',
        'migrate',
        'api',
        'api-proxy',
        'worker',
        'sandbox',
      ]),
    );
  });

  it('runs the Temporal server image, never the deprecated auto-setup one, and sets Temporal up with admin-tools', () => {
    for (const [name, svc] of Object.entries(compose.services))
      expect({ name, image: svc.image ?? '' }).not.toEqual({ name, image: expect.stringMatching(/auto-setup/) });
    expect(service('temporal').image).toMatch(/^temporalio\/server:/);
    const version = service('temporal').image!.split(':')[1];
    for (const name of ['temporal-schema', 'temporal-setup']) {
      expect({ name, image: service(name).image, oneShot: isOneShot(service(name)) }).toEqual({
        name,
        image: `temporalio/admin-tools:${version}`,
        oneShot: true,
      });
    }
  });

  it('publishes the API (through its proxy) on 3000 and the sandbox on 4100; PostgreSQL, Temporal and every console on 127.0.0.1 only', () => {
    expect(bindings(service('api-proxy'))).toEqual([{ host: undefined, published: '3000', target: '3000' }]);
    expect(bindings(service('sandbox'))).toEqual([{ host: undefined, published: '4100', target: '4100' }]);
    expect(ports(service('api'))).toEqual([]);
    expect(bindings(service('postgres'))).toEqual([{ host: '127.0.0.1', published: '5432', target: '5432' }]);
    expect(bindings(service('temporal'))).toEqual([{ host: '127.0.0.1', published: '7233', target: '7233' }]);
    expect(bindings(service('temporal-ui'))).toEqual([{ host: '127.0.0.1', published: '8233', target: '8080' }]);
    const everyInterface = Object.entries(compose.services).flatMap(([name, svc]) =>
      bindings(svc)
        .filter((binding) => binding.published !== undefined && binding.host !== '127.0.0.1')
        .map(() => name),
    );
    expect(everyInterface.sort()).toEqual(['api-proxy', 'sandbox']);
  });

  it('gives a command only to services of the Kassa image, each a node script (the image test checks each is in dist/)', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      if (svc.command === undefined) continue;
      expect({ name, image: svc.image, node: (svc.command as string[])[0] }).toEqual({
        name,
        image: service('api').image,
        node: 'node',
      });
    }
  });

  it('builds the API, worker, migrations and sandbox from the repository Dockerfile', () => {
    for (const name of ['api', 'worker', 'migrate', 'sandbox']) {
      const build = service(name).build;
      const spec = typeof build === 'string' ? { context: build } : build;
      expect({ name, context: spec?.context, dockerfile: spec?.dockerfile ?? 'Dockerfile' }).toEqual({
        name,
        context: '.',
        dockerfile: 'Dockerfile',
      });
    }
    expect(service('sandbox').command).toEqual(['node', 'dist/simulators/sandbox/main.js']);
  });

  it('points the API and workers at the postgres service and at temporal:7233', () => {
    for (const name of ['api', 'worker']) {
      const vars = env(service(name));
      expect(vars.DATABASE_URL).toBeDefined();
      const url = new URL(vars.DATABASE_URL!);
      expect({ name, protocol: url.protocol, host: url.hostname, port: url.port, database: url.pathname }).toEqual({
        name,
        protocol: expect.stringMatching(/^postgres(ql)?:$/),
        host: 'postgres',
        port: '5432',
        database: '/kassa',
      });
      expect({ name, address: vars.TEMPORAL_ADDRESS, namespace: vars.TEMPORAL_NAMESPACE }).toEqual({
        name,
        address: 'temporal:7233',
        namespace: 'default',
      });
    }
  });

  it('gives the API and workers their roles and the production settings', () => {
    expect(env(service('api'))).toMatchObject({
      KASSA_ROLE: 'api',
      PORT: '3000',
      KASSA_ENV: 'production',
      HOST: '0.0.0.0',
    });
    expect(env(service('worker'))).toMatchObject({ KASSA_ROLE: 'worker', KASSA_ENV: 'production' });
    expect(env(service('api')).PUBLIC_URL).toMatch(/^https?:\/\//);
  });

  it('connects to PostgreSQL with the credentials the postgres service is created with', () => {
    const db = env(service('postgres'));
    for (const name of ['api', 'worker']) {
      const url = new URL(env(service(name)).DATABASE_URL!);
      expect({ name, user: url.username, password: decodeURIComponent(url.password) }).toEqual({
        name,
        user: db.POSTGRES_USER,
        password: db.POSTGRES_PASSWORD,
      });
    }
    expect(db.POSTGRES_DB).toBe('kassa');
  });

  it('requires the secrets from the environment instead of shipping defaults', () => {
    const required = (name: string) => new RegExp(`^\\$\\{${name}:\\?[^}]*\\}$`);
    expect(env(service('api', raw)).ADMIN_TOKEN).toMatch(required('ADMIN_TOKEN'));
    expect(env(service('postgres', raw)).POSTGRES_PASSWORD).toMatch(required('POSTGRES_PASSWORD'));
    expect(env(service('temporal', raw)).POSTGRES_PWD).toMatch(required('POSTGRES_PASSWORD'));
    for (const name of ['api', 'worker', 'sandbox']) {
      const vars = env(service(name, raw));
      expect({ name, key: vars.SANDBOX_API_KEY, secret: vars.SANDBOX_WEBHOOK_SECRET }).toEqual({
        name,
        key: expect.stringMatching(required('SANDBOX_API_KEY')),
        secret: expect.stringMatching(required('SANDBOX_WEBHOOK_SECRET')),
      });
    }
  });

  it('runs two API processes and three workers, and publishes no worker port', () => {
    expect(service('api').deploy?.replicas).toBe(2);
    expect(service('worker').deploy?.replicas).toBe(3);
    expect(service('worker').ports ?? []).toEqual([]);
  });

  it('persists Temporal to the postgres service with the postgres credentials', () => {
    const temporal = env(service('temporal'));
    const db = env(service('postgres'));
    expect(temporal).toMatchObject({
      DB: 'postgres12',
      POSTGRES_SEEDS: 'postgres',
      DB_PORT: '5432',
      BIND_ON_IP: '0.0.0.0',
    });
    // The schema job writes the databases the server reads.
    const schema = env(service('temporal-schema'));
    for (const name of [
      'DB',
      'POSTGRES_SEEDS',
      'DB_PORT',
      'POSTGRES_USER',
      'POSTGRES_PWD',
      'DBNAME',
      'VISIBILITY_DBNAME',
    ])
      expect({ name, schema: schema[name] }).toEqual({ name, schema: temporal[name] });
    expect({ user: temporal.POSTGRES_USER, password: temporal.POSTGRES_PWD }).toEqual({
      user: db.POSTGRES_USER,
      password: db.POSTGRES_PASSWORD,
    });
    expect(service('temporal').depends_on).toMatchObject({ postgres: { condition: 'service_healthy' } });
  });

  it('creates every database Temporal and the app connect to', () => {
    const postgres = service('postgres');
    const mount = (postgres.volumes ?? [])
      .map((v) => (typeof v === 'string' ? { source: v.split(':')[0]!, target: v.split(':')[1] } : v))
      .find((v) => v.target === '/docker-entrypoint-initdb.d');
    expect(mount?.source).toBeDefined();
    const initDir = join(root, mount!.source!);
    const initSql = readdirSync(initDir)
      .filter((file) => /\.(sql|sh)$/.test(file))
      .map((file) => readFileSync(join(initDir, file), 'utf8'))
      .join('\n');

    const created = new Set([
      env(postgres).POSTGRES_DB,
      ...[...initSql.matchAll(/CREATE DATABASE\s+"?(\w+)"?/gi)].map((m) => m[1]),
    ]);
    const temporal = env(service('temporal'));
    const wanted = [
      temporal.DBNAME ?? 'temporal',
      temporal.VISIBILITY_DBNAME ?? 'temporal_visibility',
      new URL(env(service('api')).DATABASE_URL!).pathname.slice(1),
    ];
    for (const database of wanted)
      expect({ database, created: created.has(database) }).toEqual({ database, created: true });
  });

  it('health-checks PostgreSQL with pg_isready and keeps its data in a named volume', () => {
    const postgres = service('postgres');
    const test = postgres.healthcheck?.test;
    expect(Array.isArray(test) ? test.join(' ') : test).toMatch(/\bpg_isready\b/);
    const dataVolume = (postgres.volumes ?? []).find(
      (v) => (typeof v === 'string' ? v.split(':')[1] : v.target) === '/var/lib/postgresql/data',
    );
    const source = typeof dataVolume === 'string' ? dataVolume.split(':')[0] : dataVolume?.source;
    expect(Object.keys(compose.volumes ?? {})).toContain(source);
  });

  it('points the app at the sandbox on the port the sandbox listens on', () => {
    const sandbox = env(service('sandbox'));
    const url = new URL(env(service('api')).SANDBOX_URL!);
    expect({ host: url.hostname, port: url.port }).toEqual({ host: 'sandbox', port: sandbox.SANDBOX_PORT });
    expect(sandbox.SANDBOX_HOST).toBe('0.0.0.0');
    expect(ports(service('sandbox')).map((p) => p.target)).toContain(sandbox.SANDBOX_PORT);
  });

  it('names only existing services in depends_on', () => {
    const names = new Set(Object.keys(compose.services));
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const dep of dependencies(svc)) {
        expect({ service: name, dependsOn: dep, exists: names.has(dep) }).toEqual({
          service: name,
          dependsOn: dep,
          exists: true,
        });
      }
    }
    expect(dependencies(service('api'))).toEqual(expect.arrayContaining(['postgres', 'temporal']));
    expect(dependencies(service('worker'))).toEqual(expect.arrayContaining(['postgres', 'temporal']));
  });

  it('waits on a condition for every dependency: healthy for a service, completed successfully for a job', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const [dep, { condition }] of Object.entries(dependsOn(svc))) {
        const wanted = isOneShot(service(dep)) ? 'service_completed_successfully' : 'service_healthy';
        expect({ service: name, dependsOn: dep, condition }).toEqual({
          service: name,
          dependsOn: dep,
          condition: wanted,
        });
      }
    }
  });

  it('starts Temporal after its schema, and the API and workers after the namespace and the migrations', () => {
    expect(dependsOn(service('temporal'))).toMatchObject({
      'temporal-schema': { condition: 'service_completed_successfully' },
    });
    expect(dependsOn(service('temporal-setup'))).toMatchObject({ temporal: { condition: 'service_healthy' } });
    for (const name of ['api', 'worker']) {
      expect({ name, deps: dependsOn(service(name)) }).toMatchObject({
        name,
        deps: {
          postgres: { condition: 'service_healthy' },
          temporal: { condition: 'service_healthy' },
          'temporal-setup': { condition: 'service_completed_successfully' },
          migrate: { condition: 'service_completed_successfully' },
        },
      });
    }
  });
});

describe('docker-compose.yml health checks', () => {
  it('health-checks every service that keeps running, and none of the one-shot jobs', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      const test = svc.healthcheck?.disable ? undefined : svc.healthcheck?.test;
      expect({ name, checked: test !== undefined && test.length > 0 }).toEqual({ name, checked: !isOneShot(svc) });
    }
  });

  it('checks the API on /readyz, the sandbox on /healthz and each worker on its metrics port', () => {
    const check = (name: string) => service(name).healthcheck?.test;
    expect(check('api')).toEqual([
      'CMD',
      'node',
      'deploy/healthcheck.cjs',
      `http://127.0.0.1:${env(service('api')).PORT}/readyz`,
    ]);
    expect(check('sandbox')).toEqual([
      'CMD',
      'node',
      'deploy/healthcheck.cjs',
      `http://127.0.0.1:${env(service('sandbox')).SANDBOX_PORT}/healthz`,
    ]);
    expect(check('worker')).toEqual([
      'CMD',
      'node',
      'deploy/healthcheck.cjs',
      `http://127.0.0.1:${env(service('worker')).METRICS_PORT}/metrics`,
    ]);
    expect((check('temporal') as string[]).join(' ')).toMatch(/\b7233\b/);
  });
});

describe('docker-compose.yml Temporal setup', () => {
  const setup = service('temporal-setup');
  const vars = env(setup);
  const mounted = (svc: Service, target: string) => {
    const volume = (svc.volumes ?? [])
      .map((v) => (typeof v === 'string' ? { source: v.split(':')[0]!, target: v.split(':')[1]! } : v))
      .find((v) => v.target === target);
    if (!volume?.source) throw new Error(`nothing mounted at ${target}`);
    return join(root, volume.source);
  };
  /** The script a setup job runs: `entrypoint: ['/bin/sh', '<mounted dir>/<file>']`, as a repository path. */
  const script = (svc: Service) => {
    const file = (svc.entrypoint as string[])[1]!;
    const dir = file.slice(0, file.lastIndexOf('/'));
    return join(mounted(svc, dir), file.slice(dir.length + 1));
  };

  it('creates the namespace the API and workers use, with at least 7 days of retention', () => {
    expect(vars.KASSA_NAMESPACE).toBe(env(service('api')).TEMPORAL_NAMESPACE);
    expect(vars.KASSA_NAMESPACE).toBe(env(service('worker')).TEMPORAL_NAMESPACE);
    const match = /^(\d+)(h|d)$/.exec(vars.KASSA_NAMESPACE_RETENTION ?? '');
    expect(match).not.toBeNull();
    const days = Number(match![1]) / (match![2] === 'h' ? 24 : 1);
    expect(days).toBeGreaterThanOrEqual(7);
    expect(vars.TEMPORAL_ADDRESS).toBe(env(service('api')).TEMPORAL_ADDRESS);
  });

  it('registers every search attribute the workflows set, with its type', () => {
    const listed = Object.fromEntries(
      (vars.KASSA_SEARCH_ATTRIBUTES ?? '')
        .trim()
        .split(/\s+/)
        .map((pair) => pair.split('=') as [string, string]),
    );
    expect(listed).toEqual(searchAttributeDefinitions);
  });

  it('runs scripts that exist, under sh, with the schema and dynamic config the server is told to read', () => {
    for (const name of ['temporal-schema', 'temporal-setup']) {
      expect({ name, shell: (service(name).entrypoint as string[])[0], command: service(name).command }).toEqual({
        name,
        shell: '/bin/sh',
        command: undefined,
      });
      const file = script(service(name));
      expect({ name, exists: existsSync(file) }).toEqual({ name, exists: true });
      expect(spawnSync('sh', ['-n', file]).status).toBe(0);
    }
    const schema = readFileSync(script(service('temporal-schema')), 'utf8');
    expect(schema).toMatch(/temporal-sql-tool .*setup-schema -v 0\.0/);
    expect(schema).toMatch(/update-schema -d "\$schemas\/temporal\/versioned"/);
    expect(schema).toMatch(/update-schema -d "\$schemas\/visibility\/versioned"/);
    const temporal = service('temporal');
    const dynamicConfig = env(temporal).DYNAMIC_CONFIG_FILE_PATH!;
    const dir = dynamicConfig.slice(0, dynamicConfig.lastIndexOf('/'));
    const file = join(mounted(temporal, dir), dynamicConfig.slice(dir.length + 1));
    expect(parse(readFileSync(file, 'utf8'))).toMatchObject({
      'frontend.enableUpdateWorkflowExecution': [{ value: true }],
      'system.enableEagerWorkflowStart': [{ value: true }],
    });
  });

  /** Runs the namespace script with a stand-in `temporal` CLI that logs its calls and knows `present` attributes. */
  function runSetup(namespaceExists: boolean, present: string[]) {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-setup-'));
    try {
      const log = join(dir, 'calls.log');
      const cli = join(dir, 'temporal');
      writeFileSync(
        cli,
        [
          '#!/bin/sh',
          `echo "$*" >> "${log}"`,
          'case "$*" in',
          '  "operator cluster health") echo SERVING ;;',
          `  "operator namespace describe"*) ${namespaceExists ? 'exit 0' : 'exit 1'} ;;`,
          `  "operator search-attribute list"*) printf 'Name Type\n${present.map((n) => `${n} Keyword\n`).join('')}' ;;`,
          'esac',
        ].join('\n'),
      );
      chmodSync(cli, 0o755);
      const result = spawnSync('sh', [script(setup)], {
        env: { ...vars, PATH: `${dir}:${process.env.PATH}` },
        encoding: 'utf8',
      });
      const calls = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
      return { status: result.status, calls, stderr: result.stderr };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('creates a missing namespace with the retention and every search attribute', () => {
    const { status, calls } = runSetup(false, []);
    expect(status).toBe(0);
    expect(calls).toContain(
      `operator namespace create --namespace default --retention ${vars.KASSA_NAMESPACE_RETENTION} --description Kassa payments`,
    );
    const created = calls.filter((call) => call.startsWith('operator search-attribute create'));
    expect(created).toEqual(
      Object.entries(searchAttributeDefinitions).map(
        ([name, type]) => `operator search-attribute create --namespace default --name ${name} --type ${type}`,
      ),
    );
  });

  it('on an existing namespace sets the retention and creates only the search attributes it lacks', () => {
    const { status, calls } = runSetup(true, ['PaymentStatus', 'MerchantId', 'WorkflowId']);
    expect(status).toBe(0);
    expect(calls).toContain(
      `operator namespace update --namespace default --retention ${vars.KASSA_NAMESPACE_RETENTION}`,
    );
    expect(calls.filter((call) => call.startsWith('operator namespace create'))).toEqual([]);
    const created = calls
      .filter((call) => call.startsWith('operator search-attribute create'))
      .map((call) => /--name (\w+)/.exec(call)![1]);
    expect(created).toEqual(
      Object.keys(searchAttributeDefinitions).filter((name) => name !== 'PaymentStatus' && name !== 'MerchantId'),
    );
  });
});

describe('docker-compose.yml migrations job', () => {
  it('runs deploy/migrate.cjs from the image once, with the database and key the API uses', () => {
    const migrate = service('migrate');
    expect(isOneShot(migrate)).toBe(true);
    expect(migrate.command).toEqual(['node', 'deploy/migrate.cjs']);
    const vars = env(migrate);
    expect(vars.DATABASE_URL).toBe(env(service('api')).DATABASE_URL);
    expect(vars.NOTIFICATIONS_KEY).toBe(env(service('api')).NOTIFICATIONS_KEY);
    expect(vars.KASSA_ENV).toBe('production');
    expect(dependsOn(migrate)).toMatchObject({ postgres: { condition: 'service_healthy' } });
  });

  const runMigrate = (environment: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(root, 'deploy/migrate.cjs')], {
      cwd: root,
      env: { PATH: process.env.PATH, KASSA_DIST: root, ...environment },
      encoding: 'utf8',
    });

  it('applies the migrations to an empty database, then finds it up to date; a missing key is one line naming the variable', async () => {
    const database = await createTestDatabase();
    try {
      const production = {
        KASSA_ENV: 'production',
        DATABASE_URL: database.url,
        NOTIFICATIONS_KEY: testSecrets.NOTIFICATIONS_KEY!,
      };
      const first = runMigrate(production);
      expect({ status: first.status, stderr: first.stderr }).toEqual({ status: 0, stderr: '' });
      const migrations = readdirSync(join(root, 'src/db/migrations')).filter((file) => /^\d+_.+\.sql$/.test(file));
      expect(first.stdout).toMatch(new RegExp(`^migrations: ${migrations.length} applied `));
      const pool = new Pool({ connectionString: database.url, max: 1 });
      const applied = await pool
        .query<{ version: string }>('select version from schema_migrations order by version')
        .finally(() => pool.end());
      expect(applied.rows.map((row) => row.version)).toEqual(migrations.sort());

      const second = runMigrate(production);
      expect({ status: second.status, stdout: second.stdout }).toEqual({
        status: 0,
        stdout: 'migrations: up to date; 0 webhook secret(s) sealed\n',
      });

      const noKey = runMigrate({ KASSA_ENV: 'production', DATABASE_URL: database.url });
      expect({ status: noKey.status, stderr: noKey.stderr.trim() }).toEqual({
        status: 1,
        stderr: expect.stringMatching(/^configuration error: NOTIFICATIONS_KEY: is required in production/),
      });
    } finally {
      await database.drop();
    }
  }, 60_000);
});

describe('docker-compose.yml monitoring profile', () => {
  const prometheus = parse(readFileSync(join(root, 'deploy/prometheus/prometheus.yml'), 'utf8')) as {
    rule_files: string[];
    scrape_configs: { job_name: string; dns_sd_configs?: { names: string[]; type: string; port: number }[] }[];
  };

  it('adds Prometheus and Grafana only under the monitoring profile, and nothing else is profiled', () => {
    const profiled = Object.entries(compose.services)
      .filter(([, svc]) => svc.profiles !== undefined)
      .map(([name, svc]) => [name, svc.profiles]);
    expect(profiled).toEqual([
      ['prometheus', ['monitoring']],
      ['grafana', ['monitoring']],
    ]);
    expect(bindings(service('prometheus'))).toEqual([{ host: '127.0.0.1', published: '9090', target: '9090' }]);
    expect(bindings(service('grafana'))[0]?.host).toBe('127.0.0.1');
  });

  it('scrapes every API and worker replica on the METRICS_PORT they serve', () => {
    for (const name of ['api', 'worker']) {
      const job = prometheus.scrape_configs.find((config) => config.dns_sd_configs?.[0]?.names.includes(name));
      expect({ name, type: job?.dns_sd_configs?.[0]?.type, port: String(job?.dns_sd_configs?.[0]?.port) }).toEqual({
        name,
        type: 'A',
        port: env(service(name)).METRICS_PORT,
      });
      expect(ports(service(name)).map((p) => p.target)).not.toContain(env(service(name)).METRICS_PORT);
    }
  });

  it('gives Prometheus its configuration and alert rules, and Grafana its datasource and dashboard', () => {
    const configDir = join(root, (service('prometheus').volumes![0] as string).split(':')[0]!);
    expect(existsSync(join(configDir, 'prometheus.yml'))).toBe(true);
    for (const file of prometheus.rule_files) expect(existsSync(join(configDir, file))).toBe(true);
    expect(prometheus.rule_files).toContain('alerts.yml');

    const grafanaMounts = Object.fromEntries(
      (service('grafana').volumes as string[]).map((volume) => [volume.split(':')[1], volume.split(':')[0]]),
    );
    const provisioning = join(root, grafanaMounts['/etc/grafana/provisioning']!);
    const datasource = parse(readFileSync(join(provisioning, 'datasources/prometheus.yml'), 'utf8')) as {
      datasources: { url: string }[];
    };
    expect(datasource.datasources[0]!.url).toBe('http://prometheus:9090');
    const providers = parse(readFileSync(join(provisioning, 'dashboards/kassa.yml'), 'utf8')) as {
      providers: { options: { path: string } }[];
    };
    const dashboards = grafanaMounts[providers.providers[0]!.options.path]!;
    expect(existsSync(join(root, dashboards, 'kassa.json'))).toBe(true);
  });
});

describe('API proxy', () => {
  it('sends requests to every API replica on the port the API listens on', () => {
    const proxy = service('api-proxy');
    const conf = (proxy.volumes as string[]).find((volume) => volume.endsWith('/etc/nginx/conf.d/default.conf:ro'));
    const text = readFileSync(join(root, conf!.split(':')[0]!), 'utf8');
    expect(text).toMatch(new RegExp(`server api:${env(service('api')).PORT} resolve;`));
    expect(text).toMatch(/resolver 127\.0\.0\.11\b/);
    expect(text).toMatch(/listen 3000;/);
  });
});

const stages = parseDockerfile(dockerfile);
const runtime = stages[stages.length - 1]!;
const args = (stage: Stage, keyword: string) =>
  stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);

describe('Dockerfile', () => {
  it('builds in a stage of its own and runs from a second, slim stage, both on an exactly pinned Node 22 bookworm-slim', () => {
    expect(stages.map((stage) => stage.name)).toEqual(['build', 'runtime']);
    for (const stage of stages) {
      expect({ base: stage.image, pinned: isPinned(stage.image) }).toEqual({ base: stage.image, pinned: true });
      expect(stage.image).toMatch(/^node:22\.\d+\.\d+-bookworm-slim$/);
    }
  });

  it('installs from the lockfile with npm ci, builds, and prunes the dev packages in the build stage', () => {
    const build = stages[0]!;
    expect(args(build, 'COPY')).toContainEqual(expect.stringMatching(/^package\.json package-lock\.json \S+$/));
    const runs = args(build, 'RUN').join(' && ');
    expect(runs).toMatch(/\bnpm ci\b/);
    expect(runs).toMatch(/\bnpm run build\b.*\bnpm prune --omit=dev\b/);
  });

  it('copies into the build stage everything npm run build reads', () => {
    const sources = args(stages[0]!, 'COPY').flatMap((copy) =>
      copy
        .split(' ')
        .slice(0, -1)
        .filter((word) => !word.startsWith('--')),
    );
    const copied = (file: string) =>
      sources.some(
        (source) =>
          new RegExp(`^${source.replace(/[.]/g, '\\.').replace(/\*/g, '[^/]*')}$`).test(file) ||
          file.startsWith(`${source}/`),
      );
    const distConfig = JSON.parse(readFileSync(join(root, 'tsconfig.dist.json'), 'utf8')) as {
      extends?: string;
      include: string[];
    };
    // Every script file `npm run build` runs (the Node 22 launcher, the build script).
    const buildScripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.build as string).match(
      /scripts\/[\w.-]+/g,
    )!;
    expect(buildScripts).toEqual(expect.arrayContaining(['scripts/build.ts']));
    const needed = [
      'package.json',
      'package-lock.json',
      ...buildScripts,
      'tsconfig.dist.json',
      ...distConfig.include,
      ...(distConfig.extends ? [distConfig.extends.replace(/^\.\//, '')] : []),
      // The sandbox provider, compiled as a program of its own.
      'simulators',
    ];
    expect(needed).toEqual(expect.arrayContaining(['worker.ts', 'src', 'tsconfig.json']));
    expect(needed.filter((file) => !copied(file))).toEqual([]);
    expect(readFileSync(join(root, 'scripts/build.ts'), 'utf8').match(/^import .* from '\.[^']*'/gm)).toEqual([
      "import { workflowBundle } from '../worker'",
    ]);
  });

  it('copies only the pruned packages, dist/ and the health check into the runtime stage, and installs nothing from npm there', () => {
    const copies = args(runtime, 'COPY');
    expect(copies).toEqual(
      expect.arrayContaining([
        '--from=build /app/node_modules ./node_modules',
        '--from=build /app/dist ./dist',
        'deploy/healthcheck.cjs ./deploy/healthcheck.cjs',
        'deploy/migrate.cjs ./deploy/migrate.cjs',
      ]),
    );
    expect(args(runtime, 'RUN').join(' ')).not.toMatch(/\bnpm (ci|install|i)\b/);
    expect(args(runtime, 'RUN').join(' ')).not.toMatch(/\btsx\b/);
  });

  it('runs node dist/worker.js in production mode as the non-root node user under tini', () => {
    const users = args(runtime, 'USER');
    expect(users.length).toBeGreaterThan(0);
    expect(users[users.length - 1]).toBe('node');
    const afterUser = runtime.instructions.slice(runtime.instructions.findIndex((i) => i.keyword === 'USER'));
    expect(afterUser.filter((i) => i.keyword === 'RUN' || i.keyword === 'USER').map((i) => i.args)).toEqual(['node']);
    expect(args(runtime, 'ENV').join(' ')).toMatch(/\bNODE_ENV=production\b/);
    expect(args(runtime, 'RUN').join(' ')).toMatch(/apt-get install -y --no-install-recommends tini\b/);
    expect(args(runtime, 'ENTRYPOINT').map(execForm)).toEqual([['/usr/bin/tini', '--']]);
    expect(args(runtime, 'CMD').map(execForm)).toEqual([['node', 'dist/worker.js']]);
  });

  it('listens on all interfaces with a writable data directory owned by the app user', () => {
    const environment = args(runtime, 'ENV').join(' ');
    expect(environment).toMatch(/\bHOST=0\.0\.0\.0\b/);
    expect(environment).toMatch(/\bDATA_DIR=\/app\/\.data\b/);
    expect(args(runtime, 'RUN').join(' ')).toMatch(/chown node:node \/app\/\.data/);
  });

  it('health-checks /readyz with the script it copies in', () => {
    const checks = args(runtime, 'HEALTHCHECK');
    expect(checks).toHaveLength(1);
    const command = /\bCMD\s+(\[.*\])$/.exec(checks[0]!)?.[1];
    expect(execForm(command ?? '')).toEqual(['node', 'deploy/healthcheck.cjs']);
    expect(readFileSync(join(root, 'deploy/healthcheck.cjs'), 'utf8')).toMatch(/\/readyz`/);
  });
});

describe('deploy/healthcheck.cjs', () => {
  const runCheck = (environment: Record<string, string>, ...argv: string[]) =>
    new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [join(root, 'deploy/healthcheck.cjs'), ...argv], {
        env: { PATH: process.env.PATH, ...environment },
        stdio: 'ignore',
      });
      child.once('exit', (code) => resolve(code));
    });

  it('is healthy when PORT answers /readyz with 200, unhealthy on 503 or when nothing listens', async () => {
    let status = 200;
    const asked: string[] = [];
    const server = http.createServer((req, res) => {
      asked.push(req.url!);
      res.writeHead(status).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = String((server.address() as AddressInfo).port);
    try {
      expect(await runCheck({ PORT: port, HOST: '0.0.0.0' })).toBe(0);
      status = 503;
      expect(await runCheck({ PORT: port })).toBe(1);
      status = 200;
      expect(await runCheck({}, `http://127.0.0.1:${port}/healthz`)).toBe(0);
      expect(asked).toEqual(['/readyz', '/readyz', '/healthz']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(await runCheck({ PORT: port })).toBe(1);
  });
});

/** `.env.example`: active `NAME=value` lines and commented `# NAME=value` ones. */
function envExample(): { active: Record<string, string>; listed: Set<string> } {
  const active: Record<string, string> = {};
  const listed = new Set<string>();
  for (const line of readFileSync(join(root, '.env.example'), 'utf8').split('\n')) {
    const match = /^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!match) continue;
    listed.add(match[2]!);
    if (!match[1]) active[match[2]!] = match[3]!.replace(/^"(.*)"$/, '$1');
  }
  return { active, listed };
}

describe('.env.example', () => {
  it('lists every variable of the configuration schema and of the README configuration table', () => {
    const { listed } = envExample();
    const config = readFileSync(join(root, 'src/config.ts'), 'utf8');
    const fromSchema = [...config.slice(config.indexOf('const envSchema')).matchAll(/^ {4}([A-Z][A-Z0-9_]*):/gm)].map(
      (m) => m[1]!,
    );
    expect(fromSchema).toEqual(expect.arrayContaining(['PORT', 'DATABASE_URL', 'NOTIFICATIONS_KEY']));
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const table = readme.slice(
      readme.indexOf('## Configuration'),
      readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1),
    );
    const fromReadme = [...table.matchAll(/^\|([^|]*)\|/gm)].flatMap((row) =>
      [...row[1]!.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]!),
    );
    expect(fromReadme.length).toBeGreaterThan(10);
    const missing = [...new Set([...fromSchema, ...fromReadme])].filter((name) => !listed.has(name));
    expect(missing).toEqual([]);
  });

  it('gives each variable it sets its default: loaded as the environment, it configures Kassa as no environment does', () => {
    const { active } = envExample();
    expect(Object.keys(active).length).toBeGreaterThan(10);
    expect(loadConfig(active)).toEqual(loadConfig({}));
  });

  it('is the only .env file git and Docker take; dist/ is in neither', () => {
    const ignoredByGit = (file: string) => {
      try {
        execFileSync('git', ['check-ignore', '-q', '--no-index', file], { cwd: root });
        return true;
      } catch {
        return false;
      }
    };
    expect(
      ['.env', '.env.production', 'dist/worker.js', '.env.example'].map((file) => [file, ignoredByGit(file)]),
    ).toEqual([
      ['.env', true],
      ['.env.production', true],
      ['dist/worker.js', true],
      ['.env.example', false],
    ]);
    const dockerignore = readFileSync(join(root, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim());
    expect(dockerignore).toEqual(
      expect.arrayContaining(['.env', '.env.*', '!.env.example', 'node_modules', 'dist', '.data', '.git']),
    );
  });
});
