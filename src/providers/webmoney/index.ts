import { z } from 'zod';
import type {
  CallbackOutcome,
  CallbackReply,
  ConnectorAdapter,
  ConnectorCapability,
  PaymentConnector,
  ProviderRefund,
  RefundPaymentInput,
  TranslatedCallback,
} from '../types';
import { ProviderError } from '../types';
import { createWebMoneyClient } from './client';
import { createX14Client, type X14Client } from './x14-client';
import {
  fromWebMoneyAmount,
  toWebMoneyAmount,
  paymentFormFields,
  paymentFormUrl,
  PURSE_PATTERN,
  purseCurrency,
  toPaymentStatus,
  transDateToIso,
} from './mapper';
import type { X18Answer } from './mapper';
import { type BuyerReturn, verifyWebMoneyCallback } from './webhook';
import { providerUrl } from '../credentials';

export { notificationHash, formSeal } from './mapper';

/** A PEM block of `label` (`CERTIFICATE`, `PRIVATE KEY` also matching `EC PRIVATE KEY`, …). */
const pem = (label: string) =>
  z
    .string()
    .max(20_000)
    .refine(
      (text) => new RegExp(`-----BEGIN [A-Z ]*${label}-----[\\s\\S]+-----END [A-Z ]*${label}-----`).test(text),
      `must be a PEM ${label.toLowerCase()}`,
    );

/** One WebMoney purse registered at the Merchant service: its owner, the purse, its secret key. */
export const webmoneyCredentialsSchema = z.strictObject({
  /** The Merchant service; tests point it at the simulator. */
  merchant_url: providerUrl.default('https://merchant.webmoney.ru'),
  /** The WMID owning the purse (12 digits), for X18. */
  wmid: z.string().regex(/^\d{12}$/, 'must be a 12-digit WMID'),
  /** The purse payments go to: its letter is its currency (Z USD, E EUR, P or R RUB, U UAH, K KZT, B BYN). */
  purse: z
    .string()
    .regex(PURSE_PATTERN, 'must be a purse: a letter and 12 digits')
    .refine((purse) => purseCurrency(purse) !== null, 'must be a Z, E, P, R, U, K or B purse'),
  /** The purse's Secret Key from its Merchant settings (also X18's). */
  secret_key: z.string().min(8).max(50),
  /** The purse's "Control signature forming method": SHA256 (default) or MD5. */
  hash_method: z.enum(['sha256', 'md5']).default('sha256'),
  /** W3S, where X14 (fee-free refund) is asked; tests point it at the simulator. */
  x14_url: providerUrl.default('https://w3s.wmtransfer.com'),
  /** The WMID's X.509 client certificate (WM Keeper WebPro), PEM: with its key, refunds through X14. */
  x14_client_cert: pem('CERTIFICATE').optional(),
  /** The private key of {@link x14_client_cert}, PEM. */
  x14_client_key: pem('PRIVATE KEY').optional(),
  /** The CA W3S's server certificate must chain to, PEM; the system's CAs when absent. */
  x14_ca: pem('CERTIFICATE').optional(),
});
export type WebMoneyCredentials = z.infer<typeof webmoneyCredentialsSchema>;

const CAPABILITIES: ReadonlySet<ConnectorCapability> = new Set<ConnectorCapability>(['create', 'status', 'webhooks']);
const WITH_REFUNDS: ReadonlySet<ConnectorCapability> = new Set<ConnectorCapability>([...CAPABILITIES, 'refund']);

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A page that sends the buyer on to `url` (the callback answer has no Location header). */
const onwardPage = (url: string): CallbackReply => ({
  status: 200,
  contentType: 'text/html; charset=utf-8',
  body: `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${escapeHtml(url)}"><title>Back to the payment</title></head><body><a href="${escapeHtml(url)}">Back to the payment</a></body></html>`,
});

/**
 * What the result URL answers: the pre-request `YES` (or the reason it is refused, which WebMoney
 * shows the buyer), a notification `200` with an empty body, a refused call `403` with a short reason.
 */
export function webmoneyReply(outcome: CallbackOutcome, callback: TranslatedCallback | null): CallbackReply {
  if (callback?.kind === 'check')
    return { status: 200, contentType: 'text/plain; charset=utf-8', body: callback.reply ?? 'YES' };
  if (outcome === 'rejected')
    return { status: 403, contentType: 'text/plain; charset=utf-8', body: 'NO: not verified' };
  return { status: 200, contentType: 'text/plain; charset=utf-8', body: '' };
}

/** WebMoney Merchant Interface: the buyer pays at WebMoney through a POSTed form; X18 says what was paid. */
export const webmoneyAdapter: ConnectorAdapter<WebMoneyCredentials> = {
  provider: 'webmoney',
  methods: [{ code: 'webmoney_wallet', title: 'WebMoney' }],
  credentials: webmoneyCredentialsSchema,
  secretFields: ['secret_key', 'x14_client_cert', 'x14_client_key'],
  referenceFormat: 'numeric',
  connect(credentials, context): PaymentConnector {
    const testMode = context.mode === 'test';
    const account = {
      purse: credentials.purse,
      secretKey: credentials.secret_key,
      hashMethod: credentials.hash_method,
      testMode,
    };
    const client = createWebMoneyClient({
      merchantUrl: credentials.merchant_url,
      wmid: credentials.wmid,
      purse: credentials.purse,
      secretKey: credentials.secret_key,
      hashMethod: credentials.hash_method,
    });
    const currency = purseCurrency(credentials.purse)!;
    const x14: X14Client | null =
      credentials.x14_client_cert && credentials.x14_client_key
        ? createX14Client({
            baseUrl: credentials.x14_url,
            cert: credentials.x14_client_cert,
            key: credentials.x14_client_key,
            ...(credentials.x14_ca && { ca: credentials.x14_ca }),
          })
        : null;
    /**
     * X14: the payment's WebMoney transaction (X18, by payment number), then the refund. X14 has no
     * idempotency key, so a request whose answer is lost is never sent again: the refund stays
     * `pending` for the operator. A refusal (any `retval` but 0) is a failed refund.
     */
    const refundPayment = async (input: RefundPaymentInput): Promise<ProviderRefund> => {
      if (input.currency !== currency)
        throw new ProviderError('definite', 'currency_not_supported', `the purse holds ${currency}`);
      if (!/^\d{1,10}$/.test(input.providerPaymentId))
        throw new ProviderError('definite', 'invalid_reference', 'not a WebMoney payment number');
      const found = await client.findPayment(input.providerPaymentId);
      if (!toPaymentStatus(found, input.providerPaymentId, currency) || !found.operation?.wmtransid)
        throw new ProviderError('definite', 'payment_not_found', 'X18 finds no payment under this number');
      const result = await x14!.refund(found.operation.wmtransid, toWebMoneyAmount(input.amountMinor, currency));
      if (result.kind === 'lost')
        return { providerRefundId: '', state: 'pending', amountMinor: input.amountMinor, currency };
      const { answer } = result;
      if (answer.retval !== '0' || !answer.operation)
        return {
          providerRefundId: '',
          state: 'failed',
          amountMinor: input.amountMinor,
          currency,
          failureReason: `x14_${answer.retval}`,
        };
      const amountMinor = fromWebMoneyAmount(answer.operation.amount, currency);
      if (amountMinor === null)
        return { providerRefundId: answer.operation.id, state: 'pending', amountMinor: input.amountMinor, currency };
      return { providerRefundId: answer.operation.id, state: 'succeeded', amountMinor, currency };
    };
    /** Buyers back from the fail URL, by their translated callback: where each goes on to. */
    const returns = new WeakMap<TranslatedCallback, string>();
    /** What X18 says of a returning buyer's payment number: paid after all, or the attempt declined. */
    const buyerReturn = (back: BuyerReturn, answer: X18Answer, now: Date): TranslatedCallback => {
      const found = toPaymentStatus(answer, back.paymentNo, currency);
      if (found && answer.operation) {
        return {
          kind: 'payment',
          callback: {
            eventId: `wm_${credentials.purse}_${answer.operation.wmtransid}`,
            providerPaymentId: back.paymentNo,
            paymentId: back.paymentId,
            state: 'succeeded',
            amountMinor: found.amountMinor,
            currency,
            occurredAt: transDateToIso(answer.operation.operdate) ?? now.toISOString(),
          },
        };
      }
      return {
        kind: 'payment',
        callback: {
          eventId: `wm_return_${credentials.purse}_${back.paymentNo}_${back.invoiceNo}`,
          providerPaymentId: back.paymentNo,
          paymentId: back.paymentId,
          state: 'declined',
          amountMinor: back.amountMinor,
          currency,
          occurredAt: now.toISOString(),
          declineReason: 'not_paid_at_webmoney',
        },
      };
    };
    return {
      provider: 'webmoney',
      capabilities: x14 ? WITH_REFUNDS : CAPABILITIES,
      ...(x14 && { refundPayment }),
      async createPayment(input) {
        return {
          providerPaymentId: null,
          redirect: {
            method: 'POST',
            url: paymentFormUrl(credentials.merchant_url),
            fields: paymentFormFields(input, account),
          },
        };
      },
      async getPaymentStatus(ref) {
        if (!/^\d{1,10}$/.test(ref.reference)) return null;
        return toPaymentStatus(await client.findPayment(ref.reference), ref.reference, currency);
      },
      async verifyCallback(request) {
        const verified = verifyWebMoneyCallback(account, request);
        if (verified.kind !== 'return') return verified;
        let translated: TranslatedCallback;
        try {
          translated = buyerReturn(verified, await client.findPayment(verified.paymentNo), request.now);
        } catch (error) {
          translated = { kind: 'ignored', reason: `X18 not answered: ${(error as Error).message}` };
        }
        returns.set(translated, `${context.publicUrl}/pay/${encodeURIComponent(verified.paymentId)}/return`);
        return translated;
      },
      callbackReply(outcome, callback) {
        const onward = callback && returns.get(callback);
        return onward ? onwardPage(onward) : webmoneyReply(outcome, callback);
      },
    };
  },
};
