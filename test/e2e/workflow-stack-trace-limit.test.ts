import vm from 'node:vm';
import { createTestPayment, onboardMerchant, purchaseHandle, startTestStack } from '../support/stack';

// The workflow threads' stack traces are cut to WORKFLOW_STACK_TRACE_LIMIT frames (the capture's own
// two among them): the `__stack_trace` query the Temporal UI shows still names where a payment waits.
jest.setTimeout(120_000);

/** The stack traces of a fresh payment's workflow, waiting for the buyer, on a stack started with `env`. */
async function waitingPaymentStackTraces(env: Record<string, string>) {
  const stack = await startTestStack(env);
  try {
    const shop = await onboardMerchant(stack, 'https://shop.example/notify');
    const payment = await createTestPayment(stack, shop.testKey, shop.checkout.id);
    const traces = await purchaseHandle(stack, payment.id).query<string>('__stack_trace');
    return traces.split('\n\n').map((trace) => trace.split('\n').filter((line) => line.trim().startsWith('at ')));
  } finally {
    await stack.close();
  }
}

const newContextLimit = () => vm.runInNewContext('Error.stackTraceLimit') as number;

test('by default each workflow stack trace keeps two frames, and still shows where the payment waits', async () => {
  const before = newContextLimit();
  const traces = await waitingPaymentStackTraces({});
  expect(traces.length).toBeGreaterThan(0);
  for (const frames of traces) expect(frames.length).toBeLessThanOrEqual(2);
  expect(traces.flat().some((frame) => frame.includes('waitForNews'))).toBe(true);
  expect(newContextLimit()).toBe(before);
});

test('a larger WORKFLOW_STACK_TRACE_LIMIT gives longer traces', async () => {
  const traces = await waitingPaymentStackTraces({ WORKFLOW_STACK_TRACE_LIMIT: '10' });
  expect(Math.max(...traces.map((frames) => frames.length))).toBeGreaterThan(4);
  expect(traces.flat().some((frame) => frame.includes('waitForNews'))).toBe(true);
});
