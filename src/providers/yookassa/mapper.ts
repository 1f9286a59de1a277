import { z } from 'zod';
import { formatAmount, MoneyFormatError, parseAmount } from '../../domain/money';
import {
  type CreateProviderPaymentInput,
  type ProviderPaymentState,
  type ProviderPaymentStatus,
  type ProviderRefund,
  ProviderError,
  type RefundPaymentInput,
} from '../types';

/** Metadata keys Kassa sets on every YooKassa payment it makes (a key is at most 32 characters). */
export const METADATA = { paymentId: 'kassa_payment_id', attemptKey: 'kassa_attempt_key' } as const;

/** Kassa's method codes and the YooKassa `payment_method_data.type` each one asks for. */
export const YOOKASSA_METHODS = {
  yookassa_card: { title: 'Bank card (YooKassa)', type: 'bank_card' },
  yookassa_wallet: { title: 'YooMoney wallet (YooKassa)', type: 'yoo_money' },
  yookassa_sbp: { title: 'SBP (YooKassa)', type: 'sbp' },
} as const satisfies Record<string, { title: string; type: string }>;
export type YooKassaMethod = keyof typeof YOOKASSA_METHODS;

export const isYooKassaMethod = (method: string): method is YooKassaMethod => Object.hasOwn(YOOKASSA_METHODS, method);

/** The currencies YooKassa's API takes payments in (its SDKs' currency list). */
export const YOOKASSA_CURRENCIES: ReadonlySet<string> = new Set(['RUB', 'USD', 'EUR', 'BYN', 'CNY', 'KZT', 'UAH']);

/** YooKassa's payment description is at most 128 characters. */
const DESCRIPTION_MAX = 128;

function checkCurrency(currency: string): string {
  const code = currency.toUpperCase();
  if (!YOOKASSA_CURRENCIES.has(code))
    throw new ProviderError('definite', 'currency_not_supported', `YooKassa does not take payments in ${currency}`);
  return code;
}

/**
 * Kassa's minor units as YooKassa's `amount.value`: a decimal string in major units with a point,
 * as many decimals as the currency has (ISO 4217), no thousands separator: 5000 RUB is `"50.00"`.
 */
export function toYooKassaAmount(amountMinor: string, currency: string): { value: string; currency: string } {
  if (!/^\d{1,18}$/.test(amountMinor))
    throw new ProviderError('definite', 'invalid_amount', `bad amount ${amountMinor}`);
  const code = checkCurrency(currency);
  return { value: formatAmount(BigInt(amountMinor), code), currency: code };
}

/** YooKassa's `amount` as Kassa's minor units; fewer decimals than the currency's are accepted (`"50"`, `"50.5"`). */
export function fromYooKassaAmount(amount: { value: string; currency: string }): {
  amountMinor: string;
  currency: string;
} {
  const code = amount.currency.toUpperCase();
  try {
    return { amountMinor: parseAmount(amount.value, code).toString(), currency: code };
  } catch (error) {
    if (error instanceof MoneyFormatError)
      throw new ProviderError(
        'indeterminate',
        'unreadable_amount',
        `YooKassa sent the amount ${amount.value} ${amount.currency}: ${error.message}`,
      );
    throw error;
  }
}

const amountSchema = z.object({ value: z.string(), currency: z.string() });
const cancellationSchema = z.object({ party: z.string(), reason: z.string() }).nullish();

/** The fields of a YooKassa payment object Kassa reads. */
export const yookassaPaymentSchema = z.object({
  id: z.string().min(1),
  status: z.string(),
  paid: z.boolean().optional(),
  amount: amountSchema,
  confirmation: z.object({ type: z.string(), confirmation_url: z.string().optional() }).nullish(),
  created_at: z.string(),
  captured_at: z.string().nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  cancellation_details: cancellationSchema,
  test: z.boolean(),
  refunded_amount: amountSchema.nullish(),
});
export type YooKassaPayment = z.infer<typeof yookassaPaymentSchema>;

/** The fields of a YooKassa refund object Kassa reads. */
export const yookassaRefundSchema = z.object({
  id: z.string().min(1),
  payment_id: z.string().min(1),
  status: z.string(),
  amount: amountSchema,
  created_at: z.string(),
  description: z.string().nullish(),
  cancellation_details: cancellationSchema,
});
export type YooKassaRefund = z.infer<typeof yookassaRefundSchema>;

/** A page of `GET /payments` or `GET /refunds`. */
export const yookassaListSchema = z.object({
  type: z.literal('list'),
  items: z.array(z.unknown()),
  next_cursor: z.string().nullish(),
});

/** A notification as YooKassa POSTs it: `{type: "notification", event: "<object>.<status>", object}`. */
export const yookassaNotificationSchema = z.object({
  type: z.literal('notification'),
  event: z.string().regex(/^[a-z_]+\.[a-z_]+$/),
  object: z.object({ id: z.string().min(1).max(100), status: z.string().min(1).max(50) }).loose(),
});
export type YooKassaNotification = z.infer<typeof yookassaNotificationSchema>;

/** Cancellation reasons that mean nobody declined: the payment expired or was canceled by Kassa. */
const CANCELED_NOT_DECLINED = new Set(['canceled_by_merchant', 'expired_on_confirmation', 'expired_on_capture']);

/**
 * YooKassa's payment statuses in Kassa's states. `pending`: the buyer has not paid yet.
 * `waiting_for_capture`: paid and authorized, captured by the connector before it reports it (so
 * pending until then). `succeeded`: captured. `canceled`: declined (a bank's or YooKassa's
 * reason), or canceled when it expired or Kassa canceled it. Anything else is pending, never a success.
 */
export function paymentState(payment: Pick<YooKassaPayment, 'status' | 'cancellation_details'>): {
  state: ProviderPaymentState;
  declineReason?: string;
} {
  switch (payment.status) {
    case 'succeeded':
      return { state: 'succeeded' };
    case 'canceled': {
      const reason = payment.cancellation_details?.reason ?? 'canceled';
      return CANCELED_NOT_DECLINED.has(reason) ? { state: 'canceled' } : { state: 'declined', declineReason: reason };
    }
    default:
      return { state: 'pending' };
  }
}

export function toPaymentStatus(payment: YooKassaPayment): ProviderPaymentStatus {
  const { state, declineReason } = paymentState(payment);
  return {
    providerPaymentId: payment.id,
    state,
    ...fromYooKassaAmount(payment.amount),
    ...(declineReason !== undefined && { declineReason }),
  };
}

/**
 * `POST /payments`: a two-stage payment (`capture: false`, captured by the connector once the buyer
 * paid), confirmed by redirect to YooKassa's page, with Kassa's ids in its metadata.
 */
export function toPaymentCreateBody(input: CreateProviderPaymentInput) {
  if (!isYooKassaMethod(input.method))
    throw new ProviderError('definite', 'method_not_supported', `YooKassa does not serve ${input.method}`);
  const description = (input.description.trim() || `Order ${input.reference}`).slice(0, DESCRIPTION_MAX);
  return {
    amount: toYooKassaAmount(input.amountMinor, input.currency),
    capture: false,
    confirmation: { type: 'redirect', return_url: input.returnUrl },
    payment_method_data: { type: YOOKASSA_METHODS[input.method].type },
    description,
    metadata: { [METADATA.paymentId]: input.paymentId, [METADATA.attemptKey]: input.idempotencyKey },
  };
}

/** The description that names Kassa's refund at YooKassa (refunds carry no metadata): found again by it. */
export const refundDescription = (refundId: string) => `Kassa refund ${refundId}`;

export function toRefundCreateBody(input: RefundPaymentInput) {
  return {
    payment_id: input.providerPaymentId,
    amount: toYooKassaAmount(input.amountMinor, input.currency),
    description: refundDescription(input.refundId),
  };
}

/** YooKassa's refund statuses: `succeeded`; `canceled` is failed (its reason kept); anything else pending. */
export function toProviderRefund(refund: YooKassaRefund): ProviderRefund {
  const state: ProviderRefund['state'] =
    refund.status === 'succeeded' ? 'succeeded' : refund.status === 'canceled' ? 'failed' : 'pending';
  return {
    providerRefundId: refund.id,
    state,
    ...fromYooKassaAmount(refund.amount),
    ...(state === 'failed' && { failureReason: refund.cancellation_details?.reason ?? 'canceled' }),
  };
}

/** The Kassa refund id a refund's description names, or null. */
export function refundIdOf(refund: Pick<YooKassaRefund, 'description'>): string | null {
  const match = /^Kassa refund (re_[A-Za-z0-9_-]+)$/.exec(refund.description ?? '');
  return match ? match[1]! : null;
}

/** Whether a payment (found by listing) is the one made with this attempt key. */
export const paymentMadeWith = (payment: YooKassaPayment, idempotencyKey: string) =>
  payment.metadata?.[METADATA.attemptKey] === idempotencyKey;
