/**
 * `npm run bench`: Kassa's performance figures (docs/performance.md), on loopback, against
 * infrastructure it starts and stops itself. Bounded: fixed counts, fixed concurrency and a hard
 * deadline (`--deadline 75m`, the default); past it, what was measured is reported with a note.
 *
 * `npm run bench -- --smoke`: a handful of full payments and floor runs through every phase;
 * exits 1 only when the flow breaks (a payment not paid, a webhook missing or badly signed, a
 * floor run not completed), never on timing. CI runs it (test/e2e/bench-smoke.test.ts).
 *
 * Markdown goes to stdout, progress to stderr, JSON and an SVG chart to bench-results/latest.json
 * and latest.svg (smoke.json, smoke.svg). `--database cluster` (the default: the benchmark's own
 * PostgreSQL) or `--database embedded` (Kassa's embedded default database, as `npm start` runs it).
 * `--phases a,b` runs only those phases (see {@link phaseKeys}). Counts can be overridden for a
 * shorter run: --blocks, --block-size, --concurrency, --parked, --total, --window, --callbacks,
 * --warmup; --create-rate N (one open loop of creates at N/s instead of 50% and 80% of the maximum,
 * for A/B runs at the same load); --note "text".
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { purchaseWorkflowId } from '../src/workflows/shared';
import {
  type BenchTarget,
  callbackToWebhook,
  floorRun,
  floorRunsPaid,
  floorSignalToActivity,
  fullPayment,
  type FullPaymentTiming,
  getPayment,
  parkPayment,
  type RunShape,
  shapeOf,
} from './bench/flows';
import { closeHttpAgent, request, startMerchantReceiver } from './bench/http';
import {
  Cleanup,
  cpuSecondsOf,
  eagerCounters,
  machineCpuSeconds,
  memoryOf,
  ownCpuSeconds,
  root,
  sandboxApiKey,
  startDatabase,
  startFloorWorker,
  startKassaProcess,
  startSandbox,
  startTemporal,
} from './bench/infra';
import { closedLoop, errorSummary, type LoadResult, median, openLoop, percentile, round } from './bench/load';
import { renderChart, distribution } from './bench/chart';
import { type Figure, figure, fmt, markdownTable, shapeTable } from './bench/report';

interface Plan {
  /** Full payments and floor runs before anything is measured. */
  warmup: number;
  /** Interleaved pairs of blocks (full, floor). */
  blocks: number;
  blockSize: number;
  /** In-flight operations in every closed loop. */
  concurrency: number;
  /** Completed runs of each kind whose history length and state transitions are read. */
  shapeSample: number;
  /** Creates in the closed loop that finds the maximum create rate. */
  maxRateCount: number;
  /** Length of each open-loop create run (50% and 80%). */
  openLoopSeconds: number;
  /** API probe: requests per second and count (half GET /v1/payments/:id, half POST /v1/payments). */
  probeRate: number;
  probeCount: number;
  /** Callback → webhook: payments one at a time, then `loadedCallbacks` with `loadedCallbackConcurrency` in flight. */
  callbacks: number;
  loadedCallbacks: number;
  loadedCallbackConcurrency: number;
  /** Payments left at method choice. */
  parked: number;
  /** Payments the parking phase creates at least, however many earlier phases left parked. */
  minParkedInPhase: number;
  /** Full payments per throughput window, taken after `windowAfter` and after `total` cumulative payments. */
  window: number;
  windowAfter: number;
  total: number;
  /** Full payments per step while filling up to `total`. */
  fillChunk: number;
  /** Per operation. */
  timeoutMs: number;
  /** Pause before each open loop of creates, after the closed loop or open loop before it. */
  settleMs: number;
  /** Creates/s of one open loop in place of those at 50% and 80% of the maximum rate (A/B runs); 0: those. */
  createRate: number;
}

const fullPlan: Plan = {
  warmup: 30,
  blocks: 6,
  blockSize: 120,
  concurrency: 16,
  shapeSample: 10,
  maxRateCount: 400,
  openLoopSeconds: 20,
  probeRate: 20,
  probeCount: 600,
  callbacks: 200,
  loadedCallbacks: 100,
  loadedCallbackConcurrency: 4,
  parked: 20_000,
  minParkedInPhase: 0,
  window: 300,
  windowAfter: 1_000,
  total: 50_000,
  fillChunk: 500,
  timeoutMs: 60_000,
  settleMs: 10_000,
  createRate: 0,
};

const smokePlan: Plan = {
  warmup: 0,
  blocks: 1,
  blockSize: 4,
  concurrency: 4,
  shapeSample: 2,
  maxRateCount: 8,
  openLoopSeconds: 1,
  probeRate: 10,
  probeCount: 8,
  callbacks: 2,
  loadedCallbacks: 2,
  loadedCallbackConcurrency: 2,
  parked: 4,
  minParkedInPhase: 8,
  window: 4,
  windowAfter: 10,
  total: 40,
  fillChunk: 8,
  timeoutMs: 60_000,
  settleMs: 0,
  createRate: 0,
};

/**
 * CPU milliseconds per completed operation: Kassa's process (or the floor worker's), the Temporal
 * server's, the sandbox provider's, the benchmark's own (load generator and webhook receivers), and
 * the whole machine's; what the machine spent besides these is PostgreSQL's, the kernel's and any
 * other process's.
 */
interface CpuPerOperation {
  kassaMsPerOp: number;
  temporalMsPerOp: number;
  sandboxMsPerOp: number;
  benchMsPerOp: number;
  machineMsPerOp: number;
  runs: number;
}

const cpuParts = ['kassaMsPerOp', 'temporalMsPerOp', 'sandboxMsPerOp', 'benchMsPerOp', 'machineMsPerOp'] as const;

/**
 * What `--phases` selects, in the order they run: `cumulative` is both throughput windows (after
 * `windowAfter` and after `total` payments, with the fill before each).
 */
export const phaseKeys = [
  'warmup',
  'shape',
  'api',
  'throughput',
  'cumulative',
  'create',
  'callback',
  'floor',
  'parked',
] as const;
type PhaseKey = (typeof phaseKeys)[number];

/** `cluster`: the benchmark's own PostgreSQL; `embedded`: Kassa's default when DATABASE_URL is unset. */
type DatabaseKind = 'cluster' | 'embedded';

interface Args {
  smoke: boolean;
  deadlineMs: number;
  note?: string;
  database: DatabaseKind;
  phases: ReadonlySet<PhaseKey>;
  overrides: Partial<Plan>;
}

/**
 * A full run's expected length at today's rates (about 13 full payments/s at 16 in flight, 50
 * creates/s, 19 floor runs/s): about 50 min, 36 of them filling to 50,000 payments; the default
 * deadline leaves half as much again, for a machine that fills at 10 payments/s.
 */
const fullDeadline = '75m';

function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text);
  if (!match) throw new Error(`--deadline: expected e.g. 20m, 90s or 1200 (seconds), got ${text}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 's']!;
  return Number(match[1]) * unit;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    smoke: false,
    deadlineMs: 0,
    database: 'cluster',
    phases: new Set(phaseKeys),
    overrides: {},
  };
  const numeric: Record<string, keyof Plan> = {
    '--blocks': 'blocks',
    '--block-size': 'blockSize',
    '--concurrency': 'concurrency',
    '--parked': 'parked',
    '--total': 'total',
    '--window': 'window',
    '--callbacks': 'callbacks',
    '--warmup': 'warmup',
    '--create-rate': 'createRate',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--smoke') args.smoke = true;
    else if (arg === '--deadline') args.deadlineMs = parseDuration(value());
    else if (arg === '--note') args.note = value();
    else if (arg === '--database') {
      const kind = value();
      if (kind !== 'cluster' && kind !== 'embedded') throw new Error(`--database: cluster or embedded, got ${kind}`);
      args.database = kind;
    } else if (arg === '--phases') {
      const wanted = value()
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean);
      const unknown = wanted.filter((name) => !(phaseKeys as readonly string[]).includes(name));
      if (unknown.length > 0 || wanted.length === 0)
        throw new Error(
          `--phases: a comma-separated list of ${phaseKeys.join(', ')}; got ${unknown.join(', ') || 'none'}`,
        );
      args.phases = new Set(wanted as PhaseKey[]);
    } else if (numeric[arg]) {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 0) throw new Error(`${arg} needs a whole number`);
      args.overrides[numeric[arg]] = n;
    } else throw new Error(`unknown argument ${arg}`);
  }
  args.deadlineMs ||= args.smoke ? 90_000 : parseDuration(fullDeadline);
  return args;
}

const log = (line: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ms = (values: number[], p: number) => round(percentile(values, p), 1);

function summary(result: LoadResult<unknown>) {
  return {
    started: result.started,
    ok: result.ok,
    errors: result.errors.length,
    seconds: round(result.elapsedMs / 1000, 2),
    ratePerSecond: round(result.rate, 2),
    p50Ms: ms(result.latencies, 50),
    p99Ms: ms(result.latencies, 99),
    cut: result.cut,
  };
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const plan: Plan = { ...(args.smoke ? smokePlan : fullPlan), ...args.overrides };
  const startedAt = Date.now();
  const deadline = startedAt + args.deadlineMs;
  const expired = () => Date.now() >= deadline;
  const cleanup = new Cleanup();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kassa-bench-'));
  cleanup.add('temp dir', async () => fs.rmSync(dir, { recursive: true, force: true }));

  // Stops everything on Ctrl-C, on SIGTERM, and past the deadline plus a grace period.
  let stopping = false;
  const stop = (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    log(`${reason}: stopping`);
    void cleanup.run().finally(() => process.exit(code));
  };
  process.once('SIGINT', () => stop('SIGINT', 130));
  process.once('SIGTERM', () => stop('SIGTERM', 143));
  process.once('exit', () => cleanup.killAll());
  setTimeout(() => stop('hard deadline passed', 2), args.deadlineMs + 120_000).unref();

  const failures: string[] = [];
  const notes: string[] = [];
  const skipped: string[] = [];
  const phaseSeconds: Record<string, number> = {};
  const results: Record<string, any> = {};
  const cpu: Record<string, CpuPerOperation> = {};
  const loadAverageStart = os.loadavg();

  const phase = async (key: PhaseKey, name: string, body: () => Promise<void>) => {
    if (!args.phases.has(key)) return;
    if (expired()) {
      skipped.push(name);
      return;
    }
    log(`▶ ${name}`);
    const begin = performance.now();
    try {
      await body();
    } catch (error) {
      failures.push(`${name}: ${(error as Error).message}`);
      log(`✗ ${name}: ${(error as Error).message}`);
    }
    phaseSeconds[name] = round((performance.now() - begin) / 1000, 1);
  };
  const check = (name: string, result: LoadResult<unknown>) => {
    if (result.errors.length > 0) {
      failures.push(
        `${name}: ${result.errors.length} of ${result.started} failed: ${errorSummary(result.errors).join('; ')}`,
      );
      log(`✗ ${name}: ${result.errors.length} of ${result.started} failed, first: ${result.errors[0]}`);
    }
    if (result.cut) notes.push(`${name}: cut short by the deadline after ${result.started} operations`);
  };

  let kassaPid = 0;
  let temporalPid = 0;
  try {
    // Infrastructure
    log(`starting infrastructure in ${dir}`);
    const [temporalServer, database, sandbox] = await Promise.all([
      startTemporal(cleanup, dir),
      args.database === 'cluster' ? startDatabase(cleanup) : undefined,
      startSandbox(cleanup, dir),
    ]);
    temporalPid = temporalServer.pid;
    const receiver = await startMerchantReceiver();
    cleanup.add('merchant receiver', () => receiver.close());
    const floorReceiver = await startMerchantReceiver();
    cleanup.add('floor receiver', () => floorReceiver.close());
    const needsFloor = (['warmup', 'shape', 'throughput', 'floor'] as const).some((key) => args.phases.has(key));
    const [kassa, floorWorker] = await Promise.all([
      startKassaProcess(cleanup, dir, {
        databaseUrl: database?.url,
        temporalAddress: temporalServer.address,
        sandboxUrl: sandbox.url,
      }),
      needsFloor ? startFloorWorker(cleanup, dir, temporalServer.address) : undefined,
    ]);
    kassaPid = kassa.pid;
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    const connection = await NativeConnection.connect({ address: temporalServer.address });
    cleanup.add('temporal client', () => connection.close());
    const client = new Client({ connection, namespace: 'default' });

    const merchant = await request(`${kassa.url}/admin/merchants`, {
      method: 'POST',
      token: kassa.adminToken,
      body: { name: 'Bench shop', email: 'bench@shop.example' },
    });
    if (merchant.status !== 201) throw new Error(`POST /admin/merchants answered ${merchant.status}: ${merchant.text}`);
    const testKey: string = merchant.body.api_keys.test;
    const checkout = await request(`${kassa.url}/v1/checkouts`, {
      method: 'POST',
      token: testKey,
      body: {
        name: 'Bench shop',
        site_url: 'https://shop.example',
        currencies: ['RUB'],
        notify_url: receiver.url,
        success_url: 'https://shop.example/ok',
        fail_url: 'https://shop.example/fail',
        pending_url: 'https://shop.example/wait',
      },
    });
    if (checkout.status !== 201) throw new Error(`POST /v1/checkouts answered ${checkout.status}: ${checkout.text}`);
    receiver.setSecret(checkout.body.webhook_secret);
    const target: BenchTarget = {
      kassaUrl: kassa.url,
      sandboxUrl: sandbox.url,
      testKey,
      checkoutId: checkout.body.id,
      receiver,
      temporal: client,
      floor: floorWorker?.drive,
      counters: { payments: 0, parked: 0 },
      timeoutMs: plan.timeoutMs,
    };
    log(
      `ready: kassa ${kassa.url} (pid ${kassa.pid}) on the ${args.database === 'cluster' ? "benchmark's PostgreSQL" : 'embedded database'}, floor worker (pid ${floorWorker?.pid ?? 'not needed'}), temporal ${temporalServer.address} on ${temporalServer.dbFile} (WAL), sandbox ${sandbox.url}`,
    );
    results.settings = {
      plan,
      phases: [...args.phases],
      database: databaseDescription(args.database),
      kassa:
        'own process, KASSA_ROLE=all KASSA_ENV=test LOG_LEVEL=warn RATE_LIMIT_PER_MINUTE=1000000, other settings default',
      temporal: 'dev server, file SQLite, journal_mode=wal, eager workflow start and eager activities on',
      floor:
        "own worker process, floorWorkflow and its no-op activities only, on task queue bench-floor, started eagerly and driven by a client on that worker's connection",
    };

    /**
     * CPU per operation of `run`, averaged over the runs of `name`: of the process that runs `name`'s
     * workflows (Kassa, or the floor worker), of the Temporal server, the sandbox, this process and the
     * whole machine.
     */
    const withCpu = async <T>(
      name: string,
      workerPid: number,
      run: () => Promise<LoadResult<T>>,
    ): Promise<LoadResult<T>> => {
      // CPU seconds used so far, under the names of the per-operation figures they become.
      const read = (): Record<(typeof cpuParts)[number], number> => ({
        kassaMsPerOp: cpuSecondsOf(workerPid),
        temporalMsPerOp: cpuSecondsOf(temporalPid),
        sandboxMsPerOp: cpuSecondsOf(sandbox.pid),
        benchMsPerOp: ownCpuSeconds(),
        machineMsPerOp: machineCpuSeconds(),
      });
      const before = read();
      const result = await run();
      const after = read();
      const ops = Math.max(1, result.ok);
      const previous = cpu[name];
      const runs = (previous?.runs ?? 0) + 1;
      const next = { runs } as CpuPerOperation;
      for (const part of cpuParts) {
        const msPerOp = ((after[part] - before[part]) * 1000) / ops;
        next[part] = round(((previous?.[part] ?? 0) * (runs - 1) + msPerOp) / runs, 2);
      }
      cpu[name] = next;
      return result;
    };

    const fullLoop = (count: number, concurrency = plan.concurrency) =>
      closedLoop(count, concurrency, deadline, () => fullPayment(target));
    let floorSeq = 0;
    const floorLoop = (count: number) =>
      closedLoop(count, plan.concurrency, deadline, () => floorRun(target, floorSeq++));

    /** Open-loop API probe: GET /v1/payments/:id and POST /v1/payments alternately, at a modest fixed rate. */
    const apiProbe = async (name: string, knownPaymentId: string) => {
      const result = await openLoop(plan.probeRate, plan.probeCount, deadline, async (i) => {
        if (i % 2 === 0) {
          await getPayment(target, knownPaymentId);
          return 'get';
        }
        await parkPayment(target);
        return 'post';
      });
      check(name, result);
      const of = (kind: string) => result.latencies.filter((_latency, i) => result.values[i] === kind);
      return {
        ...summary(result),
        getP99Ms: ms(of('get'), 99),
        postP99Ms: ms(of('post'), 99),
        ratePerSecond: plan.probeRate,
      };
    };

    // 1. warm-up: JIT, pools, caches
    await phase('warmup', 'warm-up', async () => {
      if (plan.warmup === 0) return;
      check('warm-up full', await fullLoop(plan.warmup));
      check('warm-up floor', await floorLoop(plan.warmup));
    });

    // 2. shape: one of each, event by event; the payment as the merchant sees it
    let probePaymentId = '';
    await phase('shape', 'shape', async () => {
      const paid = await fullPayment(target);
      probePaymentId = paid.paymentId;
      const status = await getPayment(target, paid.paymentId);
      if (status !== 'paid') throw new Error(`payment ${paid.paymentId} is ${status} after its webhook, expected paid`);
      const { workflowId } = await floorRun(target, 'shape', { afterFirstTask: true });
      results.shape = {
        purchase: await shapeOf(client, purchaseWorkflowId(paid.paymentId), true),
        floor: await shapeOf(client, workflowId, true),
      };
    });

    // 3. the API unloaded: before anything is parked
    /** A paid payment for the API probe: the shape phase's, or one paid now when that phase was not selected. */
    const probePayment = async () => (probePaymentId ||= (await fullPayment(target)).paymentId);
    await phase('api', 'API probe, unloaded', async () => {
      results.apiUnloaded = await apiProbe('API probe, unloaded', await probePayment());
    });

    // 4. full flow against the floor: interleaved blocks, alternating which goes first
    await phase('throughput', 'throughput: full flow vs floor', async () => {
      if (!floorWorker) throw new Error('the floor worker is not running');
      const blocks: Record<string, unknown>[] = [];
      const pairs: { full: number; floor: number; ratio: number }[] = [];
      const timings: FullPaymentTiming[] = [];
      let lastFull: string[] = [];
      let lastFloor: string[] = [];
      for (let b = 0; b < plan.blocks && !expired(); b++) {
        const rates: Record<string, number> = {};
        for (const kind of b % 2 === 0 ? ['full', 'floor'] : ['floor', 'full']) {
          if (kind === 'full') {
            const result = await withCpu('full payment', kassa.pid, () => fullLoop(plan.blockSize));
            check(`block ${b} full`, result);
            timings.push(...result.values);
            lastFull = result.values.map((value) => purchaseWorkflowId(value.paymentId));
            rates.full = result.rate;
            blocks.push({ block: b, kind, loadAverage: round(os.loadavg()[0]!, 2), ...summary(result) });
          } else {
            const result = await withCpu('floor run', floorWorker.pid, () => floorLoop(plan.blockSize));
            check(`block ${b} floor`, result);
            lastFloor = result.values.map((value) => value.workflowId);
            rates.floor = result.rate;
            blocks.push({ block: b, kind, loadAverage: round(os.loadavg()[0]!, 2), ...summary(result) });
          }
        }
        if (rates.full !== undefined && rates.floor !== undefined) {
          pairs.push({
            full: round(rates.full, 2),
            floor: round(rates.floor, 2),
            ratio: round(rates.full / rates.floor, 3),
          });
          log(`block ${b}: full ${rates.full.toFixed(1)}/s, floor ${rates.floor.toFixed(1)}/s`);
        }
      }
      const step = (pick: (t: FullPaymentTiming) => number) => ({
        p50Ms: ms(timings.map(pick), 50),
        p99Ms: ms(timings.map(pick), 99),
      });
      results.throughput = {
        concurrency: plan.concurrency,
        blockSize: plan.blockSize,
        paymentsPerSecond: round(median(pairs.map((p) => p.full)), 2),
        floorPerSecond: round(median(pairs.map((p) => p.floor)), 2),
        ratioMedian: round(median(pairs.map((p) => p.ratio)), 3),
        pairs,
        blocks,
        fullPaymentSteps: {
          create: step((t) => t.createMs),
          selectMethod: step((t) => t.selectMs),
          approve: step((t) => t.approveMs),
          approveToWebhook: step((t) => t.confirmMs),
          total: step((t) => t.totalMs),
        },
      };
      // History length and state transitions over a sample of each kind
      const sample = async (ids: string[]) => {
        const shapes: RunShape[] = [];
        for (const id of ids.slice(0, plan.shapeSample)) shapes.push(await shapeOf(client, id));
        const mean = (pick: (s: RunShape) => number) =>
          round(shapes.reduce((sum, s) => sum + pick(s), 0) / Math.max(1, shapes.length), 2);
        return {
          runs: shapes.length,
          eventsMean: mean((s) => s.events),
          transitionsMean: mean((s) => s.transitions),
          eventsMax: Math.max(...shapes.map((s) => s.events)),
        };
      };
      results.shapeSample = { purchase: await sample(lastFull), floor: await sample(lastFloor) };
    });

    // 5. throughput after `windowAfter` cumulative payments
    const trend: { afterPayments: number; ratePerSecond: number; parked: number; loadAverage: number }[] = [];
    const fillTo = async (name: string, total: number) => {
      while (target.counters.payments < total && !expired()) {
        const after = target.counters.payments;
        const result = await fullLoop(Math.min(plan.fillChunk, total - after));
        check(name, result);
        trend.push({
          afterPayments: after,
          ratePerSecond: round(result.rate, 2),
          parked: target.counters.parked,
          loadAverage: round(os.loadavg()[0]!, 2),
        });
        log(`${name}: ${target.counters.payments} payments, ${result.rate.toFixed(1)}/s`);
        if (result.ok === 0) break;
      }
    };
    const windowAt = async (key: string, after: number) => {
      await fillTo(`fill to ${after}`, after);
      if (expired()) return;
      const startedAfter = target.counters.payments;
      const result = await fullLoop(plan.window);
      check(`window after ${after}`, result);
      results.cumulative ??= {};
      results.cumulative[key] = {
        afterPayments: startedAfter,
        parked: target.counters.parked,
        loadAverage: round(os.loadavg()[0]!, 2),
        ...summary(result),
      };
      trend.push({
        afterPayments: startedAfter,
        ratePerSecond: round(result.rate, 2),
        parked: target.counters.parked,
        loadAverage: round(os.loadavg()[0]!, 2),
      });
    };
    await phase('cumulative', `throughput after ${plan.windowAfter} payments`, async () => {
      if (plan.window > 0) await windowAt('first', plan.windowAfter);
    });

    // 6. POST /v1/payments: maximum rate, then open loop at 50% and 80% of it
    await phase('create', 'create latency', async () => {
      const max = await closedLoop(plan.maxRateCount, plan.concurrency, deadline, () => parkPayment(target));
      check('create max rate', max);
      const create: Record<string, unknown> = { maxRate: summary(max) };
      const loops =
        plan.createRate > 0
          ? [{ key: 'fixed', rate: plan.createRate }]
          : [0.5, 0.8].map((share) => ({ key: `at${share * 100}`, rate: max.rate * share }));
      for (const { key, rate } of loops) {
        if (expired()) break;
        // The loop before leaves the server catching up for a few seconds (visibility writes, started
        // runs' first tasks): an open loop measures its own rate, not that one's aftermath.
        await sleep(plan.settleMs);
        const count = Math.max(2, Math.round(rate * plan.openLoopSeconds));
        const result = await openLoop(rate, count, deadline, () => parkPayment(target));
        check(`create ${key}`, result);
        create[key] = {
          targetRatePerSecond: round(rate, 2),
          ...summary(result),
          distribution: distribution(result.latencies),
        };
        log(
          `create ${key} (${rate.toFixed(1)}/s): p50 ${ms(result.latencies, 50)} ms, p99 ${ms(result.latencies, 99)} ms`,
        );
      }
      results.create = create;
    });

    // 7. callback received → merchant webhook received, with the sandbox's own callbacks dropped: one
    //    payment at a time (the hop itself), then a few at once (the hop under load, for information)
    await phase('callback', 'callback to webhook', async () => {
      const dropped = await request(`${sandbox.url}/api/faults`, {
        method: 'POST',
        token: sandboxApiKey,
        body: { drop: true },
      });
      if (dropped.status !== 204) throw new Error(`sandbox faults answered ${dropped.status}`);
      try {
        for (const [key, count, concurrency] of [
          ['callbackToWebhook', plan.callbacks, 1],
          ['callbackToWebhookLoaded', plan.loadedCallbacks, plan.loadedCallbackConcurrency],
        ] as const) {
          if (count === 0 || expired()) continue;
          const result = await closedLoop(count, concurrency, deadline, () => callbackToWebhook(target));
          check(`callback to webhook, ${concurrency} in flight`, result);
          const latencies = result.values.map((value) => value.latencyMs);
          const acks = result.values.map((value) => value.ackMs);
          results[key] = {
            count: result.ok,
            concurrency,
            p50Ms: ms(latencies, 50),
            p99Ms: ms(latencies, 99),
            callbackAnsweredP50Ms: ms(acks, 50),
            callbackAnsweredP99Ms: ms(acks, 99),
            distribution: distribution(latencies),
          };
          log(`callback → webhook, ${concurrency} in flight: p50 ${ms(latencies, 50)} ms, p99 ${ms(latencies, 99)} ms`);
        }
      } finally {
        await request(`${sandbox.url}/api/faults`, { method: 'DELETE', token: sandboxApiKey });
      }
    });

    // 7b. the floor's own signal → activity start, the same counts and concurrency as phase 7: what
    //     Temporal alone costs for that hop, so Kassa's figure can be read as a ratio to it
    await phase('floor', 'floor signal to activity', async () => {
      if (!floorWorker) throw new Error('the floor worker is not running');
      for (const [key, count, concurrency] of [
        ['floorSignalToActivity', plan.callbacks, 1],
        ['floorSignalToActivityLoaded', plan.loadedCallbacks, plan.loadedCallbackConcurrency],
      ] as const) {
        if (count === 0 || expired()) continue;
        const result = await closedLoop(count, concurrency, deadline, () =>
          floorSignalToActivity(target, floorReceiver, `signal${floorSeq++}`),
        );
        check(`floor signal to activity, ${concurrency} in flight`, result);
        await floorRunsPaid(
          target,
          result.values.map((value) => value.workflowId),
        );
        const latencies = result.values.map((value) => value.latencyMs);
        const signals = result.values.map((value) => value.signalMs);
        results[key] = {
          count: result.ok,
          concurrency,
          p50Ms: ms(latencies, 50),
          p99Ms: ms(latencies, 99),
          signalAnsweredP50Ms: ms(signals, 50),
          signalAnsweredP99Ms: ms(signals, 99),
          distribution: distribution(latencies),
        };
        log(
          `floor signal → activity, ${concurrency} in flight: p50 ${ms(latencies, 50)} ms, p99 ${ms(latencies, 99)} ms`,
        );
      }
    });

    // 8. payments parked at method choice: worker memory and API latency meanwhile
    await phase('parked', `${plan.parked} parked payments`, async () => {
      const probeId = await probePayment();
      const before = memoryOf(kassaPid);
      const parkedBefore = target.counters.parked;
      const need = Math.max(plan.minParkedInPhase, plan.parked - parkedBefore);
      let lastParked = '';
      const result = await closedLoop(need, plan.concurrency, deadline, async () => {
        lastParked = await parkPayment(target);
      });
      check('parking', result);
      log(`parked ${target.counters.parked} payments (${result.rate.toFixed(1)}/s)`);
      // The probe measures the steady state with them parked, not the tail of the burst that parked them.
      await sleep(args.smoke ? 500 : 30_000);
      if (lastParked && (await getPayment(target, lastParked)) !== 'awaiting_method')
        throw new Error(`parked payment ${lastParked} is not awaiting_method`);
      const parkedMemory = memoryOf(kassaPid);
      const parkedAtMeasurement = target.counters.parked;
      const probe = await apiProbe('API probe, parked', probeId);
      const after = memoryOf(kassaPid);
      const parkedHere = result.ok;
      results.parked = {
        /** Payments at method choice when the RSS was read (the probe's creates come after). */
        parked: parkedAtMeasurement,
        parkedInPhase: parkedHere,
        parkedBeforePhase: parkedBefore,
        createRatePerSecond: round(result.rate, 2),
        rssBeforeMiB: before.rssMiB,
        rssAfterParkingMiB: parkedMemory.rssMiB,
        rssAfterProbeMiB: after.rssMiB,
        rssMiB: Math.max(parkedMemory.rssMiB, after.rssMiB),
        peakRssMiB: after.peakRssMiB,
        /** (RSS once parked and settled − RSS before this phase) ÷ payments this phase parked. */
        mibPerParked: parkedHere > 0 ? round((parkedMemory.rssMiB - before.rssMiB) / parkedHere, 4) : null,
        apiProbe: probe,
      };
    });

    // 9. throughput after `total` cumulative payments
    await phase('cumulative', `throughput after ${plan.total} payments`, async () => {
      if (plan.window > 0) await windowAt('last', plan.total);
    });
    results.cumulativeTrend = trend;
    results.payments = target.counters.payments;
    results.parkedPayments = target.counters.parked;
    results.webhooksReceived = receiver.count;
    results.floorNotificationsReceived = floorReceiver.count;
    if (kassaPid) results.kassaMemoryAtEnd = memoryOf(kassaPid);
    results.temporalEagerCounters = await eagerCounters(temporalServer);
  } catch (error) {
    failures.push(`setup: ${(error as Error).message}`);
    log(`✗ ${(error as Error).message}`);
    for (const file of ['kassa.log', 'temporal.log', 'sandbox.log']) {
      const full = path.join(dir, file);
      if (fs.existsSync(full))
        log(`--- ${file} (last lines)\n${fs.readFileSync(full, 'utf8').split('\n').slice(-30).join('\n')}`);
    }
  }
  if (expired())
    notes.push(
      `the deadline (${Math.round(args.deadlineMs / 1000)} s) was reached; skipped: ${skipped.join(', ') || 'nothing'}`,
    );
  if (args.smoke && skipped.length > 0) failures.push(`not exercised before the deadline: ${skipped.join(', ')}`);

  log('stopping infrastructure');
  closeHttpAgent();
  await cleanup.run();

  // Report
  const report = buildReport(args, plan, results, cpu);
  const json = {
    mode: args.smoke ? 'smoke' : 'full',
    startedAt: new Date(startedAt).toISOString(),
    seconds: round((Date.now() - startedAt) / 1000, 1),
    commit: gitCommit(),
    note: args.note ?? null,
    database: args.database,
    phases: [...args.phases],
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model,
      memoryGiB: round(os.totalmem() / 2 ** 30, 1),
      node: process.version,
      loadAverageStart,
      loadAverageEnd: os.loadavg(),
    },
    figures: report,
    failures,
    notes,
    skipped,
    phaseSeconds,
    cpuPerOperation: cpu,
    ...results,
  };
  const outDir = path.join(root, 'bench-results');
  fs.mkdirSync(outDir, { recursive: true });
  const base = args.smoke ? 'smoke' : 'latest';
  fs.writeFileSync(path.join(outDir, `${base}.json`), `${JSON.stringify(json, null, 2)}\n`);
  const loadText = (loads: number[]) => loads.map((l) => l.toFixed(2)).join(' ');
  fs.writeFileSync(
    path.join(outDir, `${base}.svg`),
    renderChart({
      title: `Kassa benchmark (${json.mode}, ${json.startedAt})`,
      subtitle: `${databaseDescription(args.database)}; ${json.machine.cpus} cores; load average ${loadText(loadAverageStart)} at start, ${loadText(json.machine.loadAverageEnd)} at end${args.note ? `; ${args.note}` : ''}`,
      trend: results.cumulativeTrend ?? [],
      latencies: [
        { label: 'create at 50% of max rate', distribution: results.create?.at50?.distribution },
        { label: 'create at 80% of max rate', distribution: results.create?.at80?.distribution },
        { label: 'callback → webhook, 1 in flight', distribution: results.callbackToWebhook?.distribution },
        {
          label: `callback → webhook, ${plan.loadedCallbackConcurrency} in flight`,
          distribution: results.callbackToWebhookLoaded?.distribution,
        },
        { label: 'floor signal → activity, 1 in flight', distribution: results.floorSignalToActivity?.distribution },
        {
          label: `floor signal → activity, ${plan.loadedCallbackConcurrency} in flight`,
          distribution: results.floorSignalToActivityLoaded?.distribution,
        },
      ],
    }),
  );
  const markdown = [
    `## Kassa benchmark (${json.mode}, ${json.startedAt}, ${json.seconds} s, ${json.machine.cpus} cores, load average at start ${loadText(loadAverageStart)}, at end ${loadText(json.machine.loadAverageEnd)})`,
    '',
    `Database: ${databaseDescription(args.database)}.${args.phases.size < phaseKeys.length ? ` Phases: ${[...args.phases].join(', ')}.` : ''}`,
    '',
    args.smoke ? '_Smoke run: counts are tiny, timings mean nothing; it checks that the flow works._\n' : '',
    markdownTable(report),
    '',
    ...shapeTable(results.shape),
    ...(notes.length ? ['Notes:', ...notes.map((n) => `- ${n}`), ''] : []),
    ...(failures.length ? ['Failures:', ...failures.map((f) => `- ${f}`), ''] : []),
    `JSON: bench-results/${base}.json, chart: bench-results/${base}.svg`,
  ].join('\n');
  fs.writeFileSync(path.join(outDir, `${base}.md`), `${markdown}\n`);
  process.stdout.write(`${markdown}\n`);
  log(failures.length > 0 ? `flow broken: ${failures.length} failure(s)` : 'done');
  return failures.length > 0 ? 1 : 0;
}

function databaseDescription(kind: DatabaseKind): string {
  return kind === 'cluster'
    ? "the benchmark's own PostgreSQL cluster (fsync and synchronous_commit off)"
    : "Kassa's embedded default database (DATABASE_URL unset, DATA_DIR in the run's temp dir; PostgreSQL's durable defaults)";
}

function buildReport(args: Args, plan: Plan, r: Record<string, any>, cpu: Record<string, CpuPerOperation>): Figure[] {
  const figures: Figure[] = [];
  const t = r.throughput;
  const held = (ok: boolean | undefined) => (args.smoke || ok === undefined ? null : ok);
  if (t) {
    figures.push(
      figure(
        `End-to-end payments/s (closed loop, ${t.concurrency} in flight, median of ${t.pairs.length} blocks)`,
        fmt(t.paymentsPerSecond, 1),
      ),
    );
    figures.push(figure('Floor workflows/s (same shape, no-op bodies)', fmt(t.floorPerSecond, 1)));
    figures.push(
      figure(
        'Payments/s ÷ floor/s (median of interleaved pairs)',
        fmt(t.ratioMedian, 2),
        '≥ 0.85',
        held(Number.isFinite(t.ratioMedian) ? t.ratioMedian >= 0.85 : undefined),
      ),
    );
  }
  const create = r.create;
  if (create) {
    figures.push(figure('POST /v1/payments maximum rate (closed loop)', `${fmt(create.maxRate?.ratePerSecond, 1)}/s`));
    const loops = [
      { key: 'at50', where: '50%', target: true },
      { key: 'at80', where: '80%', target: false },
      { key: 'fixed', where: 'a fixed rate', target: false },
    ];
    for (const { key, where, target } of loops) {
      const at = create[key];
      if (!at) continue;
      figures.push(
        figure(
          `POST /v1/payments p50 / p99 at ${where} (${fmt(at.targetRatePerSecond, 1)}/s open loop, ${at.ok} requests)`,
          `${fmt(at.p50Ms)} / ${fmt(at.p99Ms)} ms`,
          target ? 'p99 ≤ 40 ms' : '—',
          target ? held(at.p99Ms <= 40) : null,
        ),
      );
    }
  }
  const cb = r.callbackToWebhook;
  if (cb) {
    figures.push(
      figure(
        `Callback received → webhook received p50 (${cb.count} payments, ${cb.concurrency} in flight)`,
        `${fmt(cb.p50Ms)} ms`,
        '≤ 30 ms',
        held(cb.p50Ms <= 30),
      ),
    );
    figures.push(
      figure('Callback received → webhook received p99', `${fmt(cb.p99Ms)} ms`, '≤ 100 ms', held(cb.p99Ms <= 100)),
    );
  }
  const loaded = r.callbackToWebhookLoaded;
  if (loaded) {
    figures.push(
      figure(
        `Callback received → webhook received p50 / p99 (${loaded.count} payments, ${loaded.concurrency} in flight)`,
        `${fmt(loaded.p50Ms)} / ${fmt(loaded.p99Ms)} ms`,
        'p50 ≤ 90 ms',
        held(loaded.p50Ms <= 90),
      ),
    );
  }
  for (const [kassaKey, floorKey] of [
    ['callbackToWebhook', 'floorSignalToActivity'],
    ['callbackToWebhookLoaded', 'floorSignalToActivityLoaded'],
  ]) {
    const floorHop = r[floorKey!];
    if (!floorHop) continue;
    figures.push(
      figure(
        `Floor signal → activity POST received p50 / p99 (${floorHop.count} runs, ${floorHop.concurrency} in flight)`,
        `${fmt(floorHop.p50Ms)} / ${fmt(floorHop.p99Ms)} ms`,
      ),
    );
    const kassaHop = r[kassaKey!];
    if (kassaHop)
      figures.push(
        figure(
          `Callback → webhook ÷ floor signal → activity, p50 / p99 (${floorHop.concurrency} in flight)`,
          `${fmt(kassaHop.p50Ms / floorHop.p50Ms, 2)} / ${fmt(kassaHop.p99Ms / floorHop.p99Ms, 2)}`,
        ),
      );
  }
  const sample = r.shapeSample;
  if (sample) {
    figures.push(
      figure(
        'History events per payment (floor)',
        `${fmt(sample.purchase.eventsMean, 1)} (${fmt(sample.floor.eventsMean, 1)})`,
      ),
    );
    figures.push(
      figure(
        'State transitions per payment (floor)',
        `${fmt(sample.purchase.transitionsMean, 1)} (${fmt(sample.floor.transitionsMean, 1)})`,
      ),
    );
  } else if (r.shape) {
    figures.push(figure('History events per payment (floor)', `${r.shape.purchase.events} (${r.shape.floor.events})`));
    figures.push(
      figure('State transitions per payment (floor)', `${r.shape.purchase.transitions} (${r.shape.floor.transitions})`),
    );
  }
  const full = cpu['full payment'];
  const floor = cpu['floor run'];
  if (full && floor) {
    figures.push(
      figure(
        'CPU ms per payment: Kassa process / Temporal server (floor: worker / server)',
        `${fmt(full.kassaMsPerOp)} / ${fmt(full.temporalMsPerOp)} (${fmt(floor.kassaMsPerOp)} / ${fmt(floor.temporalMsPerOp)})`,
      ),
    );
    const cpuRatio = full.kassaMsPerOp / floor.kassaMsPerOp;
    figures.push(
      figure(
        "Kassa CPU per payment ÷ floor worker's per run",
        fmt(cpuRatio, 2),
        '≤ 1.3',
        held(Number.isFinite(cpuRatio) ? cpuRatio <= 1.3 : undefined),
      ),
    );
    const whole = (of: CpuPerOperation) => {
      const rest = of.machineMsPerOp - of.kassaMsPerOp - of.temporalMsPerOp - of.sandboxMsPerOp - of.benchMsPerOp;
      return `${fmt(of.machineMsPerOp)} = ${[of.kassaMsPerOp, of.temporalMsPerOp, of.sandboxMsPerOp, of.benchMsPerOp, rest].map((part) => fmt(part)).join(' + ')}`;
    };
    figures.push(
      figure(
        'Machine CPU ms per payment = Kassa + Temporal + sandbox + bench + the rest (PostgreSQL, kernel)',
        whole(full),
      ),
    );
    figures.push(figure('Machine CPU ms per floor run = worker + Temporal + sandbox + bench + the rest', whole(floor)));
    figures.push(
      figure(
        "Floor run's machine CPU ÷ payment's (the throughput ratio a CPU-bound machine allows)",
        fmt(floor.machineMsPerOp / full.machineMsPerOp, 2),
      ),
    );
  }
  const parked = r.parked;
  if (parked) {
    figures.push(
      figure(
        `Kassa RSS with ${parked.parked} payments parked at method choice (before parking)`,
        `${parked.rssMiB} MiB (${parked.rssBeforeMiB} MiB)`,
        '≤ 1536 MiB',
        held(parked.rssMiB <= 1536 && parked.parked >= plan.parked),
      ),
    );
    figures.push(
      figure(
        `MiB per parked payment: (RSS parked ${parked.rssAfterParkingMiB} − before ${parked.rssBeforeMiB}) ÷ ${parked.parkedInPhase} parked in the phase`,
        fmt(parked.mibPerParked ?? undefined, 3),
        `≤ 0.1 at ${plan.parked.toLocaleString('en-US')}`,
        held(
          typeof parked.mibPerParked === 'number'
            ? parked.mibPerParked <= 0.1 && parked.parked >= plan.parked
            : undefined,
        ),
      ),
    );
    const unloaded = r.apiUnloaded?.p99Ms;
    const loaded = parked.apiProbe?.p99Ms;
    figures.push(
      figure(
        `API p99 unloaded → with ${parked.parked} parked (GET + POST at ${plan.probeRate}/s)`,
        `${fmt(unloaded)} → ${fmt(loaded)} ms`,
        '≤ 2× unloaded',
        held(Number.isFinite(unloaded) && Number.isFinite(loaded) ? loaded <= 2 * unloaded : undefined),
      ),
    );
  }
  const cumulative = r.cumulative;
  if (cumulative?.first || cumulative?.last) {
    const first = cumulative.first?.ratePerSecond;
    const last = cumulative.last?.ratePerSecond;
    const ratio = first && last ? last / first : NaN;
    figures.push(
      figure(
        `Payments/s after ${cumulative.first?.afterPayments ?? '?'} → after ${cumulative.last?.afterPayments ?? '?'} payments`,
        `${fmt(first)} → ${fmt(last)} (${fmt(ratio, 2)})`,
        '≥ 0.95',
        held(Number.isFinite(ratio) ? ratio >= 0.95 && cumulative.last.afterPayments >= plan.total : undefined),
      ),
    );
  }
  return figures;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`bench: ${error.message}`);
    process.exit(1);
  },
);
