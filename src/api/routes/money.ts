import { Router } from 'express';
import type { z } from 'zod';
import { payoutResource, refundResource } from '../../domain/money-resources';
import { getBalance } from '../../services/balance';
import type { ServiceDeps } from '../../services/deps';
import { createPayout, getPayout, merchantPayouts } from '../../services/payouts';
import { latestReconciliation, runReconciliation } from '../../services/reconciliation';
import { createRefund, getRefund, paymentRefunds } from '../../services/refunds';
import { principalOf, requireAdmin, requireMerchant } from '../auth';
import { idempotencyOf } from '../idempotency';
import { createPayoutBody, createRefundBody, listPayoutsQuery, runReconciliationBody } from '../money-schemas';

const payoutInput = ({ destination, checkout_id, ...body }: z.infer<typeof createPayoutBody>) => ({
  ...body,
  checkoutId: checkout_id,
  destination: destination.type === 'card' ? destination : { type: 'wallet' as const, walletId: destination.wallet_id },
});

/**
 * Money: the merchant's balance, refunds and payouts under `/v1`, reconciliation under `/admin`.
 * Mounted after the merchant API, whose router has already rate-limited every `/v1` request and
 * taken its `Idempotency-Key`; these routes still authenticate on their own.
 */
export function moneyRoutes(deps: ServiceDeps): Router {
  const merchant = Router();
  merchant.use(requireMerchant(deps.db));
  merchant.get('/balance', async (_req, res) => {
    res.json(await getBalance(deps, principalOf(res)));
  });
  merchant.post('/payments/:id/refunds', async (req, res) => {
    const refund = await createRefund(
      deps,
      principalOf(res),
      req.params.id,
      createRefundBody.parse(req.body ?? {}),
      idempotencyOf(res),
    );
    res.status(201).json(refundResource(refund));
  });
  merchant.get('/payments/:id/refunds', async (req, res) => {
    const refunds = await paymentRefunds(deps, principalOf(res), req.params.id);
    res.json({ object: 'list', data: refunds.map(refundResource), has_more: false });
  });
  merchant.get('/refunds/:id', async (req, res) => {
    res.json(refundResource(await getRefund(deps, principalOf(res), req.params.id)));
  });
  merchant.post('/payouts', async (req, res) => {
    const payout = await createPayout(
      deps,
      principalOf(res),
      payoutInput(createPayoutBody.parse(req.body)),
      idempotencyOf(res),
    );
    res.status(201).json(payoutResource(payout));
  });
  merchant.get('/payouts', async (req, res) => {
    const { limit } = listPayoutsQuery.parse(req.query);
    const payouts = await merchantPayouts(deps, principalOf(res), limit + 1);
    res.json({ object: 'list', data: payouts.slice(0, limit).map(payoutResource), has_more: payouts.length > limit });
  });
  merchant.get('/payouts/:id', async (req, res) => {
    res.json(payoutResource(await getPayout(deps, principalOf(res), req.params.id)));
  });

  const operator = Router();
  operator.use(requireAdmin(deps.config.adminToken!));
  operator.get('/reconciliation', async (_req, res) => {
    res.json(await latestReconciliation(deps));
  });
  operator.post('/reconciliation/runs', async (req, res) => {
    res.json(await runReconciliation(deps, runReconciliationBody.parse(req.body ?? {})));
  });

  const router = Router();
  router.use('/v1', merchant);
  router.use('/admin', operator);
  return router;
}
