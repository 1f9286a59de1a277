import type { CurrencyBalance } from '../domain/ledger';
import { formatAmount } from '../domain/money';

/** `GET /v1/balance`: per currency, what can be refunded or paid out, what is on its way, what is held. */
export function balanceResource(testMode: boolean, balances: CurrencyBalance[]) {
  return {
    object: 'balance' as const,
    test_mode: testMode,
    balances: balances.map((balance) => ({
      currency: balance.currency,
      available: formatAmount(balance.available, balance.currency),
      pending: formatAmount(balance.pending, balance.currency),
      reserved: formatAmount(balance.reserved, balance.currency),
    })),
  };
}
export type BalanceResource = ReturnType<typeof balanceResource>;
