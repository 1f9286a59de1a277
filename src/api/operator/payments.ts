import { cancelAsOperator, inspectPayment, recheckProvider, resendEvent } from '../../services/operator';
import { operatorRoute } from '../route';
import { ignoredBody, operatorActionResult } from '../schemas';

const seeOperations = { description: 'See docs/operations.md', schema: operatorActionResult };

/** Operator actions on any payment (docs/operations.md): they read no body. */
export const paymentActionRoutes = [
  operatorRoute({
    method: 'get',
    path: '/payments/:id',
    tag: 'Operator',
    summary: 'Inspect any payment: its row, workflow and attempts',
    ok: { status: 200, ...seeOperations },
    handle: ({ deps, params }) => inspectPayment(deps, params.id!),
  }),
  operatorRoute({
    method: 'post',
    path: '/payments/:id/cancel',
    tag: 'Operator',
    summary: 'Cancel any open payment',
    body: ignoredBody,
    missingBody: 'ignored',
    ok: { status: 200, ...seeOperations },
    handle: ({ deps, params }) => cancelAsOperator(deps, params.id!),
  }),
  operatorRoute({
    method: 'post',
    path: '/payments/:id/events/:event_id/resend',
    tag: 'Operator',
    summary: 'Deliver a webhook event again',
    body: ignoredBody,
    missingBody: 'ignored',
    ok: { status: 200, ...seeOperations },
    handle: ({ deps, params }) => resendEvent(deps, params.id!, params.event_id!),
  }),
  operatorRoute({
    method: 'post',
    path: '/payments/:id/recheck',
    tag: 'Operator',
    summary: "Ask the provider about a payment's current attempt",
    body: ignoredBody,
    missingBody: 'ignored',
    ok: { status: 202, ...seeOperations },
    handle: ({ deps, params }) => recheckProvider(deps, params.id!),
  }),
];
