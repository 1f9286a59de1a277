import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { historiesDir, historyFromJson } from '../../scripts/record-histories';
import { workflowBundle } from '../../worker';

// Histories of real runs (recorded by `npx tsx scripts/record-histories.ts`) replayed against the
// workflow code as it is now: a change that would break payments already running fails here.
jest.setTimeout(120_000);

const root = path.resolve(__dirname, '../..');
const histories = fs
  .readdirSync(historiesDir)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => ({
    workflowId: path.basename(file, '.json'),
    history: historyFromJson(fs.readFileSync(path.join(historiesDir, file), 'utf8')),
  }));

async function replayAll(bundle: WorkflowBundleWithSourceMap) {
  const errors = new Map<string, Error | undefined>();
  for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) {
    errors.set(result.workflowId, result.error);
  }
  return errors;
}

/** The activity types a history scheduled, in order. */
const scheduledActivities = (history: (typeof histories)[number]['history']) =>
  (history.events ?? []).flatMap((event) => event.activityTaskScheduledEventAttributes?.activityType?.name ?? []);

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

test('every recorded purchase history replays on the current workflow code without nondeterminism', async () => {
  const errors = await replayAll(await workflowBundle());
  expect(errors.size).toBe(histories.length);
  const failures = [...errors].filter(([, error]) => error).map(([name, error]) => `${name}: ${error!.message}`);
  expect(failures).toEqual([]);
});

test('a workflow that calls an extra activity before the provider call fails the replay of every history that reached the provider', async () => {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'kassa-replay-'));
  try {
    fs.cpSync(path.join(root, 'src'), path.join(copy, 'src'), { recursive: true });
    const file = path.join(copy, 'src/workflows/purchase.ts');
    const anchor = '      created = await providerCreate.createProviderPayment.executeWithOptions({ summary }, [';
    const source = fs.readFileSync(file, 'utf8');
    expect(source).toContain(anchor); // when the workflow changes shape, move the anchor with it
    fs.writeFileSync(
      file,
      source.replace(
        anchor,
        `      await providerCheck.checkProviderPayment({ paymentId: input.paymentId, attempt, method });\n${anchor}`,
      ),
    );
    const changed = await bundleWorkflowCode({
      workflowsPath: path.join(copy, 'src/workflows'),
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

    const errors = await replayAll(changed);
    const reachedProvider = histories.filter((entry) =>
      scheduledActivities(entry.history).includes('createProviderPayment'),
    );
    expect(reachedProvider.map((entry) => entry.workflowId)).toEqual(
      expect.arrayContaining(['paid', 'declined-then-paid', 'under-review']),
    );
    for (const { workflowId } of reachedProvider) {
      expect([workflowId, errors.get(workflowId)]).toEqual([workflowId, expect.any(DeterminismViolationError)]);
    }
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
});
