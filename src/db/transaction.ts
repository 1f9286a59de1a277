import type { Pool, PoolClient } from 'pg';

/** What a query runs on: the pool (one statement, autocommit) or a connection inside a transaction. */
export type Queryable = Pool | PoolClient;

/** Runs `work` in one transaction on a connection the caller holds: committed when it resolves, rolled back when it throws. */
export async function transactionOn<T>(client: PoolClient, work: () => Promise<T>): Promise<T> {
  await client.query('begin');
  try {
    const result = await work();
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  }
}

/** Runs `work` in one transaction on one connection from `pool`, released afterwards. */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    return await transactionOn(client, () => work(client));
  } finally {
    client.release();
  }
}
