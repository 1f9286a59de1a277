/**
 * Ids of merchant events (`evt_…`): the `webhook-id` a merchant deduplicates on. Workflow code
 * builds them, so the randomness comes in as an argument (the workflow's own `uuid4()`).
 */

/** `evt_` and the 32 hex digits of a UUID. */
export function eventIdFromUuid(uuid: string): string {
  return `evt_${uuid.replace(/-/g, '')}`;
}

/**
 * The one id of the event a payment raises on reaching `status`: a payment reaches each outcome at
 * most once, so a run reset or continued from another raises the same event the merchant already has.
 */
export function paymentStatusEventId(paymentId: string, status: string): string {
  return `evt_${paymentId.replace(/^pay_/, '')}${status.replace(/[^0-9A-Za-z]/g, '')}`;
}
