import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { recordHistory } from '../../scripts/record-histories';
import type { purchaseWorkflow } from '../../src/workflows/purchase';
import type { PurchaseInput } from '../../src/workflows/shared';
import { workflowBundle } from '../../worker';

/**
 * For workflow tests whose activities are plain functions: a client and a worker connection to the
 * test Temporal server, opened before the file's tests (the workflow bundle built once) and closed after.
 */
export function temporalForFile(use: (temporal: { client: Client; nativeConnection: NativeConnection }) => void) {
  let connection: Connection | undefined;
  let nativeConnection: NativeConnection | undefined;
  beforeAll(async () => {
    const address = process.env.TEST_TEMPORAL_ADDRESS!;
    [connection, nativeConnection] = await Promise.all([
      Connection.connect({ address }),
      NativeConnection.connect({ address }),
    ]);
    use({ client: new Client({ connection }), nativeConnection });
    await workflowBundle();
  }, 60_000);
  afterAll(async () => {
    await nativeConnection?.close();
    await connection?.close();
  });
}

export const randomSuffix = () => Math.random().toString(36).slice(2, 12);

/** A purchase of 50.00 RUB at a test checkout, the merchant paying a 3 % fee; `overrides` as the test needs. */
export const purchaseInput = (overrides: Partial<PurchaseInput> = {}): PurchaseInput => ({
  paymentId: `pay_${randomSuffix()}`,
  merchantId: 'mer_test',
  checkoutId: 'co_test',
  orderId: `A-${randomSuffix()}`,
  testMode: true,
  amountMinor: '5000',
  currency: 'RUB',
  description: 'Test product',
  methods: ['sandbox_card', 'sandbox_wallet'],
  method: null,
  feePayer: 'merchant',
  feeBasisPoints: 300,
  expiresAt: new Date(Date.now() + 60_000).toISOString(),
  statusPollSeconds: [1],
  ...overrides,
});

/**
 * A fresh worker with `activities` on its own task queue while `body` drives one purchase workflow,
 * terminated after; with `RECORD_HISTORIES=1` its history is added as `historyName` (never replacing one).
 */
export async function withPurchaseWorkflow(
  temporal: { client: Client; nativeConnection: NativeConnection },
  activities: object,
  input: PurchaseInput,
  body: (handle: WorkflowHandle<typeof purchaseWorkflow>) => Promise<void>,
  historyName?: string,
) {
  const taskQueue = `purchase-test-${randomSuffix()}`;
  const worker = await Worker.create({
    connection: temporal.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities,
  });
  await worker.runUntil(async () => {
    const handle = await temporal.client.workflow.start<typeof purchaseWorkflow>('purchaseWorkflow', {
      taskQueue,
      workflowId: `payment-${input.paymentId}`,
      args: [input],
    });
    try {
      await body(handle);
    } finally {
      await handle.terminate('test over').catch(() => undefined);
    }
    if (historyName) recordHistory(historyName, await handle.fetchHistory());
  });
}
