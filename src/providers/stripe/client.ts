import Stripe from 'stripe';
import type { z } from 'zod';
import { ProviderError } from '../types';
import {
  classifyStripeError,
  METADATA,
  type StripeErrorShape,
  type StripeRefund,
  type StripeSession,
  stripeIntentSchema,
  stripeRefundSchema,
  stripeSessionSchema,
} from './mapper';

export interface StripeClientOptions {
  secretKey: string;
  /** `http://127.0.0.1:12111` for stripe-mock; Stripe's own API when absent. */
  apiBase?: string;
  /** Per request. Default 10 000. */
  timeoutMs?: number;
}

/** How far back a lookup by key reaches: Stripe keeps an idempotency key for 24 hours. */
const LOOKUP_WINDOW_SECONDS = 24 * 60 * 60;
/** Pages of 100 a lookup by key reads before it gives up as unknown. */
const LOOKUP_PAGES = 10;

function sdkOf(opts: StripeClientOptions): Stripe {
  const base = opts.apiBase ? new URL(opts.apiBase) : undefined;
  return new Stripe(opts.secretKey, {
    // Temporal's retry policy owns retries, each under the same idempotency key.
    maxNetworkRetries: 0,
    timeout: opts.timeoutMs ?? 10_000,
    telemetry: false,
    appInfo: { name: 'Kassa' },
    ...(base && {
      host: base.hostname,
      port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)),
      protocol: base.protocol === 'https:' ? 'https' : 'http',
    }),
  });
}

const isStripeError = (error: unknown): error is StripeErrorShape => error instanceof Stripe.errors.StripeError;

const isMissing = (error: unknown) =>
  isStripeError(error) && error.statusCode === 404 && error.type === 'StripeInvalidRequestError';

/** Stripe's answer checked against the fields Kassa reads: anything else is Stripe's fault, not ours. */
function read<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new ProviderError('indeterminate', 'unexpected_response', `Stripe answered an unreadable ${what}`);
  return parsed.data;
}

/**
 * Stripe's API through its SDK, every failure classified once ({@link classifyStripeError}).
 * Every POST carries Kassa's key as `Idempotency-Key`.
 */
export function createStripeClient(opts: StripeClientOptions) {
  const sdk = sdkOf(opts);

  async function call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (isStripeError(error)) throw classifyStripeError(error);
      throw error;
    }
  }

  /** `null` for a 404 (Stripe never saw it). */
  async function orNull<T>(request: () => Promise<T>): Promise<T | null> {
    try {
      return await request();
    } catch (error) {
      if (isMissing(error)) return null;
      if (isStripeError(error)) throw classifyStripeError(error);
      throw error;
    }
  }

  const since = () => ({ gte: Math.floor(Date.now() / 1000) - LOOKUP_WINDOW_SECONDS });

  /** The first item `matches` accepts among everything a list call pages through, newest first. */
  async function scan<T extends { id: string }>(
    page: (startingAfter: string | undefined) => Promise<{ data: unknown[]; has_more: boolean }>,
    parse: (value: unknown) => T,
    matches: (item: T) => boolean,
    what: string,
  ): Promise<T | null> {
    let startingAfter: string | undefined;
    for (let pages = 0; pages < LOOKUP_PAGES; pages++) {
      const list = await call(() => page(startingAfter));
      const items = list.data.map(parse);
      const found = items.find(matches);
      if (found) return found;
      if (!list.has_more || items.length === 0) return null;
      startingAfter = items[items.length - 1]!.id;
    }
    throw new ProviderError(
      'indeterminate',
      'lookup_incomplete',
      `more than ${LOOKUP_PAGES * 100} ${what} in a day: not found among the newest`,
    );
  }

  return {
    async createSession(params: Stripe.Checkout.SessionCreateParams, idempotencyKey: string): Promise<StripeSession> {
      const session = await call(() => sdk.checkout.sessions.create(params, { idempotencyKey }));
      return read(stripeSessionSchema, session, 'Checkout Session');
    },

    async retrieveSession(id: string): Promise<StripeSession | null> {
      const session = await orNull(() => sdk.checkout.sessions.retrieve(id, { expand: ['payment_intent'] }));
      return session && read(stripeSessionSchema, session, 'Checkout Session');
    },

    async expireSession(id: string, idempotencyKey: string): Promise<void> {
      await call(() => sdk.checkout.sessions.expire(id, {}, { idempotencyKey }));
    },

    /**
     * The session made with an attempt key, when its create answer was lost: through the
     * PaymentIntent search (a session has a PaymentIntent once the buyer submits), then among the
     * day's sessions. `null` when Stripe has none.
     */
    async findSession(matches: (session: StripeSession) => boolean, attemptKey: string): Promise<StripeSession | null> {
      const quoted = attemptKey.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
      const intents = await call(() =>
        sdk.paymentIntents.search({ query: `metadata['${METADATA.attemptKey}']:'${quoted}'`, limit: 10 }),
      );
      for (const value of intents.data) {
        const intent = read(
          stripeIntentSchema.extend({ metadata: stripeSessionSchema.shape.metadata }),
          value,
          'PaymentIntent',
        );
        if (intent.metadata?.[METADATA.attemptKey] !== attemptKey) continue;
        const sessions = await call(() => sdk.checkout.sessions.list({ payment_intent: intent.id, limit: 1 }));
        const session = sessions.data[0] && read(stripeSessionSchema, sessions.data[0], 'Checkout Session');
        if (session && matches(session)) return session;
      }
      return scan(
        (startingAfter) =>
          sdk.checkout.sessions.list({
            limit: 100,
            created: since(),
            ...(startingAfter && { starting_after: startingAfter }),
          }),
        (value) => read(stripeSessionSchema, value, 'Checkout Session'),
        matches,
        'Checkout Sessions',
      );
    },

    async createRefund(params: Stripe.RefundCreateParams, idempotencyKey: string): Promise<StripeRefund> {
      const refund = await call(() => sdk.refunds.create(params, { idempotencyKey }));
      return read(stripeRefundSchema, refund, 'Refund');
    },

    async retrieveRefund(id: string): Promise<StripeRefund | null> {
      const refund = await orNull(() => sdk.refunds.retrieve(id));
      return refund && read(stripeRefundSchema, refund, 'Refund');
    },

    /** The day's refund that Kassa made as `refundId`, `null` when Stripe has none. */
    findRefund(refundId: string): Promise<StripeRefund | null> {
      return scan(
        (startingAfter) =>
          sdk.refunds.list({ limit: 100, created: since(), ...(startingAfter && { starting_after: startingAfter }) }),
        (value) => read(stripeRefundSchema, value, 'Refund'),
        (refund) => refund.metadata?.[METADATA.refundId] === refundId,
        'Refunds',
      );
    },
  };
}

export type StripeClient = ReturnType<typeof createStripeClient>;
