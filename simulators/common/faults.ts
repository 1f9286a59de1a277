import { z } from 'zod';

/**
 * The fault knobs every simulator has, whatever its protocol: how its callbacks misbehave for one
 * payment or for all of them. A simulator exposes them on its own test-only route (see
 * {@link faultRoutes} in `./fault-routes`).
 */
export const faultFields = {
  /** Callbacks wait this long after the buyer's choice. */
  delay_ms: z.number().int().min(0).max(60_000).optional(),
  /** The final callback is sent this many extra times, identical (same event id, same body). */
  duplicate: z.number().int().min(0).max(10).optional(),
  /** No callback at all: Kassa has to ask. */
  drop: z.boolean().optional(),
  /** An approved payment captures 100 minor units more than asked. */
  wrong_amount: z.boolean().optional(),
  /** A stale earlier-state callback follows the final one. */
  reorder: z.boolean().optional(),
  /** Refunds of the payment fail. */
  refund_fails: z.boolean().optional(),
};

/** The fault body with the `reference` that names one payment in the simulator's own terms. */
export function faultSchema<R extends z.ZodType<string>>(reference: R) {
  return z.strictObject({ reference: reference.optional(), ...faultFields });
}

export type Fault = { [K in keyof typeof faultFields]?: z.infer<(typeof faultFields)[K]> };

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

  /** The faults of the first of `references` that has its own, else those for every payment. */
  for(...references: string[]): Fault {
    for (const reference of references) {
      const own = this.byReference.get(reference);
      if (own) return own;
    }
    return this.fallback;
  }
}

/** What an approved payment captures under `fault`, in minor units as a string of digits. */
export function capturedAmount(requestedAmountMinor: string, fault: Fault): string {
  return fault.wrong_amount ? (BigInt(requestedAmountMinor) + 100n).toString() : requestedAmountMinor;
}

/**
 * The callbacks a settled payment sends under `fault`, in order: the final one, `duplicate` more
 * copies of it, then (with `reorder`, when the protocol has an earlier state to report) the stale one.
 * `drop` and `delay_ms` are the sender's: see {@link CallbackSender.send}.
 */
export function faultSequence<E>(final: E, fault: Fault, stale?: () => E): E[] {
  const events = [final, ...Array.from({ length: fault.duplicate ?? 0 }, () => final)];
  if (fault.reorder && stale) events.push(stale());
  return events;
}
