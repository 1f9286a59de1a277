/** What the cabinet's money screens read besides the API's own services: a searchable payment list and the checkouts to pick from. */
import { checkoutChoices, type PaymentSearch, searchPayments } from '../db/money-screens';
import type { MerchantPrincipal } from '../domain/merchant';
import { currencyExponent, supportedCurrencies } from '../domain/money';
import type { ServiceDeps } from './deps';

export type { CheckoutChoice, PaymentListRow, PaymentSearch } from '../db/money-screens';

const scales: ReadonlyMap<string, bigint> = new Map(
  supportedCurrencies.map((code) => [code, 10n ** BigInt(currencyExponent(code))]),
);

/** A page of the merchant's payments in the principal's mode, newest first, narrowed by `search`. */
export const searchMerchantPayments = (
  deps: Pick<ServiceDeps, 'db'>,
  principal: MerchantPrincipal,
  search: PaymentSearch,
) => searchPayments(deps.db, principal, search, scales);

/** The merchant's checkouts in the principal's mode, oldest first. */
export const merchantCheckouts = (deps: Pick<ServiceDeps, 'db'>, principal: MerchantPrincipal) =>
  checkoutChoices(deps.db, principal);
