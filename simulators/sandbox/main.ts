import { hostVariable, portVariable, readEnv, runSimulator, secretVariable } from '../common/process';
import { startSandboxServer } from './server';

/**
 * The sandbox payment provider as its own process. Environment (an empty value counts as unset):
 * `SANDBOX_PORT` (4100), `SANDBOX_HOST` (127.0.0.1), `SANDBOX_API_KEY` (`sandbox_dev_key`),
 * `SANDBOX_WEBHOOK_SECRET` (`sandbox_dev_webhook_secret`); with `KASSA_PARENT_PID`, it stops once
 * that process is gone.
 */
const env = readEnv(
  {
    SANDBOX_PORT: portVariable(4100),
    SANDBOX_HOST: hostVariable,
    SANDBOX_API_KEY: secretVariable(8),
    SANDBOX_WEBHOOK_SECRET: secretVariable(16),
  },
  {
    SANDBOX_PORT: '4100',
    SANDBOX_HOST: '127.0.0.1',
    SANDBOX_API_KEY: 'sandbox_dev_key',
    SANDBOX_WEBHOOK_SECRET: 'sandbox_dev_webhook_secret',
  },
);

void runSimulator({
  name: 'sandbox provider',
  prefix: 'SANDBOX',
  port: env.SANDBOX_PORT,
  host: env.SANDBOX_HOST,
  start: () =>
    startSandboxServer({
      port: env.SANDBOX_PORT,
      host: env.SANDBOX_HOST,
      apiKey: env.SANDBOX_API_KEY,
      webhookSecret: env.SANDBOX_WEBHOOK_SECRET,
      log: (line) => console.log(line),
    }),
});
