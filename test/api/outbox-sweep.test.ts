import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { insertPayment } from '../../src/db/payments';
import { newId } from '../../src/domain/ids';
import { startOutboxSweep, sweepUnstarted } from '../../src/temporal/outbox';
import { StartedMarks } from '../../src/temporal/started-marks';
import { type ApiHarness, type Merchant, startApiHarness } from '../support/merchant-api';

let harness: ApiHarness;
let merchant: Merchant;

beforeAll(async () => {
  harness = await startApiHarness();
  merchant = await harness.merchant();
}, 60_000);
afterAll(() => harness?.close());
// Each test sweeps the whole table: what one leaves unstarted must not count in the next.
afterEach(() => harness.db.query('update payments set workflow_started = true'));

/** Payments stored as a create stores them, their workflows never started (a crash, or a start that failed). */
async function unstartedPayments(count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let n = 0; n < count; n++) {
    const payment = await insertPayment(harness.db, {
      id: newId('pay'),
      merchantId: merchant.id,
      checkoutId: merchant.testCheckout.id,
      orderId: `SWEEP-${n}-${Date.now()}`,
      testMode: true,
      amountMinor: 5000n,
      currency: 'RUB',
      description: 'Stored, never started',
      method: null,
      delivery: null,
      metadata: {},
      expiresAt: new Date(Date.now() + 1800_000),
    });
    ids.push(payment.id);
  }
  return ids;
}

/** A Temporal client whose starts succeed, except those `refuse` says fail; every start is recorded. */
function recordingTemporal(refuse: (workflowId: string) => boolean = () => false) {
  const tried: string[] = [];
  const temporal = {
    workflow: {
      start: async (_type: string, options: { workflowId: string }) => {
        tried.push(options.workflowId);
        if (refuse(options.workflowId)) throw new Error('Temporal refused the start');
        return {};
      },
    },
  } as unknown as Client;
  return { temporal, tried };
}

const startedIds = async (ids: string[]) =>
  (
    await harness.db.query<{ id: string }>('select id from payments where id = any($1) and workflow_started', [ids])
  ).rows
    .map((row) => row.id)
    .sort();

test('a row whose start keeps failing does not hold up the rows after it; the failure is reported', async () => {
  const [poisoned, ...others] = await unstartedPayments(3);
  const { temporal } = recordingTemporal((workflowId) => workflowId === `payment-${poisoned}`);
  await expect(sweepUnstarted({ ...harness.deps, temporal }, 0, ['payments'])).rejects.toThrow(
    `1 of 3 unstarted payments failed to start; the first, ${poisoned}: Temporal refused the start`,
  );
  expect(await startedIds([poisoned!, ...others])).toEqual([...others].sort());
});

test('a backlog larger than one batch is started in one sweep', async () => {
  const ids = await unstartedPayments(230);
  const { temporal, tried } = recordingTemporal();
  expect(await sweepUnstarted({ ...harness.deps, temporal }, 0, ['payments'])).toEqual({ payments: 230 });
  expect(tried).toHaveLength(230);
  expect(await startedIds(ids)).toHaveLength(230);
});

test('with the marks written after the starts, as in the API process, each row of a backlog is started once', async () => {
  const ids = await unstartedPayments(230);
  const { temporal, tried } = recordingTemporal();
  const problems: string[] = [];
  const startedMarks = new StartedMarks(harness.db, (message) => problems.push(message));
  expect(await sweepUnstarted({ ...harness.deps, temporal, startedMarks }, 0, ['payments'])).toEqual({ payments: 230 });
  await startedMarks.settled();
  expect(tried).toHaveLength(230);
  expect(await startedIds(ids)).toHaveLength(230);
  expect(problems).toEqual([]);
});

test('starts that fail one after another (Temporal away) end the sweep after three tries', async () => {
  const ids = await unstartedPayments(6);
  const { temporal, tried } = recordingTemporal(() => true);
  await expect(sweepUnstarted({ ...harness.deps, temporal }, 0, ['payments'])).rejects.toThrow(
    /^3 of 6 unstarted payments failed to start/,
  );
  expect(tried).toHaveLength(3);
  expect(await startedIds(ids)).toEqual([]);
});

test('a batch is read after the last row tried: a row whose started mark is still being written is not read again', async () => {
  const ids = await unstartedPayments(230);
  const { temporal, tried } = recordingTemporal();
  const held = { query: () => new Promise(() => undefined) } as unknown as Pool;
  const startedMarks = new StartedMarks(held, () => undefined);
  expect(await sweepUnstarted({ ...harness.deps, temporal, startedMarks }, 0, ['payments'])).toEqual({ payments: 230 });
  expect(tried).toHaveLength(230);
  expect(new Set(tried).size).toBe(230);
  expect(await startedIds(ids)).toEqual([]);
});

test('rows at the head that keep failing do not keep the timed sweep from the rows behind them, and are retried', async () => {
  const poisoned = await unstartedPayments(3);
  await new Promise((resolve) => setTimeout(resolve, 5)); // stored a millisecond later at least: behind them
  const behind = await unstartedPayments(3);
  let refusing = true;
  const { temporal, tried } = recordingTemporal(
    (workflowId) => refusing && poisoned.some((id) => workflowId === `payment-${id}`),
  );
  const errors: string[] = [];
  const stop = startOutboxSweep({ ...harness.deps, temporal }, (message) => errors.push(message), 50, 0);
  try {
    await until(async () => (await startedIds(behind)).length === 3, 'the rows behind the failing ones to start');
    expect(errors[0]).toMatch(/^restarting unstarted payments: 3 of \d+ unstarted payments failed to start/);
    refusing = false;
    await until(async () => (await startedIds(poisoned)).length === 3, 'the failing rows to be retried');
  } finally {
    await stop();
  }
  expect(tried.filter((id) => behind.some((row) => id === `payment-${row}`))).toHaveLength(3);
});

async function until(condition: () => Promise<boolean>, what: string) {
  for (let waited = 0; !(await condition()); waited += 25) {
    if (waited > 10_000) throw new Error(`still waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
