import type { Client } from '@temporalio/client';
import { type NativeConnection, Worker } from '@temporalio/worker';
import type { createActivities } from '../../src/activities';
import type { ProviderRefund } from '../../src/providers/types';
import { refundSettledSignal } from '../../src/workflows/money-signals';
import type { payoutWorkflow } from '../../src/workflows/payout';
import type { refundWorkflow } from '../../src/workflows/refund';
import { eventually } from '../support/stack';
import { workflowBundle } from '../../worker';
import { randomSuffix as random, temporalForFile } from '../support/workflow-harness';

// Refunds and payouts a provider answers `pending`, on the real Temporal server with plain-function
// activities: settled by the provider's callback (a signal) or by the status-check schedule.
jest.setTimeout(30_000);

type Activities = ReturnType<typeof createActivities>;

let client: Client;
let nativeConnection: NativeConnection;
temporalForFile((temporal) => ({ client, nativeConnection } = temporal));

async function withWorker(activities: Partial<Activities>, body: (taskQueue: string) => Promise<void>) {
  const taskQueue = `money-test-${random()}`;
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: { notifyMerchant: async () => ({ statusCode: 200 }), ...activities },
  });
  await worker.runUntil(() => body(taskQueue));
}

test("a refund answered pending is settled by the provider's callback without waiting for the next status check", async () => {
  const refundId = `re_${random()}`;
  const checks: unknown[] = [];
  const recorded: unknown[] = [];
  const settled: ProviderRefund = {
    providerRefundId: 'sre_1',
    state: 'succeeded',
    amountMinor: '1000',
    currency: 'RUB',
  };
  let asked = false;
  await withWorker(
    {
      refundAtProvider: async () => {
        asked = true;
        return { state: 'pending', providerRefundId: 'sre_1' };
      },
      checkRefundAtProvider: async (input) => {
        checks.push(input);
        return input.answer?.state === 'succeeded'
          ? { state: 'succeeded', providerRefundId: 'sre_1' }
          : { state: 'pending', providerRefundId: 'sre_1' };
      },
      recordRefundOutcome: async (input) => {
        recorded.push(input.outcome);
        return { eventId: null };
      },
    },
    async (taskQueue) => {
      const started = Date.now();
      const handle = await client.workflow.start<typeof refundWorkflow>('refundWorkflow', {
        taskQueue,
        workflowId: `refund-${refundId}`,
        args: [{ refundId, paymentId: `pay_${random()}` }],
      });
      await eventually(
        async () => asked,
        (value) => value,
        10_000,
      );
      await handle.signal(refundSettledSignal, settled);
      expect(await handle.result()).toEqual({ refundId, status: 'succeeded', failureReason: null });
      expect(Date.now() - started).toBeLessThan(4_500);
    },
  );
  expect(checks).toEqual([{ refundId, providerRefundId: 'sre_1', answer: settled }]);
  expect(recorded).toEqual([{ state: 'succeeded', providerRefundId: 'sre_1' }]);
});

test('a payout answered pending is asked about again on the schedule until its answer is final', async () => {
  const payoutId = `po_${random()}`;
  const checks: number[] = [];
  const recorded: unknown[] = [];
  await withWorker(
    {
      payOutAtProvider: async () => ({ state: 'pending', providerPayoutId: 'spo_1' }),
      checkPayoutAtProvider: async (input) => {
        checks.push(Date.now());
        expect(input).toEqual({ payoutId, providerPayoutId: 'spo_1' });
        return { state: 'paid', providerPayoutId: 'spo_1', feeMinor: '10' };
      },
      recordPayoutOutcome: async (input) => {
        recorded.push(input.outcome);
        return { eventId: null };
      },
    },
    async (taskQueue) => {
      const started = Date.now();
      const handle = await client.workflow.start<typeof payoutWorkflow>('payoutWorkflow', {
        taskQueue,
        workflowId: `payout-${payoutId}`,
        args: [{ payoutId }],
      });
      expect(await handle.result()).toEqual({ payoutId, status: 'paid', failureReason: null });
      expect(checks).toHaveLength(1);
      expect(checks[0]! - started).toBeGreaterThanOrEqual(4_500);
    },
  );
  expect(recorded).toEqual([{ state: 'paid', providerPayoutId: 'spo_1', feeMinor: '10' }]);
});
