import { z } from 'zod';
import { luhnValid } from './bank';

/** The request bodies and queries the sandbox accepts; each message names what a field must be. */

export const referenceSchema = z.string().regex(/^pay_[A-Za-z0-9_-]{1,100}$/, 'must be a Kassa payment id (pay_…)');

const httpUrlSchema = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .max(2048, 'must be at most 2048 characters');

const amountMinorSchema = z
  .string('must be a string of digits')
  .regex(/^[1-9][0-9]{0,17}$/, 'must be a positive integer in minor units, as a string of digits');

const currencySchema = z.string('must be a string').regex(/^[A-Z]{3}$/, 'must be 3 upper-case letters');

export const idempotencyKeySchema = z.string().min(1).max(255);

export const createPaymentSchema = z.strictObject({
  reference: referenceSchema,
  method: z.enum(['sandbox_card', 'sandbox_wallet'], 'must be sandbox_card or sandbox_wallet'),
  amount_minor: amountMinorSchema,
  currency: currencySchema,
  description: z.string('must be a string').max(1000, 'must be at most 1000 characters'),
  return_url: httpUrlSchema,
  callback_url: httpUrlSchema,
});

export const createRefundSchema = z.strictObject({
  payment_id: z.string('must be a string').regex(/^sp_[0-9a-f]{1,64}$/, 'must be a sandbox payment id (sp_…)'),
  amount_minor: amountMinorSchema,
  /** Kassa's refund id, listed in the report. */
  reference: z.string('must be a string').regex(/^re_[A-Za-z0-9_-]{1,100}$/, 'must be a Kassa refund id (re_…)'),
});

const walletIdSchema = z
  .string('must be a string')
  .regex(/^[A-Za-z0-9_-]{3,64}$/, 'must be 3 to 64 letters, digits, _ or -');

const destinationSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('card'),
      token: z.string('must be a string').regex(/^ctok_[0-9a-f]{1,64}$/, 'must be a card token (ctok_…)'),
    }),
    z.strictObject({ type: z.literal('wallet'), wallet_id: walletIdSchema }),
  ],
  'must be {"type":"card","token"} or {"type":"wallet","wallet_id"}',
);

export const createPayoutSchema = z.strictObject({
  reference: z.string('must be a string').regex(/^po_[A-Za-z0-9_-]{1,100}$/, 'must be a Kassa payout id (po_…)'),
  amount_minor: amountMinorSchema,
  currency: currencySchema,
  destination: destinationSchema,
});

export const cardSchema = z.strictObject({
  number: z
    .string('must be a string of digits')
    .regex(/^[0-9]{12,19}$/, 'must be 12 to 19 digits')
    .refine(luhnValid, 'is not a valid card number (Luhn check)'),
  exp_month: z.coerce.number('must be a month from 1 to 12').int().min(1).max(12),
  exp_year: z.coerce.number('must be a four-digit year').int().min(2000).max(2100),
});

export const reportQuerySchema = z.strictObject({
  from: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time' }),
  to: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time' }),
});
