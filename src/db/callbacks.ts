import type { Pool } from 'pg';
import type { ProviderCallback } from '../providers/types';

/**
 * Stores a verified callback in the inbox. Returns false when the provider already sent
 * this event id (a duplicate), which then changes nothing.
 */
export async function storeCallback(
  db: Pool,
  provider: string,
  callback: ProviderCallback,
  rawBody: string,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `insert into provider_callbacks (provider, event_id, payment_id, state, body) values ($1, $2, $3, $4, $5)
     on conflict (provider, event_id) do nothing`,
    [provider, callback.eventId, callback.paymentId, callback.state, rawBody],
  );
  return rowCount === 1;
}

/**
 * Marks a callback that arrived after the payment's outcome and says otherwise, for review.
 * The first reason given stays; `provider` narrows the match when the caller knows it.
 */
export async function flagCallback(
  db: Pool,
  target: { provider?: string; paymentId: string; eventId: string; flag: string },
): Promise<void> {
  await db.query(
    `update provider_callbacks set flag = coalesce(flag, $3)
     where event_id = $1 and payment_id = $2 and ($4::text is null or provider = $4)`,
    [target.eventId, target.paymentId, target.flag, target.provider ?? null],
  );
}

/**
 * {@link storeCallback} of a payment callback, in the same statement the payments other than its own
 * whose current provider payment is the one it names, with their method (the caller knows which
 * provider offers it).
 */
export async function storePaymentCallback(
  db: Pool,
  provider: string,
  callback: ProviderCallback,
  rawBody: string,
): Promise<{ stored: boolean; others: { id: string; method: string | null }[] }> {
  const { rows } = await db.query<{ stored: boolean; others: { id: string; method: string | null }[] }>(
    `with stored as (
       insert into provider_callbacks (provider, event_id, payment_id, state, body) values ($1, $2, $3, $4, $5)
       on conflict (provider, event_id) do nothing
       returning 1
     )
     select exists (select 1 from stored) as stored,
       coalesce((select json_agg(json_build_object('id', id, 'method', method)) from payments
                 where provider_payment_id = $6 and id <> $3), '[]') as others`,
    [provider, callback.eventId, callback.paymentId, callback.state, rawBody, callback.providerPaymentId],
  );
  return rows[0]!;
}

/**
 * Stores a verified refund or payout callback in the inbox (no payment). Returns false when the
 * provider already sent this event id.
 */
export async function storeMoneyCallback(
  db: Pool,
  event: { provider: string; eventId: string; state: string; body: string },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `insert into provider_callbacks (provider, event_id, payment_id, state, body) values ($1, $2, null, $3, $4)
     on conflict (provider, event_id) do nothing`,
    [event.provider, event.eventId, event.state, event.body],
  );
  return rowCount === 1;
}
