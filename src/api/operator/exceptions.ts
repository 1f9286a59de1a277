import { decideException, getOperatorException, listOperatorExceptions } from '../../services/exceptions';
import {
  decisionBody,
  exceptionDecisionResource,
  exceptionList,
  exceptionResource,
  listExceptionsQuery,
} from '../exception-schemas';
import { operatorRoute } from '../route';

const decided = {
  status: 202,
  description: 'The decision, carried out by workflow `review-<exception id>-<decision id>`',
  schema: exceptionDecisionResource,
};

/** Payments held for review, late successes and flagged callbacks, and operators' decisions on them. */
export const exceptionRoutes = [
  operatorRoute({
    method: 'get',
    path: '/exceptions',
    tag: 'Operator',
    summary: 'Exceptions: money taken that Kassa has not settled, flagged callbacks',
    description:
      'Payments `under_review`, payments expired, canceled or failed that the provider says succeeded, and other flagged provider callbacks, newest first, ' +
      "each with what the provider's report says it captured and the decisions taken.",
    query: listExceptionsQuery,
    ok: { status: 200, description: 'A page of exceptions', schema: exceptionList },
    handle: async ({ deps, query }) =>
      listOperatorExceptions(deps, {
        status: query.status,
        kind: query.kind,
        merchantId: query.merchant_id,
        limit: query.limit,
        startingAfter: query.starting_after,
      }),
  }),
  operatorRoute({
    method: 'get',
    path: '/exceptions/:id',
    tag: 'Operator',
    summary: 'One exception with its decisions',
    ok: { status: 200, description: 'The exception', schema: exceptionResource },
    handle: async ({ deps, params }) => getOperatorException(deps, params.id!),
  }),
  operatorRoute({
    method: 'post',
    path: '/exceptions/:id/accept',
    tag: 'Operator',
    summary: 'Accept the money the provider took',
    description:
      'The capture the provider reports is posted to the ledger, the payment becomes `paid` and the merchant gets `payment.paid`; ' +
      'for a flagged callback the decision is recorded and nothing moves. `409` when the exception was decided otherwise, or `payment_open` ' +
      'while its payment is still open. A capture the provider has refunded any of is not accepted: the decision fails `already_refunded`.',
    body: decisionBody,
    missingBody: 'empty-documented-required',
    ok: decided,
    handle: async ({ deps, params, body }) => decideException(deps, params.id!, 'accept', body.operator),
  }),
  operatorRoute({
    method: 'post',
    path: '/exceptions/:id/refund',
    tag: 'Operator',
    summary: 'Give the money back at the provider',
    description:
      'Every capture the ledger does not hold is refunded at the provider; the ledger is not touched. A payment held for review becomes `refunded` ' +
      '(`payment.refunded`); a late success keeps its status. `409` when the exception was decided otherwise, or `payment_open` while its ' +
      'payment is still open (its purchase workflow owns it until it closes).',
    body: decisionBody,
    missingBody: 'empty-documented-required',
    ok: decided,
    handle: async ({ deps, params, body }) => decideException(deps, params.id!, 'refund', body.operator),
  }),
];
