/**
 * Commission math and what a buyer is shown. Pure: no I/O, no clock, bigint minor units only,
 * safe to call from workflow code.
 *
 * **Rounding rule (the only one):** the percentage part of a fee is rounded half-up to the
 * currency's minor unit (exactly half a minor unit rounds up: 2.5 kopecks → 3); the fixed part is
 * added to it unrounded, being whole minor units already. When a fee is split, the buyer's share
 * is rounded half-up the same way and the merchant bears the rest, so the two shares always add
 * up to the fee.
 */
import type { ProviderMethod } from './methods';

/**
 * Who bears the commission. On the wire: `"merchant"`, `"buyer"`, or
 * `{"type":"split","buyer_percent":N}` (N whole percent, 0–100, of the fee paid by the buyer;
 * the merchant pays the rest).
 */
export type FeePayerSetting = { type: 'merchant' } | { type: 'buyer' } | { type: 'split'; buyerPercent: number };

/** A commission: a share of the amount plus an optional fixed part in each currency's minor units. */
export interface FeeSchedule {
  /** 300 = 3 %. */
  basisPoints: number;
  /** Added to the percentage part in the payment's currency; none for a currency not listed. */
  fixedMinor: Record<string, bigint>;
}

/** Kassa's default commission: 3 %, no fixed part. */
export const defaultFeeSchedule: FeeSchedule = { basisPoints: 300, fixedMinor: {} };

export interface FeeQuote {
  /** The whole commission: `buyerFeeMinor + merchantFeeMinor`. */
  feeMinor: bigint;
  buyerFeeMinor: bigint;
  merchantFeeMinor: bigint;
  /** What the buyer pays: the amount plus the buyer's share of the fee. */
  buyerTotalMinor: bigint;
  /** What the merchant is credited: the amount minus the merchant's share of the fee. */
  merchantNetMinor: bigint;
}

/** `numerator / denominator` for non-negative values, rounded half-up. */
const halfUp = (numerator: bigint, denominator: bigint) => (numerator * 2n + denominator) / (denominator * 2n);

/**
 * The commission on `amountMinor` under `schedule` and how it falls between buyer and merchant,
 * per the module's rounding rule. `buyerTotalMinor − merchantNetMinor = feeMinor` always.
 */
export function quoteFee(
  amountMinor: bigint,
  currency: string,
  schedule: FeeSchedule,
  payer: FeePayerSetting,
): FeeQuote {
  if (amountMinor < 0n) throw new RangeError('amountMinor must not be negative');
  const fixed = Object.hasOwn(schedule.fixedMinor, currency) ? schedule.fixedMinor[currency]! : 0n;
  const feeMinor = halfUp(amountMinor * BigInt(schedule.basisPoints), 10_000n) + fixed;
  const buyerFeeMinor =
    payer.type === 'buyer'
      ? feeMinor
      : payer.type === 'merchant'
        ? 0n
        : halfUp(feeMinor * BigInt(payer.buyerPercent), 100n);
  const merchantFeeMinor = feeMinor - buyerFeeMinor;
  return {
    feeMinor,
    buyerFeeMinor,
    merchantFeeMinor,
    buyerTotalMinor: amountMinor + buyerFeeMinor,
    merchantNetMinor: amountMinor - merchantFeeMinor,
  };
}

/** A method a checkout enables, with the conditions under which a buyer sees it. */
export interface MethodSetting {
  /** Method code, e.g. `sandbox_card`. */
  code: string;
  /** Shown only for these currencies; `null` for every currency of the checkout. */
  currencies: string[] | null;
  /** Shown only from this amount, per currency (minor units); a currency not listed has no minimum. */
  minAmountMinor: Record<string, bigint>;
  /** Shown only up to this amount, per currency (minor units); a currency not listed has no maximum. */
  maxAmountMinor: Record<string, bigint>;
}

/** A checkout's pricing: its default commission, per-method overrides, and who pays. */
export interface CheckoutPricing {
  fee: FeeSchedule;
  /** A method listed here uses its own schedule instead of `fee`. */
  methodFees: Record<string, FeeSchedule>;
  payer: FeePayerSetting;
}

export interface MethodQuote extends FeeQuote {
  code: string;
  title: string;
  /** The schedule that priced this method. */
  schedule: FeeSchedule;
}

export interface QuoteMethodsInput {
  /** What the provider registry offers for the payment's mode (`registry.methods(testMode)`). */
  offered: readonly ProviderMethod[];
  testMode: boolean;
  /** The checkout's enabled methods; `null` enables every offered method without conditions. */
  settings: readonly MethodSetting[] | null;
  pricing: CheckoutPricing;
  amountMinor: bigint;
  currency: string;
}

const within = (limits: Record<string, bigint>, currency: string, test: (limit: bigint) => boolean) =>
  !Object.hasOwn(limits, currency) || test(limits[currency]!);

/**
 * The methods a buyer sees for one amount and currency, each with what it costs, in the
 * checkout's order (the registry's when the checkout lists none). A method is shown when the
 * registry offers it in this mode (test mode: sandbox methods only), the checkout enables it, the
 * currency and amount meet its conditions, and its fee leaves the merchant a non-negative net.
 */
export function quoteMethods(input: QuoteMethodsInput): MethodQuote[] {
  const offered = new Map(
    input.offered.filter((method) => method.testMode === input.testMode).map((method) => [method.code, method]),
  );
  const settings: readonly MethodSetting[] =
    input.settings ??
    [...offered.keys()].map((code) => ({ code, currencies: null, minAmountMinor: {}, maxAmountMinor: {} }));
  const quotes: MethodQuote[] = [];
  for (const setting of settings) {
    const method = offered.get(setting.code);
    if (!method) continue;
    if (setting.currencies && !setting.currencies.includes(input.currency)) continue;
    if (!within(setting.minAmountMinor, input.currency, (min) => input.amountMinor >= min)) continue;
    if (!within(setting.maxAmountMinor, input.currency, (max) => input.amountMinor <= max)) continue;
    const schedule = Object.hasOwn(input.pricing.methodFees, method.code)
      ? input.pricing.methodFees[method.code]!
      : input.pricing.fee;
    const quote = quoteFee(input.amountMinor, input.currency, schedule, input.pricing.payer);
    if (quote.merchantNetMinor < 0n) continue;
    quotes.push({ code: method.code, title: method.title, schedule, ...quote });
  }
  return quotes;
}

/** `"2.50"` (percent, at most two decimals) → 250 basis points; `null` when malformed or above 100 %. */
export function percentToBasisPoints(percent: string): number | null {
  const match = /^(\d{1,3})(?:\.(\d{1,2}))?$/.exec(percent);
  if (!match) return null;
  const basisPoints = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  return basisPoints <= 10_000 ? basisPoints : null;
}

/** 250 → `"2.50"`. */
export function basisPointsToPercent(basisPoints: number): string {
  return `${Math.floor(basisPoints / 100)}.${String(basisPoints % 100).padStart(2, '0')}`;
}
