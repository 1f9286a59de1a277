/**
 * Kassa on clusters that will not let it register search attributes (Temporal Cloud, a locked-down
 * self-hosted cluster): a gRPC proxy in front of the test's dev server answers AddSearchAttributes
 * with PERMISSION_DENIED and forwards everything else.
 */
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../../worker';
import { purchaseWorkflowId, searchAttributeDefinitions } from '../../src/workflows/shared';
import { paidPayment } from '../support/operations';
import { createTestNamespace, newShop, type Shop, startTestStack, type TestStack } from '../support/stack';
import { prepareSearchAttributes } from '../../src/temporal/search-attributes';
import { addSearchAttributesPath, listSearchAttributesPath, startGrpcProxy } from '../support/temporal-proxies';

jest.setTimeout(60_000);

const devServer = () => process.env.TEST_TEMPORAL_ADDRESS!;
let proxy: Awaited<ReturnType<typeof startGrpcProxy>>;

beforeAll(async () => {
  proxy = await startGrpcProxy({ target: devServer(), refuse: [addSearchAttributesPath] });
});
afterAll(() => proxy?.close());

/** A fresh namespace on the dev server with `names` registered (straight, not through the proxy). */
async function namespaceWith(names: string[]): Promise<string> {
  const namespace = await createTestNamespace(devServer());
  const connection = await Connection.connect({ address: devServer() });
  const types = { Keyword: 2, Int: 3, Bool: 5 } as const;
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        await connection.operatorService.addSearchAttributes({
          namespace,
          searchAttributes: Object.fromEntries(
            names.map((name) => [
              name,
              types[searchAttributeDefinitions[name]!] as temporal.api.enums.v1.IndexedValueType,
            ]),
          ),
        });
        const listed = await connection.operatorService.listSearchAttributes({ namespace });
        if (names.every((name) => name in (listed.customAttributes ?? {}))) return namespace;
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await connection.close();
  }
}

/** Kassa through the refusing proxy on `namespace`, its warnings and errors collected as JSON lines. */
async function kassaOn(namespace: string) {
  const lines: { level: number | string; msg: string; missingSearchAttributes?: string[] }[] = [];
  const stack = await startTestStack(
    { TEMPORAL_ADDRESS: proxy.address, TEMPORAL_NAMESPACE: namespace, LOG_LEVEL: 'warn' },
    { kassa: { logDestination: { write: (chunk: string) => lines.push(JSON.parse(chunk)) } } },
  );
  return { stack, lines };
}

describe('on a cluster where the search attributes are registered already', () => {
  let stack: TestStack;
  let lines: Awaited<ReturnType<typeof kassaOn>>['lines'];
  let refusedBefore: number;
  beforeAll(async () => {
    const namespace = await namespaceWith(Object.keys(searchAttributeDefinitions));
    refusedBefore = proxy.refused.length;
    ({ stack, lines } = await kassaOn(namespace));
  }, 60_000);
  afterAll(() => stack?.close());

  test('Kassa starts, adds nothing and warns of nothing', () => {
    expect(stack.url).toMatch(/^http:/);
    expect(proxy.refused.length).toBe(refusedBefore);
    expect(lines.filter((line) => line.missingSearchAttributes)).toEqual([]);
  });
});

describe('on a cluster that refuses to register the missing ones', () => {
  // The purchase workflow upserts the first two on every status change; the API starts payments with the third.
  const missing = ['PaymentStatus', 'PaymentMethod', 'Currency'];
  let stack: TestStack;
  let shop: Shop;
  let namespace: string;
  let lines: Awaited<ReturnType<typeof kassaOn>>['lines'];
  beforeAll(async () => {
    namespace = await namespaceWith(Object.keys(searchAttributeDefinitions).filter((name) => !missing.includes(name)));
    ({ stack, lines } = await kassaOn(namespace));
    shop = await newShop(stack);
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
    await shop?.receiver.close();
  });

  test('Kassa starts anyway and tells the operator the exact commands that register them', () => {
    expect(proxy.refused).toContain(addSearchAttributesPath);
    const warning = lines.find((line) => line.missingSearchAttributes);
    expect(warning).toMatchObject({ level: 'warn', missingSearchAttributes: missing });
    expect(warning!.msg).toContain('PERMISSION_DENIED');
    expect(warning!.msg).toContain(
      `temporal operator search-attribute create --namespace ${namespace} --name PaymentMethod --type Keyword`,
    );
    expect(warning!.msg).toContain(
      `temporal operator search-attribute create --namespace ${namespace} --name Currency --type Keyword`,
    );
    expect(warning!.msg).toContain(
      `tcld namespace search-attributes add --namespace ${namespace}.<account-id> --search-attribute "PaymentStatus=Keyword" --search-attribute "PaymentMethod=Keyword" --search-attribute "Currency=Keyword"`,
    );
  });

  test('where even listing them is denied, Kassa finds the missing ones by asking the visibility store', async () => {
    const sealed = await startGrpcProxy({
      target: devServer(),
      refuse: [addSearchAttributesPath, listSearchAttributesPath],
    });
    const connection = await Connection.connect({ address: sealed.address });
    const warnings: string[] = [];
    try {
      const state = await prepareSearchAttributes(connection, namespace, {
        warn: (_fields, message) => warnings.push(message),
      });
      expect(state.missing).toEqual(missing);
      expect(sealed.refused).toContain(listSearchAttributesPath);
      expect(sealed.refused).not.toContain(addSearchAttributesPath);
      expect(warnings.join('\n')).toContain(`--name PaymentStatus --type Keyword`);
    } finally {
      await connection.close();
      await sealed.close();
    }
  });

  test('a payment still goes to paid, showing the registered attributes only and never failing a workflow task', async () => {
    const paid = await paidPayment(stack, shop);
    expect(paid.status).toBe('paid');
    await shop.receiver.waitFor(1);
    const handle = stack.kassa.temporal.workflow.getHandle(purchaseWorkflowId(paid.id));
    const description = await handle.describe();
    const shown = Object.fromEntries(
      description.typedSearchAttributes
        .getAll()
        .filter((pair) => pair.key.name in searchAttributeDefinitions)
        .map((pair) => [pair.key.name, pair.value]),
    );
    expect(shown).toEqual({
      MerchantId: shop.merchantId,
      CheckoutId: shop.checkout.id,
      OrderId: paid.order_id,
      AmountMinor: 5000,
      TestMode: true,
    });
    const history = await handle.fetchHistory();
    expect(history.events!.filter((event) => event.workflowTaskFailedEventAttributes)).toEqual([]);
    // What it may set is in its memo: once the operator registers the rest, its replays stay the same.
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, handle.workflowId);
  });
});
