/**
 * `npm start`: the whole stack on one machine. Starts the Temporal dev server (unless
 * TEMPORAL_ADDRESS is set), the sandbox provider, Kassa (API + worker, embedded PostgreSQL
 * unless DATABASE_URL is set) and a demo shop; seeds a demo merchant; prints where things are.
 * SIGINT/SIGTERM stop every child.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { createDemoShop } from '../src/demo-shop/app';
import { describeSmtpUrl } from '../src/notifications/email';
import { emailAvailable, mailLogDir } from '../src/notifications/settings';
import { stopWhenParentExits } from '../src/parent-watch';
import { searchAttributeDefinitions } from '../src/workflows/shared';

const root = path.resolve(__dirname, '..');
const children: { name: string; child: ChildProcess }[] = [];
let stopping = false;

function fail(message: string): never {
  console.error(message);
  void stopAll(1);
  throw new Error(message);
}

async function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (stopping) throw new Error('stopping');
    if (Date.now() > deadline) fail(`${what} did not come up within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => { socket.end(); resolve(true); });
    socket.once('error', () => resolve(false));
  });

function launch(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, logFile?: string): ChildProcess {
  const out = logFile ? fs.openSync(logFile, 'a') : 'inherit';
  const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', out, logFile ? out : 'inherit'] });
  children.push({ name, child });
  child.once('exit', (code, signal) => {
    if (!stopping) fail(`${name} exited (${signal ?? `code ${code}`})${logFile ? `; see ${logFile}` : ''}`);
  });
  return child;
}

async function stopAll(exitCode: number) {
  if (stopping) return;
  stopping = true;
  const stop = async (child: ChildProcess) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  // Kassa and the sandbox together, then the Temporal server Kassa's worker drains against.
  const temporal = children.filter(({ name }) => name === 'temporal dev server');
  await Promise.all(children.filter((entry) => !temporal.includes(entry)).map(({ child }) => stop(child)));
  await Promise.all(temporal.map(({ child }) => stop(child)));
  process.exit(exitCode);
}

async function request(method: string, url: string, token: string, body: unknown) {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as Record<string, any>;
  if (!response.ok) fail(`${method} ${url} answered ${response.status}: ${JSON.stringify(json)}`);
  return json;
}

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    return fail(`configuration error: ${(error as Error).message}`);
  }
  const dataDir = path.resolve(root, config.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const sandboxPort = Number(process.env.SANDBOX_PORT || new URL(config.sandbox.url).port || 4100);
  const shopPort = Number(process.env.DEMO_SHOP_PORT ?? 4200);
  const temporalPort = Number(process.env.TEMPORAL_PORT || 7233);
  const uiPort = Number(process.env.TEMPORAL_UI_PORT || 8233);
  const startTemporal = !process.env.TEMPORAL_ADDRESS;
  const wanted: [number, string][] = [[config.port, 'PORT'], [sandboxPort, 'SANDBOX_PORT'], [shopPort, 'DEMO_SHOP_PORT']];
  if (startTemporal) wanted.push([temporalPort, 'TEMPORAL_PORT (or TEMPORAL_ADDRESS to use a running cluster)'], [uiPort, 'TEMPORAL_UI_PORT']);
  for (const [port, variable] of wanted) {
    if (!(await portFree(port, config.host))) fail(`port ${port} is in use: set ${variable} to a free port`);
  }

  const env: NodeJS.ProcessEnv = { ...process.env, KASSA_PARENT_PID: String(process.pid), KASSA_ENV: config.env, DATA_DIR: dataDir, SANDBOX_URL: `http://127.0.0.1:${sandboxPort}` };
  if (startTemporal) {
    const cli = execFileSync('bash', [path.join(root, 'scripts/setup-temporal.sh')], { encoding: 'utf8' }).trim().split('\n').pop()!;
    const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(temporalPort), '--ui-port', String(uiPort),
      '--db-filename', path.join(dataDir, 'temporal.db'), '--sqlite-pragma', 'journal_mode=wal', '--log-level', 'error'];
    for (const [name, type] of Object.entries(searchAttributeDefinitions)) args.push('--search-attribute', `${name}=${type}`);
    launch('temporal dev server', cli, args, env, path.join(dataDir, 'temporal.log'));
    await waitFor('the Temporal dev server', () => portOpen(temporalPort), 60_000);
    env.TEMPORAL_ADDRESS = `127.0.0.1:${temporalPort}`;
  }

  const tsx = ['--import', 'tsx'];
  launch('sandbox provider', process.execPath, [...tsx, 'src/providers/sandbox/main.ts'],
    { ...env, SANDBOX_PORT: String(sandboxPort) }, path.join(dataDir, 'sandbox.log'));
  launch('kassa', process.execPath, [...tsx, 'worker.ts'], { ...env, KASSA_ROLE: 'all' });
  await waitFor('Kassa', async () => (await fetch(`http://${config.host}:${config.port}/healthz`)).ok, 120_000);
  await waitFor('the sandbox provider', () => portOpen(sandboxPort), 30_000);

  const adminToken = config.adminToken ?? fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
  const demoFile = path.join(dataDir, 'demo.json');
  const shopUrl = `http://127.0.0.1:${shopPort}`;
  let demo: { testKey: string; checkoutId: string; webhookSecret: string };
  if (fs.existsSync(demoFile)) {
    demo = JSON.parse(fs.readFileSync(demoFile, 'utf8'));
  } else {
    const merchant = await request('POST', `${config.publicUrl}/admin/merchants`, adminToken, { name: 'Demo merchant', email: 'demo@shop.example' });
    const checkout = await request('POST', `${config.publicUrl}/v1/checkouts`, merchant.api_keys.test, {
      name: 'Demo shop', site_url: shopUrl, currencies: ['RUB', 'USD', 'EUR'], notify_url: `${shopUrl}/kassa/notify`,
      success_url: `${shopUrl}/ok`, fail_url: `${shopUrl}/fail`, pending_url: `${shopUrl}/wait`, fee_payer: 'merchant',
    });
    demo = { testKey: merchant.api_keys.test, checkoutId: checkout.id, webhookSecret: checkout.webhook_secret };
    fs.writeFileSync(demoFile, JSON.stringify(demo, null, 2), { mode: 0o600 });
  }
  // The seller hears of each paid order by e-mail too (also for demo data from an earlier start).
  let mail = 'off: set SMTP_URL';
  if (emailAvailable(config)) {
    await request('PUT', `${config.publicUrl}/v1/checkouts/${demo.checkoutId}/channels/email`, demo.testKey, { to: ['demo@shop.example'], events: ['payment.paid'] });
    mail = config.notifications.smtpUrl ? `sent through ${describeSmtpUrl(config.notifications.smtpUrl)}` : `${mailLogDir({ dataDir })}   (mail.log + one .eml per message)`;
  }
  const shop = http.createServer(createDemoShop({ kassaUrl: config.publicUrl, apiKey: demo.testKey, checkoutId: demo.checkoutId,
    webhookSecret: demo.webhookSecret, ordersFile: path.join(dataDir, 'demo-orders.json') }));
  await new Promise<void>((resolve) => shop.listen(shopPort, '127.0.0.1', resolve));
  const payment = await request('POST', `${config.publicUrl}/v1/payments`, demo.testKey, {
    checkout_id: demo.checkoutId, order_id: `START-${Date.now().toString(36)}`, amount: '50.00', currency: 'RUB', description: 'Demo payment',
  });

  console.log(`
Kassa is running.
  API              ${config.publicUrl}   (health: ${config.publicUrl}/healthz)
  test API key     ${demo.testKey}
  operator token   ${adminToken}
  demo payment     ${payment.checkout_url}
  demo shop        ${shopUrl}   (orders: ${shopUrl}/orders)
  Temporal UI      ${startTemporal ? `http://127.0.0.1:${uiPort}` : `(your cluster at ${env.TEMPORAL_ADDRESS})`}
  sandbox provider http://127.0.0.1:${sandboxPort}
  seller e-mail    ${mail}
  data and logs    ${dataDir}
Press Ctrl-C to stop.`);
}

process.once('SIGINT', () => void stopAll(0));
process.once('SIGTERM', () => void stopAll(0));
stopWhenParentExits(() => void stopAll(0));
main().catch((error) => {
  if (!stopping) {
    console.error(`npm start failed: ${error.message}`);
    void stopAll(1);
  }
});
