import { z } from 'zod';
import { type SandboxServer, startSandboxServer } from './server';

/**
 * The sandbox payment provider as its own process. Environment (an empty value counts as unset):
 * `SANDBOX_PORT` (4100), `SANDBOX_HOST` (127.0.0.1), `SANDBOX_API_KEY` (`sandbox_dev_key`),
 * `SANDBOX_WEBHOOK_SECRET` (`sandbox_dev_webhook_secret`); with `KASSA_PARENT_PID`, it stops once
 * that process is gone.
 */
const envSchema = z.object({
  SANDBOX_PORT: z
    .string()
    .regex(/^\d{1,5}$/, 'an integer port from 0 to 65535, e.g. 4100')
    .transform(Number)
    .refine((port) => port <= 65535, 'an integer port from 0 to 65535, e.g. 4100'),
  SANDBOX_HOST: z
    .string()
    .regex(/^[A-Za-z0-9.:%-]+$/, 'a host name or IP address to listen on, e.g. 127.0.0.1 or 0.0.0.0'),
  SANDBOX_API_KEY: z.string().regex(/^[\x21-\x7e]{8,255}$/, '8 to 255 printable characters without spaces'),
  SANDBOX_WEBHOOK_SECRET: z.string().regex(/^[\x21-\x7e]{16,255}$/, '16 to 255 printable characters without spaces'),
});

type Env = z.infer<typeof envSchema>;

const defaults = {
  SANDBOX_PORT: '4100',
  SANDBOX_HOST: '127.0.0.1',
  SANDBOX_API_KEY: 'sandbox_dev_key',
  SANDBOX_WEBHOOK_SECRET: 'sandbox_dev_webhook_secret',
};

function fail(line: string): never {
  console.error(line);
  process.exit(1);
}

function readEnv(): Env {
  const raw = Object.fromEntries(
    Object.entries(defaults).map(([name, fallback]) => [name, process.env[name] || fallback]),
  );
  const parsed = envSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  return fail(`invalid ${String(issue.path[0])}: expected ${issue.message}`);
}

/** One line that says which variable to change. */
function listenFailure(env: Env, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return `port ${env.SANDBOX_PORT} is in use: set SANDBOX_PORT to a free port`;
  if (code === 'EACCES') return `port ${env.SANDBOX_PORT} needs privileges: set SANDBOX_PORT to a port above 1023`;
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return `cannot listen on ${env.SANDBOX_HOST}: set SANDBOX_HOST to an address of this machine`;
  }
  return `sandbox provider could not start: ${err instanceof Error ? err.message : String(err)}`;
}

/** Calls `onOrphaned` once the process in `KASSA_PARENT_PID` is gone, so the sandbox never outlives its starter. */
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

async function main(): Promise<void> {
  const env = readEnv();
  const server: SandboxServer = await startSandboxServer({
    port: env.SANDBOX_PORT,
    host: env.SANDBOX_HOST,
    apiKey: env.SANDBOX_API_KEY,
    webhookSecret: env.SANDBOX_WEBHOOK_SECRET,
    log: (line) => console.log(line),
  }).catch((err: unknown) => fail(listenFailure(env, err)));
  console.log(`sandbox provider listening on ${server.url}`);

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    server.close().then(
      () => process.exit(0),
      (err: unknown) => fail(`sandbox provider did not close cleanly: ${String(err)}`),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (process.env.KASSA_PARENT_PID) stopWhenParentExits(Number(process.env.KASSA_PARENT_PID), stop);
}

void main();
