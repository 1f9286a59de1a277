import { type Response, Router } from 'express';
import type { KeyMode } from '../../../domain/merchant';
import { listCheckoutChoices } from '../../../services/checkouts';
import type { ServiceDeps } from '../../../services/deps';
import { issueKey, listKeys, revokeKey, rotateKey } from '../../../services/merchants';
import { sendTestWebhook, type TestWebhookOutcome } from '../../../services/test-webhook';
import { html, type SafeHtml } from '../html';
import { csrfField, merchantPrincipalOf, pageContext, sessionOf } from '../session';
import { channelScreens } from './channels';
import { cabinetPage } from './layout';
import {
  FieldError,
  formField,
  moneyHead,
  noticeAlert,
  noticeOf,
  refusal,
  refusalAlert,
  screen,
  tableOr,
} from './payment-kit';

const notices = ['key_revoked'] as const;

/** What the developers screen shows once, on the page that answers a form. */
interface DevelopersState {
  notice?: string | null;
  /** A new key's secret: on this page only, never again. */
  secret?: { id: string; mode: KeyMode; secret: string };
  testWebhook?: TestWebhookOutcome;
  error?: string;
}

const keyId = (value: string) => {
  if (!/^key_[A-Za-z0-9]{1,64}$/.test(value)) throw new FieldError('key_id', 'choice');
  return value;
};

const merchantIdOf = (res: Response) => sessionOf(res).merchantId!;

/** API keys (issue, rotate, revoke; a secret shown once), a test webhook, and the notification channels. */
export function developerScreens(deps: ServiceDeps): Router {
  const router = Router();

  router.get(
    '/developers',
    screen('developers', async (req, res) => {
      await sendDevelopersPage(deps, res, { notice: noticeOf(req, notices) });
    }),
  );

  router.post(
    '/developers/keys',
    screen('developers', async (req, res) => {
      const mode = formField(req, 'mode');
      if (mode !== 'test' && mode !== 'live') throw new FieldError('mode', 'choice');
      const issued = await issueKey(deps, merchantIdOf(res), mode);
      await sendDevelopersPage(deps, res, { secret: { id: issued.id, mode, secret: issued.secret } });
    }),
  );

  router.post(
    '/developers/keys/rotate',
    screen('developers', async (req, res) => {
      const rotated = await rotateKey(deps, merchantIdOf(res), keyId(formField(req, 'key_id')));
      await sendDevelopersPage(deps, res, {
        secret: { id: rotated.issued.id, mode: rotated.issued.mode, secret: rotated.issued.secret },
      });
    }),
  );

  router.post(
    '/developers/keys/revoke',
    screen('developers', async (req, res) => {
      await revokeKey(deps, merchantIdOf(res), keyId(formField(req, 'key_id')));
      res.redirect(303, '/dashboard/developers?notice=key_revoked#keys');
    }),
  );

  router.post(
    '/developers/test-webhook',
    screen('developers', async (req, res) => {
      const checkoutId = formField(req, 'checkout_id');
      try {
        if (!checkoutId) throw new FieldError('checkout_id', 'required');
        const outcome = await sendTestWebhook(deps, merchantPrincipalOf(res), checkoutId);
        await sendDevelopersPage(deps, res, { testWebhook: outcome });
      } catch (error) {
        const refused = refusal(pageContext(res).t, error);
        if (!refused) throw error;
        await sendDevelopersPage(deps, res, { error: refused.message }, refused.status);
      }
    }),
  );

  router.use(channelScreens(deps));
  return router;
}

async function sendDevelopersPage(deps: ServiceDeps, res: Response, state: DevelopersState, status = 200) {
  const { session, t } = pageContext(res);
  const [keys, checkouts] = await Promise.all([
    listKeys(deps, merchantIdOf(res)),
    listCheckoutChoices(deps, merchantPrincipalOf(res)),
  ]);
  const keyForm = (action: string, id: string, label: string, danger = false) =>
    html`<form method="post" action="/dashboard/developers/keys/${action}" class="inline">${csrfField(session)}<input type="hidden" name="key_id" value="${id}"><button type="submit" class="${
      danger ? 'danger small' : 'secondary small'
    }">${label}</button></form>`;
  const keyRows = keys.data.map(
    (key) => html`<tr id="key-${key.id}"><td><code>${key.prefix}…</code></td><td>${
      key.mode === 'test' ? t.t('common.testMode') : t.t('common.liveMode')
    }</td><td>${t.dateTime(new Date(key.created_at))}</td>
<td>${key.revoked_at ? html`<span class="status failed">${t.t('money.keys.revoked', { at: t.dateTime(new Date(key.revoked_at)) })}</span>` : html`<span class="status paid">${t.t('money.keys.active')}</span>`}</td>
<td>${key.revoked_at ? '' : html`${keyForm('rotate', key.id, t.t('money.keys.rotate'))} ${keyForm('revoke', key.id, t.t('money.keys.revoke'), true)}`}</td></tr>`,
  );
  const secretBox: SafeHtml | '' = state.secret
    ? html`<div class="panel secret" id="new-secret" role="status"><h2>${t.t('money.keys.newTitle')}</h2>
<p>${t.t('money.keys.newExplain')}</p>
<label for="secret-value">${t.t('money.keys.secret', { mode: state.secret.mode === 'test' ? t.t('common.testMode') : t.t('common.liveMode') })}</label>
<input id="secret-value" class="secret-value" readonly value="${state.secret.secret}"></div>`
    : '';
  const outcome = state.testWebhook;
  const webhookResult: SafeHtml | '' = outcome
    ? html`<p class="alert ${outcome.delivered ? 'success' : 'error'}" role="status" id="test-webhook-result">${t.t(
        outcome.delivered ? 'money.testWebhook.delivered' : 'money.testWebhook.failed',
        {
          url: outcome.url,
          response: outcome.statusCode === null ? t.t('money.testWebhook.noAnswer') : `HTTP ${outcome.statusCode}`,
          ms: outcome.latencyMs,
        },
      )} <code>${outcome.eventId}</code></p>`
    : '';

  res
    .status(status)
    .type('html')
    .set('cache-control', 'no-store')
    .send(
      cabinetPage({
        session,
        t,
        active: 'developers',
        title: t.t('money.developers.title'),
        here: '/dashboard/developers',
        head: moneyHead,
        body: html`${noticeAlert(t, state.notice ?? null)}${secretBox}
<section aria-labelledby="h-keys" id="keys"><h2 id="h-keys">${t.t('money.keys.title')}</h2>
<p>${t.t('money.keys.explain')}</p>
${tableOr(
  t.t('money.keys.empty'),
  html`<tr><th scope="col">${t.t('money.keys.prefix')}</th><th scope="col">${t.t('money.fields.mode')}</th><th scope="col">${t.t(
    'money.fields.created',
  )}</th><th scope="col">${t.t('money.fields.status')}</th><th scope="col">${t.t('money.fields.actions')}</th></tr>`,
  keyRows,
  'key-list',
)}
<form method="post" action="/dashboard/developers/keys" class="row-form" id="issue-key">${csrfField(session)}
<label for="k-mode">${t.t('money.fields.mode')}</label>
<select id="k-mode" name="mode"><option value="test"${session.testMode ? html` selected` : ''}>${t.t('common.testMode')}</option><option value="live"${
          session.testMode ? '' : html` selected`
        }>${t.t('common.liveMode')}</option></select>
<button type="submit">${t.t('money.keys.issue')}</button></form></section>
<section aria-labelledby="h-test-webhook" id="test-webhook"><h2 id="h-test-webhook">${t.t('money.testWebhook.title')}</h2>
<p>${t.t('money.testWebhook.explain')}</p>
${refusalAlert(state.error)}${webhookResult}
${
  checkouts.length
    ? html`<form method="post" action="/dashboard/developers/test-webhook" class="row-form" id="test-webhook-form">${csrfField(session)}
<label for="w-checkout">${t.t('money.fields.checkout_id')}</label>
<select id="w-checkout" name="checkout_id">${checkouts.map(
        (checkout) => html`<option value="${checkout.id}">${checkout.name} — ${checkout.notifyUrl}</option>`,
      )}</select>
<button type="submit">${t.t('money.testWebhook.submit')}</button></form>`
    : html`<p class="empty">${t.t('money.test.noCheckout')}</p>`
}</section>
<p><a href="/dashboard/channels">${t.t('money.channels.title')}</a> · <a href="/docs">${t.t('money.developers.apiDocs')}</a></p>`,
      }),
    );
}
