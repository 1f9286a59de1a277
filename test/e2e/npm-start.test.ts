import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, stopChild } from '../support/processes';
import { createTestDatabase, createTestNamespace } from '../support/stack';

const root = path.resolve(__dirname, '../..');

function startScript(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

async function waitForOutput(run: ReturnType<typeof startScript>, pattern: RegExp, timeoutMs: number) {
  const read = run.output;
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(read())) {
    if (Date.now() > deadline || run.child.exitCode !== null) throw new Error(`no ${pattern} in output:\n${read()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return read().match(pattern)!;
}

function childrenOf(parent: number): number[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1] === String(parent);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** PostgreSQL servers still running on the data under `dataDir` (their command lines). */
function postgresServersOn(dataDir: string): string[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      } catch {
        return '';
      }
    })
    .filter((cmdline) => cmdline.includes('postgres') && cmdline.includes(dataDir));
}

/** Running, not gone and not a zombie waiting to be reaped. */
const alive = (pid: number) => {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[0] !== 'Z';
  } catch {
    return false;
  }
};

// The whole stack starts on ports picked free beforehand; the Temporal server it starts opens ports of
// its own, so on a busy machine one of them can rarely take a picked port first. One retry, logged.
jest.retryTimes(1, { logErrorsBeforeRetry: true });

test('a port in use stops npm start with one line naming the port and its variable', async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as net.AddressInfo).port;
  const run = startScript({
    PORT: String(port),
    TEMPORAL_ADDRESS: '127.0.0.1:1',
    DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'kassa-')),
  });
  expect(await run.exited).toBe(1);
  expect(run.output()).toContain(`port ${port} is in use: set PORT to a free port`);
  blocker.close();
});

test('npm start brings up Temporal with its UI, the sandbox, Kassa on its embedded PostgreSQL and the demo shop, printing one timed line per step, and SIGTERM stops them all; a second start keeps the data', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kassa-start-'));
  const [port, sandboxPort, shopPort, temporalPort, uiPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const env = {
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    SANDBOX_PORT: String(sandboxPort),
    DEMO_SHOP_PORT: String(shopPort),
    TEMPORAL_PORT: String(temporalPort),
    TEMPORAL_UI_PORT: String(uiPort),
    DATA_DIR: dataDir,
    TEMPORAL_ADDRESS: '',
    DATABASE_URL: '',
    ADMIN_TOKEN: '',
  };
  const run = startScript(env);
  let childPids: number[] = [];
  try {
    const [, link] = await waitForOutput(run, /demo payment\s+(\S+)/, 150_000);
    expect(run.output()).toMatch(/test API key\s+sk_test_/);
    expect(run.output()).toContain(`Temporal UI      http://127.0.0.1:${uiPort}`);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${uiPort}/`)).status).toBe(200);
    childPids = childrenOf(run.child.pid!);
    const page = await fetch(link!);
    expect(await page.text()).toContain('value="sandbox_card"');
    const shop = await fetch(`http://127.0.0.1:${shopPort}/`);
    expect(await shop.text()).toContain('Demo shop');
    // one-time links into the cabinet and the console, each opening its set-a-password page
    for (const area of ['cabinet', 'console']) {
      const [, invitation] = new RegExp(`^ {2}${area} +(http\\S+)`, 'm').exec(run.output()) ?? [];
      expect({ area, status: invitation && (await fetch(invitation)).status }).toEqual({ area, status: 200 });
    }
    expect(fs.existsSync(path.join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'temporal.db'))).toBe(true);
    const steps = [...run.output().matchAll(/^ {2}(\S+(?: \S+)?) +(\d+\.\d) s\b/gm)].map((match) => match[1]);
    expect(steps).toEqual([
      'Temporal CLI',
      'Temporal server',
      'database',
      'migrations',
      'workflow bundle',
      'worker',
      'API',
      'sandbox',
      'demo shop',
    ]);
    expect(run.output()).toMatch(/^ {2}database +\d+\.\d s {2}embedded PostgreSQL \d+\.\d+, created in /m);
    // Kassa's JSON lines go to the log file, not the terminal.
    expect(run.output()).not.toContain('"level"');
    const logLines = fs
      .readFileSync(path.join(dataDir, 'logs', 'kassa.log'), 'utf8')
      .trim()
      .split('\n');
    expect(
      logLines
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line).startupStep)
        .filter(Boolean),
    ).toEqual(['database', 'migrations', 'workflow bundle', 'worker', 'API']);
    expect(fs.readdirSync(path.join(dataDir, 'logs')).sort()).toEqual(
      expect.arrayContaining(['kassa.log', 'postgres.log', 'sandbox.log', 'temporal.log']),
    );
  } finally {
    await stopChild(run.child, 'SIGTERM', 45_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  expect(childPids.length).toBeGreaterThanOrEqual(3);
  expect(childPids.filter(alive).map((pid) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'))).toEqual([]);
  expect(postgresServersOn(dataDir)).toEqual([]);

  const again = startScript(env);
  try {
    await waitForOutput(again, /demo payment\s+(\S+)/, 150_000);
    const key = /test API key\s+(\S+)/.exec(again.output())![1]!;
    expect(key).toBe(/test API key\s+(\S+)/.exec(run.output())![1]);
    const payments = await fetch(`http://127.0.0.1:${port}/v1/payments`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(((await payments.json()) as { data: unknown[] }).data).toHaveLength(2);
    expect(again.output()).toMatch(/^ {2}database +\d+\.\d s {2}embedded PostgreSQL \d+\.\d+ in /m);
    expect(again.output()).toMatch(/^ {2}migrations +\d+\.\d s {2}up to date$/m);
  } finally {
    await stopChild(again.child, 'SIGTERM', 45_000);
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(postgresServersOn(dataDir)).toEqual([]);
  fs.rmSync(dataDir, { recursive: true, force: true });
}, 300_000);

/**
 * A payment at Kassa's page `link` paid by a buyer choosing `method` and pressing Approve on its
 * simulator's page (reached by a redirect, or by the form Kassa answers); answers where that page
 * was and the payment's status once paid (or after 30 s).
 */
async function payThrough(kassa: string, link: string, testKey: string, method: string) {
  const paymentId = /\/pay\/(pay_[^/?#"]+)/.exec(link)![1]!;
  const chosen = await fetch(`${kassa}/pay/${paymentId}/method`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ method }),
  });
  const next = (await chosen.json()) as {
    redirect_url: string;
    redirect?: { method: string; url: string; fields?: Record<string, string> };
  };
  let page = next.redirect_url;
  if (next.redirect?.method === 'POST') {
    const submitted = await fetch(next.redirect.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(next.redirect.fields ?? {}).toString(),
      redirect: 'manual',
    });
    expect(submitted.status).toBe(303);
    page = new URL(submitted.headers.get('location')!, next.redirect.url).href;
  }
  expect((await fetch(`${page}/approve`, { method: 'POST', redirect: 'manual' })).status).toBe(303);
  const deadline = Date.now() + 30_000;
  let status = '';
  while (status !== 'paid' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const payment = await fetch(`${kassa}/v1/payments/${paymentId}`, {
      headers: { authorization: `Bearer ${testKey}` },
    });
    status = ((await payment.json()) as { status: string }).status;
  }
  return { page, status };
}

/** A fresh demo payment of the demo merchant (`DATA_DIR/demo.json`): answers its page at Kassa. */
async function demoPayment(kassa: string, dataDir: string) {
  const demo = JSON.parse(fs.readFileSync(path.join(dataDir, 'demo.json'), 'utf8')) as {
    testKey: string;
    checkoutId: string;
  };
  const created = await fetch(`${kassa}/v1/payments`, {
    method: 'POST',
    headers: { authorization: `Bearer ${demo.testKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      checkout_id: demo.checkoutId,
      order_id: `SIM-${Math.random().toString(36).slice(2)}`,
      amount: '50.00',
      currency: 'RUB',
      description: 'Demo payment',
    }),
  });
  expect(created.status).toBe(201);
  return ((await created.json()) as { checkout_url: string }).checkout_url;
}

test('with KASSA_SIMULATORS=all npm start also runs every simulator with a test connector, a demo payment can be paid through each of them, and a second start keeps the connectors', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kassa-sims-'));
  const database = await createTestDatabase();
  const [port, sandboxPort, shopPort, stripePort, stripeMockPort, webmoneyPort, yookassaPort, interkassaPort] =
    await Promise.all(Array.from({ length: 8 }, () => freePort()));
  const kassa = `http://127.0.0.1:${port}`;
  const env = {
    KASSA_SIMULATORS: 'all',
    PORT: String(port),
    PUBLIC_URL: kassa,
    SANDBOX_PORT: String(sandboxPort),
    DEMO_SHOP_PORT: String(shopPort),
    STRIPE_SIM_PORT: String(stripePort),
    STRIPE_MOCK_PORT: String(stripeMockPort),
    WEBMONEY_PORT: String(webmoneyPort),
    YOOKASSA_PORT: String(yookassaPort),
    INTERKASSA_PORT: String(interkassaPort),
    TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS!,
    TEMPORAL_NAMESPACE: await createTestNamespace(process.env.TEST_TEMPORAL_ADDRESS!),
    DATABASE_URL: database.url,
    DATA_DIR: dataDir,
    ADMIN_TOKEN: '',
  };
  const connectorLine = new RegExp(
    `^ {2}stripe +\\d+\\.\\d s {2}http://127\\.0\\.0\\.1:${stripePort}, test connector (conn_\\S+)$`,
    'm',
  );
  const connectorIds = (output: string) =>
    [...output.matchAll(/^ {2}(\w+) +\d+\.\d s {2}http:\S+, test connector (conn_\S+)$/gm)].map(
      (m) => `${m[1]} ${m[2]}`,
    );
  let connectorId: string | undefined;
  const run = startScript(env);
  try {
    const [, link] = await waitForOutput(run, /demo payment\s+(\S+)/, 120_000);
    connectorId = connectorLine.exec(run.output())?.[1];
    expect(connectorId).toBeDefined();
    expect(connectorIds(run.output())).toHaveLength(4);
    expect(run.output()).toContain(`Stripe simulator http://127.0.0.1:${stripePort}   (test connector ${connectorId})`);
    expect(run.output()).toMatch(
      new RegExp(`^ {2}Interkassa simulator http://127\\.0\\.0\\.1:${interkassaPort} {3}\\(test connector conn_`, 'm'),
    );
    expect(fs.readdirSync(path.join(dataDir, 'logs'))).toEqual(
      expect.arrayContaining(['stripe.log', 'stripe-mock.log']),
    );
    for (const [name, simulatorPort] of [
      ['webmoney', webmoneyPort],
      ['yookassa', yookassaPort],
      ['interkassa', interkassaPort],
    ] as const)
      expect(run.output()).toMatch(
        new RegExp(`^ {2}${name} +\\d+\\.\\d s {2}http://127\\.0\\.0\\.1:${simulatorPort}, test connector conn_`, 'm'),
      );
    expect(await (await fetch(`http://127.0.0.1:${shopPort}/`)).text()).toContain(
      'the sandbox provider, Stripe, WebMoney, YooKassa or Interkassa',
    );
    const page = await (await fetch(link!)).text();
    for (const method of ['sandbox_card', 'stripe_card', 'webmoney_wallet', 'yookassa_card', 'interkassa_checkout'])
      expect(page).toContain(`value="${method}"`);
    const testKey = /test API key\s+(\S+)/.exec(run.output())![1]!;
    const stripe = await payThrough(kassa, link!, testKey, 'stripe_card');
    expect(stripe).toEqual({
      page: expect.stringMatching(`^http://127.0.0.1:${stripePort}/c/pay/cs_test_`),
      status: 'paid',
    });
    for (const [method, simulatorPort] of [
      ['sandbox_card', sandboxPort],
      ['webmoney_wallet', webmoneyPort],
      ['yookassa_card', yookassaPort],
      ['interkassa_checkout', interkassaPort],
    ] as const) {
      const paid = await payThrough(kassa, await demoPayment(kassa, dataDir), testKey, method);
      expect(paid).toEqual({ page: expect.stringContaining(`http://127.0.0.1:${simulatorPort}/`), status: 'paid' });
    }
  } finally {
    await stopChild(run.child, 'SIGTERM', 45_000);
  }

  // The simulator forgot its webhook endpoint; the connector is the same, with the new endpoint's secret.
  const again = startScript(env);
  try {
    const [, link] = await waitForOutput(again, /demo payment\s+(\S+)/, 120_000);
    expect(connectorLine.exec(again.output())?.[1]).toBe(connectorId);
    expect(connectorIds(again.output())).toEqual(connectorIds(run.output()));
    const testKey = /test API key\s+(\S+)/.exec(again.output())![1]!;
    expect(await payThrough(kassa, link!, testKey, 'stripe_card')).toMatchObject({ status: 'paid' });
  } finally {
    await stopChild(again.child, 'SIGTERM', 45_000);
    await database.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}, 240_000);

test('KASSA_SIMULATORS naming a simulator there is none of is one line naming the known ones', async () => {
  const run = startScript({
    KASSA_SIMULATORS: 'stripe,nosuch',
    TEMPORAL_ADDRESS: '127.0.0.1:1',
    DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'kassa-')),
  });
  expect(await run.exited).toBe(1);
  expect(run.output()).toContain('KASSA_SIMULATORS names nosuch: expected all or some of stripe, webmoney');
});
