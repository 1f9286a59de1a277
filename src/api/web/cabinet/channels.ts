import { type Request, type Response, Router } from 'express';
import type { z } from 'zod';
import { type ChannelKind, channelKinds } from '../../../domain/channel';
import { notFound } from '../../../domain/errors';
import { notificationEventTypes } from '../../../domain/event-types';
import type { Translator } from '../../../i18n';
import type { ChannelResource } from '../../../resources/channel';
import {
  type ChannelInput,
  deleteCheckoutChannel,
  listCheckoutChannels,
  putCheckoutChannel,
} from '../../../services/channels';
import { listCheckoutChoices } from '../../../services/checkouts';
import type { ServiceDeps } from '../../../services/deps';
import { channelBodies } from '../../channel-schemas';
import { html, type SafeHtml } from '../html';
import { csrfField, merchantPrincipalOf, pageContext } from '../session';
import { sendCabinetPage } from './layout';
import { channelName, eventName } from './payment-detail';
import {
  FieldError,
  formField,
  formList,
  moneyHead,
  noticeAlert,
  noticeOf,
  queryField,
  refusal,
  refusalAlert,
  screen,
  tableOr,
} from './payment-kit';

const notices = ['channel_saved', 'channel_deleted'] as const;

/** What a channel's form sends, in the API's names, before the API's own schema checks it. */
function channelFields(req: Request, kind: ChannelKind): Record<string, unknown> {
  const events = formList(req, 'events');
  const common = { events: events.length ? events : undefined, enabled: formField(req, 'enabled') === 'on' };
  switch (kind) {
    case 'email':
      return {
        ...common,
        to: formField(req, 'to')
          .split(/[\s,;]+/)
          .filter(Boolean),
      };
    case 'telegram':
      return { ...common, chat_id: formField(req, 'chat_id'), bot_token: formField(req, 'bot_token') || undefined };
    case 'sms': {
      const authValue = formField(req, 'auth_value');
      return {
        ...common,
        to: formField(req, 'to'),
        url: formField(req, 'url'),
        method: formField(req, 'method') || undefined,
        content_type: formField(req, 'content_type') || undefined,
        body: formField(req, 'body') || null,
        auth_header: formField(req, 'auth_header') || undefined,
        auth_value: formField(req, 'remove_auth') === 'on' ? null : authValue || undefined,
      };
    }
  }
}

type Body<Kind extends ChannelKind> = z.output<(typeof channelBodies)[Kind]>;

/** A channel's form checked by the API's schema, in the service's terms; bad input names its field. */
export function channelInput(kind: ChannelKind, fields: Record<string, unknown>): ChannelInput {
  const parsed = channelBodies[kind].safeParse(fields);
  if (!parsed.success) {
    const path = parsed.error.issues[0]?.path ?? [];
    throw new FieldError(String(path[0] ?? 'channel'), 'invalid');
  }
  switch (kind) {
    case 'email':
      return { kind, body: parsed.data as Body<'email'> };
    case 'telegram': {
      const { chat_id, bot_token, ...common } = parsed.data as Body<'telegram'>;
      return { kind, body: { ...common, chatId: chat_id, botToken: bot_token } };
    }
    case 'sms': {
      const { content_type, auth_header, auth_value, ...rest } = parsed.data as Body<'sms'>;
      return { kind, body: { ...rest, contentType: content_type, authHeader: auth_header, authValue: auth_value } };
    }
  }
}

function kindParam(value: string): ChannelKind {
  if (!(channelKinds as readonly string[]).includes(value)) throw notFound('channel', 'channel');
  return value as ChannelKind;
}

/** The notification channels of each checkout: list, add or change, delete. */
export function channelScreens(deps: ServiceDeps): Router {
  const router = Router();

  router.get(
    '/channels',
    screen('channels', async (req, res) => {
      await sendChannelsPage(deps, res, queryField(req, 'checkout'), { notice: noticeOf(req, notices) });
    }),
  );

  router.post(
    '/channels/:checkout/:kind',
    screen('channels', async (req, res) => {
      const checkoutId = req.params.checkout as string;
      const kind = kindParam(req.params.kind as string);
      try {
        await putCheckoutChannel(
          deps,
          merchantPrincipalOf(res),
          checkoutId,
          channelInput(kind, channelFields(req, kind)),
        );
      } catch (error) {
        const refused = refusal(pageContext(res).t, error);
        if (!refused || refused.status === 404) throw error;
        await sendChannelsPage(deps, res, checkoutId, { error: { kind, message: refused.message } }, refused.status);
        return;
      }
      res.redirect(303, `/dashboard/channels?checkout=${encodeURIComponent(checkoutId)}&notice=channel_saved#${kind}`);
    }),
  );

  router.post(
    '/channels/:checkout/:kind/delete',
    screen('channels', async (req, res) => {
      const checkoutId = req.params.checkout as string;
      await deleteCheckoutChannel(deps, merchantPrincipalOf(res), checkoutId, kindParam(req.params.kind as string));
      res.redirect(303, `/dashboard/channels?checkout=${encodeURIComponent(checkoutId)}&notice=channel_deleted`);
    }),
  );

  return router;
}

async function sendChannelsPage(
  deps: ServiceDeps,
  res: Response,
  wanted: string,
  state: { notice?: string | null; error?: { kind: ChannelKind; message: string } },
  status = 200,
) {
  const { session, t } = pageContext(res);
  const principal = merchantPrincipalOf(res);
  const checkouts = await listCheckoutChoices(deps, principal);
  const checkout = wanted ? checkouts.find((choice) => choice.id === wanted) : checkouts[0];
  if (wanted && !checkout) throw notFound('checkout', 'checkout');
  let body: SafeHtml;
  if (!checkout) {
    body = html`<p class="empty">${t.t('money.test.noCheckout')} <a href="/dashboard/checkouts">${t.t('cabinet.nav.checkouts')}</a></p>`;
  } else {
    const channels = (await listCheckoutChannels(deps, principal, checkout.id)).data;
    const byKind = new Map(channels.map((channel) => [channel.channel, channel]));
    const rows = channels.map((channel) => channelRow(t, channel));
    body = html`${noticeAlert(t, state.notice ?? null)}
<p>${t.t('money.channels.explain')}</p>
<form method="get" action="/dashboard/channels" class="row-form" id="channel-checkout">
<label for="c-checkout">${t.t('money.fields.checkout_id')}</label>
<select id="c-checkout" name="checkout">${checkouts.map(
      (choice) =>
        html`<option value="${choice.id}"${choice.id === checkout.id ? html` selected` : ''}>${choice.name}</option>`,
    )}</select> <button type="submit" class="secondary">${t.t('money.channels.show')}</button></form>
<p>${t.t('money.channels.webhook', { url: checkout.notifyUrl })}</p>
${tableOr(
  t.t('money.channels.empty'),
  html`<tr><th scope="col">${t.t('money.fields.channel')}</th><th scope="col">${t.t('money.fields.status')}</th><th scope="col">${t.t(
    'money.fields.events',
  )}</th><th scope="col">${t.t('money.fields.target')}</th><th scope="col">${t.t('money.channels.last')}</th></tr>`,
  rows,
  'channel-list',
)}
<div class="channel-forms">${channelKinds.map((kind) => channelForm(t, session.csrfToken, checkout.id, kind, byKind.get(kind), state.error))}</div>`;
  }
  sendCabinetPage(
    res,
    {
      session,
      t,
      active: 'channels',
      title: t.t('money.channels.title'),
      here: '/dashboard/channels',
      head: moneyHead,
      body,
    },
    status,
  );
}

function targetOf(channel: ChannelResource): string {
  const settings = channel as unknown as Record<string, unknown>;
  if (channel.channel === 'email') return (settings.to as string[]).join(', ');
  if (channel.channel === 'telegram') return String(settings.chat_id);
  return `${String(settings.to)} → ${String(settings.url)}`;
}

function channelRow(t: Translator, channel: ChannelResource) {
  const last = channel.last_attempt;
  return html`<tr><th scope="row">${channelName(t, channel.channel)}</th>
<td>${channel.enabled ? t.t('money.channels.enabled') : t.t('money.channels.disabled')}</td>
<td>${channel.events.map((type) => eventName(t, type)).join(', ')}</td><td class="text">${targetOf(channel)}</td>
<td>${last ? html`${t.dateTime(new Date(last.attempted_at))}: ${last.delivered ? t.t('money.deliveries.delivered') : t.t('money.deliveries.failed')}` : '—'}</td></tr>`;
}

function channelForm(
  t: Translator,
  csrfToken: string,
  checkoutId: string,
  kind: ChannelKind,
  channel: ChannelResource | undefined,
  error: { kind: ChannelKind; message: string } | undefined,
) {
  const settings = (channel ?? {}) as Record<string, unknown>;
  const id = (name: string) => `${kind}-${name}`;
  const input = (name: string, value: unknown, extra: { type?: string; hint?: string } = {}) =>
    html`<div class="field"><label for="${id(name)}">${t.t(`money.channels.fields.${name}`)}</label>
<input id="${id(name)}" name="${name}" type="${extra.type ?? 'text'}" value="${value === null || value === undefined ? '' : String(value)}"${
      extra.hint ? html` aria-describedby="${id(name)}-hint"` : ''
    } autocomplete="off">${extra.hint ? html`<p class="hint" id="${id(name)}-hint">${extra.hint}</p>` : ''}</div>`;
  const events = new Set(channel?.events ?? ['payment.paid']);
  let fields: SafeHtml;
  switch (kind) {
    case 'email':
      fields = input('to', ((settings.to as string[] | undefined) ?? []).join(', '), {
        hint: t.t('money.channels.hints.to'),
      });
      break;
    case 'telegram':
      fields = html`${input('chat_id', settings.chat_id)}${input('bot_token', '', {
        type: 'password',
        hint: channel ? t.t('money.channels.hints.kept', { masked: String(settings.bot_token ?? '') }) : undefined,
      })}`;
      break;
    case 'sms': {
      const select = (name: string, options: readonly string[], chosen: unknown) =>
        html`<div class="field"><label for="${id(name)}">${t.t(`money.channels.fields.${name}`)}</label><select id="${id(name)}" name="${name}">${options.map(
          (option) => html`<option value="${option}"${option === chosen ? html` selected` : ''}>${option}</option>`,
        )}</select></div>`;
      fields = html`${input('to', settings.to, { hint: t.t('money.channels.hints.phone') })}${input(
        'url',
        settings.url,
        {
          hint: t.t('money.channels.hints.url'),
        },
      )}
${select('method', ['POST', 'GET'], settings.method ?? 'POST')}${select(
        'content_type',
        ['application/json', 'application/x-www-form-urlencoded', 'text/plain'],
        settings.content_type ?? 'application/json',
      )}
<div class="field"><label for="${id('body')}">${t.t('money.channels.fields.body')}</label><textarea id="${id('body')}" name="body" rows="3">${
        (settings.body as string | null | undefined) ?? ''
      }</textarea></div>
${input('auth_header', settings.auth_header ?? 'authorization')}${input('auth_value', '', {
        type: 'password',
        hint: settings.auth_value
          ? t.t('money.channels.hints.kept', { masked: String(settings.auth_value) })
          : undefined,
      })}
${settings.auth_value ? html`<label class="check"><input type="checkbox" name="remove_auth"> ${t.t('money.channels.fields.remove_auth')}</label>` : ''}`;
      break;
    }
  }
  const action = `/dashboard/channels/${checkoutId}/${kind}`;
  return html`<section class="panel channel" id="${kind}" aria-labelledby="h-${kind}"><h2 id="h-${kind}">${channelName(t, kind)}</h2>
${error?.kind === kind ? refusalAlert(error.message) : ''}
<form method="post" action="${action}" id="${kind}-form">${csrfField({ csrfToken })}
${fields}
<fieldset class="choice"><legend>${t.t('money.fields.events')}</legend>${notificationEventTypes.map(
    (type) =>
      html`<label><input type="checkbox" name="events" value="${type}"${events.has(type) ? html` checked` : ''}> ${eventName(t, type)}</label>`,
  )}</fieldset>
<label class="check"><input type="checkbox" name="enabled"${channel?.enabled === false ? '' : html` checked`}> ${t.t('money.channels.enabled')}</label>
<button type="submit">${channel ? t.t('money.channels.save') : t.t('money.channels.add')}</button></form>
${channel ? html`<form method="post" action="${action}/delete" class="inline">${csrfField({ csrfToken })}<button type="submit" class="danger">${t.t('money.channels.delete')}</button></form>` : ''}
</section>`;
}
