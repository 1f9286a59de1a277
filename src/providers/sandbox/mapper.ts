import { z } from 'zod';
import type {
  CreatePayoutInput,
  CreateProviderPaymentInput,
  CreateProviderPaymentOutput,
  PayoutDestination,
  ProviderCallback,
  ProviderPaymentState,
  ProviderPaymentStatus,
  ProviderPayout,
  ProviderRefund,
  ProviderReport,
  RefundPaymentInput,
} from '../types';

export const sandboxStatusSchema = z.enum(['pending', 'succeeded', 'declined']);
export type SandboxStatus = z.infer<typeof sandboxStatusSchema>;

/** A payment as the sandbox API returns it. Unknown fields are tolerated, as from any provider. */
export const sandboxPaymentSchema = z.object({
  id: z.string().min(1),
  reference: z.string(),
  method: z.string(),
  status: sandboxStatusSchema,
  amount_minor: z.string().regex(/^\d+$/),
  currency: z.string().regex(/^[A-Z]{3}$/),
  checkout_url: z.string(),
  created_at: z.string(),
  decline_reason: z.string().optional(),
});
export type SandboxPayment = z.infer<typeof sandboxPaymentSchema>;

/** The body of a sandbox callback. Its `type` must agree with `data.status`. */
export const sandboxEventSchema = z
  .object({
    id: z.string().min(1),
    type: z.enum(['payment.pending', 'payment.succeeded', 'payment.declined']),
    /** Unix seconds. */
    created: z.number().int().nonnegative(),
    data: z.object({
      id: z.string().min(1),
      reference: z.string().min(1),
      status: sandboxStatusSchema,
      amount_minor: z.string().regex(/^\d+$/),
      currency: z.string().regex(/^[A-Z]{3}$/),
      decline_reason: z.string().optional(),
    }),
  })
  .refine((event) => event.type === `payment.${event.data.status}`, {
    message: 'event type does not match data.status',
    path: ['type'],
  });
export type SandboxEvent = z.infer<typeof sandboxEventSchema>;

/** Body of `POST /api/payments`. */
export interface SandboxCreatePaymentRequest {
  reference: string;
  method: string;
  amount_minor: string;
  currency: string;
  description: string;
  return_url: string;
  callback_url: string;
}

export function toProviderState(status: SandboxStatus): ProviderPaymentState {
  switch (status) {
    case 'pending':
      return 'pending';
    case 'succeeded':
      return 'succeeded';
    case 'declined':
      return 'declined';
  }
}

/** The sandbox keeps Kassa's payment id as its reference: its callbacks and report name the payment by it. */
export function toCreatePaymentRequest(
  input: Omit<CreateProviderPaymentInput, 'reference'>,
): SandboxCreatePaymentRequest {
  return {
    reference: input.paymentId,
    method: input.method,
    amount_minor: input.amountMinor,
    currency: input.currency,
    description: input.description,
    return_url: input.returnUrl,
    callback_url: input.callbackUrl,
  };
}

export function toCreatePaymentOutput(
  payment: SandboxPayment,
): CreateProviderPaymentOutput & { providerPaymentId: string } {
  return { providerPaymentId: payment.id, redirect: { method: 'GET', url: payment.checkout_url } };
}

export function toPaymentStatus(payment: SandboxPayment): ProviderPaymentStatus {
  return {
    providerPaymentId: payment.id,
    state: toProviderState(payment.status),
    amountMinor: payment.amount_minor,
    currency: payment.currency,
    ...(payment.decline_reason !== undefined && { declineReason: payment.decline_reason }),
  };
}

export function toProviderCallback(event: SandboxEvent): ProviderCallback {
  return {
    eventId: event.id,
    providerPaymentId: event.data.id,
    paymentId: event.data.reference,
    state: toProviderState(event.data.status),
    amountMinor: event.data.amount_minor,
    currency: event.data.currency,
    occurredAt: new Date(event.created * 1000).toISOString(),
    ...(event.data.decline_reason !== undefined && { declineReason: event.data.decline_reason }),
  };
}

const digits = z.string().regex(/^\d+$/);
const currencyCode = z.string().regex(/^[A-Z]{3}$/);

/** A refund as the sandbox API returns it. */
export const sandboxRefundSchema = z.object({
  id: z.string().min(1),
  payment_id: z.string().min(1),
  reference: z.string(),
  amount_minor: digits,
  currency: currencyCode,
  status: z.enum(['pending', 'succeeded', 'failed']),
  created_at: z.string(),
  failure_reason: z.string().optional(),
});
export type SandboxRefund = z.infer<typeof sandboxRefundSchema>;

/** A payout as the sandbox API returns it. */
export const sandboxPayoutSchema = z.object({
  id: z.string().min(1),
  reference: z.string(),
  amount_minor: digits,
  fee_minor: digits,
  currency: currencyCode,
  destination: z.discriminatedUnion('type', [
    z.object({ type: z.literal('card'), token: z.string(), last4: z.string().regex(/^\d{4}$/) }),
    z.object({ type: z.literal('wallet'), wallet_id: z.string() }),
  ]),
  status: z.enum(['pending', 'paid', 'failed']),
  created_at: z.string(),
  failure_reason: z.string().optional(),
});
export type SandboxPayout = z.infer<typeof sandboxPayoutSchema>;

export const sandboxCardTokenSchema = z.object({
  token: z.string().min(1),
  last4: z.string().regex(/^\d{4}$/),
  brand: z.string(),
});
export type SandboxCardToken = z.infer<typeof sandboxCardTokenSchema>;

export const sandboxReportSchema = z.object({
  from: z.string(),
  to: z.string(),
  payments: z.array(
    z.object({
      id: z.string(),
      reference: z.string(),
      amount_minor: digits,
      currency: currencyCode,
      captured_at: z.string(),
    }),
  ),
  refunds: z.array(sandboxRefundSchema),
  payouts: z.array(sandboxPayoutSchema),
});
export type SandboxReport = z.infer<typeof sandboxReportSchema>;

/** Body of `POST /api/refunds`. */
export interface SandboxCreateRefundRequest {
  payment_id: string;
  amount_minor: string;
  reference: string;
}

/** Body of `POST /api/payouts`. */
export interface SandboxCreatePayoutRequest {
  reference: string;
  amount_minor: string;
  currency: string;
  destination: { type: 'card'; token: string } | { type: 'wallet'; wallet_id: string };
}

export function toCreateRefundRequest(input: RefundPaymentInput): SandboxCreateRefundRequest {
  return { payment_id: input.providerPaymentId, amount_minor: input.amountMinor, reference: input.refundId };
}

export function toProviderRefund(refund: SandboxRefund): ProviderRefund {
  return {
    providerRefundId: refund.id,
    state: refund.status,
    amountMinor: refund.amount_minor,
    currency: refund.currency,
    ...(refund.failure_reason !== undefined && { failureReason: refund.failure_reason }),
  };
}

export function toCreatePayoutRequest(input: CreatePayoutInput): SandboxCreatePayoutRequest {
  return {
    reference: input.payoutId,
    amount_minor: input.amountMinor,
    currency: input.currency,
    destination:
      input.destination.type === 'card'
        ? { type: 'card', token: input.destination.token }
        : { type: 'wallet', wallet_id: input.destination.walletId },
  };
}

export function toProviderPayout(payout: SandboxPayout): ProviderPayout {
  return {
    providerPayoutId: payout.id,
    state: payout.status,
    amountMinor: payout.amount_minor,
    feeMinor: payout.fee_minor,
    currency: payout.currency,
    ...(payout.failure_reason !== undefined && { failureReason: payout.failure_reason }),
  };
}

export function toPayoutDestination(card: SandboxCardToken): PayoutDestination {
  return { type: 'card', token: card.token, last4: card.last4 };
}

export function toProviderReport(report: SandboxReport): ProviderReport {
  return {
    payments: report.payments.map((payment) => ({
      providerPaymentId: payment.id,
      paymentId: payment.reference,
      amountMinor: payment.amount_minor,
      currency: payment.currency,
      capturedAt: payment.captured_at,
    })),
    refunds: report.refunds.flatMap((refund) =>
      refund.status === 'pending'
        ? []
        : [
            {
              providerRefundId: refund.id,
              refundId: refund.reference,
              providerPaymentId: refund.payment_id,
              amountMinor: refund.amount_minor,
              currency: refund.currency,
              state: refund.status,
              createdAt: refund.created_at,
            },
          ],
    ),
    payouts: report.payouts.flatMap((payout) =>
      payout.status === 'pending'
        ? []
        : [
            {
              providerPayoutId: payout.id,
              payoutId: payout.reference,
              amountMinor: payout.amount_minor,
              feeMinor: payout.fee_minor,
              currency: payout.currency,
              state: payout.status,
              createdAt: payout.created_at,
            },
          ],
    ),
  };
}
