import { type Response, Router } from 'express';
import { capturedAmount } from '../common/faults';
import { Html, decisionForms, formatAmount, markup, sendPage } from '../common/pages';
import { faultOf, type StripeContext } from './context';
import { intentObject, sessionObject } from './objects';
import type { PaymentIntent, Session } from './store';
import { stripeId } from './store';
import { publish, stripeEvent, underFault, unixSeconds } from './webhooks';

/** Stripe's hosted Checkout look: the order on the left, the payment form on the right. */
const style = new Html(
  'body{margin:0;font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#fff}' +
    '.wrap{display:flex;flex-wrap:wrap;max-width:920px;margin:0 auto;min-height:100vh}' +
    '.order{flex:1 1 360px;padding:3rem 2.5rem;background:#f6f9fc}' +
    '.pay{flex:1 1 360px;padding:3rem 2.5rem;box-shadow:-10px 0 20px -15px rgba(0,0,0,.15)}' +
    '.back{color:#6b7280;text-decoration:none;font-size:.9rem}' +
    '.badge{display:inline-block;margin-left:.5rem;padding:.1rem .45rem;border-radius:4px;background:#ffde92;color:#a04b00;font-size:.7rem;font-weight:600;text-transform:uppercase}' +
    '.total{font-size:2.25rem;font-weight:600;margin:.5rem 0 1.5rem}' +
    '.item{display:flex;justify-content:space-between;font-size:.95rem;padding:.25rem 0}' +
    'label{display:block;font-size:.85rem;color:#4b5563;margin:1rem 0 .3rem}' +
    'input{width:100%;box-sizing:border-box;padding:.6rem .7rem;border:1px solid #d1d5db;border-radius:6px;font-size:1rem;background:#fff}' +
    '.row{display:flex;gap:.5rem}.row input{flex:1}' +
    'form{margin-top:1.25rem}' +
    'button{width:100%;padding:.8rem;border:0;border-radius:6px;font-size:1rem;font-weight:600;cursor:pointer;background:#0074d4;color:#fff}' +
    'form+form button{background:#fff;color:#b42318;border:1px solid #f1b4ae;font-weight:500}' +
    '.error{margin-top:1rem;padding:.7rem;border-radius:6px;background:#fdecea;color:#b42318;font-size:.9rem}' +
    '.note{margin-top:1.5rem;color:#6b7280;font-size:.8rem}',
);

function amountOf(minor: number, currency: string): string {
  return formatAmount(String(minor), currency.toUpperCase());
}

function sendCheckoutPage(res: Response, session: Session, intent: PaymentIntent | undefined): void {
  const total = amountOf(session.amountTotal, session.currency);
  const items = session.lineItems.map(
    (item) =>
      markup`<div class="item"><span>${item.name}${item.quantity > 1 ? ` × ${item.quantity}` : ''}</span><span>${amountOf(item.unitAmount * item.quantity, session.currency)}</span></div>`,
  );
  const back = session.cancelUrl ? markup`<a class="back" href="${session.cancelUrl}">← Back</a>` : markup``;
  const order = markup`<div class="order">${back}<p>Kassa test account<span class="badge">Test mode</span></p><p>Pay</p><div class="total">${total}</div>${items}</div>`;
  let form: Html;
  if (session.status === 'open') {
    const declined = intent?.lastPaymentError
      ? markup`<div class="error" role="alert">${intent.lastPaymentError.message}</div>`
      : markup``;
    form = markup`<h2>Pay with card</h2>
<label>Email</label><input type="email" value="buyer@example.com" readonly>
<label>Card information</label><input value="4242 4242 4242 4242" readonly><div class="row"><input value="12 / 34" readonly><input value="123" readonly></div>
<label>Cardholder name</label><input value="Test Buyer" readonly>${declined}
${decisionForms(`/c/pay/${encodeURIComponent(session.id)}`, { approve: `Pay ${total}`, decline: 'Pay with a declined card (4000 0000 0000 0002)' })}
<p class="note">Stripe simulator: no card is charged. Pay completes the Checkout Session; the declined card fails the payment and leaves the session open, as Stripe does.</p>`;
  } else if (session.status === 'complete') {
    form = markup`<h2>Thanks for your payment</h2><p>This Checkout Session is complete.</p>`;
  } else {
    form = markup`<h2>This Checkout Session is no longer available</h2><p>It has expired.</p>`;
  }
  sendPage(res, 200, `Pay ${total}`, markup`<div class="wrap">${order}<div class="pay">${form}</div></div>`, style);
}

function notOpen(res: Response, session: Session | undefined): void {
  if (!session)
    return sendPage(
      res,
      404,
      'Not found',
      markup`<h1>Something went wrong</h1><p>The page you were looking for could not be found.</p>`,
    );
  sendPage(res, 409, 'Not open', markup`<h1>This Checkout Session is ${session.status}</h1>`);
}

/**
 * The hosted Checkout page, `GET /c/pay/:id`, and its two choices. `POST /c/pay/:id/approve` pays:
 * the session becomes `complete` and `paid` with a succeeded PaymentIntent; `payment_intent.created`,
 * `payment_intent.succeeded` and `checkout.session.completed` are sent; the buyer goes (303) to
 * `success_url` with `{CHECKOUT_SESSION_ID}` filled in. `POST /c/pay/:id/decline` is a declined card:
 * the PaymentIntent fails (`payment_intent.payment_failed`), the session stays open and the page
 * says so; the buyer may pay again or go back to `cancel_url`.
 */
export function checkoutRoutes(context: StripeContext): Router {
  const { store, log } = context;
  const router = Router();

  const intentFor = (session: Session): { intent: PaymentIntent; isNew: boolean } => {
    const known = session.paymentIntentId ? store.intents.get(session.paymentIntentId) : undefined;
    if (known) return { intent: known, isNew: false };
    const intent: PaymentIntent = {
      id: stripeId('pi'),
      created: unixSeconds(),
      amount: session.amountTotal,
      amountReceived: 0,
      currency: session.currency,
      status: 'requires_payment_method',
      metadata: session.paymentIntentMetadata,
      lastPaymentError: null,
      latestCharge: null,
    };
    store.intents.set(intent.id, intent);
    session.paymentIntentId = intent.id;
    return { intent, isNew: true };
  };

  router.get('/c/pay/:id', (req, res) => {
    const session = store.sessions.get(String(req.params.id));
    if (!session) return notOpen(res, undefined);
    sendCheckoutPage(res, session, session.paymentIntentId ? store.intents.get(session.paymentIntentId) : undefined);
  });

  router.post('/c/pay/:id/approve', (req, res) => {
    const session = store.sessions.get(String(req.params.id));
    if (!session || session.status !== 'open') return notOpen(res, session);
    const fault = faultOf(context, session);
    session.amountTotal = Number(capturedAmount(String(session.amountSubtotal), fault));
    const { intent, isNew } = intentFor(session);
    const events = isNew ? [stripeEvent('payment_intent.created', intentObject(intent))] : [];
    intent.amount = session.amountTotal;
    intent.amountReceived = session.amountTotal;
    intent.status = 'succeeded';
    intent.lastPaymentError = null;
    intent.latestCharge = stripeId('ch');
    session.status = 'complete';
    session.paymentStatus = 'paid';
    events.push(
      stripeEvent('payment_intent.succeeded', intentObject(intent)),
      stripeEvent('checkout.session.completed', sessionObject(session)),
    );
    log(`checkout session ${session.id} paid: ${session.amountTotal} ${session.currency}`);
    publish(store, context.sender, session.id, fault, underFault(events, fault));
    const success = (session.successUrl ?? '').replaceAll('{CHECKOUT_SESSION_ID}', session.id);
    if (!success) return sendPage(res, 200, 'Paid', markup`<h1>Thanks for your payment</h1>`);
    res.redirect(303, success);
  });

  router.post('/c/pay/:id/decline', (req, res) => {
    const session = store.sessions.get(String(req.params.id));
    if (!session || session.status !== 'open') return notOpen(res, session);
    const fault = faultOf(context, session);
    const { intent, isNew } = intentFor(session);
    const events = isNew ? [stripeEvent('payment_intent.created', intentObject(intent))] : [];
    intent.status = 'requires_payment_method';
    intent.lastPaymentError = {
      type: 'card_error',
      code: 'card_declined',
      decline_code: 'generic_decline',
      message: 'Your card was declined.',
    };
    events.push(stripeEvent('payment_intent.payment_failed', intentObject(intent)));
    log(`checkout session ${session.id}: card declined`);
    publish(store, context.sender, session.id, fault, underFault(events, fault));
    res.redirect(303, `/c/pay/${encodeURIComponent(session.id)}`);
  });

  return router;
}
