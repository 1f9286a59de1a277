import { Router } from 'express';
import { type SandboxContext, idempotencyKeyOf } from '../context';
import { idempotencyMismatch, notFound, parseInput } from '../errors';
import { createPaymentSchema } from '../schemas';
import { type StoredPayment, fingerprintOf, newId } from '../store';
import { paymentView } from '../views';

/**
 * The payments API: `POST /api/payments` (the same Idempotency-Key and body answer the same
 * payment, 200 instead of 201), `GET /api/payments/by-key/:key` (Kassa asks after a lost answer)
 * and `GET /api/payments/:id`.
 */
export function paymentRoutes({ store, log }: SandboxContext): Router {
  const router = Router();
  const find = (id: string): StoredPayment => {
    const payment = store.payments.get(id);
    if (!payment) throw notFound(`no payment ${id}`, 'id');
    return payment;
  };

  router.post('/api/payments', (req, res) => {
    const key = idempotencyKeyOf(req);
    const body = parseInput(createPaymentSchema, req.body);
    const fingerprint = fingerprintOf(body);
    const known = store.paymentKeys.recall(key, fingerprint);
    if (known) {
      if (!known.sameBody) throw idempotencyMismatch();
      res.status(200).json(paymentView(find(known.id)));
      return;
    }
    const id = newId('sp');
    const payment: StoredPayment = {
      id,
      reference: body.reference,
      method: body.method,
      status: 'pending',
      requestedAmountMinor: body.amount_minor,
      amountMinor: body.amount_minor,
      currency: body.currency,
      description: body.description,
      returnUrl: body.return_url,
      callbackUrl: body.callback_url,
      checkoutUrl: `http://${req.headers.host ?? 'localhost'}/checkout/${id}`,
      createdAt: new Date(),
    };
    store.payments.set(id, payment);
    store.paymentKeys.remember(key, fingerprint, id);
    log(
      `payment ${id} created for ${payment.reference}: ${payment.amountMinor} ${payment.currency} (${payment.method})`,
    );
    res.status(201).json(paymentView(payment));
  });

  router.get('/api/payments/by-key/:key', (req, res) => {
    const id = store.paymentKeys.idOf(String(req.params.key));
    if (id === undefined) throw notFound('no payment under this Idempotency-Key', 'key');
    res.json(paymentView(find(id)));
  });

  router.get('/api/payments/:id', (req, res) => {
    res.json(paymentView(find(String(req.params.id))));
  });

  return router;
}
