import { cancelAsOperator, inspectPayment, recheckProvider, resendEvent } from '../../services/operator';
import { z } from 'zod';
import { listResource } from '../../resources/list';
import { attemptResource, connectorEventResource } from '../../resources/attempt';
import { listAttemptsAsOperator, listConnectorEvents } from '../../services/attempts';
import { attemptList } from '../merchant/payments';
import { operatorRoute } from '../route';
import { ignoredBody, operatorActionResult } from '../schemas';

const connectorEventList = z.object({
  object: z.literal('list'),
  data: z.array(
    z.object({
      object: z.literal('connector_event'),
      id: z.string(),
      connector_id: z.string(),
      kind: z.enum(['breaker_tripped', 'probe_failed', 'breaker_resumed']),
      detail: z.record(z.string(), z.unknown()),
      created_at: z.string(),
    }),
  ),
  has_more: z.boolean(),
});

const connectorEventsQuery = z.strictObject({
  connector_id: z
    .string()
    .regex(/^conn_[A-Za-z0-9]+$/)
    .optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

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
    method: 'get',
    path: '/payments/:id/attempts',
    tag: 'Operator',
    summary: "Any payment's provider payment attempts: connector, reference, status, latency, error",
    ok: { status: 200, description: 'Oldest first', schema: attemptList },
    handle: async ({ deps, params }) =>
      listResource((await listAttemptsAsOperator(deps, params.id!)).map(attemptResource)),
  }),
  operatorRoute({
    method: 'get',
    path: '/connector-events',
    tag: 'Operator',
    summary: 'What happened to connectors: paused by the circuit breaker, probe failed, resumed after its probe',
    query: connectorEventsQuery,
    ok: { status: 200, description: 'Newest first', schema: connectorEventList },
    handle: async ({ deps, query }) =>
      listResource(
        (await listConnectorEvents(deps, { connectorId: query.connector_id, limit: query.limit })).map(
          connectorEventResource,
        ),
      ),
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
