import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities, RecordPaymentStatusInput } from '../activities';
import * as profiles from './activity-profiles';
import { formatAmount } from '../domain/money';
import { type PaymentStatus, splitFee } from '../domain/payment';
import type { ProviderCallback, ProviderPaymentStatus } from '../providers/types';
import { notifyChannels } from './notifications';
import {
  cancelUpdate,
  defaultPurchaseHistoryLimit,
  lateCallbackFlag,
  type ProviderAttempt,
  providerCallbackSignal,
  type PurchaseCarry,
  type PurchaseInput,
  recheckProviderSignal,
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

/** Asking a provider what happened: a few tries per check; the workflow asks again on its poll schedule. */
const providerCheck = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 3 },
});

const database = proxyLocalActivities<Activities>(profiles.databaseWrite);

const merchantNotify = proxyActivities<Activities>(profiles.merchantNotify);

const finalEventTypes: Partial<Record<PaymentStatus, string>> = {
  paid: 'payment.paid',
  failed: 'payment.failed',
  expired: 'payment.expired',
  canceled: 'payment.canceled',
  under_review: 'payment.under_review',
};

/** The provider's answer about one attempt; `known: false` when it could not be asked. */
type ProviderAnswer = { known: true; status: ProviderPaymentStatus | null } | { known: false };

/** A failure the provider itself gave (it said no): nothing was created under the key. */
const isDefinite = (error: unknown) =>
  error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.nonRetryable;

/** The merchant event to send is not in the database: the write that stored it was lost. */
const isLostEvent = (error: unknown) =>
  error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.type === 'UnknownEvent';

/** A wait in words for step summaries: `45 s`, `30 min`, `5 h`, `3 d`. */
function inWords(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 36 * 3600) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

/**
 * One purchase, from method choice to merchant notification. Steps: select method → provider
 * payment → confirmation (callback or status check) → merchant notification, flagging callbacks
 * that contradict the outcome meanwhile.
 */
export async function purchaseWorkflow(input: PurchaseInput): Promise<PurchaseState> {
  // Runs recorded before these changes replay without them.
  /** Status writes ordered by workflow time (they land after a reset), merchant events identified by payment and status. */
  const clockSeq = patched('status-seq-from-clock');
  /** A success counts only for a provider payment Kassa made for this payment. */
  const ownPaymentsOnly = patched('callback-own-provider-payment');
  const mayContinueAsNew = patched('continue-as-new');
  const carried = input.carried;
  const state: PurchaseState = carried
    ? { ...carried.state }
    : {
        status: 'awaiting_method',
        method: null,
        attempt: 0,
        providerPaymentId: null,
        redirectUrl: null,
        failureReason: null,
      };
  const seenEvents = new Set<string>(carried?.seenEventIds ?? []);
  const callbacks: ProviderCallback[] = [...(carried?.callbacks ?? [])];
  /** Every provider payment this payment asked for, by attempt: a success must name one of them. */
  const providerAttempts = new Map<number, ProviderAttempt>(
    (carried?.providerAttempts ?? []).map((entry) => [entry.attempt, { ...entry }]),
  );
  /**
   * Successes naming a provider payment whose owner the provider could not be asked about: asked
   * again after a poll delay and before expiry; flagged only if still unverified when the payment closes.
   */
  const deferred: ProviderCallback[] = [...(carried?.deferredCallbacks ?? [])];
  let deferredTries = carried?.deferredTries ?? 0;
  let retryDeferredAt = carried?.retryDeferredAt ?? null;
  const pendingEvents: string[] = [];
  /** The status write that raised each pending event, to be made again if the database lost it. */
  const eventWrites = new Map<string, RecordPaymentStatusInput>();
  const eventTypes = new Map<string, string>();
  const money = (minor: string) => `${formatAmount(BigInt(minor), input.currency)} ${input.currency}`;
  const split = splitFee(BigInt(input.amountMinor), input.feePayer, BigInt(input.feeBasisPoints));
  const legacyFees = {
    feeMinor: split.feeMinor.toString(),
    buyerTotalMinor: split.buyerTotalMinor.toString(),
    merchantNetMinor: split.merchantNetMinor.toString(),
  };
  /** The chosen method's price: its quote from creation, or the checkout-wide split for older payments. */
  const feesFor = (method: string | null) => {
    const quote = input.quotes?.find((candidate) => candidate.method === method);
    if (!quote) return legacyFees;
    return {
      feeMinor: quote.feeMinor,
      buyerTotalMinor: quote.buyerTotalMinor,
      merchantNetMinor: quote.merchantNetMinor,
    };
  };
  let statusSeq = carried?.statusSeq ?? 0;
  let declines = carried?.declines ?? 0;
  /** Counts method choices, so the confirmation loop restarts its poll schedule on each. */
  let selections = 0;
  /** An attempt whose provider payment may or may not exist: its key is reused, never replaced blindly. */
  let unsettled: { attempt: number; method: string } | null = carried?.unsettled ?? null;
  let methodChange: Promise<unknown> = Promise.resolve();
  /** The method given at creation is being set up (not an update, so not among the handlers). */
  let choosingAtCreation = false;
  const isOpen = () => state.status === 'awaiting_method' || state.status === 'awaiting_payment';
  const pollDelayMs = (index: number) =>
    (input.statusPollSeconds[Math.min(index, input.statusPollSeconds.length - 1)] ?? 60) * 1000;
  const closed = () => ApplicationFailure.nonRetryable(`payment is ${state.status}`, 'PaymentClosed');

  /**
   * One payment reaches each outcome at most once per run; a run reset from it that reaches the same
   * outcome raises the same event, which the merchant has been sent already.
   */
  const eventIdFor = (status: PaymentStatus) =>
    `evt_${input.paymentId.replace(/^pay_/, '')}${status.replace(/[^0-9A-Za-z]/g, '')}`;

  const record = async (status: PaymentStatus, reason: string | null = null) => {
    state.status = status;
    state.failureReason = reason;
    // Workflow time in ms × 1000, plus one per write within the same ms: newer than any write before
    // it, in this run, a run it was reset from or continued from, or another workflow's earlier write.
    statusSeq = clockSeq ? Math.max(statusSeq + 1, Date.now() * 1000) : statusSeq + 1;
    upsertSearchAttributes([
      { key: searchAttributes.paymentStatus, value: status },
      ...(state.method ? [{ key: searchAttributes.paymentMethod, value: state.method }] : []),
    ]);
    const eventType = finalEventTypes[status];
    const write: RecordPaymentStatusInput = {
      paymentId: input.paymentId,
      seq: statusSeq,
      status,
      method: state.method,
      providerPaymentId: state.providerPaymentId,
      redirectUrl: state.redirectUrl,
      failureReason: reason,
      fees: state.method ? feesFor(state.method) : null,
      event: eventType
        ? { id: clockSeq ? eventIdFor(status) : `evt_${uuid4().replace(/-/g, '')}`, type: eventType }
        : null,
    };
    const { eventId } = await database.recordPaymentStatus(write);
    if (eventId) {
      eventWrites.set(eventId, write);
      pendingEvents.push(eventId);
      eventTypes.set(eventId, eventType!);
    }
  };

  const askProvider = async (attempt: number, method: string, why: string): Promise<ProviderAnswer> => {
    try {
      const status = await providerCheck.checkProviderPayment.executeWithOptions(
        { summary: `ask the provider about the ${method} payment, attempt ${attempt} (${why})` },
        [{ paymentId: input.paymentId, attempt, method }],
      );
      return { known: true, status };
    } catch (error) {
      if (isCancellation(error)) throw error;
      return { known: false };
    }
  };

  /**
   * Why a success naming `providerPaymentId` is not this payment's, or null when it is: a provider
   * payment made under one of this payment's keys (the current attempt or an earlier one). An attempt
   * whose create has not answered (yet) is asked about, never taken on trust.
   */
  const notOwnProviderPayment = async (providerPaymentId: string): Promise<string | null> => {
    const attempts = [...providerAttempts.values()];
    if (attempts.some((entry) => entry.providerPaymentId === providerPaymentId)) return null;
    let unverified = false;
    for (const entry of attempts.filter((candidate) => candidate.providerPaymentId === null)) {
      const answer = await askProvider(
        entry.attempt,
        entry.method,
        `whether callback for ${providerPaymentId} is this payment's`,
      );
      if (!answer.known) unverified = true;
      else if (answer.status) {
        entry.providerPaymentId = answer.status.providerPaymentId;
        if (entry.providerPaymentId === providerPaymentId) return null;
      }
    }
    return unverified ? 'unverified_provider_payment' : 'foreign_provider_payment';
  };

  /** Applies a provider's word on this payment; `asked`: the provider answered about one of this payment's own keys. */
  async function confirm(callback: ProviderCallback, asked = false) {
    if (!isOpen() || callback.state === 'pending') return;
    if (callback.state === 'declined') {
      if (callback.providerPaymentId !== state.providerPaymentId || state.status !== 'awaiting_payment') return;
      declines += 1;
      state.providerPaymentId = null;
      state.redirectUrl = null;
      await record('awaiting_method', callback.declineReason ?? 'declined');
      return;
    }
    if (ownPaymentsOnly && !asked) {
      const refused = await notOwnProviderPayment(callback.providerPaymentId);
      // Not knowing is not a refusal: the provider is asked again, and the success may yet be this payment's.
      if (refused === 'unverified_provider_payment' && patched('retry-unverified-callbacks')) {
        defer(callback);
        return;
      }
      if (refused) {
        await database.flagCallbacks({
          paymentId: input.paymentId,
          flags: [{ eventId: callback.eventId, flag: refused }],
        });
        return;
      }
      if (!isOpen()) {
        callbacks.push(callback);
        return;
      }
      // A late success of an earlier attempt: that attempt's method and price are what the buyer paid.
      const paidAttempt = [...providerAttempts.values()].find(
        (entry) => entry.providerPaymentId === callback.providerPaymentId,
      );
      if (paidAttempt && paidAttempt.attempt !== state.attempt) {
        state.attempt = paidAttempt.attempt;
        state.method = paidAttempt.method;
      }
    }
    state.providerPaymentId = callback.providerPaymentId;
    if (callback.amountMinor === feesFor(state.method).buyerTotalMinor && callback.currency === input.currency)
      await record('paid');
    else await record('under_review', callback.currency === input.currency ? 'amount_mismatch' : 'currency_mismatch');
  }

  /** Keeps a success whose owner is unknown for the next try: after the poll delay for its try count. */
  function defer(callback: ProviderCallback) {
    deferred.push(callback);
    retryDeferredAt ??= Date.now() + pollDelayMs(deferredTries);
  }

  /** Asks again about the deferred successes; those still unknown are deferred once more, later. */
  const retryDeferred = async () => {
    const again = deferred.splice(0);
    deferredTries += 1;
    retryDeferredAt = null;
    while (again.length > 0 && isOpen()) await confirm(again.shift()!);
    deferred.push(...again);
    if (deferred.length === 0) deferredTries = 0;
  };

  /** The attempt number (provider key) for a new provider payment with `method`. */
  const attemptFor = async (method: string): Promise<number> => {
    if (!unsettled) return state.attempt + 1;
    if (unsettled.method === method) return unsettled.attempt;
    const previous = unsettled;
    const answer = await askProvider(previous.attempt, previous.method, `before trying ${method}`);
    const asked = providerAttempts.get(previous.attempt);
    if (answer.known && answer.status && asked) asked.providerPaymentId = answer.status.providerPaymentId;
    if (answer.known && answer.status?.state === 'succeeded') {
      const eventId = `check-${previous.attempt}`;
      await confirm(
        { ...answer.status, eventId, paymentId: input.paymentId, occurredAt: new Date().toISOString() },
        true,
      );
      throw closed();
    }
    if (!answer.known || answer.status?.state === 'pending') {
      throw ApplicationFailure.nonRetryable(
        `the last ${previous.method} attempt is not settled yet: choose ${previous.method} again or try later`,
        'AttemptUnsettled',
      );
    }
    unsettled = null;
    return answer.status ? previous.attempt + 1 : previous.attempt;
  };

  // 1. select method: one provider payment at a time; the same method again gets the same page
  const startProviderPayment = async (method: string): Promise<string> => {
    if (state.status === 'awaiting_payment') {
      if (state.method === method && state.redirectUrl) return state.redirectUrl;
      throw ApplicationFailure.nonRetryable(`payment is awaiting ${state.method} at the provider`, 'MethodLocked');
    }
    if (!isOpen()) throw closed();
    const attempt = await attemptFor(method);
    if (state.status !== 'awaiting_method') throw closed();
    state.attempt = attempt;
    state.method = method;
    state.status = 'awaiting_payment';
    selections += 1;
    const providerAttempt: ProviderAttempt = providerAttempts.get(attempt) ?? {
      attempt,
      method,
      providerPaymentId: null,
    };
    providerAttempt.method = method;
    providerAttempts.set(attempt, providerAttempt);
    let created: { providerPaymentId: string; redirectUrl: string };
    try {
      // 2. provider payment
      const summary = `create ${method} payment at the provider: ${money(feesFor(method).buyerTotalMinor)}, attempt ${attempt}`;
      created = await providerCreate.createProviderPayment.executeWithOptions({ summary }, [
        {
          paymentId: input.paymentId,
          attempt,
          method,
          amountMinor: feesFor(method).buyerTotalMinor,
          currency: input.currency,
          description: input.description,
        },
      ]);
      unsettled = null;
      providerAttempt.providerPaymentId = created.providerPaymentId;
    } catch (error) {
      if (isCancellation(error)) throw error;
      unsettled = isDefinite(error) ? null : { attempt, method };
      if (isDefinite(error) && providerAttempt.providerPaymentId === null) providerAttempts.delete(attempt);
      if (isOpen()) await record('awaiting_method', isDefinite(error) ? 'provider_rejected' : 'provider_unavailable');
      throw ApplicationFailure.nonRetryable(`${method} is unavailable now: choose another method`, 'MethodUnavailable');
    }
    if (!isOpen()) throw closed();
    state.providerPaymentId = created.providerPaymentId;
    state.redirectUrl = created.redirectUrl;
    await record('awaiting_payment');
    return created.redirectUrl;
  };

  /** Method choices run one after another, in the order they arrive. */
  const chooseMethod = (method: string): Promise<string> => {
    const chosen = methodChange.then(() => startProviderPayment(method));
    methodChange = chosen.catch(() => undefined);
    return chosen;
  };

  setHandler(statusQuery, () => ({ ...state }));
  setHandler(selectMethodUpdate, async ({ method }) => ({ redirectUrl: await chooseMethod(method) }), {
    validator: ({ method }) => {
      if (!isOpen()) throw new Error(`payment is ${state.status}`);
      if (!input.methods.includes(method)) throw new Error(`method ${method} is not offered for this payment`);
      if (state.status === 'awaiting_payment' && state.method !== method) {
        throw new Error(`payment is awaiting ${state.method} at the provider`);
      }
    },
  });
  setHandler(
    cancelUpdate,
    async () => {
      await record('canceled');
      return { ...state };
    },
    {
      validator: () => {
        if (!isOpen()) throw new Error(`payment is ${state.status}`);
      },
    },
  );
  let recheckRequested = carried?.recheckRequested ?? false;
  setHandler(recheckProviderSignal, () => {
    recheckRequested = true;
  });
  setHandler(providerCallbackSignal, (callback) => {
    if (seenEvents.has(callback.eventId)) return;
    seenEvents.add(callback.eventId);
    callbacks.push(callback);
  });

  upsertSearchAttributes([{ key: searchAttributes.paymentStatus, value: state.status }]);
  if (input.method && !carried) {
    choosingAtCreation = true;
    void chooseMethod(input.method)
      .catch(() => undefined)
      .then(() => {
        choosingAtCreation = false;
      });
  }

  // 3. confirmation: a callback, or the provider's answer when we ask; until expiry, and past it
  //    while the provider's answer is unknown
  const expiresAt = Date.parse(input.expiresAt);
  const atProvider = () => state.status === 'awaiting_payment' && state.providerPaymentId !== null;
  /** What the workflow waits for until `wakeAt`: a timer summary for the history and markdown for the UI's current details. */
  const waitingFor = (wakeAt: number) => {
    const wait = inWords(wakeAt - Date.now());
    const expiry = new Date(expiresAt).toISOString();
    if (state.status === 'awaiting_method') {
      return {
        summary: `buyer chooses a method; expires in ${wait}`,
        details:
          '**awaiting_method**: waiting for the buyer to choose a method on the hosted page (selectMethod update). ' +
          `Expires at ${expiry}.`,
      };
    }
    if (!atProvider()) {
      return {
        summary: `provider creates the ${state.method} payment`,
        details: `**awaiting_payment**: creating the ${state.method} payment at the provider (attempt ${state.attempt}).`,
      };
    }
    const checking = wakeAt === nextPollAt;
    const then = checking ? `status check ${polls + 1} at ${new Date(wakeAt).toISOString()}` : `expiry at ${expiry}`;
    const next = checking ? `status check ${polls + 1} in ${wait}` : `expires in ${wait}`;
    return {
      summary: `provider callback, or ${next}`,
      details:
        `**awaiting_payment**: waiting for the provider's callback about ${state.method} payment ${state.providerPaymentId} ` +
        `(attempt ${state.attempt}). Next: ${then}` +
        `${Date.now() >= expiresAt ? ' (past expiry: the provider has not said how this attempt ended)' : ''}.`,
    };
  };
  const drainCallbacks = async () => {
    while (callbacks.length > 0 && isOpen()) await confirm(callbacks.shift()!);
  };
  let polls = carried?.polls ?? 0;
  let nextPollAt = carried?.nextPollAt ?? Infinity;
  /** The method choice (by count) the poll schedule belongs to; a run continued as new starts with its own. */
  let scheduledSelection = selections;
  /** A provider payment made since the poll schedule was set gets the schedule from its start. */
  const restartPollsForNewAttempt = () => {
    if (!atProvider() || scheduledSelection === selections) return;
    scheduledSelection = selections;
    polls = 0;
    nextPollAt = Date.now() + pollDelayMs(0);
  };
  const historyLimit = input.historyLimit ?? defaultPurchaseHistoryLimit;
  const historyTooLong = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= historyLimit;
  /** Hands everything this run decides by to the next run: same workflow id, messages go there. */
  const continueWithFreshHistory = async () => {
    if (!allHandlersFinished() || choosingAtCreation) {
      setCurrentDetails(`**${state.status}**: continuing as new once the method choice in progress finishes.`);
    }
    await condition(() => allHandlersFinished() && !choosingAtCreation);
    if (!isOpen()) return;
    // A method choice that finished meanwhile made a provider payment the carried schedule is not for.
    restartPollsForNewAttempt();
    const handover: PurchaseCarry = {
      state: { ...state },
      seenEventIds: [...seenEvents],
      callbacks: [...callbacks],
      declines,
      unsettled,
      providerAttempts: [...providerAttempts.values()].map((entry) => ({ ...entry })),
      polls,
      nextPollAt: Number.isFinite(nextPollAt) ? nextPollAt : null,
      recheckRequested,
      statusSeq,
      deferredCallbacks: [...deferred],
      deferredTries,
      retryDeferredAt,
    };
    await continueAsNew<typeof purchaseWorkflow>({ ...input, carried: handover });
  };
  while (isOpen()) {
    if (mayContinueAsNew && historyTooLong()) {
      await continueWithFreshHistory();
      continue;
    }
    restartPollsForNewAttempt();
    const selectionsBefore = selections;
    const atProviderBefore = atProvider();
    const wakeAt = atProviderBefore
      ? Date.now() < expiresAt
        ? Math.min(expiresAt, nextPollAt)
        : nextPollAt
      : expiresAt;
    const retryAt = deferred.length > 0 ? (retryDeferredAt ?? Date.now()) : Infinity;
    const waiting = waitingFor(wakeAt);
    const unverified = `${deferred.length} success(es) whose provider payment is unverified`;
    const summary =
      retryAt < wakeAt
        ? `ask again about ${unverified} in ${inWords(retryAt - Date.now())}; then ${waiting.summary}`
        : waiting.summary;
    const details =
      deferred.length > 0
        ? `${waiting.details} Asking again about ${unverified} at ${new Date(retryAt).toISOString()}.`
        : waiting.details;
    setCurrentDetails(details);
    const woke = await condition(
      () =>
        !isOpen() ||
        callbacks.length > 0 ||
        selections !== selectionsBefore ||
        atProvider() !== atProviderBefore ||
        recheckRequested,
      Math.max(1, Math.min(wakeAt, retryAt) - Date.now()),
      { summary },
    );
    restartPollsForNewAttempt();
    await drainCallbacks();
    const recheck = recheckRequested;
    recheckRequested = false;
    if ((woke && !recheck) || !isOpen()) continue;

    // Successes the provider could not be asked about: asked again when due, and always before expiry.
    if (deferred.length > 0 && (recheck || Date.now() >= retryAt || Date.now() >= expiresAt)) {
      const onlyForThem = !recheck && Date.now() < wakeAt;
      await retryDeferred();
      if (onlyForThem || !isOpen()) continue;
    }

    if (atProvider()) {
      const attempt = state.attempt;
      const answer = await askProvider(
        attempt,
        state.method!,
        recheck ? 'operator re-check' : `status check ${polls + 1}`,
      );
      polls += 1;
      nextPollAt = Date.now() + pollDelayMs(polls);
      await drainCallbacks();
      if (!isOpen() || state.attempt !== attempt || !answer.known) continue;
      if (answer.status && answer.status.state !== 'pending') {
        const eventId = `poll-${attempt}-${polls}`;
        await confirm(
          { ...answer.status, eventId, paymentId: input.paymentId, occurredAt: new Date().toISOString() },
          true,
        );
        continue;
      }
    }
    if (Date.now() >= expiresAt && isOpen())
      await record(declines > 0 ? 'failed' : 'expired', declines > 0 ? 'declined' : 'expired');
  }

  // Deferred successes at close: one naming a provider payment now known to be this payment's is a late
  // callback like any other; the rest are flagged, their owner never confirmed.
  const ownIds = new Set([...providerAttempts.values()].map((entry) => entry.providerPaymentId));
  callbacks.push(...deferred.filter((callback) => ownIds.has(callback.providerPaymentId)));
  const unverifiedAtClose = deferred.splice(0).filter((callback) => !ownIds.has(callback.providerPaymentId));
  if (unverifiedAtClose.length > 0) {
    const flags = unverifiedAtClose.map((callback) => ({
      eventId: callback.eventId,
      flag: 'unverified_provider_payment',
    }));
    await database.flagCallbacks({ paymentId: input.paymentId, flags });
  }

  // 4. merchant notification, retried for days, and beside it the checkout's other channels (e-mail,
  //    Telegram, SMS, the buyer's receipt), each on its own retry policy; the buyer's redirect never waits for them
  await condition(allHandlersFinished);
  if (pendingEvents.length > 0) {
    const events = pendingEvents.map((eventId) => `${eventTypes.get(eventId)} ${eventId}`).join(', ');
    setCurrentDetails(
      `**${state.status}**: notifying the merchant (${events}), ` +
        'retried with backoff for up to 4 days; the pending activity shows the attempt and the last failure.',
    );
  }
  let notifying = true;
  let canceled: unknown = null;
  let undelivered = false;
  const withChannels = patched('notification-channels');
  const repairsLostWrites = pendingEvents.length > 0 && patched('repair-lost-status-write');
  const sendEvent = (eventId: string) =>
    merchantNotify.notifyMerchant.executeWithOptions(
      { summary: `notify merchant: ${eventTypes.get(eventId)} ${eventId}` },
      [{ eventId }],
    );
  /** A status write the database acknowledged and then lost (a crash, a failover) is made again, once: it is idempotent. */
  const notify = async (eventId: string) => {
    try {
      return await sendEvent(eventId);
    } catch (error) {
      const write = eventWrites.get(eventId);
      if (!repairsLostWrites || !write || !isLostEvent(error)) throw error;
      await database.recordPaymentStatus(write);
      return await sendEvent(eventId);
    }
  };
  const webhooks = Promise.all(pendingEvents.map((eventId) => notify(eventId))).catch((error) => {
    if (isCancellation(error)) canceled = error;
    else undelivered = true;
    // Otherwise retries are exhausted after days; the attempts stay visible to the merchant and operators.
  });
  const channels = withChannels
    ? pendingEvents.map((eventId) =>
        notifyChannels(eventId).catch((error) => {
          if (isCancellation(error)) canceled = error;
        }),
      )
    : [];
  void Promise.all([webhooks, ...channels]).finally(() => {
    notifying = false;
  });

  // 5. late callbacks: they came after the outcome; those that say otherwise are flagged for review
  for (;;) {
    await condition(() => callbacks.length > 0 || !notifying);
    const flags = callbacks
      .splice(0)
      .map((callback) => ({ eventId: callback.eventId, flag: lateCallbackFlag(callback, state) }))
      .filter((entry): entry is { eventId: string; flag: string } => entry.flag !== null);
    if (flags.length > 0) await database.flagCallbacks({ paymentId: input.paymentId, flags });
    if (!notifying && callbacks.length === 0) break;
  }
  setCurrentDetails(
    undelivered
      ? `**${state.status}**: finished, but the merchant never accepted its webhook; the attempts are listed under the payment's events.`
      : `**${state.status}**: finished; the merchant has accepted its webhook.`,
  );
  if (canceled) throw canceled;
  return { ...state };
}
