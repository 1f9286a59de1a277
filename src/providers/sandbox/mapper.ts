import { z } from 'zod';
import type {
  CreateProviderPaymentInput,
  CreateProviderPaymentOutput,
  ProviderCallback,
  ProviderPaymentState,
  ProviderPaymentStatus,
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

export function toCreatePaymentRequest(input: CreateProviderPaymentInput): SandboxCreatePaymentRequest {
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

export function toCreatePaymentOutput(payment: SandboxPayment): CreateProviderPaymentOutput {
  return { providerPaymentId: payment.id, redirectUrl: payment.checkout_url };
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
