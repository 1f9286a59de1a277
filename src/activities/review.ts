import { ApplicationFailure } from '@temporalio/common';
import type { Pool } from 'pg';
import { findEvent } from '../db/events';
import { completeDecision, findDecision, findException, recordedReviewRefunds } from '../db/exceptions';
import { applyStatusChange, findPaymentById } from '../db/payments';
import { inTransaction } from '../db/transaction';
import { lockPayment } from '../db/refunds';
import {
  acceptedAmounts,
  acceptRefusal,
  captureToSettle,
  capturesToRefund,
  reviewRefundId,
} from '../domain/exceptions';
import { providerCaptures, providerNameOf } from '../providers/captures';
import type { ProviderRegistry } from '../providers/registry';
import { ProviderError } from '../providers/types';
import { postPaymentCaptured } from './ledger';
import { retryableProviderFailure } from './provider-failures';
import { FailureType } from '../domain/failure-types';
import { paymentResource } from '../resources/payment';
import { storePaymentEvent } from './merchant-events';
import type { DecisionRefund, ExceptionDecision } from '../domain/exceptions';
import type { StoredPayment } from '../domain/payment';

export interface ReviewActivityDeps {
  db: Pool;
  providers: ProviderRegistry;
  publicUrl: string;
}

/** Activities of `reviewDecisionWorkflow`: an operator's decision on an exception, carried out once. */
export function createReviewActivities({ db, providers, publicUrl }: ReviewActivityDeps) {
  const pendingDecision = async (decisionId: string): Promise<ExceptionDecision> => {
    const decision = await findDecision(db, decisionId);
    if (!decision)
      throw ApplicationFailure.nonRetryable(`decision ${decisionId} does not exist`, FailureType.UnknownDecision);
    return decision;
  };

  const capturesOf = async (payment: StoredPayment | null, flaggedBy: string | undefined, paymentId: string | null) => {
    const name = providerNameOf(providers, payment?.method ?? null, flaggedBy);
    if (!name || !paymentId) return [];
    return providerCaptures(providers, name, [paymentId], payment?.createdAt ?? new Date(Date.now() - 30 * 86_400_000));
  };

  return {
    /**
     * Accepts the money the provider took: the capture it reports for the payment (its own
     * provider payment's, else the latest) becomes the payment's buyer total, the payment turns
     * `paid` (write `seq`), the ledger posts the capture like any paid payment and `payment.paid`
     * is stored under `eventId`, in one database transaction, once. A capture any of which has
     * been refunded (by the provider's report or a decision's recorded refunds) is refused
     * (`already_refunded`, see `acceptRefusal`): the operator refunds the rest instead.
     */
    async acceptException(input: {
      decisionId: string;
      seq: number;
      eventId: string;
    }): Promise<{ eventId: string | null }> {
      const decision = await pendingDecision(input.decisionId);
      if (decision.status === 'applied')
        return { eventId: (await findEvent(db, input.eventId)) ? input.eventId : null };
      if (decision.status === 'failed' || !decision.paymentId) {
        throw ApplicationFailure.nonRetryable(`decision ${decision.id} cannot be applied`, FailureType.DecisionClosed);
      }
      const payment = await findPaymentById(db, decision.paymentId);
      if (!payment)
        throw ApplicationFailure.nonRetryable(
          `payment ${decision.paymentId} does not exist`,
          FailureType.UnknownPayment,
        );
      const capture = captureToSettle(payment.providerPaymentId, await capturesOf(payment, undefined, payment.id));
      if (!capture) {
        throw ApplicationFailure.nonRetryable(
          `the provider reports no capture for ${payment.id}: nothing to accept`,
          FailureType.NothingCaptured,
        );
      }
      if (capture.currency !== payment.currency) {
        throw ApplicationFailure.nonRetryable(
          `the provider captured ${capture.currency}, the payment is in ${payment.currency}: refund it instead`,
          FailureType.CurrencyMismatch,
        );
      }
      return inTransaction(db, async (client) => {
        await lockPayment(client, payment.id);
        const refused = acceptRefusal(capture, await recordedReviewRefunds(client, capture.providerPaymentId));
        if (refused) throw ApplicationFailure.nonRetryable(refused, FailureType.AlreadyRefunded);
        const amounts = acceptedAmounts(payment.feeMinor ?? 0n, capture.amountMinor);
        const { payment: after } = await applyStatusChange(client, {
          paymentId: payment.id,
          seq: input.seq,
          status: 'paid',
          method: payment.method,
          providerPaymentId: capture.providerPaymentId,
          redirectUrl: payment.redirectUrl,
          failureReason: null,
          fees: amounts,
        });
        if (after.status !== 'paid') {
          throw ApplicationFailure.nonRetryable(
            `payment ${payment.id} is ${after.status} now`,
            FailureType.PaymentChanged,
          );
        }
        await postPaymentCaptured(client, after, providers);
        await storePaymentEvent(
          client,
          after.id,
          { id: input.eventId, type: 'payment.paid' },
          paymentResource(after, publicUrl),
        );
        await completeDecision(client, decision.id, {
          status: 'applied',
          failureReason: null,
          outcome: {
            captured: {
              providerPaymentId: capture.providerPaymentId,
              amountMinor: capture.amountMinor.toString(),
              currency: capture.currency,
              feeMinor: amounts.feeMinor.toString(),
              merchantNetMinor: amounts.merchantNetMinor.toString(),
            },
          },
        });
        return { eventId: input.eventId };
      });
    },

    /**
     * Gives back at the provider what it took and the ledger does not hold (per capture, under
     * its own key, so a retry never refunds twice). A refusal is an outcome; an unknown one is
     * thrown and retried.
     */
    async refundException(input: { decisionId: string }): Promise<DecisionRefund[]> {
      const decision = await pendingDecision(input.decisionId);
      if (decision.status !== 'pending') return decision.outcome?.refunds ?? [];
      const exception = await findException(db, decision.exceptionId);
      const payment = decision.paymentId ? await findPaymentById(db, decision.paymentId) : null;
      const captures = await capturesOf(payment, exception?.flags[0]?.provider, decision.paymentId);
      const refunds: DecisionRefund[] = [];
      for (const { capture, amountMinor } of capturesToRefund(decision.kind, payment, captures)) {
        const provider = providers.byName(capture.provider);
        const refundId = reviewRefundId(capture.providerPaymentId);
        const base = {
          refundId,
          providerPaymentId: capture.providerPaymentId,
          amountMinor: amountMinor.toString(),
          currency: capture.currency,
        };
        if (!provider?.refundPayment) {
          refunds.push({
            ...base,
            providerRefundId: null,
            state: 'failed',
            failureReason: `provider ${capture.provider} cannot refund`,
          });
          continue;
        }
        try {
          const answer = await provider.refundPayment({ idempotencyKey: refundId, ...base });
          // The same key asks again on the retry, until the provider's answer is final.
          if (answer.state === 'pending') throw ApplicationFailure.retryable(`refund ${refundId} is pending`);
          refunds.push({
            ...base,
            providerRefundId: answer.providerRefundId,
            state: answer.state,
            ...(answer.failureReason && { failureReason: answer.failureReason }),
          });
        } catch (error) {
          if (!(error instanceof ProviderError && error.kind === 'definite')) throw retryableProviderFailure(error);
          refunds.push({ ...base, providerRefundId: null, state: 'failed', failureReason: error.code });
        }
      }
      return refunds;
    },

    /**
     * Records what the provider did with a refund decision: applied when every capture went back
     * (a payment held for review then turns `refunded`, write `seq`, and `payment.refunded` is
     * stored under `eventId`; a late success keeps its status: the merchant never had the money),
     * failed otherwise. The ledger is not touched: it never held this money.
     */
    async recordExceptionRefund(input: {
      decisionId: string;
      refunds: DecisionRefund[];
      seq: number;
      eventId: string;
    }): Promise<{ eventId: string | null }> {
      const decision = await pendingDecision(input.decisionId);
      if (decision.status !== 'pending')
        return { eventId: (await findEvent(db, input.eventId)) ? input.eventId : null };
      const failed = input.refunds.filter((refund) => refund.state === 'failed');
      return inTransaction(db, async (client) => {
        // Under the payment's lock, like an accept that reads the refunds recorded here.
        if (decision.paymentId) await lockPayment(client, decision.paymentId);
        if (input.refunds.length === 0 || failed.length > 0) {
          const refusals = failed
            .map((refund) => `${refund.providerPaymentId} ${refund.failureReason ?? 'refused'}`)
            .join(', ');
          await completeDecision(client, decision.id, {
            status: 'failed',
            outcome: { refunds: input.refunds },
            failureReason:
              input.refunds.length === 0
                ? 'the provider reports nothing captured that the ledger does not hold: nothing to refund'
                : `the provider refused: ${refusals}`,
          });
          return { eventId: null };
        }
        let eventId: string | null = null;
        if (decision.kind === 'under_review' && decision.paymentId) {
          const payment = await findPaymentById(client, decision.paymentId);
          if (payment?.status === 'under_review') {
            const { payment: after, applied } = await applyStatusChange(client, {
              paymentId: payment.id,
              seq: input.seq,
              status: 'refunded',
              method: payment.method,
              providerPaymentId: payment.providerPaymentId,
              redirectUrl: payment.redirectUrl,
              failureReason: payment.failureReason,
              fees: null,
            });
            if (applied) {
              await storePaymentEvent(
                client,
                after.id,
                { id: input.eventId, type: 'payment.refunded' },
                paymentResource(after, publicUrl),
              );
              eventId = input.eventId;
            }
          }
        }
        await completeDecision(client, decision.id, {
          status: 'applied',
          outcome: { refunds: input.refunds },
          failureReason: null,
        });
        return { eventId };
      });
    },

    /** A flagged callback accepted as it is: recorded, nothing moves. */
    async acknowledgeException(input: { decisionId: string }): Promise<void> {
      await pendingDecision(input.decisionId);
      await completeDecision(db, input.decisionId, {
        status: 'applied',
        outcome: { acknowledged: true },
        failureReason: null,
      });
    },

    /** Where a decision stands once carried out. */
    async decisionStatus(input: {
      decisionId: string;
    }): Promise<{ status: 'applied' | 'failed'; failureReason: string | null }> {
      const decision = await pendingDecision(input.decisionId);
      return { status: decision.status === 'failed' ? 'failed' : 'applied', failureReason: decision.failureReason };
    },

    /** A decision that could not be carried out: recorded with why, so the operator may decide again. */
    async failDecision(input: { decisionId: string; reason: string }): Promise<void> {
      await completeDecision(db, input.decisionId, { status: 'failed', outcome: null, failureReason: input.reason });
    },
  };
}
