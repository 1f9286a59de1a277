import { Router } from 'express';
import { payoutResource, refundResource } from '../../domain/money-resources';
import { getBalance } from '../../services/balance';
import type { ServiceDeps } from '../../services/deps';
import { createPayout, getPayout, merchantPayouts } from '../../services/payouts';
import { latestReconciliation, runReconciliation } from '../../services/reconciliation';
import { createRefund, getRefund, paymentRefunds } from '../../services/refunds';
import { principalOf, requireAdmin, requireMerchant } from '../auth';
import { createPayoutBody, createRefundBody, listPayoutsQuery, runReconciliationBody } from '../money-schemas';

/**
 * Money: the merchant's balance, refunds and payouts under `/v1`, reconciliation under `/admin`.
 * Mounted after the merchant API, whose router has already run rate limiting and
 * `Idempotency-Key` for every `/v1` request; each route here still authenticates on its own.
 */
export function moneyRoutes(deps: ServiceDeps): Router {
  const router = Router();
  const merchant = requireMerchant(deps.db);
  const admin = requireAdmin(deps.config.adminToken!);

  router.get('/v1/balance', merchant, async (_req, res) => {
    res.json(await getBalance(deps, principalOf(res)));
  });
  router.post('/v1/payments/:id/refunds', merchant, async (req, res) => {
    const refund = await createRefund(deps, principalOf(res), req.params.id as string, createRefundBody.parse(req.body ?? {}));
    res.status(201).json(refundResource(refund));
  });
  router.get('/v1/payments/:id/refunds', merchant, async (req, res) => {
    const refunds = await paymentRefunds(deps, principalOf(res), req.params.id as string);
    res.json({ object: 'list', data: refunds.map(refundResource), has_more: false });
  });
  router.get('/v1/refunds/:id', merchant, async (req, res) => {
    res.json(refundResource(await getRefund(deps, principalOf(res), req.params.id as string)));
  });
  router.post('/v1/payouts', merchant, async (req, res) => {
    const payout = await createPayout(deps, principalOf(res), createPayoutBody.parse(req.body));
    res.status(201).json(payoutResource(payout));
  });
  router.get('/v1/payouts', merchant, async (req, res) => {
    const { limit } = listPayoutsQuery.parse(req.query);
    const payouts = await merchantPayouts(deps, principalOf(res), limit + 1);
    res.json({ object: 'list', data: payouts.slice(0, limit).map(payoutResource), has_more: payouts.length > limit });
  });
  router.get('/v1/payouts/:id', merchant, async (req, res) => {
    res.json(payoutResource(await getPayout(deps, principalOf(res), req.params.id as string)));
  });

  router.get('/admin/reconciliation', admin, async (_req, res) => {
    res.json(await latestReconciliation(deps));
  });
  router.post('/admin/reconciliation/runs', admin, async (req, res) => {
    res.json(await runReconciliation(deps, runReconciliationBody.parse(req.body ?? {})));
  });
  return router;
}
