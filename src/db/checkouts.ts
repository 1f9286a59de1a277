import type { Pool } from 'pg';
import type { FeePayer } from '../domain/payment';

export interface Checkout {
  id: string;
  merchantId: string;
  testMode: boolean;
  name: string;
  siteUrl: string;
  currencies: string[];
  notifyUrl: string;
  successUrl: string;
  failUrl: string;
  pendingUrl: string;
  feePayer: FeePayer;
  webhookSecret: string;
  createdAt: Date;
  updatedAt: Date;
}

interface CheckoutRow {
  id: string;
  merchant_id: string;
  test_mode: boolean;
  name: string;
  site_url: string;
  currencies: string[];
  notify_url: string;
  success_url: string;
  fail_url: string;
  pending_url: string;
  fee_payer: FeePayer;
  webhook_secret: string;
  created_at: Date;
  updated_at: Date;
}

const mapRow = (row: CheckoutRow): Checkout => ({
  id: row.id,
  merchantId: row.merchant_id,
  testMode: row.test_mode,
  name: row.name,
  siteUrl: row.site_url,
  currencies: row.currencies,
  notifyUrl: row.notify_url,
  successUrl: row.success_url,
  failUrl: row.fail_url,
  pendingUrl: row.pending_url,
  feePayer: row.fee_payer,
  webhookSecret: row.webhook_secret,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export type CheckoutSettings = Pick<
  Checkout,
  'name' | 'siteUrl' | 'currencies' | 'notifyUrl' | 'successUrl' | 'failUrl' | 'pendingUrl' | 'feePayer'
>;

const columns: Record<keyof CheckoutSettings, string> = {
  name: 'name',
  siteUrl: 'site_url',
  currencies: 'currencies',
  notifyUrl: 'notify_url',
  successUrl: 'success_url',
  failUrl: 'fail_url',
  pendingUrl: 'pending_url',
  feePayer: 'fee_payer',
};

export async function insertCheckout(
  db: Pool,
  checkout: CheckoutSettings & { id: string; merchantId: string; testMode: boolean; webhookSecret: string },
): Promise<Checkout> {
  const { rows } = await db.query<CheckoutRow>(
    `insert into checkouts (id, merchant_id, test_mode, name, site_url, currencies, notify_url, success_url, fail_url,
       pending_url, fee_payer, webhook_secret)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) returning *`,
    [
      checkout.id,
      checkout.merchantId,
      checkout.testMode,
      checkout.name,
      checkout.siteUrl,
      checkout.currencies,
      checkout.notifyUrl,
      checkout.successUrl,
      checkout.failUrl,
      checkout.pendingUrl,
      checkout.feePayer,
      checkout.webhookSecret,
    ],
  );
  return mapRow(rows[0]!);
}

/** A checkout as its owner sees it: another merchant's, or the other mode's, is not found. */
export async function findCheckout(db: Pool, owner: { merchantId: string; testMode: boolean }, id: string) {
  const { rows } = await db.query<CheckoutRow>(
    'select * from checkouts where id = $1 and merchant_id = $2 and test_mode = $3',
    [id, owner.merchantId, owner.testMode],
  );
  return rows[0] ? mapRow(rows[0]) : null;
}

export async function findCheckoutById(db: Pool, id: string): Promise<Checkout | null> {
  const { rows } = await db.query<CheckoutRow>('select * from checkouts where id = $1', [id]);
  return rows[0] ? mapRow(rows[0]) : null;
}

export async function updateCheckout(
  db: Pool,
  owner: { merchantId: string; testMode: boolean },
  id: string,
  changes: Partial<CheckoutSettings>,
): Promise<Checkout | null> {
  const entries = Object.entries(changes).filter(([, value]) => value !== undefined) as [keyof CheckoutSettings, unknown][];
  if (entries.length === 0) return findCheckout(db, owner, id);
  const sets = entries.map(([key], index) => `${columns[key]} = $${index + 4}`);
  const { rows } = await db.query<CheckoutRow>(
    `update checkouts set ${sets.join(', ')}, updated_at = now()
     where id = $1 and merchant_id = $2 and test_mode = $3 returning *`,
    [id, owner.merchantId, owner.testMode, ...entries.map(([, value]) => value)],
  );
  return rows[0] ? mapRow(rows[0]) : null;
}
