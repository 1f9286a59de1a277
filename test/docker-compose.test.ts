import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const root = join(__dirname, '..');

type Environment = Record<string, string | number | boolean | null> | string[];
type PortSpec = string | number | { target: number | string; published?: number | string; host_ip?: string };

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  environment?: Environment;
  ports?: PortSpec[];
  volumes?: (string | { type?: string; source?: string; target: string })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[] };
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
      return { published: spec.published === undefined ? undefined : String(spec.published), target: String(spec.target) };
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

function dockerfileBaseImages(): string[] {
  return [...dockerfile.matchAll(/^FROM\s+(?:--platform=\S+\s+)?(\S+)/gim)].map((m) => m[1]!);
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
    expect(service('sandbox').command).toEqual(['npx', 'tsx', 'src/providers/sandbox/main.ts']);
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
    expect(env(service('api'))).toMatchObject({ KASSA_ROLE: 'api', PORT: '3000', KASSA_ENV: 'production', HOST: '0.0.0.0' });
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
    for (const database of wanted) expect({ database, created: created.has(database) }).toEqual({ database, created: true });
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
        expect({ service: name, dependsOn: dep, exists: names.has(dep) }).toEqual({ service: name, dependsOn: dep, exists: true });
      }
    }
    expect(dependencies(service('api'))).toEqual(expect.arrayContaining(['postgres', 'temporal']));
    expect(dependencies(service('worker'))).toEqual(expect.arrayContaining(['postgres', 'temporal']));
  });
});

describe('Dockerfile', () => {
  it('builds from an exactly pinned Node 20 image', () => {
    const bases = dockerfileBaseImages();
    expect(bases.length).toBeGreaterThan(0);
    for (const base of bases) {
      expect({ base, pinned: isPinned(base) }).toEqual({ base, pinned: true });
      expect(base).toMatch(/^node:20\./);
    }
  });

  it('installs dependencies from the lockfile with npm ci', () => {
    expect(dockerfile).toMatch(/^COPY\s+package\.json\s+package-lock\.json\s+\S+/m);
    expect(dockerfile).toMatch(/^RUN\s+(?:.*&&\s*)?npm ci\b/m);
  });

  it('runs as a non-root user in production mode', () => {
    const users = [...dockerfile.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
    expect(users.length).toBeGreaterThan(0);
    expect(users[users.length - 1]).not.toMatch(/^(root|0)(:|$)/);
    expect(dockerfile).toMatch(/^ENV\s+NODE_ENV=production\b/m);
    expect(dockerfile).toMatch(/^CMD\s+\["npx",\s*"tsx",\s*"worker\.ts"\]/m);
  });
});
