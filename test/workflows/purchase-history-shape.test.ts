import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import type { createActivities, RecordPaymentStatusInput } from '../../src/activities';
import type { ProviderCallback } from '../../src/providers/types';
import { currentPatch } from '../../src/workflows/purchase/patches';
import { providerCallbackSignal, selectMethodUpdate } from '../../src/workflows/shared';
import { purchaseInput, temporalForFile, withPurchaseWorkflow } from '../support/workflow-harness';

// What one paid purchase writes to its history: every event costs the server a write and the
// worker an activation, so the shape is held here (docs/performance.md compares it with the floor).
jest.setTimeout(30_000);

type Activities = Pick<
  ReturnType<typeof createActivities>,
  | 'connectorsForMethod'
  | 'createProviderPayment'
  | 'checkProviderPayment'
  | 'recordPaymentStatus'
  | 'notifyMerchant'
  | 'channelsForEvent'
  | 'sendEmailNotification'
>;

let client: Client;
let nativeConnection: NativeConnection;
temporalForFile((connected) => ({ client, nativeConnection } = connected));

const EventType = temporal.api.enums.v1.EventType;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const markerNames = (events: HistoryEvent[]) =>
  events.flatMap((event) => {
    const marker = event.markerRecordedEventAttributes;
    if (!marker) return [];
    if (marker.markerName !== 'core_patch') return [marker.markerName!];
    const id = marker.details?.['patch-data']?.payloads?.[0]?.data;
    return [`patch ${JSON.parse(Buffer.from(id!).toString()).id}`];
  });

/** The events of the workflow task that recorded `activityType`'s local activity marker, up to the next task. */
function taskOfLocalActivity(events: HistoryEvent[], activityType: string, nth: number): HistoryEvent[] {
  const markers = events.filter((event) => {
    const data = event.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
    return data && JSON.parse(Buffer.from(data).toString()).activity_type === activityType;
  });
  const at = events.indexOf(markers[nth]!);
  let start = at;
  while (start > 0 && events[start - 1]!.eventType !== EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) start -= 1;
  let end = at;
  while (end < events.length && events[end]!.eventType !== EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED) end += 1;
  return events.slice(start, end);
}

test('a paid purchase records one patch marker, takes its channels from the status write and schedules the webhook and the e-mail in the task that records paid', async () => {
  const input = purchaseInput();
  const lookups: string[] = [];
  const sent: string[] = [];
  const writes: RecordPaymentStatusInput[] = [];
  const activities: Activities = {
    connectorsForMethod: async () => ({ connectors: ['conn_test'] }),
    createProviderPayment: async (call) => ({
      providerPaymentId: `sp_${call.attempt}`,
      redirectUrl: `https://sandbox.example/checkout/sp_${call.attempt}`,
    }),
    checkProviderPayment: async () => null,
    recordPaymentStatus: async (write) => {
      writes.push(write);
      const event = write.event;
      return {
        eventId: event?.id ?? null,
        channels: event ? { eventType: event.type, channels: ['email'], retrySeconds: null } : null,
      };
    },
    notifyMerchant: async ({ eventId }) => {
      sent.push(`webhook ${eventId}`);
      return { statusCode: 200 };
    },
    channelsForEvent: async ({ eventId }) => {
      lookups.push(eventId);
      return { eventType: 'payment.paid', channels: ['email'], retrySeconds: null };
    },
    sendEmailNotification: async ({ eventId }) => {
      sent.push(`email ${eventId}`);
      return { channel: 'email', attempt: 1, delivered: true, response: '250 ok', error: null, latencyMs: 1 };
    },
  };
  await withPurchaseWorkflow({ client, nativeConnection }, activities, input, async (handle) => {
    await handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_card' }] });
    const callback: ProviderCallback = {
      eventId: 'sevt_paid',
      providerPaymentId: 'sp_1',
      paymentId: input.paymentId,
      state: 'succeeded',
      amountMinor: input.amountMinor,
      currency: input.currency,
      occurredAt: new Date().toISOString(),
    };
    await handle.signal(providerCallbackSignal, callback);
    expect((await handle.result()).status).toBe('paid');

    const events = (await handle.fetchHistory()).events!;
    const paidEvent = writes.find((write) => write.status === 'paid')!.event!.id;
    expect(lookups).toEqual([]);
    expect(sent.sort()).toEqual([`email ${paidEvent}`, `webhook ${paidEvent}`]);
    expect(markerNames(events)).toEqual([
      `patch ${currentPatch}`,
      'core_local_activity',
      'core_local_activity',
      'core_local_activity',
    ]);
    // One upsert for the patch, one per status the payment moved to; the start set awaiting_method.
    const upserts = events.filter(
      (event) => event.eventType === EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
    );
    expect(upserts).toHaveLength(1 + writes.length);
    const paidTask = taskOfLocalActivity(events, 'recordPaymentStatus', 1);
    const scheduled = paidTask.map((event) => event.activityTaskScheduledEventAttributes?.activityType?.name);
    expect(scheduled).toEqual(expect.arrayContaining(['notifyMerchant', 'sendEmailNotification']));
  });
});
