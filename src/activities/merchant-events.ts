import type { PoolClient } from 'pg';
import { insertEvent, insertEventAndPost } from '../db/events';
import type { Posting } from '../domain/ledger';
import type { PaymentEventType } from '../domain/event-types';
import { type MerchantEventData, webhookBody } from '../resources/event';

/**
 * Stores a merchant event about a payment in the caller's transaction, its body built now from
 * `data` and sent as it is on every attempt. A retried insert of the same id keeps the first body.
 * With `posting`, the ledger posting of the same change is made in the same statement (once, as
 * `post` does).
 */
export async function storePaymentEvent<Type extends PaymentEventType>(
  client: PoolClient,
  paymentId: string,
  event: { id: string; type: Type },
  data: MerchantEventData[Type],
  posting?: Posting | null,
): Promise<void> {
  const createdAt = new Date();
  const body = webhookBody({ id: event.id, type: event.type, createdAt }, data);
  const stored = { id: event.id, paymentId, type: event.type, body, createdAt };
  if (posting) await insertEventAndPost(client, stored, posting);
  else await insertEvent(client, stored);
}
