import { startPostgresCluster, startTemporalDevServer } from './processes';

/** One real PostgreSQL cluster and one real Temporal dev server for the whole run. */
export default async function globalSetup() {
  const [postgres, temporal] = await Promise.all([startPostgresCluster(), startTemporalDevServer()]);
  process.env.TEST_POSTGRES_ADMIN_URL = postgres.adminUrl;
  process.env.TEST_TEMPORAL_ADDRESS = temporal.address;
  (globalThis as Record<string, unknown>).__kassaTestServers = { postgres, temporal };
}
