import { Router } from 'express';
import type { ServiceDeps } from '../../../services/deps';
import { inviteOperator, listOperators } from '../../../services/web-users';
import type { Translator } from '../../../i18n';
import { html, type SafeHtml } from '../html';
import { csrfField, pageContext, type WebSession } from '../session';
import { consoleBase, consolePage } from './layout';
import { emailPattern } from '../../schemas';
import { field, sendScreen } from './screen';

const operatorsPath = `${consoleBase}/operators`;

function inviteForm(session: WebSession, t: Translator): SafeHtml {
  return html`<form method="post" action="${operatorsPath}" class="card" id="invite-operator">
${csrfField(session)}
<label for="operator-email">${t.t('console.fields.email')}</label>
<input id="operator-email" name="email" type="email" required maxlength="320" autocomplete="off">
<p class="muted">${t.t('console.operators.hint')}</p>
<button type="submit">${t.t('console.operators.invite')}</button>
</form>`;
}

/** Who can sign in to the console: each operator, invited or active, and when they last signed in. */
async function operatorList(deps: ServiceDeps, session: WebSession, t: Translator): Promise<SafeHtml> {
  const operators = await listOperators(deps);
  return html`<table id="operator-list"><caption class="visually-hidden">${t.t('console.nav.operators')}</caption>
<thead><tr><th scope="col">${t.t('console.fields.email')}</th><th scope="col">${t.t('auth.team.status')}</th><th scope="col">${t.t(
    'auth.team.lastSignIn',
  )}</th></tr></thead>
<tbody>${operators.map(
    (operator) =>
      html`<tr><td>${operator.email}${operator.id === session.userId ? html` <span class="muted">(${t.t('auth.team.you')})</span>` : ''}</td><td>${t.t(
        operator.invited ? 'auth.team.invited' : 'auth.team.active',
      )}</td><td>${operator.lastSignInAt ? t.dateTime(operator.lastSignInAt) : t.t('auth.team.never')}</td></tr>`,
  )}</tbody></table>`;
}

export function operatorScreensForInvitations(deps: ServiceDeps): Router {
  const router = Router();

  router.get('/operators', async (_req, res) => {
    const { session, t } = pageContext(res);
    const list = await operatorList(deps, session, t);
    sendScreen(
      res,
      consolePage({
        session,
        t,
        active: 'operators',
        title: t.t('console.nav.operators'),
        here: operatorsPath,
        body: html`${list}${inviteForm(session, t)}`,
      }),
    );
  });

  router.post('/operators', async (req, res) => {
    const { session, t } = pageContext(res);
    const email = field(req.body, 'email', { required: true, max: 320, pattern: emailPattern });
    const invitation = await inviteOperator(deps, { email, locale: t.locale });
    const body = html`<div class="card" id="operator-invite">
<label for="operator-invite-url">${t.t('console.operators.link')}</label>
<input id="operator-invite-url" class="secret" readonly value="${invitation.inviteUrl}" spellcheck="false">
${invitation.emailed ? html`<p>${t.t('console.merchants.invite.emailed', { email })}</p>` : ''}
<p class="muted">${t.t('console.merchants.invite.once')}</p></div>
${await operatorList(deps, session, t)}${inviteForm(session, t)}`;
    sendScreen(
      res,
      consolePage({
        session,
        t,
        active: 'operators',
        title: t.t('console.nav.operators'),
        here: operatorsPath,
        notice: { kind: 'ok', text: t.t('console.operators.invited', { email }) },
        body,
      }),
      201,
    );
  });

  return router;
}
