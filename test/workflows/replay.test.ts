import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { committedHistoriesDir, historyFromJson } from '../../scripts/record-histories';
import * as productionWorkflows from '../../src/workflows';
import { workflowBundle } from '../../worker';

// Histories of real runs (recorded by `npx tsx scripts/record-histories.ts`) replayed against the
// workflow code as it is now: a change that would break workflows already running fails here.
// Every workflow type the production worker registers must have at least one history.
jest.setTimeout(120_000);

const root = path.resolve(__dirname, '../..');

const histories = fs
  .readdirSync(committedHistoriesDir)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => {
    const history = historyFromJson(fs.readFileSync(path.join(committedHistoriesDir, file), 'utf8'));
    const workflowType = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
    if (!workflowType) throw new Error(`${file}: the history does not start with its workflow type`);
    return { workflowId: path.basename(file, '.json'), workflowType, history };
  });
type Recorded = (typeof histories)[number];

const byType = new Map<string, Recorded[]>();
for (const entry of histories) byType.set(entry.workflowType, [...(byType.get(entry.workflowType) ?? []), entry]);

/** The workflow types the production worker registers (the workflow functions src/workflows exports). */
const productionTypes = Object.entries(productionWorkflows)
  .filter(([, value]) => typeof value === 'function')
  .map(([name]) => name)
  .sort();

/** The production workflow types no history covers. */
const uncovered = (types: string[], recorded: Iterable<Recorded>) => {
  const covered = new Set([...recorded].map((entry) => entry.workflowType));
  return types.filter((type) => !covered.has(type));
};

async function replay(bundle: WorkflowBundleWithSourceMap, entries: Recorded[]) {
  const errors = new Map<string, Error | undefined>();
  for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, entries)) {
    errors.set(result.workflowId, result.error);
  }
  return errors;
}

/** The activity types a history scheduled, in order. */
const scheduledActivities = (history: Recorded['history']) =>
  (history.events ?? []).flatMap((event) => event.activityTaskScheduledEventAttributes?.activityType?.name ?? []);

describe('coverage', () => {
  test('the production worker registers the workflow types Kassa runs, and the benchmark’s is not among them', () => {
    expect(productionTypes).toEqual(
      expect.arrayContaining([
        'purchaseWorkflow',
        'refundWorkflow',
        'payoutWorkflow',
        'reconciliationWorkflow',
        'reviewDecisionWorkflow',
        'resendEventWorkflow',
        'resendNotificationWorkflow',
        'siteVerificationWorkflow',
      ]),
    );
    expect(productionTypes).not.toContain('floorWorkflow');
  });

  test('every workflow type the production worker registers has at least one recorded history', () => {
    expect(uncovered(productionTypes, histories)).toEqual([]);
  });

  test('the coverage check names a type whose histories are missing, so a new workflow type without one fails', () => {
    for (const type of productionTypes) {
      expect(
        uncovered(
          productionTypes,
          histories.filter((entry) => entry.workflowType !== type),
        ),
      ).toEqual([type]);
    }
    expect(uncovered([...productionTypes, 'newWorkflow'], histories)).toEqual(['newWorkflow']);
  });

  test('the other workflow types are recorded in their representative outcomes', () => {
    const names = histories.map((entry) => entry.workflowId);
    expect(names).toEqual(
      expect.arrayContaining([
        'refund-succeeded',
        'refund-failed',
        'payout-paid',
        'payout-failed',
        'reconciliation-clean',
        'reconciliation-mismatches',
        'review-accepted',
        'review-refunded',
        'review-refund-refused',
        'review-flagged-acknowledged',
        'resend-event-delivered',
        'resend-event-not-delivered',
        'resend-notification-delivered',
        'resend-notification-refused',
        'site-verification-verified-after-retry',
        'site-verification-failed',
      ]),
    );
  });
});

describe('purchase histories', () => {
  test('the recorded histories cover paid, declined-then-paid, expired, canceled and under-review purchases', () => {
    expect(histories.map((entry) => entry.workflowId)).toEqual(
      expect.arrayContaining(['paid', 'declined-then-paid', 'expired', 'canceled', 'under-review']),
    );
  });

  test('the recorded histories include a run that continued as new, the run it handed its state to, and refused foreign successes', () => {
    const byName = new Map(histories.map((entry) => [entry.workflowId, entry.history]));
    const first = byName.get('continued-as-new-first-run')?.events ?? [];
    expect(first.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
    const next = byName.get('continued-as-new')?.events ?? [];
    const input = next[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
    expect(JSON.parse(Buffer.from(input ?? []).toString('utf8'))).toMatchObject({
      carried: {
        state: { status: 'awaiting_payment', method: 'sandbox_card', attempt: 1, providerPaymentId: 'sp_1' },
        statusSeq: expect.any(Number),
      },
    });
    expect(next.at(-1)?.workflowExecutionCompletedEventAttributes).toBeTruthy();
    expect(histories.map((entry) => entry.workflowId)).toEqual(
      expect.arrayContaining(['foreign-provider-payment', 'success-before-create-answered']),
    );
  });

  test('the recorded histories include successes asked about again after the provider could not say, and runs continued as new mid-choice', () => {
    const names = histories.map((entry) => entry.workflowId);
    expect(names).toEqual(
      expect.arrayContaining([
        'unverified-success-rechecked',
        'unverified-success-flagged-at-expiry',
        'continued-as-new-during-method-choice',
        'callback-carried-across-continue-as-new',
        'unverified-success-carried-across-continue-as-new',
        'method-chosen-while-asking-again',
        'deferred-success-paid-by-status-check',
      ]),
    );
    const rechecked = histories.find((entry) => entry.workflowId === 'unverified-success-rechecked')!.history;
    expect(scheduledActivities(rechecked).filter((name) => name === 'checkProviderPayment')).toHaveLength(2);
  });
});

describe('replay on the production workflow bundle', () => {
  let bundle: WorkflowBundleWithSourceMap;
  beforeAll(async () => {
    bundle = await workflowBundle();
  });

  test.each([...byType.keys()].sort())(
    'every recorded %s history replays on the current workflow code without nondeterminism',
    async (type) => {
      const entries = byType.get(type)!;
      const errors = await replay(bundle, entries);
      expect(errors.size).toBe(entries.length);
      const failures = [...errors].filter(([, error]) => error).map(([name, error]) => `${name}: ${error!.message}`);
      expect(failures).toEqual([]);
    },
  );
});

/**
 * The production workflows with one change: an extra activity scheduled before every activity
 * (through a workflow interceptor, so whatever the workflow files look like).
 */
async function bundleWithExtraActivity(): Promise<WorkflowBundleWithSourceMap> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kassa-replay-'));
  try {
    const interceptor = path.join(dir, 'extra-activity.js');
    fs.writeFileSync(
      interceptor,
      `const { proxyActivities } = require('@temporalio/workflow');
const extra = proxyActivities({ startToCloseTimeout: '1 minute' });
exports.interceptors = () => ({
  outbound: [{
    async scheduleActivity(input, next) {
      if (input.activityType !== 'extraStepBefore') await extra.extraStepBefore(input.activityType);
      return next(input);
    },
  }],
});
`,
    );
    return await bundleWorkflowCode({
      workflowsPath: require.resolve('../../src/workflows'),
      workflowInterceptorModules: [interceptor],
      webpackConfigHook: (config) => ({
        ...config,
        resolve: { ...config.resolve, modules: [...(config.resolve?.modules ?? []), path.join(root, 'node_modules')] },
      }),
      logger: {
        log: () => undefined,
        trace: () => undefined,
        debug: () => undefined,
        info: () => undefined,
        warn: () => undefined,
        error: console.error,
      },
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('a workflow that calls an extra activity before the provider call, or before any activity, fails the replay of every history that reached it', async () => {
  const errors = await replay(await bundleWithExtraActivity(), histories);

  const reachedProvider = histories.filter((entry) =>
    scheduledActivities(entry.history).includes('createProviderPayment'),
  );
  expect(reachedProvider.map((entry) => entry.workflowId)).toEqual(
    expect.arrayContaining(['paid', 'declined-then-paid', 'under-review']),
  );
  const withActivities = histories.filter((entry) => scheduledActivities(entry.history).length > 0);
  expect(new Set(withActivities.map((entry) => entry.workflowType))).toEqual(new Set(productionTypes));
  for (const { workflowId } of [...reachedProvider, ...withActivities]) {
    expect([workflowId, errors.get(workflowId)]).toEqual([workflowId, expect.any(DeterminismViolationError)]);
  }
});
