/**
 * Step 4 of a purchase: once it is decided, the merchant's webhook for each event it raised,
 * retried for days, and beside it the checkout's other channels (e-mail, Telegram, SMS, the
 * buyer's receipt), each on its own retry policy. The buyer's redirect never waits for them.
 */
import { ActivityFailure, ApplicationFailure, isCancellation, setCurrentDetails } from '@temporalio/workflow';
import type { RecordPaymentStatusInput } from '../../activities';
import type { PurchaseEventType } from '../../domain/event-types';
import { FailureType } from '../../domain/failure-types';
import type { PaymentStatus } from '../../domain/payment';
import type { ChannelPlan } from '../../notifications/types';
import { notifyChannels } from '../notifications';
import { database, merchantNotify } from './activities';
import type { PurchasePatches } from './patches';
import { notifyingDetails, notifySummary } from './ui-text';

/** A merchant event a status write stored: its type, and the write, made again if the database lost it. */
export interface RaisedEvent {
  type: PurchaseEventType;
  write: RecordPaymentStatusInput;
  /** The channels besides the webhook it goes to, as the write answered; null: looked up before sending. */
  channels: ChannelPlan | null;
}

/** How the sending goes: `notifying` until every webhook and channel has finished or given up. */
export interface Delivery {
  notifying: boolean;
  /** The cancellation that stopped a send, rethrown when the workflow ends. */
  canceled: unknown;
  /** The merchant never accepted a webhook: retries were exhausted after days. */
  undelivered: boolean;
}

/** The merchant event to send is not in the database: the write that stored it was lost. */
const isLostEvent = (error: unknown) =>
  error instanceof ActivityFailure &&
  error.cause instanceof ApplicationFailure &&
  error.cause.type === FailureType.UnknownEvent;

/**
 * Starts sending the events a payment raised (`eventIds`, in order) and returns at once; the
 * returned {@link Delivery} changes as the sends finish.
 */
export function notifyOutcome(
  status: PaymentStatus,
  eventIds: readonly string[],
  raisedBy: ReadonlyMap<string, RaisedEvent>,
  patches: Pick<PurchasePatches, 'channelPlans' | 'since'>,
): Delivery {
  if (eventIds.length > 0) {
    const events = eventIds.map((eventId) => ({ eventId, type: raisedBy.get(eventId)!.type }));
    setCurrentDetails(notifyingDetails(status, events));
  }
  const delivery: Delivery = { notifying: true, canceled: null, undelivered: false };
  const withChannels = patches.since('notification-channels');
  const repairsLostWrites = eventIds.length > 0 && patches.since('repair-lost-status-write');
  const send = (eventId: string) =>
    merchantNotify.notifyMerchant.executeWithOptions({ summary: notifySummary(raisedBy.get(eventId)!.type, eventId) }, [
      { eventId },
    ]);
  /** A status write the database acknowledged and then lost (a crash, a failover) is made again, once: it is idempotent. */
  const notify = async (eventId: string) => {
    try {
      return await send(eventId);
    } catch (error) {
      const write = raisedBy.get(eventId)?.write;
      if (!repairsLostWrites || !write || !isLostEvent(error)) throw error;
      await database.recordPaymentStatus(write);
      return await send(eventId);
    }
  };
  const webhooks = Promise.all(eventIds.map((eventId) => notify(eventId))).catch((error) => {
    if (isCancellation(error)) delivery.canceled = error;
    else delivery.undelivered = true;
    // Otherwise retries are exhausted after days; the attempts stay visible to the merchant and operators.
  });
  const channels = withChannels
    ? eventIds.map((eventId) =>
        notifyChannels(eventId, patches.channelPlans ? raisedBy.get(eventId)!.channels : null).catch((error) => {
          if (isCancellation(error)) delivery.canceled = error;
        }),
      )
    : [];
  void Promise.all([webhooks, ...channels]).finally(() => {
    delivery.notifying = false;
  });
  return delivery;
}
