/**
 * Updates sent to a payment's purchase workflow, and the one mapping of their failures to domain
 * errors: a workflow that rejects the update, or that is not running (closed, or not started
 * yet), is a conflict with the payment's state.
 */
import { type Client, type WorkflowHandle, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { DomainError } from '../domain/errors';
import { purchaseWorkflowId } from '../workflows/shared';

/** The domain error an update's failure means, or null for a failure that is not about the payment. */
export function updateRejection(error: unknown): DomainError | null {
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
