import { ApplicationFailure } from '@temporalio/common';
import type { Pool } from 'pg';
import { eventExists, insertPayoutEvent } from '../db/events';
import { post } from '../db/ledger';
import { inTransaction } from '../db/transaction';
import { completePayout, findPayoutById } from '../db/payouts';
import { payoutReleased, payoutSettled } from '../domain/ledger';
import type { ProviderRegistry } from '../providers/registry';
import { ProviderError } from '../providers/types';
import { FailureType } from '../domain/failure-types';
import { webhookBody } from '../resources/event';
import { payoutResource } from '../resources/payout';
import { type Payout, payoutMoney } from '../domain/payout';

export interface PayoutActivityDeps {
  db: Pool;
  providers: ProviderRegistry;
}

/** What the provider said about a payout. */
export type PayoutOutcome =
  | { state: 'paid'; providerPayoutId: string; feeMinor: string }
  | { state: 'failed'; providerPayoutId: string | null; failureReason: string };

const destinationLabel = (payout: Payout) =>
  payout.destination.type === 'card'
    ? `card •••• ${payout.destination.last4}`
    : `wallet ${payout.destination.walletId}`;

/** Activities of `payoutWorkflow`. */
export function createPayoutActivities({ db, providers }: PayoutActivityDeps) {
  return {
    /**
     * Asks the provider to pay out, under the payout's id as idempotency key (the same across
     * retries and resets, so never twice). A refusal is an outcome; an unknown outcome throws and
     * is retried under the same key, never released while the money may have left.
     */
    async payOutAtProvider(input: { payoutId: string }): Promise<PayoutOutcome> {
      const payout = await findPayoutById(db, input.payoutId);
      if (!payout)
        throw ApplicationFailure.nonRetryable(`payout ${input.payoutId} does not exist`, FailureType.UnknownPayout);
      const provider = providers.byName(payout.provider);
      if (!provider?.createPayout)
        return { state: 'failed', providerPayoutId: null, failureReason: `provider ${payout.provider} cannot pay out` };
      try {
        const answer = await provider.createPayout({
          idempotencyKey: payout.id,
          payoutId: payout.id,
          amountMinor: payout.amountMinor.toString(),
          currency: payout.currency,
          destination:
            payout.destination.type === 'card' ? { type: 'card', token: payout.destination.token } : payout.destination,
        });
        if (answer.state === 'failed') {
          return {
            state: 'failed',
            providerPayoutId: answer.providerPayoutId,
            failureReason: answer.failureReason ?? 'refused by the provider',
          };
        }
        const fee = BigInt(answer.feeMinor);
        if (
          answer.amountMinor !== payout.amountMinor.toString() ||
          answer.currency !== payout.currency ||
          fee > payout.amountMinor
        ) {
          throw ApplicationFailure.nonRetryable(
            `provider paid out ${answer.amountMinor} ${answer.currency} (fee ${answer.feeMinor}) for ${payout.amountMinor} ${payout.currency}`,
            FailureType.PayoutAmountMismatch,
          );
        }
        return { state: 'paid', providerPayoutId: answer.providerPayoutId, feeMinor: answer.feeMinor };
      } catch (error) {
        if (error instanceof ProviderError && error.kind === 'definite')
          return { state: 'failed', providerPayoutId: null, failureReason: error.code };
        throw error;
      }
    },

    /**
     * Applies the outcome in one database transaction: the payout's status and fee, the ledger
     * (paid: the reserve leaves through clearing, the bank's fee apart; failed: the reserve goes
     * back to available), and `payout.paid` / `payout.failed` for the checkout that gets payout
     * webhooks (its id fixed by the workflow). Once only.
     */
    async recordPayoutOutcome(input: {
      payoutId: string;
      outcome: PayoutOutcome;
      eventId: string;
    }): Promise<{ eventId: string | null }> {
      return inTransaction(db, async (client) => {
        const { outcome } = input;
        const payout = await completePayout(
          client,
          input.payoutId,
          outcome.state === 'paid'
            ? { status: 'paid', providerPayoutId: outcome.providerPayoutId, feeMinor: BigInt(outcome.feeMinor) }
            : { status: 'failed', providerPayoutId: outcome.providerPayoutId, failureReason: outcome.failureReason },
        );
        if (!payout) return { eventId: (await eventExists(client, input.eventId)) ? input.eventId : null };
        const posting =
          payout.status === 'paid'
            ? payoutSettled({
                ...payoutMoney(payout),
                feeMinor: payout.feeMinor!,
                destination: destinationLabel(payout),
              })
            : payoutReleased(payoutMoney(payout));
        if (posting) await post(client, posting);
        if (!payout.checkoutId) return { eventId: null };
        const event = {
          id: input.eventId,
          type: payout.status === 'paid' ? 'payout.paid' : 'payout.failed',
          createdAt: new Date(),
        } as const;
        await insertPayoutEvent(client, {
          ...event,
          payoutId: payout.id,
          checkoutId: payout.checkoutId,
          body: webhookBody(event, payoutResource(payout)),
        });
        return { eventId: input.eventId };
      });
    },
  };
}
