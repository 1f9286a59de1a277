import { Router } from 'express';
import { DomainError } from '../../../domain/errors';
import { latestReconciliation, runReconciliation } from '../../../services/reconciliation';
import type { ServiceDeps } from '../../../services/deps';
import type { Translator } from '../../../i18n';
import { html } from '../html';
import { csrfField, pageContext } from '../session';
import { consoleBase, consolePage, facts, pill } from './layout';
import { doneNotice, field, FieldProblem, sendScreen, withDone } from './screen';

const reconciliationPath = `${consoleBase}/reconciliation`;
const dayMs = 86_400_000;

/** A `YYYY-MM-DD` field as the start of that UTC day; a date that does not exist is refused. */
export function utcDay(source: unknown, name: string): Date | undefined {
  const value = field(source, name, { max: 10, pattern: /^\d{4}-\d{2}-\d{2}$/ });
  if (value === undefined) return undefined;
  const day = new Date(`${value}T00:00:00.000Z`);
  if (Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== value) throw new FieldProblem(name, 'invalid');
  return day;
}

const kindText = (t: Translator, kind: string) =>
  t.has(`console.reconciliation.kinds.${kind}`) ? t.t(`console.reconciliation.kinds.${kind}`) : kind;

export function reconciliationScreens(deps: ServiceDeps): Router {
  const router = Router();

  router.get('/reconciliation', async (req, res) => {
    const { session, t } = pageContext(res);
    let latest: Awaited<ReturnType<typeof latestReconciliation>> | null = null;
    try {
      latest = await latestReconciliation(deps);
    } catch (error) {
      if (!(error instanceof DomainError && error.kind === 'not_found')) throw error;
    }
    const today = new Date().toISOString().slice(0, 10);
    const window = (from: string, to: string) =>
      t.t('console.reconciliation.window', { from: t.dateTime(new Date(from)), to: t.dateTime(new Date(to)) });
    const body = html`<form method="post" action="${reconciliationPath}/runs" class="card inline-form" id="run-reconciliation">
${csrfField(session)}
<label for="from">${t.t('console.fields.from')}</label><input id="from" name="from" type="date" value="${today}">
<label for="to">${t.t('console.fields.to')}</label><input id="to" name="to" type="date" value="${today}">
<button type="submit">${t.t('console.reconciliation.run')}</button>
<p class="muted">${t.t('console.reconciliation.runHint')}</p>
</form>
${
  latest
    ? html`<section id="latest-run" aria-labelledby="latest-title"><h2 id="latest-title">${t.t('console.reconciliation.latest')}</h2>
<div class="card">${facts([
        [t.t('console.reconciliation.period'), window(latest.window.from, latest.window.to)],
        [t.t('console.reconciliation.finished'), t.dateTime(new Date(latest.finished_at))],
        [
          t.t('console.reconciliation.checked'),
          html`${Object.entries(latest.checked).map(([what, count]) => html`<span class="tag">${what}: ${count}</span> `)}`,
        ],
        [
          t.t('console.reconciliation.result'),
          latest.mismatch_count
            ? pill('failed', t.t('console.reconciliation.mismatches', { count: latest.mismatch_count }))
            : pill('paid', t.t('console.reconciliation.clean')),
        ],
        [t.t('console.reconciliation.workflow'), html`<span class="mono">${latest.workflow_id}</span>`],
      ])}</div>
${
  latest.mismatches.length
    ? html`<div class="table-wrap"><table id="mismatches"><caption>${t.t('console.reconciliation.differences')}</caption>
<thead><tr><th scope="col">${t.t('console.reconciliation.kind')}</th><th scope="col">${t.t('console.reconciliation.source')}</th><th scope="col">${t.t('console.fields.id')}</th><th scope="col">${t.t('console.connectors.provider')}</th><th scope="col">${t.t('console.reconciliation.detail')}</th></tr></thead>
<tbody>${latest.mismatches.map(
        (
          mismatch,
        ) => html`<tr><td>${kindText(t, mismatch.kind)}</td><td>${t.t(`console.reconciliation.sources.${mismatch.source}`)}</td>
<td>${mismatch.id?.startsWith('pay_') ? html`<a class="mono" href="${consoleBase}/payments/${mismatch.id}">${mismatch.id}</a>` : html`<span class="mono">${mismatch.id ?? '—'}</span>`}</td>
<td>${mismatch.provider ?? '—'}</td><td class="detail" lang="en">${mismatch.message}</td></tr>`,
      )}</tbody></table></div>`
    : ''
}
</section>
${
  latest.earlier_runs.length
    ? html`<h2>${t.t('console.reconciliation.earlier')}</h2><div class="table-wrap"><table id="earlier-runs"><caption class="visually-hidden">${t.t('console.reconciliation.earlier')}</caption>
<thead><tr><th scope="col">${t.t('console.reconciliation.period')}</th><th scope="col">${t.t('console.reconciliation.finished')}</th><th scope="col" class="num">${t.t('console.reconciliation.differences')}</th></tr></thead>
<tbody>${latest.earlier_runs.map(
        (run) =>
          html`<tr><td>${window(run.window.from, run.window.to)}</td><td>${t.dateTime(new Date(run.finished_at))}</td><td class="num">${run.mismatch_count}</td></tr>`,
      )}</tbody></table></div>`
    : ''
}`
    : html`<p class="muted" id="no-runs">${t.t('console.reconciliation.none')}</p>`
}`;
    sendScreen(
      res,
      consolePage({
        session,
        t,
        active: 'reconciliation',
        title: t.t('console.nav.reconciliation'),
        here: reconciliationPath,
        notice: doneNotice(req),
        body,
      }),
    );
  });

  router.post('/reconciliation/runs', async (req, res) => {
    const from = utcDay(req.body, 'from');
    const to = utcDay(req.body, 'to');
    if ((from === undefined) !== (to === undefined)) throw new FieldProblem(from ? 'to' : 'from', 'required');
    if (from && to && to < from) throw new FieldProblem('to', 'invalid');
    await runReconciliation(
      deps,
      from && to ? { from: from.toISOString(), to: new Date(to.getTime() + dayMs).toISOString() } : {},
    );
    res.redirect(303, withDone(reconciliationPath, 'reconciled'));
  });

  return router;
}
