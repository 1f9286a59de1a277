import { Router } from 'express';
import { type SandboxContext, idempotencyKeyOf } from '../context';
import { idempotencyMismatch, invalidRequest, notFound, parseInput } from '../errors';
import { createRefundSchema } from '../schemas';
import { type StoredPayment, type StoredRefund, fingerprintOf, newId } from '../store';
import { refundView } from '../views';

/**
 * Refunds of captured payments, `POST /api/refunds` and `GET /api/refunds/:id`: never more in
 * total than was captured; the fault `refund_fails` makes them `failed` with `refund_declined`.
 */
export function refundRoutes({ store, faults, log }: SandboxContext): Router {
  const router = Router();

  const refundable = (paymentId: string, amountMinor: string): StoredPayment => {
    const payment = store.payments.get(paymentId);
    if (!payment) throw notFound(`no payment ${paymentId}`, 'payment_id');
    if (payment.status !== 'succeeded') {
      throw invalidRequest('payment_not_captured', `payment ${payment.id} is ${payment.status}`, 'payment_id');
    }
    const refunded = store.refundedMinor(payment.id);
    if (refunded + BigInt(amountMinor) > BigInt(payment.amountMinor)) {
      const message = `payment ${payment.id} captured ${payment.amountMinor} and has ${refunded} refunded already`;
      throw invalidRequest('amount_too_large', message, 'amount_minor');
    }
    return payment;
  };

  router.post('/api/refunds', (req, res) => {
    const key = idempotencyKeyOf(req);
    const body = parseInput(createRefundSchema, req.body);
    const fingerprint = fingerprintOf(body);
    const known = store.refundKeys.recall(key, fingerprint);
    if (known) {
      if (!known.sameBody) throw idempotencyMismatch();
      res.status(200).json(refundView(store.refunds.get(known.id)!));
      return;
    }
    const payment = refundable(body.payment_id, body.amount_minor);
    const fails = faults.for(payment.reference).refund_fails === true;
    const refund: StoredRefund = {
      id: newId('sr'),
      paymentId: payment.id,
      reference: body.reference,
      amountMinor: body.amount_minor,
      currency: payment.currency,
      status: fails ? 'failed' : 'succeeded',
      ...(fails && { failureReason: 'refund_declined' }),
      createdAt: new Date(),
    };
    store.refunds.set(refund.id, refund);
    store.refundKeys.remember(key, fingerprint, refund.id);
    log(
      `refund ${refund.id} (${refund.reference}) of ${payment.id}: ${refund.amountMinor} ${refund.currency} ${refund.status}`,
    );
    res.status(201).json(refundView(refund));
  });

  router.get('/api/refunds/:id', (req, res) => {
    const refund = store.refunds.get(String(req.params.id));
    if (!refund) throw notFound(`no refund ${String(req.params.id)}`, 'id');
    res.json(refundView(refund));
  });

  return router;
}
