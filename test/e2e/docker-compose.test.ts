import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config';
import { execForm, parseDockerfile, type Stage } from '../support/dockerfile';

const root = join(__dirname, '../..');

type Environment = Record<string, string | number | boolean | null> | string[];
type PortSpec = string | number | { target: number | string; published?: number | string; host_ip?: string };

interface Service {
  image?: string;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  environment?: Environment;
  ports?: PortSpec[];
  volumes?: (string | { type?: string; source?: string; target: string })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  deploy?: { replicas?: number };
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
  return (svc.ports ?? []).map((spec) => {
    if (typeof spec === 'object') {
      return {
        published: spec.published === undefined ? undefined : String(spec.published),
        target: String(spec.target),
      };
    }
    const parts = String(spec).split('/')[0]!.split(':');
    const target = parts[parts.length - 1]!;
    return parts.length > 1 ? { published: parts[parts.length - 2], target } : { target };
  });
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
    for (const ref of ['postgres:15.8-bookworm', 'temporalio/auto-setup:1.29.1', 'node:20.19.5-bookworm-slim']) {
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

  it('defines the postgres, temporal, temporal-ui, api, worker and sandbox services', () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining(['postgres', 'temporal', 'temporal-ui', 'api', 'worker', 'sandbox']),
    );
  });

  it('publishes the API on 3000, Temporal on 7233, its UI on 8233 and the sandbox on 4100', () => {
    expect(ports(service('api'))).toContainEqual({ published: '3000', target: '3000' });
    expect(ports(service('temporal'))).toContainEqual({ published: '7233', target: '7233' });
    expect(ports(service('temporal-ui'))).toContainEqual({ published: '8233', target: '8080' });
    expect(ports(service('sandbox'))).toContainEqual({ published: '4100', target: '4100' });
  });

  it('builds the API, worker and sandbox from the repository Dockerfile', () => {
    for (const name of ['api', 'worker', 'sandbox']) {
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

  it('runs at least two workers and publishes no worker port', () => {
    const worker = service('worker');
    expect(worker.deploy?.replicas).toBeGreaterThanOrEqual(2);
    expect(worker.ports ?? []).toEqual([]);
  });

  it('persists Temporal to the postgres service with the postgres credentials', () => {
    const temporal = env(service('temporal'));
    const db = env(service('postgres'));
    expect(temporal).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgres', DB_PORT: '5432' });
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
});

describe('docker-compose.yml health checks', () => {
  it('checks the sandbox on its own /healthz and turns the check off for workers, which serve no HTTP', () => {
    const sandbox = service('sandbox');
    expect(sandbox.healthcheck?.test).toEqual([
      'CMD',
      'node',
      'deploy/healthcheck.cjs',
      `http://127.0.0.1:${env(sandbox).SANDBOX_PORT}/healthz`,
    ]);
    expect(service('worker').healthcheck).toEqual({ disable: true });
    expect(service('api').healthcheck).toBeUndefined();
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
