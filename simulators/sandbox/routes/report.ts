import { Router } from 'express';
import type { SandboxContext } from '../context';
import { parseInput } from '../errors';
import { reportQuerySchema } from '../schemas';
import type { StoredPayment } from '../store';
import { capturedPaymentView, payoutView, refundView } from '../views';

/**
 * `GET /api/report?from=&to=` (ISO 8601): what the provider did in [from, to), for reconciliation:
 * payments captured, refunds and payouts made.
 */
export function reportRoutes({ store }: SandboxContext): Router {
  const router = Router();

  router.get('/api/report', (req, res) => {
    const query = parseInput(reportQuerySchema, req.query);
    const from = Date.parse(query.from);
    const to = Date.parse(query.to);
    const within = (date: Date | undefined) => date !== undefined && date.getTime() >= from && date.getTime() < to;
    const captured = [...store.payments.values()].filter(
      (payment): payment is StoredPayment & { capturedAt: Date } =>
        payment.status === 'succeeded' && within(payment.capturedAt),
    );
    res.json({
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      payments: captured.map(capturedPaymentView),
      refunds: [...store.refunds.values()].filter((refund) => within(refund.createdAt)).map(refundView),
      payouts: [...store.payouts.values()].filter((payout) => within(payout.createdAt)).map(payoutView),
    });
  });

  return router;
}
