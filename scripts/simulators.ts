/**
 * The payment-system simulators `npm start` can run beside the sandbox, and how each becomes a test
 * connector of Kassa. `KASSA_SIMULATORS=all` starts every entry of {@link simulators};
 * `KASSA_SIMULATORS=stripe,webmoney` the ones named. A new simulator is one entry here.
 */

import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** What `npm start` gives an entry while it starts and registers its simulator. */
export interface SimulatorContext {
  /** The simulator's base URL, `http://127.0.0.1:<port>`. */
  url: string;
  /** Kassa's public URL: callbacks go to `<kassaUrl>/callbacks/<provider>/<connector id>`. */
  kassaUrl: string;
  /**
   * Makes (first start) or updates (later starts: the same connector, new credentials) this
   * simulator's test connector through the operator API; answers its id.
   */
  connect(spec: { provider: string; credentials: Record<string, unknown>; methods?: string[] }): Promise<string>;
  /** Starts a helper process (stopped with the rest) and waits until `port` answers. */
  launchHelper(name: string, command: string, args: string[], port: number): Promise<void>;
  /** A free port for a helper, from `variable` or `fallback`. */
  helperPort(variable: string, fallback: number): number;
}

export interface SimulatorEntry {
  /** Its directory under simulators/, its log file and its name in `KASSA_SIMULATORS`. */
  name: string;
  /** How the startup lines and the summary call it. */
  title: string;
  /** The variable its main.ts listens on, and the port `npm start` gives it unless that variable is set. */
  portVariable: string;
  port: number;
  /** More environment for its process (its keys and secrets, which its connector then holds). */
  env?: Record<string, string>;
  /** Ports of helpers it starts, checked free with the others: `[variable, default]`. */
  helperPorts?: [string, number][];
  /** Before the simulator starts: helpers it needs; answers more environment for it. */
  prepare?(context: Omit<SimulatorContext, 'url' | 'connect'>): Promise<Record<string, string>>;
  /** After it answers: its test connector, and whatever the provider needs to call Kassa back. */
  register(context: SimulatorContext): Promise<void>;
}

const stripeTestKey = 'sk_test_kassasimulator';

async function stripeCall(base: string, pathname: string, params: Record<string, string>) {
  const response = await fetch(`${base}${pathname}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stripeTestKey}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
  const body = (await response.json()) as Record<string, any>;
  if (!response.ok)
    throw new Error(`Stripe simulator ${pathname} answered ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

export const simulators: SimulatorEntry[] = [
  {
    name: 'stripe',
    title: 'Stripe simulator',
    portVariable: 'STRIPE_SIM_PORT',
    port: 4110,
    helperPorts: [['STRIPE_MOCK_PORT', 12111]],
    async prepare({ launchHelper, helperPort }) {
      const binary = execFileSync(process.execPath, [path.join(__dirname, 'setup-stripe-mock.cjs')], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      })
        .trim()
        .split('\n')
        .pop()!;
      const port = helperPort('STRIPE_MOCK_PORT', 12111);
      // stripe-mock serves HTTPS too; it gets the next port, unused.
      await launchHelper(
        'stripe-mock',
        binary,
        ['-http-addr', `127.0.0.1:${port}`, '-https-addr', `127.0.0.1:${port + 1}`],
        port,
      );
      return { STRIPE_MOCK_URL: `http://127.0.0.1:${port}` };
    },
    async register({ url, kassaUrl, connect }) {
      // As at Stripe: an endpoint (Stripe makes its secret), the connector holding the secret, then
      // the endpoint pointed at the connector's own callback URL.
      const endpoint = await stripeCall(url, '/v1/webhook_endpoints', {
        url: `${kassaUrl}/callbacks/stripe`,
        'enabled_events[0]': '*',
      });
      const id = await connect({
        provider: 'stripe',
        credentials: { secret_key: stripeTestKey, webhook_secret: endpoint.secret, api_base: url },
      });
      await stripeCall(url, `/v1/webhook_endpoints/${endpoint.id}`, { url: `${kassaUrl}/callbacks/stripe/${id}` });
    },
  },
  {
    name: 'webmoney',
    title: 'WebMoney simulator',
    portVariable: 'WEBMONEY_PORT',
    port: 4120,
    env: {
      WEBMONEY_WMID: '123456789012',
      WEBMONEY_SECRET_KEY: 'webmoney_dev_secret',
      WEBMONEY_HASH_METHOD: 'sha256',
      WEBMONEY_LIVE_PURSES: 'Z100000000002',
    },
    // The form carries LMI_RESULT_URL: nothing to point at Kassa afterwards.
    async register({ url, connect }) {
      await connect({
        provider: 'webmoney',
        credentials: {
          merchant_url: url,
          wmid: '123456789012',
          purse: 'P100000000001',
          secret_key: 'webmoney_dev_secret',
          hash_method: 'sha256',
        },
      });
    },
  },
  {
    name: 'yookassa',
    title: 'YooKassa simulator',
    portVariable: 'YOOKASSA_PORT',
    port: 4130,
    env: { YOOKASSA_SHOP_ID: '100500', YOOKASSA_SECRET_KEY: 'test_simulator_secret_key' },
    async register({ url, kassaUrl, connect }) {
      const id = await connect({
        provider: 'yookassa',
        credentials: {
          shop_id: '100500',
          secret_key: 'test_simulator_secret_key',
          api_base: `${url}/v3`,
          notification_networks: ['127.0.0.1/32', '::1'],
        },
      });
      // The shop's notification URL, set in YooKassa's merchant profile: here the simulator's setting.
      const response = await fetch(`${url}/sim/settings`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from('100500:test_simulator_secret_key').toString('base64')}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ notification_url: `${kassaUrl}/callbacks/yookassa/${id}` }),
      });
      if (response.status !== 204) throw new Error(`YooKassa simulator settings answered ${response.status}`);
    },
  },
  {
    name: 'interkassa',
    title: 'Interkassa simulator',
    portVariable: 'INTERKASSA_PORT',
    port: 4140,
    env: {
      INTERKASSA_CHECKOUT_ID: '5f0c6a3e1ae1bd2a008b4567',
      INTERKASSA_SECRET_KEY: 'ik_dev_secret_key',
      INTERKASSA_TEST_KEY: 'ik_dev_test_key',
      INTERKASSA_SIGN_ALGORITHM: 'md5',
      INTERKASSA_API_USER_ID: 'ik_dev_api_user',
      INTERKASSA_API_KEY: 'ik_dev_api_key',
      INTERKASSA_API_ACCOUNT_ID: '5f0c6a3e1ae1bd2a008b4000',
    },
    // The form carries the interaction URL (ik_ia_u): nothing to point at Kassa afterwards.
    async register({ url, connect }) {
      await connect({
        provider: 'interkassa',
        credentials: {
          checkout_id: '5f0c6a3e1ae1bd2a008b4567',
          secret_key: 'ik_dev_secret_key',
          test_key: 'ik_dev_test_key',
          sign_algorithm: 'md5',
          api_user_id: 'ik_dev_api_user',
          api_key: 'ik_dev_api_key',
          api_account_id: '5f0c6a3e1ae1bd2a008b4000',
          sci_url: `${url}/`,
          api_url: `${url}/v1`,
        },
      });
    },
  },
];

/** The entries `KASSA_SIMULATORS` names: `all`, or names separated by commas; empty for none. */
export function selectSimulators(value: string | undefined, known: readonly SimulatorEntry[] = simulators) {
  const wanted = (value ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  if (wanted.includes('all')) return [...known];
  const unknown = wanted.filter((name) => !known.some((entry) => entry.name === name));
  if (unknown.length > 0)
    throw new Error(
      `KASSA_SIMULATORS names ${unknown.join(', ')}: expected all or some of ${known.map((entry) => entry.name).join(', ')}`,
    );
  return known.filter((entry) => wanted.includes(entry.name));
}
