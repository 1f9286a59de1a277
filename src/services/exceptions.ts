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
import { type DecisionAction, exceptionIdPattern, type ProviderCapture } from '../domain/exceptions';
import { randomToken } from '../domain/ids';
import { openStatuses } from '../domain/payment';
import { DomainError, notFound } from '../domain/errors';
import { providerCaptures, providerNameOf } from '../providers/captures';
import { reviewDecision } from '../temporal/definitions';
import { startWorkflow } from '../temporal/start';
import { reviewWorkflowId } from '../workflows/review-shared';
import { decisionResource, exceptionResource } from '../resources/exception';
import { listResource } from '../resources/list';
import type { ServiceDeps } from './deps';

const decided = (message: string, decision: ExceptionDecision) =>
  new DomainError('conflict', 'exception_decided', message, undefined, {
    decision: decisionResource(decision),
  });

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
