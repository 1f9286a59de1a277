import vm from 'node:vm';
import { createTestPayment, onboardMerchant, purchaseHandle, startTestStack } from '../support/stack';

// The worker's own settings: its workflow threads' stack traces cut to WORKFLOW_STACK_TRACE_LIMIT
// frames (the capture's own two among them), and its cache of WORKFLOW_CACHE_SIZE workflows.
jest.setTimeout(120_000);

/**
 * On a stack started with `env`: the stack traces of a fresh payment's workflow, waiting for the
 * buyer (the `__stack_trace` query the Temporal UI shows), and the startup line of the worker.
 */
async function waitingPaymentOnStack(env: Record<string, string>) {
  const lines: string[] = [];
  const stack = await startTestStack(
    { LOG_LEVEL: 'info', ...env },
    { kassa: { logDestination: { write: (chunk: string) => lines.push(chunk) } } },
  );
  try {
    const shop = await onboardMerchant(stack, 'https://shop.example/notify');
    const payment = await createTestPayment(stack, shop.testKey, shop.checkout.id);
    const traces = await purchaseHandle(stack, payment.id).query<string>('__stack_trace');
    const workerStep = lines.map((line) => JSON.parse(line)).find((entry) => entry.startupStep === 'worker');
    return {
      traces: traces.split('\n\n').map((trace) => trace.split('\n').filter((line) => line.trim().startsWith('at '))),
      workerDetail: workerStep?.detail as string | undefined,
    };
  } finally {
    await stack.close();
  }
}

const newContextLimit = () => vm.runInNewContext('Error.stackTraceLimit') as number;

test('by default each workflow stack trace keeps two frames and still shows where the payment waits; 1,000 workflows are cached', async () => {
  const before = newContextLimit();
  const { traces, workerDetail } = await waitingPaymentOnStack({});
  expect(traces.length).toBeGreaterThan(0);
  for (const frames of traces) expect(frames.length).toBeLessThanOrEqual(2);
  expect(traces.flat().some((frame) => frame.includes('waitForNews'))).toBe(true);
  expect(newContextLimit()).toBe(before);
  expect(workerDetail).toMatch(/, up to 1000 workflows cached$/);
});

test('a larger WORKFLOW_STACK_TRACE_LIMIT gives longer traces; WORKFLOW_CACHE_SIZE sizes the cache', async () => {
  const { traces, workerDetail } = await waitingPaymentOnStack({
    WORKFLOW_STACK_TRACE_LIMIT: '10',
    WORKFLOW_CACHE_SIZE: '250',
  });
  expect(Math.max(...traces.map((frames) => frames.length))).toBeGreaterThan(4);
  expect(traces.flat().some((frame) => frame.includes('waitForNews'))).toBe(true);
  expect(workerDetail).toMatch(/, up to 250 workflows cached$/);
});
