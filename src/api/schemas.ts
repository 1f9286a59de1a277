/**
 * Every request the APIs accept, and the resources they answer, as zod schemas: routes parse
 * with them and `openapi.ts` documents them. Request objects are strict: an unknown field is a
 * `400` naming it.
 */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { isSupportedCurrency } from '../domain/money';
import { paymentStatuses } from '../domain/payment';

extendZodWithOpenApi(z);

const httpUrl = z
  .string()
  .max(2048)
  .url()
  .refine((value) => /^https?:\/\//i.test(value), 'must be an http(s) URL')
  .openapi({ format: 'uri', example: 'https://shop.example/kassa/notify' });
const currency = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code in upper case')
  .refine(isSupportedCurrency, 'is not a supported currency')
  .openapi({ example: 'RUB' });
const id = (prefix: string, example = `${prefix}_3kTMd2pL9sXq7vB1nW0e`) =>
  z
    .string()
    .regex(new RegExp(`^${prefix}_[0-9A-Za-z]{8,64}$`), `must be a ${prefix}_ id`)
    .openapi({ example });
/** A money amount in major units, checked against its currency's decimals where it is used. */
const amount = z
  .string()
  .max(32)
  .openapi({ description: 'Decimal string in major units, no more decimals than the currency allows', example: '50.00' });
const amountPerCurrency = z
  .record(currency, amount)
  .refine((value) => Object.keys(value).length <= 30, 'at most 30 currencies')
  .openapi({ description: 'Amounts by currency', example: { RUB: '10.00' } });
const methodCode = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be a method code such as sandbox_card')
  .openapi({ example: 'sandbox_card' });
const percent = z
  .string()
  .regex(/^\d{1,3}(\.\d{1,2})?$/, 'must be a percentage such as "2.5" (at most two decimals)')
  .openapi({ example: '3.00' });

export const errorResponse = z
  .object({
    error: z.object({
      type: z.enum(['invalid_request_error', 'authentication_error', 'not_found_error', 'conflict_error', 'rate_limit_error', 'api_error']),
      code: z.string().openapi({ example: 'parameter_invalid' }),
      message: z.string(),
      param: z.string().optional().openapi({ description: 'The field at fault', example: 'amount' }),
    }),
  })
  .openapi('Error');

// Operator API

export const createMerchantBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200).openapi({ example: 'My shop' }),
    email: z.string().email().max(320).openapi({ example: 'me@shop.example' }),
  })
  .openapi('CreateMerchant');

export const merchantResource = z
  .object({
    id: id('mer'),
    object: z.literal('merchant'),
    name: z.string(),
    email: z.string(),
    created_at: z.string(),
  })
  .openapi('Merchant');

export const createdMerchantResource = merchantResource
  .extend({
    api_keys: z.object({ test: z.string().openapi({ example: 'sk_test_…' }), live: z.string().openapi({ example: 'sk_live_…' }) }).openapi({
      description: 'Shown once; Kassa keeps only their hashes',
    }),
  })
  .openapi('CreatedMerchant');

export const issueKeyBody = z.strictObject({ mode: z.enum(['test', 'live']) }).openapi('IssueApiKey');

export const apiKeyResource = z
  .object({
    id: id('key'),
    object: z.literal('api_key'),
    merchant_id: id('mer'),
    mode: z.enum(['test', 'live']),
    prefix: z.string().openapi({ description: 'The first 12 characters, to recognise the key by', example: 'sk_test_AbCd' }),
    created_at: z.string(),
    revoked_at: z.string().nullable(),
  })
  .openapi('ApiKey');

export const issuedApiKeyResource = apiKeyResource
  .extend({ secret: z.string().openapi({ description: 'The key itself, shown this once', example: 'sk_test_…' }) })
  .openapi('IssuedApiKey');

export const rotatedApiKeyResource = z
  .object({ revoked: apiKeyResource, issued: issuedApiKeyResource })
  .openapi('RotatedApiKey');

export const apiKeyList = z.object({ object: z.literal('list'), data: z.array(apiKeyResource), has_more: z.boolean() }).openapi('ApiKeyList');

const feeSchedule = z
  .strictObject({
    percent: percent.openapi({ description: 'Share of the amount, rounded half-up to the minor unit' }),
    fixed: amountPerCurrency.optional().openapi({ description: 'Added to the percentage, per currency', example: { RUB: '10.00' } }),
  })
  .openapi('FeeSchedule');

export const updatePricingBody = z
  .strictObject({
    fee: feeSchedule.optional().openapi({ description: "The checkout's default commission (3 % until set)" }),
    method_fees: z
      .record(methodCode, feeSchedule)
      .refine((value) => Object.keys(value).length <= 50, 'at most 50 methods')
      .optional()
      .openapi({ description: 'Commissions replacing the default for single methods; replaces the whole map' }),
  })
  .openapi('UpdateCheckoutPricing');

// Merchant API: checkouts

const feePayer = z
  .union([
    z.enum(['merchant', 'buyer']),
    z.strictObject({
      type: z.literal('split'),
      buyer_percent: z.number().int().min(0).max(100).openapi({ description: 'Whole percent of the fee the buyer pays' }),
    }),
  ])
  .openapi('FeePayer', {
    description:
      '`merchant`: the buyer pays the amount, the merchant is credited amount − fee. `buyer`: the buyer pays amount + fee, ' +
      'the merchant is credited the amount. `{"type":"split","buyer_percent":N}`: the buyer pays N % of the fee (rounded half-up), the merchant the rest.',
    example: 'merchant',
  });

const methodSetting = z
  .strictObject({
    method: methodCode,
    currencies: z
      .array(currency)
      .min(1)
      .max(20)
      .nullable()
      .optional()
      .openapi({ description: 'Shown only for these currencies; omitted or null: every currency of the checkout' }),
    min_amount: amountPerCurrency.optional().openapi({ description: 'Shown only from this amount, per currency' }),
    max_amount: amountPerCurrency.optional().openapi({ description: 'Shown only up to this amount, per currency' }),
  })
  .openapi('MethodSetting');

const checkoutFields = {
  name: z.string().trim().min(1).max(200).openapi({ example: 'My shop' }),
  site_url: httpUrl.openapi({ description: 'The shop; verified by POST /v1/checkouts/{id}/verify', example: 'https://shop.example' }),
  currencies: z.array(currency).min(1).max(20),
  notify_url: httpUrl.openapi({ description: 'Receives signed webhooks', example: 'https://shop.example/kassa/notify' }),
  success_url: httpUrl.openapi({ example: 'https://shop.example/ok' }),
  fail_url: httpUrl.openapi({ example: 'https://shop.example/fail' }),
  pending_url: httpUrl.openapi({ example: 'https://shop.example/wait' }),
  fee_payer: feePayer,
  methods: z
    .array(methodSetting)
    .max(50)
    .nullable()
    .openapi({ description: 'Enabled methods in display order, with display conditions; null or omitted: every method of the mode' }),
};

export const createCheckoutBody = z
  .strictObject({ ...checkoutFields, fee_payer: checkoutFields.fee_payer.default('merchant'), methods: checkoutFields.methods.optional() })
  .openapi('CreateCheckout');
export const updateCheckoutBody = z.strictObject(checkoutFields).partial().openapi('UpdateCheckout');

export const emptyBody = z.strictObject({}).openapi('Empty');

export const methodsQuery = z.strictObject({
  amount: amount.openapi({ param: { description: 'The payment amount' } }),
  currency: currency.openapi({ param: { description: 'The payment currency' } }),
});

const feeView = z.object({ percent: z.string().openapi({ example: '3.00' }), fixed: z.record(z.string(), z.string()).openapi({ example: {} }) });

export const checkoutResource = z
  .object({
    id: id('co'),
    object: z.literal('checkout'),
    name: z.string(),
    site_url: z.string(),
    currencies: z.array(z.string()),
    notify_url: z.string(),
    success_url: z.string(),
    fail_url: z.string(),
    pending_url: z.string(),
    fee_payer: feePayer,
    fee: feeView.openapi({ description: 'Default commission, set by the operator' }),
    methods: z
      .array(
        z.object({
          method: z.string(),
          title: z.string(),
          currencies: z.array(z.string()).nullable(),
          min_amount: z.record(z.string(), z.string()),
          max_amount: z.record(z.string(), z.string()),
          fee: feeView,
        }),
      )
      .openapi({ description: 'What is enabled now, with each method’s conditions and commission' }),
    methods_configured: z.boolean().openapi({ description: 'false while `methods` was never set: every method of the mode is enabled' }),
    verification: z.object({
      status: z.enum(['unverified', 'pending', 'verified', 'failed']),
      file_url: z.string().openapi({ example: 'https://shop.example/.well-known/kassa-verification.txt' }),
      token: z.string().openapi({ description: 'Serve this as the file’s content' }),
      verified_at: z.string().nullable(),
      last_error: z.string().nullable(),
    }),
    previous_secret_expires_at: z
      .string()
      .nullable()
      .openapi({ description: 'Until then webhooks are also signed with the secret before the last rotation' }),
    test_mode: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('Checkout');

export const checkoutWithSecretResource = checkoutResource
  .extend({ webhook_secret: z.string().openapi({ description: 'Shown on creation and rotation only', example: 'whsec_…' }) })
  .openapi('CheckoutWithSecret');

export const methodQuoteList = z
  .object({
    object: z.literal('list'),
    amount: z.string(),
    currency: z.string(),
    data: z.array(
      z.object({
        method: z.string(),
        title: z.string(),
        fee: z.string().openapi({ description: 'The whole commission' }),
        buyer_fee: z.string(),
        merchant_fee: z.string(),
        buyer_total: z.string().openapi({ description: 'What the buyer pays' }),
        merchant_net: z.string().openapi({ description: 'What the merchant is credited' }),
        fee_schedule: feeView,
      }),
    ),
    has_more: z.boolean(),
  })
  .openapi('MethodQuoteList');

// Merchant API: payments

const delivery = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('digital'), download_url: httpUrl }),
  z.strictObject({ type: z.literal('physical'), method: z.string().trim().min(1).max(100), eta_days: z.number().int().min(0).max(365) }),
]);

/** The body of `POST /v1/payments`; `expires_in` may not be below `minExpiresInSeconds` (config, 60). */
export const createPaymentBodyFor = (minExpiresInSeconds: number) =>
  z
    .strictObject({
      checkout_id: id('co'),
      order_id: z.string().trim().min(1).max(128).openapi({ description: 'Unique per checkout', example: 'A-1001' }),
      amount,
      currency,
      description: z.string().trim().min(1).max(500).openapi({ example: 'Test product' }),
      method: z.string().max(64).nullable().optional().openapi({ description: 'Skip the method choice with one of GET /v1/checkouts/{id}/methods' }),
      expires_in: z.number().int().min(minExpiresInSeconds).max(30 * 24 * 3600).optional().openapi({ description: 'Seconds; default 1800' }),
      delivery: delivery.nullable().optional(),
      buyer: z
        .strictObject({ email: z.string().trim().max(320).email('must be an e-mail address').openapi({ example: 'buyer@example.com' }) })
        .nullable()
        .optional()
        .openapi({ description: 'The buyer; with an e-mail, Kassa sends them a receipt once the payment is paid' }),
      metadata: z
        .record(z.string().max(40), z.string().max(500))
        .refine((value) => Object.keys(value).length <= 50, 'at most 50 keys')
        .optional(),
    })
    .openapi('CreatePayment');

export const createPaymentBody = createPaymentBodyFor(60);

export const listPaymentsQuery = z.strictObject({
  checkout_id: id('co').optional(),
  status: z.enum(paymentStatuses).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(10),
  starting_after: id('pay').optional(),
});

export const paymentResource = z
  .object({
    id: id('pay'),
    object: z.literal('payment'),
    checkout_id: z.string(),
    order_id: z.string(),
    status: z.enum(paymentStatuses),
    amount: z.string(),
    currency: z.string(),
    description: z.string(),
    method: z.string().nullable(),
    fee: z.string().nullable(),
    buyer_total: z.string().nullable(),
    merchant_net: z.string().nullable(),
    failure_reason: z.string().nullable(),
    checkout_url: z.string().openapi({ description: 'Send the buyer here' }),
    test_mode: z.boolean(),
    delivery: z.unknown().nullable(),
    created_at: z.string(),
    expires_at: z.string(),
    paid_at: z.string().nullable(),
    metadata: z.record(z.string(), z.string()),
  })
  .openapi('Payment');

export const paymentList = z.object({ object: z.literal('list'), data: z.array(paymentResource), has_more: z.boolean() }).openapi('PaymentList');

export const eventList = z
  .object({
    object: z.literal('list'),
    data: z.array(
      z.object({
        id: z.string(),
        object: z.literal('event'),
        type: z.string(),
        created_at: z.string(),
        delivered_at: z.string().nullable(),
        data: paymentResource,
        attempts: z.array(
          z.object({
            attempt: z.number(),
            url: z.string(),
            attempted_at: z.string(),
            status_code: z.number().nullable(),
            latency_ms: z.number(),
            error: z.string().nullable(),
          }),
        ),
      }),
    ),
    has_more: z.boolean(),
  })
  .openapi('EventList');

export const selectMethodBody = z.strictObject({ method: z.string().min(1).max(64) });
