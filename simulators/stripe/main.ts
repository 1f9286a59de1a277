import { z } from 'zod';
import { hostVariable, portVariable, readEnv, runSimulator } from '../common/process';
import { startStripeSimulator } from './server';

/**
 * The Stripe simulator as its own process. Environment (an empty value counts as unset):
 * `STRIPE_SIM_PORT` (4110), `STRIPE_SIM_HOST` (127.0.0.1), `STRIPE_MOCK_URL` (stripe-mock,
 * `http://127.0.0.1:12111`); with `KASSA_PARENT_PID`, it stops once that process is gone.
 */
const env = readEnv(
  {
    STRIPE_SIM_PORT: portVariable(4110),
    STRIPE_SIM_HOST: hostVariable,
    STRIPE_MOCK_URL: z.url({ protocol: /^https?$/, error: "stripe-mock's http(s) URL, e.g. http://127.0.0.1:12111" }),
  },
  { STRIPE_SIM_PORT: '4110', STRIPE_SIM_HOST: '127.0.0.1', STRIPE_MOCK_URL: 'http://127.0.0.1:12111' },
);

void runSimulator({
  name: 'Stripe simulator',
  prefix: 'STRIPE_SIM',
  port: env.STRIPE_SIM_PORT,
  host: env.STRIPE_SIM_HOST,
  start: () =>
    startStripeSimulator({
      port: env.STRIPE_SIM_PORT,
      host: env.STRIPE_SIM_HOST,
      stripeMockUrl: env.STRIPE_MOCK_URL,
      log: (line) => console.log(line),
    }),
});
