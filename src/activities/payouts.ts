import { ApplicationFailure } from '@temporalio/common';
import type { Pool } from 'pg';
import { eventExists, insertPayoutEvent } from '../db/events';
import { post } from '../db/ledger';
import { inTransaction } from '../db/transaction';
import { completePayout, findPayoutById } from '../db/payouts';
import { payoutReleased, payoutSettled } from '../domain/ledger';
import { payoutConnectorId } from '../db/connectors';
import type { ConnectorHandle, ProviderRegistry } from '../providers/registry';
import { ProviderError, type ProviderPayout } from '../providers/types';
import { waitWhileConnectorPaused } from './connectors';
import { retryableProviderFailure } from './provider-failures';
import { FailureType } from '../domain/failure-types';
import { webhookBody } from '../resources/event';
import { payoutResource } from '../resources/payout';
import { type Payout, payoutMoney } from '../domain/payout';

export interface PayoutActivityDeps {
  db: Pool;
  providers: ProviderRegistry;
}

/** What the provider said about a payout: paid, refused, or not yet (`pending`). */
export type PayoutOutcome =
  | { state: 'paid'; providerPayoutId: string; feeMinor: string }
  | { state: 'failed'; providerPayoutId: string | null; failureReason: string }
  | { state: 'pending'; providerPayoutId: string | null };

/** A final outcome: what the ledger records. */
export type FinalPayoutOutcome = Exclude<PayoutOutcome, { state: 'pending' }>;

const destinationLabel = (payout: Payout) =>
  payout.destination.type === 'card'
    ? `card •••• ${payout.destination.last4}`
    : `wallet ${payout.destination.walletId}`;

/** Activities of `payoutWorkflow`. */
export function createPayoutActivities({ db, providers }: PayoutActivityDeps) {
  /**
   * The connector a payout goes through: the one recorded with it, else (a payout made before
   * connectors) its provider's first connector in its mode.
   */
  const connectorOf = async (payout: Payout): Promise<ConnectorHandle | undefined> => {
    const id = await payoutConnectorId(db, payout.id);
    if (id) return providers.connector(id);
    const mode = payout.testMode ? 'test' : 'live';
    return providers.byProvider(payout.provider).find((handle) => handle.connector.mode === mode);
  };

  const existingPayout = async (payoutId: string) => {
    const payout = await findPayoutById(db, payoutId);
    if (!payout) throw ApplicationFailure.nonRetryable(`payout ${payoutId} does not exist`, FailureType.UnknownPayout);
    return payout;
  };

  /** The provider's answer as an outcome; an answer for other money is never recorded. */
  const outcomeOf = (payout: Payout, answer: ProviderPayout): PayoutOutcome => {
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
    return answer.state === 'pending'
      ? { state: 'pending', providerPayoutId: answer.providerPayoutId || null }
      : { state: 'paid', providerPayoutId: answer.providerPayoutId, feeMinor: answer.feeMinor };
  };

  return {
    /**
     * Asks the payout's connector to pay out, under the payout's id as idempotency key (the same
     * across retries and resets, so never twice). A refusal is an outcome, and so is `pending`
     * (settled later by a callback or {@link checkPayoutAtProvider}); an unknown outcome throws and
     * is retried under the same key, never released while the money may have left. A paused
     * connector makes it wait.
     */
    async payOutAtProvider(input: { payoutId: string }): Promise<PayoutOutcome> {
      const payout = await existingPayout(input.payoutId);
      const handle = await connectorOf(payout);
      if (!handle?.client.createPayout)
        return { state: 'failed', providerPayoutId: null, failureReason: `provider ${payout.provider} cannot pay out` };
      await waitWhileConnectorPaused(providers, handle.connector.id);
      try {
        const answer = await handle.client.createPayout({
          idempotencyKey: payout.id,
          payoutId: payout.id,
          amountMinor: payout.amountMinor.toString(),
          currency: payout.currency,
          destination:
            payout.destination.type === 'card' ? { type: 'card', token: payout.destination.token } : payout.destination,
        });
        return outcomeOf(payout, answer);
      } catch (error) {
        if (error instanceof ProviderError && error.kind === 'definite')
          return { state: 'failed', providerPayoutId: null, failureReason: error.code };
        throw retryableProviderFailure(error);
      }
    },

    /**
     * Where a pending payout stands: the connector's payout status when it has one, else what its
     * callback said (`answer`), else still pending.
     */
    async checkPayoutAtProvider(input: {
      payoutId: string;
      providerPayoutId: string | null;
      answer?: ProviderPayout;
    }): Promise<PayoutOutcome> {
      const payout = await existingPayout(input.payoutId);
      const handle = await connectorOf(payout);
      if (handle?.client.getPayoutStatus) {
        await waitWhileConnectorPaused(providers, handle.connector.id);
        try {
          const answer = await handle.client.getPayoutStatus({
            payoutId: payout.id,
            providerPayoutId: input.providerPayoutId,
          });
          if (answer) return outcomeOf(payout, answer);
        } catch (error) {
          throw retryableProviderFailure(error);
        }
      }
      return input.answer
        ? outcomeOf(payout, input.answer)
        : { state: 'pending', providerPayoutId: input.providerPayoutId };
    },

    /**
     * Applies the outcome in one database transaction: the payout's status and fee, the ledger
     * (paid: the reserve leaves through clearing, the bank's fee apart; failed: the reserve goes
     * back to available), and `payout.paid` / `payout.failed` for the checkout that gets payout
     * webhooks (its id fixed by the workflow). Once only.
     */
    async recordPayoutOutcome(input: {
      payoutId: string;
      outcome: FinalPayoutOutcome;
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
