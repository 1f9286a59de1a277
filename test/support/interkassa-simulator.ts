import { spawn } from 'node:child_process';
import path from 'node:path';
import { answersAsItself, freePort, stopChild } from './processes';

const root = path.resolve(__dirname, '../..');

/** The simulator's checkout and API user, as a test connector's credentials name them. */
export const interkassaCheckout = {
  checkoutId: '5f0c6a3e1ae1bd2a008b4567',
  secretKey: 'ik_test_secret_key',
  testKey: 'ik_test_test_key',
  signAlgorithm: 'md5' as const,
  apiUserId: 'ik_test_api_user',
  apiKey: 'ik_test_api_key',
  apiAccountId: '5f0c6a3e1ae1bd2a008b4000',
};

export interface InterkassaSimulator {
  url: string;
  /** The connector credentials that reach this simulator. */
  credentials: Record<string, string>;
  /** `POST /_sim/faults` for one `ik_pm_no` (an attempt key), or all payments without `reference`. */
  fault(reference: string | undefined, fault: Record<string, unknown>): Promise<void>;
  /** A call to its REST API as the checkout's API user. */
  api(method: 'GET' | 'POST', pathname: string, form?: Record<string, string>): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

/** The Interkassa simulator as its own process on a free port, as `npm start` runs it. */
export async function startInterkassaSimulator(): Promise<InterkassaSimulator> {
  for (let tries = 1; ; tries++) {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'simulators/interkassa/main.ts')], {
      env: {
        ...process.env,
        INTERKASSA_PORT: String(port),
        INTERKASSA_CHECKOUT_ID: interkassaCheckout.checkoutId,
        INTERKASSA_SECRET_KEY: interkassaCheckout.secretKey,
        INTERKASSA_TEST_KEY: interkassaCheckout.testKey,
        INTERKASSA_SIGN_ALGORITHM: interkassaCheckout.signAlgorithm,
        INTERKASSA_API_USER_ID: interkassaCheckout.apiUserId,
        INTERKASSA_API_KEY: interkassaCheckout.apiKey,
        INTERKASSA_API_ACCOUNT_ID: interkassaCheckout.apiAccountId,
      },
      stdio: ['ignore', process.env.INTERKASSA_SIM_LOG ? 'inherit' : 'ignore', 'inherit'],
    });
    if (await answersAsItself(child, port, 20_000)) {
      const url = `http://127.0.0.1:${port}`;
      const authorization = `Basic ${Buffer.from(`${interkassaCheckout.apiUserId}:${interkassaCheckout.apiKey}`).toString('base64')}`;
      return {
        url,
        credentials: {
          checkout_id: interkassaCheckout.checkoutId,
          secret_key: interkassaCheckout.secretKey,
          test_key: interkassaCheckout.testKey,
          sign_algorithm: interkassaCheckout.signAlgorithm,
          api_user_id: interkassaCheckout.apiUserId,
          api_key: interkassaCheckout.apiKey,
          api_account_id: interkassaCheckout.apiAccountId,
          sci_url: `${url}/`,
          api_url: `${url}/v1`,
        },
        async fault(reference, fault) {
          const response = await fetch(`${url}/_sim/faults`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ ...(reference !== undefined && { reference }), ...fault }),
          });
          if (response.status !== 204) throw new Error(`interkassa fault: ${response.status}`);
        },
        async api(method, pathname, form) {
          const response = await fetch(`${url}/v1${pathname}`, {
            method,
            headers: {
              authorization,
              ...(form && { 'content-type': 'application/x-www-form-urlencoded' }),
            },
            ...(form && { body: new URLSearchParams(form).toString() }),
          });
          return { status: response.status, body: await response.json() };
        },
        stop: () => stopChild(child),
      };
    }
    await stopChild(child);
    if (tries === 3) throw new Error('the interkassa simulator could not start on a free port');
  }
}
