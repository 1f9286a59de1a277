import { z } from 'zod';
import {
  type ConnectorAdapter,
  type ConnectorCapability,
  type ConnectorContext,
  type PaymentConnector,
  type ProviderPaymentRef,
  CallbackVerificationError,
  ProviderError,
} from '../types';
import { createStripeClient, type StripeClient } from './client';
import {
  sessionMadeWith,
  STRIPE_METHODS,
  type StripeSession,
  toPaymentStatus,
  toProviderRefund,
  toRefundCreateParams,
  toSessionCreateParams,
} from './mapper';
import { verifyStripeCallback } from './webhook';

/** A Stripe account's keys, as the operator gives them in `POST /admin/connectors`. */
export const stripeCredentialsSchema = z.strictObject({
  /** `sk_test_…`/`sk_live_…` (or a restricted `rk_…` key): its mode must be the connector's. */
  secret_key: z
    .string()
    .regex(/^(sk|rk)_(test|live)_[0-9A-Za-z_]+$/, 'a Stripe secret key: sk_test_… or sk_live_… (or rk_…)'),
  /** The signing secret of the webhook endpoint registered for this connector: `whsec_…`. */
  webhook_secret: z.string().regex(/^whsec_[0-9A-Za-z+/=_-]+$/, "the webhook endpoint's signing secret: whsec_…"),
  /** Another API base than Stripe's, e.g. `http://127.0.0.1:12111` for stripe-mock. */
  api_base: z
    .string()
    .refine((value) => {
      try {
        const url = new URL(value);
        return (url.protocol === 'http:' || url.protocol === 'https:') && (url.pathname === '/' || url.pathname === '');
      } catch {
        return false;
      }
    }, 'an http(s) URL with no path, e.g. http://127.0.0.1:12111')
    .optional(),
});
export type StripeCredentials = z.infer<typeof stripeCredentialsSchema>;

/** The mode a Stripe key works in: `sk_test_…` test, `sk_live_…` live. */
export const stripeKeyMode = (secretKey: string): 'test' | 'live' =>
  /^(sk|rk)_live_/.test(secretKey) ? 'live' : 'test';

/** Why these credentials cannot serve a connector of `mode` (its key is of the other mode), or null. */
export const stripeModeProblem = (
  credentials: StripeCredentials,
  mode: 'test' | 'live',
): { field: 'secret_key'; message: string } | null =>
  stripeKeyMode(credentials.secret_key) === mode
    ? null
    : { field: 'secret_key', message: `a ${mode} connector needs a ${mode} key (sk_${mode}_…)` };

const CAPABILITIES: ReadonlySet<ConnectorCapability> = new Set([
  'create',
  'status',
  'cancel',
  'refund',
  'refund_status',
  'webhooks',
]);

export interface StripeConnectorOptions {
  /** Per request to Stripe. Default 10 000. */
  timeoutMs?: number;
}

/**
 * A connector that refuses everything: its key's mode is not the connector's, so a live
 * connector never takes test payments as paid, and a test one never charges real cards.
 */
function mismatchedConnector(keyMode: 'test' | 'live', mode: 'test' | 'live'): PaymentConnector {
  const refuse = async (): Promise<never> => {
    throw new ProviderError('definite', 'key_mode_mismatch', `a ${keyMode} Stripe key at a ${mode} connector`);
  };
  return {
    provider: 'stripe',
    capabilities: CAPABILITIES,
    createPayment: refuse,
    getPaymentStatus: refuse,
    cancelPayment: refuse,
    refundPayment: refuse,
    getRefundStatus: refuse,
    async verifyCallback() {
      throw new CallbackVerificationError(`a ${keyMode} Stripe key at a ${mode} connector`);
    },
  };
}

/**
 * One Stripe account: payments are Checkout Sessions (Stripe's hosted page, reached by a GET
 * redirect, so Kassa never sees a card), found again by the session id or by the attempt key in
 * their metadata; refunds go to the session's PaymentIntent; webhooks come to
 * `/callbacks/stripe/:connector_id`, signed with that endpoint's secret.
 */
export function createStripeConnector(
  credentials: StripeCredentials,
  context: Pick<ConnectorContext, 'mode'>,
  options: StripeConnectorOptions = {},
): PaymentConnector {
  const keyMode = stripeKeyMode(credentials.secret_key);
  if (keyMode !== context.mode) return mismatchedConnector(keyMode, context.mode);
  const client: StripeClient = createStripeClient({
    secretKey: credentials.secret_key,
    ...(credentials.api_base !== undefined && { apiBase: credentials.api_base }),
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
  });

  /** The whole session (its PaymentIntent expanded), by id or, when the create answer was lost, by key. */
  const findSession = async (ref: ProviderPaymentRef): Promise<StripeSession | null> => {
    if (ref.providerPaymentId) return client.retrieveSession(ref.providerPaymentId);
    const found = await client.findSession((session) => sessionMadeWith(session, ref), ref.idempotencyKey);
    return found && client.retrieveSession(found.id);
  };

  return {
    provider: 'stripe',
    capabilities: CAPABILITIES,

    async createPayment(input) {
      const session = await client.createSession(toSessionCreateParams(input), input.idempotencyKey);
      if (!session.url)
        throw new ProviderError('indeterminate', 'unexpected_response', `Checkout Session ${session.id} has no URL`);
      return { providerPaymentId: session.id, redirect: { method: 'GET', url: session.url } };
    },

    async getPaymentStatus(ref) {
      const session = await findSession(ref);
      return session && toPaymentStatus(session);
    },

    async cancelPayment(ref) {
      const session = await findSession(ref);
      if (!session)
        throw new ProviderError('definite', 'not_found', `Stripe has no Checkout Session for ${ref.idempotencyKey}`);
      if (session.status !== 'open') return toPaymentStatus(session);
      try {
        // Only an open session can be expired, and an expired one can never be paid.
        await client.expireSession(session.id, `${ref.idempotencyKey}-expire`);
        return toPaymentStatus({ ...session, status: 'expired' });
      } catch (error) {
        // Paid or expired meanwhile: it is no longer open, so say what it is now.
        if (!(error instanceof ProviderError) || error.kind !== 'definite') throw error;
        const now = await client.retrieveSession(session.id);
        if (!now || now.status === 'open') throw error;
        return toPaymentStatus(now);
      }
    },

    verifyCallback: async (request) => verifyStripeCallback(credentials.webhook_secret, context.mode, request),

    async refundPayment(input) {
      const session = await client.retrieveSession(input.providerPaymentId);
      if (!session)
        throw new ProviderError('definite', 'not_found', `Stripe has no Checkout Session ${input.providerPaymentId}`);
      const intent = session.payment_intent;
      const intentId = typeof intent === 'string' ? intent : intent?.id;
      if (!intentId)
        throw new ProviderError('definite', 'not_paid', `Checkout Session ${session.id} has no payment to refund`);
      const refund = await client.createRefund(toRefundCreateParams(input, intentId), input.idempotencyKey);
      return toProviderRefund(refund);
    },

    async getRefundStatus({ refundId, providerRefundId }) {
      const refund = providerRefundId
        ? await client.retrieveRefund(providerRefundId)
        : await client.findRefund(refundId);
      return refund && toProviderRefund(refund);
    },
  };
}

/** Stripe as a Kassa connector adapter: one line in the registry. */
export const stripeAdapter: ConnectorAdapter<StripeCredentials> = {
  provider: 'stripe',
  methods: Object.entries(STRIPE_METHODS).map(([code, method]) => ({ code, title: method.title })),
  credentials: stripeCredentialsSchema,
  secretFields: ['secret_key', 'webhook_secret'],
  referenceFormat: 'kassa',
  modeProblem: stripeModeProblem,
  connect: (credentials, context) => createStripeConnector(credentials, context),
};
