/**
 * What the API and the worker share about operators' decisions on exceptions, importable
 * without pulling in workflow code.
 */
import type { DecisionAction, ExceptionKind } from '../domain/exceptions';

/** One decision is one workflow: `review-<exception id>-<decision id>`. */
export const reviewWorkflowId = (exceptionId: string, decisionId: string) => `review-${exceptionId}-${decisionId}`;

/** The input of `reviewDecisionWorkflow`; the decision itself is stored before it starts. */
export interface ReviewDecisionInput {
  decisionId: string;
  exceptionId: string;
  kind: ExceptionKind;
  action: DecisionAction;
  paymentId: string | null;
}

export interface ReviewDecisionResult {
  decisionId: string;
  status: 'applied' | 'failed';
  failureReason: string | null;
  /** The merchant event the decision raised (`payment.paid`, `payment.refunded`), if any. */
  eventId: string | null;
}
