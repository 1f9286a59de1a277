/**
 * What one benchmark operation does: a full payment through Kassa's HTTP surface, a floor run
 * through the floor worker, a callback posted by hand, and the shape of a run.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { signSandboxPayload } from '../../src/providers/sandbox';
import { providerCallbackSignal } from '../../src/workflows/shared';
import { floorCallback } from './floor-driver';
import type { floorWorkflow } from './floor-workflow';
import { type MerchantReceiver, request } from './http';
import { type FloorDrive, sandboxApiKey, sandboxWebhookSecret } from './infra';

export interface BenchTarget {
  kassaUrl: string;
  sandboxUrl: string;
  testKey: string;
  checkoutId: string;
  receiver: MerchantReceiver;
  temporal: Client;
  /** Asks the floor worker for a run; absent when no phase of this run needs the floor. */
  floor?: FloorDrive;
  /** Payments created so far (every successful POST /v1/payments). */
  counters: { payments: number; parked: number };
  /** Per operation, ms. */
  timeoutMs: number;
}

const runTag = randomBytes(4).toString('hex');

/**
 * A day: no payment the benchmark leaves parked expires before a full run has ended (an expiry would
 * be a burst of work and webhooks in the middle of the measurements).
 */
const expiresInSeconds = 86_400;
let orderSeq = 0;

/** `POST /v1/payments`: a payment left awaiting its method unless driven further. */
export async function createPayment(target: BenchTarget): Promise<string> {
  const created = await request<{ id: string; status: string }>(`${target.kassaUrl}/v1/payments`, {
    method: 'POST',
    token: target.testKey,
    timeoutMs: target.timeoutMs,
    body: {
      checkout_id: target.checkoutId,
      order_id: `B-${runTag}-${++orderSeq}`,
      amount: '50.00',
      currency: 'RUB',
      description: 'Benchmark order',
      expires_in: expiresInSeconds,
      delivery: { type: 'digital', download_url: 'https://shop.example/files/1.zip' },
    },
  });
  if (created.status !== 201 || created.body.status !== 'awaiting_method') {
    throw new Error(`POST /v1/payments answered ${created.status}: ${created.text.slice(0, 200)}`);
  }
  target.counters.payments += 1;
  return created.body.id;
}

/** A created payment that nobody drives further: it waits at method choice. */
export async function parkPayment(target: BenchTarget): Promise<string> {
  const id = await createPayment(target);
  target.counters.parked += 1;
  return id;
}

/** `POST /pay/:id/method` as JSON: answers with the sandbox page to send the buyer to. */
export async function chooseMethod(target: BenchTarget, paymentId: string): Promise<string> {
  const chosen = await request<{ redirect_url: string }>(`${target.kassaUrl}/pay/${paymentId}/method`, {
    method: 'POST',
    body: { method: 'sandbox_card' },
    timeoutMs: target.timeoutMs,
  });
  if (chosen.status !== 200 || !chosen.body.redirect_url) {
    throw new Error(`POST /pay/${paymentId}/method answered ${chosen.status}: ${chosen.text.slice(0, 200)}`);
  }
  return chosen.body.redirect_url;
}

/** The buyer presses Approve on the sandbox page; the sandbox then sends its signed callback (unless dropped). */
export async function approve(target: BenchTarget, redirectUrl: string): Promise<void> {
  const approved = await request(`${redirectUrl}/approve`, {
    method: 'POST',
    timeoutMs: target.timeoutMs,
    headers: { accept: 'text/html' },
  });
  if (approved.status !== 303)
    throw new Error(`sandbox approve answered ${approved.status}: ${approved.text.slice(0, 200)}`);
}

export interface FullPaymentTiming {
  paymentId: string;
  createMs: number;
  selectMs: number;
  approveMs: number;
  /** Approve answered → webhook received. */
  confirmMs: number;
  totalMs: number;
}

/** REST create → method choice → sandbox approve → signed callback → `payment.paid` at the merchant. */
export async function fullPayment(target: BenchTarget): Promise<FullPaymentTiming> {
  const t0 = performance.now();
  const paymentId = await createPayment(target);
  const t1 = performance.now();
  const redirectUrl = await chooseMethod(target, paymentId);
  const t2 = performance.now();
  await approve(target, redirectUrl);
  const t3 = performance.now();
  const webhook = await target.receiver.waitFor(paymentId, target.timeoutMs);
  if (webhook.type !== 'payment.paid' || webhook.paymentStatus !== 'paid' || !webhook.signatureValid) {
    throw new Error(
      `webhook for ${paymentId}: ${webhook.type}, status ${webhook.paymentStatus}, signature ${webhook.signatureValid ? 'valid' : 'INVALID'}`,
    );
  }
  return {
    paymentId,
    createMs: t1 - t0,
    selectMs: t2 - t1,
    approveMs: t3 - t2,
    confirmMs: webhook.at - t3,
    totalMs: webhook.at - t0,
  };
}

/** The floor worker's drive, or an error when this run did not start it. */
function floorOf(target: BenchTarget): FloorDrive {
  if (!target.floor) throw new Error('the floor worker is not running');
  return target.floor;
}

/** A floor run's names and expiry, from its index. */
function floorSubject(index: number | string) {
  return {
    paymentId: `pay_floor${runTag}${index}`,
    orderId: `B-${runTag}-floor-${index}`,
    expiresAt: new Date(Date.now() + expiresInSeconds * 1000).toISOString(),
  };
}

/**
 * The floor: the same update, signal and activity count as a paid purchase, with no-op bodies. The
 * floor worker's own client drives it on the worker's task queue: an eager start, the update, the
 * signal and the result (./floor-driver.ts).
 */
export async function floorRun(
  target: BenchTarget,
  index: number | string,
  options: { afterFirstTask?: boolean } = {},
): Promise<{ workflowId: string }> {
  const workflowId = await floorOf(target)({ op: 'run', ...floorSubject(index), ...options });
  return { workflowId };
}

/**
 * The floor's own signal → activity start, measured as {@link callbackToWebhook} is: the floor worker
 * starts a run and takes it through its update, and the benchmark signals it, as the sandbox calls
 * Kassa back. t0 is just before `handle.signal(providerCallback)`, t1 when `receiver` has the POST
 * that the floor's notification activity makes as soon as it runs. So it includes the signal call,
 * the workflow task it wakes (with its no-op local activity), the activity's dispatch and one HTTP
 * POST on loopback, as Kassa's figure includes the webhook's. The run's result is not awaited:
 * {@link floorRunsPaid} checks it afterwards.
 */
export async function floorSignalToActivity(
  target: BenchTarget,
  receiver: MerchantReceiver,
  index: number | string,
): Promise<{ workflowId: string; latencyMs: number; signalMs: number }> {
  const subject = floorSubject(index);
  const workflowId = await floorOf(target)({ op: 'atProvider', ...subject, notifyUrl: receiver.url });
  const { paymentId } = subject;
  const handle = target.temporal.workflow.getHandle(workflowId);
  const t0 = performance.now();
  await handle.signal(providerCallbackSignal, floorCallback(paymentId));
  const signalled = performance.now();
  const notified = await receiver.waitFor(paymentId, target.timeoutMs);
  if (notified.type !== 'floor.notified') throw new Error(`floor ${workflowId}: notified ${notified.type}`);
  return { workflowId, latencyMs: notified.at - t0, signalMs: signalled - t0 };
}

/** Throws unless every run in `workflowIds` ended paid with one event. */
export async function floorRunsPaid(target: BenchTarget, workflowIds: string[]): Promise<void> {
  for (const workflowId of workflowIds) {
    const result = await target.temporal.workflow.getHandle<typeof floorWorkflow>(workflowId).result();
    if (result.status !== 'paid' || result.events !== 1)
      throw new Error(`floor ${workflowId} ended ${JSON.stringify(result)}`);
  }
}

/**
 * With the sandbox's callbacks dropped: a payment is taken to the sandbox and approved, then the
 * benchmark posts the signed callback itself and times callback sent → merchant webhook received.
 */
export async function callbackToWebhook(
  target: BenchTarget,
): Promise<{ paymentId: string; latencyMs: number; ackMs: number }> {
  const paymentId = await createPayment(target);
  const redirectUrl = await chooseMethod(target, paymentId);
  await approve(target, redirectUrl);
  const providerPaymentId = new URL(redirectUrl).pathname.split('/').pop()!;
  const provider = await request<{ amount_minor: string; currency: string; status: string }>(
    `${target.sandboxUrl}/api/payments/${providerPaymentId}`,
    { token: sandboxApiKey, timeoutMs: target.timeoutMs },
  );
  if (provider.status !== 200 || provider.body.status !== 'succeeded') {
    throw new Error(`sandbox payment ${providerPaymentId}: ${provider.status} ${provider.text.slice(0, 200)}`);
  }
  const created = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({
    id: `sevt_bench${randomBytes(12).toString('hex')}`,
    type: 'payment.succeeded',
    created,
    data: {
      id: providerPaymentId,
      reference: paymentId,
      status: 'succeeded',
      amount_minor: provider.body.amount_minor,
      currency: provider.body.currency,
    },
  });
  const signature = signSandboxPayload(sandboxWebhookSecret, body, created);
  const t0 = performance.now();
  const answered = await request(`${target.kassaUrl}/callbacks/sandbox`, {
    method: 'POST',
    rawBody: body,
    headers: { 'sandbox-signature': signature },
    timeoutMs: target.timeoutMs,
  });
  const ack = performance.now();
  if (answered.status !== 200)
    throw new Error(`POST /callbacks/sandbox answered ${answered.status}: ${answered.text.slice(0, 200)}`);
  const webhook = await target.receiver.waitFor(paymentId, target.timeoutMs);
  if (webhook.type !== 'payment.paid' || !webhook.signatureValid)
    throw new Error(`webhook for ${paymentId}: ${webhook.type}`);
  return { paymentId, latencyMs: webhook.at - t0, ackMs: ack - t0 };
}

/** `GET /v1/payments/:id`: what the API probe reads. */
export async function getPayment(target: BenchTarget, paymentId: string): Promise<string> {
  const found = await request<{ status: string }>(`${target.kassaUrl}/v1/payments/${paymentId}`, {
    token: target.testKey,
    timeoutMs: target.timeoutMs,
  });
  if (found.status !== 200)
    throw new Error(`GET /v1/payments/${paymentId} answered ${found.status}: ${found.text.slice(0, 200)}`);
  return found.body.status;
}

export interface RunShape {
  workflowId: string;
  /** History length once closed. */
  events: number;
  /** `workflowExecutionInfo.stateTransitionCount` once closed. */
  transitions: number;
  /** Event type → count, when asked for. */
  types?: Record<string, number>;
}

/** Waits for a run to close, then reads its history length, state transitions and (optionally) event types. */
export async function shapeOf(
  client: Client,
  workflowId: string,
  withTypes = false,
  timeoutMs = 60_000,
): Promise<RunShape> {
  const handle = client.workflow.getHandle(workflowId);
  await Promise.race([
    handle.result(),
    new Promise((_resolve, reject) =>
      setTimeout(() => reject(new Error(`${workflowId} did not close within ${timeoutMs} ms`)), timeoutMs).unref(),
    ),
  ]);
  const info = (await handle.describe()).raw.workflowExecutionInfo;
  const shape: RunShape = {
    workflowId,
    events: Number(info?.historyLength ?? NaN),
    transitions: Number(info?.stateTransitionCount ?? NaN),
  };
  if (withTypes) {
    const history = await handle.fetchHistory();
    shape.types = {};
    for (const event of history.events ?? []) {
      const name = (temporal.api.enums.v1.EventType[event.eventType ?? 0] ?? String(event.eventType)).replace(
        /^EVENT_TYPE_/,
        '',
      );
      shape.types[name] = (shape.types[name] ?? 0) + 1;
    }
  }
  return shape;
}
