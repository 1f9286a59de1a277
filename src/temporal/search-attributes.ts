import type { Connection, WorkflowClientInterceptor } from '@temporalio/client';
import { type SearchAttributePair, TypedSearchAttributes } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { registeredSearchAttributesMemo, searchAttributeDefinitions } from '../workflows/shared';

const indexedTypes = {
  Keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  Bool: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
};

/**
 * Registers the contract's search attributes in the namespace if any is missing: idempotent, and
 * throws when listing or registering fails. Returns the names it added.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const missing = await missingSearchAttributes(connection, namespace);
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(
      missing.map((name) => [name, indexedTypes[searchAttributeDefinitions[name]!]]),
    ),
  });
  return missing;
}

async function missingSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set([
    ...Object.keys(existing.customAttributes ?? {}),
    ...Object.keys(existing.systemAttributes ?? {}),
  ]);
  return Object.keys(searchAttributeDefinitions).filter((name) => !known.has(name));
}

const probeValues = { Keyword: '""', Int: '0', Bool: 'true' };

/**
 * The missing attributes found without the operator service (which locked-down clusters may deny
 * even for listing): a visibility query naming an unknown attribute is refused as INVALID_ARGUMENT.
 */
async function probeSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const missing: string[] = [];
  for (const [name, type] of Object.entries(searchAttributeDefinitions)) {
    try {
      await connection.workflowService.listWorkflowExecutions({
        namespace,
        pageSize: 1,
        query: `${name} = ${probeValues[type]}`,
      });
    } catch (error) {
      if ((error as { code?: number }).code !== 3) throw error;
      missing.push(name);
    }
  }
  return missing;
}

/** What startup found: the attributes Kassa may set, and those the cluster lacks and would not register. */
export interface SearchAttributeState {
  registered: string[];
  added: string[];
  missing: string[];
}

/** gRPC codes that mean "this cluster will not let Kassa register": no point retrying. */
const refusals = new Set<number>([
  7, // PERMISSION_DENIED
  9, // FAILED_PRECONDITION
  12, // UNIMPLEMENTED
  16, // UNAUTHENTICATED
]);

/**
 * At startup: registers what is missing, once. When the cluster refuses (Temporal Cloud, a
 * locked-down cluster) Kassa starts anyway: it warns with the commands an operator runs, and sets
 * only the registered attributes from then on (see {@link searchAttributeClientInterceptor}).
 * Other errors (a namespace the frontend does not know yet, an unreachable cluster) are retried for
 * `retryForMs`, then fail the start: only a refusal makes Kassa run without attributes.
 */
export async function prepareSearchAttributes(
  connection: Connection,
  namespace: string,
  logger: { warn(fields: object, message: string): void },
  retryForMs = 10_000,
): Promise<SearchAttributeState> {
  const all = Object.keys(searchAttributeDefinitions);
  const deadline = Date.now() + retryForMs;
  for (;;) {
    try {
      const added = await ensureSearchAttributes(connection, namespace);
      return { registered: all, added, missing: [] };
    } catch (error) {
      const code = (error as { code?: number }).code;
      if (code === undefined || !refusals.has(code)) {
        // Not a refusal (the cluster is down, the namespace not there yet): retry, then fail the start.
        if (Date.now() >= deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
        continue;
      }
      const missing = await missingSearchAttributes(connection, namespace).catch(() =>
        probeSearchAttributes(connection, namespace),
      );
      if (missing.length === 0) return { registered: all, added: [], missing: [] };
      logger.warn(
        { missingSearchAttributes: missing, err: { message: (error as Error).message, code } },
        searchAttributeAdvice(namespace, missing, (error as Error).message),
      );
      return { registered: all.filter((name) => !missing.includes(name)), added: [], missing };
    }
  }
}

/** The warning: what is missing, why, and the commands that register it (self-hosted CLI and Temporal Cloud). */
function searchAttributeAdvice(namespace: string, missing: string[], reason: string): string {
  const cli = missing.map(
    (name) =>
      `  temporal operator search-attribute create --namespace ${namespace} --name ${name} --type ${searchAttributeDefinitions[name]}`,
  );
  const cloudNamespace = namespace.includes('.') ? namespace : `${namespace}.<account-id>`;
  const cloud = `  tcld namespace search-attributes add --namespace ${cloudNamespace} ${missing
    .map((name) => `--search-attribute "${name}=${searchAttributeDefinitions[name]}"`)
    .join(' ')}`;
  return [
    `search attributes ${missing.join(', ')} are not registered in namespace ${namespace} and Kassa may not register them (${reason}).`,
    'Kassa runs without them: payments work, but operators cannot search workflows by them. Register them, then restart Kassa:',
    ...cli,
    'On Temporal Cloud:',
    cloud,
  ].join('\n');
}

/**
 * When some search attributes are missing, workflows start with the registered ones only and carry
 * their names in a memo; the workflow interceptor then upserts only those, for the whole life of
 * that execution (so replays stay the same after the attributes are registered). With none
 * missing, starts are left as they are.
 */
export function searchAttributeClientInterceptor(state: SearchAttributeState): WorkflowClientInterceptor {
  if (state.missing.length === 0) return {};
  const registered = new Set(state.registered);
  const restrict = <
    O extends { typedSearchAttributes?: SearchAttributePair[] | TypedSearchAttributes; memo?: Record<string, unknown> },
  >(
    options: O,
  ): O => {
    const pairs =
      options.typedSearchAttributes instanceof TypedSearchAttributes
        ? options.typedSearchAttributes.getAll()
        : (options.typedSearchAttributes ?? []);
    const kept = pairs.filter((pair) => registered.has(pair.key.name));
    return {
      ...options,
      typedSearchAttributes: kept.length > 0 ? kept : undefined,
      memo: { ...options.memo, [registeredSearchAttributesMemo]: state.registered },
    };
  };
  return {
    start: (input, next) => next({ ...input, options: restrict(input.options) }),
    startWithDetails: (input, next) => next({ ...input, options: restrict(input.options) }),
    signalWithStart: (input, next) => next({ ...input, options: restrict(input.options) }),
    startUpdateWithStart: (input, next) =>
      next({ ...input, workflowStartOptions: restrict(input.workflowStartOptions) }),
  };
}
