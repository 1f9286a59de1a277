/**
 * Every request the APIs accept, and the resources they answer, as zod schemas: routes parse
 * with them and `openapi.ts` documents them. Request objects are strict: an unknown field is a
 * `400` naming it.
 */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { checkoutTypes } from '../domain/checkout';
import { merchantEventTypes } from '../domain/event-types';
import { isSupportedCurrency, supportedCurrencies } from '../domain/money';
import { paymentStatuses } from '../domain/payment';
import { availableLocales } from '../i18n';

extendZodWithOpenApi(z);

/** At most `max` characters, counted as the document counts them (Unicode code points, not UTF-16 units). */
const atMost = (max: number) => (value: string) => [...value].length <= max;

/** A string of at most `max` characters. */
export const chars = (max: number) =>
  z.string().refine(atMost(max), `must be at most ${max} characters`).openapi({ maxLength: max });

/** Text of at most `max` characters with something besides white space; stored trimmed. */
export const text = (max: number) =>
  z
    .string()
    .refine(atMost(max), `must be at most ${max} characters`)
    .trim()
    .min(1, 'must not be blank')
    .openapi({ maxLength: max, pattern: '\\S', description: 'Surrounding white space is removed' });

const httpUrl = z
  .string()
  .refine(atMost(2048), 'must be at most 2048 characters')
  .regex(/^https?:\/\/\S+$/i, 'must be an http(s) URL without spaces')
  .url()
  .openapi({
    format: 'uri',
    maxLength: 2048,
    pattern: '^[Hh][Tt][Tt][Pp][Ss]?://\\S+$',
    example: 'https://shop.example/kassa/notify',
  });
/** What Kassa takes as an e-mail address, in the API and in forms alike. */
export const emailPattern = z.regexes.email;

export const email = z
  .string()
  .refine(atMost(320), 'must be at most 320 characters')
  .email('must be an e-mail address')
  .openapi({ format: 'email', maxLength: 320, pattern: z.regexes.email.source });
export const currency = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code in upper case')
  .refine(isSupportedCurrency, 'is not a supported currency')
  .openapi({
    enum: supportedCurrencies,
    description: 'ISO 4217, upper case; one of the currencies Kassa supports',
    example: 'RUB',
  });
/** A `prefix_` id as Kassa makes them. */
export const id = (prefix: string, example = `${prefix}_3kTMd2pL9sXq7vB1nW0e`) =>
  z
    .string()
    .regex(new RegExp(`^${prefix}_[0-9A-Za-z]{8,64}$`), `must be a ${prefix}_ id`)
    .openapi({ example });

const decimals =
  'at most as many decimals as the currency allows (0 for JPY, 2 for RUB, 3 for KWD; a `400` naming the field otherwise)';
/** A money amount in major units, zero allowed; checked against its currency's decimals where it is used. */
export const amount = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,17})(\.[0-9]{1,3})?$/, 'must be a decimal string such as "50.00"')
  .openapi({ description: `Decimal string in major units, ${decimals}`, example: '50.00' });
/** A money amount above zero. */
export const positiveAmount = z
  .string()
  .regex(
    /^([1-9][0-9]{0,17}(\.[0-9]{1,3})?|0\.([1-9][0-9]{0,2}|0[1-9][0-9]?|00[1-9]))$/,
    'must be a decimal string above zero such as "50.00"',
  )
  .openapi({ description: `Decimal string in major units, above zero, ${decimals}`, example: '50.00' });
/** A money amount as Kassa answers it: the currency's full decimals, negative only for a debit. */
export const moneyOut = (example: string) =>
  z
    .string()
    .regex(/^-?(0|[1-9][0-9]*)(\.[0-9]{1,3})?$/)
    .openapi({ example });
const amountPerCurrency = z
  .record(currency, amount)
  .refine((value) => Object.keys(value).length <= 30, 'at most 30 currencies')
  .openapi({
    description: 'Amounts by currency',
    example: { RUB: '10.00' },
    maxProperties: 30,
    propertyNames: { enum: supportedCurrencies },
  } as object);
const methodCode = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be a method code such as sandbox_card')
  .openapi({ example: 'sandbox_card' });
const percent = z
  .string()
  .regex(
    /^(0?[0-9]{1,2}(\.[0-9]{1,2})?|100(\.0{1,2})?)$/,
    'must be a percentage from 0 to 100 such as "2.5" (at most two decimals)',
  )
  .openapi({ example: '3.00' });

/** A time as Kassa answers it: ISO 8601, UTC. */
export const time = z.string().openapi({ format: 'date-time', example: '2026-01-01T12:00:00.000Z' });

export const errorResponse = z
  .object({
    error: z.object({
      type: z.enum([
        'invalid_request_error',
        'authentication_error',
        'not_found_error',
        'conflict_error',
        'rate_limit_error',
        'api_error',
      ]),
      code: z.string().openapi({ example: 'parameter_invalid' }),
      message: z.string(),
      param: z.string().optional().openapi({ description: 'The field at fault', example: 'amount' }),
    }),
  })
  .openapi('Error');

// Operator API

export const createMerchantBody = z
  .strictObject({
    name: text(200).openapi({ example: 'My shop' }),
    email: email.openapi({ example: 'me@shop.example' }),
  })
  .openapi('CreateMerchant');

export const merchantResource = z
  .object({
    id: id('mer'),
    object: z.literal('merchant'),
    name: z.string(),
    email: z.string(),
    created_at: time,
  })
  .openapi('Merchant');

export const createdMerchantResource = merchantResource
  .extend({
    api_keys: z
      .object({
        test: z.string().openapi({ example: 'sk_test_…' }),
        live: z.string().openapi({ example: 'sk_live_…' }),
      })
      .openapi({
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
    prefix: z
      .string()
      .openapi({ description: 'The first 12 characters, to recognise the key by', example: 'sk_test_AbCd' }),
    created_at: time,
    revoked_at: time.nullable(),
  })
  .openapi('ApiKey');

export const issuedApiKeyResource = apiKeyResource
  .extend({ secret: z.string().openapi({ description: 'The key itself, shown this once', example: 'sk_test_…' }) })
  .openapi('IssuedApiKey');

export const rotatedApiKeyResource = z
  .object({ revoked: apiKeyResource, issued: issuedApiKeyResource })
  .openapi('RotatedApiKey');

export const apiKeyList = z
  .object({ object: z.literal('list'), data: z.array(apiKeyResource), has_more: z.boolean() })
  .openapi('ApiKeyList');

const feeSchedule = z
  .strictObject({
    percent: percent.openapi({ description: 'Share of the amount, rounded half-up to the minor unit' }),
    fixed: amountPerCurrency
      .optional()
      .openapi({ description: 'Added to the percentage, per currency', example: { RUB: '10.00' } }),
  })
  .openapi('FeeSchedule');

export const updatePricingBody = z
  .strictObject({
    fee: feeSchedule.optional().openapi({ description: "The checkout's default commission (3 % until set)" }),
    method_fees: z
      .record(methodCode, feeSchedule)
      .refine((value) => Object.keys(value).length <= 50, 'at most 50 methods')
      .optional()
      .openapi({
        description:
          'Commissions replacing the default for single methods of the checkout’s mode (another code is a `400`); replaces the whole map',
        maxProperties: 50,
        propertyNames: { pattern: '^[a-z][a-z0-9_]{0,63}$' },
      } as object),
  })
  .openapi('UpdateCheckoutPricing');

/** What an operator action on a payment answers (docs/operations.md). */
export const operatorActionResult = z.record(z.string(), z.unknown()).openapi('OperatorActionResult');
/** Operator actions read no body: any JSON is taken and ignored. */
export const ignoredBody = z
  .union([z.record(z.string(), z.unknown()), z.array(z.unknown())])
  .openapi('IgnoredBody', { description: 'Ignored: any JSON object or array, or none' });

// Merchant API: checkouts

const feePayer = z
  .union([
    z.enum(['merchant', 'buyer']),
    z.strictObject({
      type: z.literal('split'),
      buyer_percent: z
        .number()
        .int()
        .min(0)
        .max(100)
        .openapi({ description: 'Whole percent of the fee the buyer pays' }),
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

const sciSettingsBody = z
  .strictObject({
    enabled: z.boolean().optional().openapi({ description: 'Whether `/sci` takes forms for this checkout (true)' }),
    sign_algorithm: z.enum(['md5', 'sha256']).optional().openapi({ description: 'How `ik_sign` is computed (md5)' }),
    sign_required: z
      .boolean()
      .optional()
      .openapi({ description: 'A form without `ik_sign` is refused (true); a wrong one always is' }),
    url_override: z.boolean().optional().openapi({
      description: 'The form’s `ik_suc_u`, `ik_fal_u`, `ik_pnd_u`, `ik_ia_u` replace the checkout’s (false)',
    }),
    unique_order: z
      .boolean()
      .optional()
      .openapi({
        description:
          'A repeated `ik_pm_no` continues its open payment of the same amount, or is refused (true); ' +
          'false: a new payment is made for it, its `order_id` suffixed `~2`, `~3`…',
      }),
    interaction_url: httpUrl
      .nullable()
      .optional()
      .openapi({ description: 'Receives Interkassa-style interactions (`ik_*` fields, signed); null: none' }),
    interaction_method: z.enum(['POST', 'GET']).optional().openapi({ description: 'How interactions are sent (POST)' }),
    lifetime: z
      .number()
      .int()
      .min(60)
      .max(2_592_000)
      .optional()
      .openapi({ description: 'Seconds an SCI payment lives when the form sets no `ik_exp`/`ik_ltm` (2592000)' }),
  })
  .openapi('SciSettings', {
    description:
      'Interkassa SCI compatibility (docs/interkassa.md). The fields given change; the first time, the others take their defaults.',
  });

const branding = z
  .strictObject({
    logo_url: httpUrl
      .regex(/^https:\/\//i, 'must be an https URL')
      .nullable()
      .optional()
      .openapi({
        description: 'The shop’s logo on the buyer’s pages, loaded by the buyer’s browser: an https URL; null: none',
        pattern: '^[Hh][Tt][Tt][Pp][Ss]://\\S+$',
        example: 'https://shop.example/logo.png',
      }),
    color: z
      .string()
      .regex(/^#[0-9A-Fa-f]{6}$/, 'must be a colour written #rrggbb')
      .nullable()
      .optional()
      .openapi({
        description: 'The shop’s colour for buttons and links on the buyer’s pages; null: Kassa’s blue',
        example: '#0a7d5a',
      }),
  })
  .openapi('CheckoutBranding', {
    description: 'How the buyer’s pages show the shop. Only the fields given change; null clears one.',
  });

const checkoutLocale = z.enum(['en', 'ru']).openapi({
  description:
    'The buyer pages’ language when neither the payment (`ik_loc`, `?locale=`) nor the buyer’s browser names one Kassa speaks (`en`)',
});

const checkoutType = z.enum(checkoutTypes).openapi({
  description:
    'Where the shop sells from: `website` (the default), `mobile_app` or `other`; `site_url` is still the shop’s address',
});

const checkoutFields = {
  name: text(200).openapi({ example: 'My shop' }),
  site_url: httpUrl.openapi({
    description: 'The shop; verified by POST /v1/checkouts/{id}/verify',
    example: 'https://shop.example',
  }),
  currencies: z.array(currency).min(1).max(20),
  notify_url: httpUrl.openapi({
    description: 'Receives signed webhooks',
    example: 'https://shop.example/kassa/notify',
  }),
  success_url: httpUrl.openapi({ example: 'https://shop.example/ok' }),
  fail_url: httpUrl.openapi({ example: 'https://shop.example/fail' }),
  pending_url: httpUrl.openapi({ example: 'https://shop.example/wait' }),
  fee_payer: feePayer,
  methods: z.array(methodSetting).max(50).nullable().openapi({
    description: 'Enabled methods in display order, with display conditions; null or omitted: every method of the mode',
  }),
  late_success: z.enum(['refund', 'hold']).openapi({
    description:
      'A provider’s success that arrives after the payment expired or was canceled: `refund` it at once, or `hold` it for review (the default)',
  }),
  sci: sciSettingsBody,
  branding,
  locale: checkoutLocale,
  type: checkoutType,
};

export const createCheckoutBody = z
  .strictObject({
    ...checkoutFields,
    fee_payer: checkoutFields.fee_payer.default('merchant'),
    methods: checkoutFields.methods.optional(),
    late_success: checkoutFields.late_success.optional(),
    sci: checkoutFields.sci.optional(),
    branding: checkoutFields.branding.optional(),
    locale: checkoutFields.locale.optional(),
    type: checkoutFields.type.optional(),
  })
  .openapi('CreateCheckout');
export const updateCheckoutBody = z.strictObject(checkoutFields).partial().openapi('UpdateCheckout');

export const emptyBody = z.strictObject({}).openapi('Empty');

export const methodsQuery = z.strictObject({
  amount: positiveAmount.openapi({ param: { description: 'The payment amount' } }),
  currency: currency.openapi({ param: { description: 'The payment currency' } }),
});

const feeView = z.object({
  percent: z.string().openapi({ example: '3.00' }),
  fixed: z.record(z.string(), z.string()).openapi({ example: {} }),
});

export const checkoutResource = z
  .object({
    id: id('co'),
    object: z.literal('checkout'),
    type: z.enum(checkoutTypes).openapi({ description: 'Where the shop sells from' }),
    name: z.string(),
    site_url: z.string(),
    currencies: z.array(currency),
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
    methods_configured: z
      .boolean()
      .openapi({ description: 'false while `methods` was never set: every method of the mode is enabled' }),
    verification: z.object({
      status: z.enum(['unverified', 'pending', 'verified', 'failed']),
      file_url: z.string().openapi({ example: 'https://shop.example/.well-known/kassa-verification.txt' }),
      token: z.string().openapi({ description: 'Serve this as the file’s content' }),
      verified_at: z.string().nullable(),
      last_error: z.string().nullable(),
    }),
    late_success: z.enum(['refund', 'hold']),
    branding: z
      .object({
        logo_url: z.string().nullable().openapi({ description: 'An https URL; null: no logo' }),
        color: z.string().nullable().openapi({ description: '`#rrggbb`; null: Kassa’s blue', example: '#0a7d5a' }),
      })
      .openapi({ description: 'How the buyer’s pages show the shop' }),
    locale: z.enum(['en', 'ru']).openapi({ description: 'The buyer pages’ default language' }),
    sci: z
      .object({
        enabled: z.boolean(),
        checkout_ref: z.string().openapi({
          description: 'The shop’s `ik_co_id`: 24 lower-case hex characters, fixed for the checkout’s life',
          example: '5f0c3a9be1d24c7a8b6e0f12',
        }),
        sign_algorithm: z.enum(['md5', 'sha256']),
        sign_required: z.boolean(),
        url_override: z.boolean(),
        unique_order: z.boolean(),
        interaction_url: z.string().nullable(),
        interaction_method: z.enum(['POST', 'GET']),
        lifetime: z.number().int(),
        secret_key: z.string().openapi({
          description:
            'Signs forms and live interactions. In full when SCI is first set up and on rotation; `********` and its last four characters elsewhere',
          example: '********9bC0',
        }),
        test_key: z.string().openapi({
          description: 'Signs test-mode interactions; shown like `secret_key`',
          example: '********x7Qa',
        }),
      })
      .nullable()
      .openapi({ description: 'Interkassa SCI compatibility; null until set' }),
    previous_secret_expires_at: z
      .string()
      .nullable()
      .openapi({ description: 'Until then webhooks are also signed with the secret before the last rotation' }),
    test_mode: z.boolean(),
    created_at: time,
    updated_at: time,
  })
  .openapi('Checkout');

export const checkoutWithSecretResource = checkoutResource
  .extend({
    webhook_secret: z.string().openapi({ description: 'Shown on creation and rotation only', example: 'whsec_…' }),
  })
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
  z.strictObject({ type: z.literal('physical'), method: text(100), eta_days: z.number().int().min(0).max(365) }),
]);

/** The body of `POST /v1/payments`; `expires_in` may not be below `minExpiresInSeconds` (config, 60). */
export const createPaymentBodyFor = (minExpiresInSeconds: number) =>
  z
    .strictObject({
      checkout_id: id('co'),
      order_id: text(128).openapi({
        description: 'Unique per checkout (a second payment for it is a `409`)',
        example: 'A-1001',
      }),
      amount: positiveAmount.openapi({
        description:
          'Decimal string in major units, above zero and at most 999 999 999 999 999 minor units, with at most as many decimals as the currency allows',
      }),
      currency: currency.openapi({ description: 'One of the checkout’s `currencies`' }),
      description: text(500).openapi({ example: 'Test product' }),
      method: chars(64)
        .nullable()
        .optional()
        .openapi({ description: 'Skip the method choice with one of GET /v1/checkouts/{id}/methods' }),
      expires_in: z
        .number()
        .int()
        .min(minExpiresInSeconds)
        .max(30 * 24 * 3600)
        .optional()
        .openapi({ description: 'Seconds; default 1800' }),
      delivery: delivery.nullable().optional(),
      buyer: z
        .strictObject({ email: email.openapi({ example: 'buyer@example.com' }) })
        .nullable()
        .optional()
        .openapi({ description: 'The buyer; with an e-mail, Kassa sends them a receipt once the payment is paid' }),
      locale: z
        .enum(availableLocales as [string, ...string[]])
        .optional()
        .openapi({
          description:
            'The language of the buyer’s pages and receipt (`?locale=` on a page still wins); unset: the buyer’s browser, then the checkout’s `locale`',
        }),
      metadata: z
        .record(chars(40), chars(500))
        .refine((value) => Object.keys(value).length <= 50, 'at most 50 keys')
        .optional()
        .openapi({
          description: 'Up to 50 keys of at most 40 characters, values of at most 500',
          maxProperties: 50,
          propertyNames: { maxLength: 40 },
        } as object),
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
    checkout_id: id('co'),
    order_id: z.string(),
    status: z.enum(paymentStatuses),
    amount: moneyOut('50.00'),
    currency,
    description: z.string(),
    method: z.string().nullable(),
    fee: moneyOut('1.50').nullable().openapi({ description: 'Once a method is chosen: the whole commission' }),
    buyer_total: moneyOut('50.00').nullable().openapi({ description: 'Once a method is chosen: what the buyer pays' }),
    merchant_net: moneyOut('48.50')
      .nullable()
      .openapi({ description: 'Once a method is chosen: what the merchant is credited' }),
    failure_reason: z.string().nullable(),
    checkout_url: z.string().openapi({ format: 'uri', description: 'Send the buyer here' }),
    test_mode: z.boolean(),
    delivery: z.unknown().nullable(),
    created_at: time,
    expires_at: time,
    paid_at: time.nullable(),
    metadata: z.record(z.string(), z.string()),
  })
  .openapi('Payment');

export const paymentList = z
  .object({ object: z.literal('list'), data: z.array(paymentResource), has_more: z.boolean() })
  .openapi('PaymentList');

export const eventList = z
  .object({
    object: z.literal('list'),
    data: z.array(
      z.object({
        id: z.string(),
        object: z.literal('event'),
        type: z.enum(merchantEventTypes),
        created_at: time,
        delivered_at: time.nullable(),
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
