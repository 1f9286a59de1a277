/**
 * Operator actions on one payment (`/admin/payments/:id…`, operator token): look at it as
 * Temporal sees it, cancel it, re-send a merchant event, re-check the provider now.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { listAttempts } from '../db/attempts';
import { listEventsWithAttempts } from '../db/events';
import { findPaymentById } from '../db/payments';
import type { StoredPayment } from '../domain/payment';
import { openStatuses } from '../domain/payment';
import { attemptResource } from '../resources/attempt';
import { paymentResource } from '../resources/payment';
import { DomainError, notFound } from '../domain/errors';
import { currentRequest } from '../observability/request-scope';
import { randomToken } from '../domain/ids';
import { resendEvent as resendEventDefinition } from '../temporal/definitions';
import { executeWorkflow } from '../temporal/start';
import { signalPurchase, updatePurchase } from '../temporal/messages';
import {
  cancelUpdate,
  purchaseWorkflowId,
  recheckProviderSignal,
  type PurchaseState,
  statusQuery,
} from '../workflows/shared';
import type { ServiceDeps } from './deps';

const conflict = (message: string) => new DomainError('conflict', 'payment_state', message);

async function paymentOrNotFound(deps: ServiceDeps, paymentId: string): Promise<StoredPayment> {
  const payment = /^pay_[0-9A-Za-z]{8,64}$/.test(paymentId) ? await findPaymentById(deps.db, paymentId) : null;
  if (!payment) throw notFound('payment', 'id');
  return payment;
}

/** A protobuf timestamp (seconds may be a Long) as ISO 8601. */
const iso = (ts: temporal.api.workflow.v1.PendingActivityInfo.$Properties['scheduledTime']) =>
  ts ? new Date(Number(String(ts.seconds ?? 0)) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6)).toISOString() : null;
const pendingStates = temporal.api.enums.v1.PendingActivityState;

type PendingActivity = {
  activity_type: string;
  state: string;
  attempt: number;
  maximum_attempts: number | null;
  scheduled_at: string | null;
  last_started_at: string | null;
  next_attempt_at: string | null;
  last_failure: string | null;
};

/** What the workflow is waiting for, in one sentence an operator can act on. */
export function waitingFor(
  payment: StoredPayment,
  workflowStatus: string,
  state: PurchaseState | null,
  pending: PendingActivity[],
  statusPollSeconds: number[],
): string {
  if (workflowStatus !== 'RUNNING')
    return `nothing: the workflow is ${workflowStatus.toLowerCase()} and the payment is ${payment.status}`;
  const notify = pending.find((activity) => activity.activity_type === 'notifyMerchant');
  if (notify) {
    return (
      `the merchant's endpoint to accept the webhook: attempt ${notify.attempt} ` +
      (notify.last_failure ? `failed (${notify.last_failure})` : 'is under way') +
      (notify.next_attempt_at ? `, next attempt at ${notify.next_attempt_at}` : '') +
      '; retried with backoff (up to hourly) for 4 days'
    );
  }
  const provider = pending.find(
    (activity) =>
      activity.activity_type === 'createProviderPayment' || activity.activity_type === 'checkProviderPayment',
  );
  if (provider) {
    const what =
      provider.activity_type === 'createProviderPayment' ? 'create the provider payment' : 'answer a status check';
    return `the provider to ${what}: attempt ${provider.attempt}${provider.last_failure ? ` failed (${provider.last_failure})` : ''}`;
  }
  const status = state?.status ?? payment.status;
  if (status === 'awaiting_method') {
    return `the buyer to choose a method on the hosted page (selectMethod update) until ${payment.expiresAt.toISOString()}, then it expires`;
  }
  if (status === 'awaiting_payment') {
    return (
      `the provider's callback for ${state?.method ?? payment.method} payment ${state?.providerPaymentId ?? payment.providerPaymentId} ` +
      `(attempt ${state?.attempt ?? '?'}); meanwhile it asks the provider after ${statusPollSeconds.join(', ')} s ` +
      `(then every ${statusPollSeconds.at(-1)} s); at ${payment.expiresAt.toISOString()} it expires unless the provider's answer is unknown`
    );
  }
  return `nothing from outside: the payment is ${status} and the workflow is finishing (flagging late callbacks, notifying the merchant)`;
}

/** The payment, its workflow as Temporal describes it, the `status` query's answer and what it waits for. */
export async function inspectPayment(deps: ServiceDeps, paymentId: string) {
  const payment = await paymentOrNotFound(deps, paymentId);
  const handle = deps.temporal.workflow.getHandle(purchaseWorkflowId(payment.id));
  const events = await listEventsWithAttempts(deps.db, payment.id);
  let description;
  try {
    description = await handle.describe();
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
  let state: PurchaseState | null = null;
  let queryError: string | null = null;
  if (description) {
    try {
      state = await deps.temporal.withDeadline(Date.now() + 5000, () => handle.query(statusQuery));
    } catch (error) {
      queryError = (error as Error).message;
    }
  }
  const pending: PendingActivity[] = (description?.raw.pendingActivities ?? []).map((activity) => ({
    activity_type: activity.activityType?.name ?? 'unknown',
    state: pendingStates[activity.state ?? 0]?.replace('PENDING_ACTIVITY_STATE_', '') ?? String(activity.state),
    attempt: activity.attempt ?? 1,
    maximum_attempts: activity.maximumAttempts || null,
    scheduled_at: iso(activity.scheduledTime),
    last_started_at: iso(activity.lastStartedTime),
    next_attempt_at: iso(activity.nextAttemptScheduleTime),
    last_failure: activity.lastFailure?.message ?? null,
  }));
  const workflowStatus = description?.status.name ?? 'MISSING';
  return {
    payment: paymentResource(payment, deps.config.publicUrl),
    merchant_id: payment.merchantId,
    provider_payment_id: payment.providerPaymentId,
    attempts: (await listAttempts(deps.db, payment.id)).map(attemptResource),
    workflow: description
      ? {
          id: description.workflowId,
          run_id: description.runId,
          type: description.type,
          status: workflowStatus,
          task_queue: description.taskQueue,
          started_at: description.startTime.toISOString(),
          closed_at: description.closeTime?.toISOString() ?? null,
          history_length: description.historyLength,
          summary: (await description.staticSummary()) ?? null,
          search_attributes: Object.fromEntries(
            description.typedSearchAttributes.getAll().map((pair) => [pair.key.name, pair.value]),
          ),
          temporal_ui_path: `/namespaces/${deps.config.temporal.namespace}/workflows/${description.workflowId}/${description.runId}/history`,
        }
      : null,
    state,
    state_error: queryError,
    pending_activities: pending,
    waiting_for: description
      ? waitingFor(payment, workflowStatus, state, pending, deps.config.statusPollSeconds)
      : 'nothing: no workflow exists for this payment (a restart sweep starts missing ones within a minute)',
    events: events.map((event) => ({
      id: event.id,
      type: event.type,
      created_at: event.createdAt.toISOString(),
      delivered_at: event.deliveredAt?.toISOString() ?? null,
      attempts: event.attempts.map((attempt) => ({
        attempt: attempt.attempt,
        attempted_at: new Date(attempt.attemptedAt).toISOString(),
        status_code: attempt.statusCode,
        latency_ms: attempt.latencyMs,
        error: attempt.error,
      })),
    })),
  };
}

/** Cancels an open payment on the operator's word, whichever merchant it belongs to; the merchant gets `payment.canceled`. */
export async function cancelAsOperator(deps: ServiceDeps, paymentId: string) {
  const payment = await paymentOrNotFound(deps, paymentId);
  if (!openStatuses.includes(payment.status))
    throw conflict(`payment is ${payment.status}: only open payments can be canceled`);
  await updatePurchase(deps.temporal, payment.id, (handle) => handle.executeUpdate(cancelUpdate));
  return paymentResource((await findPaymentById(deps.db, payment.id))!, deps.config.publicUrl);
}

/**
 * Delivers one stored event of the payment to the merchant once more, now, through a short
 * workflow on the `payments` task queue (so it runs where webhooks are sent from and shows in
 * the Temporal UI), and answers with the attempt's outcome.
 */
export async function resendEvent(deps: ServiceDeps, paymentId: string, eventId: string) {
  const payment = await paymentOrNotFound(deps, paymentId);
  const event = (await listEventsWithAttempts(deps.db, payment.id)).find((candidate) => candidate.id === eventId);
  if (!event) throw notFound('event', 'event_id');
  const requestId = `${currentRequest()?.requestId ?? 'req'}-${randomToken(6)}`.replace(/[^A-Za-z0-9_-]/g, '');
  const result = await executeWorkflow(
    deps,
    resendEventDefinition,
    { payment, event, requestId, by: 'operator' },
    45_000,
  );
  return {
    event_id: event.id,
    type: event.type,
    delivered: result.delivered,
    attempt: result.attempt,
    status_code: result.statusCode,
    latency_ms: result.latencyMs,
    error: result.error,
  };
}

/**
 * Asks the payment's workflow to check with the provider now instead of at its next scheduled
 * check. Answers at once (`202`); the outcome shows on the payment as soon as the provider has answered.
 */
export async function recheckProvider(deps: ServiceDeps, paymentId: string) {
  const payment = await paymentOrNotFound(deps, paymentId);
  if (payment.status !== 'awaiting_payment')
    throw conflict(`payment is ${payment.status}: only a payment awaiting the provider can be re-checked`);
  if (!(await signalPurchase(deps.temporal, payment.id, recheckProviderSignal)))
    throw conflict('the payment has closed or is not running yet: nothing to re-check');
  return { payment_id: payment.id, status: payment.status, recheck_requested: true };
}
