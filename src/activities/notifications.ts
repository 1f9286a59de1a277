import { ApplicationFailure } from '@temporalio/common';
import type { Pool } from 'pg';
import {
  buyerContactOf,
  channelsWanting,
  findChannel,
  type InteractionSource,
  interactionSourceOf,
  recordDelivery,
  wasDelivered,
} from '../db/channels';
import { findCheckoutById, sciKeyOwner, webhookSecretsFor } from '../db/checkouts';
import { findEvent } from '../db/events';
import { signDownload } from '../domain/signatures';
import { sciSign } from '../domain/sci-signature';
import { createMailer, type Mailer } from '../notifications/email';
import {
  buyerReceiptEmail,
  type EventView,
  type ReceiptDelivery,
  sellerChatMessage,
  sellerEmail,
  sellerSms,
} from '../notifications/messages';
import { decryptWithKeys, redactSecrets, SecretUnreadableError, secretOwner } from '../notifications/secrets';
import { interactionFields, interactionState, sendInteraction } from '../notifications/interaction';
import { sendSms } from '../notifications/sms';
import { sendTelegramMessage } from '../notifications/telegram';
import {
  type ChannelPlan,
  DeliveryError,
  type DeliveryOutcome,
  type NotificationSettings,
} from '../notifications/types';
import type { ProviderRegistry } from '../providers/registry';
import { FailureType } from '../domain/failure-types';
import { storedEventData } from '../resources/event';
import type { PaymentResource } from '../resources/payment';
import type { ChannelKind, NotificationChannel, StoredChannel } from '../domain/channel';
import type { Checkout } from '../domain/checkout';
import type { PaymentEvent } from '../domain/event';
import type { MerchantEventType } from '../domain/event-types';

export interface NotificationActivityDeps {
  db: Pool;
  providers: ProviderRegistry;
  publicUrl: string;
  /** Absent (activities assembled by hand in tests): no channel gets anything. */
  settings?: NotificationSettings;
  /** How long an HTTP channel (Telegram, SMS gateway) may take. */
  httpTimeoutMs?: number;
  /** The mailer the settings make ({@link notificationMailer}), when the caller made it already. */
  mailer?: Mailer | null;
}

/** The mailer of the notification settings: null without settings. */
export const notificationMailer = (settings: NotificationSettings | undefined): Mailer | null =>
  settings
    ? createMailer({ smtpUrl: settings.smtpUrl, mailLogDir: settings.mailLogDir, from: settings.mailFrom })
    : null;

/** What a channel plan is decided on, each read only when the rule needs it. */
export interface ChannelPlanFacts {
  /** The enabled channels that want the event's type. */
  wanting(): ChannelKind[] | Promise<ChannelKind[]>;
  buyerEmail(): string | null | Promise<string | null>;
  /** Whether the payment has an interaction target. */
  hasInteractionTarget(): boolean | Promise<boolean>;
}

/**
 * Which channels besides the webhook an event goes to: the channels that want it, the buyer's
 * receipt for a paid payment with the buyer's e-mail when e-mail is set up, and the interaction of
 * an SCI payment that has a target. Nothing without notification settings or for an event that is
 * not a payment's.
 */
export async function planChannels(
  event: { type: MerchantEventType; ofPayment: boolean },
  setup: { settings: NotificationSettings | undefined; mailer: Mailer | null },
  facts: ChannelPlanFacts,
): Promise<ChannelPlan> {
  const { settings } = setup;
  if (!settings || !event.ofPayment) return { eventType: event.type, channels: [], retrySeconds: null };
  const channels: NotificationChannel[] = [...(await facts.wanting())];
  if (event.type === 'payment.paid' && setup.mailer && (await facts.buyerEmail())) channels.push('buyer_receipt');
  if (interactionState(event.type) && (await facts.hasInteractionTarget())) channels.push('interaction');
  return { eventType: event.type, channels, retrySeconds: settings.retrySeconds };
}

/** One delivery request: `resend` sends even if the event reached the channel before. */
export interface ChannelDeliveryInput {
  eventId: string;
  resend?: boolean;
}

/** How long a receipt's download link works. */
const receiptLinkSeconds = 7 * 24 * 3600;

interface EventContext {
  event: PaymentEvent;
  checkout: Checkout;
  view: EventView;
}

/** What one channel is about to do: whom it addresses, what it must never show, and the send itself. */
interface PreparedDelivery {
  target: string;
  secrets: string[];
  send(): Promise<{ response: string; error?: string }>;
}

/**
 * The notification channels beside the webhook: one activity per channel, each recording every
 * attempt (`notification_deliveries`). A failure is an `ApplicationFailure` carrying the
 * {@link DeliveryOutcome}: retryable while the peer may come back, non-retryable when it refused
 * for good. Secrets are decrypted only here, for the send, and redacted from every message.
 */
export function createNotificationActivities({
  db,
  providers,
  publicUrl,
  settings,
  httpTimeoutMs = 10_000,
  mailer = notificationMailer(settings),
}: NotificationActivityDeps) {
  const methodTitle = (code: string | null) =>
    code ? (providers.forMethod(code)?.methods.find((method) => method.code === code)?.title ?? null) : null;

  async function loadContext(eventId: string): Promise<EventContext> {
    const event = await findEvent(db, eventId);
    if (!event) throw ApplicationFailure.nonRetryable(`event ${eventId} does not exist`, FailureType.UnknownEvent);
    if (!event.paymentId)
      throw ApplicationFailure.nonRetryable(
        `event ${eventId} is not a payment's: channels carry payment events`,
        FailureType.NotAPaymentEvent,
      );
    const payment = storedEventData(event) as PaymentResource;
    const checkout = await findCheckoutById(db, payment.checkout_id);
    if (!checkout)
      throw ApplicationFailure.nonRetryable(`checkout of ${event.paymentId} is gone`, FailureType.UnknownCheckout);
    const view: EventView = {
      shop: checkout.name,
      eventId: event.id,
      eventType: event.type,
      payment,
      methodTitle: methodTitle(payment.method),
      publicUrl,
      locale: checkout.locale,
    };
    return { event, checkout, view };
  }

  const secretOf = (channel: StoredChannel) => {
    if (!settings) throw new DeliveryError('notifications are not configured on this worker', 'definite');
    if (!channel.secret) return null;
    try {
      const keys = [settings.key, ...settings.previousKeys];
      return decryptWithKeys(keys, channel.secret, secretOwner(channel.checkoutId, channel.kind));
    } catch (error) {
      if (error instanceof SecretUnreadableError)
        throw new DeliveryError(
          `the ${channel.kind} channel's secret cannot be read (${error.message}): set it again`,
          'definite',
        );
      throw error;
    }
  };

  /** The key an interaction is signed with: the test key for a test-mode payment, the secret key otherwise. */
  const sciKeyOf = (source: InteractionSource, testMode: boolean) => {
    if (!settings) throw new DeliveryError('notifications are not configured on this worker', 'definite');
    const name = testMode ? 'test' : 'secret';
    const sealed = testMode ? source.sealedTestKey : source.sealedSecretKey;
    if (!sealed) throw new DeliveryError(`the checkout has no SCI ${name} key: rotate its SCI keys`, 'definite');
    try {
      return decryptWithKeys([settings.key, ...settings.previousKeys], sealed, sciKeyOwner(source.checkoutId, name));
    } catch (error) {
      if (error instanceof SecretUnreadableError)
        throw new DeliveryError(`the checkout's SCI ${name} key cannot be read (${error.message})`, 'definite');
      throw error;
    }
  };

  const noMailer = () =>
    new DeliveryError('e-mail is not set up on this Kassa: the operator sets SMTP_URL', 'definite');

  async function deliver(
    channel: NotificationChannel,
    input: ChannelDeliveryInput,
    prepare: (context: EventContext) => Promise<PreparedDelivery | null>,
  ): Promise<DeliveryOutcome> {
    if (!input.resend && (await wasDelivered(db, input.eventId, channel))) {
      return { channel, attempt: 0, delivered: true, response: 'delivered before', error: null, latencyMs: 0 };
    }
    const context = await loadContext(input.eventId);
    const started = performance.now();
    const attemptedAt = new Date();
    let prepared: PreparedDelivery | null = null;
    let response: string | null = null;
    let error: string | null = null;
    let failure: DeliveryError | null = null;
    try {
      prepared = await prepare(context);
      if (!prepared)
        return {
          channel,
          attempt: 0,
          delivered: false,
          response: null,
          error: `no ${channel} channel wants ${context.event.type} now`,
          latencyMs: 0,
        };
      const sent = await prepared.send();
      response = sent.response;
      error = sent.error ?? null;
    } catch (thrown) {
      failure = thrown instanceof DeliveryError ? thrown : new DeliveryError((thrown as Error).message, 'transient');
      error = failure.message;
    }
    const secrets = prepared?.secrets ?? [];
    const outcome: DeliveryOutcome = {
      channel,
      attempt: 0,
      delivered: failure === null,
      response: response && redactSecrets(response, secrets),
      error: error && redactSecrets(error, secrets),
      latencyMs: Math.round(performance.now() - started),
    };
    outcome.attempt = await recordDelivery(db, {
      eventId: context.event.id,
      checkoutId: context.checkout.id,
      channel,
      target: prepared?.target ?? channel,
      attemptedAt,
      latencyMs: outcome.latencyMs,
      delivered: outcome.delivered,
      response: outcome.response,
      error: outcome.error,
      resend: input.resend ?? false,
    });
    if (failure) {
      throw ApplicationFailure.create({
        message: `${channel} ${context.event.id} attempt ${outcome.attempt}: ${outcome.error}`,
        type: failure.kind === 'definite' ? FailureType.NotificationRefused : FailureType.NotificationNotDelivered,
        nonRetryable: failure.kind === 'definite',
        details: [outcome],
        nextRetryDelay: failure.retryAfterSeconds ? `${failure.retryAfterSeconds} seconds` : undefined,
      });
    }
    return outcome;
  }

  const channelFor = async <K extends ChannelKind>(context: EventContext, kind: K) => {
    const channel = await findChannel(db, context.checkout.id, kind);
    return channel?.kind === kind ? (channel as Extract<StoredChannel, { kind: K }>) : null;
  };

  return {
    /** Which channels besides the webhook an event goes to (a local activity: one quick read). */
    async channelsForEvent(input: { eventId: string }): Promise<ChannelPlan> {
      const event = await findEvent(db, input.eventId);
      if (!event)
        throw ApplicationFailure.nonRetryable(`event ${input.eventId} does not exist`, FailureType.UnknownEvent);
      const paymentId = event.paymentId;
      return planChannels(
        { type: event.type, ofPayment: Boolean(paymentId) },
        { settings, mailer },
        {
          wanting: () => channelsWanting(db, (storedEventData(event) as PaymentResource).checkout_id, event.type),
          buyerEmail: async () => (await buyerContactOf(db, paymentId)).email,
          hasInteractionTarget: async () => Boolean((await interactionSourceOf(db, paymentId))?.target),
        },
      );
    },

    /** The seller's e-mail (text and HTML) to the channel's addresses. */
    async sendEmailNotification(input: ChannelDeliveryInput): Promise<DeliveryOutcome> {
      return deliver('email', input, async (context) => {
        const channel = await channelFor(context, 'email');
        if (!channel || (!input.resend && !channel.enabled)) return null;
        const to = channel.settings.to;
        return {
          target: to.join(', '),
          secrets: [],
          async send() {
            if (!mailer) throw noMailer();
            const receipt = await mailer.send({ to, ...sellerEmail(context.view) });
            const refused = receipt.rejected.map((entry) => `${entry.address} (${entry.response})`).join(', ');
            return { response: receipt.response, error: refused ? `refused: ${refused}` : undefined };
          },
        };
      });
    },

    /** The seller's Telegram message through the channel's bot. */
    async sendTelegramNotification(input: ChannelDeliveryInput): Promise<DeliveryOutcome> {
      return deliver('telegram', input, async (context) => {
        const channel = await channelFor(context, 'telegram');
        if (!channel || (!input.resend && !channel.enabled)) return null;
        const botToken = secretOf(channel);
        return {
          target: `chat ${channel.settings.chatId}`,
          secrets: [botToken ?? ''],
          async send() {
            if (!botToken) throw new DeliveryError('the telegram channel has no bot token: set bot_token', 'definite');
            return sendTelegramMessage(
              {
                apiUrl: settings!.telegramApiUrl,
                botToken,
                chatId: channel.settings.chatId,
                text: sellerChatMessage(context.view),
              },
              { timeoutMs: httpTimeoutMs },
            );
          },
        };
      });
    },

    /** The seller's SMS through the channel's HTTP gateway. */
    async sendSmsNotification(input: ChannelDeliveryInput): Promise<DeliveryOutcome> {
      return deliver('sms', input, async (context) => {
        const channel = await channelFor(context, 'sms');
        if (!channel || (!input.resend && !channel.enabled)) return null;
        const credential = secretOf(channel);
        const { payment } = context.view;
        const values = {
          to: channel.settings.to,
          text: sellerSms(context.view),
          shop: context.view.shop,
          order_id: payment.order_id,
          amount: payment.amount,
          currency: payment.currency,
          status: payment.status,
          method: payment.method ?? '',
          payment_id: payment.id,
          event_id: context.event.id,
          event_type: context.event.type,
          link: payment.checkout_url,
        };
        let gateway = 'the SMS gateway';
        try {
          gateway = new URL(channel.settings.url.replace(/\{[a-z_]+\}/g, 'x')).host;
        } catch {
          // shown as is
        }
        return {
          target: `${channel.settings.to} via ${gateway}`,
          secrets: [credential ?? ''],
          send: () =>
            sendSms(channel.settings, credential, values, {
              allowPrivate: settings!.allowPrivateUrls,
              timeoutMs: httpTimeoutMs,
            }),
        };
      });
    },

    /** The buyer's receipt for a paid payment that carries the buyer's e-mail: what was bought and the delivery. */
    async sendBuyerReceipt(input: ChannelDeliveryInput): Promise<DeliveryOutcome> {
      return deliver('buyer_receipt', input, async (context) => {
        if (context.event.type !== 'payment.paid') return null;
        const buyer = await buyerContactOf(db, context.view.payment.id);
        const buyerEmail = buyer.email;
        if (!buyerEmail) return null;
        const { payment } = context.view;
        let delivery: ReceiptDelivery = null;
        if (payment.delivery?.type === 'digital') {
          const expires = Math.floor(Date.now() / 1000) + receiptLinkSeconds;
          const [secret] = await webhookSecretsFor(db, context.checkout.id);
          const token = signDownload(secret!, payment.id, expires);
          delivery = {
            type: 'digital',
            downloadUrl: `${publicUrl}/pay/${payment.id}/download?expires=${expires}&token=${token}`,
            validUntil: new Date(expires * 1000).toISOString(),
          };
        } else if (payment.delivery?.type === 'physical') {
          const from = Date.parse(payment.paid_at ?? context.event.createdAt.toISOString());
          const expectedBy = new Date(from + payment.delivery.eta_days * 86_400_000).toISOString().slice(0, 10);
          delivery = { type: 'physical', method: payment.delivery.method, expectedBy };
        }
        return {
          target: buyerEmail,
          secrets: [],
          async send() {
            if (!mailer) throw noMailer();
            const receipt = await mailer.send({
              to: [buyerEmail],
              ...buyerReceiptEmail({ ...context.view, buyerLocale: buyer.locale }, delivery),
            });
            return { response: receipt.response };
          },
        };
      });
    },

    /** The interaction of a payment made through the SCI form: `ik_*` fields, signed, to the shop's interaction URL. */
    async sendInteractionNotification(input: ChannelDeliveryInput): Promise<DeliveryOutcome> {
      return deliver('interaction', input, async (context) => {
        const { payment } = context.view;
        const state = interactionState(context.event.type);
        const source = state ? await interactionSourceOf(db, payment.id) : null;
        const target = source?.target;
        if (!state || !source || !target) return null;
        const key = sciKeyOf(source, payment.test_mode);
        const fields = interactionFields({
          coId: source.sci.coId,
          paymentId: payment.id,
          state,
          createdAt: source.createdAt,
          processedAt: new Date(payment.paid_at ?? context.event.createdAt),
          providerPaymentId: source.providerPaymentId,
          paymentNo: source.sci.paymentNo ?? payment.order_id,
          testMode: payment.test_mode,
          payway: source.sci.payway,
          method: payment.method,
          amount: source.sci.amount,
          currency: payment.currency,
          description: payment.description,
          merchantNet: payment.merchant_net ?? payment.amount,
          buyerTotal: payment.buyer_total ?? payment.amount,
          extra: source.sci.extra ?? {},
        });
        fields.ik_sign = sciSign(fields, key, source.signAlgorithm);
        return {
          target: `${target.method} ${target.url}`,
          secrets: [key],
          send: () =>
            sendInteraction(target, fields, { allowPrivate: settings!.allowPrivateUrls, timeoutMs: httpTimeoutMs }),
        };
      });
    },
  };
}
