import { Router } from 'express';
import type { Translator } from '../../../i18n';
import { setupProgress, type SetupProgress } from '../../../services/setup-checklist';
import type { ServiceDeps } from '../../../services/deps';
import { listMerchantPayments } from '../../../services/payments';
import type { StoredPayment } from '../../../domain/payment';
import { html, type SafeHtml } from '../html';
import { merchantPrincipalOf, pageContext } from '../session';
import { checkoutPath, verificationBadge } from './checkout-views';
import { sendCabinetPage } from './layout';

/** One step of the setup checklist: whether it is done and where it is done. */
export interface ChecklistStep {
  key: 'checkout' | 'verify' | 'notifications' | 'testPayment';
  done: boolean;
  href: string;
}

/** The setup checklist from the merchant's progress: each step links to where it is done. */
export function checklistSteps(progress: SetupProgress): ChecklistStep[] {
  const first = progress.checkouts[0];
  const unverified = progress.checkouts.find((checkout) => checkout.verification.status !== 'verified') ?? first;
  const quiet = progress.checkouts.find((checkout) => checkout.notify_url === checkout.site_url) ?? first;
  return [
    {
      key: 'checkout',
      done: progress.checkoutCreated,
      href: progress.checkoutCreated ? '/dashboard/checkouts' : '/dashboard/checkouts/new',
    },
    {
      key: 'verify',
      done: progress.siteVerified,
      href: unverified ? checkoutPath(unverified.id, 'verification') : '/dashboard/checkouts/new',
    },
    {
      key: 'notifications',
      done: progress.notificationsSet,
      href: quiet ? checkoutPath(quiet.id, 'interface') : '/dashboard/checkouts/new',
    },
    { key: 'testPayment', done: progress.testPaymentMade, href: '/dashboard/payments/test' },
  ];
}

function checklist(t: Translator, steps: readonly ChecklistStep[]): SafeHtml {
  const done = steps.filter((step) => step.done).length;
  return html`<section class="card" aria-labelledby="checklist-title" id="checklist">
<h2 id="checklist-title">${t.t('cabinet.home.checklist')}</h2>
<p class="muted" id="checklist-progress">${t.t('cabinet.home.progress', { done, count: steps.length })}</p>
<ol class="checklist">${steps.map(
    (step) => html`<li class="${step.done ? 'done' : 'todo'}" data-step="${step.key}">
<span class="tick" aria-hidden="true">${step.done ? '✓' : ''}</span>
<span class="visually-hidden">${step.done ? t.t('cabinet.home.done') : t.t('cabinet.home.todo')}: </span>
<a href="${step.href}">${t.t(`cabinet.home.steps.${step.key}`)}</a>
<span class="muted">${t.t(`cabinet.home.hints.${step.key}`)}</span>
</li>`,
  )}</ol>
</section>`;
}

function recentPayments(t: Translator, payments: readonly StoredPayment[]): SafeHtml {
  if (payments.length === 0) return html`<p class="muted" id="no-payments">${t.t('cabinet.home.noPayments')}</p>`;
  return html`<div class="table-wrap" role="region" tabindex="0" aria-labelledby="recent-payments-caption"><table id="recent-payments">
<caption id="recent-payments-caption" class="visually-hidden">${t.t('cabinet.home.recent')}</caption>
<thead><tr><th scope="col">${t.t('cabinet.home.orderId')}</th><th scope="col">${t.t(
    'cabinet.home.amount',
  )}</th><th scope="col">${t.t('cabinet.home.status')}</th><th scope="col">${t.t('cabinet.home.created')}</th></tr></thead>
<tbody>${payments.map(
    (payment) => html`<tr>
<td><a href="/dashboard/payments/${payment.id}">${payment.orderId}</a></td>
<td>${t.money(payment.amountMinor, payment.currency)}</td>
<td><span class="status ${payment.status}">${t.t(`cabinet.paymentStatus.${payment.status}`)}</span></td>
<td>${t.dateTime(payment.createdAt)}</td>
</tr>`,
  )}</tbody></table></div>`;
}

export function homeScreens(deps: ServiceDeps): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    const { session, t } = pageContext(res);
    const principal = merchantPrincipalOf(res);
    const [progress, recent] = await Promise.all([
      setupProgress(deps, principal),
      listMerchantPayments(deps, principal, { limit: 5 }),
    ]);
    const verified = progress.checkouts.filter((checkout) => checkout.verification.status === 'verified').length;
    const body = html`${checklist(t, checklistSteps(progress))}
<section class="card" aria-labelledby="summary-title" id="summary">
<h2 id="summary-title">${t.t('cabinet.home.summary')}</h2>
<dl class="facts">
<dt>${t.t('cabinet.home.mode')}</dt><dd>${session.testMode ? t.t('common.testMode') : t.t('common.liveMode')}</dd>
<dt>${t.t('cabinet.home.checkouts')}</dt><dd id="summary-checkouts">${t.t('cabinet.home.checkoutCount', {
      count: progress.checkouts.length,
      verified,
    })}</dd>
</dl>
${
  progress.checkouts.length > 0
    ? html`<ul class="plain">${progress.checkouts.map(
        (checkout) =>
          html`<li><a href="${checkoutPath(checkout.id, 'general')}">${checkout.name}</a> ${verificationBadge(
            t,
            checkout.verification.status,
          )}</li>`,
      )}</ul>`
    : ''
}
<h3>${t.t('cabinet.home.recent')}</h3>
${recentPayments(t, recent.payments)}
</section>`;
    sendCabinetPage(res, {
      session,
      t,
      active: 'home',
      title: t.t('cabinet.home.title'),
      here: '/dashboard',
      body,
    });
  });
  return router;
}
