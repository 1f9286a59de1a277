/**
 * One purchase's state and the operations on it: select method, cancel, confirm, attempt choice,
 * status record, provider check. The workflow's message handlers and its main loop call these;
 * what a callback means and when to wake are decided in `decisions.ts`.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  isCancellation,
  ParentClosePolicy,
  startChild,
  upsertSearchAttributes,
  uuid4,
} from '@temporalio/workflow';
import type { CreatedProviderPayment, RecordPaymentStatusInput } from '../../activities';
import { type AttemptStatus, type CreateFailure, createFailure, nextConnector } from '../../domain/attempt';
import { eventIdFromUuid, paymentStatusEventId } from '../../domain/event-ids';
import type { PurchaseEventType } from '../../domain/event-types';
import { FailureType } from '../../domain/failure-types';
import type { PaymentStatus } from '../../domain/payment';
import type { ProviderCallback, ProviderPaymentStatus } from '../../providers/types';
import {
  type ProviderAttempt,
  type PurchaseCarry,
  type PurchaseInput,
  type PurchaseState,
  searchAttributes,
  type SelectMethodResult,
} from '../shared';
import { database, providerCancel, providerCheck, providerCreate } from './activities';
import {
  attemptChoice,
  attemptNaming,
  callbackOutcome,
  deferredAtClose,
  feesFor,
  isOpenStatus,
  nextStatusSeq,
  isRepeatedCallback,
  pollDelayMs,
  type ProviderAnswer,
  successOutcome,
  unsettledVerdict,
} from './decisions';
import type { reviewDecisionWorkflow } from '../review';
import { reviewWorkflowId } from '../review-shared';
import type { RaisedEvent } from './notification-tail';
import type { PurchasePatches } from './patches';
import { askReason, askSummary, cancelSummary, createSummary } from './ui-text';

/** Outcomes after which a provider payment still waiting is canceled at its connector. */
const cancelableAfter: readonly PaymentStatus[] = ['expired', 'canceled', 'failed'];

/** The merchant event a payment raises on reaching each outcome. */
const outcomeEventTypes: Partial<Record<PaymentStatus, PurchaseEventType>> = {
  paid: 'payment.paid',
  failed: 'payment.failed',
  expired: 'payment.expired',
  canceled: 'payment.canceled',
  under_review: 'payment.under_review',
};

/** A failure the provider itself gave (it said no): nothing was created under the key. */
const isDefinite = (error: unknown) =>
  error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.nonRetryable;

/** The application failure an activity ended with, if that is what it ended with. */
const applicationFailure = (error: unknown) =>
  error instanceof ActivityFailure && error.cause instanceof ApplicationFailure
    ? { type: error.cause.type, nonRetryable: error.cause.nonRetryable === true }
    : null;

/** Why a connector activity failed, when it was because the connector is paused. */
const isPaused = (error: unknown) => applicationFailure(error)?.type === FailureType.ConnectorPaused;

/** One try at creating the provider payment: made, or failed as {@link createFailure} classes it. */
type CreateTry = { created: CreatedProviderPayment } | { failure: CreateFailure };

/** One run of a purchase: what it knows (carried over from the run before, if any) and what it can do. */
export class Purchase {
  readonly state: PurchaseState;
  readonly expiresAt: number;
  /** Callback event ids received, so repeats are dropped. */
  readonly seenEvents: Set<string>;
  /** Callbacks received and not yet applied. */
  readonly callbacks: ProviderCallback[];
  /** Every provider payment this payment asked for, by attempt: a success must name one of them. */
  readonly providerAttempts: Map<number, ProviderAttempt>;
  /**
   * Successes naming a provider payment whose owner the provider could not be asked about: asked
   * again after a poll delay and before expiry; flagged only if still unverified when the payment closes.
   */
  readonly deferred: ProviderCallback[];
  deferredTries: number;
  retryDeferredAt: number | null;
  statusSeq: number;
  declines: number;
  /** Counts method choices, so the confirmation loop restarts its poll schedule on each. */
  selections = 0;
  /** An attempt whose provider payment may or may not exist: its key is reused, never replaced blindly. */
  unsettled: { attempt: number; method: string } | null;
  recheckRequested: boolean;
  polls: number;
  nextPollAt: number;
  /** The method choice (by count) the poll schedule belongs to; a run continued as new starts with its own. */
  scheduledSelection = 0;
  /** The method given at creation is being set up (not an update, so not among the handlers). */
  choosingAtCreation = false;
  /** The paused connector the current attempt waits at: not asked until it resumes (or the payment closes). */
  parkedAt: string | null;
  /** The provider payment is being canceled after the payment closed: late callbacks are still watched for. */
  cancelingAtProvider = false;
  /** The current attempt's provider payment was made after the payment had closed: it is canceled all the same. */
  private madeAfterClose = false;
  /** Creates at the provider not answered yet. */
  private createsInFlight = 0;
  /** A late success was given back as the checkout asks (once per run). */
  private lateSuccessRefunded = false;
  /** Merchant events this run raised, in order: sent once the payment is decided. */
  readonly raisedEvents: string[] = [];
  /** Each raised event's type and the status write that stored it. */
  readonly raisedBy = new Map<string, RaisedEvent>();
  private methodChange: Promise<unknown> = Promise.resolve();

  constructor(
    readonly input: PurchaseInput,
    private readonly patches: PurchasePatches,
  ) {
    const carried = input.carried;
    this.state = carried
      ? { ...carried.state }
      : {
          status: 'awaiting_method',
          method: null,
          attempt: 0,
          providerPaymentId: null,
          redirectUrl: null,
          failureReason: null,
        };
    this.expiresAt = Date.parse(input.expiresAt);
    this.seenEvents = new Set(carried?.seenEventIds ?? []);
    this.callbacks = [...(carried?.callbacks ?? [])];
    this.providerAttempts = new Map((carried?.providerAttempts ?? []).map((entry) => [entry.attempt, { ...entry }]));
    this.deferred = [...(carried?.deferredCallbacks ?? [])];
    this.deferredTries = carried?.deferredTries ?? 0;
    this.retryDeferredAt = carried?.retryDeferredAt ?? null;
    this.statusSeq = carried?.statusSeq ?? 0;
    this.declines = carried?.declines ?? 0;
    this.unsettled = carried?.unsettled ?? null;
    this.recheckRequested = carried?.recheckRequested ?? false;
    this.polls = carried?.polls ?? 0;
    this.nextPollAt = carried?.nextPollAt ?? Infinity;
    this.parkedAt = carried?.parkedAt ?? null;
  }

  isOpen = () => isOpenStatus(this.state.status);

  atProvider = () => this.state.status === 'awaiting_payment' && this.state.providerPaymentId !== null;

  fees = (method: string | null) => feesFor(this.input, method);

  private closed = () => ApplicationFailure.nonRetryable(`payment is ${this.state.status}`, FailureType.PaymentClosed);

  /** A verified provider callback; repeats of an event already received are dropped. */
  receiveCallback(callback: ProviderCallback) {
    if (isRepeatedCallback(this.seenEvents, callback)) return;
    this.seenEvents.add(callback.eventId);
    this.callbacks.push(callback);
  }

  /** The operator's re-check, once: true when one was asked for since the last call. */
  takeRecheck(): boolean {
    const recheck = this.recheckRequested;
    this.recheckRequested = false;
    return recheck;
  }

  // status record

  private eventIdFor(status: PaymentStatus): string {
    return this.patches.clockSeq ? paymentStatusEventId(this.input.paymentId, status) : eventIdFromUuid(uuid4());
  }

  /** Stores `status` (and the merchant event it raises) and shows it in the search attributes. */
  async record(status: PaymentStatus, reason: string | null = null, attemptStatus: AttemptStatus | null = null) {
    const { state } = this;
    state.status = status;
    state.failureReason = reason;
    this.statusSeq = nextStatusSeq(this.statusSeq, Date.now(), this.patches.clockSeq);
    upsertSearchAttributes([
      { key: searchAttributes.paymentStatus, value: status },
      ...(state.method ? [{ key: searchAttributes.paymentMethod, value: state.method }] : []),
    ]);
    const eventType = outcomeEventTypes[status];
    const write: RecordPaymentStatusInput = {
      paymentId: this.input.paymentId,
      seq: this.statusSeq,
      status,
      method: state.method,
      providerPaymentId: state.providerPaymentId,
      redirectUrl: state.redirectUrl,
      ...(state.redirect?.method === 'POST' && { redirectForm: state.redirect.fields }),
      failureReason: reason,
      fees: state.method ? this.fees(state.method) : null,
      event: eventType ? { id: this.eventIdFor(status), type: eventType } : null,
      ...(attemptStatus && this.patches.connectors
        ? { attempt: { attempt: state.attempt, status: attemptStatus, providerPaymentId: state.providerPaymentId } }
        : {}),
    };
    const { eventId, channels } = await database.recordPaymentStatus(write);
    if (eventId) {
      this.raisedEvents.push(eventId);
      this.raisedBy.set(eventId, { type: eventType!, write, channels: channels ?? null });
    }
  }

  // provider check

  /** The provider's answer about one attempt; `known: false` when it could not be asked. */
  async askProvider(attempt: number, method: string, why: string): Promise<ProviderAnswer> {
    const connectorId = this.connectorOf(attempt);
    try {
      const status = await providerCheck.checkProviderPayment.executeWithOptions(
        { summary: askSummary(method, attempt, why, connectorId) },
        [{ paymentId: this.input.paymentId, attempt, method, ...(connectorId ? { connectorId } : {}) }],
      );
      if (attempt === this.state.attempt) this.parkedAt = null;
      return { known: true, status };
    } catch (error) {
      if (isCancellation(error)) throw error;
      if (connectorId && isPaused(error)) {
        if (attempt === this.state.attempt) this.parkedAt = connectorId;
        return { known: false, parked: connectorId };
      }
      return { known: false };
    }
  }

  /** The connector attempt `attempt` was made at; null for attempts made before connectors. */
  connectorOf(attempt: number): string | null {
    return this.patches.connectors ? (this.providerAttempts.get(attempt)?.connectorId ?? null) : null;
  }

  /** A connector resumed: a payment parked at it asks the provider at once. */
  connectorResumed(connectorId: string) {
    if (this.parkedAt !== connectorId) return;
    this.parkedAt = null;
    this.recheckRequested = true;
  }

  /** A provider's answer about one of this payment's own keys, as a callback. */
  answerAsCallback(status: ProviderPaymentStatus, eventId: string): ProviderCallback {
    return { ...status, eventId, paymentId: this.input.paymentId, occurredAt: new Date().toISOString() };
  }

  /**
   * Why a success naming `providerPaymentId` is not this payment's, or null when it is: a provider
   * payment made under one of this payment's keys (the current attempt or an earlier one). An attempt
   * whose create has not answered (yet) is asked about, never taken on trust.
   */
  private async notOwnProviderPayment(providerPaymentId: string): Promise<string | null> {
    const attempts = [...this.providerAttempts.values()];
    if (attemptNaming(attempts, providerPaymentId)) return null;
    let unverified = false;
    for (const entry of attempts.filter((candidate) => candidate.providerPaymentId === null)) {
      const answer = await this.askProvider(entry.attempt, entry.method, askReason.ownership(providerPaymentId));
      if (!answer.known) unverified = true;
      else if (answer.status) {
        entry.providerPaymentId = answer.status.providerPaymentId;
        if (entry.providerPaymentId === providerPaymentId) return null;
      }
    }
    return unverified ? 'unverified_provider_payment' : 'foreign_provider_payment';
  }

  // confirm

  /** Applies a provider's word on this payment; `asked`: the provider answered about one of this payment's own keys. */
  async confirm(callback: ProviderCallback, asked = false) {
    const outcome = callbackOutcome(callback, this.state);
    if (outcome.kind === 'ignore') return;
    if (outcome.kind === 'decline') {
      this.declines += 1;
      this.state.providerPaymentId = null;
      this.state.redirectUrl = null;
      if (this.state.redirect) this.state.redirect = null;
      await this.record('awaiting_method', outcome.reason, 'declined');
      return;
    }
    if (this.patches.ownPaymentsOnly && !asked) {
      const refused = await this.notOwnProviderPayment(callback.providerPaymentId);
      // Not knowing is not a refusal: the provider is asked again, and the success may yet be this payment's.
      if (refused === 'unverified_provider_payment' && this.patches.since('retry-unverified-callbacks')) {
        this.defer(callback);
        return;
      }
      if (refused) {
        await database.flagCallbacks({
          paymentId: this.input.paymentId,
          flags: [{ eventId: callback.eventId, flag: refused }],
        });
        return;
      }
      if (!this.isOpen()) {
        this.callbacks.push(callback);
        return;
      }
      // A late success of an earlier attempt: that attempt's method and price are what the buyer paid.
      const paidAttempt = attemptNaming(this.providerAttempts.values(), callback.providerPaymentId);
      if (paidAttempt && paidAttempt.attempt !== this.state.attempt) {
        this.state.attempt = paidAttempt.attempt;
        this.state.method = paidAttempt.method;
      }
    }
    this.state.providerPaymentId = callback.providerPaymentId;
    const success = successOutcome(callback, {
      buyerTotalMinor: this.fees(this.state.method).buyerTotalMinor,
      currency: this.input.currency,
    });
    await this.record(success.status, success.reason, 'succeeded');
  }

  /** Applies the callbacks received so far, in order, while the payment is open. */
  async drainCallbacks() {
    while (this.callbacks.length > 0 && this.isOpen()) await this.confirm(this.callbacks.shift()!);
  }

  /** Keeps a success whose owner is unknown for the next try: after the poll delay for its try count. */
  private defer(callback: ProviderCallback) {
    this.deferred.push(callback);
    this.retryDeferredAt ??= Date.now() + pollDelayMs(this.input.statusPollSeconds, this.deferredTries);
  }

  /** Asks again about the deferred successes; those still unknown are deferred once more, later. */
  async retryDeferred() {
    const again = this.deferred.splice(0);
    this.deferredTries += 1;
    this.retryDeferredAt = null;
    while (again.length > 0 && this.isOpen()) await this.confirm(again.shift()!);
    this.deferred.push(...again);
    if (this.deferred.length === 0) this.deferredTries = 0;
  }

  /** At close: deferred successes now known to be this payment's become late callbacks; the rest are flagged. */
  async settleDeferredAtClose() {
    const { late, unverified } = deferredAtClose(this.deferred.splice(0), this.providerAttempts.values());
    this.callbacks.push(...late);
    if (unverified.length === 0) return;
    const flags = unverified.map((callback) => ({ eventId: callback.eventId, flag: 'unverified_provider_payment' }));
    await database.flagCallbacks({ paymentId: this.input.paymentId, flags });
  }

  // attempt choice

  /** The attempt number (provider key) for a new provider payment with `method`. */
  private async attemptFor(method: string): Promise<number> {
    const choice = attemptChoice(this.unsettled, method, this.state.attempt);
    if (choice.kind === 'use') return choice.attempt;
    const { previous } = choice;
    const answer = await this.askProvider(previous.attempt, previous.method, askReason.beforeTrying(method));
    const asked = this.providerAttempts.get(previous.attempt);
    if (answer.known && answer.status && asked) asked.providerPaymentId = answer.status.providerPaymentId;
    const verdict = unsettledVerdict(previous.attempt, answer);
    if (verdict.kind === 'paid') {
      await this.confirm(this.answerAsCallback(verdict.status, `check-${previous.attempt}`), true);
      throw this.closed();
    }
    if (verdict.kind === 'unsettled') {
      throw ApplicationFailure.nonRetryable(
        `the last ${previous.method} attempt is not settled yet: choose ${previous.method} again or try later`,
        FailureType.AttemptUnsettled,
      );
    }
    this.unsettled = null;
    return verdict.attempt;
  }

  // select method

  /** Why the buyer may not choose `method` now, thrown; the update is refused before it is accepted. */
  validateMethodChoice(method: string) {
    if (!this.isOpen()) throw new Error(`payment is ${this.state.status}`);
    if (!this.input.methods.includes(method)) throw new Error(`method ${method} is not offered for this payment`);
    if (this.state.status === 'awaiting_payment' && this.state.method !== method) {
      throw new Error(`payment is awaiting ${this.state.method} at the provider`);
    }
  }

  /** Method choices run one after another, in the order they arrive. */
  chooseMethod(method: string): Promise<string> {
    const chosen = this.methodChange.then(() => this.startProviderPayment(method));
    this.methodChange = chosen.catch(() => undefined);
    return chosen;
  }

  /** The buyer's choice (the update): where the buyer goes, and how when the connector said. */
  async selectMethod(method: string): Promise<SelectMethodResult> {
    const redirectUrl = await this.chooseMethod(method);
    const { redirect } = this.state;
    return redirect && redirect.url === redirectUrl ? { redirectUrl, redirect } : { redirectUrl };
  }

  /** The method the merchant gave at creation, chosen as the buyer would; the workflow does not wait for it. */
  chooseAtCreation(method: string) {
    this.choosingAtCreation = true;
    void this.chooseMethod(method)
      .catch(() => undefined)
      .then(() => {
        this.choosingAtCreation = false;
      });
  }

  /** One provider payment at a time; the same method again gets the same page. */
  private async startProviderPayment(method: string): Promise<string> {
    const { state } = this;
    if (state.status === 'awaiting_payment') {
      if (state.method === method && state.redirectUrl) return state.redirectUrl;
      throw ApplicationFailure.nonRetryable(
        `payment is awaiting ${state.method} at the provider`,
        FailureType.MethodLocked,
      );
    }
    if (!this.isOpen()) throw this.closed();
    const attempt = await this.attemptFor(method);
    if (state.status !== 'awaiting_method') throw this.closed();
    const created = this.patches.connectors
      ? await this.createAtConnectors(attempt, method)
      : await this.createProviderPayment(attempt, method, null);
    if ('failure' in created) {
      if (this.isOpen())
        await this.record(
          'awaiting_method',
          created.failure === 'refused' ? 'provider_rejected' : 'provider_unavailable',
        );
      throw ApplicationFailure.nonRetryable(
        `${method} is unavailable now: choose another method`,
        FailureType.MethodUnavailable,
      );
    }
    if (!this.isOpen()) throw this.closed();
    state.providerPaymentId = created.created.providerPaymentId;
    state.redirectUrl = created.created.redirectUrl;
    if (created.created.redirect) state.redirect = created.created.redirect;
    await this.record('awaiting_payment');
    return created.created.redirectUrl;
  }

  /**
   * Fallback: the method's active connectors by priority, each a new attempt, until one makes the
   * provider payment. An attempt whose key was used before stays at its own connector; a create
   * whose outcome is unknown ends the tries (never a second charge while one may exist), and so
   * does one under a key whose outcome was unknown that does not reach its connector now.
   */
  private async createAtConnectors(firstAttempt: number, method: string): Promise<CreateTry> {
    const { connectors } = await database.connectorsForMethod({ method, testMode: this.input.testMode });
    const tried: string[] = [];
    let attempt = firstAttempt;
    let keyMayExist = this.unsettled?.attempt === firstAttempt;
    let connectorId = this.providerAttempts.get(attempt)?.connectorId ?? nextConnector(connectors, tried);
    let result: CreateTry = { failure: 'unreached' };
    while (connectorId) {
      tried.push(connectorId);
      result = await this.createProviderPayment(attempt, method, connectorId, keyMayExist);
      keyMayExist = false;
      if (!('failure' in result) || result.failure === 'unknown' || !this.isOpen()) return result;
      connectorId = nextConnector(connectors, tried);
      attempt = this.state.attempt + 1;
    }
    return result;
  }

  /**
   * Attempt `attempt` of `method` (at `connectorId`, when given): the provider payment, or how it
   * failed. `keyMayExist`: an earlier create under this key had no known outcome, so not reaching
   * the provider now proves nothing.
   */
  private async createProviderPayment(
    attempt: number,
    method: string,
    connectorId: string | null,
    keyMayExist = false,
  ): Promise<CreateTry> {
    const providerAttempt = this.beginAttempt(attempt, method, connectorId);
    const { input } = this;
    this.createsInFlight += 1;
    try {
      // 2. provider payment
      const amountMinor = this.fees(method).buyerTotalMinor;
      const summary = createSummary(method, amountMinor, input.currency, attempt, connectorId);
      const created = await providerCreate.createProviderPayment.executeWithOptions({ summary }, [
        {
          paymentId: input.paymentId,
          attempt,
          method,
          amountMinor,
          currency: input.currency,
          description: input.description,
          ...(connectorId ? { connectorId } : {}),
        },
      ]);
      this.unsettled = null;
      providerAttempt.providerPaymentId = created.providerPaymentId;
      // made while the payment closed (canceled, say): canceled at the provider with the rest
      if (!this.isOpen() && this.patches.connectors) this.madeAfterClose = true;
      return { created };
    } catch (error) {
      if (isCancellation(error)) throw error;
      const classed = connectorId
        ? createFailure(applicationFailure(error))
        : isDefinite(error)
          ? 'refused'
          : 'unknown';
      const failure = classed === 'unreached' && keyMayExist ? 'unknown' : classed;
      this.unsettled = failure === 'unknown' ? { attempt, method } : null;
      if (failure !== 'unknown' && providerAttempt.providerPaymentId === null) this.providerAttempts.delete(attempt);
      return { failure };
    } finally {
      this.createsInFlight -= 1;
    }
  }

  /** The payment waits for `method` at the provider under `attempt`'s key from now on. */
  private beginAttempt(attempt: number, method: string, connectorId: string | null): ProviderAttempt {
    this.state.attempt = attempt;
    this.state.method = method;
    this.state.status = 'awaiting_payment';
    this.selections += 1;
    this.parkedAt = null;
    const providerAttempt = this.providerAttempts.get(attempt) ?? { attempt, method, providerPaymentId: null };
    providerAttempt.method = method;
    if (connectorId) providerAttempt.connectorId = connectorId;
    this.providerAttempts.set(attempt, providerAttempt);
    return providerAttempt;
  }

  // cancel

  /** Why the payment may not be canceled now, thrown; the update is refused before it is accepted. */
  validateCancel() {
    if (!this.isOpen()) throw new Error(`payment is ${this.state.status}`);
  }

  async cancel(): Promise<PurchaseState> {
    await this.record('canceled');
    return { ...this.state };
  }

  // cancel at the provider

  /**
   * After the payment expired, failed or was canceled while the current attempt's provider payment
   * may exist: cancels it at its connector, retried, the outcome already recorded. A success the
   * provider answers instead is a late callback like any other (held for the operator).
   */
  async cancelAtProvider(): Promise<void> {
    const { state } = this;
    if (!this.patches.connectors || !cancelableAfter.includes(state.status)) return;
    this.cancelingAtProvider = true;
    try {
      // a create still in flight may yet make a provider payment: it is canceled too
      if (this.createsInFlight > 0) await condition(() => this.createsInFlight === 0);
      const connectorId = this.connectorOf(state.attempt);
      if (!connectorId) return;
      if (state.providerPaymentId === null && this.unsettled === null && !this.madeAfterClose) return;
      const { attempt, method } = state;
      const answer = await providerCancel.cancelProviderPayment.executeWithOptions(
        { summary: cancelSummary(method!, attempt, connectorId) },
        [{ paymentId: this.input.paymentId, attempt, method: method!, connectorId }],
      );
      if (answer.status?.state === 'succeeded' && answer.eventId)
        this.callbacks.push(this.answerAsCallback(answer.status, answer.eventId));
    } catch (error) {
      if (isCancellation(error)) throw error;
    } finally {
      this.cancelingAtProvider = false;
    }
  }

  /**
   * A success after the payment expired, failed or was canceled, refunded as the checkout asks: the
   * decision is recorded like an operator's (by Kassa) and carried out by its review workflow,
   * which outlives this one; none when an operator decided already.
   */
  async refundLateSuccess(): Promise<void> {
    if (this.lateSuccessRefunded) return;
    this.lateSuccessRefunded = true;
    const { paymentId } = this.input;
    const decisionId = `dec_${uuid4().replace(/-/g, '').slice(0, 20)}`;
    const workflowId = reviewWorkflowId(paymentId, decisionId);
    const decision = await database.decideLateSuccessRefund({ paymentId, decisionId, workflowId });
    if (!decision) return;
    await startChild<typeof reviewDecisionWorkflow>('reviewDecisionWorkflow', {
      workflowId,
      args: [decision],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
  }

  // poll schedule

  /** A provider payment made since the poll schedule was set gets the schedule from its start. */
  restartPollsForNewAttempt() {
    if (!this.atProvider() || this.scheduledSelection === this.selections) return;
    this.scheduledSelection = this.selections;
    this.polls = 0;
    this.nextPollAt = Date.now() + pollDelayMs(this.input.statusPollSeconds, 0);
  }

  /** Counts a status check and plans the next one. */
  countStatusCheck() {
    this.polls += 1;
    this.nextPollAt = Date.now() + pollDelayMs(this.input.statusPollSeconds, this.polls);
  }

  /** Everything this run decides by, for the next run when it continues as new. */
  handover(): PurchaseCarry {
    return {
      state: { ...this.state },
      seenEventIds: [...this.seenEvents],
      callbacks: [...this.callbacks],
      declines: this.declines,
      unsettled: this.unsettled,
      providerAttempts: [...this.providerAttempts.values()].map((entry) => ({ ...entry })),
      polls: this.polls,
      nextPollAt: Number.isFinite(this.nextPollAt) ? this.nextPollAt : null,
      recheckRequested: this.recheckRequested,
      statusSeq: this.statusSeq,
      deferredCallbacks: [...this.deferred],
      deferredTries: this.deferredTries,
      retryDeferredAt: this.retryDeferredAt,
      ...(this.parkedAt ? { parkedAt: this.parkedAt } : {}),
    };
  }
}
