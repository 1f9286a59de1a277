import type { Pool } from 'pg';
import { findCheckoutById, isPlaintextSecret, webhookSecretOwner, webhookSecretsFor } from '../db/checkouts';
import { recordWebhookAttempt, type WebhookTarget } from '../db/events';
import { findPaymentById } from '../db/payments';
import { webhookHeaders } from '../domain/signatures';
import { type KeptAliveConnections, safeRequest, UnsafeUrlError } from '../net/safe-http';
import { decryptWithLoadedKeys } from '../notifications/secrets';
import type { PaymentEvent } from '../domain/event';

export interface WebhookDeliveryDeps {
  db: Pool;
  /** How long a merchant endpoint may take before the attempt counts as failed. */
  webhookTimeoutMs: number;
  /** Let deliveries reach loopback, private and link-local addresses (`ALLOW_PRIVATE_WEBHOOK_URLS`). */
  allowPrivateWebhookUrls: boolean;
  /** Connections to merchants' endpoints kept open between deliveries; a connection each without. */
  connections?: KeptAliveConnections;
}

/** What one delivery attempt did, as recorded in `webhook_attempts`. */
export interface WebhookAttemptOutcome {
  attempt: number;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  /** The URL was refused by the SSRF policy: retrying cannot help. */
  refused: boolean;
}

/**
 * The live secrets of a target read with its event: opened here; a secret still stored in clear
 * (from before encryption at rest) is left to `webhookSecretsFor`, which seals it.
 */
async function targetSecrets(db: Pool, target: WebhookTarget): Promise<string[]> {
  const stored = [target.webhookSecret, ...(target.previousWebhookSecret ? [target.previousWebhookSecret] : [])];
  if (stored.some(isPlaintextSecret)) return webhookSecretsFor(db, target.checkoutId);
  return stored.map((secret) => decryptWithLoadedKeys(secret, webhookSecretOwner(target.checkoutId)));
}

/**
 * One attempt at delivering a stored merchant event: the same id and body every time, a fresh
 * Standard Webhooks timestamp and signature (every live secret of the checkout during a rotation),
 * never to an internal address unless allowed (docs/api.md §8), redirects not followed. Any 2xx is
 * delivered. Returns `null` when the event's checkout no longer exists. `target`, when the caller
 * read it with the event (`webhookDeliveryOf`), spares looking the checkout up again.
 */
export async function deliverWebhook(
  deps: WebhookDeliveryDeps,
  event: PaymentEvent,
  attempt: number,
  target?: WebhookTarget | null,
): Promise<WebhookAttemptOutcome | null> {
  let notifyUrl: string;
  let secrets: string[];
  if (target !== undefined) {
    if (!target) return null;
    notifyUrl = target.notifyUrl;
    secrets = await targetSecrets(deps.db, target);
  } else {
    const checkoutId = event.checkoutId ?? (await findPaymentById(deps.db, event.paymentId))?.checkoutId;
    const checkout = checkoutId && (await findCheckoutById(deps.db, checkoutId));
    if (!checkout) return null;
    notifyUrl = checkout.notifyUrl;
    secrets = await webhookSecretsFor(deps.db, checkout.id);
  }

  const timestamp = Math.floor(Date.now() / 1000);
  const attemptedAt = new Date();
  const started = performance.now();
  let statusCode: number | null = null;
  let error: string | null = null;
  let refused = false;
  try {
    const response = await safeRequest(
      notifyUrl,
      {
        method: 'POST',
        headers: webhookHeaders(secrets, event.id, timestamp, event.body),
        body: event.body,
      },
      {
        allowPrivate: deps.allowPrivateWebhookUrls,
        timeoutMs: deps.webhookTimeoutMs,
        maxResponseBytes: 4096,
        connections: deps.connections,
      },
    );
    statusCode = response.status;
    if (statusCode < 200 || statusCode >= 300) error = `HTTP ${statusCode}`;
  } catch (failure) {
    refused = failure instanceof UnsafeUrlError;
    error =
      (failure as Error).name === 'TimeoutError'
        ? `no answer within ${deps.webhookTimeoutMs} ms`
        : (failure as Error).message;
  }
  const latencyMs = Math.round(performance.now() - started);
  await recordWebhookAttempt(deps.db, event.id, {
    attempt,
    url: notifyUrl,
    attemptedAt,
    statusCode,
    latencyMs,
    error,
  });
  return { attempt, statusCode, latencyMs, error, refused };
}
