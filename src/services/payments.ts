import {
  type Client,
  type InternalConnectionLike,
  InternalConnectionLikeSymbol,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { findCheckout, findCheckoutById } from '../db/checkouts';
import type { IdempotentCreate } from '../db/idempotency';
import { listEventsWithAttempts } from '../db/events';
import {
  findPayment,
  findPaymentById,
  findPaymentByIdempotencyKey,
  findPaymentByOrder,
  insertPayment,
  listPayments,
  listUnstartedPayments,
  markWorkflowStarted,
  type StoredPayment,
} from '../db/payments';
import { newId } from '../domain/ids';
import { formatAmount } from '../domain/money';
import { type Delivery, openStatuses, type PaymentStatus } from '../domain/payment';
import type { MerchantPrincipal } from '../db/merchants';
import type { Checkout } from '../db/checkouts';
import { DomainError, invalid, notFound } from '../domain/errors';
import type { purchaseWorkflow } from '../workflows/purchase';
import {
  cancelUpdate,
  purchaseWorkflowId,
  type PurchaseInput,
  searchAttributes,
  selectMethodUpdate,
  taskQueue,
} from '../workflows/shared';
import { amountParam, checkMerchantUrls, visibleMethods } from './checkouts';
import type { ServiceDeps } from './deps';
import { startOnce } from './start-once';
import { purchaseDetails, purchaseSummary } from './workflow-summary';

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
}

const defaultExpiresIn = 1800;

/** The largest amount a payment may have: its minor units stay exact as a JSON number (Temporal's `AmountMinor`). */
const maxAmountMinor = 999_999_999_999_999n;

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string })?.code === '23505';
}

/**
 * Stores a payment and starts its workflow. The row is written first and marked started
 * after; a crash in between is healed by {@link startUnstartedWorkflows}, so neither a payment
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
  const checkout = await findCheckout(deps.db, principal, request.checkoutId);
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
  const methods = visibleMethods(deps, checkout, amountMinor, request.currency).map((method) => method.code);
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
  await startPurchaseWorkflow(deps, payment, checkout, request.method ?? null);
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
  if (checkout) await startPurchaseWorkflow(deps, payment, checkout, payment.method);
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

async function startPurchaseWorkflow(
  deps: ServiceDeps,
  payment: StoredPayment,
  checkout: Checkout,
  method: string | null,
) {
  const quotes = visibleMethods(deps, checkout, payment.amountMinor, payment.currency);
  const input: PurchaseInput = {
    paymentId: payment.id,
    merchantId: payment.merchantId,
    checkoutId: payment.checkoutId,
    orderId: payment.orderId,
    testMode: payment.testMode,
    amountMinor: payment.amountMinor.toString(),
    currency: payment.currency,
    description: payment.description,
    methods: quotes.map((quote) => quote.code),
    method,
    feePayer: checkout.feePayer.type === 'buyer' ? 'buyer' : 'merchant',
    feeBasisPoints: checkout.fee.basisPoints,
    quotes: quotes.map((quote) => ({
      method: quote.code,
      feeMinor: quote.feeMinor.toString(),
      buyerTotalMinor: quote.buyerTotalMinor.toString(),
      merchantNetMinor: quote.merchantNetMinor.toString(),
    })),
    expiresAt: payment.expiresAt.toISOString(),
    statusPollSeconds: deps.config.statusPollSeconds,
  };
  await startOnce<typeof purchaseWorkflow>(deps.temporal, 'purchaseWorkflow', {
    taskQueue,
    workflowId: purchaseWorkflowId(payment.id),
    args: [input],
    requestEagerStart: startsEagerly(deps.temporal),
    staticSummary: purchaseSummary(payment, checkout),
    staticDetails: purchaseDetails(payment, checkout),
    typedSearchAttributes: [
      { key: searchAttributes.paymentStatus, value: 'awaiting_method' },
      { key: searchAttributes.merchantId, value: payment.merchantId },
      { key: searchAttributes.checkoutId, value: payment.checkoutId },
      { key: searchAttributes.orderId, value: payment.orderId },
      { key: searchAttributes.amountMinor, value: Number(payment.amountMinor) },
      { key: searchAttributes.currency, value: payment.currency },
      { key: searchAttributes.testMode, value: payment.testMode },
    ],
  });
  await markWorkflowStarted(deps.db, payment.id);
}

/**
 * Eager start hands the first workflow task back with the start call instead of through a poll; it
 * needs a native connection shared with a worker in this process, which worker.ts gives the client
 * exactly when it runs one (docs/performance.md).
 */
function startsEagerly(client: Client): boolean {
  return (
    (client.connection as InternalConnectionLike | undefined)?.[InternalConnectionLikeSymbol]?.supportsEagerStart ===
    true
  );
}

/** Starts the workflows of payments stored but never confirmed started. Safe to run anywhere, any time. */
export async function startUnstartedWorkflows(deps: ServiceDeps, olderThanSeconds = 15): Promise<number> {
  const payments = await listUnstartedPayments(deps.db, olderThanSeconds);
  for (const payment of payments) {
    const checkout = await findCheckout(deps.db, payment, payment.checkoutId);
    if (checkout) await startPurchaseWorkflow(deps, payment, checkout, payment.method);
  }
  return payments.length;
}

function updateRejection(error: unknown): DomainError | null {
  if (!(error instanceof WorkflowUpdateFailedError)) return null;
  const message = error.cause?.message ?? 'the payment cannot change now';
  return new DomainError('conflict', 'payment_state', message);
}

/** The buyer's choice of method: answers with the provider page to send the buyer to. */
export async function selectMethod(
  deps: ServiceDeps,
  paymentId: string,
  method: string,
): Promise<{ redirectUrl: string }> {
  const payment = await findPaymentById(deps.db, paymentId);
  if (!payment) throw notFound('payment');
  if (!openStatuses.includes(payment.status))
    throw new DomainError('conflict', 'payment_state', `payment is ${payment.status}`);
  const checkout = (await findCheckoutById(deps.db, payment.checkoutId))!;
  const methods = visibleMethods(deps, checkout, payment.amountMinor, payment.currency).map((m) => m.code);
  if (!methods.includes(method))
    throw invalid('method', `method ${method} is not offered; choose one of ${methods.join(', ')}`);
  try {
    return await deps.temporal.workflow
      .getHandle(purchaseWorkflowId(paymentId))
      .executeUpdate(selectMethodUpdate, { args: [{ method }] });
  } catch (error) {
    throw updateRejection(error) ?? error;
  }
}

export async function cancelPayment(deps: ServiceDeps, principal: MerchantPrincipal, paymentId: string) {
  const payment = await findPaymentById(deps.db, paymentId);
  if (!payment || payment.merchantId !== principal.merchantId || payment.testMode !== principal.testMode)
    throw notFound('payment', 'id');
  if (!openStatuses.includes(payment.status))
    throw new DomainError('conflict', 'payment_state', `payment is ${payment.status}`);
  try {
    await deps.temporal.workflow.getHandle(purchaseWorkflowId(paymentId)).executeUpdate(cancelUpdate);
  } catch (error) {
    throw updateRejection(error) ?? error;
  }
  return (await findPaymentById(deps.db, paymentId))!;
}

/** The calling merchant's payment, in the key's mode. */
export async function getPayment(deps: ServiceDeps, principal: MerchantPrincipal, paymentId: string) {
  const payment = await findPayment(deps.db, principal, paymentId);
  if (!payment) throw notFound('payment', 'id');
  return payment;
}

/** A page of the merchant's payments, newest first. */
export interface PaymentListQuery {
  checkoutId?: string;
  status?: PaymentStatus;
  limit: number;
  /** The id of the last payment of the previous page. */
  startingAfter?: string;
}

export async function listMerchantPayments(
  deps: ServiceDeps,
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
