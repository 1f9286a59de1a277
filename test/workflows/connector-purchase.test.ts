import type { Client, WorkflowHandle, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { NativeConnection } from '@temporalio/worker';
import type { CreateProviderPaymentInput, createActivities, RecordPaymentStatusInput } from '../../src/activities';
import { FailureType } from '../../src/domain/failure-types';
import type { ProviderCallback, ProviderPaymentStatus } from '../../src/providers/types';
import type { purchaseWorkflow } from '../../src/workflows/purchase';
import {
  cancelUpdate,
  connectorResumedSignal,
  providerCallbackSignal,
  type PurchaseInput,
  selectMethodUpdate,
  statusQuery,
} from '../../src/workflows/shared';
import { eventually } from '../support/stack';
import {
  purchaseInput as basePurchaseInput,
  randomSuffix as random,
  temporalForFile,
  withPurchaseWorkflow,
} from '../support/workflow-harness';

// The purchase workflow at connectors, on the real Temporal server with plain-function activities:
// fallback to the next connector, parking at a paused one, canceling at the provider after the outcome.
jest.setTimeout(40_000);

type Activities = Pick<
  ReturnType<typeof createActivities>,
  | 'connectorsForMethod'
  | 'createProviderPayment'
  | 'checkProviderPayment'
  | 'cancelProviderPayment'
  | 'decideLateSuccessRefund'
  | 'recordPaymentStatus'
  | 'flagCallbacks'
  | 'notifyMerchant'
  | 'channelsForEvent'
>;

let client: Client;
let nativeConnection: NativeConnection;
temporalForFile((temporal) => ({ client, nativeConnection } = temporal));

/** One method, polled every minute unless a test says otherwise. */
const purchaseInput = (overrides: Partial<PurchaseInput> = {}): PurchaseInput =>
  basePurchaseInput({ methods: ['sandbox_card'], statusPollSeconds: [60], ...overrides });

const status = (attempt: number, state: ProviderPaymentStatus['state']): ProviderPaymentStatus => ({
  providerPaymentId: `sp_${attempt}`,
  state,
  amountMinor: '5000',
  currency: 'RUB',
});

const succeeded = (input: PurchaseInput, attempt: number): ProviderCallback => ({
  ...status(attempt, 'succeeded'),
  eventId: `sevt_${random()}`,
  paymentId: input.paymentId,
  occurredAt: new Date().toISOString(),
});

/** Two connectors for the method; a provider that creates `sp_<attempt>` and answers `pending`, unless told otherwise. */
function fakeActivities(overrides: Partial<Activities> = {}) {
  const calls = {
    create: [] as CreateProviderPaymentInput[],
    check: [] as { attempt: number; connectorId?: string | null }[],
    cancel: [] as { attempt: number; connectorId: string }[],
    statuses: [] as RecordPaymentStatusInput[],
    flags: [] as { eventId: string; flag: string }[],
    lateRefunds: [] as { paymentId: string; decisionId: string; workflowId: string }[],
  };
  const base: Activities = {
    connectorsForMethod: async () => ({ connectors: ['conn_a', 'conn_b'] }),
    createProviderPayment: async (input) => ({
      providerPaymentId: `sp_${input.attempt}`,
      redirectUrl: `https://provider.example/${input.connectorId}/sp_${input.attempt}`,
    }),
    checkProviderPayment: async (input) => status(input.attempt, 'pending'),
    cancelProviderPayment: async (input) => ({
      status: status(input.attempt, 'canceled'),
      eventId: null,
      supported: true,
    }),
    recordPaymentStatus: async (input) => ({ eventId: input.event?.id ?? null }),
    decideLateSuccessRefund: async (input) => {
      calls.lateRefunds.push(input);
      return {
        decisionId: input.decisionId,
        exceptionId: input.paymentId,
        kind: 'late_success' as const,
        action: 'refund' as const,
        paymentId: input.paymentId,
      };
    },
    flagCallbacks: async (input) => {
      calls.flags.push(...input.flags);
    },
    notifyMerchant: async () => ({ statusCode: 200 }),
    channelsForEvent: async () => ({ eventType: 'payment.paid', channels: [], retrySeconds: null }),
    ...overrides,
  };
  const activities: Activities = {
    ...base,
    createProviderPayment: async (input) => {
      calls.create.push(input);
      return base.createProviderPayment(input);
    },
    checkProviderPayment: async (input) => {
      calls.check.push({ attempt: input.attempt, connectorId: input.connectorId });
      return base.checkProviderPayment(input);
    },
    cancelProviderPayment: async (input) => {
      calls.cancel.push({ attempt: input.attempt, connectorId: input.connectorId });
      return base.cancelProviderPayment(input);
    },
    recordPaymentStatus: async (input) => {
      calls.statuses.push(input);
      return base.recordPaymentStatus(input);
    },
  };
  return { activities, calls };
}

const withWorkflow = (
  activities: Activities,
  input: PurchaseInput,
  body: (handle: WorkflowHandle<typeof purchaseWorkflow>) => Promise<void>,
  historyName?: string,
) => withPurchaseWorkflow({ client, nativeConnection }, activities, input, body, historyName);

/** Why the workflow refused the buyer's choice of sandbox_card. */
const refusal = (handle: WorkflowHandle<typeof purchaseWorkflow>) =>
  handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_card' }] }).then(
    () => 'accepted',
    (error: WorkflowUpdateFailedError) => String(error.cause?.message),
  );

const refused = () =>
  ApplicationFailure.create({ message: 'refused', type: FailureType.ProviderDeclined, nonRetryable: true });

test('a create refused at the first connector is made at the next as a new attempt, and paid there once', async () => {
  const { activities, calls } = fakeActivities({
    createProviderPayment: async (input) => {
      if (input.connectorId === 'conn_a') throw refused();
      return { providerPaymentId: `sp_${input.attempt}`, redirectUrl: `https://b.example/sp_${input.attempt}` };
    },
  });
  const input = purchaseInput();
  await withWorkflow(
    activities,
    input,
    async (handle) => {
      const { redirectUrl } = await handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_card' }] });
      expect(redirectUrl).toBe('https://b.example/sp_2');
      expect(calls.create.map((call) => [call.attempt, call.connectorId])).toEqual([
        [1, 'conn_a'],
        [2, 'conn_b'],
      ]);
      await handle.signal(providerCallbackSignal, succeeded(input, 2));
      await eventually(
        () => handle.query(statusQuery),
        (state) => state.status === 'paid',
      );
      const paid = calls.statuses.filter((write) => write.status === 'paid');
      expect(paid).toHaveLength(1);
      expect(paid[0]!.attempt).toEqual({ attempt: 2, status: 'succeeded', providerPaymentId: 'sp_2' });
      // the buyer never saw the refusal: no way back to the method choice between the two connectors
      expect(calls.statuses.map((write) => write.status)).toEqual(['awaiting_payment', 'paid']);
      // each attempt is in the history, its activity summary naming its connector
      const summaries = (await handle.fetchHistory()).events!.flatMap((event) =>
        event.activityTaskScheduledEventAttributes?.activityType?.name === 'createProviderPayment'
          ? [JSON.parse(Buffer.from(event.userMetadata!.summary!.data!).toString())]
          : [],
      );
      expect(summaries).toEqual([
        expect.stringMatching(/at connector conn_a: .* attempt 1$/),
        expect.stringMatching(/at connector conn_b: .* attempt 2$/),
      ]);
    },
    'fallback-to-second-connector',
  );
});

test('a provider not reached falls back; an unknown outcome never does: that connector is asked again', async () => {
  const unreached = fakeActivities({
    createProviderPayment: async (input) => {
      if (input.connectorId === 'conn_a')
        throw ApplicationFailure.create({ type: FailureType.ProviderUnreached, nonRetryable: true });
      return { providerPaymentId: `sp_${input.attempt}`, redirectUrl: `https://b.example/sp_${input.attempt}` };
    },
  });
  await withWorkflow(unreached.activities, purchaseInput(), async (handle) => {
    await handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_card' }] });
    expect(unreached.calls.create.map((call) => call.connectorId)).toEqual(['conn_a', 'conn_b']);
  });

  const unknown = fakeActivities({
    createProviderPayment: async () => {
      throw ApplicationFailure.create({ type: FailureType.ProviderOutcomeUnknown, nonRetryable: true });
    },
  });
  await withWorkflow(unknown.activities, purchaseInput(), async (handle) => {
    expect(await refusal(handle)).toMatch(/unavailable/);
    expect(unknown.calls.create.map((call) => call.connectorId)).toEqual(['conn_a']);
    expect((await handle.query(statusQuery)).failureReason).toBe('provider_unavailable');
    // the same method again: the same key at the same connector, never another connector
    expect(await refusal(handle)).toMatch(/unavailable/);
    expect(unknown.calls.create.map((call) => [call.attempt, call.connectorId])).toEqual([
      [1, 'conn_a'],
      [1, 'conn_a'],
    ]);
  });
});

test('a key whose outcome is unknown is tried again only at its own connector, even when that one is paused now', async () => {
  const { activities, calls } = fakeActivities({
    createProviderPayment: async () => {
      const type = calls.create.length === 1 ? FailureType.ProviderOutcomeUnknown : FailureType.ConnectorPaused;
      throw ApplicationFailure.create({ type, nonRetryable: true });
    },
  });
  await withWorkflow(activities, purchaseInput(), async (handle) => {
    expect(await refusal(handle)).toMatch(/unavailable/);
    expect(await refusal(handle)).toMatch(/unavailable/);
    expect(calls.create.map((call) => [call.attempt, call.connectorId])).toEqual([
      [1, 'conn_a'],
      [1, 'conn_a'],
    ]);
    // still unsettled: a third choice asks conn_a once more under the same key
    expect(await refusal(handle)).toMatch(/unavailable/);
    expect(calls.create.map((call) => call.connectorId)).toEqual(['conn_a', 'conn_a', 'conn_a']);
  });
});

test('refused at every connector: the buyer chooses again, provider_rejected', async () => {
  const { activities, calls } = fakeActivities({
    createProviderPayment: async () => {
      throw refused();
    },
  });
  await withWorkflow(activities, purchaseInput(), async (handle) => {
    expect(await refusal(handle)).toMatch(/unavailable/);
    expect(calls.create.map((call) => call.connectorId)).toEqual(['conn_a', 'conn_b']);
    const state = await handle.query(statusQuery);
    expect([state.status, state.failureReason]).toEqual(['awaiting_method', 'provider_rejected']);
  });
});

test('a payment at a paused connector parks, is not asked about, and continues when the connector resumes', async () => {
  let paused = false;
  let checksWhilePaused = 0;
  const { activities, calls } = fakeActivities({
    checkProviderPayment: async (input) => {
      if (paused) {
        checksWhilePaused += 1;
        throw ApplicationFailure.create({ type: FailureType.ConnectorPaused, nonRetryable: true });
      }
      return status(input.attempt, 'succeeded');
    },
  });
  const input = purchaseInput({ statusPollSeconds: [2, 600] });
  await withWorkflow(
    activities,
    input,
    async (handle) => {
      paused = true;
      await handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_card' }] });
      await eventually(
        async () => checksWhilePaused,
        (count) => count === 1,
      );
      const parked = await handle.query(statusQuery);
      expect(parked.status).toBe('awaiting_payment');
      // another connector's resume does not wake it
      await handle.signal(connectorResumedSignal, { connectorId: 'conn_b' });
      paused = false;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(calls.check).toHaveLength(1);
      await handle.signal(connectorResumedSignal, { connectorId: 'conn_a' });
      await eventually(
        () => handle.query(statusQuery),
        (state) => state.status === 'paid',
      );
      expect(calls.check.map((call) => call.connectorId)).toEqual(['conn_a', 'conn_a']);
    },
    'parked-then-resumed',
  );
});

test('a parked payment still expires on time, and its provider payment is canceled', async () => {
  const { activities, calls } = fakeActivities({
    checkProviderPayment: async () => {
      throw ApplicationFailure.create({ type: FailureType.ConnectorPaused, nonRetryable: true });
    },
  });
  const input = purchaseInput({ statusPollSeconds: [1], expiresAt: new Date(Date.now() + 4_000).toISOString() });
  await withWorkflow(activities, input, async (handle) => {
    await handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_card' }] });
    await handle.result();
    expect((await handle.query(statusQuery)).status).toBe('expired');
    expect(calls.cancel).toEqual([{ attempt: 1, connectorId: 'conn_a' }]);
  });
});

test('canceled while a provider payment waits: canceled at the provider after the outcome', async () => {
  const { activities, calls } = fakeActivities();
  await withWorkflow(
    activities,
    purchaseInput(),
    async (handle) => {
      await handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_card' }] });
      await handle.executeUpdate(cancelUpdate);
      await handle.result();
      expect(calls.cancel).toEqual([{ attempt: 1, connectorId: 'conn_a' }]);
      expect(calls.flags).toEqual([]);
    },
    'canceled-at-provider',
  );
});

test('a payment canceled before any provider payment cancels nothing at the provider', async () => {
  const { activities, calls } = fakeActivities();
  await withWorkflow(activities, purchaseInput(), async (handle) => {
    await handle.executeUpdate(cancelUpdate);
    await handle.result();
    expect(calls.cancel).toEqual([]);
  });
});

test('a success the provider answers to the cancel is held for the operator like a late callback', async () => {
  const { activities, calls } = fakeActivities({
    cancelProviderPayment: async (input) => ({
      status: status(input.attempt, 'succeeded'),
      eventId: 'cancel-key',
      supported: true,
    }),
  });
  await withWorkflow(activities, purchaseInput(), async (handle) => {
    await handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_card' }] });
    await handle.executeUpdate(cancelUpdate);
    await handle.result();
    expect(calls.flags).toEqual([{ eventId: 'cancel-key', flag: 'contradicts_canceled' }]);
  });
});

test.each([
  ['hold', 0],
  ['refund', 1],
] as const)(
  "a success after expiry, with the checkout's late_success %s: refunded by a review decision only when it says refund",
  async (lateSuccess, refunds) => {
    // the buyer paid just as the payment expired: the cancel finds the provider payment succeeded
    const { activities, calls } = fakeActivities({
      cancelProviderPayment: async (input) => ({
        status: status(input.attempt, 'succeeded'),
        eventId: 'cancel-key',
        supported: true,
      }),
    });
    const input = purchaseInput({ lateSuccess, expiresAt: new Date(Date.now() + 2_000).toISOString() });
    await withWorkflow(
      activities,
      input,
      async (handle) => {
        await handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_card' }] });
        await handle.result();
        expect((await handle.query(statusQuery)).status).toBe('expired');
        expect(calls.flags.map((entry) => entry.flag)).toEqual(['contradicts_expired']);
        expect(calls.lateRefunds).toHaveLength(refunds);
        for (const decision of calls.lateRefunds) {
          expect(decision.workflowId).toBe(`review-${input.paymentId}-${decision.decisionId}`);
          const child = client.workflow.getHandle(decision.workflowId);
          expect((await child.describe()).type).toBe('reviewDecisionWorkflow');
          await child.terminate('test over');
        }
      },
      `late-success-${lateSuccess === 'refund' ? 'refunded' : 'held'}`,
    );
  },
);

test('a connector that takes the buyer by a POST form: the choice answers the form, and the same page again', async () => {
  const form = { method: 'POST' as const, url: 'https://provider.example/pay', fields: { InvId: '17', Sum: '50.00' } };
  const { activities } = fakeActivities({
    createProviderPayment: async (input) => ({
      providerPaymentId: `sp_${input.attempt}`,
      redirectUrl: form.url,
      redirect: form,
    }),
  });
  await withWorkflow(activities, purchaseInput(), async (handle) => {
    const chosen = await handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_card' }] });
    expect(chosen).toEqual({ redirectUrl: form.url, redirect: form });
    expect(await handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_card' }] })).toEqual(chosen);
    expect((await handle.query(statusQuery)).redirect).toEqual(form);
  });
});

test("a run that continues as new carries each attempt's connector: the next run asks the connector the payment waits at", async () => {
  const { activities, calls } = fakeActivities({
    createProviderPayment: async (input) => {
      if (input.connectorId === 'conn_a') throw refused();
      return { providerPaymentId: `sp_${input.attempt}`, redirectUrl: `https://b.example/sp_${input.attempt}` };
    },
  });
  const input = purchaseInput({ statusPollSeconds: [0.2], historyLimit: 40 });
  await withWorkflow(activities, input, async (handle) => {
    const firstRunId = (await handle.describe()).runId;
    await handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_card' }] });
    await eventually(
      async () => (await handle.describe()).runId,
      (runId) => runId !== firstRunId,
    );
    const checksBefore = calls.check.length;
    await eventually(
      async () => calls.check.length,
      (count) => count > checksBefore + 1,
    );
    expect(new Set(calls.check.map((call) => [call.attempt, call.connectorId].join('@')))).toEqual(
      new Set(['2@conn_b']),
    );
    await handle.signal(providerCallbackSignal, succeeded(input, 2));
    await eventually(
      () => handle.query(statusQuery),
      (state) => state.status === 'paid',
    );
  });
});

test('a provider payment made while the payment was being canceled is canceled at the provider too', async () => {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let started!: () => void;
  const creating = new Promise<void>((resolve) => (started = resolve));
  const { activities, calls } = fakeActivities({
    createProviderPayment: async (input) => {
      started();
      await released;
      return { providerPaymentId: `sp_${input.attempt}`, redirectUrl: `https://a.example/sp_${input.attempt}` };
    },
  });
  await withWorkflow(
    activities,
    purchaseInput(),
    async (handle) => {
      const choice = handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_card' }] }).catch(() => null);
      await creating;
      await handle.executeUpdate(cancelUpdate);
      release();
      await choice;
      await handle.result();
      expect((await handle.query(statusQuery)).status).toBe('canceled');
      expect(calls.cancel).toEqual([{ attempt: 1, connectorId: 'conn_a' }]);
    },
    'canceled-while-creating-at-provider',
  );
});
