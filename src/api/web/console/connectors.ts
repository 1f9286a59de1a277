import { Router } from 'express';
import { getConnector, listConnectors, pauseConnector, resumeConnector } from '../../../services/connectors';
import type { ConnectorResource } from '../../../services/connectors';
import type { ServiceDeps } from '../../../services/deps';
import type { Translator } from '../../../i18n';
import { html } from '../html';
import { csrfField, pageContext } from '../session';
import { consoleBase, consolePage, pill } from './layout';
import { doneNotice, FieldProblem, sendScreen, withDone } from './screen';

const connectorsPath = `${consoleBase}/connectors`;
const connectorIdPattern = /^conn_[0-9A-Za-z]{8,64}$/;

/** What state a connector is in, as the operator reads it: active, paused by someone, or tripped by its breaker. */
export function connectorState(connector: Pick<ConnectorResource, 'status' | 'paused_reason'>) {
  if (connector.status === 'active') return 'active' as const;
  return connector.paused_reason === 'circuit_breaker' ? ('tripped' as const) : ('paused' as const);
}

const stateClass = { active: 'paid', paused: 'expired', tripped: 'failed' } as const;

function stateCell(t: Translator, connector: ConnectorResource) {
  const state = connectorState(connector);
  return html`${pill(stateClass[state], t.t(`console.connectors.state.${state}`))}
${
  connector.paused_at
    ? html`<div class="muted">${
        connector.paused_by
          ? t.t('console.connectors.pausedBy', {
              who: connector.paused_by,
              when: t.dateTime(new Date(connector.paused_at)),
            })
          : t.t('console.connectors.pausedAt', { when: t.dateTime(new Date(connector.paused_at)) })
      }</div>`
    : ''
}`;
}

export function connectorScreens(deps: ServiceDeps): Router {
  const router = Router();

  router.get('/connectors', async (req, res) => {
    const { session, t } = pageContext(res);
    const { data } = await listConnectors(deps);
    const rows = data.map(
      (connector) => html`<tr id="connector-${connector.id}" data-state="${connectorState(connector)}">
<th scope="row">${connector.provider}<div class="muted mono">${connector.id}</div></th>
<td>${pill(connector.mode, t.t(`console.keys.mode.${connector.mode}`))}</td>
<td>${connector.methods.map((method) => html`<span class="tag">${method}</span> `)}</td>
<td class="num">${connector.priority}</td>
<td>${stateCell(t, connector)}</td>
<td><form method="post" action="${connectorsPath}/${connector.id}/${connector.status === 'active' ? 'pause' : 'resume'}">${csrfField(session)}
<button type="submit" class="${connector.status === 'active' ? 'danger' : ''}" aria-label="${t.t(
        connector.status === 'active' ? 'console.connectors.pauseNamed' : 'console.connectors.resumeNamed',
        { name: `${connector.provider} ${connector.id}` },
      )}">${t.t(connector.status === 'active' ? 'console.connectors.pause' : 'console.connectors.resume')}</button></form></td>
</tr>`,
    );
    const body = html`<p class="muted">${t.t('console.connectors.intro')}</p>
${
  data.length
    ? html`<div class="table-wrap"><table id="connectors"><caption class="visually-hidden">${t.t('console.nav.connectors')}</caption>
<thead><tr><th scope="col">${t.t('console.connectors.provider')}</th><th scope="col">${t.t('console.keys.modeLabel')}</th>
<th scope="col">${t.t('console.connectors.methods')}</th><th scope="col" class="num">${t.t('console.connectors.priority')}</th>
<th scope="col">${t.t('console.fields.status')}</th><th scope="col">${t.t('console.fields.actions')}</th></tr></thead>
<tbody>${rows}</tbody></table></div>`
    : html`<p class="muted">${t.t('console.connectors.empty')}</p>`
}`;
    sendScreen(
      res,
      consolePage({
        session,
        t,
        active: 'connectors',
        title: t.t('console.nav.connectors'),
        here: connectorsPath,
        notice: doneNotice(req),
        body,
      }),
    );
  });

  for (const action of ['pause', 'resume'] as const) {
    router.post(`/connectors/:id/${action}`, async (req, res) => {
      const { session } = pageContext(res);
      const id = req.params.id;
      if (!connectorIdPattern.test(id)) throw new FieldProblem('connector_id', 'invalid');
      await getConnector(deps, id);
      await (action === 'pause' ? pauseConnector : resumeConnector)(deps, id, { operator: session.email });
      res.redirect(303, withDone(connectorsPath, action === 'pause' ? 'paused' : 'resumed'));
    });
  }

  return router;
}
