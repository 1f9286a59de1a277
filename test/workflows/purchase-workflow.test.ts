import fs from 'node:fs';
import path from 'node:path';
import { historiesDir, historyToJson } from '../../scripts/record-histories';
import { type Client, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { NativeConnection } from '@temporalio/worker';
import type { CreateProviderPaymentInput, createActivities, RecordPaymentStatusInput } from '../../src/activities';
import type { ProviderCallback, ProviderPaymentStatus } from '../../src/providers/types';
import type { purchaseWorkflow } from '../../src/workflows/purchase';
import {
  cancelUpdate,
  providerCallbackSignal,
  type PurchaseInput,
  selectMethodUpdate,
  statusQuery,
} from '../../src/workflows/shared';
import { eventually } from '../support/stack';
import {
  purchaseInput,
  randomSuffix as random,
  temporalForFile,
  withPurchaseWorkflow,
} from '../support/workflow-harness';

// The purchase workflow on the real Temporal server with plain-function activities: the races and
// provider failures that a real sandbox cannot be made to produce on cue.
jest.setTimeout(30_000);

/** The activities purchaseWorkflow calls. */
type Activities = Pick<
  ReturnType<typeof createActivities>,
  | 'connectorsForMethod'
  | 'cancelProviderPayment'
  | 'createProviderPayment'
  | 'checkProviderPayment'
  | 'recordPaymentStatus'
  | 'flagCallbacks'
  | 'notifyMerchant'
  | 'channelsForEvent'
>;

let client: Client;
let nativeConnection: NativeConnection;
temporalForFile((temporal) => ({ client, nativeConnection } = temporal));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Activities that record their calls; a provider that creates at once and says `pending` unless told otherwise. */
/** What the fake provider answers a create: its payment `sp_<attempt>` and that payment's checkout page. */
const providerCreated = (input: { attempt: number }) => ({
  providerPaymentId: `sp_${input.attempt}`,
  redirectUrl: `https://sandbox.example/checkout/sp_${input.attempt}`,
});

/** What the fake provider answers a check: its payment `sp_<attempt>` of 50.00 RUB, in `state`. */
const providerStatus = (input: { attempt: number }, state: ProviderPaymentStatus['state']): ProviderPaymentStatus => ({
  providerPaymentId: `sp_${input.attempt}`,
  state,
  amountMinor: '5000',
  currency: 'RUB',
});

/** A promise and the function that resolves it: `const [opened, open] = gate()`. */
function gate(): [Promise<void>, () => void] {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return [opened, open];
}

function fakeActivities(overrides: Partial<Activities> = {}) {
  const calls = {
    create: [] as CreateProviderPaymentInput[],
    check: [] as { attempt: number; method: string }[],
    statuses: [] as RecordPaymentStatusInput[],
    flags: [] as { eventId: string; flag: string }[],
    notified: [] as string[],
  };
  const activities: Activities = {
    async connectorsForMethod() {
      return { connectors: ['conn_test'] };
    },
    async cancelProviderPayment() {
      return { status: null, eventId: null, supported: false };
    },
    async createProviderPayment(input) {
      return providerCreated(input);
    },
    async checkProviderPayment(input): Promise<ProviderPaymentStatus | null> {
      return providerStatus(input, 'pending');
    },
    async recordPaymentStatus(input) {
      return { eventId: input.event?.id ?? null };
    },
    async flagCallbacks(input) {
      calls.flags.push(...input.flags);
    },
    async notifyMerchant(input) {
      calls.notified.push(input.eventId);
      return { statusCode: 200 };
    },
    async channelsForEvent() {
      return { eventType: 'payment.paid', channels: [], retrySeconds: null };
    },
    ...overrides,
  };
  const recorded: Activities = {
    ...activities,
    createProviderPayment: async (input) => {
      calls.create.push(input);
      return activities.createProviderPayment(input);
    },
    checkProviderPayment: async (input) => {
      calls.check.push({ attempt: input.attempt, method: input.method });
      return activities.checkProviderPayment(input);
    },
    recordPaymentStatus: async (input) => {
      calls.statuses.push(input);
      return activities.recordPaymentStatus(input);
    },
  };
  return { activities: recorded, calls };
}

const withWorkflow = (
  activities: Activities,
  input: PurchaseInput,
  body: (handle: WorkflowHandle<typeof purchaseWorkflow>) => Promise<void>,
  historyName?: string,
) => withPurchaseWorkflow({ client, nativeConnection }, activities, input, body, historyName);

/** Status writes carry workflow time in ms × 1000 plus a count within the ms: increasing, and no older than `since`. */
function expectClockOrdered(seqs: number[], since: number) {
  expect(seqs.length).toBeGreaterThan(0);
  seqs.forEach((seq, index) => {
    expect(seq).toBeGreaterThanOrEqual((since - 5_000) * 1000);
    expect(seq).toBeLessThanOrEqual((Date.now() + 1) * 1000);
    if (index > 0) expect(seq).toBeGreaterThan(seqs[index - 1]!);
  });
}

const statusOf = (handle: WorkflowHandle<typeof purchaseWorkflow>) => handle.query(statusQuery);
const succeeded = (input: PurchaseInput, attempt: number, eventId = `sevt_${random()}`): ProviderCallback => ({
  eventId,
  providerPaymentId: `sp_${attempt}`,
  paymentId: input.paymentId,
  state: 'succeeded',
  amountMinor: input.amountMinor,
  currency: input.currency,
  occurredAt: new Date().toISOString(),
});

test('a method chosen at creation and chosen again while its provider payment is being made gives one provider payment', async () => {
  const { activities, calls } = fakeActivities({
    createProviderPayment: async (input) => {
      await sleep(500);
      return providerCreated(input);
    },
  });
  const input = purchaseInput({ method: 'sandbox_card' });
  await withWorkflow(
    activities,
    input,
    async (handle) => {
      const [first, second] = await Promise.all([
        handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_card' }] }),
        handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_card' }] }),
      ]);
      expect(first.redirectUrl).toBe('https://sandbox.example/checkout/sp_1');
      expect(second).toEqual(first);
      await expect(
        handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_wallet' }] }),
      ).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
      expect(calls.create.map((call) => [call.attempt, call.method])).toEqual([[1, 'sandbox_card']]);
      expect(calls.statuses.map((change) => change.status)).toEqual(['awaiting_payment']);
    },
    'method-chosen-twice',
  );
});

test('when creating a provider payment gets no answer, the buyer cannot start another one under a new key while the first is unsettled', async () => {
  let createFailures = 5;
  let firstAttempt: 'pending' | 'unknown to the provider' = 'pending';
  const { activities, calls } = fakeActivities({
    createProviderPayment: async (input) => {
      if (createFailures-- > 0)
        throw ApplicationFailure.create({
          message: 'connection lost after sending',
          type: 'ProviderError',
          nextRetryDelay: '10ms',
        });
      return providerCreated(input);
    },
    checkProviderPayment: async (input) => (firstAttempt === 'pending' ? providerStatus(input, 'pending') : null),
  });
  const input = purchaseInput();
  await withWorkflow(
    activities,
    input,
    async (handle) => {
      await expect(handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_card' }] })).rejects.toThrow(
        WorkflowUpdateFailedError,
      );
      expect(await statusOf(handle)).toMatchObject({
        status: 'awaiting_method',
        failureReason: 'provider_unavailable',
      });

      // Another method while the provider may hold a payment under the first key: refused.
      const refused = await handle
        .executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_wallet' }] })
        .catch((error) => error);
      expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(refused.cause.message).toMatch(/not settled/);
      expect(calls.check).toEqual([{ attempt: 1, method: 'sandbox_card' }]);

      // The provider never saw that key: the other method goes under it, not under a new one.
      firstAttempt = 'unknown to the provider';
      const chosen = await handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_wallet' }] });
      expect(chosen.redirectUrl).toBe('https://sandbox.example/checkout/sp_1');
      expect(new Set(calls.create.map((call) => call.attempt))).toEqual(new Set([1]));
      expect(calls.create.at(-1)).toMatchObject({ attempt: 1, method: 'sandbox_wallet' });
    },
    'create-unsettled',
  );
});

test('the same method chosen again after a create with no answer reuses the same provider key', async () => {
  let createFailures = 5;
  const { activities, calls } = fakeActivities({
    createProviderPayment: async (input) => {
      if (createFailures-- > 0)
        throw ApplicationFailure.create({ message: 'timeout', type: 'ProviderError', nextRetryDelay: '10ms' });
      return providerCreated(input);
    },
  });
  await withWorkflow(activities, purchaseInput(), async (handle) => {
    await expect(handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_card' }] })).rejects.toThrow(
      WorkflowUpdateFailedError,
    );
    await handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_card' }] });
    expect(calls.create.map((call) => call.attempt)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(calls.check).toEqual([]);
    expect((await statusOf(handle)).status).toBe('awaiting_payment');
  });
});

test('while the provider cannot be asked, the payment does not expire; it expires once the provider says it is still pending', async () => {
  let reachable = false;
  const { activities, calls } = fakeActivities({
    checkProviderPayment: async (input) => {
      if (!reachable) throw ApplicationFailure.nonRetryable('provider is down', 'ProviderError');
      return providerStatus(input, 'pending');
    },
  });
  const input = purchaseInput({ expiresAt: new Date(Date.now() + 3_000).toISOString() });
  await withWorkflow(
    activities,
    input,
    async (handle) => {
      await handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_card' }] });
      await eventually(
        async () => calls.check.length,
        (count) => count >= 3,
        10_000,
      );
      expect(Date.now()).toBeGreaterThan(Date.parse(input.expiresAt));
      expect((await statusOf(handle)).status).toBe('awaiting_payment');

      reachable = true;
      await eventually(
        () => statusOf(handle),
        (state) => state.status === 'expired',
        10_000,
      );
      expect(calls.statuses.map((change) => change.status)).toEqual(['awaiting_payment', 'expired']);
      expect(calls.create).toHaveLength(1);
    },
    'provider-unreachable-past-expiry',
  );
});

test('a provider answer that arrives after the merchant canceled does not make the payment paid', async () => {
  const [askedOnce, asked] = gate();
  const { activities, calls } = fakeActivities({
    checkProviderPayment: async (input) => {
      asked();
      await sleep(1_000);
      return providerStatus(input, 'succeeded');
    },
  });
  await withWorkflow(
    activities,
    purchaseInput(),
    async (handle) => {
      await handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_card' }] });
      await askedOnce;
      expect((await handle.executeUpdate(cancelUpdate)).status).toBe('canceled');
      const result = await handle.result();
      expect(result.status).toBe('canceled');
      expect(calls.statuses.map((change) => change.status)).toEqual(['awaiting_payment', 'canceled']);
      expect(calls.notified).toHaveLength(1);
    },
    'canceled-during-status-check',
  );
});

test('a callback that arrives while the expiry is being recorded is flagged for review, and the payment stays expired', async () => {
  const [recordingExpiry, recording] = gate();
  const { activities, calls } = fakeActivities({
    recordPaymentStatus: async (input) => {
      if (input.status === 'expired') {
        recording();
        await sleep(1_000);
      }
      return { eventId: input.event?.id ?? null };
    },
  });
  const input = purchaseInput({ expiresAt: new Date(Date.now() + 3_000).toISOString(), statusPollSeconds: [60] });
  await withWorkflow(
    activities,
    input,
    async (handle) => {
      await handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_card' }] });
      await recordingExpiry;
      const late = succeeded(input, 1);
      await handle.signal(providerCallbackSignal, late);
      await handle.signal(providerCallbackSignal, { ...late, eventId: `sevt_${random()}`, state: 'pending' });
      expect((await handle.result()).status).toBe('expired');
      expect(calls.flags).toEqual([{ eventId: late.eventId, flag: 'contradicts_expired' }]);
      expect(calls.statuses.map((change) => change.status)).toEqual(['awaiting_payment', 'expired']);
    },
    'late-callback-flagged',
  );
});

test('a callback signalled twice confirms the payment once, and a decline of an earlier provider payment changes nothing', async () => {
  const started = Date.now();
  const { activities, calls } = fakeActivities();
  const input = purchaseInput();
  await withWorkflow(activities, input, async (handle) => {
    await handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_card' }] });
    await handle.signal(providerCallbackSignal, {
      ...succeeded(input, 1, 'sevt_decline'),
      state: 'declined',
      declineReason: 'card_declined',
    });
    await eventually(
      () => statusOf(handle),
      (state) => state.status === 'awaiting_method',
    );
    await handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_wallet' }] });
    await handle.signal(providerCallbackSignal, { ...succeeded(input, 1, 'sevt_decline_again'), state: 'declined' });
    const paid = succeeded(input, 2, 'sevt_paid');
    await handle.signal(providerCallbackSignal, paid);
    await handle.signal(providerCallbackSignal, paid);
    expect((await handle.result()).status).toBe('paid');
    expect(calls.statuses.map((change) => [change.status, change.event?.type ?? null])).toEqual([
      ['awaiting_payment', null],
      ['awaiting_method', null],
      ['awaiting_payment', null],
      ['paid', 'payment.paid'],
    ]);
    expectClockOrdered(
      calls.statuses.map((change) => change.seq),
      started,
    );
    expect(calls.notified).toEqual([calls.statuses[3]!.event!.id]);
    expect(calls.create.map((call) => [call.attempt, call.method])).toEqual([
      [1, 'sandbox_card'],
      [2, 'sandbox_wallet'],
    ]);
  });
});

test('a success naming a provider payment this payment never made is refused and flagged; its own provider payment then pays it', async () => {
  const { activities, calls } = fakeActivities();
  const input = purchaseInput();
  await withWorkflow(
    activities,
    input,
    async (handle) => {
      await handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_card' }] });
      const foreign = { ...succeeded(input, 1, 'sevt_foreign'), providerPaymentId: 'sp_of_another_payment' };
      await handle.signal(providerCallbackSignal, foreign);
      await eventually(
        async () => calls.flags,
        (flags) => flags.length > 0,
        10_000,
      );
      expect(calls.flags).toEqual([{ eventId: 'sevt_foreign', flag: 'foreign_provider_payment' }]);
      expect(await statusOf(handle)).toMatchObject({ status: 'awaiting_payment', providerPaymentId: 'sp_1' });

      await handle.signal(providerCallbackSignal, succeeded(input, 1, 'sevt_own'));
      expect(await handle.result()).toMatchObject({ status: 'paid', providerPaymentId: 'sp_1' });
      expect(calls.statuses.map((change) => [change.status, change.providerPaymentId])).toEqual([
        ['awaiting_payment', 'sp_1'],
        ['paid', 'sp_1'],
      ]);
      expect(calls.check).toEqual([]); // every provider payment of this payment was known: nobody needed asking
      expect(calls.notified).toHaveLength(1);
    },
    'foreign-provider-payment',
  );
});

test('a success that arrives before the provider answered the create is checked with the provider: a stranger is flagged, its own payment pays', async () => {
  const [createAnswered, answerCreate] = gate();
  const { activities, calls } = fakeActivities({
    createProviderPayment: async (input) => {
      await createAnswered;
      return providerCreated(input);
    },
  });
  const input = purchaseInput({ statusPollSeconds: [60] });
  await withWorkflow(
    activities,
    input,
    async (handle) => {
      const choice = handle
        .executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_card' }] })
        .catch((error) => error);
      await eventually(
        async () => calls.create.length,
        (count) => count === 1,
        10_000,
      );

      await handle.signal(providerCallbackSignal, {
        ...succeeded(input, 1, 'sevt_stranger'),
        providerPaymentId: 'sp_elsewhere',
      });
      await eventually(
        async () => calls.flags,
        (flags) => flags.length > 0,
        10_000,
      );
      expect(calls.flags).toEqual([{ eventId: 'sevt_stranger', flag: 'foreign_provider_payment' }]);
      expect(calls.check).toEqual([{ attempt: 1, method: 'sandbox_card' }]);
      expect((await statusOf(handle)).status).toBe('awaiting_payment');

      await handle.signal(providerCallbackSignal, succeeded(input, 1, 'sevt_early'));
      await eventually(
        () => statusOf(handle),
        (state) => state.status === 'paid',
        10_000,
      );
      answerCreate();
      expect(await choice).toBeInstanceOf(WorkflowUpdateFailedError); // the buyer has paid meanwhile
      expect(await handle.result()).toMatchObject({ status: 'paid', providerPaymentId: 'sp_1' });
      expect(calls.statuses.map((change) => change.status)).toEqual(['paid']);
      expect(calls.flags).toHaveLength(1);
    },
    'success-before-create-answered',
  );
});

test('a payment whose history grows past its limit continues as new with its state, and a callback then pays it once', async () => {
  const started = Date.now();
  const { activities, calls } = fakeActivities();
  const input = purchaseInput({ statusPollSeconds: [0.2], historyLimit: 40 });
  await withWorkflow(
    activities,
    input,
    async (handle) => {
      const firstRunId = (await handle.describe()).runId;
      await handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_card' }] });
      await handle.signal(providerCallbackSignal, { ...succeeded(input, 1, 'sevt_pending'), state: 'pending' });
      const firstRun = client.workflow.getHandle(handle.workflowId, firstRunId);
      await eventually(
        () => firstRun.describe(),
        (described) => described.status.name === 'CONTINUED_AS_NEW',
        20_000,
      );
      const latest = await client.workflow.getHandle(handle.workflowId).describe();
      expect(latest.runId).not.toBe(firstRunId);
      expect(latest.status.name).toBe('RUNNING');

      // The next run knows what the first one knew: the method, the provider payment, the poll schedule.
      expect(await statusOf(handle)).toMatchObject({
        status: 'awaiting_payment',
        method: 'sandbox_card',
        attempt: 1,
        providerPaymentId: 'sp_1',
      });
      const checksBefore = calls.check.length;
      await eventually(
        async () => calls.check.length,
        (count) => count > checksBefore,
        10_000,
      );
      expect(calls.check.every((check) => check.attempt === 1)).toBe(true);

      const paid = succeeded(input, 1, 'sevt_paid');
      await handle.signal(providerCallbackSignal, paid);
      await handle.signal(providerCallbackSignal, paid);
      expect(await handle.result()).toMatchObject({ status: 'paid', providerPaymentId: 'sp_1' });
      expect(calls.statuses.map((change) => change.status)).toEqual(['awaiting_payment', 'paid']);
      expectClockOrdered(
        calls.statuses.map((change) => change.seq),
        started,
      );
      expect(calls.notified).toEqual([calls.statuses[1]!.event!.id]);
      expect(calls.create).toHaveLength(1);
      if (process.env.RECORD_HISTORIES === '1') {
        fs.writeFileSync(
          path.join(historiesDir, 'continued-as-new-first-run.json'),
          historyToJson(await firstRun.fetchHistory()),
        );
      }
    },
    'continued-as-new',
  );
});

/** A create whose request may have reached the provider: retried, and unsettled if every try fails. */
const lostCreate = () =>
  ApplicationFailure.create({
    message: 'connection lost after sending',
    type: 'ProviderError',
    nextRetryDelay: '10ms',
  });
const chooseCard = (handle: WorkflowHandle<typeof purchaseWorkflow>) =>
  handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_card' }] });
/** Waits until the run `runId` has continued as new. */
const continuedAsNew = (handle: WorkflowHandle<typeof purchaseWorkflow>, runId: string, timeoutMs: number) =>
  eventually(
    () => client.workflow.getHandle(handle.workflowId, runId).describe(),
    (run) => run.status.name === 'CONTINUED_AS_NEW',
    timeoutMs,
  );

test('a success that arrives while the provider cannot say whose it is is asked about again and pays the payment once', async () => {
  let createFailures = 5;
  let checks = 0;
  const { activities, calls } = fakeActivities({
    createProviderPayment: async (input) => {
      if (createFailures-- > 0) throw lostCreate();
      return providerCreated(input);
    },
    checkProviderPayment: async (input) => {
      if (checks++ === 0) throw ApplicationFailure.nonRetryable('provider is down', 'ProviderError');
      return providerStatus(input, 'succeeded');
    },
  });
  const input = purchaseInput();
  await withWorkflow(
    activities,
    input,
    async (handle) => {
      await expect(chooseCard(handle)).rejects.toThrow(WorkflowUpdateFailedError);
      expect(await statusOf(handle)).toMatchObject({
        status: 'awaiting_method',
        failureReason: 'provider_unavailable',
      });

      // The buyer paid under the key whose create never answered; the provider is down when its success arrives.
      const paid = succeeded(input, 1, 'sevt_while_down');
      await handle.signal(providerCallbackSignal, paid);
      await handle.signal(providerCallbackSignal, paid);
      await eventually(
        () => statusOf(handle),
        (state) => state.status !== 'awaiting_method',
        15_000,
      );
      expect(await handle.result()).toMatchObject({
        status: 'paid',
        method: 'sandbox_card',
        attempt: 1,
        providerPaymentId: 'sp_1',
      });
      expect(calls.check).toEqual([
        { attempt: 1, method: 'sandbox_card' },
        { attempt: 1, method: 'sandbox_card' },
      ]);
      expect(calls.flags).toEqual([]);
      expect(calls.statuses.map((change) => change.status)).toEqual(['awaiting_method', 'paid']);
      expect(calls.notified).toHaveLength(1);
    },
    'unverified-success-rechecked',
  );
});

test('a success whose provider payment stays unverified is asked about again at expiry, then flagged when the payment expires', async () => {
  const checkedAt: number[] = [];
  const { activities, calls } = fakeActivities({
    createProviderPayment: async () => {
      throw ApplicationFailure.create({ message: 'timeout', type: 'ProviderError', nextRetryDelay: '10ms' });
    },
    checkProviderPayment: async () => {
      checkedAt.push(Date.now());
      throw ApplicationFailure.nonRetryable('provider is down', 'ProviderError');
    },
  });
  const input = purchaseInput({ expiresAt: new Date(Date.now() + 10_000).toISOString(), statusPollSeconds: [60] });
  await withWorkflow(
    activities,
    input,
    async (handle) => {
      await expect(chooseCard(handle)).rejects.toThrow(WorkflowUpdateFailedError);
      expect(await statusOf(handle)).toMatchObject({
        status: 'awaiting_method',
        failureReason: 'provider_unavailable',
      });
      await handle.signal(providerCallbackSignal, succeeded(input, 1, 'sevt_never_verified'));
      await eventually(
        async () => checkedAt.length,
        (count) => count === 1,
        5_000,
      );
      expect(await handle.result()).toMatchObject({ status: 'expired' });
      expect(checkedAt).toHaveLength(2);
      expect(checkedAt[1]!).toBeGreaterThanOrEqual(Date.parse(input.expiresAt) - 100);
      expect(calls.flags).toEqual([{ eventId: 'sevt_never_verified', flag: 'unverified_provider_payment' }]);
      expect(calls.statuses.map((change) => change.status)).toEqual(['awaiting_method', 'expired']);
    },
    'unverified-success-flagged-at-expiry',
  );
});

test('a success still unverified when the payment continues as new is handed over and asked about in the next run, which it pays', async () => {
  let createFailures = 5;
  let providerUp = false;
  const { activities, calls } = fakeActivities({
    createProviderPayment: async (input) => {
      if (createFailures-- > 0) throw lostCreate();
      return providerCreated(input);
    },
    checkProviderPayment: async (input) => {
      if (!providerUp) throw ApplicationFailure.nonRetryable('provider is down', 'ProviderError');
      return providerStatus(input, 'succeeded');
    },
  });
  // Each try at the deferred success adds to the history: the run soon continues as new with it.
  const input = purchaseInput({ historyLimit: 60 });
  await withWorkflow(
    activities,
    input,
    async (handle) => {
      const firstRunId = (await handle.describe()).runId;
      await expect(chooseCard(handle)).rejects.toThrow(WorkflowUpdateFailedError);
      await handle.signal(providerCallbackSignal, succeeded(input, 1, 'sevt_while_down'));
      await continuedAsNew(handle, firstRunId, 20_000);

      const carried = await carriedInto(handle);
      expect(carried.deferredCallbacks?.map((callback) => callback.eventId)).toEqual(['sevt_while_down']);
      expect(carried.state.status).toBe('awaiting_method');
      const checksBefore = calls.check.length;
      expect(checksBefore).toBeGreaterThanOrEqual(2);
      providerUp = true;
      expect(await handle.result()).toMatchObject({ status: 'paid', attempt: 1, providerPaymentId: 'sp_1' });
      expect(calls.check.length).toBeGreaterThan(checksBefore);
      expect(calls.flags).toEqual([]);
      expect(calls.statuses.map((change) => change.status)).toEqual(['awaiting_method', 'paid']);
    },
    'unverified-success-carried-across-continue-as-new',
  );
});

test('a method choice that finishes while the workflow asks about an unverified success gets its poll schedule from the start', async () => {
  let createFailures = 5;
  let checks = 0;
  const { activities, calls } = fakeActivities({
    createProviderPayment: async (input) => {
      if (createFailures-- > 0) throw lostCreate();
      return providerCreated(input);
    },
    checkProviderPayment: async (input) => {
      checks += 1;
      if (checks === 2) await sleep(2_000);
      if (checks <= 2) throw ApplicationFailure.nonRetryable('provider is down', 'ProviderError');
      return providerStatus(input, 'pending');
    },
  });
  // Deferred successes are asked about after 1 s, then after 30 s; a provider payment is checked 1 s after it is made.
  const input = purchaseInput({ statusPollSeconds: [1, 30] });
  await withWorkflow(
    activities,
    input,
    async (handle) => {
      await expect(chooseCard(handle)).rejects.toThrow(WorkflowUpdateFailedError);
      await handle.signal(providerCallbackSignal, {
        ...succeeded(input, 1, 'sevt_elsewhere'),
        providerPaymentId: 'sp_elsewhere',
      });
      await eventually(
        async () => calls.check.length,
        (count) => count === 2,
        10_000,
      );

      // While the provider is asked again (slowly), the buyer chooses the card again and its payment is made.
      expect(await chooseCard(handle)).toEqual({ redirectUrl: 'https://sandbox.example/checkout/sp_1' });
      // Its first status check is due a second later (the deferred success is not asked about for 30 s).
      await eventually(
        async () => calls.check.length,
        (count) => count >= 3,
        6_000,
      );
      expect(calls.check.at(-1)).toEqual({ attempt: 1, method: 'sandbox_card' });
      expect(calls.flags).toEqual([]);
      expect(await statusOf(handle)).toMatchObject({ status: 'awaiting_payment', providerPaymentId: 'sp_1' });
    },
    'method-chosen-while-asking-again',
  );
});

test("a deferred success of the payment's own provider payment is not flagged when a status check pays the payment first", async () => {
  const [createHeld, releaseCreate] = gate();
  let createAnswered = false;
  const { activities, calls } = fakeActivities({
    createProviderPayment: async (input) => {
      await createHeld;
      createAnswered = true;
      return providerCreated(input);
    },
    checkProviderPayment: async (input) => {
      if (!createAnswered) throw ApplicationFailure.nonRetryable('provider is down', 'ProviderError');
      return providerStatus(input, 'succeeded');
    },
  });
  // The deferred success is asked about after 0.5 s, then after 10 s; the provider payment is checked 0.5 s after it is made.
  const input = purchaseInput({ statusPollSeconds: [0.5, 10] });
  await withWorkflow(
    activities,
    input,
    async (handle) => {
      const choice = chooseCard(handle);
      await eventually(
        async () => calls.create.length,
        (count) => count === 1,
        10_000,
      );
      await handle.signal(providerCallbackSignal, succeeded(input, 1, 'sevt_early'));
      await eventually(
        async () => calls.check.length,
        (count) => count === 2,
        10_000,
      );
      releaseCreate();
      await choice;
      expect(await handle.result()).toMatchObject({ status: 'paid', providerPaymentId: 'sp_1' });
      expect(calls.check).toHaveLength(3);
      expect(calls.flags).toEqual([]);
      expect(calls.statuses.map((change) => change.status)).toEqual(['awaiting_payment', 'paid']);
    },
    'deferred-success-paid-by-status-check',
  );
});

/** What a run continued as new was handed by the run before it. */
async function carriedInto(
  handle: WorkflowHandle<typeof purchaseWorkflow>,
): Promise<NonNullable<PurchaseInput['carried']>> {
  const history = await client.workflow.getHandle(handle.workflowId).fetchHistory();
  const data = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
  const carried = (JSON.parse(Buffer.from(data ?? []).toString('utf8')) as PurchaseInput).carried;
  expect(carried).toBeDefined();
  return carried!;
}

/** Signals `pending` callbacks until the run waits to continue as new (its history past the limit) for the handler in flight. */
async function fillHistoryUntilContinuing(handle: WorkflowHandle<typeof purchaseWorkflow>, input: PurchaseInput) {
  const details = async () =>
    (await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails ?? '';
  for (let sent = 0; !(await details()).includes('continuing as new'); sent += 1) {
    expect(sent).toBeLessThan(100);
    await handle.signal(providerCallbackSignal, { ...succeeded(input, 1, `sevt_filler_${sent}`), state: 'pending' });
  }
}

test('a run that continues as new while a method choice is in flight hands over the new provider payment with a fresh poll schedule', async () => {
  const [createHeld, releaseCreate] = gate();
  const { activities, calls } = fakeActivities({
    createProviderPayment: async (input) => {
      if (input.attempt === 2) await createHeld;
      return providerCreated(input);
    },
  });
  const input = purchaseInput({ statusPollSeconds: [0.2, 0.2, 60], historyLimit: 120 });
  await withWorkflow(
    activities,
    input,
    async (handle) => {
      const firstRunId = (await handle.describe()).runId;
      await handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_card' }] });
      // Two quick checks of the card payment; its next one is a minute away.
      await eventually(
        async () => calls.check.length,
        (count) => count >= 2,
        10_000,
      );
      await handle.signal(providerCallbackSignal, { ...succeeded(input, 1, 'sevt_declined'), state: 'declined' });
      await eventually(
        () => statusOf(handle),
        (state) => state.status === 'awaiting_method',
        10_000,
      );

      const choice = handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_wallet' }] });
      await eventually(
        async () => calls.create.length,
        (count) => count === 2,
        10_000,
      );
      expect((await handle.describe()).runId).toBe(firstRunId);
      await fillHistoryUntilContinuing(handle, input);
      const handedOverAfter = Date.now();
      releaseCreate();
      expect(await choice).toEqual({ redirectUrl: 'https://sandbox.example/checkout/sp_2' });
      await continuedAsNew(handle, firstRunId, 10_000);

      const carried = await carriedInto(handle);
      expect(carried.state).toMatchObject({
        status: 'awaiting_payment',
        method: 'sandbox_wallet',
        attempt: 2,
        providerPaymentId: 'sp_2',
      });
      expect(carried.polls).toBe(0);
      expect(carried.nextPollAt).toBeGreaterThanOrEqual(handedOverAfter - 1_000);
      expect(carried.nextPollAt).toBeLessThanOrEqual(Date.now() + 200);
      await eventually(
        async () => calls.check.filter((check) => check.attempt === 2).length,
        (count) => count >= 1,
        5_000,
      );

      await handle.signal(providerCallbackSignal, succeeded(input, 2, 'sevt_paid'));
      expect(await handle.result()).toMatchObject({
        status: 'paid',
        method: 'sandbox_wallet',
        providerPaymentId: 'sp_2',
      });
      expect(calls.statuses.map((change) => change.status)).toEqual([
        'awaiting_payment',
        'awaiting_method',
        'awaiting_payment',
        'paid',
      ]);
    },
    'continued-as-new-during-method-choice',
  );
});

test('a success received while a run waits to continue as new is handed over unhandled, and pays the payment once in the next run', async () => {
  const [createHeld, releaseCreate] = gate();
  const { activities, calls } = fakeActivities({
    createProviderPayment: async (input) => {
      await createHeld;
      return providerCreated(input);
    },
  });
  const input = purchaseInput({ statusPollSeconds: [60], historyLimit: 40 });
  await withWorkflow(
    activities,
    input,
    async (handle) => {
      const firstRunId = (await handle.describe()).runId;
      const choice = handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_card' }] });
      await eventually(
        async () => calls.create.length,
        (count) => count === 1,
        10_000,
      );
      await fillHistoryUntilContinuing(handle, input);
      await handle.signal(providerCallbackSignal, succeeded(input, 1, 'sevt_queued'));
      releaseCreate();
      await choice;
      await continuedAsNew(handle, firstRunId, 10_000);

      const carried = await carriedInto(handle);
      expect(carried.callbacks.map((callback) => [callback.eventId, callback.state])).toEqual([
        ['sevt_queued', 'succeeded'],
      ]);
      expect(carried.seenEventIds).toContain('sevt_queued');
      expect(await handle.result()).toMatchObject({ status: 'paid', providerPaymentId: 'sp_1' });
      expect(calls.statuses.map((change) => change.status)).toEqual(['awaiting_payment', 'paid']);
      expect(calls.notified).toHaveLength(1);
      expect(calls.flags).toEqual([]);
    },
    'callback-carried-across-continue-as-new',
  );
});

test('a late success of an earlier attempt pays the payment at the method and price of that attempt', async () => {
  const { activities, calls } = fakeActivities();
  const input = purchaseInput({
    quotes: [
      { method: 'sandbox_card', feeMinor: '150', buyerTotalMinor: '5000', merchantNetMinor: '4850' },
      { method: 'sandbox_wallet', feeMinor: '150', buyerTotalMinor: '5150', merchantNetMinor: '5000' },
    ],
  });
  await withWorkflow(activities, input, async (handle) => {
    await handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_card' }] });
    await handle.signal(providerCallbackSignal, { ...succeeded(input, 1, 'sevt_declined'), state: 'declined' });
    await eventually(
      () => statusOf(handle),
      (state) => state.status === 'awaiting_method',
    );
    await handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_wallet' }] });

    // The provider changes its mind about the card payment: the buyer paid 50.00 by card after all.
    await handle.signal(providerCallbackSignal, succeeded(input, 1, 'sevt_card_after_all'));
    expect(await handle.result()).toMatchObject({
      status: 'paid',
      method: 'sandbox_card',
      attempt: 1,
      providerPaymentId: 'sp_1',
    });
    expect(calls.statuses.at(-1)).toMatchObject({
      status: 'paid',
      method: 'sandbox_card',
      fees: { buyerTotalMinor: '5000', merchantNetMinor: '4850' },
    });
    expect(calls.flags).toEqual([]);
  });
});
