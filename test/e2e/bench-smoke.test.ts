import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

/** `npm run bench -- --smoke` as CI runs it: its own infrastructure, a child process, an exit code. */
function runSmoke(): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench.ts', '--smoke'], {
    cwd: root,
    env: { ...process.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

test('the benchmark smoke run takes payments to paid with a signed webhook, completes floor runs, reports every figure, writes its chart and exits 0', async () => {
  const { code, output } = await runSmoke();
  if (code !== 0) throw new Error(`bench --smoke exited ${code}:\n${output}`);
  const results = JSON.parse(fs.readFileSync(path.join(root, 'bench-results/smoke.json'), 'utf8'));
  expect(results.failures).toEqual([]);
  expect(results.throughput.pairs).toHaveLength(1);
  expect(results.shape.purchase.events).toBeGreaterThan(0);
  expect(results.shape.floor.events).toBeGreaterThan(0);
  // The floor starts eagerly from its own worker, as a purchase does: the update never rides in the first task.
  expect(results.shapeSample.floor.eventsMean).toBe(results.shapeSample.purchase.eventsMean);
  expect(results.callbackToWebhook.count).toBeGreaterThan(0);
  expect(results.floorSignalToActivity.count).toBeGreaterThan(0);
  expect(results.floorSignalToActivityLoaded.count).toBeGreaterThan(0);
  expect(results.floorNotificationsReceived).toBe(
    results.floorSignalToActivity.count + results.floorSignalToActivityLoaded.count,
  );
  expect(results.parked.rssMiB).toBeGreaterThan(0);
  expect(results.parked.parkedInPhase).toBeGreaterThan(0);
  expect(results.cumulative.first.ok).toBeGreaterThan(0);
  expect(results.cumulative.last.afterPayments).toBeGreaterThanOrEqual(40);
  expect(results.cumulativeTrend.length).toBeGreaterThanOrEqual(2);
  expect(results.database).toBe('cluster');
  expect(output).toMatch(/\| Payments\/s ÷ floor\/s/);
  const full = results.cpuPerOperation['full payment'];
  expect(full.sandboxMsPerOp).toBeGreaterThan(0);
  expect(full.machineMsPerOp).toBeGreaterThan(full.kassaMsPerOp + full.sandboxMsPerOp);
  expect(output).toMatch(
    /\| Machine CPU ms per payment = .* \| [\d.]+ = [\d.]+ \+ [\d.]+ \+ [\d.]+ \+ [\d.]+ \+ -?[\d.]+ \|/,
  );
  expect(output).toMatch(/\| Callback → webhook ÷ floor signal → activity, p50 \/ p99 \(1 in flight\)/);
  expect(output).toMatch(/\| \*\*events\*\* \| \d+ \| \d+ \|/);
  const svg = fs.readFileSync(path.join(root, 'bench-results/smoke.svg'), 'utf8');
  expect(svg).toContain(results.startedAt);
  expect(svg).toContain('data-series="throughput"');
  expect(svg).toContain('data-series="floor signal → activity, 1 in flight"');
  expect(svg).not.toMatch(/NaN/);
}, 120_000);
