import { Router, type Response } from 'express';
import { DomainError } from '../../../domain/errors';
import type { Translator } from '../../../i18n';
import type { ServiceDeps } from '../../../services/deps';
import { inviteMerchantUser, listTeam, removeTeamMember, teamHasEmail } from '../../../services/web-users';
import { html, type SafeHtml } from '../html';
import { assetsPath } from '../layout';
import { csrfField, pageContext, type WebSession } from '../session';
import { cabinetPage } from './layout';
import { emailPattern } from '../../schemas';

const teamPath = '/dashboard/team';

type Notice = { kind: 'ok' | 'error'; text: string; link?: string };

async function teamScreen(deps: ServiceDeps, session: WebSession, t: Translator, notice?: Notice): Promise<string> {
  const members = await listTeam(deps, session.merchantId!);
  const rows = members.map(
    (member) => html`<tr data-user="${member.id}">
<td>${member.email}${member.id === session.userId ? html` <span class="muted">(${t.t('auth.team.you')})</span>` : ''}</td>
<td><span class="status ${member.invited ? 'test' : 'paid'}">${member.invited ? t.t('auth.team.invited') : t.t('auth.team.active')}</span></td>
<td>${member.lastSignInAt ? t.dateTime(member.lastSignInAt) : t.t('auth.team.never')}</td>
<td>${
      member.id === session.userId
        ? ''
        : html`<form method="post" action="${teamPath}/${member.id}/remove">${csrfField(session)}<button type="submit" class="danger" aria-label="${t.t(
            'auth.team.removeLabel',
            { email: member.email },
          )}">${t.t('auth.team.remove')}</button></form>`
    }</td>
</tr>`,
  );
  const alert: SafeHtml | '' = notice
    ? html`<div class="alert ${notice.kind}" role="${notice.kind === 'error' ? 'alert' : 'status'}" id="team-notice"><p>${notice.text}</p>${
        notice.link ? html`<p class="invite-link"><a href="${notice.link}">${notice.link}</a></p>` : ''
      }</div>`
    : '';
  const body = html`${alert}<p class="muted">${t.t('auth.team.intro')}</p>
<table id="team">
<thead><tr><th scope="col">${t.t('auth.team.email')}</th><th scope="col">${t.t('auth.team.status')}</th><th scope="col">${t.t(
    'auth.team.lastSignIn',
  )}</th><th scope="col"><span class="visually-hidden">${t.t('auth.team.remove')}</span></th></tr></thead>
<tbody>${rows}</tbody>
</table>
<h2>${t.t('auth.team.inviteTitle')}</h2>
<form method="post" action="${teamPath}/invitations" class="card team-invite">${csrfField(session)}
<label for="invite-email">${t.t('auth.team.email')}</label>
<input id="invite-email" name="email" type="email" required maxlength="254" autocomplete="off"${notice?.kind === 'error' ? html` aria-invalid="true"` : ''}>
<button type="submit">${t.t('auth.team.inviteSubmit')}</button>
</form>`;
  return cabinetPage({
    session,
    t,
    active: 'team',
    title: t.t('auth.team.title'),
    here: teamPath,
    body,
    head: { styles: [`${assetsPath}/auth.css`] },
  });
}

const send = (res: Response, status: number, page: string) => res.status(status).type('html').send(page);

/** The Team screen: who can sign in to this cabinet, invitations by e-mail, removal. */
export function teamScreens(deps: ServiceDeps): Router {
  const router = Router();

  router.get('/team', async (_req, res) => {
    const { session, t } = pageContext(res);
    send(res, 200, await teamScreen(deps, session, t));
  });

  router.post('/team/invitations', async (req, res) => {
    const { session, t } = pageContext(res);
    const value = (req.body as Record<string, unknown>)?.email;
    const email = typeof value === 'string' ? value.trim() : '';
    if (!email || email.length > 320 || !emailPattern.test(email))
      return send(res, 400, await teamScreen(deps, session, t, { kind: 'error', text: t.t('auth.team.emailInvalid') }));
    if (await teamHasEmail(deps, session.merchantId!, email))
      return send(
        res,
        409,
        await teamScreen(deps, session, t, { kind: 'error', text: t.t('auth.team.alreadyMember', { email }) }),
      );
    const invitation = await inviteMerchantUser(deps, {
      merchantId: session.merchantId!,
      email,
      locale: session.locale,
    });
    const text = invitation.emailed
      ? t.t('auth.team.inviteSent', { email })
      : t.t('auth.team.inviteNotSent', { email });
    send(res, 201, await teamScreen(deps, session, t, { kind: 'ok', text, link: invitation.inviteUrl }));
  });

  router.post('/team/:userId/remove', async (req, res) => {
    const { session, t } = pageContext(res);
    const email = (await listTeam(deps, session.merchantId!)).find((member) => member.id === req.params.userId)?.email;
    try {
      await removeTeamMember(deps, {
        merchantId: session.merchantId!,
        userId: req.params.userId!,
        actingUserId: session.userId,
      });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      if (error.kind === 'not_found')
        return send(res, 404, await teamScreen(deps, session, t, { kind: 'error', text: t.t('common.notFound') }));
      return send(
        res,
        409,
        await teamScreen(deps, session, t, { kind: 'error', text: t.t('auth.team.cannotRemoveSelf') }),
      );
    }
    send(
      res,
      200,
      await teamScreen(deps, session, t, { kind: 'ok', text: t.t('auth.team.removed', { email: email! }) }),
    );
  });

  return router;
}
