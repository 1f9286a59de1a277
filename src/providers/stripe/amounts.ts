import { ProviderError } from '../types';
import { kassaExponent } from '../currencies';

/**
 * Stripe's minor units are not always ISO 4217's. Stripe's zero-decimal currencies take whole
 * units; its three-decimal currencies take thousandths whose last digit must be 0; every other
 * currency takes hundredths, ISK included: Stripe keeps the Icelandic króna two-decimal in its
 * API although only whole krónur may be charged (an amount divisible by 100), while ISO 4217
 * (and Kassa) give ISK no decimals. HUF and TWD are two-decimal for charges in both.
 */
const ZERO_DECIMAL = new Set([
  'BIF',
  'CLP',
  'DJF',
  'GNF',
  'JPY',
  'KMF',
  'KRW',
  'MGA',
  'PYG',
  'RWF',
  'UGX',
  'VND',
  'VUV',
  'XAF',
  'XOF',
  'XPF',
]);
const THREE_DECIMAL = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);

/** The number of decimals Stripe's API uses for a currency's amounts. */
export function stripeExponent(currency: string): number {
  const code = currency.toUpperCase();
  if (ZERO_DECIMAL.has(code)) return 0;
  if (THREE_DECIMAL.has(code)) return 3;
  return 2;
}

/** Kassa's minor units (a decimal string) as Stripe's integer amount for the currency. */
export function toStripeAmount(amountMinor: string, currency: string): number {
  if (!/^\d+$/.test(amountMinor)) throw new ProviderError('definite', 'invalid_amount', `bad amount ${amountMinor}`);
  const shift = stripeExponent(currency) - kassaExponent(currency);
  let amount = BigInt(amountMinor);
  if (shift >= 0) amount *= 10n ** BigInt(shift);
  else {
    const unit = 10n ** BigInt(-shift);
    if (amount % unit !== 0n)
      throw new ProviderError('definite', 'amount_not_supported', `Stripe cannot charge ${amountMinor} in ${currency}`);
    amount /= unit;
  }
  if (THREE_DECIMAL.has(currency.toUpperCase()) && amount % 10n !== 0n)
    throw new ProviderError(
      'definite',
      'amount_not_supported',
      `Stripe charges ${currency.toUpperCase()} in multiples of 0.010 only, not ${amountMinor} thousandths`,
    );
  if (amount > BigInt(Number.MAX_SAFE_INTEGER))
    throw new ProviderError('definite', 'amount_too_large', `${amountMinor} is too large for Stripe`);
  return Number(amount);
}

/** Stripe's integer amount for a currency as Kassa's minor units (a decimal string). */
export function fromStripeAmount(amount: number, currency: string): string {
  if (!Number.isSafeInteger(amount) || amount < 0)
    throw new ProviderError('definite', 'invalid_amount', `Stripe sent the amount ${amount}`);
  const shift = kassaExponent(currency) - stripeExponent(currency);
  let minor = BigInt(amount);
  if (shift >= 0) minor *= 10n ** BigInt(shift);
  else {
    const unit = 10n ** BigInt(-shift);
    if (minor % unit !== 0n)
      throw new ProviderError(
        'definite',
        'amount_not_supported',
        `Stripe's amount ${amount} is a fraction of ${currency.toUpperCase()}'s smallest unit`,
      );
    minor /= unit;
  }
  return minor.toString();
}
