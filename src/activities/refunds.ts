import { ApplicationFailure } from '@temporalio/common';
import type { Pool } from 'pg';
import { eventExists } from '../db/events';
import { post } from '../db/ledger';
import { inTransaction } from '../db/transaction';
import { findPaymentById } from '../db/payments';
import { completeRefund, findRefundById, lockPayment, markPaymentRefunded, refundTotals } from '../db/refunds';
import { refundReleased, refundSettled } from '../domain/ledger';
import { formatAmount } from '../domain/money';
import type { ProviderRegistry } from '../providers/registry';
import { ProviderError } from '../providers/types';
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

/** What the provider said about a refund: the money went back, or it refused. */
export type RefundOutcome =
  { state: 'succeeded'; providerRefundId: string } | { state: 'failed'; failureReason: string };

/** Activities of `refundWorkflow`. */
export function createRefundActivities({ db, providers, publicUrl }: RefundActivityDeps) {
  return {
    /**
     * Asks the provider to give the money back, under the refund's id as idempotency key (the same
     * across retries and resets). A refusal is an outcome, not an error; an unknown outcome throws
     * and is retried under the same key.
     */
    async refundAtProvider(input: { refundId: string }): Promise<RefundOutcome> {
      const refund = await findRefundById(db, input.refundId);
      if (!refund)
        throw ApplicationFailure.nonRetryable(`refund ${input.refundId} does not exist`, FailureType.UnknownRefund);
      const payment = await findPaymentById(db, refund.paymentId);
      const provider = providers.byName(refund.provider);
      if (!provider?.refundPayment)
        return { state: 'failed', failureReason: `provider ${refund.provider} cannot refund` };
      if (!payment?.providerPaymentId) return { state: 'failed', failureReason: 'the payment has no provider payment' };
      try {
        const answer = await provider.refundPayment({
          idempotencyKey: refund.id,
          refundId: refund.id,
          providerPaymentId: payment.providerPaymentId,
          amountMinor: refund.amountMinor.toString(),
          currency: refund.currency,
        });
        if (answer.state === 'failed')
          return { state: 'failed', failureReason: answer.failureReason ?? 'refused by the provider' };
        if (answer.amountMinor !== refund.amountMinor.toString() || answer.currency !== refund.currency) {
          throw ApplicationFailure.nonRetryable(
            `provider refunded ${answer.amountMinor} ${answer.currency} for ${refund.amountMinor} ${refund.currency}`,
            FailureType.RefundAmountMismatch,
          );
        }
        return { state: 'succeeded', providerRefundId: answer.providerRefundId };
      } catch (error) {
        if (error instanceof ProviderError && error.kind === 'definite')
          return { state: 'failed', failureReason: error.code };
        throw error;
      }
    },

    /**
     * Applies the outcome in one database transaction: the refund's status, the ledger (settled:
     * the reserve and the commission's share go back to the buyer through clearing; failed: the
     * reserve is released), the payment's `refunded` / `partially_refunded`, and the merchant event
     * (`payment.refunded` or `payment.refund_failed`, its id fixed by the workflow). Once only.
     */
    async recordRefundOutcome(input: {
      refundId: string;
      outcome: RefundOutcome;
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
