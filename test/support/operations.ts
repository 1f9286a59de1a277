/** Steps the operations tests share, on a shop made by `newShop` (./stack). */
import { paidPaymentWith } from './money';
import { createTestPayment, type Shop, type TestStack } from './stack';

/** A payment of 50.00 RUB in the shop's test mode; `extra` overrides any field. */
export const newPayment = (stack: TestStack, shop: Shop, extra: Record<string, unknown> = {}) =>
  createTestPayment(stack, shop.testKey, shop.checkout.id, extra);

/** A payment the buyer has paid with a sandbox card; resolves once Kassa says `paid`. */
export const paidPayment = (stack: TestStack, shop: Shop, extra: Record<string, unknown> = {}) =>
  paidPaymentWith(stack, shop.testKey, shop.checkout.id, extra);
