/**
 * Create latency at a fixed open-loop rate: POST /v1/payments sent on a fixed schedule whatever
 * the earlier ones are doing, each timed from its scheduled moment (so a stall shows in the tail
 * instead of delaying the next requests). Not part of the suite (its name does not end in
 * `.test.ts`); run it on its own:
 *
 *   CREATE_LATENCY_VARIANTS=awaited,unawaited-mark node scripts/node22.cjs npx jest \
 *     --testMatch '<rootDir>/test/support/create-latency.ts'
 *
 * Each variant's name is put in `KASSA_CREATE_VARIANT` while it runs, for a patch under measurement
 * to read (Kassa itself reads nothing of it: without such a patch every variant runs the code as it
 * is). Variants run in turn, round after round, on one stack, so the machine's other load falls on
 * each alike.
 */
import { readFileSync } from 'node:fs';
import { api, paymentBody, startTestStack, type TestStack } from './stack';

const rate = Number(process.env.CREATE_LATENCY_RATE ?? 20);
const seconds = Number(process.env.CREATE_LATENCY_SECONDS ?? 20);
const rounds = Number(process.env.CREATE_LATENCY_ROUNDS ?? 2);
const variants = (process.env.CREATE_LATENCY_VARIANTS ?? 'awaited').split(',');

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

async function openLoop(stack: TestStack, key: string, checkoutId: string): Promise<number[]> {
  const count = rate * seconds;
  const start = performance.now() + 50;
  const latencies: Promise<number>[] = [];
  for (let index = 0; index < count; index++) {
    const due = start + (index * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    latencies.push(
      api(stack.url, 'POST', '/v1/payments', { token: key, body: paymentBody(checkoutId) }).then((answer) => {
        if (answer.status !== 201) throw new Error(`create answered ${answer.status}: ${JSON.stringify(answer.body)}`);
        return performance.now() - due;
      }),
    );
  }
  return Promise.all(latencies);
}

it('measures create latency per variant', async () => {
  const stack = await startTestStack({ RATE_LIMIT_PER_MINUTE: '1000000' });
  try {
    const merchant = await api(stack.url, 'POST', '/admin/merchants', {
      token: stack.adminToken,
      body: { name: 'Bench', email: 'bench@example.com' },
    });
    const key = merchant.body.api_keys.test as string;
    const checkout = await api(stack.url, 'POST', '/v1/checkouts', {
      token: key,
      body: {
        name: 'Bench',
        site_url: 'https://shop.example',
        currencies: ['RUB'],
        notify_url: 'https://shop.example/n',
        success_url: 'https://shop.example/ok',
        fail_url: 'https://shop.example/fail',
        pending_url: 'https://shop.example/wait',
        fee_payer: 'merchant',
      },
    });
    process.env.KASSA_CREATE_VARIANT = 'awaited';
    await openLoop(stack, key, checkout.body.id); // warm-up, not reported
    const results: Record<string, unknown>[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const variant of variants) {
        process.env.KASSA_CREATE_VARIANT = variant;
        const before = loadAverage();
        const sorted = (await openLoop(stack, key, checkout.body.id)).sort((a, b) => a - b);
        results.push({
          round,
          variant,
          n: sorted.length,
          p50: +quantile(sorted, 0.5).toFixed(1),
          p90: +quantile(sorted, 0.9).toFixed(1),
          p99: +quantile(sorted, 0.99).toFixed(1),
          max: +sorted[sorted.length - 1]!.toFixed(1),
          loadBefore: before,
          loadAfter: loadAverage(),
        });
        console.log(JSON.stringify(results[results.length - 1]));
      }
    }
  } finally {
    delete process.env.KASSA_CREATE_VARIANT;
    await stack.close();
  }
}, 3_600_000);
