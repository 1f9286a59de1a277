import { inTransaction } from '../db/transaction';
import { findCheckout } from '../db/checkouts';
import { lockAvailableBalance, post } from '../db/ledger';
import type { MerchantPrincipal } from '../domain/merchant';
import type { IdempotentCreate } from '../db/idempotency';
import { findPayout, findPayoutByIdempotencyKey, firstCheckoutOf, insertPayout, listPayouts } from '../db/payouts';
import { type Payout, type PayoutDestination, payoutMoney } from '../domain/payout';
import { newId } from '../domain/ids';
import { payoutReserved } from '../domain/ledger';
import { formatAmount } from '../domain/money';
import { DomainError, invalid, notFound } from '../domain/errors';
import { setPayoutConnector } from '../db/connectors';
import type { ConnectorHandle } from '../providers/registry';
import { type PayoutDestinationInput, ProviderError } from '../providers/types';
import { startPayout } from '../temporal/outbox';
import { amountParam } from './checkouts';
import type { ServiceDeps } from './deps';
import { idempotencyKeyReused } from './payments';

/** A withdrawal as a merchant asks for it. */
export interface NewPayoutInput {
  /** Decimal string in `currency`. */
  amount: string;
  currency: string;
  /** A card by the provider's token (`POST SANDBOX_URL/card-tokens` in test mode), or a wallet. */
  destination: PayoutDestinationInput;
  /** Whose notify_url gets `payout.paid` / `payout.failed`; the merchant's first checkout in the mode when left out. */
  checkoutId?: string;
}

/**
 * A withdrawal. The destination is checked with the provider (a card is kept only as its token and
 * last four digits); then, in one database transaction with the merchant's available balance
 * locked, the amount is checked against it and reserved, and the payout stored. Then its workflow
 * pays out, settles with the bank's fee or releases the reserve, and notifies the merchant.
 *
 * Under an `Idempotency-Key` the payout row carries the key (unique per merchant and mode): a
 * retry that recovers a dead request, or meets the key in a row, answers with that payout.
 */
export async function createPayout(
  deps: ServiceDeps,
  principal: MerchantPrincipal,
  request: NewPayoutInput,
  idempotent?: IdempotentCreate,
): Promise<Payout> {
  const { currency } = request;
  const amount = amountParam(request.amount, currency, 'amount');
  if (amount <= 0n) throw invalid('amount', 'amount must be above zero');
  if (idempotent?.recovering) {
    const made = await findPayoutByIdempotencyKey(deps.db, principal, idempotent.key);
    if (made) return recoverPayout(deps, made, amount, currency);
  }
  const connector = deps.providers.payoutConnector(principal.testMode, currency);
  if (!connector?.client.resolvePayoutDestination) {
    throw new DomainError(
      'invalid',
      'payouts_unavailable',
      `No provider pays out in ${principal.testMode ? 'test' : 'live'} mode`,
      'destination',
    );
  }
  let checkoutId: string | null;
  if (request.checkoutId) {
    const checkout = await findCheckout(deps.db, principal, request.checkoutId);
    if (!checkout) throw notFound('checkout', 'checkout_id');
    checkoutId = checkout.id;
  } else {
    checkoutId = await firstCheckoutOf(deps.db, principal.merchantId, principal.testMode);
  }
  const destination = await resolveDestination(connector, request.destination);

  let payout: Payout;
  try {
    payout = await inTransaction(deps.db, async (client) => {
      const available = await lockAvailableBalance(client, principal.merchantId, currency, principal.testMode);
      if (available < amount) {
        throw new DomainError(
          'invalid',
          'balance_insufficient',
          `Your available ${currency} balance is ${formatAmount(available, currency)}; this payout needs ${formatAmount(amount, currency)}`,
          'amount',
        );
      }
      const payout = await insertPayout(client, {
        id: newId('po'),
        merchantId: principal.merchantId,
        testMode: principal.testMode,
        checkoutId,
        amountMinor: amount,
        currency,
        destination,
        provider: connector.connector.provider,
        idempotencyKey: idempotent?.key ?? null,
      });
      await setPayoutConnector(client, payout.id, connector.connector.id);
      const reserve = payoutReserved(payoutMoney(payout));
      if (reserve) await post(client, reserve);
      return payout;
    });
  } catch (error) {
    const made =
      idempotent && isUniqueViolation(error) && (await findPayoutByIdempotencyKey(deps.db, principal, idempotent.key));
    if (made) return recoverPayout(deps, made, amount, currency);
    throw error;
  }
  await startPayout(deps, payout);
  return payout;
}

const isUniqueViolation = (error: unknown) => (error as { code?: string })?.code === '23505';

/** The payout an earlier request made under the same key, if it is this request's; its workflow started. */
async function recoverPayout(deps: ServiceDeps, payout: Payout, amount: bigint, currency: string): Promise<Payout> {
  if (payout.amountMinor !== amount || payout.currency !== currency) throw idempotencyKeyReused();
  await startPayout(deps, payout);
  return payout;
}

async function resolveDestination(
  { client }: ConnectorHandle,
  destination: PayoutDestinationInput,
): Promise<PayoutDestination> {
  const provider = { name: client.provider };
  try {
    return await client.resolvePayoutDestination!(destination);
  } catch (error) {
    if (error instanceof ProviderError && error.kind === 'definite') {
      const param = destination.type === 'card' ? 'destination.token' : 'destination.wallet_id';
      throw invalid(
        param,
        `${provider.name} does not accept this destination: ${error.message}`,
        'destination_invalid',
      );
    }
    if (error instanceof ProviderError)
      throw new DomainError(
        'unavailable',
        'provider_unavailable',
        `${provider.name} cannot be reached now; retry later`,
      );
    throw error;
  }
}

export async function getPayout(deps: ServiceDeps, principal: MerchantPrincipal, payoutId: string): Promise<Payout> {
  const payout = await findPayout(deps.db, principal, payoutId);
  if (!payout) throw notFound('payout', 'id');
  return payout;
}

export async function merchantPayouts(
  deps: ServiceDeps,
  principal: MerchantPrincipal,
  limit: number,
): Promise<Payout[]> {
  return listPayouts(deps.db, principal, limit);
}
