import { z } from 'zod';
import { attemptStatuses } from '../../domain/attempt';
import { attemptResource } from '../../resources/attempt';
import { listPaymentAttempts } from '../../services/attempts';
import { eventResource } from '../../resources/event';
import { listResource } from '../../resources/list';
import { paymentResource } from '../../resources/payment';
import {
  cancelPayment,
  createPayment,
  getPayment,
  listMerchantPayments,
  listPaymentEvents,
  type NewPaymentInput,
} from '../../services/payments';
import { merchantRoute } from '../route';
import {
  createPaymentBody,
  createPaymentBodyFor,
  emptyBody,
  eventList,
  listPaymentsQuery,
  paymentList,
  paymentResource as paymentSchema,
} from '../schemas';

/** One provider payment attempt at a connector. */
export const attemptSchema = z.object({
  object: z.literal('payment_attempt'),
  attempt: z.number().int(),
  connector_id: z.string(),
  provider: z.string(),
  method: z.string(),
  provider_reference: z.string().describe('The order number the provider sees'),
  provider_payment_id: z.string().nullable(),
  status: z.enum(attemptStatuses),
  latency_ms: z.number().int().nullable().describe("How long the provider's create took"),
  error: z.string().nullable().describe("The provider's error code, when the create failed"),
  created_at: z.string(),
});

export const attemptList = z.object({
  object: z.literal('list'),
  data: z.array(attemptSchema),
  has_more: z.boolean(),
});

const paymentInput = (body: z.output<typeof createPaymentBody>): NewPaymentInput => ({
  checkoutId: body.checkout_id,
  orderId: body.order_id,
  amount: body.amount,
  currency: body.currency,
  description: body.description,
  method: body.method,
  expiresIn: body.expires_in,
  delivery: body.delivery,
  buyerEmail: body.buyer?.email,
  locale: body.locale ?? null,
  metadata: body.metadata,
});

/** The merchant's payments (docs/api.md §5). */
export const paymentRoutes = [
  merchantRoute({
    method: 'post',
    path: '/payments',
    tag: 'Payments',
    summary: 'Create a payment',
    description: 'Live payments need a checkout whose site is verified.',
    body: createPaymentBody,
    bodyFor: (config) => createPaymentBodyFor(config.minExpiresInSeconds),
    ok: { status: 201, description: 'The payment; send the buyer to `checkout_url`', schema: paymentSchema },
    handle: async ({ deps, principal, body, idempotency }) =>
      paymentResource(await createPayment(deps, principal, paymentInput(body), idempotency), deps.config.publicUrl),
  }),
  merchantRoute({
    method: 'get',
    path: '/payments',
    tag: 'Payments',
    summary: 'List payments, newest first',
    query: listPaymentsQuery,
    ok: { status: 200, description: 'A page of payments', schema: paymentList },
    handle: async ({ deps, principal, query }) => {
      const { payments, hasMore } = await listMerchantPayments(deps, principal, {
        checkoutId: query.checkout_id,
        status: query.status,
        limit: query.limit,
        startingAfter: query.starting_after,
      });
      return listResource(
        payments.map((payment) => paymentResource(payment, deps.config.publicUrl)),
        hasMore,
      );
    },
  }),
  merchantRoute({
    method: 'get',
    path: '/payments/:id',
    tag: 'Payments',
    summary: 'A payment',
    ok: { status: 200, description: 'The payment', schema: paymentSchema },
    handle: async ({ deps, principal, params }) =>
      paymentResource(await getPayment(deps, principal, params.id!), deps.config.publicUrl),
  }),
  merchantRoute({
    method: 'post',
    path: '/payments/:id/cancel',
    tag: 'Payments',
    summary: 'Cancel a payment before it is paid',
    body: emptyBody,
    missingBody: 'empty',
    ok: { status: 200, description: 'The canceled payment', schema: paymentSchema },
    handle: async ({ deps, principal, params }) =>
      paymentResource(await cancelPayment(deps, principal, params.id!), deps.config.publicUrl),
  }),
  merchantRoute({
    method: 'get',
    path: '/payments/:id/events',
    tag: 'Payments',
    summary: "A payment's webhook events and delivery attempts",
    ok: { status: 200, description: 'Oldest first', schema: eventList },
    handle: async ({ deps, principal, params }) =>
      listResource((await listPaymentEvents(deps, principal, params.id!)).map(eventResource)),
  }),
  merchantRoute({
    method: 'get',
    path: '/payments/:id/attempts',
    tag: 'Payments',
    summary: "A payment's provider payment attempts, each at one connector",
    description:
      'Oldest first. A create refused or not reached at one connector is followed by an attempt at the next ' +
      "connector serving the method; status: created, refused, unreachable, unknown (the provider's outcome " +
      'is not known yet), succeeded, declined, canceled.',
    ok: { status: 200, description: 'Oldest first', schema: attemptList },
    handle: async ({ deps, principal, params }) =>
      listResource((await listPaymentAttempts(deps, principal, params.id!)).map(attemptResource)),
  }),
];
