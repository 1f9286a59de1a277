/**
 * What the purchase workflow shows in the Temporal UI: step summaries (activity and timer
 * summaries in the history) and current details (markdown for the workflow's page). Words only:
 * nothing here decides anything.
 */
import { formatAmount } from '../../domain/money';
import type { PurchaseState } from '../shared';

/** A wait in words for step summaries: `45 s`, `30 min`, `5 h`, `3 d`. */
export function inWords(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 36 * 3600) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

/** `at the provider`, or `at connector conn_…` for attempts made at a connector. */
const where = (connectorId: string | null) => (connectorId ? `at connector ${connectorId}` : 'at the provider');

export const createSummary = (
  method: string,
  buyerTotalMinor: string,
  currency: string,
  attempt: number,
  connectorId: string | null = null,
) =>
  `create ${method} payment ${where(connectorId)}: ${formatAmount(BigInt(buyerTotalMinor), currency)} ${currency}, attempt ${attempt}`;

export const askSummary = (method: string, attempt: number, why: string, connectorId: string | null = null) =>
  `ask ${connectorId ? `connector ${connectorId}` : 'the provider'} about the ${method} payment, attempt ${attempt} (${why})`;

export const cancelSummary = (method: string, attempt: number, connectorId: string) =>
  `cancel the ${method} payment ${where(connectorId)}, attempt ${attempt}`;

/** Why the provider is asked, for {@link askSummary}. */
export const askReason = {
  ownership: (providerPaymentId: string) => `whether callback for ${providerPaymentId} is this payment's`,
  beforeTrying: (method: string) => `before trying ${method}`,
  statusCheck: (polls: number, recheck: boolean) => (recheck ? 'operator re-check' : `status check ${polls + 1}`),
};

/** What the confirmation step knows while it waits. */
export interface WaitView {
  state: PurchaseState;
  atProvider: boolean;
  polls: number;
  nextPollAt: number;
  expiresAt: number;
  now: number;
  wakeAt: number;
  deferredCount: number;
  /** When the deferred successes are asked about again; Infinity when there are none. */
  retryAt: number;
  /** The paused connector the current attempt waits at, if any. */
  parkedAt?: string | null;
}

/** What the workflow waits for until `wakeAt`: a timer summary for the history and markdown for the UI's current details. */
function waitingFor(view: WaitView): { summary: string; details: string } {
  const { state, wakeAt, now } = view;
  const wait = inWords(wakeAt - now);
  const expiry = new Date(view.expiresAt).toISOString();
  if (state.status === 'awaiting_method') {
    return {
      summary: `buyer chooses a method; expires in ${wait}`,
      details:
        '**awaiting_method**: waiting for the buyer to choose a method on the hosted page (selectMethod update). ' +
        `Expires at ${expiry}.`,
    };
  }
  if (!view.atProvider) {
    return {
      summary: `provider creates the ${state.method} payment`,
      details: `**awaiting_payment**: creating the ${state.method} payment at the provider (attempt ${state.attempt}).`,
    };
  }
  if (view.parkedAt) {
    return {
      summary: `connector ${view.parkedAt} resumes, a provider callback, or expiry; paused? asked again in ${wait}`,
      details:
        `**awaiting_payment**: parked: connector ${view.parkedAt} is paused, so the provider is not asked about ` +
        `the ${state.method} payment ${state.providerPaymentId} (attempt ${state.attempt}) until it resumes ` +
        `(its resume wakes this payment; each status check meanwhile only sees that it is still paused). ` +
        `A callback still settles it. Expires at ${expiry}.`,
    };
  }
  const checking = wakeAt === view.nextPollAt;
  const check = `status check ${view.polls + 1}`;
  const then = checking ? `${check} at ${new Date(wakeAt).toISOString()}` : `expiry at ${expiry}`;
  const next = checking ? `${check} in ${wait}` : `expires in ${wait}`;
  return {
    summary: `provider callback, or ${next}`,
    details:
      `**awaiting_payment**: waiting for the provider's callback about ${state.method} payment ${state.providerPaymentId} ` +
      `(attempt ${state.attempt}). Next: ${then}` +
      `${now >= view.expiresAt ? ' (past expiry: the provider has not said how this attempt ended)' : ''}.`,
  };
}

/** The timer summary and current details of one wait, with the deferred successes' next try when it comes first. */
export function waitText(view: WaitView): { summary: string; details: string } {
  const waiting = waitingFor(view);
  const unverified = `${view.deferredCount} success(es) whose provider payment is unverified`;
  const summary =
    view.retryAt < view.wakeAt
      ? `ask again about ${unverified} in ${inWords(view.retryAt - view.now)}; then ${waiting.summary}`
      : waiting.summary;
  const details =
    view.deferredCount > 0
      ? `${waiting.details} Asking again about ${unverified} at ${new Date(view.retryAt).toISOString()}.`
      : waiting.details;
  return { summary, details };
}

export const continuingAsNewDetails = (status: string) =>
  `**${status}**: continuing as new once the method choice in progress finishes.`;

export const notifySummary = (eventType: string, eventId: string) => `notify merchant: ${eventType} ${eventId}`;

export const notifyingDetails = (status: string, events: readonly { eventId: string; type: string }[]) =>
  `**${status}**: notifying the merchant (${events.map((event) => `${event.type} ${event.eventId}`).join(', ')}), ` +
  'retried with backoff for up to 4 days; the pending activity shows the attempt and the last failure.';

export const finishedDetails = (status: string, undelivered: boolean) =>
  undelivered
    ? `**${status}**: finished, but the merchant never accepted its webhook; the attempts are listed under the payment's events.`
    : `**${status}**: finished; the merchant has accepted its webhook.`;
