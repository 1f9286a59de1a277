import { startPostgresCluster, startTemporalDevServer } from './processes';

/**
 * One real PostgreSQL cluster and one real Temporal dev server for the whole run. With
 * `DATABASE_URL` set (a role that may create databases), tests use that server instead: each test
 * file creates and drops a database of its own there.
 */
export default async function globalSetup() {
  const given = process.env.DATABASE_URL;
  // Kassa processes the tests start get their database explicitly, never this one by inheritance.
  delete process.env.DATABASE_URL;
  const [postgres, temporal] = await Promise.all([
    given ? undefined : startPostgresCluster(),
    startTemporalDevServer(),
  ]);
  process.env.TEST_POSTGRES_ADMIN_URL = postgres?.adminUrl ?? adminUrlOf(given!);
  process.env.TEST_TEMPORAL_ADDRESS = temporal.address;
  (globalThis as Record<string, unknown>).__kassaTestServers = { postgres, temporal };
}

/** The same server and role, on its `postgres` database: test databases are created from there. */
function adminUrlOf(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  return url.toString();
}
