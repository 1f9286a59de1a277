/**
 * Every event Kassa sends a merchant (docs/api.md §8), as one list: a type missing from a table
 * keyed by `MerchantEventType` is a compile error.
 */
export const merchantEventTypes = [
  'payment.paid',
  'payment.failed',
  'payment.expired',
  'payment.canceled',
  'payment.under_review',
  'payment.refunded',
  'payment.refund_failed',
  'payout.paid',
  'payout.failed',
] as const;
export type MerchantEventType = (typeof merchantEventTypes)[number];

/** The outcomes of a purchase: `data` is the payment, and a notification channel can subscribe to them. */
export const purchaseEventTypes = [
  'payment.paid',
  'payment.failed',
  'payment.expired',
  'payment.canceled',
  'payment.under_review',
] as const satisfies readonly MerchantEventType[];
export type PurchaseEventType = (typeof purchaseEventTypes)[number];

/** Events about a refund of a payment: `data` is the payment with its `refund`. */
export const refundEventTypes = [
  'payment.refunded',
  'payment.refund_failed',
] as const satisfies readonly MerchantEventType[];
export type RefundEventType = (typeof refundEventTypes)[number];

/** Events about a payout: `data` is the payout. */
export const payoutEventTypes = ['payout.paid', 'payout.failed'] as const satisfies readonly MerchantEventType[];
export type PayoutEventType = (typeof payoutEventTypes)[number];

/** Events about a payment (its purchase or a refund of it), sent to the payment's checkout. */
export type PaymentEventType = Exclude<MerchantEventType, PayoutEventType>;

/** Event types a notification channel can subscribe to: a purchase's outcomes. */
export const notificationEventTypes = purchaseEventTypes;
export type NotificationEventType = PurchaseEventType;

export function isMerchantEventType(value: string): value is MerchantEventType {
  return (merchantEventTypes as readonly string[]).includes(value);
}
