import { Router } from 'express';
import type { SandboxContext } from '../context';
import { capturedAmount } from '../faults';
import { sendAlreadyFinal, sendCheckoutPage, sendPaymentNotFound } from '../pages';

/**
 * The buyer's hosted page, `GET /checkout/:id`, and its two buttons: `POST /checkout/:id/approve`
 * and `/decline` settle a pending payment, send its callbacks as the faults say, and redirect
 * (303) to the payment's `return_url`.
 */
export function checkoutRoutes({ store, faults, callbacks, log }: SandboxContext): Router {
  const router = Router();

  router.get('/checkout/:id', (req, res) => {
    const payment = store.payments.get(String(req.params.id));
    if (!payment) return sendPaymentNotFound(res);
    sendCheckoutPage(res, payment);
  });

  for (const [button, status] of [
    ['approve', 'succeeded'],
    ['decline', 'declined'],
  ] as const) {
    router.post(`/checkout/:id/${button}`, (req, res) => {
      const payment = store.payments.get(String(req.params.id));
      if (!payment) return sendPaymentNotFound(res);
      if (payment.status !== 'pending') return sendAlreadyFinal(res, payment);
      const fault = faults.for(payment.reference);
      payment.status = status;
      if (status === 'succeeded') {
        payment.capturedAt = new Date();
        payment.amountMinor = capturedAmount(payment.requestedAmountMinor, fault);
      } else {
        payment.declineReason = 'card_declined';
      }
      log(`payment ${payment.id} (${payment.reference}) ${status}`);
      callbacks.send(payment, fault);
      res.redirect(303, payment.returnUrl);
    });
  }

  return router;
}
