/**
 * The sandbox bank's rules: which card numbers are valid, what brand they are, which destinations
 * refuse payouts and what a payout costs.
 */

/** The test card whose payouts are always declined by the bank. */
export const FAILING_CARD = '4000000000000002';

/** Wallets whose id starts with `fail` are closed: payouts to them fail. */
export function walletIsClosed(walletId: string): boolean {
  return walletId.startsWith('fail');
}

/** The bank's fee on a payout: 1 % of the amount to a card (rounded half-up), nothing to a wallet. */
export function payoutFee(amountMinor: bigint, destination: 'card' | 'wallet'): bigint {
  return destination === 'card' ? (amountMinor + 50n) / 100n : 0n;
}

export function luhnValid(number: string): boolean {
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let digit = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

export function cardBrand(number: string): string {
  if (number.startsWith('4')) return 'visa';
  if (number.startsWith('5')) return 'mastercard';
  if (number.startsWith('2')) return 'mir';
  return 'card';
}
