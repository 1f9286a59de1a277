import { merchantBalances } from '../db/ledger';
import type { MerchantPrincipal } from '../domain/merchant';
import { balanceResource } from '../resources/balance';
import type { ServiceDeps } from './deps';

/** The merchant's balance in the key's mode: available, pending and reserved per currency, from the ledger. */
export async function getBalance(deps: ServiceDeps, principal: MerchantPrincipal) {
  return balanceResource(principal.testMode, await merchantBalances(deps.db, principal.merchantId, principal.testMode));
}
