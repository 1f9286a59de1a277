/**
 * Interkassa as an upstream provider: Kassa is the merchant of an Interkassa checkout. The buyer
 * is sent by a self-submitting POST of the signed SCI form; the interaction says how it ended
 * (checked with `ik_sign`); the REST API answers where an invoice stands and makes refunds.
 */
import { z } from 'zod';
import { ProviderError, type ConnectorAdapter, type ConnectorCapability, type PaymentConnector } from '../types';
import { createInterkassaClient } from './client';
import { invoiceState, toInterkassaAmount, toPaymentStatus, toProviderRefund, toSciForm } from './mapper';
import { verifyInteraction } from './webhook';
import { providerUrl } from '../credentials';

export { INTERKASSA_TEST_PAYWAY } from './mapper';

const key = z.string().min(1).max(200);

/** An Interkassa connector's credentials: the checkout (its id and keys) and the API user. */
export const interkassaCredentialsSchema = z.strictObject({
  /** The checkout's id (`ik_co_id`): 24 hex digits. */
  checkout_id: z.string().regex(/^[0-9a-f]{24}$/, 'must be the checkout id: 24 lower-case hex digits'),
  /** The checkout's secret key: signs the form and the interactions of real payways. */
  secret_key: key,
  /** The checkout's test key: signs the interactions of the test payway. */
  test_key: key,
  /** The checkout's signature algorithm. */
  sign_algorithm: z.enum(['md5', 'sha256']).default('md5'),
  /** The API user's id and key (Interkassa's account settings, API): status checks and refunds. */
  api_user_id: key,
  api_key: key,
  /** The business account (`Ik-Api-Account-Id`), where the API asks for one. */
  api_account_id: z.string().min(1).max(100).optional(),
  sci_url: providerUrl.default('https://sci.interkassa.com/'),
  api_url: providerUrl.default('https://api.interkassa.com/v1'),
});
export type InterkassaCredentials = z.infer<typeof interkassaCredentialsSchema>;

const CAPABILITIES: ReadonlySet<ConnectorCapability> = new Set<ConnectorCapability>([
  'create',
  'status',
  'refund',
  'webhooks',
]);

export interface InterkassaConnectorOptions {
  credentials: InterkassaCredentials;
  mode: 'test' | 'live';
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

/** One Interkassa checkout as a connector. */
export function createInterkassaConnector(opts: InterkassaConnectorOptions): PaymentConnector {
  const { credentials, mode } = opts;
  const client = createInterkassaClient({
    apiUrl: credentials.api_url,
    apiUserId: credentials.api_user_id,
    apiKey: credentials.api_key,
    ...(credentials.api_account_id && { apiAccountId: credentials.api_account_id }),
    ...(opts.timeoutMs !== undefined && { timeoutMs: opts.timeoutMs }),
    ...(opts.fetchImpl && { fetchImpl: opts.fetchImpl }),
  });
  /** The invoice of an order number (the paid one, else the newest), or of an invoice id. */
  async function invoiceOf(paymentNoOrId: string) {
    if (/^\d{1,20}$/.test(paymentNoOrId)) return client.invoice(paymentNoOrId);
    const invoices = await client.invoicesByPaymentNo(credentials.checkout_id, paymentNoOrId);
    return invoices.find((invoice) => invoiceState(invoice.state) === 'succeeded') ?? invoices[0] ?? null;
  }
  return {
    provider: 'interkassa',
    capabilities: CAPABILITIES,
    async createPayment(input) {
      const fields = toSciForm(input, {
        checkoutId: credentials.checkout_id,
        secretKey: credentials.secret_key,
        signAlgorithm: credentials.sign_algorithm,
        testMode: mode === 'test',
      });
      // Interkassa numbers its invoice only when the form arrives: the interaction names it.
      return { providerPaymentId: null, redirect: { method: 'POST', url: credentials.sci_url, fields } };
    },
    async getPaymentStatus(ref) {
      const invoice = await invoiceOf(ref.providerPaymentId ?? ref.reference);
      return invoice && toPaymentStatus(invoice);
    },
    async verifyCallback(request) {
      return verifyInteraction(
        {
          checkoutId: credentials.checkout_id,
          secretKey: credentials.secret_key,
          testKey: credentials.test_key,
          signAlgorithm: credentials.sign_algorithm,
          live: mode === 'live',
        },
        request,
      );
    },
    callbackReply(outcome) {
      // Interkassa counts an interaction delivered on HTTP 200 and sends it again otherwise.
      return outcome === 'rejected'
        ? { status: 400, contentType: 'text/plain; charset=utf-8', body: 'ik_sign invalid' }
        : { status: 200, contentType: 'text/plain; charset=utf-8', body: 'OK' };
    },
    async refundPayment(input) {
      const invoice = await invoiceOf(input.providerPaymentId);
      if (!invoice || invoiceState(invoice.state) !== 'succeeded')
        throw new ProviderError(
          'definite',
          'not_paid',
          `interkassa has no paid invoice for ${input.providerPaymentId}`,
        );
      const refund = await client.refund({
        invoiceId: invoice.id,
        amount: toInterkassaAmount(input.amountMinor, input.currency),
        merchantOrderId: input.refundId,
        description: `Refund ${input.refundId}`,
      });
      const message = (refund as { message?: unknown }).message;
      return toProviderRefund(refund, input.currency, typeof message === 'string' ? message : undefined);
    },
  };
}

/** Interkassa: Kassa as the merchant of an Interkassa checkout (SCI form, interaction, REST API). */
export const interkassaAdapter: ConnectorAdapter<InterkassaCredentials> = {
  provider: 'interkassa',
  methods: [{ code: 'interkassa_checkout', title: 'Interkassa (cards, wallets)' }],
  credentials: interkassaCredentialsSchema,
  secretFields: ['secret_key', 'test_key', 'api_key'],
  referenceFormat: 'kassa',
  connect: (credentials, context) => createInterkassaConnector({ credentials, mode: context.mode }),
};
