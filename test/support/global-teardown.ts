import type { PostgresCluster, TemporalDevServer } from './processes';

export default async function globalTeardown() {
  const servers = (globalThis as Record<string, unknown>).__kassaTestServers as
    { postgres?: PostgresCluster; temporal: TemporalDevServer } | undefined;
  if (!servers) return;
  await Promise.allSettled([servers.temporal.stop(), servers.postgres?.stop()]);
}
