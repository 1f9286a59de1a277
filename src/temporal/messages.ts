/**
 * Messages the API sends a payment's purchase workflow. Updates fail in one way services know:
 * a workflow that rejects the update, or that is not running (closed, or not started yet), is a
 * conflict with the payment's state (the one mapping, {@link updateRejection}).
 */
import { type Client, type WorkflowHandle, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import { DomainError } from '../domain/errors';
import { purchaseWorkflowId } from '../workflows/shared';

/** The domain error an update's failure means, or null for a failure that is not about the payment. */
function updateRejection(error: unknown): DomainError | null {
  if (error instanceof WorkflowUpdateFailedError)
    return new DomainError('conflict', 'payment_state', error.cause?.message ?? 'the payment cannot change now');
  if (error instanceof WorkflowNotFoundError) {
    const closed = /already completed/i.test(error.message);
    return new DomainError(
      'conflict',
      'payment_state',
      closed ? 'the payment has closed and cannot change' : 'the payment is being set up; retry in a few seconds',
    );
  }
  return null;
}

/**
 * Sends an update to the payment's workflow (`send` calls `executeUpdate` on its handle) and
 * answers its result; failures as {@link updateRejection} says.
 */
export async function updatePurchase<Ret>(
  temporal: Client,
  paymentId: string,
  send: (handle: WorkflowHandle) => Promise<Ret>,
): Promise<Ret> {
  try {
    return await send(temporal.workflow.getHandle(purchaseWorkflowId(paymentId)));
  } catch (error) {
    throw updateRejection(error) ?? error;
  }
}

/**
 * Signals the payment's workflow. Answers false when it is not running (closed, or not started
 * yet): a signal is fire-and-forget, so the caller decides what a missing workflow means.
 */
export async function signalPurchase<Args extends unknown[]>(
  temporal: Client,
  paymentId: string,
  signal: SignalDefinition<Args>,
  ...args: Args
): Promise<boolean> {
  try {
    await temporal.workflow.getHandle(purchaseWorkflowId(paymentId)).signal(signal, ...args);
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}
