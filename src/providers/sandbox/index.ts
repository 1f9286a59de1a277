import { type PaymentProvider, ProviderError, type ProviderMethod } from '../types';
import { createSandboxClient } from './client';
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

export function createSandboxProvider(opts: SandboxProviderOptions): PaymentProvider {
  const client = createSandboxClient(opts);
  return {
    name: 'sandbox',
    methods: SANDBOX_METHODS,
    async createPayment(input) {
      const payment = await client.createPayment(input.idempotencyKey, toCreatePaymentRequest(input));
      return toCreatePaymentOutput(payment);
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
    async resolvePayoutDestination(destination) {
      if (destination.type === 'wallet') return destination;
      const card = await client.findCardToken(destination.token);
      if (!card) throw new ProviderError('definite', 'unknown_card_token', 'the sandbox does not know this card token');
      return toPayoutDestination(card);
    },
    async createPayout(input) {
      return toProviderPayout(await client.createPayout(input.idempotencyKey, toCreatePayoutRequest(input)));
    },
    async report({ from, to }) {
      return toProviderReport(await client.report(from, to));
    },
  };
}
