import { Pool } from 'pg';

/**
 * How long a query may wait for a connection: to open one (a server that accepts and never
 * answers) or for a free one in a full pool. Past it the query fails instead of hanging.
 */
export const connectTimeoutMs = 5_000;

/**
 * Postgres `bigint` comes back as a string; Kassa turns it into `bigint` in each mapRow.
 *
 * A connection the server drops (a restart, a failover, `pg_terminate_backend`) never stops the
 * process: idle ones are removed by the pool, and one that is checked out (a transaction waiting
 * on a provider) fails its next query and is discarded when released.
 */
export function createPool(connectionString: string, max: number): Pool {
  const pool = new Pool({
    connectionString,
    max,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: connectTimeoutMs,
    keepAlive: true,
  });
  pool.on('error', (error) => console.error(`database pool error: ${error.message}`));
  // pg-pool listens for errors only while a client is idle; without this, an error on a checked-out
  // client between two queries is an unhandled 'error' event that ends the process.
  pool.on('connect', (client) => {
    client.on('error', (error) => console.error(`database connection lost while in use: ${error.message}`));
  });
  return pool;
}

const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  // SQLSTATE class 08 (connection exception) and 57P01–57P03 (shutdown, crash, not accepting connections yet)
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '57P01',
  '57P02',
  '57P03',
]);

const unavailableMessages = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'is not queryable',
  'Client was closed',
];

/**
 * Whether an error means the database cannot be reached now (down, restarting, unreachable,
 * connection lost) rather than that the query was wrong: the request may be retried later.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  // Duck-typed: errors from Node's sockets may come from another realm than this module's `Error`.
  if (typeof error !== 'object' || error === null) return false;
  const { code, message, errors } = error as { code?: unknown; message?: unknown; errors?: unknown };
  if (typeof code === 'string' && unavailableCodes.has(code)) return true;
  if (Array.isArray(errors) && errors.some(isDatabaseUnavailable)) return true;
  return typeof message === 'string' && unavailableMessages.some((text) => message.includes(text));
}
