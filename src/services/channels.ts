/**
 * A checkout's notification channels besides the webhook (`/v1/checkouts/:id/channels…`), the
 * delivery log of a payment across every channel, and a merchant's re-send of one event to one
 * channel. Secrets are encrypted here before they are stored and shown only masked.
 */
import {
  buyerContactOf,
  deleteChannel,
  findChannel,
  interactionSourceOf,
  lastAttempts,
  listChannels,
  listPaymentDeliveries,
  upsertChannel,
} from '../db/channels';
import { findCheckout } from '../db/checkouts';
import { listEventsWithAttempts } from '../db/events';
import type { MerchantPrincipal } from '../domain/merchant';
import { findPayment } from '../db/payments';
import type { NotificationEventType } from '../domain/event-types';
import { randomToken } from '../domain/ids';
import { urlProblem } from '../net/address-policy';
import { encryptSecret, notificationsKey, secretHint, secretOwner } from '../notifications/secrets';
import { emailAvailable } from '../config';
import { interactionState } from '../notifications/interaction';
import { fillTemplate, sampleSmsValues, smsPlaceholders, unknownPlaceholders } from '../notifications/sms';
import type { DeliveryOutcome } from '../notifications/types';
import type { ChannelKind, ChannelSettings, DeliveryChannel, SmsContentType } from '../domain/channel';
import { invalid, notFound } from '../domain/errors';
import { channelDeliveryResource, channelResource, webhookDeliveryResource } from '../resources/channel';
import { listResource } from '../resources/list';
import { currentRequest } from '../observability/request-scope';
import { resendEvent, resendNotification } from '../temporal/definitions';
import { executeWorkflow } from '../temporal/start';
import type { ServiceDeps } from './deps';

interface CommonChannelInput {
  /** Event types the channel sends; kept as they are when left out (`payment.paid` for a new channel). */
  events?: NotificationEventType[];
  enabled?: boolean;
}

export type EmailChannelInput = CommonChannelInput & { to: string[] };
/** A bot token left out keeps the stored one. */
export type TelegramChannelInput = CommonChannelInput & { chatId: string; botToken?: string };
/** An `authValue` left out keeps the stored credential; null removes it. */
export type SmsChannelInput = CommonChannelInput & {
  to: string;
  url: string;
  method?: 'POST' | 'GET';
  contentType?: SmsContentType;
  body?: string | null;
  authHeader?: string;
  authValue?: string | null;
};

/** A channel's settings by kind, as a merchant sets them. */
export type ChannelInput =
  | { kind: 'email'; body: EmailChannelInput }
  | { kind: 'telegram'; body: TelegramChannelInput }
  | { kind: 'sms'; body: SmsChannelInput };

const defaultEvents: NotificationEventType[] = ['payment.paid'];

async function checkoutOrNotFound(deps: ServiceDeps, principal: MerchantPrincipal, checkoutId: string) {
  const checkout = await findCheckout(deps.db, principal, checkoutId);
  if (!checkout) throw notFound('checkout', 'id');
  return checkout;
}

export async function listCheckoutChannels(deps: ServiceDeps, principal: MerchantPrincipal, checkoutId: string) {
  const checkout = await checkoutOrNotFound(deps, principal, checkoutId);
  const [channels, last] = await Promise.all([listChannels(deps.db, checkout.id), lastAttempts(deps.db, checkout.id)]);
  return listResource(channels.map((channel) => channelResource(channel, last.get(channel.kind))));
}

export async function getCheckoutChannel(
  deps: ServiceDeps,
  principal: MerchantPrincipal,
  checkoutId: string,
  kind: ChannelKind,
) {
  const checkout = await checkoutOrNotFound(deps, principal, checkoutId);
  const channel = await findChannel(deps.db, checkout.id, kind);
  if (!channel) throw notFound(`${kind} channel`, 'channel');
  return channelResource(channel, (await lastAttempts(deps.db, checkout.id)).get(kind));
}

/** Checks an SMS gateway's templates as they will be filled; a 400 naming the field otherwise. */
function checkSmsTemplates(
  deps: ServiceDeps,
  body: SmsChannelInput,
  method: 'POST' | 'GET',
  contentType: SmsContentType,
) {
  const known = `use only ${smsPlaceholders.map((name) => `{${name}}`).join(', ')}`;
  const unknownInUrl = unknownPlaceholders(body.url);
  if (unknownInUrl.length > 0)
    throw invalid(
      'url',
      `url names unknown placeholders ${unknownInUrl.map((name) => `{${name}}`).join(', ')}: ${known}`,
    );
  const problem = urlProblem(fillTemplate(body.url, sampleSmsValues, 'url'), {
    allowPrivate: deps.config.allowPrivateWebhookUrls,
  });
  if (problem) throw invalid('url', `url, filled in, ${problem}`);
  if (method === 'GET' && body.body)
    throw invalid('body', 'body must be empty when method is GET: put {text} in the url');
  if (body.body) {
    const unknownInBody = unknownPlaceholders(body.body);
    if (unknownInBody.length > 0)
      throw invalid(
        'body',
        `body names unknown placeholders ${unknownInBody.map((name) => `{${name}}`).join(', ')}: ${known}`,
      );
    if (contentType === 'application/json') {
      try {
        JSON.parse(fillTemplate(body.body, sampleSmsValues, contentType));
      } catch {
        throw invalid(
          'body',
          'body, filled in, is not valid JSON: put placeholders inside strings, e.g. {"to":"{to}","text":"{text}"}',
        );
      }
    }
  }
  if (!`${body.url} ${body.body ?? ''}`.includes('{text}'))
    throw invalid(body.body ? 'body' : 'url', 'the message must go somewhere: name {text} in url or body');
  if (!`${body.url} ${body.body ?? ''}`.includes('{to}'))
    throw invalid(body.body ? 'body' : 'url', 'the phone number must go somewhere: name {to} in url or body');
}

/**
 * Creates or replaces the checkout's channel of one kind. A secret left out keeps the one
 * stored (secrets are write-only); `authValue: null` removes the SMS credential.
 */
export async function putCheckoutChannel(
  deps: ServiceDeps,
  principal: MerchantPrincipal,
  checkoutId: string,
  request: ChannelInput,
) {
  const checkout = await checkoutOrNotFound(deps, principal, checkoutId);
  const existing = await findChannel(deps.db, checkout.id, request.kind);
  const owner = secretOwner(checkout.id, request.kind);
  const seal = (secret: string) => ({
    secret: encryptSecret(notificationsKey(deps.config), secret, owner),
    secretHint: secretHint(secret),
  });
  const kept = { secret: existing?.secret ?? null, secretHint: existing?.secretHint ?? null };
  let channel: ChannelSettings;
  let sealed: { secret: string | null; secretHint: string | null };
  switch (request.kind) {
    case 'email': {
      if (!emailAvailable(deps.config))
        throw invalid('channel', 'e-mail is not set up on this Kassa: the operator sets SMTP_URL');
      const to = request.body.to.filter(
        (address, index, all) => all.findIndex((other) => other.toLowerCase() === address.toLowerCase()) === index,
      );
      channel = { kind: 'email', settings: { to } };
      sealed = { secret: null, secretHint: null };
      break;
    }
    case 'telegram': {
      if (!request.body.botToken && !existing?.secret)
        throw invalid('bot_token', 'bot_token is required: the token BotFather gave the bot', 'parameter_missing');
      channel = { kind: 'telegram', settings: { chatId: request.body.chatId } };
      sealed = request.body.botToken ? seal(request.body.botToken) : kept;
      break;
    }
    case 'sms': {
      const method = request.body.method ?? 'POST';
      const contentType = request.body.contentType ?? 'application/json';
      checkSmsTemplates(deps, request.body, method, contentType);
      channel = {
        kind: 'sms',
        settings: {
          to: request.body.to,
          url: request.body.url,
          method,
          contentType,
          body: request.body.body ?? null,
          authHeader: (request.body.authHeader ?? 'authorization').toLowerCase(),
        },
      };
      sealed = request.body.authValue
        ? seal(request.body.authValue)
        : request.body.authValue === null
          ? { secret: null, secretHint: null }
          : kept;
      break;
    }
  }
  const stored = await upsertChannel(deps.db, {
    ...channel,
    checkoutId: checkout.id,
    enabled: request.body.enabled ?? true,
    events: [...new Set(request.body.events ?? existing?.events ?? defaultEvents)],
    ...sealed,
  });
  return {
    created: !existing,
    channel: channelResource(stored, (await lastAttempts(deps.db, checkout.id)).get(request.kind)),
  };
}

export async function deleteCheckoutChannel(
  deps: ServiceDeps,
  principal: MerchantPrincipal,
  checkoutId: string,
  kind: ChannelKind,
) {
  const checkout = await checkoutOrNotFound(deps, principal, checkoutId);
  if (!(await deleteChannel(deps.db, checkout.id, kind))) throw notFound(`${kind} channel`, 'channel');
  return { object: 'notification_channel' as const, checkout_id: checkout.id, channel: kind, deleted: true as const };
}

/** Every delivery attempt of a payment's events, on every channel (the webhook included), oldest first. */
export async function listPaymentDeliveryLog(deps: ServiceDeps, principal: MerchantPrincipal, paymentId: string) {
  const payment = await findPayment(deps.db, principal, paymentId);
  if (!payment) throw notFound('payment', 'id');
  const [events, deliveries] = await Promise.all([
    listEventsWithAttempts(deps.db, payment.id),
    listPaymentDeliveries(deps.db, payment.id),
  ]);
  const typeOf = new Map(events.map((event) => [event.id, event.type]));
  const webhook = events.flatMap((event) => event.attempts.map((attempt) => webhookDeliveryResource(event, attempt)));
  const others = deliveries.map((attempt) => channelDeliveryResource(attempt, typeOf.get(attempt.eventId) ?? null));
  const data = [...webhook, ...others].sort((a, b) => a.attempted_at.localeCompare(b.attempted_at));
  return { object: 'list' as const, payment_id: payment.id, data, has_more: false };
}

/**
 * Sends one stored event of the payment once more, now, to one channel, through a short workflow
 * on the `payments` task queue, and answers with the attempt's outcome. The webhook goes through
 * the operator's re-send (`resendEventWorkflow`); the other channels through `resendNotificationWorkflow`.
 */
export async function resendToChannel(
  deps: ServiceDeps,
  principal: MerchantPrincipal,
  paymentId: string,
  eventId: string,
  channel: DeliveryChannel,
) {
  const payment = await findPayment(deps.db, principal, paymentId);
  if (!payment) throw notFound('payment', 'id');
  const event = (await listEventsWithAttempts(deps.db, payment.id)).find((candidate) => candidate.id === eventId);
  if (!event) throw notFound('event', 'event_id');
  const requestId = (currentRequest()?.requestId ?? randomToken(12)).replace(/[^A-Za-z0-9_-]/g, '');
  const resend = { payment, event, requestId, by: 'merchant' as const };
  const answer = (outcome: Pick<DeliveryOutcome, 'delivered' | 'attempt' | 'response' | 'error' | 'latencyMs'>) => ({
    object: 'delivery_attempt' as const,
    event_id: event.id,
    event_type: event.type,
    channel,
    delivered: outcome.delivered,
    attempt: outcome.attempt,
    response: outcome.response,
    error: outcome.error,
    latency_ms: outcome.latencyMs,
  });

  if (channel === 'webhook') {
    const result = await executeWorkflow(deps, resendEvent, resend, 45_000);
    return answer({ ...result, response: result.statusCode === null ? null : `HTTP ${result.statusCode}` });
  }
  if (channel === 'buyer_receipt') {
    if (event.type !== 'payment.paid' || !(await buyerContactOf(deps.db, payment.id)).email) {
      throw invalid('channel', 'a buyer receipt goes with a payment.paid event of a payment created with buyer.email');
    }
    if (!emailAvailable(deps.config))
      throw invalid('channel', 'e-mail is not set up on this Kassa: the operator sets SMTP_URL');
  } else if (channel === 'interaction') {
    if (!interactionState(event.type) || !(await interactionSourceOf(deps.db, payment.id))?.target)
      throw invalid(
        'channel',
        'an interaction goes with the paid, failed, canceled or expired event of a payment made through the SCI form, to its interaction URL',
      );
  } else if (!(await findChannel(deps.db, payment.checkoutId, channel))) {
    throw invalid(
      'channel',
      `checkout ${payment.checkoutId} has no ${channel} channel: PUT /v1/checkouts/${payment.checkoutId}/channels/${channel} first`,
    );
  }
  const outcome = await executeWorkflow(deps, resendNotification, { ...resend, channel }, 75_000);
  return answer(outcome);
}
