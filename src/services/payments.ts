import { findCheckoutById } from '../db/checkouts';
import type { IdempotentCreate } from '../db/idempotency';
import { listEventsWithAttempts } from '../db/events';
import {
  findPayment,
  findPaymentById,
  findPaymentByIdempotencyKey,
  findPaymentByOrder,
  insertPayment,
  listPayments,
  type PaymentListFilter,
} from '../db/payments';
import type { PaymentSci } from '../domain/interkassa';
import type { StoredPayment } from '../domain/payment';
import { newId } from '../domain/ids';
import { formatAmount } from '../domain/money';
import { type Delivery, openStatuses } from '../domain/payment';
import type { MerchantPrincipal } from '../domain/merchant';
import { DomainError, invalid, notFound } from '../domain/errors';
import { startPurchase } from '../temporal/outbox';
import { updatePurchase } from '../temporal/messages';
import { cancelUpdate, type SelectMethodResult, selectMethodUpdate } from '../workflows/shared';
import { amountParam, checkMerchantUrls, visibleMethods } from './checkouts';
import type { ServiceDeps } from './deps';
import { cachedCheckout, cachedCheckoutById } from './lookup-cache';

/** A payment as a merchant asks for it. */
export interface NewPaymentInput {
  checkoutId: string;
  orderId: string;
  /** Decimal string in `currency`. */
  amount: string;
  currency: string;
  description: string;
  /** The method chosen in advance; the buyer picks on the payment page when null. */
  method?: string | null;
  /** Seconds the buyer has to pay. */
  expiresIn?: number;
  delivery?: Delivery | null;
  /** Where the receipt e-mail goes once the payment is paid. */
  buyerEmail?: string | null;
  metadata?: Record<string, string>;
  /** What the shop's Interkassa SCI form said; its `methods` narrow the methods offered. */
  sci?: PaymentSci | null;
  /** The buyer's language, when the shop chose one. */
  locale?: string | null;
}

const defaultExpiresIn = 1800;

/** The largest amount a payment may have: its minor units stay exact as a JSON number (Temporal's `AmountMinor`). */
const maxAmountMinor = 999_999_999_999_999n;

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string })?.code === '23505';
}

/**
 * Stores a payment and starts its workflow. The row is written first and marked started
 * after; a crash in between is healed by the outbox sweep (src/temporal/outbox.ts), so neither a payment
 * without a workflow nor a workflow without a payment outlives it.
 *
 * Under an `Idempotency-Key` the row carries the key (unique per merchant and mode), so a key
 * creates one payment whatever happens to the request: a retry that recovers a dead request, or
 * meets the key in the row, answers with that payment (its workflow started if it was not).
 */
export async function createPayment(
  deps: ServiceDeps,
  principal: MerchantPrincipal,
  request: NewPaymentInput,
  idempotent?: IdempotentCreate,
) {
  if (idempotent?.recovering) {
    const made = await findPaymentByIdempotencyKey(deps.db, principal, idempotent.key);
    if (made) return recoverPayment(deps, made, request);
  }
  const checkout = await cachedCheckout(deps.db, deps.lookups, principal, request.checkoutId);
  if (!checkout) throw notFound('checkout', 'checkout_id');
  if (!principal.testMode && checkout.verification.status !== 'verified') {
    throw invalid(
      'checkout_id',
      `Checkout ${checkout.id} takes live payments once its site is verified: POST /v1/checkouts/${checkout.id}/verify`,
      'checkout_not_verified',
    );
  }
  if (!checkout.currencies.includes(request.currency)) {
    throw invalid(
      'currency',
      `Checkout ${checkout.id} does not accept ${request.currency}; it accepts ${checkout.currencies.join(', ')}`,
    );
  }
  const amountMinor = amountParam(request.amount, request.currency, 'amount');
  if (amountMinor <= 0n) throw invalid('amount', 'amount must be above zero');
  if (amountMinor > maxAmountMinor)
    throw invalid('amount', `amount must be at most ${formatAmount(maxAmountMinor, request.currency)}`);
  const quotes = visibleMethods(deps, checkout, amountMinor, request.currency, request.sci?.methods);
  const methods = quotes.map((method) => method.code);
  if (request.method && !methods.includes(request.method)) {
    throw invalid(
      'method',
      `method ${request.method} is not offered for this payment; choose one of ${methods.join(', ') || 'none'}`,
    );
  }
  if (request.delivery?.type === 'digital')
    checkMerchantUrls(deps, { 'delivery.download_url': request.delivery.download_url });

  const now = Date.now();
  let payment: StoredPayment;
  try {
    payment = await insertPayment(deps.db, {
      id: newId('pay'),
      merchantId: principal.merchantId,
      checkoutId: checkout.id,
      orderId: request.orderId,
      testMode: principal.testMode,
      amountMinor,
      currency: request.currency,
      description: request.description,
      method: request.method ?? null,
      delivery: request.delivery ?? null,
      buyerEmail: request.buyerEmail ?? null,
      metadata: request.metadata ?? {},
      expiresAt: new Date(now + (request.expiresIn ?? defaultExpiresIn) * 1000),
      idempotencyKey: idempotent?.key ?? null,
      sci: request.sci ?? null,
      locale: request.locale ?? null,
    });
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const made = idempotent && (await findPaymentByIdempotencyKey(deps.db, principal, idempotent.key));
    if (made) return recoverPayment(deps, made, request);
    const existing = await findPaymentByOrder(deps.db, checkout.id, request.orderId);
    throw new DomainError(
      'conflict',
      'order_exists',
      `Order ${request.orderId} already has payment ${existing?.id}`,
      'order_id',
      {
        payment_id: existing?.id,
      },
    );
  }
  await startPurchase(deps, payment, checkout, quotes);
  return payment;
}

/** The payment an earlier request made under the same key, if it is this request's; its workflow started. */
async function recoverPayment(
  deps: ServiceDeps,
  payment: StoredPayment,
  request: NewPaymentInput,
): Promise<StoredPayment> {
  const same =
    payment.checkoutId === request.checkoutId &&
    payment.orderId === request.orderId &&
    payment.currency === request.currency &&
    payment.amountMinor === amountParam(request.amount, request.currency, 'amount');
  if (!same) throw idempotencyKeyReused();
  const checkout = await findCheckoutById(deps.db, payment.checkoutId);
  if (checkout) await startPurchase(deps, payment, checkout);
  return payment;
}

/** The key names an object made by another request (one older than the key's stored answer). */
export const idempotencyKeyReused = () =>
  new DomainError(
    'unprocessable',
    'idempotency_key_reused',
    'This Idempotency-Key was used with another request',
    'Idempotency-Key',
  );

/** The buyer's choice of method: answers with the provider page to send the buyer to, and how. */
export async function selectMethod(deps: ServiceDeps, paymentId: string, method: string): Promise<SelectMethodResult> {
  const payment = await findPaymentById(deps.db, paymentId);
  if (!payment) throw notFound('payment');
  if (!openStatuses.includes(payment.status))
    throw new DomainError('conflict', 'payment_state', `payment is ${payment.status}`);
  const checkout = (await cachedCheckoutById(deps.db, deps.lookups, payment.checkoutId))!;
  const methods = visibleMethods(deps, checkout, payment.amountMinor, payment.currency, payment.sci?.methods).map(
    (quote) => quote.code,
  );
  if (!methods.includes(method))
    throw invalid('method', `method ${method} is not offered; choose one of ${methods.join(', ')}`);
  return updatePurchase(deps.temporal, paymentId, (handle) =>
    handle.executeUpdate(selectMethodUpdate, { args: [{ method }] }),
  );
}

export async function cancelPayment(deps: ServiceDeps, principal: MerchantPrincipal, paymentId: string) {
  const payment = await findPaymentById(deps.db, paymentId);
  if (!payment || payment.merchantId !== principal.merchantId || payment.testMode !== principal.testMode)
    throw notFound('payment', 'id');
  if (!openStatuses.includes(payment.status))
    throw new DomainError('conflict', 'payment_state', `payment is ${payment.status}`);
  await updatePurchase(deps.temporal, paymentId, (handle) => handle.executeUpdate(cancelUpdate));
  return (await findPaymentById(deps.db, paymentId))!;
}

/** The calling merchant's payment, in the key's mode. */
export async function getPayment(deps: ServiceDeps, principal: MerchantPrincipal, paymentId: string) {
  const payment = await findPayment(deps.db, principal, paymentId);
  if (!payment) throw notFound('payment', 'id');
  return payment;
}

/** What a page of the merchant's payments is narrowed by; every field is optional but the page size. */
export type PaymentListQuery = Omit<PaymentListFilter, 'merchantId' | 'testMode'>;

/** A page of the merchant's payments in the principal's mode, newest first, narrowed by `query`. */
export async function listMerchantPayments(
  deps: Pick<ServiceDeps, 'db'>,
  principal: MerchantPrincipal,
  query: PaymentListQuery,
): Promise<{ payments: StoredPayment[]; hasMore: boolean }> {
  return listPayments(deps.db, { merchantId: principal.merchantId, testMode: principal.testMode, ...query });
}

/** The merchant events of one of the merchant's payments, oldest first, each with its delivery attempts. */
export async function listPaymentEvents(deps: ServiceDeps, principal: MerchantPrincipal, paymentId: string) {
  const payment = await getPayment(deps, principal, paymentId);
  return listEventsWithAttempts(deps.db, payment.id);
}
