/**
 * A workflow interceptor module (bundled with the workflows): on a cluster where some of Kassa's
 * search attributes are missing, a workflow upserts only those named in its start memo, so a
 * status change never fails its workflow task on an unknown attribute.
 */
import type { temporal } from '@temporalio/proto';
import { type WorkflowInterceptorsFactory, workflowInfo } from '@temporalio/workflow';
import { registeredSearchAttributesMemo } from './shared';

type IndexedFields = temporal.api.common.v1.ISearchAttributes | null | undefined;

function keep(attributes: IndexedFields, allowed: Set<string>): IndexedFields {
  if (!attributes?.indexedFields) return attributes;
  const kept = Object.entries(attributes.indexedFields).filter(([name]) => allowed.has(name));
  return { ...attributes, indexedFields: Object.fromEntries(kept) };
}

export const interceptors: WorkflowInterceptorsFactory = () => ({
  internals: [
    {
      concludeActivation(input, next) {
        const listed = workflowInfo().memo?.[registeredSearchAttributesMemo];
        if (!Array.isArray(listed)) return next(input);
        const allowed = new Set(listed.map(String));
        const commands = input.commands.flatMap((command) => {
          if (command.upsertWorkflowSearchAttributes) {
            const searchAttributes = keep(command.upsertWorkflowSearchAttributes.searchAttributes, allowed);
            if (Object.keys(searchAttributes?.indexedFields ?? {}).length === 0) return [];
            return [{ ...command, upsertWorkflowSearchAttributes: { searchAttributes } }];
          }
          if (command.startChildWorkflowExecution?.searchAttributes)
            return [
              {
                ...command,
                startChildWorkflowExecution: {
                  ...command.startChildWorkflowExecution,
                  searchAttributes: keep(command.startChildWorkflowExecution.searchAttributes, allowed),
                },
              },
            ];
          if (command.continueAsNewWorkflowExecution?.searchAttributes)
            return [
              {
                ...command,
                continueAsNewWorkflowExecution: {
                  ...command.continueAsNewWorkflowExecution,
                  searchAttributes: keep(command.continueAsNewWorkflowExecution.searchAttributes, allowed),
                },
              },
            ];
          return [command];
        });
        return next({ ...input, commands });
      },
    },
  ],
});
