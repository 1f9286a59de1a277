import {
  type Client,
  type WorkflowStartOptions,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
} from '@temporalio/client';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import type { Workflow } from '@temporalio/common';

/**
 * Starts a workflow whose row is already stored, at most once per id: a running one is reused,
 * a closed one is not started again. Safe for the API and for the sweep of unstarted rows alike.
 */
export async function startOnce<T extends Workflow>(
  temporal: Client,
  workflowType: string,
  options: WorkflowStartOptions<T>,
): Promise<void> {
  try {
    await temporal.workflow.start<T>(workflowType, {
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      ...options,
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}
