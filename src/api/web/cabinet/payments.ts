import { once } from 'node:events';
import { type Response, Router } from 'express';
import { paymentStatuses, type StoredPayment } from '../../../domain/payment';
import { randomToken } from '../../../domain/ids';
import { formatAmount, supportedCurrencies } from '../../../domain/money';
import type { Translator } from '../../../i18n';
import { listCheckoutChoices } from '../../../services/checkouts';
import type { ServiceDeps } from '../../../services/deps';
import { createPayment, listMerchantPayments } from '../../../services/payments';
import { html } from '../html';
import { csrfField, merchantPrincipalOf, pageContext } from '../session';
import { sendCabinetPage } from './layout';
import { csvRow } from './payment-csv';
import { paymentDetailScreens } from './payment-detail';
import { filterQuery, parsePaymentFilters, type PaymentFilterValues } from './payment-filters';
import { FieldError, formField, moneyHead, refusal, refusalAlert, screen, statusLabel, tableOr } from './payment-kit';

/** Payments read per query while a CSV export streams. */
const exportBatch = 500;
/** The most rows one export holds; narrow the filters for more. */
const exportLimit = 100_000;

/** The payments screens: the filtered list, its CSV export, a test payment, and each payment's page. */
export function paymentScreens(deps: ServiceDeps): Router {
  const router = Router();

  router.get(
    '/payments.csv',
    screen('payments', async (req, res) => {
      const { search } = parsePaymentFilters(req);
      const principal = merchantPrincipalOf(res);
      const stamp = new Date().toISOString().slice(0, 10);
      res
        .status(200)
        .type('text/csv; charset=utf-8')
        .set(
          'content-disposition',
          `attachment; filename="payments-${principal.testMode ? 'test' : 'live'}-${stamp}.csv"`,
        )
        .set('cache-control', 'no-store');
      res.write(
        csvRow([
          'id',
          'created_at',
          'order_id',
          'status',
          'amount',
          'currency',
          'fee',
          'buyer_total',
          'merchant_net',
          'method',
          'description',
          'paid_at',
          'checkout_id',
        ]),
      );
      let startingAfter = search.startingAfter;
      // once rows are going out no error page can follow: a failure cuts the download short instead
      try {
        for (let written = 0; written < exportLimit;) {
          const page = await listMerchantPayments(deps, principal, { ...search, startingAfter, limit: exportBatch });
          const amount = (minor: bigint | null, currency: string) =>
            minor === null ? null : formatAmount(minor, currency);
          const chunk = page.payments
            .map((payment) =>
              csvRow([
                payment.id,
                payment.createdAt.toISOString(),
                payment.orderId,
                payment.status,
                formatAmount(payment.amountMinor, payment.currency),
                payment.currency,
                amount(payment.feeMinor, payment.currency),
                amount(payment.buyerTotalMinor, payment.currency),
                amount(payment.merchantNetMinor, payment.currency),
                payment.method,
                payment.description,
                payment.paidAt?.toISOString(),
                payment.checkoutId,
              ]),
            )
            .join('');
          if (!res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
          if (res.destroyed) return;
          written += page.payments.length;
          if (!page.hasMore) break;
          startingAfter = page.payments.at(-1)!.id;
        }
      } catch (error) {
        res.destroy(error as Error);
        return;
      }
      res.end();
    }),
  );

  router.get(
    '/payments/test',
    screen('payments', async (_req, res) => {
      await sendTestPaymentForm(deps, res, {});
    }),
  );

  router.post(
    '/payments/test',
    screen('payments', async (req, res) => {
      const form = { checkout_id: formField(req, 'checkout_id'), amount: formField(req, 'amount') };
      const principal = { ...merchantPrincipalOf(res), testMode: true };
      const checkout = (await listCheckoutChoices(deps, principal)).find((choice) => choice.id === form.checkout_id);
      try {
        if (!checkout) throw new FieldError('checkout_id', 'choice');
        if (!form.amount) throw new FieldError('amount', 'required');
        const currency = checkout.currencies.includes('RUB') ? 'RUB' : checkout.currencies[0]!;
        const payment = await createPayment(deps, principal, {
          checkoutId: checkout.id,
          orderId: `test-${randomToken(10)}`,
          amount: form.amount,
          currency: formField(req, 'currency') || currency,
          description: pageContext(res).t.t('money.test.description'),
        });
        res.redirect(303, `/pay/${encodeURIComponent(payment.id)}`);
      } catch (error) {
        const refused = refusal(pageContext(res).t, error);
        if (!refused) throw error;
        await sendTestPaymentForm(deps, res, form, refused.message, refused.status);
      }
    }),
  );

  router.get(
    '/payments',
    screen('payments', async (req, res) => {
      const { session, t } = pageContext(res);
      const { values, search, pageSize } = parsePaymentFilters(req);
      const page = await listMerchantPayments(deps, merchantPrincipalOf(res), { ...search, limit: pageSize });
      const rows = page.payments.map((payment) => paymentRow(t, payment));
      const last = page.payments.at(-1);
      const pager = html`<nav class="pager" aria-label="${t.t('money.payments.pages')}">
${search.startingAfter ? html`<a href="/dashboard/payments${filterQuery(values)}" id="first-page">${t.t('money.payments.firstPage')}</a>` : ''}
${page.hasMore && last ? html`<a href="/dashboard/payments${filterQuery(values, { starting_after: last.id })}" id="next-page" rel="next">${t.t('common.next')}</a>` : ''}
</nav>`;
      sendCabinetPage(res, {
        session,
        t,
        active: 'payments',
        title: t.t('money.payments.title'),
        here: '/dashboard/payments',
        head: moneyHead,
        body: html`<p class="actions"><a class="button" href="/dashboard/payments/test" id="make-test-payment">${t.t('money.test.title')}</a>
<a class="button secondary" href="/dashboard/payments.csv${filterQuery(values)}" id="export-csv" download>${t.t('money.payments.export')}</a></p>
${filterForm(t, values)}
${tableOr(
  t.t('money.payments.empty'),
  html`<tr><th scope="col">${t.t('money.fields.created')}</th><th scope="col">${t.t('money.fields.order_id')}</th><th scope="col">${t.t(
    'money.fields.description',
  )}</th><th scope="col">${t.t('money.fields.status')}</th><th scope="col" class="num">${t.t('money.fields.amount')}</th><th scope="col">${t.t(
    'money.fields.method',
  )}</th></tr>`,
  rows,
  'payments',
)}
${pager}`,
      });
    }),
  );

  router.use(paymentDetailScreens(deps));
  return router;
}

function paymentRow(t: Translator, payment: StoredPayment) {
  return html`<tr>
<td>${t.dateTime(payment.createdAt)}</td>
<td><a href="/dashboard/payments/${payment.id}">${payment.orderId}</a></td>
<td class="text">${payment.description}</td>
<td>${statusLabel(t, 'status', payment.status)}</td>
<td class="num">${t.money(payment.amountMinor, payment.currency)}</td>
<td>${payment.method ? methodName(t, payment.method) : '—'}</td>
</tr>`;
}

/** A payment method's name for people: its catalog name, or its code. */
export const methodName = (t: Translator, method: string) =>
  t.has(`money.methods.${method}`) ? t.t(`money.methods.${method}`) : method;

function filterForm(t: Translator, values: PaymentFilterValues) {
  const option = (value: string, label: string, chosen: string) =>
    html`<option value="${value}"${value === chosen ? html` selected` : ''}>${label}</option>`;
  return html`<form method="get" action="/dashboard/payments" class="filters" id="payment-filters">
<fieldset><legend>${t.t('money.payments.filters')}</legend>
<div class="field"><label for="f-status">${t.t('money.fields.status')}</label>
<select id="f-status" name="status">${option('', t.t('money.payments.anyStatus'), values.status)}${paymentStatuses.map(
    (status) => option(status, t.t(`money.status.${status}`), values.status),
  )}</select></div>
<div class="field"><label for="f-from">${t.t('money.fields.created_from')}</label><input id="f-from" name="created_from" type="date" value="${values.created_from}"></div>
<div class="field"><label for="f-to">${t.t('money.fields.created_to')}</label><input id="f-to" name="created_to" type="date" value="${values.created_to}"></div>
<div class="field"><label for="f-order">${t.t('money.fields.order_id')}</label><input id="f-order" name="order_id" value="${values.order_id}"></div>
<div class="field"><label for="f-currency">${t.t('money.fields.currency')}</label>
<select id="f-currency" name="currency">${option('', t.t('money.payments.anyCurrency'), values.currency)}${supportedCurrencies.map(
    (code) => option(code, code, values.currency),
  )}</select></div>
<div class="field"><label for="f-min">${t.t('money.fields.amount_min')}</label><input id="f-min" name="amount_min" inputmode="decimal" value="${values.amount_min}"></div>
<div class="field"><label for="f-max">${t.t('money.fields.amount_max')}</label><input id="f-max" name="amount_max" inputmode="decimal" value="${values.amount_max}"></div>
<div class="field buttons"><button type="submit">${t.t('money.payments.apply')}</button> <a href="/dashboard/payments">${t.t('money.payments.reset')}</a></div>
</fieldset></form>`;
}

async function sendTestPaymentForm(
  deps: ServiceDeps,
  res: Response,
  form: { checkout_id?: string; amount?: string },
  error?: string,
  status = 200,
) {
  const { session, t } = pageContext(res);
  const checkouts = await listCheckoutChoices(deps, { ...merchantPrincipalOf(res), testMode: true });
  const body = checkouts.length
    ? html`${refusalAlert(error)}<p>${t.t('money.test.explain')}</p>
<form method="post" action="/dashboard/payments/test" class="panel" id="test-payment">${csrfField(session)}
<div class="field"><label for="t-checkout">${t.t('money.fields.checkout_id')}</label>
<select id="t-checkout" name="checkout_id">${checkouts.map(
        (checkout) =>
          html`<option value="${checkout.id}"${checkout.id === form.checkout_id ? html` selected` : ''}>${checkout.name} (${checkout.currencies.join(', ')})</option>`,
      )}</select></div>
<div class="field"><label for="t-amount">${t.t('money.fields.amount')}</label>
<input id="t-amount" name="amount" inputmode="decimal" required value="${form.amount ?? '50.00'}"></div>
<button type="submit">${t.t('money.test.submit')}</button></form>`
    : html`<p class="empty">${t.t('money.test.noCheckout')} <a href="/dashboard/checkouts">${t.t('cabinet.nav.checkouts')}</a></p>`;
  sendCabinetPage(
    res,
    {
      session,
      t,
      active: 'payments',
      title: t.t('money.test.title'),
      here: '/dashboard/payments/test',
      head: moneyHead,
      body,
    },
    status,
  );
}
