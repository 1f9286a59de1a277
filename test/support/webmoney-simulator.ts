import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { answersAsItself, freePort, stopChild } from './processes';

const root = path.resolve(__dirname, '../..');

export const webmoneyWmid = '123456789012';
export const webmoneySecretKey = 'webmoney_test_secret';
/** A RUB purse in test mode and a USD purse in work mode at the simulator. */
export const webmoneyTestPurse = 'P100000000001';
export const webmoneyLivePurse = 'Z100000000002';

export interface WebMoneySimulator {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
  /** The credentials of a connector for `purse` at this simulator. */
  credentials(purse?: string, hashMethod?: 'sha256' | 'md5'): Record<string, string>;
  /** Sets faults for one `LMI_PAYMENT_NO` (`{ drop: true }`, `{ wrong_amount: true }`, …). */
  fault(paymentNo: string, fault: Record<string, unknown>): Promise<void>;
  /** What the result URL answered, oldest first. */
  resultCalls(): Promise<{ kind: string; paymentNo: string; body: string; status: number | null; answer: string }[]>;
}

/** The WebMoney simulator (simulators/webmoney) as its own process on a free port. */
export async function startWebMoneySimulator(hashMethod: 'sha256' | 'md5' = 'sha256'): Promise<WebMoneySimulator> {
  for (let tries = 1; ; tries++) {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'simulators/webmoney/main.ts')], {
      env: {
        ...process.env,
        WEBMONEY_PORT: String(port),
        WEBMONEY_WMID: webmoneyWmid,
        WEBMONEY_SECRET_KEY: webmoneySecretKey,
        WEBMONEY_HASH_METHOD: hashMethod,
        WEBMONEY_LIVE_PURSES: webmoneyLivePurse,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (await answersAsItself(child, port, 20_000)) {
      const url = `http://127.0.0.1:${port}`;
      return {
        url,
        process: child,
        stop: () => stopChild(child),
        credentials: (purse = webmoneyTestPurse, method = hashMethod) => ({
          merchant_url: url,
          wmid: webmoneyWmid,
          purse,
          secret_key: webmoneySecretKey,
          hash_method: method,
        }),
        async fault(paymentNo, fault) {
          const response = await fetch(`${url}/sim/faults`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ reference: paymentNo, ...fault }),
          });
          if (response.status !== 204) throw new Error(`webmoney fault: ${response.status}`);
        },
        async resultCalls() {
          return ((await (await fetch(`${url}/sim/result-calls`)).json()) as { data: any[] }).data;
        },
      };
    }
    await stopChild(child);
    if (tries === 3) throw new Error('the WebMoney simulator could not start on a free port');
  }
}

/** The buyer's browser submitting a POST form: answers the page it lands on (the `Location` of a 303). */
export async function submitForm(url: string, fields: Record<string, string>): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
  if (response.status !== 303) throw new Error(`form: ${response.status} ${await response.text()}`);
  return new URL(response.headers.get('location')!, url).toString();
}

/** The buyer presses Pay (approve) or Refuse (decline) on the WebMoney page; answers the status and where it leads. */
export async function webmoneyBuyerActs(pageUrl: string, action: 'approve' | 'decline') {
  const response = await fetch(`${pageUrl}/${action}`, { method: 'POST', redirect: 'manual' });
  return { status: response.status, location: response.headers.get('location'), text: await response.text() };
}
