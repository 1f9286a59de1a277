import { Router } from 'express';
import { exceptionKinds, exceptionIdPattern, type ExceptionKind } from '../../../domain/exceptions';
import { decideException, getOperatorException, listOperatorExceptions } from '../../../services/exceptions';
import type { ServiceDeps } from '../../../services/deps';
import type { Translator } from '../../../i18n';
import { html, type SafeHtml } from '../html';
import { csrfField, pageContext, type WebSession } from '../session';
import { consoleBase, consolePage, facts, pill } from './layout';
import { choice, doneNotice, field, FieldProblem, moneyText, sendScreen, withDone } from './screen';

const reviewPath = `${consoleBase}/review`;
const pageSize = 25;

type ExceptionView = Awaited<ReturnType<typeof getOperatorException>>;
type DecisionView = NonNullable<ExceptionView['decision']>;

const exceptionPath = (id: string) => `${reviewPath}/${encodeURIComponent(id)}`;
const headingId = (id: string) => `exception-title-${id.replace(/[^A-Za-z0-9_-]/g, '-')}`;

const decisionStatusClass = { pending: 'test', applied: 'paid', failed: 'failed' } as const;

/** Who decided what and when, and how it went. */
export function decisionLine(t: Translator, decision: DecisionView): SafeHtml {
  return html`<p class="decision" data-decision="${decision.id}">${t.t(`console.review.decided.${decision.action}`, {
    operator: decision.operator,
    when: t.dateTime(new Date(decision.decided_at)),
  })} ${pill(decisionStatusClass[decision.status], t.t(`console.review.decisionStatus.${decision.status}`))}${
    decision.failure_reason ? html`<span class="detail" lang="en"> ${decision.failure_reason}</span>` : ''
  }</p>`;
}

function decideForms(session: WebSession, t: Translator, exception: ExceptionView): SafeHtml {
  if (exception.status !== 'open') return html``;
  const reason =
    exception.kind === 'under_review' && exception.reason === 'currency_mismatch'
      ? html`<p class="muted">${t.t('console.review.refundOnly')}</p>`
      : '';
  return html`<div class="row-actions">
<form method="post" action="${exceptionPath(exception.id)}/accept">${csrfField(session)}<button type="submit" aria-describedby="${headingId(exception.id)}">${t.t(`console.review.accept.${exception.kind}`)}</button></form>
<form method="post" action="${exceptionPath(exception.id)}/refund">${csrfField(session)}<button type="submit" class="danger" aria-describedby="${headingId(exception.id)}">${t.t('console.review.refund')}</button></form>
</div>${reason}`;
}

function capturedCell(t: Translator, exception: ExceptionView): SafeHtml {
  if (exception.provider_error) return html`<span class="detail" lang="en">${exception.provider_error}</span>`;
  if (!exception.provider_captured) return html`—`;
  if (!exception.provider_captured.length)
    return html`<span class="muted">${t.t('console.review.nothingCaptured')}</span>`;
  return html`${exception.provider_captured.map(
    (capture) =>
      html`<div>${moneyText(t, capture.amount, capture.currency)} <span class="muted">${capture.provider} ${capture.provider_payment_id}</span></div>`,
  )}`;
}

function exceptionCard(session: WebSession, t: Translator, exception: ExceptionView): SafeHtml {
  return html`<article class="card exception" id="exception-${exception.id.replace(/[^A-Za-z0-9_-]/g, '-')}" data-kind="${exception.kind}">
<h3 id="${headingId(exception.id)}"><a href="${exceptionPath(exception.id)}">${t.t(`console.review.kind.${exception.kind}`)}</a>
${exception.payment_id ? html` · <a class="mono" href="${consoleBase}/payments/${exception.payment_id}">${exception.payment_id}</a>` : html` · <span class="mono">${exception.id}</span>`}</h3>
${facts([
  [
    t.t('console.fields.merchant'),
    exception.merchant_id
      ? html`<a class="mono" href="${consoleBase}/merchants/${exception.merchant_id}">${exception.merchant_id}</a>`
      : '—',
  ],
  [
    t.t('console.fields.status'),
    exception.payment_status
      ? pill(exception.payment_status, t.t(`console.paymentStatus.${exception.payment_status}`))
      : '—',
  ],
  ...(exception.reason
    ? [
        [
          t.t('console.review.reason'),
          t.has(`console.review.reasons.${exception.reason}`)
            ? t.t(`console.review.reasons.${exception.reason}`)
            : exception.reason,
        ] as const,
      ]
    : []),
  [t.t('console.review.expected'), moneyText(t, exception.expected_total ?? exception.amount, exception.currency)],
  [t.t('console.review.captured'), capturedCell(t, exception)],
  ...(exception.flags.length
    ? [
        [
          t.t('console.review.flags'),
          html`${exception.flags.map((flag) => html`<div><span class="tag">${flag.flag}</span> ${flag.provider} ${flag.state} <span class="muted">${t.dateTime(new Date(flag.received_at))}</span></div>`)}`,
        ] as const,
      ]
    : []),
  [t.t('console.review.since'), t.dateTime(new Date(exception.since))],
])}
${exception.decision ? decisionLine(t, exception.decision) : decideForms(session, t, exception)}
</article>`;
}

export function reviewScreens(deps: ServiceDeps): Router {
  const router = Router();

  router.get('/review', async (req, res) => {
    const { session, t } = pageContext(res);
    const status = choice(req.query, 'status', ['open', 'decided', 'all'] as const);
    const kindText = field(req.query, 'kind', { max: 40 });
    if (kindText !== undefined && !(exceptionKinds as readonly string[]).includes(kindText))
      throw new FieldProblem('kind', 'invalid');
    const kind = kindText as ExceptionKind | undefined;
    const after = field(req.query, 'after', { max: 260 });
    if (after !== undefined && !exceptionIdPattern.test(after)) throw new FieldProblem('after', 'invalid');
    const page = await listOperatorExceptions(deps, { status, kind, limit: pageSize, startingAfter: after });
    const next = page.has_more
      ? new URLSearchParams({ status, ...(kind ? { kind } : {}), after: page.data.at(-1)!.id }).toString()
      : null;
    const body = html`<form method="get" action="${reviewPath}" class="inline-form filters">
<label for="review-status">${t.t('console.fields.status')}</label>
<select id="review-status" name="status">${(['open', 'decided', 'all'] as const).map(
      (value) =>
        html`<option value="${value}"${value === status ? html` selected` : ''}>${t.t(`console.review.filter.${value}`)}</option>`,
    )}</select>
<label for="review-kind">${t.t('console.review.kindLabel')}</label>
<select id="review-kind" name="kind"><option value="">${t.t('console.review.filter.anyKind')}</option>${exceptionKinds.map(
      (value) =>
        html`<option value="${value}"${value === kind ? html` selected` : ''}>${t.t(`console.review.kind.${value}`)}</option>`,
    )}</select>
<button type="submit" class="secondary">${t.t('console.actions.filter')}</button>
</form>
<p class="muted">${t.t('console.review.intro')}</p>
<div id="exceptions">${
      page.data.length
        ? page.data.map((exception) => exceptionCard(session, t, exception))
        : html`<p class="muted" id="queue-empty">${t.t('console.review.empty')}</p>`
    }</div>
${next ? html`<p><a href="${reviewPath}?${next}" rel="next">${t.t('common.next')}</a></p>` : ''}`;
    sendScreen(
      res,
      consolePage({
        session,
        t,
        active: 'review',
        title: t.t('console.nav.review'),
        here: reviewPath,
        notice: doneNotice(req),
        body,
      }),
    );
  });

  router.get('/review/:id', async (req, res) => {
    const { session, t } = pageContext(res);
    const exception = await getOperatorException(deps, req.params.id);
    const body = html`${exceptionCard(session, t, exception)}
<h2>${t.t('console.review.history')}</h2>
${
  exception.decisions.length
    ? html`<ol class="decisions">${exception.decisions.map((decision) => html`<li>${decisionLine(t, decision)}</li>`)}</ol>`
    : html`<p class="muted">${t.t('console.review.noDecisions')}</p>`
}
<p><a href="${reviewPath}">${t.t('console.review.backToQueue')}</a></p>`;
    sendScreen(
      res,
      consolePage({
        session,
        t,
        active: 'review',
        title: t.t(`console.review.kind.${exception.kind}`),
        here: exceptionPath(exception.id),
        notice: doneNotice(req),
        body,
      }),
    );
  });

  for (const action of ['accept', 'refund'] as const) {
    router.post(`/review/:id/${action}`, async (req, res) => {
      const { session } = pageContext(res);
      const decision = await decideException(deps, req.params.id, action, session.email);
      res.redirect(303, withDone(exceptionPath(decision.exception_id), 'decided'));
    });
  }

  return router;
}
