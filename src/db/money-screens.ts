import type { Pool } from 'pg';
import type { MerchantScope } from '../domain/merchant';
import type { PaymentStatus } from '../domain/payment';

/** A payment as the cabinet's list and its CSV export show it. */
export interface PaymentListRow {
  id: string;
  checkoutId: string;
  orderId: string;
  status: PaymentStatus;
  amountMinor: bigint;
  currency: string;
  description: string;
  method: string | null;
  feeMinor: bigint | null;
  buyerTotalMinor: bigint | null;
  merchantNetMinor: bigint | null;
  createdAt: Date;
  paidAt: Date | null;
}

/** What the cabinet's payment list can be narrowed by; every field is optional but the owner and the page size. */
export interface PaymentSearch {
  status?: PaymentStatus;
  /** Created at or after. */
  createdFrom?: Date;
  /** Created before. */
  createdBefore?: Date;
  orderId?: string;
  currency?: string;
  /** Decimal strings compared with each payment's amount in its own currency. */
  amountMin?: string;
  amountMax?: string;
  limit: number;
  /** The id of the last payment of the previous page. */
  startingAfter?: string;
}

interface ListRow {
  id: string;
  checkout_id: string;
  order_id: string;
  status: PaymentStatus;
  amount_minor: string;
  currency: string;
  description: string;
  method: string | null;
  fee_minor: string | null;
  buyer_total_minor: string | null;
  merchant_net_minor: string | null;
  created_at: Date;
  paid_at: Date | null;
}

const toBigInt = (value: string | null) => (value === null ? null : BigInt(value));

/**
 * A page of the owner's payments, newest first, narrowed by `search`; `scales` gives each
 * currency's minor units per major unit, so an amount range compares decimal amounts exactly.
 */
export async function searchPayments(
  db: Pool,
  owner: MerchantScope,
  search: PaymentSearch,
  scales: ReadonlyMap<string, bigint>,
): Promise<{ payments: PaymentListRow[]; hasMore: boolean }> {
  const params: unknown[] = [owner.merchantId, owner.testMode];
  const where = ['merchant_id = $1', 'test_mode = $2'];
  if (search.status) where.push(`status = $${params.push(search.status)}`);
  if (search.createdFrom) where.push(`created_at >= $${params.push(search.createdFrom)}`);
  if (search.createdBefore) where.push(`created_at < $${params.push(search.createdBefore)}`);
  if (search.orderId) where.push(`order_id = $${params.push(search.orderId)}`);
  if (search.currency) where.push(`currency = $${params.push(search.currency)}`);
  if (search.amountMin !== undefined || search.amountMax !== undefined) {
    const codes = [...scales.keys()];
    const factors = codes.map((code) => scales.get(code)!.toString());
    const decimal = `(amount_minor::numeric / (select u.f from unnest($${params.push(codes)}::text[], $${params.push(
      factors,
    )}::numeric[]) as u(c, f) where u.c = currency))`;
    if (search.amountMin !== undefined) where.push(`${decimal} >= $${params.push(search.amountMin)}::numeric`);
    if (search.amountMax !== undefined) where.push(`${decimal} <= $${params.push(search.amountMax)}::numeric`);
  }
  if (search.startingAfter) {
    where.push(
      `(created_at, id) < (select created_at, id from payments where id = $${params.push(search.startingAfter)} and merchant_id = $1)`,
    );
  }
  const { rows } = await db.query<ListRow>(
    `select id, checkout_id, order_id, status, amount_minor, currency, description, method, fee_minor,
            buyer_total_minor, merchant_net_minor, created_at, paid_at
       from payments where ${where.join(' and ')}
      order by created_at desc, id desc limit $${params.push(search.limit + 1)}`,
    params,
  );
  return {
    payments: rows.slice(0, search.limit).map((row) => ({
      id: row.id,
      checkoutId: row.checkout_id,
      orderId: row.order_id,
      status: row.status,
      amountMinor: BigInt(row.amount_minor),
      currency: row.currency,
      description: row.description,
      method: row.method,
      feeMinor: toBigInt(row.fee_minor),
      buyerTotalMinor: toBigInt(row.buyer_total_minor),
      merchantNetMinor: toBigInt(row.merchant_net_minor),
      createdAt: row.created_at,
      paidAt: row.paid_at,
    })),
    hasMore: rows.length > search.limit,
  };
}

/** A checkout as the cabinet's pickers name it. */
export interface CheckoutChoice {
  id: string;
  name: string;
  currencies: string[];
  notifyUrl: string;
}

/** The owner's checkouts in its mode, oldest first. */
export async function checkoutChoices(db: Pool, owner: MerchantScope): Promise<CheckoutChoice[]> {
  const { rows } = await db.query<{ id: string; name: string; currencies: string[]; notify_url: string }>(
    'select id, name, currencies, notify_url from checkouts where merchant_id = $1 and test_mode = $2 order by created_at, id',
    [owner.merchantId, owner.testMode],
  );
  return rows.map((row) => ({ id: row.id, name: row.name, currencies: row.currencies, notifyUrl: row.notify_url }));
}
