/**
 * Start functions derived from a workflow's definition (./definitions.ts): the id, its policies,
 * search attributes, summary and task queue come from there and nowhere else.
 */
import {
  type Client,
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowHandleWithFirstExecutionRunId,
  WorkflowIdReusePolicy,
  type WorkflowStartOptions,
} from '@temporalio/client';
import { WorkflowIdConflictPolicy, type WorkflowResultType } from '@temporalio/common';
import {
  type IdPolicy,
  reconciliationSchedule,
  type WorkflowDefinition,
  type WorkflowOf,
  type WorkflowType,
} from './definitions';

/** What starts workflows: a client, and whether it shares its connection with a worker in this process. */
export interface Starter {
  temporal: Client;
  /**
   * True when `temporal` runs on the NativeConnection of a worker in this process (the composition
   * root knows): workflows defined `eager` then start eagerly.
   */
  eagerWorkflowStart?: boolean;
}

const idPolicies: Record<IdPolicy, Pick<WorkflowStartOptions, 'workflowIdReusePolicy' | 'workflowIdConflictPolicy'>> = {
  once: {
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  },
  restart: { workflowIdConflictPolicy: WorkflowIdConflictPolicy.TERMINATE_EXISTING },
  fresh: {},
};

/** The start options of a subject's workflow, as its definition says. */
function startOptions<T extends WorkflowType, S>(
  definition: WorkflowDefinition<T, S>,
  subject: S,
): WorkflowStartOptions<WorkflowOf<T>> {
  const searchAttributes = definition.searchAttributes(subject);
  const options = {
    taskQueue: definition.taskQueue,
    workflowId: definition.workflowId(subject),
    args: definition.args(subject),
    ...idPolicies[definition.idPolicy],
    ...(searchAttributes.length > 0 && { typedSearchAttributes: searchAttributes }),
    staticSummary: definition.summary(subject),
    ...(definition.details && { staticDetails: definition.details(subject) }),
  };
  // `args` is `Parameters<WorkflowOf<T>>`; the SDK's conditional args type cannot see that for a generic T.
  return options as unknown as WorkflowStartOptions<WorkflowOf<T>>;
}

/**
 * Starts the subject's workflow. Under the `once` policy a running workflow of the same id is
 * reused (its handle answered) and a closed one is not started again (`null`).
 */
export async function startWorkflow<T extends WorkflowType, S>(
  starter: Starter,
  definition: WorkflowDefinition<T, S>,
  subject: S,
): Promise<WorkflowHandleWithFirstExecutionRunId<WorkflowOf<T>> | null> {
  try {
    return await starter.temporal.workflow.start<WorkflowOf<T>>(definition.workflowType, {
      ...startOptions(definition, subject),
      ...(definition.eager && starter.eagerWorkflowStart && { requestEagerStart: true }),
    });
  } catch (error) {
    if (definition.idPolicy === 'once' && error instanceof WorkflowExecutionAlreadyStartedError) return null;
    throw error;
  }
}

/** Runs the subject's workflow and answers its result, giving up after `deadlineMs`. */
export async function executeWorkflow<T extends WorkflowType, S>(
  starter: Starter,
  definition: WorkflowDefinition<T, S>,
  subject: S,
  deadlineMs?: number,
): Promise<WorkflowResultType<WorkflowOf<T>>> {
  const run = () =>
    starter.temporal.workflow.execute<WorkflowOf<T>>(definition.workflowType, startOptions(definition, subject));
  return deadlineMs === undefined ? run() : starter.temporal.withDeadline(Date.now() + deadlineMs, run);
}

/** Creates the daily reconciliation Schedule unless it exists. Idempotent: every API process calls it at start. */
export async function ensureReconciliationSchedule(temporal: Client): Promise<'created' | 'exists'> {
  const schedule = reconciliationSchedule;
  try {
    await temporal.schedule.create({
      scheduleId: schedule.scheduleId,
      spec: { calendars: [schedule.calendar] },
      action: {
        type: 'startWorkflow',
        workflowType: schedule.workflowType,
        workflowId: schedule.workflowId,
        taskQueue: schedule.taskQueue,
        args: [...schedule.args],
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: schedule.catchupWindow },
      memo: { purpose: schedule.purpose },
    });
    return 'created';
  } catch (error) {
    if (error instanceof ScheduleAlreadyRunning) return 'exists';
    throw error;
  }
}
