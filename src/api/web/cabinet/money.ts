import { type Response, Router } from 'express';
import type { MerchantPrincipal } from '../../../domain/merchant';
import { parseAmount, supportedCurrencies } from '../../../domain/money';
import type { Payout, PayoutDestination } from '../../../domain/payout';
import type { Translator } from '../../../i18n';
import { getBalance } from '../../../services/balance';
import type { ServiceDeps } from '../../../services/deps';
import { createPayout, merchantPayouts } from '../../../services/payouts';
import { html } from '../html';
import { csrfField, merchantPrincipalOf, onceField, onceKeyOf, pageContext } from '../session';
import { sendCabinetPage } from './layout';
import {
  FieldError,
  formField,
  moneyHead,
  noticeAlert,
  noticeOf,
  refusal,
  refusalAlert,
  screen,
  statusLabel,
  tableOr,
} from './payment-kit';

const notices = ['payout_created'] as const;

/** What the payout form keeps of what was typed: never a card number or token (the form is sent back empty there). */
interface PayoutForm {
  amount?: string;
  currency?: string;
  type?: string;
  wallet_id?: string;
}

/** Looks like a card number (13–19 digits, spaces or dashes between), which the form never takes or echoes. */
export const looksLikeCardNumber = (value: string) =>
  /^\d[\d -]{11,}\d$/.test(value) && value.replace(/\D/g, '').length >= 13;

/** A payout's destination for people: a card only as its last four digits. */
export function destinationText(t: Translator, destination: PayoutDestination): string {
  return destination.type === 'card'
    ? t.t('money.payout.card', { last4: destination.last4 })
    : t.t('money.payout.wallet', { wallet: destination.walletId });
}

/** The balance screen: balances per currency in both modes, the payout form and the payouts. */
export function moneyScreens(deps: ServiceDeps): Router {
  const router = Router();

  router.get(
    '/balance',
    screen('balance', async (req, res) => {
      await sendBalancePage(deps, res, { notice: noticeOf(req, notices) });
    }),
  );

  router.post(
    '/balance/payouts',
    screen('balance', async (req, res) => {
      const form: PayoutForm = {
        amount: formField(req, 'amount'),
        currency: formField(req, 'currency'),
        type: formField(req, 'type'),
        wallet_id: formField(req, 'wallet_id'),
      };
      const token = formField(req, 'card_token');
      try {
        if (!form.amount) throw new FieldError('amount', 'required');
        if (!form.currency || !supportedCurrencies.includes(form.currency)) throw new FieldError('currency', 'choice');
        try {
          parseAmount(form.amount, form.currency);
        } catch {
          throw new FieldError('amount', 'decimal');
        }
        let destination: { type: 'card'; token: string } | { type: 'wallet'; walletId: string };
        if (form.type === 'card') {
          if (!token) throw new FieldError('card_token', 'required');
          if (looksLikeCardNumber(token)) throw new FieldError('card_token', 'card_number');
          destination = { type: 'card', token };
        } else if (form.type === 'wallet') {
          if (!form.wallet_id) throw new FieldError('wallet_id', 'required');
          destination = { type: 'wallet', walletId: form.wallet_id };
        } else {
          throw new FieldError('type', 'choice');
        }
        await createPayout(
          deps,
          merchantPrincipalOf(res),
          { amount: form.amount, currency: form.currency, destination },
          onceKeyOf(req),
        );
      } catch (error) {
        const refused = refusal(pageContext(res).t, error);
        if (!refused) throw error;
        await sendBalancePage(deps, res, { form, error: refused.message }, refused.status);
        return;
      }
      res.redirect(303, '/dashboard/balance?notice=payout_created#payouts');
    }),
  );

  return router;
}

async function sendBalancePage(
  deps: ServiceDeps,
  res: Response,
  state: { notice?: string | null; form?: PayoutForm; error?: string },
  status = 200,
) {
  const { session, t } = pageContext(res);
  const principal = merchantPrincipalOf(res);
  const modes: MerchantPrincipal[] = [
    { ...principal, testMode: false },
    { ...principal, testMode: true },
  ];
  const [balances, payouts] = await Promise.all([
    Promise.all(modes.map((mode) => getBalance(deps, mode))),
    merchantPayouts(deps, principal, 50),
  ]);
  const form = state.form ?? {};
  const current = balances.find((balance) => balance.test_mode === principal.testMode)!;
  const currencies = current.balances.length ? current.balances.map((balance) => balance.currency) : ['RUB'];
  const chosenCurrency = form.currency ?? currencies[0]!;
  const chosenType = form.type === 'card' ? 'card' : 'wallet';

  const balanceTables = balances.map(
    (
      balance,
    ) => html`<section class="panel balance" aria-labelledby="h-balance-${balance.test_mode ? 'test' : 'live'}"${
      balance.test_mode === principal.testMode ? html` id="balance-current"` : ''
    }>
<h2 id="h-balance-${balance.test_mode ? 'test' : 'live'}">${balance.test_mode ? t.t('common.testMode') : t.t('common.liveMode')}</h2>
${tableOr(
  t.t('money.balance.empty'),
  html`<tr><th scope="col">${t.t('money.fields.currency')}</th><th scope="col" class="num">${t.t('money.balance.available')}</th><th scope="col" class="num">${t.t(
    'money.balance.pending',
  )}</th><th scope="col" class="num">${t.t('money.balance.reserved')}</th></tr>`,
  balance.balances.map(
    (
      row,
    ) => html`<tr><th scope="row">${row.currency}</th><td class="num">${t.money(parseAmount(row.available, row.currency), row.currency)}</td>
<td class="num">${t.money(parseAmount(row.pending, row.currency), row.currency)}</td><td class="num">${t.money(
      parseAmount(row.reserved, row.currency),
      row.currency,
    )}</td></tr>`,
  ),
)}</section>`,
  );

  const payoutForm = html`<form method="post" action="/dashboard/balance/payouts" class="panel" id="payout-form" autocomplete="off">${csrfField(session)}${onceField()}
<h2>${t.t('money.payout.title')}</h2>
${refusalAlert(state.error)}
<p>${t.t(principal.testMode ? 'money.payout.explainTest' : 'money.payout.explainLive')}</p>
<div class="field"><label for="p-amount">${t.t('money.fields.amount')}</label><input id="p-amount" name="amount" inputmode="decimal" required value="${form.amount ?? ''}"></div>
<div class="field"><label for="p-currency">${t.t('money.fields.currency')}</label><select id="p-currency" name="currency">${[
    ...new Set([...currencies, ...supportedCurrencies]),
  ].map(
    (code) => html`<option value="${code}"${code === chosenCurrency ? html` selected` : ''}>${code}</option>`,
  )}</select></div>
<fieldset class="choice"><legend>${t.t('money.fields.type')}</legend>
<label><input type="radio" name="type" value="wallet"${chosenType === 'wallet' ? html` checked` : ''}> ${t.t('money.payout.toWallet')}</label>
<label><input type="radio" name="type" value="card"${chosenType === 'card' ? html` checked` : ''}> ${t.t('money.payout.toCard')}</label></fieldset>
<div class="field"><label for="p-wallet">${t.t('money.fields.wallet_id')}</label><input id="p-wallet" name="wallet_id" value="${form.wallet_id ?? ''}"></div>
<div class="field"><label for="p-card">${t.t('money.fields.card_token')}</label><input id="p-card" name="card_token" aria-describedby="p-card-hint" autocomplete="off" value="">
<p class="hint" id="p-card-hint">${t.t('money.payout.cardHint')}</p></div>
<button type="submit">${t.t('money.payout.submit')}</button></form>`;

  const payoutRows = payouts.map(
    (
      payout: Payout,
    ) => html`<tr><td>${t.dateTime(payout.createdAt)}</td><td class="num">${t.money(payout.amountMinor, payout.currency)}</td>
<td>${destinationText(t, payout.destination)}</td><td>${statusLabel(t, 'payoutStatus', payout.status)}</td>
<td class="num">${payout.feeMinor === null ? '—' : t.money(payout.feeMinor, payout.currency)}</td><td><code>${payout.id}</code></td>
<td class="text">${payout.failureReason ?? ''}</td></tr>`,
  );

  sendCabinetPage(
    res,
    {
      session,
      t,
      active: 'balance',
      title: t.t('money.balance.title'),
      here: '/dashboard/balance',
      head: moneyHead,
      body: html`${noticeAlert(t, state.notice ?? null)}
<div class="columns">${balanceTables}</div>
${payoutForm}
<section aria-labelledby="h-payouts" id="payouts"><h2 id="h-payouts">${t.t('money.payout.list')}</h2>
${tableOr(
  t.t('money.payout.empty'),
  html`<tr><th scope="col">${t.t('money.fields.created')}</th><th scope="col" class="num">${t.t('money.fields.amount')}</th><th scope="col">${t.t(
    'money.fields.destination',
  )}</th><th scope="col">${t.t('money.fields.status')}</th><th scope="col" class="num">${t.t('money.fields.fee')}</th><th scope="col">${t.t(
    'money.fields.id',
  )}</th><th scope="col">${t.t('money.fields.failure_reason')}</th></tr>`,
  payoutRows,
  'payout-list',
)}</section>`,
    },
    status,
  );
}
