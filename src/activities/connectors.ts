/**
 * A purchase's provider payment at connectors: which connectors serve a method, creating, asking
 * and canceling at one, each attempt recorded; and the circuit breaker that pauses a connector
 * whose creates keep failing and probes it before resuming it.
 */
import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Pool } from 'pg';
import {
  addConnectorEvent,
  attemptStatus,
  claimDueProbes,
  claimTrip,
  findAttempt,
  recentFailedCreates,
  releaseBreaker,
  saveAttempt,
  settleAttempt,
} from '../db/attempts';
import { storeCallback } from '../db/callbacks';
import { insertDecision } from '../db/exceptions';
import { providerReference, setConnectorStatus } from '../db/connectors';
import {
  attemptStatusAfterCreate,
  type BreakerSettings,
  breakerTrips,
  probeDue,
  defaultBreakerSettings,
  lateSuccessOperator,
} from '../domain/attempt';
import { FailureType } from '../domain/failure-types';
import { connectorBreakerTrips } from '../observability/connector-breaker';
import type { ConnectorHandle, ProviderRegistry } from '../providers/registry';
import {
  ProviderError,
  type ProviderPaymentRef,
  type ProviderPaymentStatus,
  type ProviderRedirect,
} from '../providers/types';

export interface ConnectorActivityDeps {
  db: Pool;
  providers: ProviderRegistry;
  publicUrl: string;
  /** Default: `CONNECTOR_BREAKER_*` from the environment. */
  breaker?: BreakerSettings;
}

export interface CreateProviderPaymentInput {
  paymentId: string;
  attempt: number;
  method: string;
  /** What the buyer pays, minor units. */
  amountMinor: string;
  currency: string;
  description: string;
  /** Where the attempt is made; absent in runs from before connectors (the method's first connector). */
  connectorId?: string | null;
}

export interface CreatedProviderPayment {
  providerPaymentId: string;
  redirectUrl: string;
  /** How the buyer is sent there (a POST form for some providers). */
  redirect?: ProviderRedirect;
}

export interface CheckProviderPaymentInput {
  paymentId: string;
  attempt: number;
  method: string;
  connectorId?: string | null;
}

/** What canceling a provider payment found: its state after (null: the provider never saw it), and a success's inbox event id. */
export interface CanceledProviderPayment {
  status: ProviderPaymentStatus | null;
  /** Set when the provider said the payment succeeded: the callback stored in the inbox under this id. */
  eventId: string | null;
  /** False when the connector cannot cancel (or is gone): nothing was asked. */
  supported: boolean;
}

/** The provider idempotency key of one attempt: stable across activity retries and workflow resets. */
export const providerIdempotencyKey = (paymentId: string, attempt: number) => `${paymentId}-attempt-${attempt}`;

const paused = (connectorId: string, retryable: boolean) =>
  ApplicationFailure.create({
    message: `connector ${connectorId} is paused`,
    type: FailureType.ConnectorPaused,
    nonRetryable: !retryable,
  });

/** A provider's refusal, as the workflow knows it: nothing was made, retrying cannot help. */
const declined = (error: ProviderError) =>
  ApplicationFailure.create({
    message: error.message,
    type: FailureType.ProviderDeclined,
    nonRetryable: true,
    details: [error.code],
  });

const retryDelay = (error: unknown) =>
  error instanceof ProviderError && error.retryAfterMs !== undefined ? { nextRetryDelay: error.retryAfterMs } : {};

/** Whether a connector is paused now: the in-memory copy is read again before a pause is believed. */
async function pausedNow(providers: ProviderRegistry, connectorId: string): Promise<boolean> {
  if (providers.connector(connectorId)?.connector.status !== 'paused') return false;
  await providers.refresh();
  return providers.connector(connectorId)?.connector.status === 'paused';
}

/**
 * For money moved at a connector (refunds, payouts): a connector that is paused fails the activity
 * with a retryable `ConnectorPaused`, so it waits under its retry policy and goes on once the
 * connector resumes.
 */
export async function waitWhileConnectorPaused(providers: ProviderRegistry, connectorId: string): Promise<void> {
  if (await pausedNow(providers, connectorId)) throw paused(connectorId, true);
}

export function createConnectorActivities({ db, providers, publicUrl, breaker }: ConnectorActivityDeps) {
  const settings = breaker ?? defaultBreakerSettings;

  /** The attempt's connector: the one named, or for runs from before connectors the method's first. */
  const handleFor = (input: { method: string; connectorId?: string | null }): ConnectorHandle => {
    const handle = input.connectorId
      ? providers.connector(input.connectorId)
      : (providers.connectorsFor(input.method, true)[0] ??
        providers.connectorsFor(input.method, false)[0] ??
        providers.all().find((candidate) => candidate.connector.methods.includes(input.method)));
    if (!handle)
      throw ApplicationFailure.nonRetryable(
        `no connector ${input.connectorId ?? `offers ${input.method}`}`,
        FailureType.NoConnector,
      );
    return handle;
  };

  const isPaused = (handle: ConnectorHandle) => pausedNow(providers, handle.connector.id);

  const refOf = async (handle: ConnectorHandle, paymentId: string, attempt: number): Promise<ProviderPaymentRef> => {
    const idempotencyKey = providerIdempotencyKey(paymentId, attempt);
    const reference = await providerReference(db, handle.connector.id, idempotencyKey, handle.adapter.referenceFormat);
    const stored = await findAttempt(db, paymentId, attempt);
    return { idempotencyKey, reference, providerPaymentId: stored?.providerPaymentId ?? null };
  };

  /** After a failed create: pauses the connector when its recent failures reach the breaker's count. */
  async function countFailure(handle: ConnectorHandle) {
    const { id } = handle.connector;
    const failures = await recentFailedCreates(db, id, settings);
    if (!breakerTrips(handle.connector, failures, settings) || !(await claimTrip(db, id, settings))) return;
    await setConnectorStatus(db, id, 'paused', 'circuit_breaker');
    await providers.refresh();
    const detail = { failures, window_seconds: settings.windowSeconds, probe_seconds: settings.probeSeconds };
    await addConnectorEvent(db, { connectorId: id, kind: 'breaker_tripped', detail });
    connectorBreakerTrips.inc({ connector_id: id, provider: handle.connector.provider });
    log.warn('connector paused by its circuit breaker', {
      connectorId: id,
      provider: handle.connector.provider,
      ...detail,
    });
  }

  /**
   * The probes that are due: each tripped connector past its cool-down is asked a harmless status
   * question (a key it never saw); any answer, a refusal included, resumes it.
   */
  async function probeTripped() {
    const now = new Date();
    if (!providers.all().some((handle) => probeDue(handle.connector, now, settings))) return;
    for (const id of await claimDueProbes(db, settings)) {
      const handle = providers.connector(id);
      if (!handle || handle.connector.pausedReason !== 'circuit_breaker') {
        await releaseBreaker(db, id);
        continue;
      }
      const answered = await handle.client
        .getPaymentStatus({ idempotencyKey: `probe-${id}`, reference: `probe-${id}`, providerPaymentId: null })
        .then(
          () => true,
          (error: unknown) => error instanceof ProviderError && error.kind === 'definite',
        );
      if (!answered) {
        await addConnectorEvent(db, { connectorId: id, kind: 'probe_failed', detail: {} });
        log.warn('connector probe failed: it stays paused', { connectorId: id });
        continue;
      }
      await setConnectorStatus(db, id, 'active', null);
      await releaseBreaker(db, id);
      await providers.refresh();
      await addConnectorEvent(db, { connectorId: id, kind: 'breaker_resumed', detail: {} });
      log.info('connector resumed after its probe answered', { connectorId: id });
    }
  }

  return {
    /** The mode's active connectors serving `method`, by priority (a tripped one whose probe answers is among them again). */
    async connectorsForMethod(input: { method: string; testMode: boolean }): Promise<{ connectors: string[] }> {
      // The probe does not hold up the buyer's choice: a connector it resumes serves the next one.
      probeTripped().catch((error: unknown) =>
        log.warn('connector probe did not run', { error: (error as Error).message }),
      );
      return { connectors: providers.connectorsFor(input.method, input.testMode).map((handle) => handle.connector.id) };
    },

    /** Creates the provider payment of one attempt at its connector and records how it went. */
    async createProviderPayment(input: CreateProviderPaymentInput): Promise<CreatedProviderPayment> {
      const handle = handleFor(input);
      const { connector, client } = handle;
      const idempotencyKey = providerIdempotencyKey(input.paymentId, input.attempt);
      const reference = await providerReference(db, connector.id, idempotencyKey, handle.adapter.referenceFormat);
      const row = {
        paymentId: input.paymentId,
        attempt: input.attempt,
        connectorId: connector.id,
        provider: connector.provider,
        method: input.method,
        reference,
        providerPaymentId: null,
      };
      // What an earlier try of this attempt left: read only when this try fails, as a success overwrites it.
      const previous = () => attemptStatus(db, input.paymentId, input.attempt);
      if (await isPaused(handle)) {
        const status = attemptStatusAfterCreate(await previous(), 'unreachable');
        await saveAttempt(db, { ...row, status, latencyMs: null, error: 'connector_paused' });
        throw paused(connector.id, false);
      }
      const started = Date.now();
      try {
        const created = await client.createPayment({
          idempotencyKey,
          reference,
          paymentId: input.paymentId,
          method: input.method,
          amountMinor: input.amountMinor,
          currency: input.currency,
          description: input.description,
          returnUrl: `${publicUrl}/pay/${input.paymentId}/return`,
          callbackUrl: `${publicUrl}/callbacks/${connector.provider}/${connector.id}`,
        });
        const providerPaymentId = created.providerPaymentId ?? reference;
        const latencyMs = Date.now() - started;
        await saveAttempt(db, { ...row, providerPaymentId, status: 'created', latencyMs, error: null });
        return { providerPaymentId, redirectUrl: created.redirect.url, redirect: created.redirect };
      } catch (error) {
        const latencyMs = Date.now() - started;
        const code = error instanceof ProviderError ? error.code : 'error';
        const kind = error instanceof ProviderError ? error.kind : 'indeterminate';
        const result = kind === 'definite' ? 'refused' : kind === 'transient' ? 'unreachable' : 'unknown';
        const status = attemptStatusAfterCreate(await previous(), result);
        await saveAttempt(db, { ...row, status, latencyMs, error: code });
        if (status === 'refused') throw declined(error as ProviderError);
        await countFailure(handle);
        if (status === 'unreachable')
          throw ApplicationFailure.create({
            message: `${connector.id} not reached: ${code}`,
            type: FailureType.ProviderUnreached,
            ...retryDelay(error),
          });
        throw ApplicationFailure.create({
          message: `${connector.id}: outcome unknown (${code})`,
          type: FailureType.ProviderOutcomeUnknown,
          ...retryDelay(error),
        });
      }
    },

    /** Asks the attempt's connector what became of it; a paused connector is not asked (the workflow parks). */
    async checkProviderPayment(input: CheckProviderPaymentInput): Promise<ProviderPaymentStatus | null> {
      await probeTripped();
      const handle = handleFor(input);
      if (await isPaused(handle)) throw paused(handle.connector.id, false);
      try {
        return await handle.client.getPaymentStatus(await refOf(handle, input.paymentId, input.attempt));
      } catch (error) {
        if (error instanceof ProviderError && error.kind === 'definite') throw declined(error);
        throw error instanceof ProviderError
          ? ApplicationFailure.create({ message: error.message, ...retryDelay(error) })
          : error;
      }
    },

    /**
     * Records Kassa's decision to refund a late success, as the checkout's `late_success: refund`
     * says; null when another decision stands (an operator's). Its workflow carries it out.
     */
    async decideLateSuccessRefund(input: { paymentId: string; decisionId: string; workflowId: string }) {
      const { decision } = await insertDecision(db, {
        id: input.decisionId,
        exceptionId: input.paymentId,
        kind: 'late_success',
        paymentId: input.paymentId,
        action: 'refund',
        operator: lateSuccessOperator,
        workflowId: input.workflowId,
      });
      if (decision.id !== input.decisionId) return null;
      return {
        decisionId: decision.id,
        exceptionId: decision.exceptionId,
        kind: decision.kind,
        action: decision.action,
        paymentId: decision.paymentId,
      };
    },

    /**
     * Cancels the attempt's provider payment after the payment expired or was canceled. A paused
     * connector is waited for (retried); a connector without cancel is not asked. A success the
     * provider answers is stored in the inbox like a callback, for the workflow's late-callback check.
     */
    async cancelProviderPayment(
      input: CheckProviderPaymentInput & { connectorId: string },
    ): Promise<CanceledProviderPayment> {
      const handle = providers.connector(input.connectorId);
      if (!handle?.client.cancelPayment || !handle.client.capabilities.has('cancel'))
        return { status: null, eventId: null, supported: false };
      if (await isPaused(handle)) throw paused(handle.connector.id, true);
      const ref = await refOf(handle, input.paymentId, input.attempt);
      let status: ProviderPaymentStatus | null;
      try {
        status = await handle.client.cancelPayment(ref);
      } catch (error) {
        // Too late to cancel (it succeeded, or never existed): what the provider says it is now.
        if (!(error instanceof ProviderError && error.kind === 'definite')) throw error;
        status = await handle.client.getPaymentStatus(ref);
      }
      if (!status) return { status: null, eventId: null, supported: true };
      const settled = status.state === 'canceled' || status.state === 'succeeded' || status.state === 'declined';
      if (settled)
        await settleAttempt(db, {
          paymentId: input.paymentId,
          attempt: input.attempt,
          status: status.state as 'canceled' | 'succeeded' | 'declined',
          providerPaymentId: status.providerPaymentId,
        });
      if (status.state !== 'succeeded') return { status, eventId: null, supported: true };
      const eventId = `cancel-${ref.idempotencyKey}`;
      const callback = {
        ...status,
        eventId,
        paymentId: input.paymentId,
        occurredAt: new Date().toISOString(),
      };
      await storeCallback(db, handle.connector.provider, callback, JSON.stringify({ answer_to: 'cancel', ...status }));
      return { status, eventId, supported: true };
    },
  };
}
