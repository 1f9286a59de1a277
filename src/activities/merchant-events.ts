import type { PoolClient } from 'pg';
import { insertEvent } from '../db/events';
import type { PaymentEventType } from '../domain/event-types';
import { type MerchantEventData, webhookBody } from '../resources/event';

/**
 * Stores a merchant event about a payment in the caller's transaction, its body built now from
 * `data` and sent as it is on every attempt. A retried insert of the same id keeps the first body.
 */
export async function storePaymentEvent<Type extends PaymentEventType>(
  client: PoolClient,
  paymentId: string,
  event: { id: string; type: Type },
  data: MerchantEventData[Type],
): Promise<void> {
  const createdAt = new Date();
  const body = webhookBody({ id: event.id, type: event.type, createdAt }, data);
  await insertEvent(client, { id: event.id, paymentId, type: event.type, body, createdAt });
}
