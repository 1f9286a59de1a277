import {
  allHandlersFinished,
  condition,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
} from '@temporalio/workflow';
import type { ProviderCallback } from '../../src/providers/types';
import { providerCallbackSignal, searchAttributes, selectMethodUpdate } from '../../src/workflows/shared';
import type { createFloorActivities } from './floor-activities';

type FloorActivities = ReturnType<typeof createFloorActivities>;

const providerCreate = proxyActivities<FloorActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumAttempts: 5 },
});

const database = proxyLocalActivities<FloorActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
});

const merchantNotify = proxyActivities<FloorActivities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '4 days',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 3, maximumInterval: '1 hour' },
});

/** Input of {@link floorWorkflow}. */
export interface FloorInput {
  /** Stands in for the payment id in activity inputs. */
  paymentId: string;
  /** ISO 8601: the wait for a method and for the callback ends then, as a payment's does. */
  expiresAt: string;
  /** The first status-check delay, as `statusPollSeconds[0]`. */
  pollSeconds: number;
  /**
   * Where the notification activity POSTs `{ type, data: { id, status } }` once it has started (the
   * benchmark's signal → activity latency); without it the activity does nothing, as in the throughput blocks.
   */
  notifyUrl?: string;
}

/**
 * The benchmark's floor (scripts/bench.ts): a paid purchase's shape with no-op bodies. The same
 * messages (`selectMethod` update, `providerCallback` signal), the same activities and local
 * activities, search-attribute upserts, timers and patch marker in the same places, and nothing else, so
 * `purchaseWorkflow`'s cost over it is Kassa's own. Its `PaymentStatus` values start with
 * `floor_`, so it never matches a payment status. Only the benchmark's floor worker
 * (scripts/bench/floor-worker.ts) runs it, on a task queue of its own; Kassa's workers do not know it.
 *
 * When the purchase's shape changes, this follows it and needs no `patched()` of its own (no history
 * of it is kept): an activity that becomes a local activity moves from `providerCreate` or
 * `merchantNotify` to a `proxyLocalActivities` profile; a local activity, upsert or timer that the
 * purchase drops is dropped here in the same place. The benchmark's `shape` table (event types,
 * purchase beside floor) shows what still differs.
 */
export async function floorWorkflow(input: FloorInput): Promise<{ status: string; events: number }> {
  let status = 'awaiting_method';
  let method: string | null = null;
  let providerPaymentId: string | null = null;
  let selections = 0;
  let seq = 0;
  const callbacks: ProviderCallback[] = [];
  const pendingEvents: string[] = [];
  const isOpen = () => status === 'awaiting_method' || status === 'awaiting_payment';

  const record = async (next: string) => {
    status = next;
    seq += 1;
    upsertSearchAttributes([
      { key: searchAttributes.paymentStatus, value: `floor_${next}` },
      ...(method ? [{ key: searchAttributes.paymentMethod, value: method }] : []),
    ]);
    const { eventId } = await database.floorRecordPaymentStatus({
      paymentId: input.paymentId,
      seq,
      status: next,
      event: next === 'paid' ? { id: `evt_${uuid4().replace(/-/g, '')}`, type: 'payment.paid' } : null,
    });
    if (eventId) pendingEvents.push(eventId);
  };

  // 1. select method: the update runs the provider call and the status write, as selectMethod does
  setHandler(
    selectMethodUpdate,
    async (request) => {
      method = request.method;
      status = 'awaiting_payment';
      selections += 1;
      await database.floorConnectorsForMethod({ method: request.method, testMode: true });
      const created = await providerCreate.floorCreateProviderPayment({
        paymentId: input.paymentId,
        attempt: selections,
        method: request.method,
      });
      providerPaymentId = created.providerPaymentId;
      await record('awaiting_payment');
      return { redirectUrl: created.redirectUrl };
    },
    {
      validator: (_request) => {
        if (status !== 'awaiting_method') throw new Error(`floor is ${status}`);
      },
    },
  );
  setHandler(providerCallbackSignal, (callback) => {
    callbacks.push(callback);
  });

  // the start set the status attribute; the run records its one patch marker in its first task, as a payment does
  patched('floor-2026-12');

  // 2. confirmation: the same wake-ups, each with the timer a payment would have
  const expiresAt = Date.parse(input.expiresAt);
  const atProvider = () => status === 'awaiting_payment' && providerPaymentId !== null;
  let nextPollAt = Infinity;
  while (isOpen()) {
    const selectionsBefore = selections;
    const atProviderBefore = atProvider();
    const wakeAt = atProviderBefore ? Math.min(expiresAt, nextPollAt) : expiresAt;
    const woke = await condition(
      () => !isOpen() || callbacks.length > 0 || selections !== selectionsBefore || atProvider() !== atProviderBefore,
      Math.max(1, wakeAt - Date.now()),
    );
    if (atProvider() && (!atProviderBefore || selections !== selectionsBefore))
      nextPollAt = Date.now() + input.pollSeconds * 1000;
    while (callbacks.length > 0 && isOpen()) {
      callbacks.shift();
      await record('paid');
    }
    if (!woke && Date.now() >= expiresAt && isOpen()) await record('expired');
  }

  // 3. merchant notification; the status write answered the other channels (none here)
  await condition(allHandlersFinished);
  await Promise.all(
    pendingEvents.map((eventId) =>
      merchantNotify.floorNotifyMerchant({ eventId, paymentId: input.paymentId, notifyUrl: input.notifyUrl }),
    ),
  );
  return { status, events: pendingEvents.length };
}
