import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { newId, randomToken } from '../domain/ids';

export type KeyMode = 'test' | 'live';

export interface Merchant {
  id: string;
  name: string;
  email: string;
  createdAt: Date;
}

/** Who is calling the merchant API, resolved from an `sk_…` key. */
export interface MerchantPrincipal {
  merchantId: string;
  testMode: boolean;
  keyId: string;
}

interface MerchantRow {
  id: string;
  name: string;
  email: string;
  created_at: Date;
}

const mapRow = (row: MerchantRow): Merchant => ({ id: row.id, name: row.name, email: row.email, createdAt: row.created_at });

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Creates a merchant with one test and one live key; the keys are returned once, stored hashed. */
export async function createMerchant(db: Pool, input: { name: string; email: string }) {
  const merchantId = newId('mer');
  const keys = { test: `sk_test_${randomToken(32)}`, live: `sk_live_${randomToken(32)}` };
  const client = await db.connect();
  try {
    await client.query('begin');
    const { rows } = await client.query<MerchantRow>(
      'insert into merchants (id, name, email) values ($1, $2, $3) returning *',
      [merchantId, input.name, input.email],
    );
    for (const mode of ['test', 'live'] as const) {
      await client.query('insert into api_keys (id, merchant_id, mode, key_hash, key_prefix) values ($1, $2, $3, $4, $5)', [
        newId('key'),
        merchantId,
        mode,
        hashApiKey(keys[mode]),
        keys[mode].slice(0, 12),
      ]);
    }
    await client.query('commit');
    return { merchant: mapRow(rows[0]!), apiKeys: keys };
  } catch (error) {
    await client.query('rollback');
    throw error;
  } finally {
    client.release();
  }
}

export async function findPrincipalByApiKey(db: Pool, key: string): Promise<MerchantPrincipal | null> {
  const { rows } = await db.query<{ id: string; merchant_id: string; mode: KeyMode }>(
    'select id, merchant_id, mode from api_keys where key_hash = $1 and revoked_at is null',
    [hashApiKey(key)],
  );
  const row = rows[0];
  return row ? { merchantId: row.merchant_id, testMode: row.mode === 'test', keyId: row.id } : null;
}

export async function findMerchant(db: Pool, id: string): Promise<Merchant | null> {
  const { rows } = await db.query<MerchantRow>('select * from merchants where id = $1', [id]);
  return rows[0] ? mapRow(rows[0]) : null;
}
