import { Router } from 'express';
import { findCheckout } from '../../db/checkouts';
import { listEventsWithAttempts } from '../../db/events';
import { findPayment, listPayments } from '../../db/payments';
import { paymentResource } from '../../domain/payment-resource';
import type { ServiceDeps } from '../../services/deps';
import { changeCheckout, checkoutResource, checkoutSettings, openCheckout } from '../../services/merchants';
import { cancelPayment, createPayment } from '../../services/payments';
import { principalOf, requireAdmin, requireMerchant } from '../auth';
import { notFound } from '../errors';
import { createCheckoutBody, createMerchantBody, createPaymentBodyFor, listPaymentsQuery, updateCheckoutBody } from '../schemas';
import { onboardMerchant } from '../../services/merchants';

export function operatorRoutes(deps: ServiceDeps): Router {
  const router = Router();
  router.use(requireAdmin(deps.config.adminToken!));
  router.post('/merchants', async (req, res) => {
    res.status(201).json(await onboardMerchant(deps, createMerchantBody.parse(req.body)));
  });
  return router;
}

export function merchantRoutes(deps: ServiceDeps): Router {
  const router = Router();
  const { publicUrl } = deps.config;
  const createPaymentBody = createPaymentBodyFor(deps.config.minExpiresInSeconds);
  router.use(requireMerchant(deps.db));

  router.post('/checkouts', async (req, res) => {
    const body = createCheckoutBody.parse(req.body);
    res.status(201).json(await openCheckout(deps, principalOf(res), checkoutSettings(body) as Required<ReturnType<typeof checkoutSettings>>));
  });
  router.get('/checkouts/:id', async (req, res) => {
    const checkout = await findCheckout(deps.db, principalOf(res), req.params.id);
    if (!checkout) throw notFound('checkout', 'id');
    res.json(checkoutResource(checkout));
  });
  router.patch('/checkouts/:id', async (req, res) => {
    res.json(await changeCheckout(deps, principalOf(res), req.params.id, checkoutSettings(updateCheckoutBody.parse(req.body))));
  });

  router.post('/payments', async (req, res) => {
    const payment = await createPayment(deps, principalOf(res), createPaymentBody.parse(req.body));
    res.status(201).json(paymentResource(payment, publicUrl));
  });
  router.get('/payments', async (req, res) => {
    const query = listPaymentsQuery.parse(req.query);
    const { payments, hasMore } = await listPayments(deps.db, {
      ...principalOf(res),
      checkoutId: query.checkout_id,
      status: query.status,
      limit: query.limit,
      startingAfter: query.starting_after,
    });
    res.json({ object: 'list', data: payments.map((payment) => paymentResource(payment, publicUrl)), has_more: hasMore });
  });
  router.get('/payments/:id', async (req, res) => {
    const payment = await findPayment(deps.db, principalOf(res), req.params.id);
    if (!payment) throw notFound('payment', 'id');
    res.json(paymentResource(payment, publicUrl));
  });
  router.post('/payments/:id/cancel', async (req, res) => {
    res.json(paymentResource(await cancelPayment(deps, principalOf(res), req.params.id), publicUrl));
  });
  router.get('/payments/:id/events', async (req, res) => {
    const payment = await findPayment(deps.db, principalOf(res), req.params.id);
    if (!payment) throw notFound('payment', 'id');
    const events = await listEventsWithAttempts(deps.db, payment.id);
    res.json({
      object: 'list',
      data: events.map((event) => ({
        id: event.id,
        object: 'event',
        type: event.type,
        created_at: event.createdAt.toISOString(),
        delivered_at: event.deliveredAt?.toISOString() ?? null,
        data: JSON.parse(event.body).data,
        attempts: event.attempts.map((attempt) => ({
          attempt: attempt.attempt,
          url: attempt.url,
          attempted_at: new Date(attempt.attemptedAt).toISOString(),
          status_code: attempt.statusCode,
          latency_ms: attempt.latencyMs,
          error: attempt.error,
        })),
      })),
      has_more: false,
    });
  });
  return router;
}
