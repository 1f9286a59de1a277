import Stripe from 'stripe';
import { type CallbackRequest, CallbackVerificationError, type TranslatedCallback } from '../types';
import { stripeEventSchema, translateEvent } from './mapper';

export const STRIPE_SIGNATURE_HEADER = 'stripe-signature';

/** How old a signed event may be, in seconds: Stripe's own default. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

function headerValue(headers: CallbackRequest['headers'], name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    if (Array.isArray(value)) return value.length === 1 ? value[0] : undefined;
    return value;
  }
  return undefined;
}

/**
 * Checks `Stripe-Signature` (HMAC-SHA256 of `"<t>.<raw body>"` under the endpoint's `whsec_…`
 * secret, at most {@link SIGNATURE_TOLERANCE_SECONDS} old at `request.now`) with the SDK's
 * `webhooks.constructEvent`, then translates the event. Throws {@link CallbackVerificationError}
 * for a missing, forged or stale signature and for a body that is not a Stripe event.
 */
export function verifyStripeCallback(
  webhookSecret: string,
  mode: 'test' | 'live',
  request: CallbackRequest,
): TranslatedCallback {
  if (request.method !== 'POST') throw new CallbackVerificationError('Stripe sends its events by POST');
  const header = headerValue(request.headers, STRIPE_SIGNATURE_HEADER);
  if (!header) throw new CallbackVerificationError('missing Stripe-Signature header');
  let verified: unknown;
  try {
    verified = Stripe.webhooks.constructEvent(
      request.rawBody,
      header,
      webhookSecret,
      SIGNATURE_TOLERANCE_SECONDS,
      undefined,
      request.now.getTime(),
    );
  } catch (error) {
    if (error instanceof Stripe.errors.StripeSignatureVerificationError)
      throw new CallbackVerificationError(`Stripe-Signature: ${error.message}`);
    if (error instanceof SyntaxError) throw new CallbackVerificationError('Stripe event body is not JSON');
    throw error;
  }
  const event = stripeEventSchema.safeParse(verified);
  if (!event.success) {
    const issue = event.error.issues[0];
    throw new CallbackVerificationError(
      `callback body is not a Stripe event: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return translateEvent(event.data, mode);
}
