import { z } from 'zod';
import { isSupportedCurrency } from '../domain/money';
import { paymentStatuses } from '../domain/payment';

const httpUrl = z
  .string()
  .max(2048)
  .url()
  .refine((value) => /^https?:\/\//i.test(value), 'must be an http(s) URL');
const currency = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code in upper case')
  .refine(isSupportedCurrency, 'is not a supported currency');
const id = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[0-9A-Za-z]{8,64}$`), `must be a ${prefix}_ id`);

export const createMerchantBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  email: z.string().email().max(320),
});

const checkoutFields = {
  name: z.string().trim().min(1).max(200),
  site_url: httpUrl,
  currencies: z.array(currency).min(1).max(20),
  notify_url: httpUrl,
  success_url: httpUrl,
  fail_url: httpUrl,
  pending_url: httpUrl,
  fee_payer: z.enum(['merchant', 'buyer']),
};

export const createCheckoutBody = z.strictObject({ ...checkoutFields, fee_payer: checkoutFields.fee_payer.default('merchant') });
export const updateCheckoutBody = z.strictObject(checkoutFields).partial();

const delivery = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('digital'), download_url: httpUrl }),
  z.strictObject({ type: z.literal('physical'), method: z.string().trim().min(1).max(100), eta_days: z.number().int().min(0).max(365) }),
]);

/** The body of `POST /v1/payments`; `expires_in` may not be below `minExpiresInSeconds` (config, 60). */
export const createPaymentBodyFor = (minExpiresInSeconds: number) =>
  z.strictObject({
    checkout_id: id('co'),
    order_id: z.string().trim().min(1).max(128),
    amount: z.string().max(32),
    currency,
    description: z.string().trim().min(1).max(500),
    method: z.string().max(64).nullable().optional(),
    expires_in: z.number().int().min(minExpiresInSeconds).max(30 * 24 * 3600).optional(),
    delivery: delivery.nullable().optional(),
    metadata: z
      .record(z.string().max(40), z.string().max(500))
      .refine((value) => Object.keys(value).length <= 50, 'at most 50 keys')
      .optional(),
  });

export const createPaymentBody = createPaymentBodyFor(60);

export const listPaymentsQuery = z.strictObject({
  checkout_id: id('co').optional(),
  status: z.enum(paymentStatuses).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(10),
  starting_after: id('pay').optional(),
});

export const selectMethodBody = z.object({ method: z.string().min(1).max(64) });
