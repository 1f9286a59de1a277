import { createHmac } from 'node:crypto';
import { type Callback, type CallbackSender } from '../common/callbacks';
import { type Fault, faultSequence } from '../common/faults';
import { API_VERSION } from './objects';
import { type StripeStore, stripeId } from './store';

/** A Stripe event as it is stored and sent: `data.object` is the object as it was at `created`. */
export interface StripeEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: Record<string, unknown> };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

export const unixSeconds = (): number => Math.floor(Date.now() / 1000);

export function stripeEvent(type: string, object: Record<string, unknown>, created = unixSeconds()): StripeEvent {
  return {
    id: stripeId('evt'),
    object: 'event',
    api_version: API_VERSION,
    created,
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  };
}

/** `Stripe-Signature: t=<unix s>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" under the endpoint's whsec_ secret>`. */
export function stripeSignature(secret: string, body: string, t: number): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

/**
 * Sends `events` (in this order) to every enabled endpoint that listens to their type (`*` for
 * all), each as a JSON POST signed with that endpoint's secret; a retried attempt is signed again.
 */
export function publish(
  store: StripeStore,
  sender: CallbackSender,
  subject: string,
  fault: Fault,
  events: readonly StripeEvent[],
): void {
  for (const endpoint of store.endpoints.values()) {
    if (endpoint.status !== 'enabled') continue;
    const wanted = events.filter(
      (event) => endpoint.enabledEvents.includes('*') || endpoint.enabledEvents.includes(event.type),
    );
    if (wanted.length === 0) continue;
    const callbacks: Callback[] = wanted.map((event) => {
      const body = JSON.stringify(event, null, 2);
      return {
        label: `${event.id} ${event.type} to ${endpoint.id}`,
        request: () => ({
          url: endpoint.url,
          headers: {
            'content-type': 'application/json; charset=utf-8',
            'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
            'stripe-signature': stripeSignature(endpoint.secret, body, unixSeconds()),
          },
          body,
        }),
      };
    });
    sender.send(subject, fault, callbacks);
  }
}

/**
 * A change's events (the last one final) as the faults send them: in order, the final one
 * `duplicate` more times; with `reorder`, the earlier ones after the final (Stripe does not
 * promise any order).
 */
export function underFault(events: readonly StripeEvent[], fault: Fault): StripeEvent[] {
  const final = events.at(-1)!;
  const earlier = events.slice(0, -1);
  if (!fault.reorder || earlier.length === 0)
    return [...earlier, ...faultSequence(final, { ...fault, reorder: false })];
  return [...faultSequence(final, { ...fault, reorder: false }), ...earlier];
}
