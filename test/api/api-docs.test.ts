import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { Pool } from 'pg';
import { createApp } from '../../src/api/app';
import { servedRoutes } from '../../src/api/method-not-allowed';
import { loadConfig } from '../../src/config';
import { providersFromConfig } from '../../src/providers/registry';
import type { ServiceDeps } from '../../src/services/deps';

const root = path.resolve(__dirname, '../..');
const doc = fs.readFileSync(path.join(root, 'docs/api.md'), 'utf8');
const planned = doc.indexOf('\n## Planned');
const promised = planned < 0 ? doc : doc.slice(0, planned);
const plannedText = planned < 0 ? '' : doc.slice(planned);

/** `METHOD /path` as one key: parameters unnamed, no query, no trailing slash. */
const endpointKey = (method: string, route: string) =>
  `${method} ${route
    .split('?')[0]!
    .replace(/:\w+/g, ':')
    .replace(/(.)\/$/, '$1')}`;

const endpointsIn = (text: string) =>
  new Set([...text.matchAll(/`(GET|POST|PUT|PATCH|DELETE) (\/[^`\s]*)`/g)].map((m) => endpointKey(m[1]!, m[2]!)));

function served(): Set<string> {
  const config = loadConfig({
    KASSA_ENV: 'test',
    DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'kassa-docs-')),
    ADMIN_TOKEN: 'adm_docs_test_token_0123',
    LOG_LEVEL: 'silent',
  });
  // Routes are read from the routing table; no request is made, so nothing reaches the database or Temporal.
  const db = new Pool({ connectionString: 'postgres://127.0.0.1:1/unused', max: 1 });
  const deps: ServiceDeps = { db, temporal: {} as Client, providers: providersFromConfig(config), config };
  const app = createApp(deps);
  void db.end();
  return new Set(
    servedRoutes(app).flatMap((route) =>
      route.methods.filter((method) => method !== 'HEAD').map((method) => endpointKey(method, route.path)),
    ),
  );
}

describe('docs/api.md', () => {
  const routes = served();

  it('documents every endpoint the server serves', () => {
    expect(routes.size).toBeGreaterThan(30);
    const documented = endpointsIn(promised);
    expect([...routes].filter((endpoint) => !documented.has(endpoint)).sort()).toEqual([]);
  });

  it('promises no endpoint the server does not serve', () => {
    expect([...endpointsIn(promised)].filter((endpoint) => !routes.has(endpoint)).sort()).toEqual([]);
  });

  it('lists as planned only endpoints that do not exist yet', () => {
    const plannedEndpoints = [...endpointsIn(plannedText)];
    expect(plannedEndpoints.filter((endpoint) => routes.has(endpoint)).sort()).toEqual([]);
  });

  it('stands alone: no reference to files outside the repository', () => {
    expect(doc).not.toMatch(/\.\.\/shared|CONTRACT(\.md| \u00a7)/);
  });
});
