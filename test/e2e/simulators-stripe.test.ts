import Stripe from 'stripe';
import { startReceiver } from '../support/stack';
import { type StripeSimulator, startStripeSimulator, stripeSimulatorKey } from '../support/stripe-simulator';

let sim: StripeSimulator;
let stripe: Stripe;

beforeAll(async () => {
  sim = await startStripeSimulator();
  const base = new URL(sim.url);
  stripe = new Stripe(stripeSimulatorKey, {
    host: base.hostname,
    port: Number(base.port),
    protocol: 'http',
    maxNetworkRetries: 0,
    telemetry: false,
  });
}, 40_000);
afterAll(() => sim?.stop());

const sessionParams = (reference: string, amount = 1500): Stripe.Checkout.SessionCreateParams => ({
  mode: 'payment',
  line_items: [
    { quantity: 1, price_data: { currency: 'usd', unit_amount: amount, product_data: { name: 'Tea <b>' } } },
  ],
  client_reference_id: reference,
  metadata: { order: reference },
  payment_intent_data: { metadata: { order: reference } },
  success_url: 'https://shop.example/ok?session={CHECKOUT_SESSION_ID}',
  cancel_url: 'https://shop.example/back',
});

/** A receiver registered as a webhook endpoint for every event; its secret verifies what arrives. */
async function endpoint() {
  const receiver = await startReceiver();
  const { secret } = await sim.addEndpoint(receiver.url);
  const events = () =>
    receiver.received.map((request) =>
      stripe.webhooks.constructEvent(request.body, String(request.headers['stripe-signature']), secret),
    );
  return { receiver, secret, events };
}

const press = (url: string, action: 'approve' | 'decline') =>
  fetch(`${url}/${action}`, { method: 'POST', redirect: 'manual' });

describe('the Stripe simulator on its own', () => {
  test('a Checkout Session made through the SDK is open at a page of the simulator, and the SDK reads it back', async () => {
    const session = await stripe.checkout.sessions.create(sessionParams('ord-1'));
    expect(session).toMatchObject({
      object: 'checkout.session',
      status: 'open',
      payment_status: 'unpaid',
      amount_total: 1500,
      currency: 'usd',
      client_reference_id: 'ord-1',
      payment_intent: null,
    });
    expect(session.id).toMatch(/^cs_test_/);
    expect(session.url).toBe(`${sim.url}/c/pay/${session.id}`);
    const again = await stripe.checkout.sessions.retrieve(session.id, { expand: ['payment_intent'] });
    expect(again).toMatchObject({ id: session.id, status: 'open', metadata: { order: 'ord-1' } });

    const page = await fetch(session.url!);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('15.00 USD');
    expect(html).toContain('Tea &#60;b&#62;');
    expect(html).toContain(`action="/c/pay/${session.id}/approve"`);
    expect(html).toContain(`action="/c/pay/${session.id}/decline"`);
  });

  test('every API request goes to stripe-mock first: a parameter Stripe does not have is refused as stripe-mock refuses it', async () => {
    sim.mock.exchanges.length = 0;
    const refused = await sim.call('POST', '/v1/checkout/sessions', { mode: 'payment', no_such_param: 'x' });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ type: 'invalid_request_error' });
    expect(refused.body.error.message).toContain('additional properties are not allowed');
    expect(sim.mock.exchanges.map((exchange) => exchange.path)).toEqual(['/v1/checkout/sessions']);
    const noKey = await fetch(`${sim.url}/v1/checkout/sessions/cs_test_x`);
    expect(noKey.status).toBe(401);
  });

  test('an unknown session is a 404 resource_missing, as Stripe answers', async () => {
    const missing = await sim.call('GET', '/v1/checkout/sessions/cs_test_nope');
    expect(missing).toMatchObject({
      status: 404,
      body: { error: { type: 'invalid_request_error', code: 'resource_missing', param: 'session' } },
    });
  });

  test('one Idempotency-Key answers the same session again; with other parameters it is an idempotency_error', async () => {
    const first = await stripe.checkout.sessions.create(sessionParams('ord-idem'), { idempotencyKey: 'k-idem' });
    const second = await stripe.checkout.sessions.create(sessionParams('ord-idem'), { idempotencyKey: 'k-idem' });
    expect(second.id).toBe(first.id);
    await expect(
      stripe.checkout.sessions.create(sessionParams('ord-idem', 999), { idempotencyKey: 'k-idem' }),
    ).rejects.toMatchObject({ type: 'StripeIdempotencyError' });
  });

  test('Pay completes the session, sends the buyer to success_url with the session id, and signs checkout.session.completed for each endpoint', async () => {
    const hook = await endpoint();
    try {
      const session = await stripe.checkout.sessions.create(sessionParams('ord-pay'));
      const paid = await press(session.url!, 'approve');
      expect(paid.status).toBe(303);
      expect(paid.headers.get('location')).toBe(`https://shop.example/ok?session=${session.id}`);
      await hook.receiver.waitFor(3, 5000);
      const events = hook.events();
      expect(events.map((event) => event.type)).toEqual([
        'payment_intent.created',
        'payment_intent.succeeded',
        'checkout.session.completed',
      ]);
      const completed = events[2]!.data.object as Stripe.Checkout.Session;
      expect(completed).toMatchObject({
        id: session.id,
        status: 'complete',
        payment_status: 'paid',
        amount_total: 1500,
        metadata: { order: 'ord-pay' },
      });
      expect(events[2]!.livemode).toBe(false);
      const read = await stripe.checkout.sessions.retrieve(session.id, { expand: ['payment_intent'] });
      expect(read.payment_intent).toMatchObject({
        status: 'succeeded',
        amount_received: 1500,
        metadata: { order: 'ord-pay' },
      });
      expect(hook.receiver.received[0]!.headers['user-agent']).toMatch(/^Stripe\//);
      // Signed with this endpoint's secret only.
      expect(() =>
        stripe.webhooks.constructEvent(
          hook.receiver.received[2]!.body,
          String(hook.receiver.received[2]!.headers['stripe-signature']),
          'whsec_other',
        ),
      ).toThrow();
      expect((await press(session.url!, 'approve')).status).toBe(409);
    } finally {
      await hook.receiver.close();
    }
  });

  test('a declined card fails the PaymentIntent and leaves the session open; paying afterwards completes it', async () => {
    const session = await stripe.checkout.sessions.create(sessionParams('ord-decline'));
    const declined = await press(session.url!, 'decline');
    expect(declined.status).toBe(303);
    expect(declined.headers.get('location')).toBe(`/c/pay/${session.id}`);
    const after = await stripe.checkout.sessions.retrieve(session.id, { expand: ['payment_intent'] });
    expect(after).toMatchObject({
      status: 'open',
      payment_status: 'unpaid',
      payment_intent: {
        status: 'requires_payment_method',
        last_payment_error: { code: 'card_declined', decline_code: 'generic_decline' },
      },
    });
    expect(await (await fetch(session.url!)).text()).toContain('Your card was declined.');
    expect((await press(session.url!, 'approve')).status).toBe(303);
    const paid = await stripe.checkout.sessions.retrieve(session.id);
    expect(paid).toMatchObject({ status: 'complete', payment_status: 'paid' });
    expect(paid.payment_intent).toBe(after.payment_intent && (after.payment_intent as Stripe.PaymentIntent).id);
  });

  test('an open session can be expired once and is then not payable; a complete one cannot be expired', async () => {
    const session = await stripe.checkout.sessions.create(sessionParams('ord-expire'));
    expect(await stripe.checkout.sessions.expire(session.id)).toMatchObject({ status: 'expired', url: null });
    await expect(stripe.checkout.sessions.expire(session.id)).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
    });
    expect((await press(session.url!, 'approve')).status).toBe(409);
  });

  test('refunds go against the PaymentIntent, never beyond what was paid; refund_fails makes them fail with refund.failed', async () => {
    const hook = await endpoint();
    try {
      const session = await stripe.checkout.sessions.create(sessionParams('ord-refund'));
      await press(session.url!, 'approve');
      const intent = (await stripe.checkout.sessions.retrieve(session.id)).payment_intent as string;
      const refund = await stripe.refunds.create({ payment_intent: intent, amount: 500, metadata: { r: '1' } });
      expect(refund).toMatchObject({ status: 'succeeded', amount: 500, payment_intent: intent });
      expect(await stripe.refunds.retrieve(refund.id)).toMatchObject({ status: 'succeeded' });
      await expect(stripe.refunds.create({ payment_intent: intent, amount: 1001 })).rejects.toMatchObject({
        code: 'amount_too_large',
      });

      await sim.fault({ reference: 'ord-refund', refund_fails: true });
      const failing = await stripe.refunds.create({ payment_intent: intent, amount: 100 });
      expect(failing.status).toBe('pending');
      expect(await stripe.refunds.retrieve(failing.id)).toMatchObject({ status: 'failed', failure_reason: 'declined' });
      await hook.receiver.waitFor(6, 10_000);
      expect(
        hook
          .events()
          .map((event) => event.type)
          .slice(-3),
      ).toEqual(['refund.created', 'refund.created', 'refund.failed']);
    } finally {
      await hook.receiver.close();
    }
  });

  test('faults: duplicate repeats the final event with its id, reorder sends the earlier ones after it, drop sends none', async () => {
    const hook = await endpoint();
    try {
      const dup = await stripe.checkout.sessions.create(sessionParams('ord-dup'));
      await sim.fault({ reference: 'ord-dup', duplicate: 2, reorder: true });
      await press(dup.url!, 'approve');
      await hook.receiver.waitFor(5, 10_000);
      const events = hook.events();
      expect(events.map((event) => event.type)).toEqual([
        'checkout.session.completed',
        'checkout.session.completed',
        'checkout.session.completed',
        'payment_intent.created',
        'payment_intent.succeeded',
      ]);
      expect(new Set(events.slice(0, 3).map((event) => event.id)).size).toBe(1);

      const dropped = await stripe.checkout.sessions.create(sessionParams('ord-drop'));
      await sim.fault({ reference: dropped.id, drop: true });
      await press(dropped.url!, 'approve');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(hook.receiver.received).toHaveLength(5);
      expect(await stripe.checkout.sessions.retrieve(dropped.id)).toMatchObject({ status: 'complete' });
    } finally {
      await hook.receiver.close();
    }
  });
});
