import { ApplicationFailure } from '@temporalio/common';
import type { Pool } from 'pg';
import { eventExists } from '../db/events';
import { post } from '../db/ledger';
import { inTransaction } from '../db/transaction';
import { findPaymentById } from '../db/payments';
import { completeRefund, findRefundById, lockPayment, markPaymentRefunded, refundTotals } from '../db/refunds';
import { refundReleased, refundSettled } from '../domain/ledger';
import { formatAmount } from '../domain/money';
import { refundConnectorId } from '../db/connectors';
import type { ConnectorHandle, ProviderRegistry } from '../providers/registry';
import { ProviderError, type ProviderRefund } from '../providers/types';
import type { Refund } from '../domain/refund';
import { waitWhileConnectorPaused } from './connectors';
import { retryableProviderFailure } from './provider-failures';
import { FailureType } from '../domain/failure-types';
import { paymentResource } from '../resources/payment';
import { refundResource } from '../resources/refund';
import { storePaymentEvent } from './merchant-events';
import { refundMoney } from '../domain/refund';

export interface RefundActivityDeps {
  db: Pool;
  providers: ProviderRegistry;
  publicUrl: string;
}

/** What the provider said about a refund: the money went back, it refused, or not yet (`pending`). */
export type RefundOutcome =
  | { state: 'succeeded'; providerRefundId: string }
  | { state: 'failed'; failureReason: string }
  | { state: 'pending'; providerRefundId: string | null };

/** A final outcome: what the ledger records. */
export type FinalRefundOutcome = Exclude<RefundOutcome, { state: 'pending' }>;

/** Activities of `refundWorkflow`. */
export function createRefundActivities({ db, providers, publicUrl }: RefundActivityDeps) {
  /**
   * The connector a refund goes through: the one recorded with it, else (a refund made before
   * connectors) its provider's first connector in its mode.
   */
  const connectorOf = async (refund: Refund): Promise<ConnectorHandle | undefined> => {
    const id = await refundConnectorId(db, refund.id);
    if (id) return providers.connector(id);
    const mode = refund.testMode ? 'test' : 'live';
    return providers.byProvider(refund.provider).find((handle) => handle.connector.mode === mode);
  };

  const existingRefund = async (refundId: string) => {
    const refund = await findRefundById(db, refundId);
    if (!refund) throw ApplicationFailure.nonRetryable(`refund ${refundId} does not exist`, FailureType.UnknownRefund);
    return refund;
  };

  /** The provider's answer as an outcome; an answer for other money is never recorded. */
  const outcomeOf = (refund: Refund, answer: ProviderRefund): RefundOutcome => {
    if (answer.state === 'failed')
      return { state: 'failed', failureReason: answer.failureReason ?? 'refused by the provider' };
    if (answer.amountMinor !== refund.amountMinor.toString() || answer.currency !== refund.currency) {
      throw ApplicationFailure.nonRetryable(
        `provider refunded ${answer.amountMinor} ${answer.currency} for ${refund.amountMinor} ${refund.currency}`,
        FailureType.RefundAmountMismatch,
      );
    }
    return answer.state === 'pending'
      ? { state: 'pending', providerRefundId: answer.providerRefundId || null }
      : { state: 'succeeded', providerRefundId: answer.providerRefundId };
  };

  return {
    /**
     * Asks the refund's connector to give the money back, under the refund's id as idempotency key
     * (the same across retries and resets). A refusal is an outcome, not an error, and so is
     * `pending` (settled later by a callback or {@link checkRefundAtProvider}); an unknown outcome
     * throws and is retried under the same key. A paused connector makes it wait.
     */
    async refundAtProvider(input: { refundId: string }): Promise<RefundOutcome> {
      const refund = await existingRefund(input.refundId);
      const payment = await findPaymentById(db, refund.paymentId);
      const handle = await connectorOf(refund);
      if (!handle?.client.refundPayment)
        return { state: 'failed', failureReason: `provider ${refund.provider} cannot refund` };
      if (!payment?.providerPaymentId) return { state: 'failed', failureReason: 'the payment has no provider payment' };
      await waitWhileConnectorPaused(providers, handle.connector.id);
      try {
        const answer = await handle.client.refundPayment({
          idempotencyKey: refund.id,
          refundId: refund.id,
          providerPaymentId: payment.providerPaymentId,
          amountMinor: refund.amountMinor.toString(),
          currency: refund.currency,
        });
        return outcomeOf(refund, answer);
      } catch (error) {
        if (error instanceof ProviderError && error.kind === 'definite')
          return { state: 'failed', failureReason: error.code };
        throw retryableProviderFailure(error);
      }
    },

    /**
     * Where a pending refund stands: the connector's refund status when it has one, else what its
     * callback said (`answer`), else still pending.
     */
    async checkRefundAtProvider(input: {
      refundId: string;
      providerRefundId: string | null;
      answer?: ProviderRefund;
    }): Promise<RefundOutcome> {
      const refund = await existingRefund(input.refundId);
      const handle = await connectorOf(refund);
      if (handle?.client.getRefundStatus) {
        await waitWhileConnectorPaused(providers, handle.connector.id);
        try {
          const answer = await handle.client.getRefundStatus({
            refundId: refund.id,
            providerRefundId: input.providerRefundId,
          });
          if (answer) return outcomeOf(refund, answer);
        } catch (error) {
          throw retryableProviderFailure(error);
        }
      }
      return input.answer
        ? outcomeOf(refund, input.answer)
        : { state: 'pending', providerRefundId: input.providerRefundId };
    },

    /**
     * Applies the outcome in one database transaction: the refund's status, the ledger (settled:
     * the reserve and the commission's share go back to the buyer through clearing; failed: the
     * reserve is released), the payment's `refunded` / `partially_refunded`, and the merchant event
     * (`payment.refunded` or `payment.refund_failed`, its id fixed by the workflow). Once only.
     */
    async recordRefundOutcome(input: {
      refundId: string;
      outcome: FinalRefundOutcome;
      eventId: string;
    }): Promise<{ eventId: string | null }> {
      return inTransaction(db, async (client) => {
        const pending = await findRefundById(client, input.refundId);
        if (!pending)
          throw ApplicationFailure.nonRetryable(`refund ${input.refundId} does not exist`, FailureType.UnknownRefund);
        await lockPayment(client, pending.paymentId);
        const refund = await completeRefund(
          client,
          input.refundId,
          input.outcome.state === 'succeeded'
            ? { status: 'succeeded', providerRefundId: input.outcome.providerRefundId }
            : { status: 'failed', failureReason: input.outcome.failureReason },
        );
        if (!refund) return { eventId: (await eventExists(client, input.eventId)) ? input.eventId : null };
        const posting =
          refund.status === 'succeeded' ? refundSettled(refundMoney(refund)) : refundReleased(refundMoney(refund));
        if (posting) await post(client, posting);
        const before = (await findPaymentById(client, refund.paymentId))!;
        const { succeededMinor } = await refundTotals(client, refund.paymentId);
        if (refund.status === 'succeeded') {
          await markPaymentRefunded(
            client,
            refund.paymentId,
            succeededMinor >= (before.buyerTotalMinor ?? 0n) ? 'refunded' : 'partially_refunded',
          );
        }
        const payment = (await findPaymentById(client, refund.paymentId))!;
        await storePaymentEvent(
          client,
          payment.id,
          { id: input.eventId, type: refund.status === 'succeeded' ? 'payment.refunded' : 'payment.refund_failed' },
          {
            ...paymentResource(payment, publicUrl),
            amount_refunded: formatAmount(succeededMinor, payment.currency),
            refund: refundResource(refund),
          },
        );
        return { eventId: input.eventId };
      });
    },
  };
}
