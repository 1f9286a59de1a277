/**
 * `npm start`: the whole stack on one machine. Starts the Temporal dev server (unless
 * TEMPORAL_ADDRESS, TEMPORAL_CONFIG_FILE or TEMPORAL_PROFILE points at a cluster), the sandbox provider, Kassa (API + worker, embedded PostgreSQL
 * unless DATABASE_URL is set) and a demo shop; seeds a demo merchant; prints where things are.
 * `KASSA_SIMULATORS=all` (or names, e.g. `stripe`) also starts those payment-system simulators
 * (scripts/simulators.ts), each with a test connector, so the demo shop can pay through each.
 * Prints one line per step with its duration; every process's log goes to `DATA_DIR/logs/`
 * (Kassa's JSON lines to `kassa.log`), and only Kassa's warnings and errors reach the terminal,
 * shortened to one line each. SIGINT/SIGTERM stop every child.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { loadConfig } from '../src/config';
import { createDemoShop } from '../src/demo-shop/app';
import { describeSmtpUrl } from '../src/notifications/email';
import { emailAvailable, mailLogDir } from '../src/config';
import { stopWhenParentExits } from '../src/parent-watch';
import { searchAttributeDefinitions } from '../src/workflows/shared';
import { type SimulatorEntry, selectSimulators, simulators } from './simulators';
import { dynamicConfigArgs, findTemporalCli } from './temporal-cli';

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
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/** `  database          1.9 s  embedded PostgreSQL 18.4 …`: one startup step, as `npm start` prints it. */
function stepLine(step: string, durationMs: number, detail?: string): string {
  return `  ${step.padEnd(16)}${(durationMs / 1000).toFixed(1).padStart(6)} s${detail ? `  ${detail}` : ''}`;
}

async function step<T>(
  name: string,
  run: () => Promise<T> | T,
  detail?: (result: T) => string | undefined,
): Promise<T> {
  const started = performance.now();
  const result = await run();
  console.log(stepLine(name, performance.now() - started, detail?.(result)));
  return result;
}

function launch(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
  pipeOutput = false,
): ChildProcess {
  const out = fs.openSync(logFile, 'a');
  const child = spawn(command, args, {
    cwd: root,
    env,
    stdio: ['ignore', pipeOutput ? 'pipe' : out, pipeOutput ? 'pipe' : out],
  });
  fs.closeSync(out);
  children.push({ name, child });
  child.once('exit', (code, signal) => {
    if (stopping) return;
    console.error(`${name} exited (${signal ?? `code ${code}`}); see ${logFile}`);
    void stopAll(1);
  });
  return child;
}

const levelNames: Record<number, string> = { 40: 'warning', 50: 'error', 60: 'fatal' };

/**
 * Kassa's output: every line goes to `logFile`; a startup step becomes a step line, a warning or
 * error one short line; anything that is not JSON (a fatal message) is shown as it is.
 */
function followKassa(child: ChildProcess, logFile: string) {
  const log = fs.createWriteStream(logFile, { flags: 'a' });
  const show = (line: string) => {
    log.write(`${line}\n`);
    let entry: {
      level?: number;
      msg?: string;
      startupStep?: string;
      durationMs?: number;
      detail?: string;
      err?: { message?: string };
    };
    try {
      entry = JSON.parse(line);
    } catch {
      if (line.trim() && !/^kassa \w+ ready/.test(line)) console.log(`  kassa: ${line}`);
      return;
    }
    if (entry.startupStep) console.log(stepLine(entry.startupStep, entry.durationMs ?? 0, entry.detail));
    else if ((entry.level ?? 0) >= 40)
      console.log(`  kassa ${levelNames[entry.level!] ?? 'error'}: ${entry.msg ?? entry.err?.message ?? ''}`);
  };
  readline.createInterface({ input: child.stdout! }).on('line', show);
  readline.createInterface({ input: child.stderr! }).on('line', show);
}

async function stopAll(exitCode: number) {
  if (stopping) return;
  stopping = true;
  const stop = async (child: ChildProcess) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    // Kassa drains its worker, then stops its embedded PostgreSQL (up to 35 s).
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    await exited;
    clearTimeout(timer);
  };
  // Kassa and the sandbox together, then the Temporal server Kassa's worker drains against.
  const temporal = children.filter(({ name }) => name === 'temporal dev server');
  await Promise.all(children.filter((entry) => !temporal.includes(entry)).map(({ child }) => stop(child)));
  await Promise.all(temporal.map(({ child }) => stop(child)));
  process.exit(exitCode);
}

async function request(method: string, url: string, token: string, body?: unknown) {
  const response = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
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
  const logs = path.join(dataDir, 'logs');
  fs.mkdirSync(logs, { recursive: true });
  const sandboxPort = Number(process.env.SANDBOX_PORT || new URL(config.sandbox.url).port || 4100);
  let chosen: SimulatorEntry[];
  try {
    chosen = selectSimulators(process.env.KASSA_SIMULATORS);
  } catch (error) {
    return fail((error as Error).message);
  }
  const portOf = (variable: string, fallback: number) => Number(process.env[variable] || fallback);
  const shopPort = Number(process.env.DEMO_SHOP_PORT ?? 4200);
  const temporalPort = Number(process.env.TEMPORAL_PORT || 7233);
  const uiPort = Number(process.env.TEMPORAL_UI_PORT || 8233);
  const startTemporal =
    !process.env.TEMPORAL_ADDRESS && !process.env.TEMPORAL_CONFIG_FILE && !process.env.TEMPORAL_PROFILE;
  const wanted: [number, string][] = [
    [config.port, 'PORT'],
    [sandboxPort, 'SANDBOX_PORT'],
    [shopPort, 'DEMO_SHOP_PORT'],
  ];
  for (const entry of chosen) {
    wanted.push([portOf(entry.portVariable, entry.port), entry.portVariable]);
    for (const [variable, fallback] of entry.helperPorts ?? []) wanted.push([portOf(variable, fallback), variable]);
  }
  if (startTemporal)
    wanted.push(
      [temporalPort, 'TEMPORAL_PORT (or TEMPORAL_ADDRESS to use a running cluster)'],
      [uiPort, 'TEMPORAL_UI_PORT'],
    );
  for (const [port, variable] of wanted) {
    if (!(await portFree(port, config.host))) fail(`port ${port} is in use: set ${variable} to a free port`);
  }

  console.log(`Starting Kassa (data and logs in ${dataDir})`);
  if (process.env.KASSA_SIMULATORS?.split(',').some((name) => name.trim().toLowerCase() === 'all')) {
    for (const dir of fs.readdirSync(path.join(root, 'simulators'), { withFileTypes: true })) {
      const known = dir.name === 'sandbox' || simulators.some((entry) => entry.name === dir.name);
      if (dir.isDirectory() && !known && fs.existsSync(path.join(root, 'simulators', dir.name, 'main.ts')))
        console.log(`  note: simulators/${dir.name} has no entry in scripts/simulators.ts yet, so it is not started`);
    }
  }
  if (
    !config.databaseUrl &&
    fs.existsSync(path.join(dataDir, 'pglite')) &&
    !fs.existsSync(path.join(dataDir, 'postgres'))
  ) {
    console.log(
      `  note: ${path.join(dataDir, 'pglite')} holds data of the earlier embedded database, which is not carried over; delete it when you no longer need it`,
    );
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KASSA_PARENT_PID: String(process.pid),
    KASSA_ENV: config.env,
    DATA_DIR: dataDir,
    SANDBOX_URL: `http://127.0.0.1:${sandboxPort}`,
  };
  if (startTemporal) {
    const cli = await step(
      'Temporal CLI',
      () => {
        try {
          return findTemporalCli(
            path.join(root, 'scripts/setup-temporal.sh'),
            path.join(logs, 'temporal-cli-install.log'),
          );
        } catch (error) {
          return fail((error as Error).message);
        }
      },
      (found) => path.relative(root, found) || found,
    );
    const args = [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(temporalPort),
      '--ui-port',
      String(uiPort),
      '--db-filename',
      path.join(dataDir, 'temporal.db'),
      '--sqlite-pragma',
      'journal_mode=wal',
      '--log-level',
      'error',
      ...dynamicConfigArgs(),
    ];
    for (const [name, type] of Object.entries(searchAttributeDefinitions))
      args.push('--search-attribute', `${name}=${type}`);
    await step(
      'Temporal server',
      async () => {
        launch('temporal dev server', cli, args, env, path.join(logs, 'temporal.log'));
        await waitFor('the Temporal dev server', () => portOpen(temporalPort), 60_000);
      },
      () => `127.0.0.1:${temporalPort}, UI http://127.0.0.1:${uiPort}`,
    );
    env.TEMPORAL_ADDRESS = `127.0.0.1:${temporalPort}`;
    env.TEMPORAL_UI_URL ||= `http://127.0.0.1:${uiPort}`;
  }

  const tsx = ['--import', 'tsx'];
  const sandboxStarted = performance.now();
  launch(
    'sandbox provider',
    process.execPath,
    [...tsx, 'simulators/sandbox/main.ts'],
    { ...env, SANDBOX_PORT: String(sandboxPort) },
    path.join(logs, 'sandbox.log'),
  );
  const sandboxUp = waitFor('the sandbox provider', () => portOpen(sandboxPort), 60_000).then(
    () => performance.now() - sandboxStarted,
  );
  const simulatorsUp = chosen.map((entry) => startSimulator(entry, env, logs, portOf));
  // Errors surface when awaited below; until then they must not count as unhandled.
  for (const up of simulatorsUp) up.catch(() => undefined);
  const kassa = launch(
    'kassa',
    process.execPath,
    [...tsx, 'worker.ts'],
    { ...env, KASSA_ROLE: 'all' },
    path.join(logs, 'kassa.log'),
    true,
  );
  followKassa(kassa, path.join(logs, 'kassa.log'));
  await waitFor('Kassa', async () => (await fetch(`http://${config.host}:${config.port}/healthz`)).ok, 180_000);
  console.log(stepLine('sandbox', await sandboxUp, `http://127.0.0.1:${sandboxPort}`));

  const shopStarted = performance.now();
  const adminToken = config.adminToken ?? fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
  const registered: { entry: SimulatorEntry; url: string; connectorId: string }[] = [];
  for (const [index, entry] of chosen.entries()) {
    const started = await simulatorsUp[index]!;
    const registering = performance.now();
    const url = `http://127.0.0.1:${started.port}`;
    let connectorId = '';
    await entry.register({
      url,
      kassaUrl: config.publicUrl,
      connect: async (spec) =>
        (connectorId = await testConnector(config.publicUrl, adminToken, dataDir, entry.name, spec)),
      launchHelper: () => Promise.reject(new Error('helpers start before the simulator')),
      helperPort: portOf,
    });
    console.log(
      stepLine(
        entry.name,
        started.durationMs + performance.now() - registering,
        `${url}, test connector ${connectorId}`,
      ),
    );
    registered.push({ entry, url, connectorId });
  }
  const demoFile = path.join(dataDir, 'demo.json');
  const shopUrl = `http://127.0.0.1:${shopPort}`;
  type Demo = { merchantId?: string; testKey: string; checkoutId: string; webhookSecret: string };
  let demo: Demo | undefined;
  if (fs.existsSync(demoFile)) {
    demo = JSON.parse(fs.readFileSync(demoFile, 'utf8')) as Demo;
    // Demo data from another database (DATABASE_URL changed, or a fresh embedded one) is seeded again.
    const known = await fetch(`${config.publicUrl}/v1/checkouts/${demo.checkoutId}`, {
      headers: { authorization: `Bearer ${demo.testKey}` },
    });
    if (known.status === 401 || known.status === 404) demo = undefined;
  }
  if (!demo) {
    const merchant = await request('POST', `${config.publicUrl}/admin/merchants`, adminToken, {
      name: 'Demo merchant',
      email: 'demo@shop.example',
    });
    const checkout = await request('POST', `${config.publicUrl}/v1/checkouts`, merchant.api_keys.test, {
      name: 'Demo shop',
      site_url: shopUrl,
      currencies: ['RUB', 'USD', 'EUR'],
      notify_url: `${shopUrl}/kassa/notify`,
      success_url: `${shopUrl}/ok`,
      fail_url: `${shopUrl}/fail`,
      pending_url: `${shopUrl}/wait`,
      fee_payer: 'merchant',
    });
    demo = {
      merchantId: merchant.id,
      testKey: merchant.api_keys.test,
      checkoutId: checkout.id,
      webhookSecret: checkout.webhook_secret,
    };
    fs.writeFileSync(demoFile, JSON.stringify(demo, null, 2), { mode: 0o600 });
  }
  // Fresh one-time links into the cabinet and the console at every start: this machine's owner may always get in.
  const cabinetLink = demo.merchantId
    ? (
        await request('POST', `${config.publicUrl}/admin/merchants/${demo.merchantId}/invitations`, adminToken, {
          email: 'demo@shop.example',
        })
      ).dashboard_invite_url
    : `${config.publicUrl}/dashboard   (demo data from an older start: remove ${demoFile} for an invitation link)`;
  const consoleLink = (
    await request('POST', `${config.publicUrl}/admin/operators`, adminToken, { email: 'operator@kassa.local' })
  ).console_invite_url;
  // The seller hears of each paid order by e-mail too (also for demo data from an earlier start).
  let mail = 'off: set SMTP_URL';
  if (emailAvailable(config)) {
    await request('PUT', `${config.publicUrl}/v1/checkouts/${demo.checkoutId}/channels/email`, demo.testKey, {
      to: ['demo@shop.example'],
      events: ['payment.paid'],
    });
    mail = config.notifications.smtpUrl
      ? `sent through ${describeSmtpUrl(config.notifications.smtpUrl)}`
      : `${mailLogDir({ dataDir })}   (mail.log + one .eml per message)`;
  }
  const shop = http.createServer(
    createDemoShop({
      kassaUrl: config.publicUrl,
      apiKey: demo.testKey,
      checkoutId: demo.checkoutId,
      webhookSecret: demo.webhookSecret,
      ordersFile: path.join(dataDir, 'demo-orders.json'),
      paymentSystems: [
        'the sandbox provider',
        ...registered.map(({ entry }) => entry.title.replace(/ simulator$/, '')),
      ],
    }),
  );
  await new Promise<void>((resolve) => shop.listen(shopPort, '127.0.0.1', resolve));
  console.log(stepLine('demo shop', performance.now() - shopStarted, shopUrl));
  const payment = await request('POST', `${config.publicUrl}/v1/payments`, demo.testKey, {
    checkout_id: demo.checkoutId,
    order_id: `START-${Date.now().toString(36)}`,
    amount: '50.00',
    currency: 'RUB',
    description: 'Demo payment',
  });

  console.log(`
Kassa is running.
  API              ${config.publicUrl}   (health: ${config.publicUrl}/healthz)
  test API key     ${demo.testKey}
  operator token   ${adminToken}
  cabinet          ${cabinetLink}   (one-time: choose a password, then sign in at /dashboard as demo@shop.example)
  console          ${consoleLink}   (one-time: operator@kassa.local)
  demo payment     ${payment.checkout_url}
  demo shop        ${shopUrl}   (orders: ${shopUrl}/orders)
  Temporal UI      ${startTemporal ? `http://127.0.0.1:${uiPort}` : `(your cluster at ${config.temporal.address})`}
  sandbox provider http://127.0.0.1:${sandboxPort}
${registered.map(({ entry, url, connectorId }) => `  ${`${entry.title} `.padEnd(17)}${url}   (test connector ${connectorId})\n`).join('')}  seller e-mail    ${mail}
  data and logs    ${dataDir}   (logs in ${logs})
Press Ctrl-C to stop.`);
}

/**
 * A simulator's helpers, then its process on its port; answers the port and how long it took to
 * answer there. Its log goes to `logs/<name>.log`.
 */
async function startSimulator(
  entry: SimulatorEntry,
  env: NodeJS.ProcessEnv,
  logs: string,
  portOf: (variable: string, fallback: number) => number,
): Promise<{ port: number; durationMs: number }> {
  const started = performance.now();
  const logFile = path.join(logs, `${entry.name}.log`);
  const extra =
    (await entry.prepare?.({
      kassaUrl: '',
      helperPort: portOf,
      launchHelper: async (name, command, args, port) => {
        launch(name, command, args, env, path.join(logs, `${name}.log`));
        await waitFor(name, () => portOpen(port), 60_000);
      },
    })) ?? {};
  const port = portOf(entry.portVariable, entry.port);
  launch(
    entry.title,
    process.execPath,
    ['--import', 'tsx', `simulators/${entry.name}/main.ts`],
    { ...env, ...entry.env, ...extra, [entry.portVariable]: String(port) },
    logFile,
  );
  await waitFor(entry.title, () => portOpen(port), 60_000);
  return { port, durationMs: performance.now() - started };
}

/**
 * The simulator's test connector, through the operator API: made on the first start (its id kept
 * in `DATA_DIR/simulators.json`), given the new credentials on later ones.
 */
async function testConnector(
  kassaUrl: string,
  adminToken: string,
  dataDir: string,
  name: string,
  spec: { provider: string; credentials: Record<string, unknown>; methods?: string[] },
): Promise<string> {
  const file = path.join(dataDir, 'simulators.json');
  const known: Record<string, string> = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
  const id = known[name];
  if (id) {
    const existing = await fetch(`${kassaUrl}/admin/connectors/${encodeURIComponent(id)}`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    const body = existing.ok ? ((await existing.json()) as { provider?: string }) : undefined;
    if (body?.provider === spec.provider) {
      await request('PATCH', `${kassaUrl}/admin/connectors/${id}`, adminToken, {
        credentials: spec.credentials,
        ...(spec.methods && { methods: spec.methods }),
      });
      return id;
    }
  }
  const created = await request('POST', `${kassaUrl}/admin/connectors`, adminToken, {
    provider: spec.provider,
    mode: 'test',
    credentials: spec.credentials,
    ...(spec.methods && { methods: spec.methods }),
  });
  fs.writeFileSync(file, JSON.stringify({ ...known, [name]: created.id }, null, 2), { mode: 0o600 });
  return created.id as string;
}

process.once('SIGINT', () => void stopAll(0));
process.once('SIGTERM', () => void stopAll(0));
process.once('SIGHUP', () => void stopAll(0));
stopWhenParentExits(() => void stopAll(0));
main().catch((error) => {
  if (!stopping) {
    console.error(`npm start failed: ${error.message}`);
    void stopAll(1);
  }
});
