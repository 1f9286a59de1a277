/**
 * Which behaviour a purchase run has, by the patch markers in its history. Every patch records a
 * marker and a `TemporalChangeVersion` search-attribute upsert: two history events and a visibility
 * write. A run started now records one marker, {@link currentPatch}, that stands for every change
 * below; runs recorded before it replay by their own markers, each checked where it always was.
 */
import { patched } from '@temporalio/workflow';

/**
 * The purchase as of December 2026: every earlier change, the channel plan returned by the status
 * write, and no status upsert at the start of a fresh run.
 */
export const currentPatch = 'purchase-2026-12';

/** Changes made before {@link currentPatch}, each with the marker runs recorded before it carry. */
export type EarlierPatch =
  | 'status-seq-from-clock'
  | 'callback-own-provider-payment'
  | 'purchase-at-connectors'
  | 'continue-as-new'
  | 'retry-unverified-callbacks'
  | 'notification-channels'
  | 'repair-lost-status-write';

export interface PurchasePatches {
  /** Status writes ordered by workflow time (they land after a reset), merchant events identified by payment and status. */
  clockSeq: boolean;
  /** A success counts only for a provider payment Kassa made for this payment. */
  ownPaymentsOnly: boolean;
  /**
   * Each attempt is made at one connector, the next one tried when a create is refused or does not
   * reach the provider; a paused connector parks the payment; the provider payment is canceled
   * when the payment expires or is canceled.
   */
  connectors: boolean;
  /** A run may continue as new to keep its history short. */
  continueAsNew: boolean;
  /** The status write answers which channels its event goes to: no separate look-up before the sends. */
  channelPlans: boolean;
  /** The start sets the status search attribute: a fresh run does not upsert it again. */
  statusSetAtStart: boolean;
  /** Whether this run has an earlier change that is checked where it applies, not at the start. */
  since(patchId: EarlierPatch): boolean;
}

/** Reads the patches at the start of a run, in the order runs recorded before {@link currentPatch} checked them. */
export function purchasePatches(): PurchasePatches {
  const current = patched(currentPatch);
  const since = (patchId: EarlierPatch) => current || patched(patchId);
  return {
    clockSeq: since('status-seq-from-clock'),
    ownPaymentsOnly: since('callback-own-provider-payment'),
    connectors: since('purchase-at-connectors'),
    continueAsNew: since('continue-as-new'),
    channelPlans: current,
    statusSetAtStart: current,
    since,
  };
}
