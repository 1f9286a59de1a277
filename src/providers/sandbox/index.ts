import { z } from 'zod';
import type {
  ConnectorAdapter,
  ConnectorCapability,
  PaymentConnector,
  PaymentProvider,
  ProviderMethod,
} from '../types';
import { ProviderError } from '../types';
import { createSandboxClient, type SandboxClient } from './client';
import {
  toCreatePaymentOutput,
  toCreatePaymentRequest,
  toCreatePayoutRequest,
  toCreateRefundRequest,
  toPaymentStatus,
  toPayoutDestination,
  toProviderPayout,
  toProviderRefund,
  toProviderReport,
} from './mapper';
import { verifySandboxCallback } from './webhook';
import { providerUrl } from '../credentials';

export { signSandboxPayload } from './webhook';

export interface SandboxProviderOptions {
  /** Where the sandbox process listens, e.g. `http://127.0.0.1:4100` (`SANDBOX_URL`). */
  baseUrl: string;
  apiKey: string;
  /** Key of the HMAC on the sandbox's callbacks. */
  webhookSecret: string;
  /** Per request. Default 10 000. */
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

export const SANDBOX_METHODS: readonly ProviderMethod[] = [
  { code: 'sandbox_card', title: 'Bank card (sandbox)', testMode: true },
  { code: 'sandbox_wallet', title: 'E-wallet (sandbox)', testMode: true },
];

/** A sandbox connector's credentials: where its sandbox listens and its two keys. */
export const sandboxCredentialsSchema = z.strictObject({
  base_url: providerUrl,
  api_key: z.string().min(1).max(500),
  webhook_secret: z.string().min(1).max(500),
});
export type SandboxCredentials = z.infer<typeof sandboxCredentialsSchema>;

const SANDBOX_CAPABILITIES: ReadonlySet<ConnectorCapability> = new Set<ConnectorCapability>([
  'create',
  'status',
  'refund',
  'refund_status',
  'payout',
  'payout_status',
  'webhooks',
]);

function payoutActions(client: SandboxClient) {
  return {
    async resolvePayoutDestination(
      destination: Parameters<NonNullable<PaymentConnector['resolvePayoutDestination']>>[0],
    ) {
      if (destination.type === 'wallet') return destination;
      const card = await client.findCardToken(destination.token);
      if (!card) throw new ProviderError('definite', 'unknown_card_token', 'the sandbox does not know this card token');
      return toPayoutDestination(card);
    },
    async createPayout(input: Parameters<NonNullable<PaymentConnector['createPayout']>>[0]) {
      return toProviderPayout(await client.createPayout(input.idempotencyKey, toCreatePayoutRequest(input)));
    },
  };
}

/** One sandbox account as a connector: HMAC-signed JSON callbacks answered `{"received":true}`. */
export function createSandboxConnector(opts: SandboxProviderOptions): PaymentConnector {
  const client = createSandboxClient(opts);
  return {
    provider: 'sandbox',
    capabilities: SANDBOX_CAPABILITIES,
    async createPayment(input) {
      return toCreatePaymentOutput(await client.createPayment(input.idempotencyKey, toCreatePaymentRequest(input)));
    },
    async getPaymentStatus(ref) {
      const payment = await client.findPaymentByKey(ref.idempotencyKey);
      return payment && toPaymentStatus(payment);
    },
    async verifyCallback(request) {
      const callback = verifySandboxCallback(opts.webhookSecret, request.rawBody, request.headers, request.now);
      return { kind: 'payment', callback };
    },
    async refundPayment(input) {
      return toProviderRefund(await client.createRefund(input.idempotencyKey, toCreateRefundRequest(input)));
    },
    async getRefundStatus({ providerRefundId }) {
      const refund = providerRefundId ? await client.findRefund(providerRefundId) : null;
      return refund && toProviderRefund(refund);
    },
    ...payoutActions(client),
    async getPayoutStatus({ providerPayoutId }) {
      const payout = providerPayoutId ? await client.findPayout(providerPayoutId) : null;
      return payout && toProviderPayout(payout);
    },
    async report({ from, to }) {
      return toProviderReport(await client.report(from, to));
    },
  };
}

/** The sandbox simulator (simulators/sandbox) as a provider Kassa can connect to. */
export const sandboxAdapter: ConnectorAdapter<SandboxCredentials> = {
  provider: 'sandbox',
  methods: SANDBOX_METHODS.map(({ code, title }) => ({ code, title })),
  credentials: sandboxCredentialsSchema,
  secretFields: ['api_key', 'webhook_secret'],
  referenceFormat: 'kassa',
  connect: (credentials) =>
    createSandboxConnector({
      baseUrl: credentials.base_url,
      apiKey: credentials.api_key,
      webhookSecret: credentials.webhook_secret,
    }),
};

/**
 * The sandbox through the first provider contract.
 * @deprecated use {@link sandboxAdapter} through the connector registry.
 */
export function createSandboxProvider(opts: SandboxProviderOptions): PaymentProvider {
  const client = createSandboxClient(opts);
  return {
    name: 'sandbox',
    methods: SANDBOX_METHODS,
    async createPayment(input) {
      const payment = await client.createPayment(input.idempotencyKey, toCreatePaymentRequest(input));
      return { providerPaymentId: payment.id, redirectUrl: payment.checkout_url };
    },
    async getPaymentStatus(idempotencyKey) {
      const payment = await client.findPaymentByKey(idempotencyKey);
      return payment && toPaymentStatus(payment);
    },
    verifyCallback(rawBody, headers, now) {
      return verifySandboxCallback(opts.webhookSecret, rawBody, headers, now);
    },
    async refundPayment(input) {
      return toProviderRefund(await client.createRefund(input.idempotencyKey, toCreateRefundRequest(input)));
    },
    ...payoutActions(client),
    async report({ from, to }) {
      return toProviderReport(await client.report(from, to));
    },
  };
}
