import type { Client } from '@temporalio/client';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { sweepUnstarted } from '../../src/temporal/outbox';
import { StartsAfterAnswer } from '../../src/temporal/starts-after-answer';
import { paymentBody } from '../support/stack';
import { type ApiHarness, type Merchant, startApiHarness } from '../support/merchant-api';

let harness: ApiHarness;
let merchant: Merchant;

beforeAll(async () => {
  harness = await startApiHarness();
  merchant = await harness.merchant();
}, 60_000);
afterAll(() => harness?.close());

/** A Temporal client whose starts each wait for `release()`, or fail while `failing` is set. */
function heldTemporal() {
  const started: string[] = [];
  const held: (() => void)[] = [];
  const state = { failing: false };
  const temporal = {
    workflow: {
      start: async (_type: string, options: { workflowId: string }) => {
        await new Promise<void>((resolve) => held.push(resolve));
        if (state.failing) throw new Error('Temporal is unavailable');
        started.push(options.workflowId);
        return {};
      },
    },
  } as unknown as Client;
  const release = () => held.splice(0).forEach((resolve) => resolve());
  return { temporal, started, held, state, release };
}

async function until(condition: () => Promise<boolean> | boolean, what: string) {
  for (let waited = 0; !(await condition()); waited += 10) {
    if (waited > 5000) throw new Error(`still waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const markedStarted = async (paymentId: string) =>
  (await harness.db.query('select workflow_started from payments where id = $1', [paymentId])).rows[0]
    .workflow_started as boolean;

function appWith(temporal: Client, starts: StartsAfterAnswer) {
  const app = createApp({ ...harness.deps, temporal, startsAfterAnswer: starts });
  return () =>
    request(app)
      .post('/v1/payments')
      .set('authorization', `Bearer ${merchant.testKey}`)
      .send(paymentBody(merchant.testCheckout.id));
}

test('the create answers once the payment is stored, before its workflow start; the start follows and marks the row', async () => {
  const held = heldTemporal();
  const problems: string[] = [];
  const starts = new StartsAfterAnswer((message) => problems.push(message));
  const created = await appWith(held.temporal, starts)();
  expect(created.status).toBe(201);
  expect(created.body.status).toBe('awaiting_method');
  expect(held.held).toHaveLength(1);
  expect(held.started).toEqual([]);
  expect(await markedStarted(created.body.id)).toBe(false);

  // What stops the API process waits for the start it holds.
  let settled = false;
  const settling = starts.settled().then(() => (settled = true));
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(settled).toBe(false);
  held.release();
  await settling;
  expect(held.started).toEqual([`payment-${created.body.id}`]);
  expect(await markedStarted(created.body.id)).toBe(true);
  expect(problems).toEqual([]);
});

test('a start that fails after the answer is reported, and the outbox sweep starts that workflow', async () => {
  const held = heldTemporal();
  held.state.failing = true;
  const problems: string[] = [];
  const starts = new StartsAfterAnswer((message) => problems.push(message));
  const created = await appWith(held.temporal, starts)();
  expect(created.status).toBe(201);
  held.release();
  await starts.settled();
  expect(problems).toEqual([
    `starting the workflow of payment ${created.body.id} (the outbox sweep will): Temporal is unavailable`,
  ]);
  expect(await markedStarted(created.body.id)).toBe(false);

  held.state.failing = false;
  const sweeping = sweepUnstarted({ ...harness.deps, temporal: held.temporal }, 0, ['payments']);
  await until(() => held.held.length > 0, 'the sweep to start it');
  held.release();
  await sweeping;
  expect(held.started).toContain(`payment-${created.body.id}`);
  expect(await markedStarted(created.body.id)).toBe(true);
});

test('past the limit of starts in flight, a create waits for its own start', async () => {
  const held = heldTemporal();
  const starts = new StartsAfterAnswer(() => undefined, 1);
  const create = appWith(held.temporal, starts);
  expect((await create()).status).toBe(201);

  const second = create().then((response) => response);
  const first = await Promise.race([second, new Promise((resolve) => setTimeout(() => resolve('waiting'), 300))]);
  expect(first).toBe('waiting');
  await until(() => held.held.length === 2, 'the second start');
  held.release();
  const answered = await second;
  expect(answered.status).toBe(201);
  expect(held.started).toEqual(expect.arrayContaining([`payment-${answered.body.id}`]));
  await starts.settled();
  expect(held.started).toHaveLength(2);
});
