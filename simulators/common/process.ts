import { z } from 'zod';
import type { SimulatorServer } from './server';

/**
 * A simulator as its own process: environment read and checked (one line naming the variable on a
 * mistake), listen, stop on SIGINT/SIGTERM or once `KASSA_PARENT_PID` is gone.
 */

/** `<PREFIX>_PORT`: an integer port from 0 to 65535. */
export function portVariable(example: number) {
  const message = `an integer port from 0 to 65535, e.g. ${example}`;
  return z
    .string()
    .regex(/^\d{1,5}$/, message)
    .transform(Number)
    .refine((port) => port <= 65535, message);
}

export const hostVariable = z
  .string()
  .regex(/^[A-Za-z0-9.:%-]+$/, 'a host name or IP address to listen on, e.g. 127.0.0.1 or 0.0.0.0');

/** A key or secret: printable ASCII without spaces, `min` to 255 characters. */
export function secretVariable(min: number) {
  return z
    .string()
    .regex(new RegExp(`^[\\x21-\\x7e]{${min},255}$`), `${min} to 255 printable characters without spaces`);
}

function fail(line: string): never {
  console.error(line);
  process.exit(1);
}

/** The variables `shape` names, each from the environment or its default (an empty value counts as unset). */
export function readEnv<S extends z.ZodRawShape>(
  shape: S,
  defaults: { [K in keyof S]: string },
): z.infer<z.ZodObject<S>> {
  const raw = Object.fromEntries(
    Object.entries(defaults).map(([name, fallback]) => [name, process.env[name] || fallback]),
  );
  const parsed = z.object(shape).safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  return fail(`invalid ${String(issue.path[0])}: expected ${issue.message}`);
}

/** One line that says which variable to change. */
function listenFailure(name: string, prefix: string, port: number, host: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return `port ${port} is in use: set ${prefix}_PORT to a free port`;
  if (code === 'EACCES') return `port ${port} needs privileges: set ${prefix}_PORT to a port above 1023`;
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return `cannot listen on ${host}: set ${prefix}_HOST to an address of this machine`;
  }
  return `${name} could not start: ${err instanceof Error ? err.message : String(err)}`;
}

/** Calls `onOrphaned` once process `parentPid` is gone, so a simulator never outlives its starter. */
function stopWhenParentExits(parentPid: number, onOrphaned: () => void): void {
  if (!parentPid || parentPid === 1) return;
  const timer = setInterval(() => {
    try {
      process.kill(parentPid, 0);
    } catch {
      clearInterval(timer);
      onOrphaned();
    }
  }, 500);
  timer.unref();
}

/**
 * Starts `start()` and keeps the process running until a signal or the parent's end. `name` is how
 * lines call it (`sandbox provider`), `prefix` its variables' prefix (`SANDBOX`).
 */
export async function runSimulator(opts: {
  name: string;
  prefix: string;
  port: number;
  host: string;
  start: () => Promise<SimulatorServer>;
}): Promise<void> {
  const server = await opts
    .start()
    .catch((err: unknown) => fail(listenFailure(opts.name, opts.prefix, opts.port, opts.host, err)));
  console.log(`${opts.name} listening on ${server.url}`);

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    server.close().then(
      () => process.exit(0),
      (err: unknown) => fail(`${opts.name} did not close cleanly: ${String(err)}`),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (process.env.KASSA_PARENT_PID) stopWhenParentExits(Number(process.env.KASSA_PARENT_PID), stop);
}
