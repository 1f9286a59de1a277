import { Router } from 'express';
import { isId } from '../../../domain/ids';
import { cancelAsOperator, inspectPayment, recheckProvider } from '../../../services/operator';
import type { ServiceDeps } from '../../../services/deps';
import { purchaseWorkflowId } from '../../../workflows/shared';
import { html } from '../html';
import { csrfField, pageContext } from '../session';
import { consoleBase, consolePage, facts, pill } from './layout';
import { temporalUiLink, waitingSummary } from './payment-waiting';
import { doneNotice, field, FieldProblem, moneyText, sendScreen, withDone } from './screen';

const paymentsPath = `${consoleBase}/payments`;

const paymentIdOf = (value: string | undefined) => {
  if (!value || !isId('pay', value)) throw new FieldProblem('payment_id', 'invalid');
  return value;
};

export function paymentScreens(deps: ServiceDeps): Router {
  const router = Router();

  router.get('/payments', async (req, res) => {
    const { session, t } = pageContext(res);
    const id = field(req.query, 'id', { max: 80 });
    if (id !== undefined) return res.redirect(303, `${paymentsPath}/${paymentIdOf(id)}`);
    const body = html`<form method="get" action="${paymentsPath}" class="card inline-form" role="search" id="payment-lookup">
<label for="payment-id">${t.t('console.payment.lookup')}</label>
<input id="payment-id" name="id" required maxlength="80" placeholder="pay_…" spellcheck="false">
<button type="submit">${t.t('console.actions.open')}</button>
</form>
<p class="muted">${t.t('console.payment.lookupHint')}</p>`;
    sendScreen(
      res,
      consolePage({ session, t, active: 'payments', title: t.t('console.nav.payments'), here: paymentsPath, body }),
    );
  });

  router.get('/payments/:id', async (req, res) => {
    const { session, t } = pageContext(res);
    const inspection = await inspectPayment(deps, paymentIdOf(req.params.id));
    const { payment } = inspection;
    const here = `${paymentsPath}/${payment.id}`;
    const waiting = waitingSummary(inspection);
    const dates = Object.fromEntries(
      Object.entries(waiting.dates).map(([name, iso]) => [name, t.dateTime(new Date(iso))]),
    );
    const workflowId = inspection.workflow?.id ?? purchaseWorkflowId(payment.id);
    const uiLink = temporalUiLink(deps.config.temporalUiUrl, deps.config.temporal.namespace, workflowId);
    const amount = (value: string | null) => moneyText(t, value, payment.currency);
    const body = html`<section class="card waiting" id="waiting-for" aria-labelledby="waiting-title">
<h2 id="waiting-title">${t.t('console.payment.waitingTitle')}</h2>
<p class="waiting-summary">${t.t(`console.payment.waiting.${waiting.key}`, { ...waiting.params, ...dates })}</p>
<p class="detail muted" lang="en">${inspection.waiting_for}</p>
${
  uiLink
    ? html`<p><a id="temporal-link" href="${uiLink}" rel="noopener noreferrer" target="_blank">${t.t('console.payment.temporalLink')}</a> <span class="muted mono">${workflowId}</span></p>`
    : html`<p class="muted">${t.t('console.payment.noTemporalUi')} <span class="mono">${workflowId}</span></p>`
}
<div class="row-actions">
${
  payment.status === 'awaiting_payment'
    ? html`<form method="post" action="${here}/recheck">${csrfField(session)}<button type="submit" class="secondary">${t.t('console.payment.recheck')}</button></form>`
    : ''
}
${
  payment.status === 'awaiting_method' || payment.status === 'awaiting_payment'
    ? html`<form method="post" action="${here}/cancel">${csrfField(session)}<button type="submit" class="danger">${t.t('console.payment.cancel')}</button></form>`
    : ''
}
</div>
</section>
<div class="card">${facts([
      [t.t('console.fields.status'), pill(payment.status, t.t(`console.paymentStatus.${payment.status}`))],
      [
        t.t('console.fields.merchant'),
        html`<a class="mono" href="${consoleBase}/merchants/${inspection.merchant_id}">${inspection.merchant_id}</a>`,
      ],
      [t.t('console.fields.amount'), amount(payment.amount)],
      [t.t('console.payment.buyerTotal'), amount(payment.buyer_total)],
      [t.t('console.payment.fee'), amount(payment.fee)],
      [t.t('console.payment.orderId'), payment.order_id],
      [t.t('console.payment.description'), payment.description],
      [t.t('console.payment.method'), payment.method ?? '—'],
      [t.t('console.keys.modeLabel'), t.t(`console.keys.mode.${payment.test_mode ? 'test' : 'live'}`)],
      [t.t('console.fields.created'), t.dateTime(new Date(payment.created_at))],
      [t.t('console.payment.expires'), t.dateTime(new Date(payment.expires_at))],
      ...(payment.failure_reason ? [[t.t('console.review.reason'), payment.failure_reason] as const] : []),
      ...(inspection.workflow
        ? [
            [
              t.t('console.payment.workflow'),
              html`${inspection.workflow.status} · ${t.t('console.payment.historyLength', { count: inspection.workflow.history_length })}`,
            ] as const,
          ]
        : []),
    ])}</div>
<h2>${t.t('console.payment.attempts')}</h2>
${
  inspection.attempts.length
    ? html`<div class="table-wrap"><table id="attempts"><caption class="visually-hidden">${t.t('console.payment.attempts')}</caption>
<thead><tr><th scope="col">#</th><th scope="col">${t.t('console.connectors.provider')}</th><th scope="col">${t.t('console.payment.method')}</th><th scope="col">${t.t('console.payment.providerId')}</th><th scope="col">${t.t('console.fields.status')}</th><th scope="col">${t.t('console.fields.created')}</th></tr></thead>
<tbody>${inspection.attempts.map(
        (
          attempt,
        ) => html`<tr><td>${attempt.attempt}</td><td>${attempt.provider}<div class="muted mono">${attempt.connector_id ?? ''}</div></td><td>${attempt.method}</td>
<td class="mono">${attempt.provider_payment_id ?? '—'}</td><td>${attempt.status}${attempt.error ? html`<div class="detail" lang="en">${attempt.error}</div>` : ''}</td><td>${t.dateTime(new Date(attempt.created_at))}</td></tr>`,
      )}</tbody></table></div>`
    : html`<p class="muted">${t.t('console.payment.noAttempts')}</p>`
}
<h2>${t.t('console.payment.events')}</h2>
${
  inspection.events.length
    ? html`<div class="table-wrap"><table id="events"><caption class="visually-hidden">${t.t('console.payment.events')}</caption>
<thead><tr><th scope="col">${t.t('console.payment.event')}</th><th scope="col">${t.t('console.fields.created')}</th><th scope="col">${t.t('console.payment.delivered')}</th><th scope="col">${t.t('console.payment.deliveryAttempts')}</th></tr></thead>
<tbody>${inspection.events.map(
        (
          event,
        ) => html`<tr><td><span class="mono">${event.type}</span></td><td>${t.dateTime(new Date(event.created_at))}</td>
<td>${event.delivered_at ? t.dateTime(new Date(event.delivered_at)) : pill('expired', t.t('console.payment.notDelivered'))}</td>
<td>${event.attempts.map((attempt) => html`<div>#${attempt.attempt}: ${attempt.status_code ?? '—'}${attempt.error ? html` <span class="detail" lang="en">${attempt.error}</span>` : ''}</div>`)}</td></tr>`,
      )}</tbody></table></div>`
    : html`<p class="muted">${t.t('console.payment.noEvents')}</p>`
}
${
  inspection.pending_activities.length
    ? html`<h2>${t.t('console.payment.pending')}</h2><ul>${inspection.pending_activities.map(
        (activity) =>
          html`<li><span class="mono">${activity.activity_type}</span> · ${t.t('console.payment.attemptN', { count: activity.attempt })}${activity.last_failure ? html` · <span class="detail" lang="en">${activity.last_failure}</span>` : ''}</li>`,
      )}</ul>`
    : ''
}`;
    sendScreen(
      res,
      consolePage({
        session,
        t,
        active: 'payments',
        title: t.t('console.payment.title', { id: payment.id }),
        here,
        notice: doneNotice(req),
        body,
      }),
    );
  });

  router.post('/payments/:id/recheck', async (req, res) => {
    const id = paymentIdOf(req.params.id);
    await recheckProvider(deps, id);
    res.redirect(303, withDone(`${paymentsPath}/${id}`, 'recheckRequested'));
  });

  router.post('/payments/:id/cancel', async (req, res) => {
    const id = paymentIdOf(req.params.id);
    await cancelAsOperator(deps, id);
    res.redirect(303, withDone(`${paymentsPath}/${id}`, 'canceled'));
  });

  return router;
}
