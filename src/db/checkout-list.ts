import type { Pool } from 'pg';
import type { MerchantScope } from '../domain/merchant';

/** The ids of a merchant's checkouts in one mode, oldest first (at most `limit`). */
export async function listCheckoutIds(db: Pool, owner: MerchantScope, limit = 100): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    'select id from checkouts where merchant_id = $1 and test_mode = $2 order by created_at, id limit $3',
    [owner.merchantId, owner.testMode, limit],
  );
  return rows.map((row) => row.id);
}
