/** What adapters share about currencies. */
import { currencyExponent, MoneyFormatError } from '../domain/money';
import { ProviderError } from './types';

/** A currency's ISO 4217 exponent as Kassa keeps it; a currency Kassa does not handle is a definite refusal. */
export function kassaExponent(currency: string): number {
  try {
    return currencyExponent(currency.toUpperCase());
  } catch (error) {
    if (error instanceof MoneyFormatError)
      throw new ProviderError('definite', 'currency_not_supported', `Kassa does not handle ${currency}`);
    throw error;
  }
}
