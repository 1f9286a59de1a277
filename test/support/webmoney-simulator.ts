import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
  /** X14 over mutual TLS: its base URL, and the credential fields that let a connector refund there. */
  x14Url: string;
  x14Credentials(): { x14_url: string; x14_client_cert: string; x14_client_key: string; x14_ca: string };
  /** A client certificate for the same WMID from a CA the simulator does not trust. */
  strangerCredentials(): { x14_client_cert: string; x14_client_key: string };
  /** The refunds X14 made, oldest first. */
  x14Refunds(): Promise<{ paymentNo: string; wmtranid: string; id: string; reqn: string; amount: string }[]>;
  /** The next X14 refund of `paymentNo` is made and its answer lost. */
  loseX14Answer(paymentNo: string): Promise<void>;
  /** What the result URL answered, oldest first. */
  resultCalls(): Promise<{ kind: string; paymentNo: string; body: string; status: number | null; answer: string }[]>;
}

/**
 * A throwaway PKI in a temporary directory, made with openssl: a CA, W3S's server certificate for
 * 127.0.0.1 and the WMID's client certificate, both signed by it; and a stranger CA's client
 * certificate for the same WMID.
 */
function makeX14Pki(wmid: string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'kassa-wm-x14-'));
  const at = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const key = (name: string) => openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', at(name));
  const ca = (name: string) => {
    key(`${name}.key`);
    openssl(
      'req',
      '-x509',
      '-new',
      '-key',
      at(`${name}.key`),
      '-out',
      at(`${name}.crt`),
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
    );
  };
  const signed = (name: string, cn: string, by: string, extensions: string) => {
    key(`${name}.key`);
    openssl('req', '-new', '-key', at(`${name}.key`), '-out', at(`${name}.csr`), '-subj', `/CN=${cn}`);
    writeFileSync(at(`${name}.ext`), extensions);
    openssl(
      'x509',
      '-req',
      '-in',
      at(`${name}.csr`),
      '-CA',
      at(`${by}.crt`),
      '-CAkey',
      at(`${by}.key`),
      '-CAcreateserial',
      '-out',
      at(`${name}.crt`),
      '-days',
      '2',
      '-extfile',
      at(`${name}.ext`),
    );
  };
  ca('ca');
  ca('stranger-ca');
  signed('server', '127.0.0.1', 'ca', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  signed('client', wmid, 'ca', 'extendedKeyUsage=clientAuth\n');
  signed('stranger', wmid, 'stranger-ca', 'extendedKeyUsage=clientAuth\n');
  const read = (name: string) => readFileSync(at(name), 'utf8');
  return { dir, read, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The WebMoney simulator (simulators/webmoney) as its own process on a free port, X14 on another. */
export async function startWebMoneySimulator(hashMethod: 'sha256' | 'md5' = 'sha256'): Promise<WebMoneySimulator> {
  const pki = makeX14Pki(webmoneyWmid);
  for (let tries = 1; ; tries++) {
    const port = await freePort();
    const x14Port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'simulators/webmoney/main.ts')], {
      env: {
        ...process.env,
        WEBMONEY_PORT: String(port),
        WEBMONEY_WMID: webmoneyWmid,
        WEBMONEY_SECRET_KEY: webmoneySecretKey,
        WEBMONEY_HASH_METHOD: hashMethod,
        WEBMONEY_LIVE_PURSES: webmoneyLivePurse,
        WEBMONEY_X14_PORT: String(x14Port),
        WEBMONEY_X14_TLS_DIR: pki.dir,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (await answersAsItself(child, port, 20_000)) {
      const url = `http://127.0.0.1:${port}`;
      const x14Url = `https://127.0.0.1:${x14Port}`;
      return {
        url,
        x14Url,
        process: child,
        stop: async () => {
          await stopChild(child);
          pki.remove();
        },
        x14Credentials: () => ({
          x14_url: x14Url,
          x14_client_cert: pki.read('client.crt'),
          x14_client_key: pki.read('client.key'),
          x14_ca: pki.read('ca.crt'),
        }),
        strangerCredentials: () => ({
          x14_client_cert: pki.read('stranger.crt'),
          x14_client_key: pki.read('stranger.key'),
        }),
        async x14Refunds() {
          return ((await (await fetch(`${url}/sim/x14-refunds`)).json()) as { data: any[] }).data;
        },
        async loseX14Answer(paymentNo) {
          const response = await fetch(`${url}/sim/x14-lose-answer`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ payment_no: paymentNo }),
          });
          if (response.status !== 204) throw new Error(`webmoney x14 fault: ${response.status}`);
        },
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
    if (tries === 3) {
      pki.remove();
      throw new Error('the WebMoney simulator could not start on a free port');
    }
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
