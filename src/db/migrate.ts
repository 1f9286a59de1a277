import fs from 'node:fs/promises';
import path from 'node:path';
import type { Pool } from 'pg';
import { transactionOn } from './transaction';

const migrationsDir = path.join(__dirname, 'migrations');
const lockKey = 4_711_2026;

/**
 * Applies the numbered `.sql` files not applied yet, each in its own transaction, under an
 * advisory lock so that processes starting together apply each file once.
 */
export async function migrate(pool: Pool): Promise<string[]> {
  const files = (await fs.readdir(migrationsDir)).filter((name) => /^\d+_.+\.sql$/.test(name)).sort();
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('select pg_advisory_lock($1)', [lockKey]);
    await client.query(
      'create table if not exists schema_migrations (version text primary key, applied_at timestamptz not null default now())',
    );
    const { rows } = await client.query<{ version: string }>('select version from schema_migrations');
    const done = new Set(rows.map((row) => row.version));
    for (const file of files) {
      if (done.has(file)) continue;
      const sql = await fs.readFile(path.join(migrationsDir, file), 'utf8');
      await transactionOn(client, async () => {
        await client.query(sql);
        await client.query('insert into schema_migrations (version) values ($1)', [file]);
      }).catch((error: unknown) => {
        throw new Error(`migration ${file} failed: ${(error as Error).message}`);
      });
      applied.push(file);
    }
  } finally {
    await client.query('select pg_advisory_unlock($1)', [lockKey]).catch(() => undefined);
    client.release();
  }
  return applied;
}
