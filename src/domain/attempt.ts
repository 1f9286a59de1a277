/**
 * A payment attempt at one connector: what became of it, how a failed create is classed, and the
 * circuit breaker's rules. Plain values and functions, shared by the workflow and the activities.
 */
import { FailureType } from './failure-types';

/**
 * Where one attempt stands: made at the provider (`created`), refused by it (nothing made),
 * not reached (nothing made: down, refused connection, paused), outcome unknown (it may exist),
 * or settled: `succeeded`, `declined`, `canceled`.
 */
export const attemptStatuses = [
  'created',
  'refused',
  'unreachable',
  'unknown',
  'succeeded',
  'declined',
  'canceled',
] as const;
export type AttemptStatus = (typeof attemptStatuses)[number];

/** One attempt as stored and listed. */
export interface PaymentAttempt {
  paymentId: string;
  attempt: number;
  connectorId: string;
  provider: string;
  method: string;
  /** The order number the provider sees. */
  reference: string;
  providerPaymentId: string | null;
  status: AttemptStatus;
  latencyMs: number | null;
  /** A provider's error code, never its message (it may echo what it was sent). */
  error: string | null;
  createdAt: Date;
}

/** Something the operator should know about a connector: its breaker paused it, a probe failed or resumed it. */
export interface ConnectorEvent {
  id: string;
  connectorId: string;
  kind: 'breaker_tripped' | 'probe_failed' | 'breaker_resumed';
  detail: Record<string, unknown>;
  createdAt: Date;
}

/** How a failed create at one connector ends: refused or unreached (try the next connector), or unknown (never). */
export type CreateFailure = 'refused' | 'unreached' | 'unknown';

/**
 * The class of a failed create from its failure's type and retryability: a definite refusal, a
 * provider never reached (or a paused connector), else unknown, so that an outcome that may exist
 * is never left behind for another connector.
 */
export function createFailure(
  failure: { type: string | null | undefined; nonRetryable: boolean } | null,
): CreateFailure {
  if (!failure) return 'unknown';
  if (failure.type === FailureType.ProviderUnreached) return 'unreached';
  if (failure.type === FailureType.ConnectorPaused) return 'unreached';
  if (failure.type === FailureType.NoConnector) return 'unreached';
  if (failure.type === FailureType.ProviderOutcomeUnknown) return 'unknown';
  return failure.nonRetryable ? 'refused' : 'unknown';
}

/** The next connector to try for a method: the first by priority not tried yet in this choice; null when none is left. */
export const nextConnector = (connectors: readonly string[], tried: readonly string[]): string | null =>
  connectors.find((id) => !tried.includes(id)) ?? null;

/**
 * What an attempt's row says after a create try, given what an earlier try of the same attempt
 * left: an outcome once unknown stays unknown (a later try that did not reach the provider cannot
 * prove the earlier one made nothing).
 */
export function attemptStatusAfterCreate(
  previous: AttemptStatus | null,
  result: 'created' | 'refused' | 'unreachable' | 'unknown',
): AttemptStatus {
  if (result === 'created' || result === 'refused') return result;
  return previous === 'unknown' ? 'unknown' : result;
}

/** The circuit breaker's settings: trip after `failures` failed creates within `windowSeconds`, probe `probeSeconds` after. */
export interface BreakerSettings {
  failures: number;
  windowSeconds: number;
  probeSeconds: number;
}

export const defaultBreakerSettings: BreakerSettings = { failures: 5, windowSeconds: 60, probeSeconds: 30 };

/** Attempt statuses that count against a connector: it was not reached or did not answer; a refusal is an answer. */
export const breakerCountedStatuses: readonly AttemptStatus[] = ['unreachable', 'unknown'];

/** Whether an active connector with `recentFailures` failed creates in the window pauses itself now. */
export const breakerTrips = (
  connector: { status: 'active' | 'paused' },
  recentFailures: number,
  settings: BreakerSettings,
) => connector.status === 'active' && recentFailures >= settings.failures;

/** Whether a connector the breaker paused is due for its probe: its cool-down since `pausedAt` is over. */
export const probeDue = (
  connector: { status: 'active' | 'paused'; pausedReason: string | null; pausedAt: Date | null },
  now: Date,
  settings: BreakerSettings,
) =>
  connector.status === 'paused' &&
  connector.pausedReason === 'circuit_breaker' &&
  connector.pausedAt !== null &&
  now.getTime() - connector.pausedAt.getTime() >= settings.probeSeconds * 1000;

/** Who decided a late success's refund, in the exception's decisions: the checkout's setting. */
export const lateSuccessOperator = 'kassa (checkout late_success: refund)';
