import { minorDigits } from '../common/pages';

/** Where the buyer or the interaction goes, and how. */
export interface Target {
  url: string;
  method: 'GET' | 'POST';
}

/** `ik_inv_st` of an interaction. */
export type InvoiceStatus = 'new' | 'waitAccept' | 'process' | 'success' | 'canceled' | 'fail';

/**
 * An invoice's `state` in the REST API: 2 awaiting payment, 3 processing, 4 being refunded,
 * 5 expired, 7 credited, 8 canceled by the payment system, 9 refunded.
 */
export type InvoiceState = 2 | 3 | 4 | 5 | 7 | 8 | 9;

export interface Invoice {
  /** Interkassa's invoice id (`ik_inv_id`): a number. */
  id: string;
  coId: string;
  /** `ik_pm_no` as the merchant sent it. */
  paymentNo: string;
  /** `ik_am` exactly as sent. */
  amount: string;
  currency: string;
  description: string;
  /** `ik_pw_via` as sent, or null: the buyer chooses. */
  payway: string | null;
  /** Every `ik_x_*` field, echoed back in the interaction. */
  extra: Record<string, string>;
  urls: { success: Target | null; fail: Target | null; pending: Target | null; interaction: Target | null };
  status: InvoiceStatus;
  state: InvoiceState;
  /** What the buyer was charged, in minor units (set when paid). */
  paidMinor: bigint | null;
  refundedMinor: bigint;
  transactionId: string | null;
  createdAt: Date;
  processedAt: Date | null;
}

export interface Refund {
  id: string;
  invoiceId: string;
  merchantOrderId: string;
  amountMinor: bigint;
  state: 'success' | 'fail';
  message: string | null;
  createdAt: Date;
}

/** `"15.5"` USD → 1550n; null when not a plain decimal within the currency's decimals. */
export function toMinor(amount: string, currency: string): bigint | null {
  const match = /^(\d{1,15})(?:\.(\d{1,8}))?$/.exec(amount);
  if (!match) return null;
  const digits = minorDigits(currency);
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > digits) return null;
  return BigInt(match[1]! + fraction.padEnd(digits, '0'));
}

/** 1550n USD → `"15.50"`; `decimals` overrides the currency's (Interkassa writes `ik_co_rfn` with 4). */
export function fromMinor(minor: bigint, currency: string, decimals?: number): string {
  const digits = minorDigits(currency);
  const shift = (decimals ?? digits) - digits;
  const scaled = shift >= 0 ? minor * 10n ** BigInt(shift) : minor / 10n ** BigInt(-shift);
  const places = decimals ?? digits;
  if (places === 0) return scaled.toString();
  const text = scaled.toString().padStart(places + 1, '0');
  return `${text.slice(0, -places)}.${text.slice(-places)}`;
}

/** What the checkout is credited for `paid` after a 3 % fee, with Interkassa's four decimals (`12.1250`). */
export function creditedAmount(paid: bigint, currency: string): string {
  const digits = minorDigits(currency);
  const inTenThousandths = paid * 10n ** BigInt(Math.max(0, 4 - digits));
  const credited = (inTenThousandths * 97n) / 100n;
  const text = credited.toString().padStart(5, '0');
  return `${text.slice(0, -4)}.${text.slice(-4)}`;
}

/** Invoices and refunds, in memory; ids are numbers as Interkassa's are. */
export class InterkassaStore {
  private readonly invoices = new Map<string, Invoice>();
  private readonly refunds = new Map<string, Refund>();
  private nextInvoice = 300_000_001;
  private nextRefund = 7_000_001;
  private nextTransaction = 90_000_001;

  addInvoice(invoice: Omit<Invoice, 'id'>): Invoice {
    const stored = { ...invoice, id: String(this.nextInvoice++) };
    this.invoices.set(stored.id, stored);
    return stored;
  }

  invoice(id: string): Invoice | undefined {
    return this.invoices.get(id);
  }

  /** The newest invoice of a checkout with this payment number. */
  byPaymentNo(coId: string, paymentNo: string): Invoice | undefined {
    return [...this.invoices.values()].reverse().find((i) => i.coId === coId && i.paymentNo === paymentNo);
  }

  allInvoices(): Invoice[] {
    return [...this.invoices.values()];
  }

  newTransactionId(): string {
    return String(this.nextTransaction++);
  }

  refundByOrder(merchantOrderId: string): Refund | undefined {
    return [...this.refunds.values()].find((r) => r.merchantOrderId === merchantOrderId);
  }

  addRefund(refund: Omit<Refund, 'id'>): Refund {
    const stored = { ...refund, id: String(this.nextRefund++) };
    this.refunds.set(stored.id, stored);
    return stored;
  }
}
