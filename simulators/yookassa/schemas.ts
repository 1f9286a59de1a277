import { z } from 'zod';

/** The currencies the simulated shop takes (YooKassa's SDKs' currency list); all have two decimals. */
export const CURRENCIES = ['RUB', 'USD', 'EUR', 'BYN', 'CNY', 'KZT', 'UAH'] as const;

/** The `payment_method_data.type` values the simulated shop serves. */
export const METHOD_TYPES = ['bank_card', 'yoo_money', 'sbp'] as const;

const amountSchema = z.strictObject({
  value: z
    .string('must be a string')
    .regex(/^(0|[1-9]\d{0,15})(\.\d{1,2})?$/, 'must be a decimal with a point and at most 2 decimals, e.g. 100.00')
    .refine((value) => /[1-9]/.test(value), 'must be more than zero'),
  currency: z.enum(CURRENCIES, `must be one of ${CURRENCIES.join(', ')}`),
});

const metadataSchema = z
  .record(
    z.string().max(32, 'keys must be at most 32 characters'),
    z.string().max(512, 'values must be at most 512 characters'),
  )
  .refine((metadata) => Object.keys(metadata).length <= 16, 'must have at most 16 keys');

/** `POST /v3/payments`: the parts of YooKassa's request the simulator serves (a redirect confirmation). */
export const createPaymentSchema = z.object({
  amount: amountSchema,
  description: z.string('must be a string').max(128, 'must be at most 128 characters').optional(),
  confirmation: z.strictObject({
    type: z.literal('redirect', 'only redirect is simulated'),
    return_url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048),
    enforce: z.boolean().optional(),
    locale: z.string().optional(),
  }),
  capture: z.boolean('must be true or false').optional(),
  payment_method_data: z.object({ type: z.enum(METHOD_TYPES, `must be one of ${METHOD_TYPES.join(', ')}`) }).optional(),
  metadata: metadataSchema.optional(),
});

export const captureSchema = z.object({ amount: amountSchema.optional() });

export const createRefundSchema = z.object({
  payment_id: z.string('must be a string').regex(/^[0-9a-f-]{36}$/, 'must be a payment id'),
  amount: amountSchema,
  description: z.string('must be a string').max(250, 'must be at most 250 characters').optional(),
});

const time = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time' });

/** `GET /v3/payments` and `/v3/refunds`: the filters YooKassa documents for lists. */
export const listQuerySchema = z.object({
  'created_at.gte': time.optional(),
  'created_at.gt': time.optional(),
  'created_at.lte': time.optional(),
  'created_at.lt': time.optional(),
  status: z.string().optional(),
  payment_id: z.string().optional(),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be from 1 to 100')
    .transform(Number)
    .refine((limit) => limit >= 1 && limit <= 100, 'must be from 1 to 100')
    .optional(),
  cursor: z.string().max(200).optional(),
});

export const settingsSchema = z.strictObject({
  notification_url: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .max(2048)
    .nullable(),
});

/** A payment's name for its faults: its id or any value of its metadata (e.g. the shop's order id). */
export const referenceSchema = z.string().min(1).max(512);

/** One issue as YooKassa's `parameter`: the dotted path of the field. */
export function parameterOf(error: z.ZodError): { parameter: string; description: string } {
  const issue = error.issues[0]!;
  const parameter =
    issue.code === 'unrecognized_keys'
      ? [...issue.path, issue.keys[0]].map(String).join('.')
      : issue.path.map(String).join('.') || 'body';
  return { parameter, description: `${parameter}: ${issue.message}` };
}
