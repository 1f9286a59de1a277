import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import { flagCallback, storeMoneyCallback, storePaymentCallback } from '../db/callbacks';
import { findCheckoutById } from '../db/checkouts';
import { findPaymentById } from '../db/payments';
import { lateSuccessOperator } from '../domain/attempt';
import { openStatuses } from '../domain/payment';
import { DomainError, notFound } from '../domain/errors';
import type { ConnectorHandle } from '../providers/registry';
import {
  type CallbackOutcome,
  type CallbackReply,
  type CallbackRequest,
  CallbackVerificationError,
  defaultCallbackReply,
  type ProviderCallback,
  type TranslatedCallback,
} from '../providers/types';
import { signalPurchase } from '../temporal/messages';
import { payoutWorkflowId, refundWorkflowId } from '../workflows/money-shared';
import { payoutSettledSignal, refundSettledSignal } from '../workflows/money-signals';
import { lateCallbackFlag, lateSuccessAction } from '../workflows/purchase/decisions';
import { providerCallbackSignal } from '../workflows/shared';
import type { ServiceDeps } from './deps';
import { decideException } from './exceptions';

export interface IncomingCallback {
  /** The `:provider` of the path. */
  provider: string;
  /** The `:connector_id` of the path, when the callback URL names it. */
  connectorId?: string;
  request: CallbackRequest;
  /**
   * Checked after verification, before anything is stored: throws for what cannot be stored (the
   * API checks the body and the translation for input PostgreSQL refuses).
   */
  storable?(callback: TranslatedCallback, rawBody: Buffer): void;
}

/** The connectors that may have sent a callback: the one the path names, else the provider's by priority. */
function candidates(deps: ServiceDeps, provider: string, connectorId: string | undefined): ConnectorHandle[] {
  if (connectorId === undefined) {
    const handles = deps.providers.byProvider(provider);
    if (handles.length === 0) throw notFound('provider', 'provider');
    return handles;
  }
  const handle = deps.providers.connector(connectorId);
  if (!handle || handle.connector.provider !== provider) throw notFound('connector', 'connector_id');
  return [handle];
}

async function verified(
  handles: ConnectorHandle[],
  request: CallbackRequest,
): Promise<{ handle: ConnectorHandle; callback: TranslatedCallback } | { handle: ConnectorHandle; error: Error }> {
  let failure: Error | undefined;
  for (const handle of handles) {
    try {
      return { handle, callback: await handle.client.verifyCallback(request) };
    } catch (error) {
      if (!(error instanceof CallbackVerificationError)) throw error;
      failure ??= error;
    }
  }
  return { handle: handles[0]!, error: failure! };
}

const replyFor = (handle: ConnectorHandle, outcome: CallbackOutcome, callback: TranslatedCallback | null) =>
  handle.client.callbackReply?.(outcome, callback) ?? defaultCallbackReply(outcome);

/**
 * A provider's callback at `/callbacks/:provider[/:connector_id]`: verified first (the named
 * connector, or each of the provider's connectors in priority order), then acted on by what it
 * translates to, then answered as its connector requires (`200 {"received":true}` by default).
 * A payment callback is stored in the inbox and signalled to the payment's workflow (as
 * {@link receivePaymentCallback}); a refund or payout callback settles a pending one. A forged
 * callback is a `401` unless its connector answers otherwise.
 */
export async function receiveCallback(deps: ServiceDeps, incoming: IncomingCallback): Promise<CallbackReply> {
  const handles = candidates(deps, incoming.provider, incoming.connectorId);
  const result = await verified(handles, incoming.request);
  if ('error' in result) {
    if (!result.handle.client.callbackReply)
      throw new DomainError('unauthenticated', 'signature_invalid', result.error.message);
    return replyFor(result.handle, 'rejected', null);
  }
  const { handle, callback } = result;
  incoming.storable?.(callback, incoming.request.rawBody);
  const rawBody = incoming.request.rawBody.toString('utf8');
  const provider = handle.connector.provider;
  let outcome: CallbackOutcome;
  switch (callback.kind) {
    case 'payment':
      outcome = await receivePaymentCallback(deps, provider, callback.callback, rawBody);
      break;
    case 'refund':
      outcome = await settleByCallback(deps, provider, callback.eventId, rawBody, {
        state: callback.refund.state,
        workflowId: refundWorkflowId(callback.refundId),
        signal: refundSettledSignal,
        value: callback.refund,
      });
      break;
    case 'payout':
      outcome = await settleByCallback(deps, provider, callback.eventId, rawBody, {
        state: callback.payout.state,
        workflowId: payoutWorkflowId(callback.payoutId),
        signal: payoutSettledSignal,
        value: callback.payout,
      });
      break;
    case 'check':
      outcome = 'accepted';
      break;
    case 'ignored':
      outcome = 'ignored';
      break;
  }
  return replyFor(handle, outcome, callback);
}

/** Stores a refund's or payout's event and hands a final state to its workflow (a closed one needs nothing). */
async function settleByCallback<T>(
  deps: ServiceDeps,
  provider: string,
  eventId: string,
  rawBody: string,
  settle: { state: string; workflowId: string; signal: SignalDefinition<[T]>; value: T },
): Promise<CallbackOutcome> {
  const stored = await storeMoneyCallback(deps.db, { provider, eventId, state: settle.state, body: rawBody });
  if (settle.state !== 'pending') await signalIfRunning(deps.temporal, settle.workflowId, settle.signal, settle.value);
  return stored ? 'accepted' : 'duplicate';
}

async function signalIfRunning<T>(
  temporal: Client,
  workflowId: string,
  signal: SignalDefinition<[T]>,
  value: T,
): Promise<void> {
  try {
    await temporal.workflow.getHandle(workflowId).signal(signal, value);
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
}

/**
 * A payment callback: stored in the inbox, then signalled to the payment's workflow (which drops
 * repeats by event id). A callback for a payment whose outcome is already decided changes nothing;
 * one that contradicts it is flagged for review. One that names a provider payment of another Kassa
 * payment at the same provider is flagged `foreign_provider_payment` and goes no further (the
 * workflow would refuse it too: it accepts only its own provider payments). Resolves once all of
 * that is done, so the provider is answered only after.
 */
export async function receivePaymentCallback(
  deps: ServiceDeps,
  provider: string,
  callback: ProviderCallback,
  rawBody: string,
): Promise<CallbackOutcome> {
  const { stored, others } = await storePaymentCallback(deps.db, provider, callback, rawBody);
  const outcome: CallbackOutcome = stored ? 'accepted' : 'duplicate';
  const providerServes = (method: string) =>
    deps.providers.byProvider(provider).some((handle) => handle.connector.methods.includes(method));
  if (others.some((other) => other.method !== null && providerServes(other.method))) {
    await flagCallback(deps.db, {
      provider,
      paymentId: callback.paymentId,
      eventId: callback.eventId,
      flag: 'foreign_provider_payment',
    });
    return outcome;
  }
  const workflowFound = await signalPurchase(deps.temporal, callback.paymentId, providerCallbackSignal, callback);
  // Read after the signal: an outcome recorded before this read is checked here; one recorded
  // after it, the workflow checks itself against the signal it has then received.
  const payment = await findPaymentById(deps.db, callback.paymentId);
  const flag = !payment
    ? 'unknown_payment'
    : openStatuses.includes(payment.status)
      ? workflowFound
        ? null
        : 'workflow_missing'
      : lateCallbackFlag(callback, payment);
  if (flag)
    await flagCallback(deps.db, {
      provider,
      paymentId: callback.paymentId,
      eventId: callback.eventId,
      flag,
    });
  // A closed workflow cannot act on a late success itself: the checkout's `late_success` is applied here.
  if (flag && payment && !workflowFound) await refundLateSuccess(deps, payment.id, payment.checkoutId, flag);
  return outcome;
}

/** Refunds a late success at once when its checkout says so; a decision already made stands. */
async function refundLateSuccess(deps: ServiceDeps, paymentId: string, checkoutId: string, flag: string) {
  const checkout = await findCheckoutById(deps.db, checkoutId);
  if (lateSuccessAction(checkout?.lateSuccess, [{ flag }]) !== 'refund') return;
  try {
    await decideException(deps, paymentId, 'refund', lateSuccessOperator);
  } catch (error) {
    if (!(error instanceof DomainError && error.kind === 'conflict')) throw error;
  }
}
