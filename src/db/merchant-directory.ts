import type { Pool } from 'pg';

interface DirectoryRow {
  id: string;
  name: string;
  email: string;
  created_at: Date;
  checkouts: string;
  active_keys: string;
  payments_30d: string;
}

/** A merchant as the operator's directory lists it: who, and how much it uses Kassa. */
export interface MerchantDirectoryEntry {
  id: string;
  name: string;
  email: string;
  createdAt: Date;
  checkouts: number;
  activeKeys: number;
  /** Payments made in the last 30 days, test and live. */
  recentPayments: number;
}

export interface MerchantDirectoryFilter {
  /** Part of the name or e-mail, or the whole id. */
  search?: string;
  limit: number;
  /** The id of the last merchant of the previous page. */
  startingAfter?: string;
}

/** `%`, `_` and `\` taken literally in a LIKE pattern. */
const likeLiteral = (text: string) => text.replace(/[\\%_]/g, (char) => `\\${char}`);

/** Merchants, newest first, with their counts. */
export async function listMerchantDirectory(
  db: Pool,
  filter: MerchantDirectoryFilter,
): Promise<{ merchants: MerchantDirectoryEntry[]; hasMore: boolean }> {
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
  const { rows } = await db.query<DirectoryRow>(
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
      id: row.id,
      name: row.name,
      email: row.email,
      createdAt: row.created_at,
      checkouts: Number(row.checkouts),
      activeKeys: Number(row.active_keys),
      recentPayments: Number(row.payments_30d),
    })),
    hasMore: rows.length > filter.limit,
  };
}
