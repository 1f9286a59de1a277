/**
 * The exceptions API's requests and resources as zod schemas (payments held for review, late
 * successes, flagged callbacks, and operators' decisions on them).
 */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { exceptionIdPattern, exceptionKinds } from '../domain/exceptions';
import { moneyOut, time } from './schemas';

extendZodWithOpenApi(z);

const exceptionId = z.string().regex(exceptionIdPattern, 'must be an exception id').openapi({
  description: 'A payment id (`pay_…`), or `provider:event_id` for a flagged callback',
  example: 'pay_3kTMd2pL9sXq7vB1nW0e',
});

export const listExceptionsQuery = z
  .strictObject({
    status: z
      .enum(['open', 'decided', 'all'], 'must be open, decided or all')
      .default('open')
      .openapi({ description: 'Default `open`: not decided yet, or its decision failed' }),
    kind: z.enum(exceptionKinds, `must be one of ${exceptionKinds.join(', ')}`).optional(),
    merchant_id: z
      .string()
      .regex(/^mer_[0-9A-Za-z]{8,64}$/, 'must be a merchant id (mer_…)')
      .optional(),
    limit: z.coerce
      .number('must be a number from 1 to 100')
      .int('must be a whole number from 1 to 100')
      .min(1, 'must be at least 1')
      .max(100, 'must be at most 100')
      .default(20),
    starting_after: exceptionId
      .optional()
      .openapi({ description: 'The id of the last exception of the previous page' }),
  })
  .openapi('ListExceptionsQuery');

export const decisionBody = z
  .strictObject({
    operator: z
      .string('is required: the name of the operator deciding')
      .refine((value) => [...value].length <= 100, 'must be at most 100 characters')
      .regex(/^[^\p{Cc}\p{Cs}]*$/u, 'must not contain control characters')
      .trim()
      .min(1, 'must not be empty')
      .openapi({
        maxLength: 100,
        pattern: '^[^\\p{Cc}\\p{Cs}]*[^\\s\\p{Cc}\\p{Cs}][^\\p{Cc}\\p{Cs}]*$',
        description: 'Who decides: recorded with the decision',
        example: 'alice',
      }),
  })
  .openapi('ExceptionDecisionRequest');

const money = (example: string) => moneyOut(example).openapi({ description: 'Decimal string in major units' });

export const exceptionDecisionResource = z
  .object({
    id: z.string().openapi({ example: 'dec_3kTMd2pL9sXq7vB1nW0e' }),
    object: z.literal('exception_decision'),
    exception_id: z.string(),
    action: z.enum(['accept', 'refund']),
    operator: z.string(),
    decided_at: time,
    status: z.enum(['pending', 'applied', 'failed']),
    completed_at: time.nullable(),
    failure_reason: z.string().nullable(),
    outcome: z
      .object({
        captured: z
          .object({
            provider_payment_id: z.string(),
            amount: money('51.00'),
            currency: z.string(),
            fee: money('1.50'),
            merchant_net: money('49.50'),
          })
          .optional(),
        refunds: z
          .array(
            z.object({
              reference: z.string(),
              provider_refund_id: z.string().nullable(),
              provider_payment_id: z.string(),
              amount: money('51.00'),
              currency: z.string(),
              status: z.enum(['succeeded', 'failed']),
              failure_reason: z.string().nullable(),
            }),
          )
          .optional(),
        acknowledged: z.literal(true).optional(),
      })
      .nullable(),
    workflow_id: z.string(),
  })
  .openapi('ExceptionDecision');

export const exceptionResource = z
  .object({
    id: z.string(),
    object: z.literal('exception'),
    kind: z.enum(exceptionKinds),
    status: z.enum(['open', 'decided']),
    since: time,
    payment_id: z.string().nullable(),
    merchant_id: z.string().nullable(),
    test_mode: z.boolean().nullable(),
    payment_status: z.string().nullable(),
    reason: z
      .string()
      .nullable()
      .openapi({ description: 'Why the payment is held: `amount_mismatch`, `currency_mismatch`, …' }),
    amount: money('50.00').nullable(),
    currency: z.string().nullable(),
    expected_total: money('50.00').nullable().openapi({ description: 'What the buyer was to pay' }),
    provider_payment_id: z.string().nullable(),
    provider_captured: z
      .array(
        z.object({
          provider: z.string(),
          provider_payment_id: z.string(),
          amount: money('51.00'),
          currency: z.string(),
          captured_at: z.string(),
          refunded_elsewhere: money('0.00').openapi({
            description: 'Refunded at the provider other than by decisions on exceptions',
          }),
          refunded_on_review: money('0.00').openapi({
            description: 'Refunded at the provider by decisions on exceptions (`review_refund_reference`)',
          }),
          review_refund_reference: z.string(),
        }),
      )
      .nullable()
      .openapi({
        description: "What the provider's report says it captured for the payment; `null` when it could not be asked",
      }),
    provider_error: z.string().nullable(),
    flags: z.array(
      z.object({ provider: z.string(), event_id: z.string(), state: z.string(), flag: z.string(), received_at: time }),
    ),
    decision: exceptionDecisionResource.nullable(),
    decisions: z.array(exceptionDecisionResource),
  })
  .openapi('Exception');

export const exceptionList = z
  .object({ object: z.literal('list'), data: z.array(exceptionResource), has_more: z.boolean() })
  .openapi('ExceptionList');
