import type { Request } from 'express';
import { isSupportedCurrency } from '../../../domain/money';
import { type PaymentStatus, paymentStatuses } from '../../../domain/payment';
import type { PaymentListQuery } from '../../../services/payments';
import { FieldError, queryField } from './payment-kit';

/** The payment list's filters as the form shows them (the query string's own values). */
export interface PaymentFilterValues {
  status: string;
  created_from: string;
  created_to: string;
  order_id: string;
  currency: string;
  amount_min: string;
  amount_max: string;
  /** Payments per page, 1 to 100. */
  limit: string;
}

export const filterNames = [
  'status',
  'created_from',
  'created_to',
  'order_id',
  'currency',
  'amount_min',
  'amount_max',
  'limit',
] as const;

const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/;
const decimalPattern = /^(0|[1-9]\d{0,17})(\.\d{1,3})?$/;
const dayMs = 86_400_000;
const defaultPageSize = 25;

const thousandths = (decimal: string) => {
  const [whole, fraction = ''] = decimal.split('.');
  return BigInt(whole! + fraction.padEnd(3, '0'));
};

function parseDay(field: string, value: string): Date {
  const match = datePattern.exec(value);
  const day = match && new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  if (!day || day.toISOString().slice(0, 10) !== value) throw new FieldError(field, 'date');
  return day;
}

/**
 * The filters of a payment list request: status, a range of UTC days (both ends included), an
 * order id, a currency and a range of amounts; and the page size. Bad input names its field.
 */
export function parsePaymentFilters(req: Request): {
  values: PaymentFilterValues;
  search: Omit<PaymentListQuery, 'limit' | 'checkoutId'>;
  pageSize: number;
} {
  const values = Object.fromEntries(
    filterNames.map((name) => [name, queryField(req, name)]),
  ) as unknown as PaymentFilterValues;
  const search: Omit<PaymentListQuery, 'limit' | 'checkoutId'> = {};
  if (values.status) {
    if (!(paymentStatuses as readonly string[]).includes(values.status)) throw new FieldError('status', 'choice');
    search.status = values.status as PaymentStatus;
  }
  if (values.created_from) search.createdFrom = parseDay('created_from', values.created_from);
  if (values.created_to) search.createdBefore = new Date(parseDay('created_to', values.created_to).getTime() + dayMs);
  if (search.createdFrom && search.createdBefore && search.createdFrom >= search.createdBefore)
    throw new FieldError('created_to', 'date_order');
  if (values.order_id) {
    if (values.order_id.length > 255) throw new FieldError('order_id', 'too_long');
    search.orderId = values.order_id;
  }
  if (values.currency) {
    if (!/^[A-Z]{3}$/.test(values.currency) || !isSupportedCurrency(values.currency))
      throw new FieldError('currency', 'choice');
    search.currency = values.currency;
  }
  for (const [field, key] of [
    ['amount_min', 'amountMin'],
    ['amount_max', 'amountMax'],
  ] as const) {
    const value = values[field];
    if (!value) continue;
    if (!decimalPattern.test(value)) throw new FieldError(field, 'decimal');
    search[key] = value;
  }
  if (search.amountMin && search.amountMax && thousandths(search.amountMin) > thousandths(search.amountMax))
    throw new FieldError('amount_max', 'amount_order');
  const after = queryField(req, 'starting_after');
  if (after) {
    if (!/^pay_[A-Za-z0-9]{1,64}$/.test(after)) throw new FieldError('starting_after', 'choice');
    search.startingAfter = after;
  }
  let pageSize = defaultPageSize;
  if (values.limit) {
    if (!/^[1-9]\d{0,2}$/.test(values.limit) || Number(values.limit) > 100) throw new FieldError('limit', 'limit');
    pageSize = Number(values.limit);
  }
  return { values, search, pageSize };
}

/** The query string of a filtered list (empty filters left out), with more fields when given. */
export function filterQuery(values: PaymentFilterValues, more: Record<string, string> = {}): string {
  const query = new URLSearchParams();
  for (const name of filterNames) if (values[name]) query.set(name, values[name]);
  for (const [name, value] of Object.entries(more)) query.set(name, value);
  const text = query.toString();
  return text ? `?${text}` : '';
}
