import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DefaultLogger } from '@temporalio/worker';
import { installTemporalRuntime } from '../../worker';
import { parse } from 'yaml';
import { paidPayment } from '../support/operations';
import { freePort } from '../support/processes';
import { chooseMethod } from '../support/money';
import { api, createTestPayment, shopsFor, startTestStack, type TestStack } from '../support/stack';

// The monitoring that ships in deploy/: the alert rules (deploy/prometheus/alerts.yml), Prometheus'
// configuration and Kassa's Grafana dashboard (deploy/grafana/kassa.json). Every metric they name
// must be one a running Kassa exports: this file starts one whose worker exports the Temporal SDK's
// metrics as `worker.ts` main() sets it up, drives payments through it, and reads METRICS_PORT the
// way the compose Prometheus does. The rules are also checked and unit-tested by promtool.
jest.setTimeout(90_000);

const root = path.resolve(__dirname, '../..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rules = parse(read('deploy/prometheus/alerts.yml')) as { groups: { name: string; rules: Rule[] }[] };
const alerts = rules.groups.flatMap((group) => group.rules);

interface Panel {
  title: string;
  type: string;
  datasource?: { type?: string; uid?: string };
  targets?: { expr: string; refId: string; datasource?: { uid?: string } }[];
  panels?: Panel[];
}
const dashboard = JSON.parse(read('deploy/grafana/kassa.json')) as { uid: string; title: string; panels: Panel[] };
const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]).filter((p) => p.type !== 'row');

/** Metric names in a PromQL expression: Kassa's and the Temporal SDK's, with quoted label values removed. */
function metricNames(expr: string): string[] {
  const code = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return [...new Set([...code.matchAll(/\b(?:kassa|temporal)_[a-zA-Z0-9_:]*/g)].map((m) => m[0]))];
}

/** Names that have at least one sample in a text exposition. */
function exportedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{.*\})? \S+$/.exec(line);
    if (match) names.add(match[1]!);
  }
  return names;
}

/** promtool from PROMTOOL, PATH, or where scripts/ensure-deps.cjs unpacks Debian's `prometheus` package. */
function findPromtool(): string | undefined {
  const candidates = [
    process.env.PROMTOOL,
    path.join(root, '.tools/prometheus/usr/bin/promtool'),
    ...(process.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, 'promtool')),
  ];
  return candidates.find((file) => file && fs.existsSync(file));
}

describe('alert rules and dashboard, as files', () => {
  it('has the alerts an operator needs, each with a severity, a summary and a wait', () => {
    expect(alerts.map((rule) => rule.alert)).toEqual(
      expect.arrayContaining([
        'KassaWebhookFailuresPilingUp',
        'KassaWorkflowTaskScheduleToStartHigh',
        'KassaActivityScheduleToStartHigh',
      ]),
    );
    for (const rule of alerts) {
      expect({ alert: rule.alert, severity: rule.labels?.severity, summary: typeof rule.annotations?.summary }).toEqual(
        { alert: rule.alert, severity: expect.stringMatching(/^(page|ticket)$/), summary: 'string' },
      );
      expect({ alert: rule.alert, for: rule.for }).toEqual({
        alert: rule.alert,
        for: expect.stringMatching(/^\d+[smh]$/),
      });
    }
  });

  it('has a panel for each figure an operator watches, all on the provisioned Prometheus', () => {
    expect(panels.map((panel) => panel.title)).toEqual(
      expect.arrayContaining([
        'Payments by status',
        'Payment create latency',
        'Callback and webhook latency',
        'Webhook delivery failures',
        'Workflow task latency',
        'Schedule-to-start latency',
      ]),
    );
    const datasources = parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as {
      datasources: { uid: string; type: string }[];
    };
    const uid = datasources.datasources.find((source) => source.type === 'prometheus')?.uid;
    expect(uid).toBeDefined();
    for (const panel of panels) {
      expect({ panel: panel.title, uid: panel.datasource?.uid, targets: (panel.targets ?? []).length > 0 }).toEqual({
        panel: panel.title,
        uid,
        targets: true,
      });
      for (const target of panel.targets!) expect(metricNames(target.expr).length).toBeGreaterThan(0);
    }
  });

  it('finds metric names in an expression and not label values or functions', () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (le) (rate(kassa_http_request_duration_seconds_bucket{route="/v1/payments", x="temporal_fake"}[5m]))) / on() max(kassa_payments)',
      ),
    ).toEqual(['kassa_http_request_duration_seconds_bucket', 'kassa_payments']);
  });
});

describe('promtool', () => {
  const promtool = findPromtool();
  const run = (...args: string[]) => spawnSync(promtool!, args, { cwd: root, encoding: 'utf8' });
  const required = process.env.CI === 'true';
  if (!promtool && !required)
    console.warn('promtool not found (scripts/ensure-deps.cjs --test installs it on Debian): its checks are skipped');
  const maybe = promtool || required ? it : it.skip;

  maybe('accepts the alert rules and the Prometheus configuration', () => {
    expect(promtool).toBeDefined();
    const rulesCheck = run('check', 'rules', 'deploy/prometheus/alerts.yml');
    expect({ status: rulesCheck.status, output: rulesCheck.stdout + rulesCheck.stderr }).toEqual({
      status: 0,
      output: expect.stringContaining('SUCCESS'),
    });
    const configCheck = run('check', 'config', '--syntax-only', 'deploy/prometheus/prometheus.yml');
    expect({ status: configCheck.status, output: configCheck.stdout + configCheck.stderr }).toEqual({
      status: 0,
      output: expect.stringContaining('SUCCESS'),
    });
  });

  maybe('fires each alert on the series its unit tests feed it, and stays quiet on healthy ones', () => {
    const tests = run('test', 'rules', 'deploy/prometheus/alerts.test.yml');
    expect({ status: tests.status, output: tests.stdout + tests.stderr }).toEqual({
      status: 0,
      output: expect.stringContaining('SUCCESS'),
    });
    const tested = parse(read('deploy/prometheus/alerts.test.yml')) as {
      tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
    };
    const fired = new Set(
      tested.tests.flatMap((t) =>
        (t.alert_rule_test ?? []).filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname),
      ),
    );
    expect([...fired].sort()).toEqual(alerts.map((rule) => rule.alert).sort());
  });
});

describe('against a running Kassa', () => {
  let stack: TestStack;
  let metricsPort: number;
  const shop = shopsFor(() => stack, 'all');
  let exported: Set<string>;

  beforeAll(async () => {
    const temporalMetricsPort = await freePort();
    metricsPort = await freePort();
    installTemporalRuntime(new DefaultLogger('ERROR'), `127.0.0.1:${temporalMetricsPort}`);
    stack = await startTestStack(
      { METRICS_PORT: String(metricsPort) },
      { kassa: { temporalMetricsUrl: `http://127.0.0.1:${temporalMetricsPort}/metrics` } },
    );
    // One payment delivered, one whose merchant answers 500 once: every series the rules name is there.
    const merchant = await shop();
    await paidPayment(stack, merchant);
    await merchant.receiver.waitFor(1);
    const failing = await shop([500]);
    await paidPayment(stack, failing);
    await failing.receiver.waitFor(2);
    // One payment left waiting for its provider, and one reconciliation run.
    const waiting = await createTestPayment(stack, merchant.testKey, merchant.checkout.id);
    await chooseMethod(stack, waiting.id);
    const run = await api(stack.url, 'POST', '/admin/reconciliation/runs', {
      token: stack.adminToken,
      body: { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() },
    });
    expect(run.status).toBe(200);
    const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(response.status).toBe(200);
    const exposition = await response.text();
    if (process.env.MONITORING_DUMP) fs.writeFileSync(process.env.MONITORING_DUMP, exposition);
    exported = exportedNames(exposition);
  }, 90_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('exports every metric the alert rules use', () => {
    const used = alerts.flatMap((rule) => metricNames(rule.expr));
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((name) => !exported.has(name))).toEqual([]);
  });

  it('exports every metric the dashboard uses', () => {
    const used = [...new Set(panels.flatMap((panel) => (panel.targets ?? []).flatMap((t) => metricNames(t.expr))))];
    expect(used).toEqual(
      expect.arrayContaining(['kassa_payments', 'temporal_workflow_task_schedule_to_start_latency_seconds_bucket']),
    );
    expect(used.filter((name) => !exported.has(name))).toEqual([]);
  });

  it('would catch a name Kassa does not export', () => {
    expect(exported.has('kassa_webhook_delivery_attempts_total')).toBe(true);
    expect(exported.has('kassa_webhook_delivery_attempts')).toBe(false);
    expect(exported.has('temporal_workflow_task_schedule_to_start_latency_bucket')).toBe(false);
  });
});
