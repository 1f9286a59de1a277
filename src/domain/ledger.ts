/**
 * Posting rules of Kassa's double-entry ledger. Pure: bigint minor units, no I/O, no clock.
 *
 * Accounts: per merchant, currency and mode `available` (can be refunded or paid out), `pending`
 * (captured, not yet released; the sandbox settles at capture, so nothing is posted there yet) and
 * `reserved` (held for a refund or payout in flight); Kassa's own `fee_revenue` per currency and
 * mode, and a `provider_clearing` account per provider, currency and mode.
 *
 * Signs: an entry is positive when it raises what the account holds for its owner (a merchant's
 * balance, Kassa's revenue) and negative when it lowers it; provider clearing is the other side,
 * negative by what the provider holds for Kassa. Every posting sums to zero per currency.
 *
 * | event            | entries                                                                       |
 * |------------------|-------------------------------------------------------------------------------|
 * | payment captured | clearing −buyer total, merchant available +net, Kassa fee revenue +fee        |
 * | refund reserved  | available −merchant debit, reserved +merchant debit                           |
 * | refund settled   | reserved −merchant debit, fee revenue −fee returned, clearing +refund amount  |
 * | refund released  | reserved −merchant debit, available +merchant debit                           |
 * | payout reserved  | available −amount, reserved +amount                                           |
 * | payout settled   | reserved −amount, clearing +(amount − bank fee) and +bank fee                 |
 * | payout released  | reserved −amount, available +amount                                           |
 */

export type AccountKind = 'available' | 'pending' | 'reserved' | 'fee_revenue' | 'provider_clearing';

/** The owner of Kassa's own accounts. */
export const kassaOwner = 'kassa';

export interface AccountRef {
  /** A merchant id, or {@link kassaOwner}. */
  owner: string;
  kind: AccountKind;
  /** The provider of a clearing account; `''` for the other kinds. */
  provider: string;
  currency: string;
  testMode: boolean;
}

export interface Entry {
  account: AccountRef;
  /** Signed, never zero. */
  amountMinor: bigint;
  memo: string;
}

export type SourceType = 'payment' | 'refund' | 'payout' | 'adjustment';

/** One ledger transaction: posted at most once per `source` and `event`. */
export interface Posting {
  source: { type: SourceType; id: string };
  event: string;
  testMode: boolean;
  description: string;
  entries: Entry[];
}

const merchantAccount = (
  merchantId: string,
  kind: 'available' | 'pending' | 'reserved',
  currency: string,
  testMode: boolean,
): AccountRef => ({
  owner: merchantId,
  kind,
  provider: '',
  currency,
  testMode,
});
const feeRevenue = (currency: string, testMode: boolean): AccountRef => ({
  owner: kassaOwner,
  kind: 'fee_revenue',
  provider: '',
  currency,
  testMode,
});
const clearing = (provider: string, currency: string, testMode: boolean): AccountRef => ({
  owner: kassaOwner,
  kind: 'provider_clearing',
  provider,
  currency,
  testMode,
});

/** Drops zero entries (a zero fee moves nothing); a posting left with fewer than two is `null`. */
function posting(base: Omit<Posting, 'entries'>, entries: Entry[]): Posting | null {
  const moving = entries.filter((entry) => entry.amountMinor !== 0n);
  if (moving.length < 2) return null;
  const result = { ...base, entries: moving };
  if (!isBalanced(result))
    throw new Error(`posting ${base.source.type} ${base.source.id} ${base.event} does not balance`);
  return result;
}

/** Whether the entries sum to zero in every currency. */
export function isBalanced(candidate: Pick<Posting, 'entries'>): boolean {
  const sums = new Map<string, bigint>();
  for (const entry of candidate.entries)
    sums.set(entry.account.currency, (sums.get(entry.account.currency) ?? 0n) + entry.amountMinor);
  return [...sums.values()].every((sum) => sum === 0n);
}

export interface CapturedPayment {
  paymentId: string;
  merchantId: string;
  testMode: boolean;
  currency: string;
  provider: string;
  /** What the buyer paid (Interkassa's `ik_ps_price`). */
  buyerTotalMinor: bigint;
  /** What the merchant is credited (`ik_co_rfn`). */
  merchantNetMinor: bigint;
}

/**
 * A paid payment: the provider holds the buyer's total for Kassa, the merchant is credited its net
 * and Kassa keeps the difference as its commission (fee = buyer total − merchant net, whoever paid it).
 */
export function paymentCaptured(payment: CapturedPayment): Posting | null {
  const { currency, testMode } = payment;
  if (payment.merchantNetMinor < 0n || payment.merchantNetMinor > payment.buyerTotalMinor) {
    throw new RangeError(`payment ${payment.paymentId}: merchant net must be between 0 and the buyer's total`);
  }
  return posting(
    {
      source: { type: 'payment', id: payment.paymentId },
      event: 'captured',
      testMode,
      description: `payment ${payment.paymentId} captured`,
    },
    [
      {
        account: clearing(payment.provider, currency, testMode),
        amountMinor: -payment.buyerTotalMinor,
        memo: 'paid by the buyer',
      },
      {
        account: merchantAccount(payment.merchantId, 'available', currency, testMode),
        amountMinor: payment.merchantNetMinor,
        memo: 'net of the fee',
      },
      {
        account: feeRevenue(currency, testMode),
        amountMinor: payment.buyerTotalMinor - payment.merchantNetMinor,
        memo: 'commission',
      },
    ],
  );
}

export interface RefundSplitInput {
  /** What the buyer paid. */
  buyerTotalMinor: bigint;
  /** Kassa's commission on the payment. */
  feeMinor: bigint;
  /** Refunds already made or in flight (failed ones excluded). */
  refundedMinor: bigint;
  /** Commission already given back by those refunds. */
  feeReturnedMinor: bigint;
  amountMinor: bigint;
}

/**
 * How a refund falls. Kassa gives back the same share of its commission as the share of the
 * buyer's total refunded (rounded half-up to the minor unit); the merchant's balance gives the
 * rest. Kept within bounds so that, however a payment is refunded (at once or in parts), the
 * merchant never gives back more than it was credited nor Kassa more than its commission, and a
 * complete refund gives back exactly both.
 */
export function refundSplit(input: RefundSplitInput): { feeReturnedMinor: bigint; merchantDebitMinor: bigint } {
  const { buyerTotalMinor, feeMinor, refundedMinor, feeReturnedMinor, amountMinor } = input;
  if (amountMinor <= 0n) throw new RangeError('a refund amount must be above zero');
  if (refundedMinor + amountMinor > buyerTotalMinor)
    throw new RangeError('a refund cannot exceed what is left of the payment');
  const feeLeft = feeMinor - feeReturnedMinor;
  const share = (2n * feeMinor * amountMinor + buyerTotalMinor) / (2n * buyerTotalMinor);
  // The merchant has given back (refunded − fee returned) of its net (total − fee); it gives at most the rest.
  const atLeast = max(0n, amountMinor + refundedMinor - buyerTotalMinor + feeLeft);
  const atMost = min(feeLeft, amountMinor);
  const feeReturned = min(max(share, atLeast), atMost);
  return { feeReturnedMinor: feeReturned, merchantDebitMinor: amountMinor - feeReturned };
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);
const max = (a: bigint, b: bigint) => (a > b ? a : b);

export interface RefundMoney {
  refundId: string;
  paymentId: string;
  merchantId: string;
  testMode: boolean;
  currency: string;
  provider: string;
  amountMinor: bigint;
  feeReturnedMinor: bigint;
  merchantDebitMinor: bigint;
}

/** A refund asked for: the merchant's part moves from available to reserved until the provider answers. */
export function refundReserved(refund: RefundMoney): Posting | null {
  const { merchantId, currency, testMode } = refund;
  return posting(
    {
      source: { type: 'refund', id: refund.refundId },
      event: 'reserved',
      testMode,
      description: `refund ${refund.refundId} of ${refund.paymentId} reserved`,
    },
    [
      {
        account: merchantAccount(merchantId, 'available', currency, testMode),
        amountMinor: -refund.merchantDebitMinor,
        memo: 'held for a refund',
      },
      {
        account: merchantAccount(merchantId, 'reserved', currency, testMode),
        amountMinor: refund.merchantDebitMinor,
        memo: 'held for a refund',
      },
    ],
  );
}

/** The provider returned the money to the buyer: the reserve and the commission's share go back through clearing. */
export function refundSettled(refund: RefundMoney): Posting | null {
  const { merchantId, currency, testMode } = refund;
  return posting(
    {
      source: { type: 'refund', id: refund.refundId },
      event: 'settled',
      testMode,
      description: `refund ${refund.refundId} of ${refund.paymentId} settled`,
    },
    [
      {
        account: merchantAccount(merchantId, 'reserved', currency, testMode),
        amountMinor: -refund.merchantDebitMinor,
        memo: 'refunded to the buyer',
      },
      { account: feeRevenue(currency, testMode), amountMinor: -refund.feeReturnedMinor, memo: 'commission given back' },
      {
        account: clearing(refund.provider, currency, testMode),
        amountMinor: refund.amountMinor,
        memo: 'refunded to the buyer',
      },
    ],
  );
}

/** The provider refused the refund: the reserve goes back to available. */
export function refundReleased(refund: RefundMoney): Posting | null {
  const { merchantId, currency, testMode } = refund;
  return posting(
    {
      source: { type: 'refund', id: refund.refundId },
      event: 'released',
      testMode,
      description: `refund ${refund.refundId} of ${refund.paymentId} failed`,
    },
    [
      {
        account: merchantAccount(merchantId, 'reserved', currency, testMode),
        amountMinor: -refund.merchantDebitMinor,
        memo: 'refund failed',
      },
      {
        account: merchantAccount(merchantId, 'available', currency, testMode),
        amountMinor: refund.merchantDebitMinor,
        memo: 'refund failed',
      },
    ],
  );
}

export interface PayoutMoney {
  payoutId: string;
  merchantId: string;
  testMode: boolean;
  currency: string;
  provider: string;
  amountMinor: bigint;
}

/** A payout asked for: its amount moves from available to reserved until the provider answers. */
export function payoutReserved(payout: PayoutMoney): Posting | null {
  const { merchantId, currency, testMode } = payout;
  return posting(
    {
      source: { type: 'payout', id: payout.payoutId },
      event: 'reserved',
      testMode,
      description: `payout ${payout.payoutId} reserved`,
    },
    [
      {
        account: merchantAccount(merchantId, 'available', currency, testMode),
        amountMinor: -payout.amountMinor,
        memo: 'held for a payout',
      },
      {
        account: merchantAccount(merchantId, 'reserved', currency, testMode),
        amountMinor: payout.amountMinor,
        memo: 'held for a payout',
      },
    ],
  );
}

/** The provider paid out: the destination got the amount less the bank's fee, which the provider kept. */
export function payoutSettled(payout: PayoutMoney & { feeMinor: bigint; destination: string }): Posting | null {
  const { merchantId, currency, testMode } = payout;
  if (payout.feeMinor < 0n || payout.feeMinor > payout.amountMinor)
    throw new RangeError(`payout ${payout.payoutId}: the fee must be between 0 and the amount`);
  return posting(
    {
      source: { type: 'payout', id: payout.payoutId },
      event: 'settled',
      testMode,
      description: `payout ${payout.payoutId} paid to ${payout.destination}`,
    },
    [
      {
        account: merchantAccount(merchantId, 'reserved', currency, testMode),
        amountMinor: -payout.amountMinor,
        memo: 'paid out',
      },
      {
        account: clearing(payout.provider, currency, testMode),
        amountMinor: payout.amountMinor - payout.feeMinor,
        memo: `paid out to ${payout.destination}`,
      },
      { account: clearing(payout.provider, currency, testMode), amountMinor: payout.feeMinor, memo: 'bank fee' },
    ],
  );
}

/** The payout failed: the reserve goes back to available. */
export function payoutReleased(payout: PayoutMoney): Posting | null {
  const { merchantId, currency, testMode } = payout;
  return posting(
    {
      source: { type: 'payout', id: payout.payoutId },
      event: 'released',
      testMode,
      description: `payout ${payout.payoutId} failed`,
    },
    [
      {
        account: merchantAccount(merchantId, 'reserved', currency, testMode),
        amountMinor: -payout.amountMinor,
        memo: 'payout failed',
      },
      {
        account: merchantAccount(merchantId, 'available', currency, testMode),
        amountMinor: payout.amountMinor,
        memo: 'payout failed',
      },
    ],
  );
}

/** A merchant's money in one currency and mode: what can be refunded or paid out, what is on its way, what is held. */
export interface CurrencyBalance {
  currency: string;
  available: bigint;
  pending: bigint;
  reserved: bigint;
}

/** An account and what it holds. */
export interface AccountBalance extends AccountRef {
  balanceMinor: bigint;
}

/** A transaction, or the whole ledger, that does not sum to zero in a currency. */
export interface LedgerImbalance {
  /** A transaction id, or `null` for the whole ledger. */
  transactionId: string | null;
  currency: string;
  testMode: boolean;
  sumMinor: bigint;
}

/** A posted ledger transaction with its entries, as read back. */
export interface PostedTransaction {
  id: string;
  sourceType: string;
  sourceId: string;
  event: string;
  testMode: boolean;
  createdAt: Date;
  entries: {
    owner: string;
    kind: AccountKind;
    provider: string;
    currency: string;
    amountMinor: bigint;
    memo: string;
  }[];
}
