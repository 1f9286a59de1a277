import { findCheckout, webhookSecretsFor } from '../db/checkouts';
import { notFound } from '../domain/errors';
import { newId } from '../domain/ids';
import type { MerchantPrincipal } from '../domain/merchant';
import { webhookHeaders } from '../domain/signatures';
import { safeRequest, UnsafeUrlError } from '../net/safe-http';
import type { ServiceDeps } from './deps';

/** What one test webhook did at the checkout's notification URL. */
export interface TestWebhookOutcome {
  eventId: string;
  url: string;
  delivered: boolean;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}

const timeoutMs = 10_000;

/**
 * Sends a `test` event to the checkout's notification URL the way every webhook goes: Standard
 * Webhooks headers signed with each live secret of the checkout, the same address policy, no
 * redirects followed, any 2xx delivered. Its `data` names the checkout and says it is a test, so a
 * merchant can check the endpoint and its signature check without a payment.
 */
export async function sendTestWebhook(
  deps: ServiceDeps,
  principal: MerchantPrincipal,
  checkoutId: string,
): Promise<TestWebhookOutcome> {
  const checkout = await findCheckout(deps.db, principal, checkoutId);
  if (!checkout) throw notFound('checkout', 'checkout_id');
  const eventId = newId('evt');
  const created = new Date();
  const body = JSON.stringify({
    id: eventId,
    type: 'test',
    created_at: created.toISOString(),
    data: { object: 'test', checkout_id: checkout.id, test_mode: checkout.testMode },
  });
  const secrets = await webhookSecretsFor(deps.db, checkout.id);
  const timestamp = Math.floor(created.getTime() / 1000);
  const started = performance.now();
  let statusCode: number | null = null;
  let error: string | null = null;
  try {
    const response = await safeRequest(
      checkout.notifyUrl,
      {
        method: 'POST',
        headers: webhookHeaders(secrets, eventId, timestamp, body),
        body,
      },
      { allowPrivate: deps.config.allowPrivateWebhookUrls, timeoutMs, maxResponseBytes: 4096 },
    );
    statusCode = response.status;
    if (statusCode < 200 || statusCode >= 300) error = `HTTP ${statusCode}`;
  } catch (failure) {
    error =
      failure instanceof UnsafeUrlError
        ? failure.message
        : (failure as Error).name === 'TimeoutError'
          ? `no answer within ${timeoutMs} ms`
          : (failure as Error).message;
  }
  return {
    eventId,
    url: checkout.notifyUrl,
    delivered: error === null,
    statusCode,
    latencyMs: Math.round(performance.now() - started),
    error,
  };
}
