import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { newId, randomToken } from '../domain/ids';
import type { ApiKey, KeyMode, Merchant, MerchantPrincipal } from '../domain/merchant';
import { inTransaction, type Queryable } from './transaction';

interface MerchantRow {
  id: string;
  name: string;
  email: string;
  created_at: Date;
}

interface ApiKeyRow {
  id: string;
  merchant_id: string;
  mode: KeyMode;
  key_prefix: string;
  created_at: Date;
  revoked_at: Date | null;
}

const mapRow = (row: MerchantRow): Merchant => ({
  id: row.id,
  name: row.name,
  email: row.email,
  createdAt: row.created_at,
});

const mapKeyRow = (row: ApiKeyRow): ApiKey => ({
  id: row.id,
  merchantId: row.merchant_id,
  mode: row.mode,
  prefix: row.key_prefix,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});

const keyColumns = 'id, merchant_id, mode, key_prefix, created_at, revoked_at';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A new key for `merchantId`; the returned `secret` exists nowhere else. */
async function insertApiKey(
  db: Queryable,
  merchantId: string,
  mode: KeyMode,
): Promise<{ key: ApiKey; secret: string }> {
  const secret = `sk_${mode}_${randomToken(32)}`;
  const { rows } = await db.query<ApiKeyRow>(
    `insert into api_keys (id, merchant_id, mode, key_hash, key_prefix) values ($1, $2, $3, $4, $5) returning ${keyColumns}`,
    [newId('key'), merchantId, mode, hashApiKey(secret), secret.slice(0, 12)],
  );
  return { key: mapKeyRow(rows[0]!), secret };
}

/** Creates a merchant with one test and one live key; the keys are returned once, stored hashed. */
export async function createMerchant(db: Pool, input: { name: string; email: string }) {
  return inTransaction(db, async (client) => {
    const { rows } = await client.query<MerchantRow>(
      'insert into merchants (id, name, email) values ($1, $2, $3) returning *',
      [newId('mer'), input.name, input.email],
    );
    const merchant = mapRow(rows[0]!);
    const test = await insertApiKey(client, merchant.id, 'test');
    const live = await insertApiKey(client, merchant.id, 'live');
    return { merchant, apiKeys: { test: test.secret, live: live.secret } };
  });
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

/** A merchant with how much it uses Kassa, as the operator's list of merchants shows it. */
export interface MerchantSummary extends Merchant {
  checkouts: number;
  activeKeys: number;
  /** Payments made in the last 30 days, test and live. */
  recentPayments: number;
}

export interface MerchantListFilter {
  /** Part of the name or e-mail, or the whole id. */
  search?: string;
  limit: number;
  /** The id of the last merchant of the previous page. */
  startingAfter?: string;
}

/** `%`, `_` and `\` taken literally in a LIKE pattern. */
const likeLiteral = (text: string) => text.replace(/[\\%_]/g, (char) => `\\${char}`);

/** A page of merchants, newest first, each with its counts. */
export async function listMerchantSummaries(
  db: Pool,
  filter: MerchantListFilter,
): Promise<{ merchants: MerchantSummary[]; hasMore: boolean }> {
  const params: unknown[] = [];
  const where: string[] = [];
  if (filter.search) {
    const pattern = `%${likeLiteral(filter.search)}%`;
    where.push(
      `(m.id = $${params.push(filter.search)} or m.name ilike $${params.push(pattern)} or m.email ilike $${params.push(pattern)})`,
    );
  }
  if (filter.startingAfter) {
    where.push(
      `(m.created_at, m.id) < (select created_at, id from merchants where id = $${params.push(filter.startingAfter)})`,
    );
  }
  const { rows } = await db.query<MerchantRow & { checkouts: string; active_keys: string; payments_30d: string }>(
    `select m.id, m.name, m.email, m.created_at,
       (select count(*) from checkouts c where c.merchant_id = m.id) as checkouts,
       (select count(*) from api_keys k where k.merchant_id = m.id and k.revoked_at is null) as active_keys,
       (select count(*) from payments p where p.merchant_id = m.id and p.created_at > now() - interval '30 days') as payments_30d
     from merchants m
     ${where.length ? `where ${where.join(' and ')}` : ''}
     order by m.created_at desc, m.id desc
     limit $${params.push(filter.limit + 1)}`,
    params,
  );
  return {
    merchants: rows.slice(0, filter.limit).map((row) => ({
      ...mapRow(row),
      checkouts: Number(row.checkouts),
      activeKeys: Number(row.active_keys),
      recentPayments: Number(row.payments_30d),
    })),
    hasMore: rows.length > filter.limit,
  };
}

export async function issueApiKey(db: Pool, merchantId: string, mode: KeyMode) {
  return insertApiKey(db, merchantId, mode);
}

/** A merchant's keys, newest first, revoked ones included. */
export async function listApiKeys(db: Pool, merchantId: string): Promise<ApiKey[]> {
  const { rows } = await db.query<ApiKeyRow>(
    `select ${keyColumns} from api_keys where merchant_id = $1 order by created_at desc, id desc`,
    [merchantId],
  );
  return rows.map(mapKeyRow);
}

export async function findApiKey(db: Pool, keyId: string): Promise<ApiKey | null> {
  const { rows } = await db.query<ApiKeyRow>(`select ${keyColumns} from api_keys where id = $1`, [keyId]);
  return rows[0] ? mapKeyRow(rows[0]) : null;
}

/** Revokes a key at once (the next request with it is refused); revoking twice keeps the first time. */
export async function revokeApiKey(db: Queryable, merchantId: string, keyId: string): Promise<ApiKey | null> {
  const { rows } = await db.query<ApiKeyRow>(
    `update api_keys set revoked_at = coalesce(revoked_at, now()) where id = $1 and merchant_id = $2 returning ${keyColumns}`,
    [keyId, merchantId],
  );
  return rows[0] ? mapKeyRow(rows[0]) : null;
}

/**
 * Revokes an active key and issues its replacement in the same mode, in one transaction.
 * `null` when the key is not the merchant's or is revoked already.
 */
export async function rotateApiKey(db: Pool, merchantId: string, keyId: string) {
  return inTransaction(db, async (client) => {
    const { rows } = await client.query<ApiKeyRow>(
      `update api_keys set revoked_at = now() where id = $1 and merchant_id = $2 and revoked_at is null returning ${keyColumns}`,
      [keyId, merchantId],
    );
    if (!rows[0]) return null;
    const revoked = mapKeyRow(rows[0]);
    return { revoked, ...(await insertApiKey(client, merchantId, revoked.mode)) };
  });
}
