/**
 * The floor's client side, run inside the floor worker process (scripts/bench/floor-worker.ts) as
 * Kassa's runs inside Kassa's: a client on the worker's own NativeConnection, so a floor run starts
 * eagerly as a purchase does and the client's CPU is read with the worker's. The benchmark asks for
 * each run over the process's IPC channel ({@link FloorRequest}, {@link FloorReply}).
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { ProviderCallback } from '../../src/providers/types';
import { providerCallbackSignal, searchAttributes, selectMethodUpdate } from '../../src/workflows/shared';
import type { floorWorkflow } from './floor-workflow';

/** One floor run the benchmark asks for. */
export interface FloorRequest {
  /** Matches the reply to the request. */
  id: number;
  /**
   * `atProvider`: started and taken through its `selectMethod` update, left waiting for its callback;
   * `run`: the same, then the `providerCallback` signal and the result, which must be paid.
   */
  op: 'atProvider' | 'run';
  /** Stands in for the payment id; the run's workflow id is `floor-<paymentId>`. */
  paymentId: string;
  orderId: string;
  /** ISO 8601, as a payment's `expires_at`. */
  expiresAt: string;
  /** Where the notification activity POSTs once it runs (the floor's signal → activity latency). */
  notifyUrl?: string;
  /**
   * Send the update only once the run's first workflow task has completed: the shape phase compares
   * one history of each event by event.
   */
  afterFirstTask?: boolean;
}

export type FloorReply = { id: number; workflowId: string } | { id: number; error: string };

/** How long the shape phase's run may take to complete its first workflow task. */
const firstTaskTimeoutMs = 30_000;

/** The provider's `succeeded` callback, as the floor receives it. */
export function floorCallback(paymentId: string): ProviderCallback {
  return {
    eventId: `sevt_${randomBytes(12).toString('hex')}`,
    providerPaymentId: `sp_${paymentId}`,
    paymentId,
    state: 'succeeded',
    amountMinor: '5000',
    currency: 'RUB',
    occurredAt: new Date().toISOString(),
  };
}

/**
 * Runs one {@link FloorRequest} on `taskQueue` with `client`, which shares its connection with the
 * floor worker polling that queue.
 */
export async function driveFloor(client: Client, taskQueue: string, request: FloorRequest): Promise<string> {
  const { paymentId, orderId } = request;
  const workflowId = `floor-${paymentId}`;
  const handle = await client.workflow.start<typeof floorWorkflow>('floorWorkflow', {
    taskQueue,
    workflowId,
    requestEagerStart: true,
    args: [
      {
        paymentId,
        expiresAt: request.expiresAt,
        pollSeconds: 30,
        ...(request.notifyUrl ? { notifyUrl: request.notifyUrl } : {}),
      },
    ],
    staticSummary: `${orderId}: 5000 RUB minor, mer_floor`,
    typedSearchAttributes: [
      { key: searchAttributes.paymentStatus, value: 'floor_awaiting_method' },
      { key: searchAttributes.merchantId, value: 'mer_floor' },
      { key: searchAttributes.checkoutId, value: 'co_floor' },
      { key: searchAttributes.orderId, value: orderId },
      { key: searchAttributes.amountMinor, value: 5000 },
      { key: searchAttributes.currency, value: 'RUB' },
      { key: searchAttributes.testMode, value: true },
    ],
  });
  if (request.afterFirstTask) {
    // Started, task scheduled, started, completed: four events once the first task is done.
    const deadline = Date.now() + firstTaskTimeoutMs;
    while (Number((await handle.describe()).raw.workflowExecutionInfo?.historyLength ?? 0) < 4) {
      if (Date.now() > deadline) throw new Error(`floor ${workflowId}: its first workflow task did not complete`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  const { redirectUrl } = await handle.executeUpdate(selectMethodUpdate, { args: [{ method: 'sandbox_card' }] });
  if (!redirectUrl) throw new Error(`floor ${workflowId}: the update answered no redirect`);
  if (request.op === 'atProvider') return workflowId;
  await handle.signal(providerCallbackSignal, floorCallback(paymentId));
  const result = await handle.result();
  if (result.status !== 'paid' || result.events !== 1)
    throw new Error(`floor ${workflowId} ended ${JSON.stringify(result)}`);
  return workflowId;
}
