import { z } from 'zod';
import { referenceSchema } from './schemas';
import type { StoredPayment } from './store';
import { type CallbackEvent, paymentEvent } from './views';

/**
 * `POST /api/faults`: how the sandbox misbehaves, for one payment (`reference`) or, without it,
 * for every payment that has none of its own.
 */
export const faultSchema = z.strictObject({
  reference: referenceSchema.optional(),
  /** Callbacks wait this long after the buyer's choice. */
  delay_ms: z.number().int().min(0).max(60_000).optional(),
  /** The final event is sent this many extra times, with the same event id. */
  duplicate: z.number().int().min(0).max(10).optional(),
  /** No callback at all: Kassa has to ask. */
  drop: z.boolean().optional(),
  /** An approved payment captures 100 minor units more than asked. */
  wrong_amount: z.boolean().optional(),
  /** A stale `pending` event follows the final one. */
  reorder: z.boolean().optional(),
  /** Refunds of the payment come back `failed` with `refund_declined`. */
  refund_fails: z.boolean().optional(),
});

export type Fault = Omit<z.infer<typeof faultSchema>, 'reference'>;

/** The faults in force: per payment reference, and one for every other payment. */
export class FaultBook {
  private readonly byReference = new Map<string, Fault>();
  private fallback: Fault = {};

  set(reference: string | undefined, fault: Fault): void {
    if (reference === undefined) this.fallback = fault;
    else this.byReference.set(reference, fault);
  }

  clear(): void {
    this.byReference.clear();
    this.fallback = {};
  }

  for(reference: string): Fault {
    return this.byReference.get(reference) ?? this.fallback;
  }
}

/** What an approved payment captures under `fault`. */
export function capturedAmount(requestedAmountMinor: string, fault: Fault): string {
  return fault.wrong_amount ? (BigInt(requestedAmountMinor) + 100n).toString() : requestedAmountMinor;
}

/**
 * The events a settled payment's callback URL receives under `fault`, in order: the final event,
 * `duplicate` more copies of it, then (with `reorder`) a stale `pending` dated before it.
 */
export function callbackEvents(payment: StoredPayment, fault: Fault, nowSeconds: number): CallbackEvent[] {
  const final = paymentEvent(payment, payment.status, nowSeconds);
  const events = [final, ...Array.from({ length: fault.duplicate ?? 0 }, () => final)];
  if (fault.reorder) {
    const createdSeconds = Math.floor(payment.createdAt.getTime() / 1000);
    events.push(paymentEvent(payment, 'pending', Math.min(createdSeconds, final.created - 1)));
  }
  return events;
}
