import type { Connection } from '@temporalio/client';
import { prepareSearchAttributes } from '../../src/temporal/search-attributes';

// What startup does when it cannot register Kassa's search attributes: a refusal degrades to running
// without them; an outage is not a refusal and fails the start.

const grpcError = (code: number, message: string) => Object.assign(new Error(message), { code });

function clusterAnswering(error: Error): Connection {
  return {
    operatorService: {
      listSearchAttributes: async () => ({ customAttributes: { MerchantId: 2 }, systemAttributes: {} }),
      addSearchAttributes: async () => {
        throw error;
      },
    },
  } as unknown as Connection;
}

const warnings: string[] = [];
const logger = { warn: (_fields: object, message: string) => void warnings.push(message) };
beforeEach(() => warnings.splice(0));

test('a cluster that refuses registration: Kassa runs with the registered attributes and prints the commands', async () => {
  const state = await prepareSearchAttributes(
    clusterAnswering(grpcError(7, 'permission denied')),
    'payments',
    logger,
    0,
  );
  expect(state.registered).toEqual(['MerchantId']);
  expect(state.missing).toEqual(expect.arrayContaining(['PaymentStatus', 'CheckoutId']));
  expect(warnings[0]).toContain('temporal operator search-attribute create --namespace payments --name PaymentStatus');
});

test('a cluster that is down is not a refusal: the start fails after the retries instead of running without attributes', async () => {
  await expect(
    prepareSearchAttributes(clusterAnswering(grpcError(14, 'unavailable')), 'payments', logger, 300),
  ).rejects.toThrow('unavailable');
  expect(warnings).toEqual([]);
});
