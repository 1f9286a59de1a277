import type { Pool } from 'pg';
import type { ProviderCallback } from '../providers/types';

/**
 * Stores a verified callback in the inbox. Returns false when the provider already sent
 * this event id (a duplicate), which then changes nothing.
 */
export async function storeCallback(db: Pool, provider: string, callback: ProviderCallback, rawBody: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `insert into provider_callbacks (provider, event_id, payment_id, state, body) values ($1, $2, $3, $4, $5)
     on conflict (provider, event_id) do nothing`,
    [provider, callback.eventId, callback.paymentId, callback.state, rawBody],
  );
  return rowCount === 1;
}

/** Marks a callback that arrived after the payment's outcome and says otherwise, for review. */
export async function flagCallback(db: Pool, provider: string, eventId: string, flag: string): Promise<void> {
  await db.query('update provider_callbacks set flag = $3 where provider = $1 and event_id = $2', [provider, eventId, flag]);
}
