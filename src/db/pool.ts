import { Pool } from 'pg';

/** Postgres `bigint` comes back as a string; Kassa turns it into `bigint` in each mapRow. */
export function createPool(connectionString: string, max: number): Pool {
  const pool = new Pool({ connectionString, max, idleTimeoutMillis: 30_000 });
  pool.on('error', (error) => console.error(`database pool error: ${error.message}`));
  return pool;
}
