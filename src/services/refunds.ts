import { inTransaction } from '../db/transaction';
import { lockAvailableBalance, post } from '../db/ledger';
import type { MerchantPrincipal } from '../domain/merchant';
import { findPayment, findPaymentById } from '../db/payments';
import type { StoredPayment } from '../domain/payment';
import type { IdempotentCreate } from '../db/idempotency';
import {
  findRefund,
  findRefundByIdempotencyKey,
  insertRefund,
  listRefunds,
  lockPayment,
  refundTotals,
} from '../db/refunds';
import { type Refund, refundMoney } from '../domain/refund';
import { newId } from '../domain/ids';
import { refundReserved, refundSplit } from '../domain/ledger';
import { formatAmount } from '../domain/money';
import { DomainError, notFound } from '../domain/errors';
import { capturingConnectorId, setRefundConnector } from '../db/connectors';
import type { ConnectorHandle } from '../providers/registry';
import { startRefund } from '../temporal/outbox';
import { amountParam } from './checkouts';
import type { ServiceDeps } from './deps';
import { idempotencyKeyReused } from './payments';

/** A refund as a merchant asks for it. */
export interface NewRefundInput {
  /** Decimal string in the payment's currency; the whole rest of the payment when left out. */
  amount?: string;
}

const refundable = ['paid', 'partially_refunded'];

/**
 * Refunds (part of) a paid payment. In one database transaction, with the payment row locked so
 * that concurrent refunds of it go one at a time: checks the amount against what is left of the
 * buyer's total, splits it between Kassa's commission and the merchant's balance, checks and
 * reserves the merchant's part, stores the refund. Then starts its workflow (provider refund →
 * ledger → `payment.refunded`).
 *
 * Under an `Idempotency-Key` the refund row carries the key (unique per merchant and mode): a
 * retry that recovers a dead request, or meets the key in a row, answers with that refund.
 */
export async function createRefund(
  deps: ServiceDeps,
  principal: MerchantPrincipal,
  paymentId: string,
  request: NewRefundInput,
  idempotent?: IdempotentCreate,
): Promise<Refund> {
  if (idempotent?.recovering) {
    const made = await findRefundByIdempotencyKey(deps.db, principal, idempotent.key);
    if (made) return recoverRefund(deps, made, paymentId, request);
  }
  const found = await findPayment(deps.db, principal, paymentId);
  if (!found) throw notFound('payment', 'id');
  if (found.status !== 'paid' && found.status !== 'partially_refunded') throw paymentState(found);
  const connector = await refundConnector(deps, found);
  if (!connector?.client.refundPayment)
    throw new DomainError(
      'conflict',
      'refund_unsupported',
      `${found.method} payments cannot be refunded through Kassa`,
    );

  let refund: Refund;
  try {
    refund = await inTransaction(deps.db, async (client) => {
      await lockPayment(client, found.id);
      const payment = (await findPaymentById(client, found.id))!;
      if (!refundable.includes(payment.status)) throw paymentState(payment);
      if (payment.buyerTotalMinor === null || payment.merchantNetMinor === null) {
        throw new DomainError(
          'conflict',
          'payment_state',
          `Payment ${payment.id} has no recorded amounts to refund; ask the operator`,
        );
      }
      const { currency } = payment;
      const buyerTotal = payment.buyerTotalMinor;
      const { refundedMinor, feeReturnedMinor } = await refundTotals(client, payment.id);
      const left = buyerTotal - refundedMinor;
      const amount = request.amount === undefined ? left : amountParam(request.amount, currency, 'amount');
      if (amount <= 0n) {
        throw new DomainError(
          'invalid',
          left === 0n ? 'payment_refunded' : 'parameter_invalid',
          left === 0n ? `Payment ${payment.id} is refunded in full already` : 'amount must be above zero',
          'amount',
        );
      }
      if (amount > left) {
        throw new DomainError(
          'invalid',
          'amount_too_large',
          `The buyer paid ${formatAmount(buyerTotal, currency)} ${currency} and ${formatAmount(refundedMinor, currency)} is refunded or being refunded: at most ${formatAmount(left, currency)} can be refunded`,
          'amount',
        );
      }
      const split = refundSplit({
        buyerTotalMinor: buyerTotal,
        feeMinor: buyerTotal - payment.merchantNetMinor,
        refundedMinor,
        feeReturnedMinor,
        amountMinor: amount,
      });
      const available = await lockAvailableBalance(client, payment.merchantId, currency, payment.testMode);
      if (available < split.merchantDebitMinor) {
        throw new DomainError(
          'invalid',
          'balance_insufficient',
          `This refund takes ${formatAmount(split.merchantDebitMinor, currency)} ${currency} from your balance and ${formatAmount(available, currency)} is available`,
          'amount',
        );
      }
      const refund = await insertRefund(client, {
        id: newId('re'),
        paymentId: payment.id,
        merchantId: payment.merchantId,
        testMode: payment.testMode,
        amountMinor: amount,
        currency,
        feeReturnedMinor: split.feeReturnedMinor,
        merchantDebitMinor: split.merchantDebitMinor,
        provider: connector.connector.provider,
        idempotencyKey: idempotent?.key ?? null,
      });
      await setRefundConnector(client, refund.id, connector.connector.id);
      const reserve = refundReserved(refundMoney(refund));
      if (reserve) await post(client, reserve);
      return refund;
    });
  } catch (error) {
    const made =
      idempotent && isUniqueViolation(error) && (await findRefundByIdempotencyKey(deps.db, principal, idempotent.key));
    if (made) return recoverRefund(deps, made, paymentId, request);
    throw error;
  }
  await startRefund(deps, refund, found);
  return refund;
}

const isUniqueViolation = (error: unknown) => (error as { code?: string })?.code === '23505';

/**
 * The connector a payment's refund goes through: the one whose attempt captured it (never another
 * account, even when that one cannot be loaded now), else, for a payment captured before
 * connectors, the first active connector serving its method in its mode, else any serving it.
 */
async function refundConnector(deps: ServiceDeps, payment: StoredPayment): Promise<ConnectorHandle | undefined> {
  const capturedBy = await capturingConnectorId(deps.db, payment.id, payment.providerPaymentId);
  if (capturedBy) {
    const captured = deps.providers.connector(capturedBy);
    if (!captured)
      throw new DomainError(
        'conflict',
        'connector_unavailable',
        `The connector that captured this payment (${capturedBy}) is not available now; the operator can check it`,
      );
    return captured;
  }
  if (!payment.method) return undefined;
  const { method } = payment;
  const mode = payment.testMode ? 'test' : 'live';
  return (
    deps.providers.connectorsFor(method, payment.testMode)[0] ??
    deps.providers.all().find((handle) => handle.connector.mode === mode && handle.connector.methods.includes(method))
  );
}

/** The refund an earlier request made under the same key, if it is this request's; its workflow started. */
async function recoverRefund(
  deps: ServiceDeps,
  refund: Refund,
  paymentId: string,
  request: NewRefundInput,
): Promise<Refund> {
  const same =
    refund.paymentId === paymentId &&
    (request.amount === undefined || amountParam(request.amount, refund.currency, 'amount') === refund.amountMinor);
  if (!same) throw idempotencyKeyReused();
  const payment = await findPaymentById(deps.db, refund.paymentId);
  if (payment) await startRefund(deps, refund, payment);
  return refund;
}

function paymentState(payment: StoredPayment) {
  return new DomainError(
    'conflict',
    'payment_state',
    `Payment ${payment.id} is ${payment.status}: only a paid payment can be refunded`,
  );
}

export async function getRefund(deps: ServiceDeps, principal: MerchantPrincipal, refundId: string): Promise<Refund> {
  const refund = await findRefund(deps.db, principal, refundId);
  if (!refund) throw notFound('refund', 'id');
  return refund;
}

export async function paymentRefunds(
  deps: ServiceDeps,
  principal: MerchantPrincipal,
  paymentId: string,
): Promise<Refund[]> {
  const payment = await findPayment(deps.db, principal, paymentId);
  if (!payment) throw notFound('payment', 'id');
  return listRefunds(deps.db, payment.id);
}
