import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { answersAsItself, freePort, stopChild } from './processes';
import { startStripeMock, type StripeMock } from './stripe-mock';

const root = path.resolve(__dirname, '../..');

/** The test key the simulator's requests carry: stripe-mock takes test keys only. */
export const stripeSimulatorKey = 'sk_test_kassasimulator';

export interface StripeSimulator {
  /** A Stripe connector's `api_base`; the Checkout pages are here too. */
  url: string;
  /** stripe-mock behind it, recording what the simulator forwarded. */
  mock: StripeMock;
  process: ChildProcess;
  /** Stripe's own API call through the simulator, form-encoded as the SDKs send it. */
  call(
    method: 'GET' | 'POST',
    pathname: string,
    params?: Record<string, string>,
  ): Promise<{ status: number; body: any }>;
  /** A webhook endpoint for `url` listening to every event: answers its `whsec_` secret. */
  addEndpoint(url: string): Promise<{ id: string; secret: string }>;
  /** Sets the simulator's faults for a session (by its id or `client_reference_id`), or for all. */
  fault(fault: Record<string, unknown> & { reference?: string }): Promise<void>;
  stop(): Promise<void>;
}

/** stripe-mock and the Stripe simulator (simulators/stripe) as their own processes on free ports. */
export async function startStripeSimulator(): Promise<StripeSimulator> {
  const mock = await startStripeMock();
  for (let tries = 1; ; tries++) {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'simulators/stripe/main.ts')], {
      env: { ...process.env, STRIPE_SIM_PORT: String(port), STRIPE_MOCK_URL: mock.url },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (await answersAsItself(child, port, 20_000)) {
      const url = `http://127.0.0.1:${port}`;
      const call: StripeSimulator['call'] = async (method, pathname, params = {}) => {
        const form = new URLSearchParams(params).toString();
        const response = await fetch(`${url}${pathname}${method === 'GET' && form ? `?${form}` : ''}`, {
          method,
          headers: {
            authorization: `Bearer ${stripeSimulatorKey}`,
            ...(method === 'POST' && { 'content-type': 'application/x-www-form-urlencoded' }),
          },
          ...(method === 'POST' && { body: form }),
        });
        return { status: response.status, body: await response.json() };
      };
      return {
        url,
        mock,
        process: child,
        call,
        async addEndpoint(endpointUrl) {
          const made = await call('POST', '/v1/webhook_endpoints', { url: endpointUrl, 'enabled_events[0]': '*' });
          if (made.status !== 200) throw new Error(`webhook endpoint: ${made.status} ${JSON.stringify(made.body)}`);
          return { id: made.body.id, secret: made.body.secret };
        },
        async fault(fault) {
          const response = await fetch(`${url}/_simulator/faults`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(fault),
          });
          if (response.status !== 204) throw new Error(`fault: ${response.status} ${await response.text()}`);
        },
        async stop() {
          await stopChild(child);
          await mock.stop();
        },
      };
    }
    await stopChild(child);
    if (tries === 3) {
      await mock.stop();
      throw new Error('the Stripe simulator could not start on a free port');
    }
  }
}
