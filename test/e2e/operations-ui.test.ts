import type { Browser, Page } from 'playwright-core';
import { purchaseWorkflowId } from '../../src/workflows/shared';
import { artifactPath, describeWithBrowser, launchBrowser } from '../support/browser';
import { buyerActs, chooseMethod } from '../support/money';
import { newPayment, paidPayment } from '../support/operations';
import { startTemporalDevServer, type TemporalDevServer } from '../support/processes';
import { newShop, sandboxFault, type Shop, startTestStack, type TestStack } from '../support/stack';

// What docs/operations.md tells an operator to do, in the Temporal Web UI of a dev server of its own:
// filter by search attributes, find the merchant's payment, open it, read its steps.
jest.setTimeout(90_000);

describeWithBrowser('an operator in the Temporal Web UI', __filename, () => {
  /** Whether src/workflows/purchase.ts gives its activities and timers summaries (the operator edits of issue 6). */

  let temporal: TemporalDevServer;
  let stack: TestStack;
  let browser: Browser;
  let shop: Shop;

  beforeAll(async () => {
    browser = await launchBrowser();
    temporal = await startTemporalDevServer({ ui: true });
    // Status checks an hour apart: a payment whose callback is lost stays stuck until someone looks.
    stack = await startTestStack({ STATUS_POLL_SECONDS: '3600' }, { temporalAddress: temporal.address });
    shop = await newShop(stack);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await shop?.receiver.close();
    await stack?.close();
    await temporal?.stop();
  });

  /** Waits until some frame shows `text` (the UI renders summaries and details, markdown, in sandboxed iframes). */
  async function shownInFrames(page: Page, text: string, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const frame of page.frames()) {
        const shown = await frame
          .locator('body')
          .innerText({ timeout: 1000 })
          .catch(() => '');
        if (shown.replace(/\s+/g, ' ').includes(text)) return;
      }
      if (Date.now() > deadline) throw new Error(`no frame shows ${JSON.stringify(text)}`);
      await page.waitForTimeout(250);
    }
  }

  test('in the Temporal UI an operator filters by PaymentStatus and MerchantId, finds the payment and reads its steps', async () => {
    const payment = await paidPayment(stack, shop, { order_id: 'UI-1001', amount: '50.00' });
    const workflowId = purchaseWorkflowId(payment.id);
    await stack.kassa.temporal.workflow.getHandle(workflowId).result();

    const context = await browser.newContext({ viewport: { width: 1920, height: 1100 } });
    const page: Page = await context.newPage();
    page.setDefaultTimeout(30_000);
    try {
      const query = `PaymentStatus="paid" AND MerchantId="${shop.merchantId}"`;
      await page.goto(
        `${temporal.uiUrl}/namespaces/${stack.kassa.config.temporal.namespace}/workflows?query=${encodeURIComponent(query)}`,
      );
      const row = page.getByRole('link', { name: workflowId });
      await row.waitFor();
      // Columns as docs/operations.md sets them: the list then reads like an invoice list.
      await page.getByTestId('workflows-summary-table-configuration-button').click();
      for (const column of ['Run ID', 'Type', 'Start'])
        await page.getByRole('button', { name: `Remove ${column} column` }).click();
      for (const column of ['PaymentStatus', 'MerchantId', 'OrderId', 'AmountMinor', 'Currency', 'PaymentMethod']) {
        await page.getByRole('button', { name: `Add ${column} column` }).click();
      }
      await page.getByRole('button', { name: 'Close Workflows Table configuration' }).click();
      await page.getByText('Configure Workflows Table').waitFor({ state: 'hidden' });
      const cells = page.locator('tr', { has: row });
      for (const value of [shop.merchantId, 'UI-1001', '5000', 'RUB', 'sandbox_card', 'paid'])
        await cells.getByText(value, { exact: true }).waitFor();
      await page.screenshot({ path: artifactPath('temporal-ui-payment-list.png'), fullPage: true });

      await row.click();
      await page.waitForURL(new RegExp(`/workflows/${workflowId}/`));
      // Its timeline reads as steps: method choice, provider payment, the wait for the callback, the notification.
      for (const step of ['selectMethod', 'createProviderPayment', 'providerCallback', 'notifyMerchant'])
        await page.getByText(step).first().waitFor();
      for (const step of [
        'buyer chooses a method; expires in 30 min',
        'create sandbox_card payment at connector conn_sandboxFromConfig: 50.00 RUB, attempt 1',
        'notify merchant: payment.paid',
      ]) {
        await page.getByText(step).first().waitFor();
      }
      await page.screenshot({ path: artifactPath('temporal-ui-payment.png'), fullPage: true });
      // Its summary and details name the merchant, order and amount.
      await page.getByRole('tab', { name: 'User Metadata' }).click();
      await shownInFrames(page, `My shop (${shop.merchantId}) · order UI-1001 · 50.00 RUB · test`);
      await shownInFrames(page, `MerchantId="${shop.merchantId}"`);
      await page.screenshot({ path: artifactPath('temporal-ui-payment-metadata.png'), fullPage: true });
    } catch (error) {
      await page
        .screenshot({ path: artifactPath('temporal-ui-payment-failure.png'), fullPage: true })
        .catch(() => undefined);
      throw error;
    } finally {
      await context.close();
    }
  });

  test("in the Temporal UI an operator finds a merchant's stuck payment and sees what it waits for", async () => {
    // The buyer paid, but the provider's callback was lost.
    const payment = await newPayment(stack, shop, { order_id: 'UI-2002', amount: '75.50' });
    const redirectUrl = await chooseMethod(stack, payment.id);
    await sandboxFault(stack, payment.id, { drop: true });
    await buyerActs(redirectUrl, 'approve');
    const workflowId = purchaseWorkflowId(payment.id);

    const context = await browser.newContext({ viewport: { width: 1920, height: 1100 } });
    const page: Page = await context.newPage();
    page.setDefaultTimeout(30_000);
    try {
      const query = `PaymentStatus="awaiting_payment" AND MerchantId="${shop.merchantId}"`;
      await page.goto(
        `${temporal.uiUrl}/namespaces/${stack.kassa.config.temporal.namespace}/workflows?query=${encodeURIComponent(query)}`,
      );
      await page.getByRole('link', { name: workflowId }).click();
      await page.waitForURL(new RegExp(`/workflows/${workflowId}/`));
      await page.getByText('Running').first().waitFor();
      // The open timer says what the workflow waits for; the current details say it in a sentence.
      await page.getByText('provider callback, or expires in 30 min').first().waitFor();
      await page.screenshot({ path: artifactPath('temporal-ui-stuck-payment.png'), fullPage: true });
      await page.getByRole('tab', { name: 'User Metadata' }).click();
      await shownInFrames(page, 'awaiting_payment: waiting for the provider');
      await shownInFrames(page, 'callback about sandbox_card payment sp_');
      await page.screenshot({ path: artifactPath('temporal-ui-stuck-payment-details.png'), fullPage: true });
      // The status query answers the same from the workflow's own state.
      await page.getByRole('tab', { name: 'Queries' }).click();
      await page.getByRole('button', { name: 'Run Query' }).click();
      await page.getByText('"awaiting_payment"').first().waitFor();
      await page.getByText('"sandbox_card"').first().waitFor();
      await page.screenshot({ path: artifactPath('temporal-ui-stuck-payment-query.png'), fullPage: true });
    } catch (error) {
      await page
        .screenshot({ path: artifactPath('temporal-ui-stuck-payment-failure.png'), fullPage: true })
        .catch(() => undefined);
      throw error;
    } finally {
      await context.close();
    }
  });
});
