import {
  allHandlersFinished,
  condition,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { awaitOutcome, flagLateCallbacks } from './purchase/confirmation';
import { notifyOutcome } from './purchase/notification-tail';
import { purchasePatches } from './purchase/patches';
import { Purchase } from './purchase/state';
import { finishedDetails } from './purchase/ui-text';
import {
  cancelUpdate,
  connectorResumedSignal,
  providerCallbackSignal,
  type PurchaseInput,
  type PurchaseState,
  recheckProviderSignal,
  searchAttributes,
  selectMethodUpdate,
  statusQuery,
} from './shared';

/**
 * One purchase, from method choice to merchant notification. Steps: select method → provider
 * payment → confirmation (callback or status check) → merchant notification, flagging callbacks
 * that contradict the outcome meanwhile. The state and its operations are in `purchase/state.ts`,
 * what a callback means and when to wake in `purchase/decisions.ts`.
 */
export async function purchaseWorkflow(input: PurchaseInput): Promise<PurchaseState> {
  const patches = purchasePatches();
  const purchase = new Purchase(input, patches);

  // message handlers, registered before the first await: an update without its handler is refused
  setHandler(statusQuery, () => ({ ...purchase.state }));
  setHandler(selectMethodUpdate, async ({ method }) => purchase.selectMethod(method), {
    validator: ({ method }) => purchase.validateMethodChoice(method),
  });
  setHandler(cancelUpdate, () => purchase.cancel(), { validator: () => purchase.validateCancel() });
  setHandler(recheckProviderSignal, () => {
    purchase.recheckRequested = true;
  });
  setHandler(providerCallbackSignal, (callback) => purchase.receiveCallback(callback));
  setHandler(connectorResumedSignal, ({ connectorId }) => purchase.connectorResumed(connectorId));

  // 1. select method (the hosted page's update, or the merchant's choice at creation) and
  // 2. provider payment: both in `Purchase.chooseMethod`
  // The start sets the status attribute (`awaiting_method`); a run continued as new states its own.
  if (!patches.statusSetAtStart || input.carried)
    upsertSearchAttributes([{ key: searchAttributes.paymentStatus, value: purchase.state.status }]);
  if (input.method && !input.carried) purchase.chooseAtCreation(input.method);

  // 3. confirmation: a callback, or the provider's answer when asked; until expiry, and past it
  //    while the provider's answer is unknown
  await awaitOutcome(purchase, patches.continueAsNew);
  await purchase.settleDeferredAtClose();
  // the provider payment of an expired or canceled payment is canceled there, without holding up what follows
  const canceling = purchase.cancelAtProvider();

  // 4. merchant notification and the checkout's other channels, retried for days
  await condition(allHandlersFinished);
  const delivery = notifyOutcome(purchase.state.status, purchase.raisedEvents, purchase.raisedBy, patches);

  // 5. late callbacks: they came after the outcome; those that say otherwise are flagged for review
  await flagLateCallbacks(purchase, delivery);
  await canceling;
  setCurrentDetails(finishedDetails(purchase.state.status, delivery.undelivered));
  if (delivery.canceled) throw delivery.canceled;
  return { ...purchase.state };
}
