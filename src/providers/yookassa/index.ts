import { z } from 'zod';
import {
  type CallbackReply,
  CallbackVerificationError,
  type ConnectorAdapter,
  type ConnectorCapability,
  type ConnectorContext,
  type PaymentConnector,
  type ProviderPaymentRef,
  ProviderError,
  type TranslatedCallback,
} from '../types';
import { createYooKassaClient, type YooKassaClient } from './client';
import {
  METADATA,
  paymentMadeWith,
  paymentState,
  refundIdOf,
  toPaymentCreateBody,
  toPaymentStatus,
  toProviderRefund,
  toRefundCreateBody,
  YOOKASSA_METHODS,
  type YooKassaPayment,
} from './mapper';
import { isNetwork, networkCheck, readNotification, YOOKASSA_NOTIFICATION_NETWORKS } from './webhook';

export { YOOKASSA_NOTIFICATION_NETWORKS } from './webhook';

const httpBase = z
  .string()
  .max(2000)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'http:' || url.protocol === 'https:') && !url.search && !url.hash;
    } catch {
      return false;
    }
  }, 'an http(s) URL of the API, e.g. https://api.yookassa.ru/v3');

/** A YooKassa shop's credentials, as the operator gives them in `POST /admin/connectors`. */
export const yookassaCredentialsSchema = z.strictObject({
  /** The shop's id (`shopId`), the Basic auth user name. */
  shop_id: z.string().regex(/^\d{1,20}$/, "the shop's id (shopId): digits"),
  /** The shop's secret key, the Basic auth password: `test_…` for a test shop, `live_…` for a real one. */
  secret_key: z.string().regex(/^(test|live)_[0-9A-Za-z_-]{8,200}$/, 'a YooKassa secret key: test_… or live_…'),
  /** Another API base than `https://api.yookassa.ru/v3`, e.g. a simulator's `http://127.0.0.1:4300/v3`. */
  api_base: httpBase.optional(),
  /**
   * The networks notifications are accepted from (`a.b.c.d/n`, an address, or IPv6); YooKassa's
   * documented networks when absent. Only a simulator or a trusted proxy needs another list.
   */
  notification_networks: z
    .array(z.string().refine(isNetwork, 'an IPv4 or IPv6 address, optionally /prefix'))
    .min(1)
    .max(50)
    .optional(),
});
export type YooKassaCredentials = z.infer<typeof yookassaCredentialsSchema>;

/** The mode a secret key works in: `test_…` test, `live_…` live. */
export const yookassaKeyMode = (secretKey: string): 'test' | 'live' =>
  secretKey.startsWith('live_') ? 'live' : 'test';

export const yookassaModeProblem = (
  credentials: YooKassaCredentials,
  mode: 'test' | 'live',
): { field: 'secret_key'; message: string } | null =>
  yookassaKeyMode(credentials.secret_key) === mode
    ? null
    : { field: 'secret_key', message: `a ${mode} connector needs a ${mode} shop's key (${mode}_…)` };

const CAPABILITIES: ReadonlySet<ConnectorCapability> = new Set([
  'create',
  'status',
  'cancel',
  'refund',
  'refund_status',
  'webhooks',
]);

/** YooKassa wants `200` for every notification it should not send again; anything else is retried for 24 hours. */
export function yookassaCallbackReply(outcome: 'accepted' | 'duplicate' | 'ignored' | 'rejected'): CallbackReply {
  return outcome === 'rejected'
    ? { status: 403, contentType: 'text/plain; charset=utf-8', body: '' }
    : { status: 200, contentType: 'text/plain; charset=utf-8', body: '' };
}

/** Idempotence keys of the connector's own follow-up calls (at most 64 characters: a payment id is 36). */
const captureKey = (paymentId: string) => `capture-${paymentId}`;
const cancelKey = (paymentId: string) => `cancel-${paymentId}`;

/** Statuses a payment may have moved on to after a `waiting_for_capture` notification was sent. */
const AFTER_WAITING = new Set(['succeeded', 'canceled']);

export interface YooKassaConnectorOptions {
  /** Per request to YooKassa. Default 10 000. */
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

/**
 * One YooKassa shop: a payment is a two-stage payment confirmed on YooKassa's page (a GET
 * redirect); once the buyer paid (`waiting_for_capture`) the connector captures it in full before
 * reporting it, so Kassa only ever sees `succeeded`. Notifications are unsigned: one is trusted
 * only when it comes from the connector's networks AND the object read back from the API has the
 * status it announces; Kassa then acts on the API's object, never on the notification's.
 */
export function createYooKassaConnector(
  credentials: YooKassaCredentials,
  context: Pick<ConnectorContext, 'mode'>,
  options: YooKassaConnectorOptions = {},
): PaymentConnector {
  const client: YooKassaClient = createYooKassaClient({
    shopId: credentials.shop_id,
    secretKey: credentials.secret_key,
    ...(credentials.api_base !== undefined && { apiBase: credentials.api_base }),
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    ...(options.fetchImpl !== undefined && { fetchImpl: options.fetchImpl }),
  });
  const trusted = networkCheck(credentials.notification_networks ?? YOOKASSA_NOTIFICATION_NETWORKS);

  /** A paid, authorized payment captured; any other returned as it is. */
  const settled = async (payment: YooKassaPayment): Promise<YooKassaPayment> =>
    payment.status === 'waiting_for_capture' ? client.capturePayment(payment.id, captureKey(payment.id)) : payment;

  const findPayment = (ref: ProviderPaymentRef) =>
    ref.providerPaymentId
      ? client.getPayment(ref.providerPaymentId)
      : client.findPayment((payment) => paymentMadeWith(payment, ref.idempotencyKey));

  async function paymentNotification(id: string, announced: string): Promise<TranslatedCallback> {
    const payment = await client.getPayment(id);
    if (!payment) throw new CallbackVerificationError(`YooKassa has no payment ${id}`);
    const moved = announced === 'waiting_for_capture' && AFTER_WAITING.has(payment.status);
    if (payment.status !== announced && !moved)
      throw new CallbackVerificationError(
        `the notification says payment ${id} is ${announced}; YooKassa's API says ${payment.status}`,
      );
    if (payment.test !== (context.mode === 'test'))
      return { kind: 'ignored', reason: `a ${payment.test ? 'test' : 'live'} payment at a ${context.mode} connector` };
    const paymentId = payment.metadata?.[METADATA.paymentId];
    if (!paymentId) return { kind: 'ignored', reason: `payment ${payment.id} was not made by Kassa` };
    const now = await settled(payment);
    if (paymentState(now).state === 'pending') return { kind: 'ignored', reason: `payment ${now.id} is ${now.status}` };
    const status = toPaymentStatus(now);
    return {
      kind: 'payment',
      callback: {
        ...status,
        eventId: `${now.id}.${now.status}`,
        paymentId,
        occurredAt: now.captured_at ?? now.created_at,
      },
    };
  }

  async function refundNotification(id: string, announced: string): Promise<TranslatedCallback> {
    const refund = await client.getRefund(id);
    if (!refund) throw new CallbackVerificationError(`YooKassa has no refund ${id}`);
    if (refund.status !== announced)
      throw new CallbackVerificationError(
        `the notification says refund ${id} is ${announced}; YooKassa's API says ${refund.status}`,
      );
    const refundId = refundIdOf(refund);
    if (!refundId) return { kind: 'ignored', reason: `refund ${refund.id} was not made by Kassa` };
    return { kind: 'refund', eventId: `${refund.id}.${refund.status}`, refundId, refund: toProviderRefund(refund) };
  }

  return {
    provider: 'yookassa',
    capabilities: CAPABILITIES,

    async createPayment(input) {
      const payment = await client.createPayment(toPaymentCreateBody(input), input.idempotencyKey);
      const url = payment.confirmation?.confirmation_url;
      if (payment.status !== 'pending' || !url) {
        const { state, declineReason } = paymentState(payment);
        throw new ProviderError(
          state === 'declined' || state === 'canceled' ? 'definite' : 'indeterminate',
          declineReason ?? 'no_confirmation_url',
          `YooKassa payment ${payment.id} is ${payment.status} without a page to confirm it`,
        );
      }
      return { providerPaymentId: payment.id, redirect: { method: 'GET', url } };
    },

    async getPaymentStatus(ref) {
      const payment = await findPayment(ref);
      return payment && toPaymentStatus(await settled(payment));
    },

    async cancelPayment(ref) {
      const payment = await findPayment(ref);
      if (!payment)
        throw new ProviderError('definite', 'not_found', `YooKassa has no payment for ${ref.idempotencyKey}`);
      if (payment.status === 'waiting_for_capture')
        return toPaymentStatus(await client.cancelPayment(payment.id, cancelKey(payment.id)));
      if (payment.status === 'pending')
        throw new ProviderError(
          'definite',
          'not_cancelable',
          `YooKassa payment ${payment.id} is pending: only a paid one can be canceled; an unpaid one expires`,
        );
      return toPaymentStatus(payment);
    },

    async verifyCallback(request) {
      const notification = readNotification(request, trusted);
      const [object, status] = notification.event.split('.') as [string, string];
      if (notification.object.status !== status)
        throw new CallbackVerificationError(
          `event ${notification.event} names an object in status ${notification.object.status}`,
        );
      if (object === 'payment' && ['waiting_for_capture', 'succeeded', 'canceled'].includes(status))
        return paymentNotification(notification.object.id, status);
      if (object === 'refund' && status === 'succeeded') return refundNotification(notification.object.id, status);
      return { kind: 'ignored', reason: `Kassa does not use YooKassa's ${notification.event} notifications` };
    },

    callbackReply: (outcome) => yookassaCallbackReply(outcome),

    async refundPayment(input) {
      return toProviderRefund(await client.createRefund(toRefundCreateBody(input), input.idempotencyKey));
    },

    async getRefundStatus({ refundId, providerRefundId }) {
      const refund = providerRefundId
        ? await client.getRefund(providerRefundId)
        : await client.findRefund((candidate) => refundIdOf(candidate) === refundId);
      return refund && toProviderRefund(refund);
    },
  };
}

/** YooKassa (API v3) as a Kassa connector adapter: one line in the registry. */
export const yookassaAdapter: ConnectorAdapter<YooKassaCredentials> = {
  provider: 'yookassa',
  methods: Object.entries(YOOKASSA_METHODS).map(([code, method]) => ({ code, title: method.title })),
  credentials: yookassaCredentialsSchema,
  secretFields: ['secret_key'],
  referenceFormat: 'kassa',
  modeProblem: yookassaModeProblem,
  connect: (credentials, context) => createYooKassaConnector(credentials, context),
};
