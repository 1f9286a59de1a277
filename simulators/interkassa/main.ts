import { z } from 'zod';
import { hostVariable, portVariable, readEnv, runSimulator, secretVariable } from '../common/process';
import { listen } from '../common/server';
import { createInterkassaApp } from './app';

/**
 * The Interkassa simulator as its own process. Environment (an empty value counts as unset):
 * `INTERKASSA_PORT` (4300), `INTERKASSA_HOST` (127.0.0.1), the checkout `INTERKASSA_CHECKOUT_ID`,
 * `INTERKASSA_SECRET_KEY`, `INTERKASSA_TEST_KEY`, `INTERKASSA_SIGN_ALGORITHM` (md5 or sha256), an
 * `INTERKASSA_INTERACTION_URL` of its own (else the form's `ik_ia_u`), and the API user
 * `INTERKASSA_API_USER_ID`, `INTERKASSA_API_KEY`, `INTERKASSA_API_ACCOUNT_ID`. With
 * `KASSA_PARENT_PID`, it stops once that process is gone.
 */
const env = readEnv(
  {
    INTERKASSA_PORT: portVariable(4300),
    INTERKASSA_HOST: hostVariable,
    INTERKASSA_CHECKOUT_ID: z.string().regex(/^[0-9a-f]{24}$/, '24 lower-case hex digits'),
    INTERKASSA_SECRET_KEY: secretVariable(8),
    INTERKASSA_TEST_KEY: secretVariable(8),
    INTERKASSA_SIGN_ALGORITHM: z.enum(['md5', 'sha256']),
    INTERKASSA_INTERACTION_URL: z
      .string()
      .refine(
        (value) => value === 'none' || (/^https?:\/\//.test(value) && URL.canParse(value)),
        'an http(s) URL, or none',
      ),
    INTERKASSA_API_USER_ID: secretVariable(4),
    INTERKASSA_API_KEY: secretVariable(8),
    INTERKASSA_API_ACCOUNT_ID: secretVariable(4),
  },
  {
    INTERKASSA_PORT: '4300',
    INTERKASSA_HOST: '127.0.0.1',
    INTERKASSA_CHECKOUT_ID: '5f0c6a3e1ae1bd2a008b4567',
    INTERKASSA_SECRET_KEY: 'ik_dev_secret_key',
    INTERKASSA_TEST_KEY: 'ik_dev_test_key',
    INTERKASSA_SIGN_ALGORITHM: 'md5',
    INTERKASSA_INTERACTION_URL: 'none',
    INTERKASSA_API_USER_ID: 'ik_dev_api_user',
    INTERKASSA_API_KEY: 'ik_dev_api_key',
    INTERKASSA_API_ACCOUNT_ID: '5f0c6a3e1ae1bd2a008b4000',
  },
);

void runSimulator({
  name: 'interkassa simulator',
  prefix: 'INTERKASSA',
  port: env.INTERKASSA_PORT,
  host: env.INTERKASSA_HOST,
  start: () => {
    const app = createInterkassaApp({
      checkout: {
        id: env.INTERKASSA_CHECKOUT_ID,
        secretKey: env.INTERKASSA_SECRET_KEY,
        testKey: env.INTERKASSA_TEST_KEY,
        signAlgorithm: env.INTERKASSA_SIGN_ALGORITHM,
        interaction:
          env.INTERKASSA_INTERACTION_URL === 'none' ? null : { url: env.INTERKASSA_INTERACTION_URL, method: 'POST' },
        purseId: '300000000001',
        apiUserId: env.INTERKASSA_API_USER_ID,
        apiKey: env.INTERKASSA_API_KEY,
        apiAccountId: env.INTERKASSA_API_ACCOUNT_ID,
      },
      log: (line) => console.log(line),
    });
    return listen(app, { port: env.INTERKASSA_PORT, host: env.INTERKASSA_HOST, stop: () => app.stop() });
  },
});
