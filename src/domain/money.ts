/**
 * Money is bigint minor units inside Kassa and a decimal string in major units outside
 * (`"50.00"` RUB, `"500"` JPY, `"1.250"` KWD). No floats anywhere on this path.
 */

/** ISO 4217 minor-unit exponents of the currencies Kassa accepts. */
const exponents: Record<string, number> = {
  RUB: 2,
  USD: 2,
  EUR: 2,
  GBP: 2,
  KZT: 2,
  UAH: 2,
  BYN: 2,
  CNY: 2,
  TRY: 2,
  PLN: 2,
  CHF: 2,
  JPY: 0,
  KRW: 0,
  VND: 0,
  CLP: 0,
  ISK: 0,
  KWD: 3,
  BHD: 3,
  OMR: 3,
  JOD: 3,
  TND: 3,
};

export const supportedCurrencies = Object.keys(exponents).sort();

export function isSupportedCurrency(code: string): boolean {
  return Object.hasOwn(exponents, code);
}

export function currencyExponent(currency: string): number {
  const exponent = exponents[currency];
  if (exponent === undefined) throw new MoneyFormatError(`unsupported currency ${currency}`);
  return exponent;
}

export class MoneyFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MoneyFormatError';
  }
}

/** Parses `"50.00"` into 5000n for RUB; rejects signs, exponents and extra decimals. */
export function parseAmount(value: string, currency: string): bigint {
  const exponent = currencyExponent(currency);
  const match = /^(0|[1-9]\d{0,17})(?:\.(\d+))?$/.exec(value);
  if (!match) throw new MoneyFormatError(`must be a decimal string such as "50.00"`);
  const fraction = match[2] ?? '';
  if (fraction.length > exponent) {
    throw new MoneyFormatError(`${currency} allows at most ${exponent} decimal places`);
  }
  return BigInt(match[1]! + fraction.padEnd(exponent, '0'));
}

/** Formats 5000n RUB as `"50.00"`, always with the currency's full number of decimals. */
export function formatAmount(minor: bigint, currency: string): string {
  const exponent = currencyExponent(currency);
  const sign = minor < 0n ? '-' : '';
  const digits = (minor < 0n ? -minor : minor).toString().padStart(exponent + 1, '0');
  if (exponent === 0) return sign + digits;
  return `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/**
 * Splits `total` minor units in proportion to `weights` (largest remainder): every part is the
 * floor of its exact share or one more, and the parts always add up to `total`. Ties in the
 * remainder go to the earlier weight. Weights are non-negative with a positive sum; `total` may
 * be negative (the parts are then the negated split of `-total`).
 */
export function allocate(total: bigint, weights: readonly bigint[]): bigint[] {
  if (weights.length === 0) throw new RangeError('allocate needs at least one weight');
  if (weights.some((weight) => weight < 0n)) throw new RangeError('weights must not be negative');
  const sum = weights.reduce((a, b) => a + b, 0n);
  if (sum === 0n) throw new RangeError('weights must not all be zero');
  if (total < 0n) return allocate(-total, weights).map((part) => -part);
  const parts = weights.map((weight) => (total * weight) / sum);
  let left = total - parts.reduce((a, b) => a + b, 0n);
  const byRemainder = weights
    .map((weight, index) => ({ index, remainder: (total * weight) % sum }))
    .sort((a, b) => (a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1));
  for (const { index } of byRemainder) {
    if (left === 0n) break;
    parts[index]! += 1n;
    left -= 1n;
  }
  return parts;
}
