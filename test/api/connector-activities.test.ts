import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Pool } from 'pg';
import { z } from 'zod';
import { createConnectorActivities, waitWhileConnectorPaused } from '../../src/activities/connectors';
import { listAttempts } from '../../src/db/attempts';
import { migrate } from '../../src/db/migrate';
import type { Connector } from '../../src/domain/connector';
import { FailureType } from '../../src/domain/failure-types';
import { connectorBreakerTrips } from '../../src/observability/connector-breaker';
import { type ConnectorHandle, createConnectorRegistry } from '../../src/providers/registry';
import {
  type ConnectorCapability,
  type CreateProviderPaymentInput as ConnectorCreateInput,
  type PaymentConnector,
  ProviderError,
  type ProviderPaymentStatus,
} from '../../src/providers/types';
import { countingPool } from '../support/counting-pool';
import { createTestDatabase } from '../support/stack';

// The connector activities on a real database with a scripted connector: what each create, check
// and cancel records and how it fails, and the circuit breaker's count.
jest.setTimeout(30_000);

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Pool;
beforeAll(async () => {
  database = await createTestDatabase();
  db = new Pool({ connectionString: database.url, max: 1 });
  await migrate(db);
  // attempts here belong to no stored payment: the tests need no merchant, checkout or payment rows
  await db.query('alter table payment_attempts drop constraint payment_attempts_payment_id_fkey');
});
afterAll(async () => {
  await db?.end();
  await database?.drop();
});

let serial = 0;
const paymentId = () => `pay_activity${++serial}`;

const pending = (id: string, state: ProviderPaymentStatus['state'] = 'pending'): ProviderPaymentStatus => ({
  providerPaymentId: id,
  state,
  amountMinor: '5000',
  currency: 'RUB',
});

/** A connector whose create, status and cancel do what the test says; its calls are kept. */
function scripted(
  id: string,
  script: Partial<PaymentConnector>,
  status: Connector['status'] = 'active',
  capabilities: ConnectorCapability[] = ['create', 'status', 'cancel'],
) {
  const calls: { create: ConnectorCreateInput[]; cancel: number } = { create: [], cancel: 0 };
  const client: PaymentConnector = {
    provider: 'scripted',
    capabilities: new Set(capabilities),
    createPayment: async () => ({
      providerPaymentId: 'sp_1',
      redirect: { method: 'GET', url: 'https://provider.example/sp_1' },
    }),
    getPaymentStatus: async () => pending('sp_1'),
    cancelPayment: async () => {
      calls.cancel += 1;
      return pending('sp_1', 'canceled');
    },
    verifyCallback: async () => ({ kind: 'ignored', reason: 'test' }),
    ...script,
  };
  const wrapped: PaymentConnector = {
    ...client,
    createPayment: async (input) => {
      calls.create.push(input);
      return client.createPayment(input);
    },
  };
  const connector: Connector = {
    id,
    provider: 'scripted',
    mode: 'test',
    methods: ['sandbox_card'],
    priority: 0,
    status,
    pausedReason: status === 'paused' ? 'operator' : null,
    pausedAt: status === 'paused' ? new Date() : null,
    createdAt: new Date(),
    updatedAt: new Date(),
  };
  const handle: ConnectorHandle = {
    connector,
    client: wrapped,
    adapter: {
      provider: 'scripted',
      methods: [{ code: 'sandbox_card', title: 'Card' }],
      credentials: z.object({}),
      secretFields: [],
      referenceFormat: 'kassa',
      connect: () => wrapped,
    },
  };
  return { handle, calls };
}

const activitiesFor = (...handles: ConnectorHandle[]) => activitiesOn(db, ...handles);

const activitiesOn = (pool: Pool, ...handles: ConnectorHandle[]) =>
  createConnectorActivities({
    db: pool,
    providers: createConnectorRegistry(handles),
    publicUrl: 'https://kassa.example',
    breaker: { failures: 2, windowSeconds: 60, probeSeconds: 30 },
  });

const createInput = (id: string, connectorId: string, attempt = 1) => ({
  paymentId: id,
  attempt,
  method: 'sandbox_card',
  amountMinor: '5000',
  currency: 'RUB',
  description: 'Test',
  connectorId,
});

/** What an activity threw, as the workflow sees it: its type and whether it may be retried. */
const failureOf = async (run: Promise<unknown>) => {
  const error = await run.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  const failure = error as ApplicationFailure;
  return { type: failure.type, nonRetryable: failure.nonRetryable, nextRetryDelay: failure.nextRetryDelay };
};

const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A) =>
  new MockActivityEnvironment().run(fn, ...args) as Promise<R>;

test('a create made at the connector is recorded with its reference, provider payment, latency and callback URL, in one statement', async () => {
  const { handle, calls } = scripted('conn_madeHere01', {});
  const counted = countingPool(db);
  const activities = activitiesOn(counted.db, handle);
  const id = paymentId();
  const created = await run(activities.createProviderPayment, createInput(id, 'conn_madeHere01'));
  expect(created).toMatchObject({ providerPaymentId: 'sp_1', redirectUrl: 'https://provider.example/sp_1' });
  expect(counted.statements).toEqual([expect.stringMatching(/^\s*insert into payment_attempts/)]);
  expect(calls.create[0]).toMatchObject({
    idempotencyKey: `${id}-attempt-1`,
    reference: `${id}-attempt-1`,
    callbackUrl: 'https://kassa.example/callbacks/scripted/conn_madeHere01',
  });
  const [attempt] = await listAttempts(db, id);
  expect(attempt).toMatchObject({
    connectorId: 'conn_madeHere01',
    status: 'created',
    providerPaymentId: 'sp_1',
    error: null,
  });
  expect(attempt!.latencyMs).toEqual(expect.any(Number));
});

test('a refusal, a provider not reached and an unknown outcome are recorded and failed as the workflow needs them', async () => {
  const outcomes = [
    [new ProviderError('definite', 'card_declined', 'no'), 'refused', FailureType.ProviderDeclined, true],
    [
      new ProviderError('transient', 'unreachable', 'down', { retryAfterMs: 1234 }),
      'unreachable',
      FailureType.ProviderUnreached,
      false,
    ],
    [new ProviderError('indeterminate', 'timeout', 'no answer'), 'unknown', FailureType.ProviderOutcomeUnknown, false],
  ] as const;
  for (const [error, status, type, nonRetryable] of outcomes) {
    const { handle } = scripted(`conn_fails${status}01`, {
      createPayment: async () => {
        throw error;
      },
    });
    const id = paymentId();
    const failure = await failureOf(
      run(activitiesFor(handle).createProviderPayment, createInput(id, handle.connector.id)),
    );
    expect(failure).toMatchObject({ type, nonRetryable });
    if (status === 'unreachable') expect(failure.nextRetryDelay).toBe(1234);
    expect((await listAttempts(db, id)).map((attempt) => [attempt.status, attempt.error])).toEqual([
      [status, error.code],
    ]);
  }
});

test('a try that does not reach the provider after one whose outcome was unknown keeps the attempt unknown', async () => {
  let tries = 0;
  const { handle } = scripted('conn_flaky0001', {
    createPayment: async () => {
      tries += 1;
      throw tries === 1
        ? new ProviderError('indeterminate', 'timeout', 'no answer')
        : new ProviderError('transient', 'unreachable', 'down');
    },
  });
  const activities = activitiesFor(handle);
  const id = paymentId();
  await failureOf(run(activities.createProviderPayment, createInput(id, 'conn_flaky0001')));
  const second = await failureOf(run(activities.createProviderPayment, createInput(id, 'conn_flaky0001')));
  expect(second.type).toBe(FailureType.ProviderOutcomeUnknown);
  expect((await listAttempts(db, id)).map((attempt) => attempt.status)).toEqual(['unknown']);
});

test('a paused connector is not asked: creates and checks fail as paused; money activities wait (retryable)', async () => {
  const { handle, calls } = scripted('conn_paused001', {}, 'paused');
  const activities = activitiesFor(handle);
  const id = paymentId();
  expect(await failureOf(run(activities.createProviderPayment, createInput(id, 'conn_paused001')))).toMatchObject({
    type: FailureType.ConnectorPaused,
    nonRetryable: true,
  });
  expect(calls.create).toEqual([]);
  expect(
    await failureOf(
      run(activities.checkProviderPayment, {
        paymentId: id,
        attempt: 1,
        method: 'sandbox_card',
        connectorId: 'conn_paused001',
      }),
    ),
  ).toMatchObject({ type: FailureType.ConnectorPaused, nonRetryable: true });
  expect(
    await failureOf(
      run(activities.cancelProviderPayment, {
        paymentId: id,
        attempt: 1,
        method: 'sandbox_card',
        connectorId: 'conn_paused001',
      }),
    ),
  ).toMatchObject({ type: FailureType.ConnectorPaused, nonRetryable: false });
  expect(calls.cancel).toBe(0);
  const registry = createConnectorRegistry([handle]);
  expect(await failureOf(waitWhileConnectorPaused(registry, 'conn_paused001'))).toMatchObject({ nonRetryable: false });
  await expect(
    waitWhileConnectorPaused(createConnectorRegistry([scripted('conn_active001', {}).handle]), 'conn_active001'),
  ).resolves.toBeUndefined();
});

test('cancel: canceled at a connector that can; nothing asked of one that cannot; a success answered is stored in the inbox', async () => {
  const canceling = scripted('conn_cancels01', {});
  const id = paymentId();
  await run(activitiesFor(canceling.handle).createProviderPayment, createInput(id, 'conn_cancels01'));
  const canceled = await run(activitiesFor(canceling.handle).cancelProviderPayment, {
    paymentId: id,
    attempt: 1,
    method: 'sandbox_card',
    connectorId: 'conn_cancels01',
  });
  expect(canceled).toMatchObject({ supported: true, eventId: null, status: { state: 'canceled' } });
  expect((await listAttempts(db, id)).map((attempt) => attempt.status)).toEqual(['canceled']);

  const cannot = scripted('conn_nocancel1', {}, 'active', ['create', 'status']);
  expect(
    await run(activitiesFor(cannot.handle).cancelProviderPayment, {
      paymentId: id,
      attempt: 1,
      method: 'sandbox_card',
      connectorId: 'conn_nocancel1',
    }),
  ).toEqual({ status: null, eventId: null, supported: false });
  expect(cannot.calls.cancel).toBe(0);

  const tooLate = scripted('conn_toolate01', {
    cancelPayment: async () => {
      throw new ProviderError('definite', 'already_succeeded', 'cannot cancel');
    },
    getPaymentStatus: async () => pending('sp_1', 'succeeded'),
  });
  const late = paymentId();
  await run(activitiesFor(tooLate.handle).createProviderPayment, createInput(late, 'conn_toolate01'));
  const answer = await run(activitiesFor(tooLate.handle).cancelProviderPayment, {
    paymentId: late,
    attempt: 1,
    method: 'sandbox_card',
    connectorId: 'conn_toolate01',
  });
  expect(answer).toMatchObject({ eventId: `cancel-${late}-attempt-1`, status: { state: 'succeeded' } });
  const inbox = await db.query('select provider, state from provider_callbacks where event_id = $1', [answer.eventId]);
  expect(inbox.rows).toEqual([{ provider: 'scripted', state: 'succeeded' }]);
  expect((await listAttempts(db, late)).map((attempt) => attempt.status)).toEqual(['succeeded']);
});

test('the breaker trips once at its count of failed creates: an event for the operator and the metric', async () => {
  const { handle } = scripted('conn_breaker01', {
    createPayment: async () => {
      throw new ProviderError('transient', 'unreachable', 'down');
    },
  });
  const activities = activitiesFor(handle);
  const trips = async () =>
    (await connectorBreakerTrips.get()).values.find((value) => value.labels.connector_id === 'conn_breaker01')?.value ??
    0;
  const events = async () =>
    (await db.query(`select kind from connector_events where connector_id = 'conn_breaker01'`)).rows.map(
      (row) => row.kind,
    );
  await failureOf(run(activities.createProviderPayment, createInput(paymentId(), 'conn_breaker01')));
  expect(await events()).toEqual([]);
  await failureOf(run(activities.createProviderPayment, createInput(paymentId(), 'conn_breaker01')));
  expect(await events()).toEqual(['breaker_tripped']);
  expect(await trips()).toBe(1);
  // already tripped: a third failure (the in-memory copy here still says active) does not trip it again
  await failureOf(run(activities.createProviderPayment, createInput(paymentId(), 'conn_breaker01')));
  expect(await events()).toEqual(['breaker_tripped']);
  expect(await trips()).toBe(1);
});
