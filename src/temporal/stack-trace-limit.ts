/**
 * How many frames the workflow threads' stack traces keep. The SDK captures a stack trace for every
 * promise workflow code creates (for the `__stack_trace` query the Temporal UI shows) and source-maps
 * each frame: at Node's default of 10 frames that was about a quarter of the workflow thread's CPU.
 */
import v8 from 'node:v8';

/** The limit the rest of the process keeps: `--stack-trace-limit` as node was started (argv or `NODE_OPTIONS`), else V8's 10. */
const processLimit = (() => {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)]
    .map((arg) => /^--stack[-_]trace[-_]limit=(\d+)$/.exec(arg)?.[1])
    .filter((value) => value !== undefined);
  return given.length > 0 ? Number(given.at(-1)) : 10;
})();

/**
 * Runs `create` with V8's stack-trace limit for new contexts at `limit`, so the workflow threads and
 * their VM contexts made meanwhile capture `limit` frames (the capture's own two among them); contexts
 * made before or after, the main thread's among them, keep {@link processLimit}.
 */
export async function withWorkflowStackTraceLimit<T>(limit: number, create: () => Promise<T>): Promise<T> {
  v8.setFlagsFromString(`--stack-trace-limit=${limit}`);
  try {
    return await create();
  } finally {
    v8.setFlagsFromString(`--stack-trace-limit=${processLimit}`);
  }
}
