import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { type PaymentStatus, splitFee } from '../domain/payment';
import type { ProviderCallback } from '../providers/types';
import {
  cancelUpdate,
  providerCallbackSignal,
  type PurchaseInput,
  type PurchaseState,
  searchAttributes,
  selectMethodUpdate,
  statusQuery,
} from './shared';

type Activities = ReturnType<typeof createActivities>;

/** Creating a provider payment: a few quick tries while the buyer waits, same key every time. */
const providerCreate = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumAttempts: 5 },
});

/** Asking a provider what happened: until it answers; an unknown outcome is never charged again. */
const providerCheck = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

const database = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
});

/** Webhooks: first retry after 5 s, then backing off to hourly, for at least 3 days. */
const merchantNotify = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '4 days',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 3, maximumInterval: '1 hour' },
});

const finalEventTypes: Partial<Record<PaymentStatus, string>> = {
  paid: 'payment.paid',
  failed: 'payment.failed',
  expired: 'payment.expired',
  canceled: 'payment.canceled',
  under_review: 'payment.under_review',
};

/**
 * One purchase, from method choice to merchant notification. Steps: select method → provider
 * payment → confirmation (callback or status check) → merchant notification.
 */
export async function purchaseWorkflow(input: PurchaseInput): Promise<PurchaseState> {
  const state: PurchaseState = {
    status: 'awaiting_method',
    method: null,
    attempt: 0,
    providerPaymentId: null,
    redirectUrl: null,
    failureReason: null,
  };
  const seenEvents = new Set<string>();
  const callbacks: ProviderCallback[] = [];
  const pendingEvents: string[] = [];
  const split = splitFee(BigInt(input.amountMinor), input.feePayer, BigInt(input.feeBasisPoints));
  const buyerTotalMinor = split.buyerTotalMinor.toString();
  const fees = {
    feeMinor: split.feeMinor.toString(),
    buyerTotalMinor,
    merchantNetMinor: split.merchantNetMinor.toString(),
  };
  let statusSeq = 0;
  let declines = 0;
  let methodChange: Promise<unknown> = Promise.resolve();
  const isOpen = () => state.status === 'awaiting_method' || state.status === 'awaiting_payment';

  const record = async (status: PaymentStatus, reason: string | null = null) => {
    state.status = status;
    state.failureReason = reason;
    statusSeq += 1;
    const eventType = finalEventTypes[status];
    await database.recordPaymentStatus({
      paymentId: input.paymentId,
      seq: statusSeq,
      status,
      method: state.method,
      providerPaymentId: state.providerPaymentId,
      redirectUrl: state.redirectUrl,
      failureReason: reason,
      fees: state.method ? fees : null,
      event: eventType ? { id: `evt_${uuid4().replace(/-/g, '')}`, type: eventType } : null,
    }).then((result) => {
      upsertSearchAttributes([
        { key: searchAttributes.paymentStatus, value: status },
        ...(state.method ? [{ key: searchAttributes.paymentMethod, value: state.method }] : []),
      ]);
      if (result.eventId) pendingEvents.push(result.eventId);
    });
  };

  // 1. select method: the update starts the provider payment and answers with its page
  const startProviderPayment = async (method: string): Promise<string> => {
    if (state.status === 'awaiting_payment' && state.method === method && state.redirectUrl) return state.redirectUrl;
    state.attempt += 1;
    state.method = method;
    state.status = 'awaiting_payment';
    let created: { providerPaymentId: string; redirectUrl: string };
    try {
      // 2. provider payment
      created = await providerCreate.createProviderPayment({
        paymentId: input.paymentId,
        attempt: state.attempt,
        method,
        amountMinor: buyerTotalMinor,
        currency: input.currency,
        description: input.description,
      });
    } catch {
      if (isOpen()) await record('awaiting_method', 'provider_unavailable');
      throw ApplicationFailure.nonRetryable(`${method} is unavailable now: choose another method`, 'MethodUnavailable');
    }
    if (!isOpen()) throw ApplicationFailure.nonRetryable(`payment is ${state.status}`, 'PaymentClosed');
    state.providerPaymentId = created.providerPaymentId;
    state.redirectUrl = created.redirectUrl;
    await record('awaiting_payment');
    return created.redirectUrl;
  };

  setHandler(statusQuery, () => ({ ...state }));
  setHandler(
    selectMethodUpdate,
    async ({ method }) => {
      const previous = methodChange;
      const current = previous.then(() => startProviderPayment(method));
      methodChange = current.catch(() => undefined);
      return { redirectUrl: await current };
    },
    {
      validator: ({ method }) => {
        if (!isOpen()) throw new Error(`payment is ${state.status}`);
        if (!input.methods.includes(method)) throw new Error(`method ${method} is not offered for this payment`);
        if (state.status === 'awaiting_payment' && state.method !== method) {
          throw new Error(`payment is awaiting ${state.method} at the provider`);
        }
      },
    },
  );
  setHandler(
    cancelUpdate,
    async () => {
      await record('canceled');
      return { ...state };
    },
    { validator: () => { if (!isOpen()) throw new Error(`payment is ${state.status}`); } },
  );
  setHandler(providerCallbackSignal, (callback) => {
    if (seenEvents.has(callback.eventId)) return;
    seenEvents.add(callback.eventId);
    callbacks.push(callback);
  });

  upsertSearchAttributes([{ key: searchAttributes.paymentStatus, value: state.status }]);
  if (input.method) await startProviderPayment(input.method).catch(() => undefined);

  // 3. confirmation: a callback, or the provider's answer when we ask; until expiry
  const expiresAt = Date.parse(input.expiresAt);
  let pollIndex = 0;
  let lastPollAt = Date.now();
  while (isOpen()) {
    const untilExpiry = Math.max(0, expiresAt - Date.now());
    const pollDelay = (input.statusPollSeconds[Math.min(pollIndex, input.statusPollSeconds.length - 1)] ?? 60) * 1000;
    const untilPoll = state.status === 'awaiting_payment' ? Math.max(0, lastPollAt + pollDelay - Date.now()) : Infinity;
    const attemptBefore = state.attempt;
    const woke = await condition(
      () => !isOpen() || callbacks.length > 0 || state.attempt !== attemptBefore,
      Math.max(1, Math.min(untilExpiry, untilPoll)),
    );
    if (!isOpen()) break;
    if (state.attempt !== attemptBefore) {
      pollIndex = 0;
      lastPollAt = Date.now();
    }
    while (callbacks.length > 0 && isOpen()) await confirm(callbacks.shift()!);
    if (woke || !isOpen()) continue;

    const expired = Date.now() >= expiresAt;
    if (state.status === 'awaiting_payment') {
      const status = await providerCheck.checkProviderPayment({ paymentId: input.paymentId, attempt: state.attempt, method: state.method! });
      pollIndex += 1;
      lastPollAt = Date.now();
      if (status && status.state !== 'pending') {
        await confirm({ ...status, eventId: `poll-${state.attempt}-${pollIndex}`, paymentId: input.paymentId, occurredAt: new Date().toISOString() });
        continue;
      }
    }
    if (expired && isOpen()) await record(declines > 0 ? 'failed' : 'expired', declines > 0 ? 'declined' : 'expired');
  }

  async function confirm(callback: ProviderCallback) {
    if (callback.state === 'pending') return;
    if (callback.state === 'declined') {
      if (callback.providerPaymentId !== state.providerPaymentId || state.status !== 'awaiting_payment') return;
      declines += 1;
      state.providerPaymentId = null;
      state.redirectUrl = null;
      await record('awaiting_method', callback.declineReason ?? 'declined');
      return;
    }
    const matches = callback.amountMinor === buyerTotalMinor && callback.currency === input.currency;
    await record(matches ? 'paid' : 'under_review', matches ? null : 'amount_mismatch');
  }

  // 4. merchant notification, retried for days; the buyer's redirect never waits for it
  try {
    await condition(allHandlersFinished);
    await Promise.all(pendingEvents.map((eventId) => merchantNotify.notifyMerchant({ eventId })));
  } catch (error) {
    if (isCancellation(error)) throw error;
    // Retries are exhausted after days; the attempts stay visible to the merchant and operators.
  }
  return { ...state };
}
