import { Router } from 'express';
import type { z } from 'zod';
import { paymentResource } from '../../domain/payment-resource';
import {
  type CheckoutSettingsInput,
  changeCheckout,
  type OpenCheckoutInput,
  getCheckout,
  openCheckout,
  quoteCheckoutMethods,
  rotateCheckoutSecret,
  setCheckoutPricing,
} from '../../services/checkouts';
import type { ServiceDeps } from '../../services/deps';
import {
  getKey,
  getMerchant,
  issueKey,
  listKeys,
  onboardMerchant,
  revokeKey,
  rotateKey,
} from '../../services/merchants';
import {
  cancelPayment,
  createPayment,
  getPayment,
  listMerchantPayments,
  listPaymentEvents,
} from '../../services/payments';
import { verifySite } from '../../services/site-verification';
import { principalOf, requireAdmin, requireMerchant } from '../auth';
import { idempotency, idempotencyOf } from '../idempotency';
import { rateLimit } from '../rate-limit';
import {
  createCheckoutBody,
  createMerchantBody,
  createPaymentBodyFor,
  emptyBody,
  issueKeyBody,
  listPaymentsQuery,
  methodsQuery,
  updateCheckoutBody,
  updatePricingBody,
} from '../schemas';

type NewCheckoutBody = z.infer<typeof createCheckoutBody>;
type CheckoutBody = z.infer<typeof updateCheckoutBody>;
type PricingBody = z.infer<typeof updatePricingBody>;
type PaymentBody = z.infer<ReturnType<typeof createPaymentBodyFor>>;

function checkoutSettings(body: NewCheckoutBody): OpenCheckoutInput;
function checkoutSettings(body: CheckoutBody): CheckoutSettingsInput;
function checkoutSettings(body: CheckoutBody): CheckoutSettingsInput {
  return {
    name: body.name,
    siteUrl: body.site_url,
    currencies: body.currencies,
    notifyUrl: body.notify_url,
    successUrl: body.success_url,
    failUrl: body.fail_url,
    pendingUrl: body.pending_url,
    feePayer:
      typeof body.fee_payer === 'object'
        ? { type: 'split', buyerPercent: body.fee_payer.buyer_percent }
        : body.fee_payer,
    methods:
      body.methods &&
      body.methods.map((method) => ({
        method: method.method,
        currencies: method.currencies,
        minAmount: method.min_amount,
        maxAmount: method.max_amount,
      })),
  };
}

const pricingInput = (body: PricingBody) => ({ fee: body.fee, methodFees: body.method_fees });

const paymentInput = (body: PaymentBody) => ({
  checkoutId: body.checkout_id,
  orderId: body.order_id,
  amount: body.amount,
  currency: body.currency,
  description: body.description,
  method: body.method,
  expiresIn: body.expires_in,
  delivery: body.delivery,
  buyerEmail: body.buyer?.email,
  metadata: body.metadata,
});

/** The operator API (docs/api.md §4): merchants, their API keys, checkout pricing. */
export function operatorRoutes(deps: ServiceDeps): Router {
  const router = Router();
  router.use(requireAdmin(deps.config.adminToken!));
  router.use(rateLimit(deps.config.rateLimitPerMinute, () => 'operator'));

  router.post('/merchants', async (req, res) => {
    res.status(201).json(await onboardMerchant(deps, createMerchantBody.parse(req.body)));
  });
  router.get('/merchants/:id', async (req, res) => {
    res.json(await getMerchant(deps, req.params.id));
  });
  router.get('/merchants/:id/keys', async (req, res) => {
    res.json(await listKeys(deps, req.params.id));
  });
  router.post('/merchants/:id/keys', async (req, res) => {
    res.status(201).json(await issueKey(deps, req.params.id, issueKeyBody.parse(req.body).mode));
  });
  router.post('/merchants/:id/keys/:key_id/rotate', async (req, res) => {
    emptyBody.parse(req.body ?? {});
    res.status(201).json(await rotateKey(deps, req.params.id, req.params.key_id));
  });
  router.post('/merchants/:id/keys/:key_id/revoke', async (req, res) => {
    emptyBody.parse(req.body ?? {});
    res.json(await revokeKey(deps, req.params.id, req.params.key_id));
  });
  router.get('/keys/:key_id', async (req, res) => {
    res.json(await getKey(deps, req.params.key_id));
  });
  router.patch('/checkouts/:id', async (req, res) => {
    res.json(await setCheckoutPricing(deps, req.params.id, pricingInput(updatePricingBody.parse(req.body))));
  });
  return router;
}

/** The merchant API (docs/api.md §5): every resource is the calling merchant's, in the key's mode. */
export function merchantRoutes(deps: ServiceDeps): Router {
  const router = Router();
  const { publicUrl } = deps.config;
  const createPaymentBody = createPaymentBodyFor(deps.config.minExpiresInSeconds);
  router.use(requireMerchant(deps.db));
  router.use(rateLimit(deps.config.rateLimitPerMinute, (_req, res) => principalOf(res).keyId));
  router.use(idempotency(deps.db, deps.config));

  router.post('/checkouts', async (req, res) => {
    res
      .status(201)
      .json(await openCheckout(deps, principalOf(res), checkoutSettings(createCheckoutBody.parse(req.body))));
  });
  router.get('/checkouts/:id', async (req, res) => {
    res.json(await getCheckout(deps, principalOf(res), req.params.id));
  });
  router.patch('/checkouts/:id', async (req, res) => {
    res.json(
      await changeCheckout(deps, principalOf(res), req.params.id, checkoutSettings(updateCheckoutBody.parse(req.body))),
    );
  });
  router.get('/checkouts/:id/methods', async (req, res) => {
    res.json(await quoteCheckoutMethods(deps, principalOf(res), req.params.id, methodsQuery.parse(req.query)));
  });
  router.post('/checkouts/:id/rotate_secret', async (req, res) => {
    emptyBody.parse(req.body ?? {});
    res.json(await rotateCheckoutSecret(deps, principalOf(res), req.params.id));
  });
  router.post('/checkouts/:id/verify', async (req, res) => {
    emptyBody.parse(req.body ?? {});
    const { started, checkout } = await verifySite(deps, principalOf(res), req.params.id);
    res.status(started ? 202 : 200).json(checkout);
  });

  router.post('/payments', async (req, res) => {
    const payment = await createPayment(
      deps,
      principalOf(res),
      paymentInput(createPaymentBody.parse(req.body)),
      idempotencyOf(res),
    );
    res.status(201).json(paymentResource(payment, publicUrl));
  });
  router.get('/payments', async (req, res) => {
    const query = listPaymentsQuery.parse(req.query);
    const { payments, hasMore } = await listMerchantPayments(deps, principalOf(res), {
      checkoutId: query.checkout_id,
      status: query.status,
      limit: query.limit,
      startingAfter: query.starting_after,
    });
    res.json({
      object: 'list',
      data: payments.map((payment) => paymentResource(payment, publicUrl)),
      has_more: hasMore,
    });
  });
  router.get('/payments/:id', async (req, res) => {
    res.json(paymentResource(await getPayment(deps, principalOf(res), req.params.id), publicUrl));
  });
  router.post('/payments/:id/cancel', async (req, res) => {
    emptyBody.parse(req.body ?? {});
    res.json(paymentResource(await cancelPayment(deps, principalOf(res), req.params.id), publicUrl));
  });
  router.get('/payments/:id/events', async (req, res) => {
    const events = await listPaymentEvents(deps, principalOf(res), req.params.id);
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
