/**
 * Exceptions and operators' decisions on them (`/admin/exceptions…`, operator token): money a
 * provider took that Kassa has not settled, and flagged provider callbacks. Each decision is
 * stored with who and when, then carried out by `reviewDecisionWorkflow`.
 */
import {
  type ExceptionDecision,
  type ExceptionFilter,
  findException,
  insertDecision,
  listExceptions,
  type StoredException,
} from '../db/exceptions';
import { type DecisionAction, exceptionIdPattern, type ProviderCapture, reviewRefundId } from '../domain/exceptions';
import { randomToken } from '../domain/ids';
import { formatAmount } from '../domain/money';
import { openStatuses } from '../domain/payment';
import { DomainError, notFound } from '../domain/errors';
import { providerCaptures, providerNameOf } from '../providers/captures';
import { reviewDecision } from '../temporal/definitions';
import { startWorkflow } from '../temporal/start';
import { reviewWorkflowId } from '../workflows/review-shared';
import { listResource } from '../resources/list';
import type { ServiceDeps } from './deps';

const decided = (message: string, decision: ExceptionDecision) =>
  new DomainError('conflict', 'exception_decided', message, undefined, {
    decision: decisionResource(decision),
  });

function decisionResource(decision: ExceptionDecision) {
  const money = (minor: string, currency: string) => formatAmount(BigInt(minor), currency);
  const { captured, refunds, acknowledged } = decision.outcome ?? {};
  return {
    id: decision.id,
    object: 'exception_decision' as const,
    exception_id: decision.exceptionId,
    action: decision.action,
    operator: decision.operator,
    decided_at: decision.decidedAt.toISOString(),
    status: decision.status,
    completed_at: decision.completedAt?.toISOString() ?? null,
    failure_reason: decision.failureReason,
    outcome: decision.outcome && {
      ...(captured && {
        captured: {
          provider_payment_id: captured.providerPaymentId,
          amount: money(captured.amountMinor, captured.currency),
          currency: captured.currency,
          fee: money(captured.feeMinor, captured.currency),
          merchant_net: money(captured.merchantNetMinor, captured.currency),
        },
      }),
      ...(refunds && {
        refunds: refunds.map((refund) => ({
          reference: refund.refundId,
          provider_refund_id: refund.providerRefundId,
          provider_payment_id: refund.providerPaymentId,
          amount: money(refund.amountMinor, refund.currency),
          currency: refund.currency,
          status: refund.state,
          failure_reason: refund.failureReason ?? null,
        })),
      }),
      ...(acknowledged && { acknowledged: true }),
    },
    workflow_id: decision.workflowId,
  };
}

function exceptionResource(
  exception: StoredException,
  captures: ProviderCapture[] | null,
  providerError: string | null,
) {
  const { payment } = exception;
  const standing = exception.decisions.find((decision) => decision.status !== 'failed') ?? null;
  return {
    id: exception.id,
    object: 'exception' as const,
    kind: exception.kind,
    status: standing ? ('decided' as const) : ('open' as const),
    since: exception.since.toISOString(),
    payment_id: exception.paymentId,
    merchant_id: payment?.merchantId ?? null,
    test_mode: payment?.testMode ?? null,
    payment_status: payment?.status ?? null,
    reason: payment?.failureReason ?? null,
    amount: payment ? formatAmount(payment.amountMinor, payment.currency) : null,
    currency: payment?.currency ?? null,
    expected_total: payment?.buyerTotalMinor != null ? formatAmount(payment.buyerTotalMinor, payment.currency) : null,
    provider_payment_id: payment?.providerPaymentId ?? null,
    provider_captured:
      captures?.map((capture) => ({
        provider: capture.provider,
        provider_payment_id: capture.providerPaymentId,
        amount: formatAmount(capture.amountMinor, capture.currency),
        currency: capture.currency,
        captured_at: capture.capturedAt,
        refunded_elsewhere: formatAmount(capture.refundedMinor, capture.currency),
        refunded_on_review: formatAmount(capture.reviewRefundedMinor, capture.currency),
        review_refund_reference: reviewRefundId(capture.providerPaymentId),
      })) ?? null,
    provider_error: providerError,
    flags: exception.flags.map((flag) => ({
      provider: flag.provider,
      event_id: flag.eventId,
      state: flag.state,
      flag: flag.flag,
      received_at: flag.receivedAt.toISOString(),
    })),
    decision: standing && decisionResource(standing),
    decisions: exception.decisions.map(decisionResource),
  };
}

/** Each exception with what its provider reports it captured (one report per provider per call). */
async function withCaptures(deps: ServiceDeps, exceptions: StoredException[]) {
  const byProvider = new Map<string, StoredException[]>();
  for (const exception of exceptions) {
    const name = exception.paymentId
      ? providerNameOf(deps.providers, exception.payment?.method ?? null, exception.flags[0]?.provider)
      : null;
    if (name) byProvider.set(name, [...(byProvider.get(name) ?? []), exception]);
  }
  const captures = new Map<string, ProviderCapture[]>();
  const errors = new Map<string, string>();
  for (const [name, group] of byProvider) {
    const from = new Date(
      Math.min(...group.map((exception) => (exception.payment?.createdAt ?? exception.since).getTime())),
    );
    try {
      for (const capture of await providerCaptures(
        deps.providers,
        name,
        group.map((exception) => exception.paymentId!),
        from,
      )) {
        captures.set(capture.paymentId, [...(captures.get(capture.paymentId) ?? []), capture]);
      }
    } catch (error) {
      for (const exception of group) errors.set(exception.id, `${name} did not report: ${(error as Error).message}`);
    }
  }
  return exceptions.map((exception) =>
    exceptionResource(
      exception,
      errors.has(exception.id) || !exception.paymentId ? null : (captures.get(exception.paymentId) ?? []),
      errors.get(exception.id) ?? null,
    ),
  );
}

/** Exceptions, newest first, with what the provider reports it captured; open ones unless asked otherwise. */
export async function listOperatorExceptions(deps: ServiceDeps, filter: ExceptionFilter) {
  const { exceptions, hasMore } = await listExceptions(deps.db, filter);
  return listResource(await withCaptures(deps, exceptions), hasMore);
}

async function exceptionOrNotFound(deps: ServiceDeps, id: string): Promise<StoredException> {
  const exception = exceptionIdPattern.test(id) ? await findException(deps.db, id) : null;
  if (!exception) throw notFound('exception', 'id');
  return exception;
}

/** One exception with its decisions. */
export async function getOperatorException(deps: ServiceDeps, id: string) {
  const [resource] = await withCaptures(deps, [await exceptionOrNotFound(deps, id)]);
  return resource!;
}

/**
 * Records an operator's decision and starts carrying it out. The same decision by the same
 * operator again (a retried request) answers the one recorded; any other decision on an
 * exception that has one that did not fail is a `409`. Either way a recorded decision whose
 * workflow never started (the recording request died) is started then. No decision is recorded
 * while the exception's payment is still open (`409 payment_open`): its purchase workflow owns
 * the money until it closes, and may yet settle a capture a refund would give back.
 */
export async function decideException(deps: ServiceDeps, id: string, action: DecisionAction, operator: string) {
  const exception = await exceptionOrNotFound(deps, id);
  /** Carries a recorded decision out, at most once: also when the request that recorded it died before starting it. */
  const carryOut = async (decision: ExceptionDecision) => {
    if (decision.status !== 'pending') return;
    await startWorkflow(deps, reviewDecision, { decision, merchantId: exception.payment?.merchantId ?? null });
  };
  const sameOrConflict = async (standing: ExceptionDecision) => {
    await carryOut(standing);
    if (standing.action === action && standing.operator === operator) return standing;
    const when = standing.decidedAt.toISOString();
    throw decided(
      `exception ${exception.id} was decided already: ${standing.action} by ${standing.operator} at ${when}`,
      standing,
    );
  };
  let decision = exception.decisions.find((candidate) => candidate.status !== 'failed');
  if (decision) decision = await sameOrConflict(decision);
  else {
    if (exception.payment && openStatuses.includes(exception.payment.status)) {
      throw new DomainError(
        'conflict',
        'payment_open',
        `payment ${exception.paymentId} is ${exception.payment.status}: its purchase workflow owns its money until it closes, ` +
          'decide once it has',
      );
    }
    if (
      action === 'accept' &&
      exception.payment?.failureReason === 'currency_mismatch' &&
      exception.kind === 'under_review'
    ) {
      throw new DomainError(
        'conflict',
        'exception_not_acceptable',
        `payment ${exception.paymentId} was captured in another currency: it can only be refunded`,
      );
    }
    const decisionId = `dec_${randomToken(20)}`;
    const recorded = await insertDecision(deps.db, {
      id: decisionId,
      exceptionId: exception.id,
      kind: exception.kind,
      paymentId: exception.paymentId,
      action,
      operator,
      workflowId: reviewWorkflowId(exception.id, decisionId),
    });
    decision = await sameOrConflict(recorded.decision);
  }
  return decisionResource(decision);
}
