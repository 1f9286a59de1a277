import { Router, type Response } from 'express';
import { isId } from '../../../domain/ids';
import { getBalance } from '../../../services/balance';
import {
  getMerchant,
  issueKey,
  listKeys,
  listMerchants,
  onboardMerchant,
  revokeKey,
  rotateKey,
} from '../../../services/merchants';
import { listMerchantPayments } from '../../../services/payments';
import { inviteMerchantUser, listTeam } from '../../../services/web-users';
import type { ServiceDeps } from '../../../services/deps';
import type { Translator } from '../../../i18n';
import { html, type SafeHtml } from '../html';
import { csrfField, pageContext, type WebSession } from '../session';
import { consoleBase, consolePage, facts, type Notice, pill } from './layout';
import { choice, doneNotice, field, FieldProblem, moneyText, sendScreen, withDone } from './screen';
import { emailPattern } from '../../schemas';

const merchantsPath = `${consoleBase}/merchants`;
const pageSize = 25;
const keyIdPattern = /^key_[0-9A-Za-z]{8,64}$/;

const merchantIdOf = (value: string | undefined) => {
  if (!value || !isId('mer', value)) throw new FieldProblem('merchant_id', 'invalid');
  return value;
};

/** A secret shown this once, in a read-only field that selects easily. */
const secretField = (id: string, label: string, value: string) =>
  html`<label for="${id}">${label}</label><input id="${id}" class="secret" readonly value="${value}" spellcheck="false" autocomplete="off">`;

function createForm(session: WebSession, t: Translator, values: { name?: string; email?: string } = {}): SafeHtml {
  return html`<form method="post" action="${merchantsPath}" class="card" id="create-merchant">
<h2>${t.t('console.merchants.create.title')}</h2>
${csrfField(session)}
<label for="merchant-name">${t.t('console.fields.name')}</label>
<input id="merchant-name" name="name" required maxlength="200" value="${values.name ?? ''}" autocomplete="organization">
<label for="merchant-email">${t.t('console.fields.email')}</label>
<input id="merchant-email" name="email" type="email" required maxlength="320" value="${values.email ?? ''}" autocomplete="email">
<p class="muted">${t.t('console.merchants.create.hint')}</p>
<button type="submit">${t.t('console.merchants.create.submit')}</button>
</form>`;
}

/** The one-time invitation link, as the merchant's first user follows it. */
function inviteBlock(t: Translator, url: string | null | undefined, emailedTo?: string | null): SafeHtml {
  if (!url) return html`<p class="muted">${t.t('console.merchants.invite.none')}</p>`;
  return html`<div class="card" id="invite">
${secretField('invite-url', t.t('console.merchants.invite.url'), url)}
${emailedTo ? html`<p>${t.t('console.merchants.invite.emailed', { email: emailedTo })}</p>` : ''}
<p class="muted">${t.t('console.merchants.invite.once')}</p></div>`;
}

export function merchantScreens(deps: ServiceDeps): Router {
  const router = Router();

  router.get(['/', ''], (_req, res) => res.redirect(303, merchantsPath));

  router.get('/merchants', async (req, res) => {
    const { session, t } = pageContext(res);
    const search = field(req.query, 'q', { max: 200 });
    const after = field(req.query, 'after', { max: 80 });
    const { merchants, hasMore } = await listMerchants(deps, { search, limit: pageSize, startingAfter: after });
    const rows = merchants.map(
      (merchant) => html`<tr>
<td><a href="${merchantsPath}/${merchant.id}">${merchant.name}</a><div class="muted mono">${merchant.id}</div></td>
<td>${merchant.email}</td>
<td class="num">${merchant.checkouts}</td>
<td class="num">${merchant.activeKeys}</td>
<td class="num">${merchant.recentPayments}</td>
<td>${t.date(merchant.createdAt)}</td>
</tr>`,
    );
    const next = hasMore
      ? new URLSearchParams({ ...(search ? { q: search } : {}), after: merchants.at(-1)!.id }).toString()
      : null;
    const body = html`<div class="console-columns">
<section aria-labelledby="merchant-list-title">
<h2 id="merchant-list-title">${t.t('console.merchants.list.title')}</h2>
<form method="get" action="${merchantsPath}" class="inline-form" role="search">
<label for="merchant-search">${t.t('console.merchants.list.search')}</label>
<input id="merchant-search" name="q" type="search" value="${search ?? ''}" maxlength="200">
<button type="submit" class="secondary">${t.t('console.actions.search')}</button>
</form>
${
  merchants.length
    ? html`<div class="table-wrap"><table id="merchants">
<caption class="visually-hidden">${t.t('console.merchants.list.title')}</caption>
<thead><tr><th scope="col">${t.t('console.fields.name')}</th><th scope="col">${t.t('console.fields.email')}</th>
<th scope="col" class="num">${t.t('console.merchants.list.checkouts')}</th><th scope="col" class="num">${t.t('console.merchants.list.keys')}</th>
<th scope="col" class="num">${t.t('console.merchants.list.payments')}</th><th scope="col">${t.t('console.fields.created')}</th></tr></thead>
<tbody>${rows}</tbody></table></div>`
    : html`<p class="muted" id="no-merchants">${search ? t.t('console.merchants.list.noMatch') : t.t('console.merchants.list.empty')}</p>`
}
${next ? html`<p><a href="${merchantsPath}?${next}" rel="next">${t.t('common.next')}</a></p>` : ''}
</section>
<section>${createForm(session, t)}</section>
</div>`;
    sendScreen(
      res,
      consolePage({ session, t, active: 'merchants', title: t.t('console.nav.merchants'), here: merchantsPath, body }),
    );
  });

  router.post('/merchants', async (req, res) => {
    const { session, t } = pageContext(res);
    const name = field(req.body, 'name', { required: true, max: 200 });
    const email = field(req.body, 'email', { required: true, max: 320, pattern: emailPattern });
    const created = (await onboardMerchant(deps, { name, email })) as Awaited<ReturnType<typeof onboardMerchant>> & {
      dashboard_invite_url?: string | null;
    };
    const body = html`<div class="card" id="created-merchant">
${facts([
  [t.t('console.fields.name'), created.name],
  [t.t('console.fields.email'), created.email],
  [t.t('console.fields.id'), html`<span class="mono">${created.id}</span>`],
])}
<p><a href="${merchantsPath}/${created.id}">${t.t('console.merchants.open')}</a></p>
</div>
<h2>${t.t('console.merchants.invite.title')}</h2>
${inviteBlock(t, created.dashboard_invite_url)}
<h2>${t.t('console.keys.title')}</h2>
<div class="card">
${secretField('key-test', t.t('console.keys.testSecret'), created.api_keys.test)}
${secretField('key-live', t.t('console.keys.liveSecret'), created.api_keys.live)}
<p class="muted">${t.t('console.keys.shownOnce')}</p>
</div>`;
    sendScreen(
      res,
      consolePage({
        session,
        t,
        active: 'merchants',
        title: t.t('console.merchants.created'),
        here: merchantsPath,
        notice: { kind: 'ok', text: t.t('console.merchants.createdNotice', { name: created.name }) },
        body,
      }),
      201,
    );
  });

  const merchantPage = async (
    res: Response,
    merchantId: string,
    extra: { notice?: Notice | null; top?: SafeHtml; status?: number } = {},
  ) => {
    const { session, t } = pageContext(res);
    const merchant = await getMerchant(deps, merchantId);
    const keys = (await listKeys(deps, merchantId)).data;
    const team = await listTeam(deps, merchantId);
    const principal = (testMode: boolean) => ({ merchantId, testMode, keyId: `console:${session.userId}` });
    const [testBalance, liveBalance] = await Promise.all([
      getBalance(deps, principal(true)),
      getBalance(deps, principal(false)),
    ]);
    const recent = await Promise.all(
      [true, false].map((testMode) => listMerchantPayments(deps, principal(testMode), { limit: 10 })),
    );
    const payments = recent
      .flatMap((page) => page.payments)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
      .slice(0, 10);
    const here = `${merchantsPath}/${merchantId}`;
    const keyRows = keys.map(
      (key) => html`<tr>
<td class="mono">${key.prefix}…</td><td>${pill(key.mode, t.t(`console.keys.mode.${key.mode}`))}</td>
<td>${t.dateTime(new Date(key.created_at))}</td>
<td>${key.revoked_at ? html`${pill('canceled', t.t('console.keys.revoked'))} ${t.dateTime(new Date(key.revoked_at))}` : pill('paid', t.t('console.keys.active'))}</td>
<td>${
        key.revoked_at
          ? ''
          : html`<div class="row-actions"><form method="post" action="${here}/keys/${key.id}/rotate">${csrfField(session)}<button type="submit" class="secondary">${t.t('console.keys.rotate')}</button></form>
<form method="post" action="${here}/keys/${key.id}/revoke">${csrfField(session)}<button type="submit" class="danger">${t.t('console.keys.revoke')}</button></form></div>`
      }</td></tr>`,
    );
    const balanceRows = [
      ...testBalance.balances.map((entry) => ({ mode: 'test' as const, entry })),
      ...liveBalance.balances.map((entry) => ({ mode: 'live' as const, entry })),
    ];
    const money = (amount: string, currency: string) => moneyText(t, amount, currency);
    const body = html`${extra.top ?? ''}
<div class="card">${facts([
      [t.t('console.fields.name'), merchant.name],
      [t.t('console.fields.email'), merchant.email],
      [t.t('console.fields.id'), html`<span class="mono">${merchant.id}</span>`],
      [t.t('console.fields.created'), t.dateTime(new Date(merchant.created_at))],
    ])}</div>
<h2>${t.t('console.merchants.team.title')}</h2>
${
  team.length
    ? html`<div class="table-wrap"><table id="team"><caption class="visually-hidden">${t.t('console.merchants.team.title')}</caption>
<thead><tr><th scope="col">${t.t('console.fields.email')}</th><th scope="col">${t.t('console.fields.status')}</th><th scope="col">${t.t('console.merchants.team.lastSignIn')}</th></tr></thead>
<tbody>${team.map(
        (
          user,
        ) => html`<tr><td>${user.email}</td><td>${user.invited ? pill('test', t.t('console.merchants.team.invited')) : pill('paid', t.t('console.keys.active'))}</td>
<td>${user.lastSignInAt ? t.dateTime(user.lastSignInAt) : '—'}</td></tr>`,
      )}</tbody></table></div>`
    : html`<p class="muted">${t.t('console.merchants.team.empty')}</p>`
}
<form method="post" action="${here}/invitations" class="card inline-form" id="reinvite">
${csrfField(session)}
<label for="invite-email">${t.t('console.fields.email')}</label>
<input id="invite-email" name="email" type="email" required maxlength="320" value="${merchant.email}">
<button type="submit">${t.t('console.merchants.invite.submit')}</button>
</form>
<h2>${t.t('console.keys.title')}</h2>
<div class="table-wrap"><table id="keys"><caption class="visually-hidden">${t.t('console.keys.title')}</caption>
<thead><tr><th scope="col">${t.t('console.keys.prefix')}</th><th scope="col">${t.t('console.keys.modeLabel')}</th><th scope="col">${t.t('console.fields.created')}</th><th scope="col">${t.t('console.fields.status')}</th><th scope="col">${t.t('console.fields.actions')}</th></tr></thead>
<tbody>${keyRows}</tbody></table></div>
<form method="post" action="${here}/keys" class="inline-form" id="issue-key">${csrfField(session)}
<label for="key-mode">${t.t('console.keys.modeLabel')}</label>
<select id="key-mode" name="mode"><option value="test">${t.t('console.keys.mode.test')}</option><option value="live">${t.t('console.keys.mode.live')}</option></select>
<button type="submit" class="secondary">${t.t('console.keys.issue')}</button></form>
<h2>${t.t('console.merchants.balance')}</h2>
${
  balanceRows.length
    ? html`<div class="table-wrap"><table id="balances"><caption class="visually-hidden">${t.t('console.merchants.balance')}</caption>
<thead><tr><th scope="col">${t.t('console.keys.modeLabel')}</th><th scope="col" class="num">${t.t('console.merchants.available')}</th>
<th scope="col" class="num">${t.t('console.merchants.pending')}</th><th scope="col" class="num">${t.t('console.merchants.reserved')}</th></tr></thead>
<tbody>${balanceRows.map(
        ({ mode, entry }) =>
          html`<tr><td>${t.t(`console.keys.mode.${mode}`)}</td><td class="num">${money(entry.available, entry.currency)}</td><td class="num">${money(entry.pending, entry.currency)}</td><td class="num">${money(entry.reserved, entry.currency)}</td></tr>`,
      )}</tbody></table></div>`
    : html`<p class="muted">${t.t('console.merchants.noBalance')}</p>`
}
<h2>${t.t('console.merchants.recent')}</h2>
${
  payments.length
    ? html`<div class="table-wrap"><table id="recent-payments"><caption class="visually-hidden">${t.t('console.merchants.recent')}</caption>
<thead><tr><th scope="col">${t.t('console.fields.payment')}</th><th scope="col">${t.t('console.fields.status')}</th><th scope="col" class="num">${t.t('console.fields.amount')}</th><th scope="col">${t.t('console.fields.created')}</th></tr></thead>
<tbody>${payments.map(
        (
          payment,
        ) => html`<tr><td><a class="mono" href="${consoleBase}/payments/${payment.id}">${payment.id}</a>${payment.testMode ? html` ${pill('test', t.t('console.keys.mode.test'))}` : ''}</td>
<td>${pill(payment.status, t.t(`console.paymentStatus.${payment.status}`))}</td>
<td class="num">${t.money(payment.amountMinor, payment.currency)}</td><td>${t.dateTime(payment.createdAt)}</td></tr>`,
      )}</tbody></table></div>`
    : html`<p class="muted">${t.t('console.merchants.noPayments')}</p>`
}`;
    sendScreen(
      res,
      consolePage({ session, t, active: 'merchants', title: merchant.name, here, notice: extra.notice, body }),
      extra.status,
    );
  };

  router.get('/merchants/:id', async (req, res) => {
    await merchantPage(res, merchantIdOf(req.params.id), { notice: doneNotice(req) });
  });

  router.post('/merchants/:id/keys', async (req, res) => {
    const { t } = pageContext(res);
    const merchantId = merchantIdOf(req.params.id);
    const mode = choice(req.body, 'mode', ['test', 'live'] as const);
    const issued = await issueKey(deps, merchantId, mode);
    await merchantPage(res, merchantId, {
      status: 201,
      notice: { kind: 'ok', text: t.t('console.keys.issued') },
      top: html`<div class="card" id="new-key">${secretField('new-key-secret', t.t(`console.keys.${mode}Secret`), issued.secret)}<p class="muted">${t.t('console.keys.shownOnce')}</p></div>`,
    });
  });

  router.post('/merchants/:id/keys/:keyId/rotate', async (req, res) => {
    const { t } = pageContext(res);
    const merchantId = merchantIdOf(req.params.id);
    if (!keyIdPattern.test(req.params.keyId)) throw new FieldProblem('key_id', 'invalid');
    const rotated = await rotateKey(deps, merchantId, req.params.keyId);
    await merchantPage(res, merchantId, {
      status: 201,
      notice: { kind: 'ok', text: t.t('console.keys.rotated', { prefix: rotated.revoked.prefix }) },
      top: html`<div class="card" id="new-key">${secretField('new-key-secret', t.t(`console.keys.${rotated.issued.mode}Secret`), rotated.issued.secret)}<p class="muted">${t.t('console.keys.shownOnce')}</p></div>`,
    });
  });

  router.post('/merchants/:id/keys/:keyId/revoke', async (req, res) => {
    const merchantId = merchantIdOf(req.params.id);
    if (!keyIdPattern.test(req.params.keyId)) throw new FieldProblem('key_id', 'invalid');
    await revokeKey(deps, merchantId, req.params.keyId);
    res.redirect(303, withDone(`${merchantsPath}/${merchantId}`, 'keyRevoked'));
  });

  router.post('/merchants/:id/invitations', async (req, res) => {
    const { t } = pageContext(res);
    const merchantId = merchantIdOf(req.params.id);
    const email = field(req.body, 'email', { required: true, max: 320, pattern: emailPattern });
    const invitation = await inviteMerchantUser(deps, { merchantId, email, locale: t.locale });
    await merchantPage(res, merchantId, {
      status: 201,
      notice: { kind: 'ok', text: t.t('console.merchants.invite.sent', { email }) },
      top: inviteBlock(t, invitation.inviteUrl, invitation.emailed ? email : null),
    });
  });

  return router;
}
