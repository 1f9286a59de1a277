import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { answersAsItself, freePort, stopChild } from './processes';
import { api, type TestStack } from './stack';

const root = path.resolve(__dirname, '../..');

export const yookassaShopId = '506070';
export const yookassaSecretKey = 'test_kassa_simulator_key_0001';

export interface YooKassaSimulator {
  url: string;
  /** The API base a connector's `api_base` takes: `<url>/v3`. */
  apiBase: string;
  process: ChildProcess;
  /** A call to the simulator with the shop's Basic auth (`/v3/…` or `/sim/…`); POSTs get a fresh Idempotence-Key unless given. */
  call(method: string, pathname: string, body?: unknown, idempotenceKey?: string): Promise<Response>;
  /** Where the shop's notifications go (YooKassa's merchant profile setting). */
  setNotificationUrl(url: string | null): Promise<void>;
  /** Faults for one payment (`reference`: its id or a metadata value, e.g. Kassa's payment id) or for all. */
  fault(fault: Record<string, unknown>): Promise<void>;
  stop(): Promise<void>;
}

/** The YooKassa simulator as its own process on a free port, with a test shop's credentials. */
export async function startYooKassaSimulator(): Promise<YooKassaSimulator> {
  for (let tries = 1; ; tries++) {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'simulators/yookassa/main.ts')], {
      env: {
        ...process.env,
        YOOKASSA_PORT: String(port),
        YOOKASSA_SHOP_ID: yookassaShopId,
        YOOKASSA_SECRET_KEY: yookassaSecretKey,
        KASSA_PARENT_PID: String(process.pid),
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (await answersAsItself(child, port, 20_000).catch(() => false)) {
      const url = `http://127.0.0.1:${port}`;
      const authorization = `Basic ${Buffer.from(`${yookassaShopId}:${yookassaSecretKey}`).toString('base64')}`;
      const call = (method: string, pathname: string, body?: unknown, idempotenceKey?: string) =>
        fetch(`${url}${pathname}`, {
          method,
          headers: {
            authorization,
            ...(body !== undefined && { 'content-type': 'application/json' }),
            ...(method === 'POST' &&
              pathname.startsWith('/v3') && {
                'idempotence-key': idempotenceKey ?? `test-${Math.random().toString(36).slice(2)}`,
              }),
          },
          ...(body !== undefined && { body: JSON.stringify(body) }),
        });
      const expect204 = async (response: Response, what: string) => {
        if (response.status !== 204) throw new Error(`${what}: ${response.status} ${await response.text()}`);
      };
      return {
        url,
        apiBase: `${url}/v3`,
        process: child,
        call,
        setNotificationUrl: async (notificationUrl) =>
          expect204(await call('POST', '/sim/settings', { notification_url: notificationUrl }), 'settings'),
        fault: async (fault) => expect204(await call('POST', '/sim/faults', fault), 'fault'),
        stop: () => stopChild(child),
      };
    }
    await stopChild(child);
    if (tries === 3) throw new Error('the YooKassa simulator could not start on a free port');
  }
}

/** Creates a YooKassa connector at the stack through the operator API; its notifications accepted from 127.0.0.1. */
export async function createYooKassaConnector(
  stack: TestStack,
  simulator: YooKassaSimulator,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const created = await api(stack.url, 'POST', '/admin/connectors', {
    token: stack.adminToken,
    body: {
      provider: 'yookassa',
      mode: 'test',
      credentials: {
        shop_id: yookassaShopId,
        secret_key: yookassaSecretKey,
        api_base: simulator.apiBase,
        notification_networks: ['127.0.0.1/32', '::1'],
      },
      priority: 0,
      ...extra,
    },
  });
  if (created.status !== 201) throw new Error(`connector: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body.id as string;
}
