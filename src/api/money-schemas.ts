/**
 * The money API's requests and resources as zod schemas (balance, refunds, payouts,
 * reconciliation).
 */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { currency, id, moneyOut, positiveAmount, time } from './schemas';

extendZodWithOpenApi(z);

const money = (example: string) => moneyOut(example).openapi({ description: 'Decimal string in major units' });

export const createRefundBody = z
  .strictObject({
    amount: positiveAmount.optional().openapi({
      description:
        "Above zero, in the payment's currency (at most as many decimals as it allows), at most what is left to refund (`400 amount_too_large`); " +
        'the whole rest of what the buyer paid when left out',
      example: '10.00',
    }),
  })
  .openapi('CreateRefund');

export const refundResource = z
  .object({
    id: id('re'),
    object: z.literal('refund'),
    payment_id: id('pay'),
    status: z.enum(['pending', 'succeeded', 'failed']),
    amount: money('10.00'),
    currency,
    fee_returned: money('0.30').openapi({
      description: "The same share of Kassa's commission as the share of the buyer's total refunded",
    }),
    merchant_debit: money('9.70').openapi({ description: "What the refund takes from the merchant's balance" }),
    failure_reason: z.string().nullable(),
    test_mode: z.boolean(),
    created_at: time,
    completed_at: time.nullable(),
  })
  .openapi('Refund');

export const refundList = z
  .object({ object: z.literal('list'), data: z.array(refundResource), has_more: z.boolean() })
  .openapi('RefundList');

const cardDestination = z
  .strictObject({
    type: z.literal('card'),
    token: z
      .string()
      .regex(/^[A-Za-z0-9_-]{4,128}$/, "must be the provider's card token, never a card number")
      .openapi({ description: 'In test mode, from `POST SANDBOX_URL/card-tokens`', example: 'ctok_9f2c…' }),
  })
  .openapi('CardDestination');
const walletDestination = z
  .strictObject({
    type: z.literal('wallet'),
    wallet_id: z
      .string()
      .regex(/^[A-Za-z0-9_-]{3,64}$/, 'must be 3 to 64 letters, digits, _ or -')
      .openapi({ example: 'w_1234567' }),
  })
  .openapi('WalletDestination');

export const createPayoutBody = z
  .strictObject({
    amount: positiveAmount,
    currency,
    destination: z.discriminatedUnion(
      'type',
      [cardDestination, walletDestination],
      'must be {"type":"card","token"} or {"type":"wallet","wallet_id"}',
    ),
    checkout_id: id('co').optional().openapi({
      description:
        "Whose notify_url gets payout.paid / payout.failed; the merchant's first checkout in the mode when left out",
    }),
  })
  .openapi('CreatePayout');

export const payoutResource = z
  .object({
    id: id('po'),
    object: z.literal('payout'),
    status: z.enum(['pending', 'paid', 'failed']),
    amount: money('100.00').openapi({ description: 'Taken from the available balance' }),
    currency,
    fee: money('1.00').nullable().openapi({ description: "The bank's fee, deducted from the amount; null until paid" }),
    net: money('99.00').nullable().openapi({ description: 'What reached the destination' }),
    destination: z.union([
      z.object({ type: z.literal('card'), last4: z.string() }),
      z.object({ type: z.literal('wallet'), wallet_id: z.string() }),
    ]),
    checkout_id: z.string().nullable(),
    failure_reason: z.string().nullable(),
    test_mode: z.boolean(),
    created_at: time,
    completed_at: time.nullable(),
  })
  .openapi('Payout');

export const payoutList = z
  .object({ object: z.literal('list'), data: z.array(payoutResource), has_more: z.boolean() })
  .openapi('PayoutList');

export const listPayoutsQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20) });

export const balanceResource = z
  .object({
    object: z.literal('balance'),
    test_mode: z.boolean(),
    balances: z.array(
      z.object({
        currency,
        available: money('97.00').openapi({ description: 'Can be refunded or paid out' }),
        pending: money('0.00').openapi({ description: 'Captured, not yet released' }),
        reserved: money('0.00').openapi({ description: 'Held for refunds and payouts in flight' }),
      }),
    ),
  })
  .openapi('Balance');

const isoTime = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time' });
export const runReconciliationBody = z
  .strictObject({
    from: isoTime.optional().openapi({ description: 'Start of the period; with `to`, default the previous UTC day' }),
    to: isoTime.optional(),
  })
  .openapi('RunReconciliation');

const mismatch = z.object({
  kind: z.string().openapi({ example: 'missing_in_kassa' }),
  source: z.enum(['payment', 'refund', 'payout', 'ledger']),
  id: z.string().nullable(),
  provider: z.string().nullable(),
  message: z.string(),
});

export const reconciliationRunResource = z
  .object({
    id: z.string(),
    object: z.literal('reconciliation_run'),
    workflow_id: z.string(),
    window: z.object({ from: z.string(), to: z.string() }),
    started_at: z.string(),
    finished_at: z.string(),
    checked: z.record(z.string(), z.number()),
    mismatch_count: z.number(),
    mismatches: z.array(mismatch),
    earlier_runs: z.array(
      z.object({
        id: z.string(),
        window: z.object({ from: z.string(), to: z.string() }),
        finished_at: z.string(),
        mismatch_count: z.number(),
      }),
    ),
  })
  .openapi('ReconciliationRun');

export const reconciliationResult = z
  .object({
    id: z.string(),
    window: z.object({ from: z.string(), to: z.string() }),
    checked: z.record(z.string(), z.number()),
    mismatchCount: z.number(),
    mismatches: z.array(mismatch),
  })
  .openapi('ReconciliationResult');
