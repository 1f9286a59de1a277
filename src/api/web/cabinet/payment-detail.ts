import { type Response, Router } from 'express';
import { type DeliveryChannel, deliveryChannels } from '../../../domain/channel';
import { openStatuses, type StoredPayment } from '../../../domain/payment';
import type { Refund } from '../../../domain/refund';
import type { Translator } from '../../../i18n';
import type { DeliveryAttemptResource } from '../../../resources/channel';
import { listPaymentAttempts } from '../../../services/attempts';
import { listPaymentDeliveryLog, resendToChannel } from '../../../services/channels';
import type { ServiceDeps } from '../../../services/deps';
import { cancelPayment, getPayment, listPaymentEvents } from '../../../services/payments';
import { createRefund, paymentRefunds } from '../../../services/refunds';
import { html, type SafeHtml } from '../html';
import { csrfField, merchantPrincipalOf, onceField, onceKeyOf, pageContext } from '../session';
import { sendCabinetPage } from './layout';
import {
  FieldError,
  formField,
  moneyHead,
  noticeAlert,
  noticeOf,
  refusal,
  refusalAlert,
  screen,
  statusLabel,
  tableOr,
} from './payment-kit';

type Attempts = Awaited<ReturnType<typeof listPaymentAttempts>>;
type Events = Awaited<ReturnType<typeof listPaymentEvents>>;

const notices = ['refunded', 'resent', 'resend_failed', 'canceled'] as const;
const refundable = ['paid', 'partially_refunded'];

/** One step of a payment's life, as its timeline lists it. */
interface Step {
  at: Date;
  text: string;
  kind: string;
}

/**
 * What happened to a payment, oldest first: its creation, the method chosen, each provider
 * attempt, its events (paid, failed…), each delivery of them on every channel, and its refunds.
 */
export function paymentTimeline(
  t: Translator,
  payment: StoredPayment,
  attempts: Attempts,
  events: Events,
  deliveries: readonly DeliveryAttemptResource[],
  refunds: readonly Refund[],
): Step[] {
  const steps: Step[] = [{ at: payment.createdAt, kind: 'created', text: t.t('money.timeline.created') }];
  const first = attempts[0];
  if (first)
    steps.push({ at: first.createdAt, kind: 'method', text: t.t('money.timeline.method', { method: first.method }) });
  for (const attempt of attempts) {
    steps.push({
      at: attempt.createdAt,
      kind: 'attempt',
      text: t.t('money.timeline.attempt', {
        attempt: attempt.attempt,
        provider: attempt.provider,
        status: t.has(`money.attempt.${attempt.status}`) ? t.t(`money.attempt.${attempt.status}`) : attempt.status,
      }),
    });
  }
  if (payment.paidAt) steps.push({ at: payment.paidAt, kind: 'paid', text: t.t('money.timeline.paid') });
  for (const event of events) {
    steps.push({
      at: event.createdAt,
      kind: 'event',
      text: t.t('money.timeline.event', { event: eventName(t, event.type) }),
    });
  }
  for (const delivery of deliveries) {
    steps.push({
      at: new Date(delivery.attempted_at),
      kind: delivery.delivered ? 'delivered' : 'undelivered',
      text: t.t(delivery.delivered ? 'money.timeline.delivered' : 'money.timeline.undelivered', {
        event: delivery.event_type ? eventName(t, delivery.event_type) : delivery.event_id,
        channel: channelName(t, delivery.channel),
      }),
    });
  }
  for (const refund of refunds) {
    const amount = t.money(refund.amountMinor, refund.currency);
    steps.push({ at: refund.createdAt, kind: 'refund', text: t.t('money.timeline.refund', { amount }) });
    if (refund.completedAt)
      steps.push({
        at: refund.completedAt,
        kind: `refund-${refund.status}`,
        text: t.t(`money.timeline.refund_${refund.status}`, { amount }),
      });
  }
  return steps
    .map((step, index) => ({ step, index }))
    .sort((a, b) => a.step.at.getTime() - b.step.at.getTime() || a.index - b.index)
    .map(({ step }) => step);
}

export const eventName = (t: Translator, type: string) =>
  t.has(`money.events.${type}`) ? t.t(`money.events.${type}`) : type;
export const channelName = (t: Translator, channel: string) =>
  t.has(`money.channels.kind.${channel}`) ? t.t(`money.channels.kind.${channel}`) : channel;

/** A payment's page, its refund form and its Resend buttons. */
export function paymentDetailScreens(deps: ServiceDeps): Router {
  const router = Router();

  router.get(
    '/payments/:id',
    screen('payments', async (req, res) => {
      await sendPaymentPage(deps, res, req.params.id as string, {
        notice: noticeOf(req, notices),
      });
    }),
  );

  router.post(
    '/payments/:id/refunds',
    screen('payments', async (req, res) => {
      const id = req.params.id as string;
      const principal = merchantPrincipalOf(res);
      const amount = formField(req, 'amount');
      try {
        await createRefund(deps, principal, id, { amount: amount || undefined }, onceKeyOf(req));
      } catch (error) {
        const refused = refusal(pageContext(res).t, error);
        if (!refused || refused.status === 404) throw error;
        await sendPaymentPage(deps, res, id, { refundError: refused.message, refundAmount: amount }, refused.status);
        return;
      }
      res.redirect(303, `/dashboard/payments/${encodeURIComponent(id)}?notice=refunded#refunds`);
    }),
  );

  router.post(
    '/payments/:id/cancel',
    screen('payments', async (req, res) => {
      const id = req.params.id as string;
      await cancelPayment(deps, merchantPrincipalOf(res), id);
      res.redirect(303, `/dashboard/payments/${encodeURIComponent(id)}?notice=canceled`);
    }),
  );

  router.post(
    '/payments/:id/resend',
    screen('payments', async (req, res) => {
      const id = req.params.id as string;
      const channel = formField(req, 'channel');
      const eventId = formField(req, 'event_id');
      if (!(deliveryChannels as readonly string[]).includes(channel)) throw new FieldError('channel', 'choice');
      if (!eventId) throw new FieldError('event_id', 'required');
      const outcome = await resendToChannel(deps, merchantPrincipalOf(res), id, eventId, channel as DeliveryChannel);
      res.redirect(
        303,
        `/dashboard/payments/${encodeURIComponent(id)}?notice=${outcome.delivered ? 'resent' : 'resend_failed'}#deliveries`,
      );
    }),
  );

  return router;
}

async function sendPaymentPage(
  deps: ServiceDeps,
  res: Response,
  id: string,
  state: { notice?: string | null; refundError?: string; refundAmount?: string },
  status = 200,
) {
  const { session, t } = pageContext(res);
  const principal = merchantPrincipalOf(res);
  const payment = await getPayment(deps, principal, id);
  const [attempts, events, log, refunds] = await Promise.all([
    listPaymentAttempts(deps, principal, id),
    listPaymentEvents(deps, principal, id),
    listPaymentDeliveryLog(deps, principal, id),
    paymentRefunds(deps, principal, id),
  ]);
  const money = (minor: bigint | null) => (minor === null ? '—' : t.money(minor, payment.currency));
  const refunded = refunds
    .filter((refund) => refund.status !== 'failed')
    .reduce((sum, refund) => sum + refund.amountMinor, 0n);
  const left = payment.buyerTotalMinor === null ? null : payment.buyerTotalMinor - refunded;
  const timeline = paymentTimeline(t, payment, attempts, events, log.data, refunds);
  const here = `/dashboard/payments/${payment.id}`;
  const resendButton = (eventId: string, channel: string, label: string) =>
    html`<form method="post" action="${here}/resend" class="inline">${csrfField(session)}<input type="hidden" name="event_id" value="${eventId}"><input type="hidden" name="channel" value="${channel}"><button type="submit" class="secondary small">${label}</button></form>`;

  const summary = html`<dl class="summary" id="summary">
<dt>${t.t('money.fields.status')}</dt><dd id="payment-status">${statusLabel(t, 'status', payment.status)}</dd>
<dt>${t.t('money.fields.amount')}</dt><dd id="payment-amount">${t.money(payment.amountMinor, payment.currency)}</dd>
<dt>${t.t('money.fields.buyer_total')}</dt><dd>${money(payment.buyerTotalMinor)}</dd>
<dt>${t.t('money.fields.fee')}</dt><dd>${money(payment.feeMinor)}</dd>
<dt>${t.t('money.fields.merchant_net')}</dt><dd>${money(payment.merchantNetMinor)}</dd>
<dt>${t.t('money.fields.refunded')}</dt><dd>${money(refunded)}</dd>
<dt>${t.t('money.fields.order_id')}</dt><dd id="payment-order">${payment.orderId}</dd>
<dt>${t.t('money.fields.description')}</dt><dd id="payment-description" class="text">${payment.description}</dd>
<dt>${t.t('money.fields.method')}</dt><dd>${payment.method ?? '—'}</dd>
<dt>${t.t('money.fields.id')}</dt><dd><code>${payment.id}</code></dd>
<dt>${t.t('money.fields.checkout_id')}</dt><dd><code>${payment.checkoutId}</code></dd>
<dt>${t.t('money.fields.created')}</dt><dd>${t.dateTime(payment.createdAt)}</dd>
<dt>${t.t('money.fields.paid_at')}</dt><dd>${payment.paidAt ? t.dateTime(payment.paidAt) : '—'}</dd>
<dt>${t.t('money.fields.expires_at')}</dt><dd>${t.dateTime(payment.expiresAt)}</dd>
${payment.providerPaymentId ? html`<dt>${t.t('money.fields.provider_payment_id')}</dt><dd><code>${payment.providerPaymentId}</code></dd>` : ''}
${payment.failureReason ? html`<dt>${t.t('money.fields.failure_reason')}</dt><dd class="text">${payment.failureReason}</dd>` : ''}
</dl>
${
  Object.keys(payment.metadata).length
    ? html`<h2>${t.t('money.payment.metadata')}</h2><dl class="summary" id="metadata">${Object.entries(
        payment.metadata,
      ).map(([key, value]) => html`<dt>${key}</dt><dd class="text">${value}</dd>`)}</dl>`
    : ''
}`;

  const timelineList = html`<ol class="timeline" id="timeline">${timeline.map(
    (step) =>
      html`<li class="step step-${step.kind}"><time datetime="${step.at.toISOString()}">${t.dateTime(step.at)}</time> <span>${step.text}</span></li>`,
  )}</ol>`;

  const attemptRows = attempts.map(
    (
      attempt,
    ) => html`<tr><td>${attempt.attempt}</td><td>${t.dateTime(attempt.createdAt)}</td><td>${attempt.provider}</td><td>${attempt.method}</td>
<td>${statusLabel(t, 'attempt', attempt.status)}</td><td>${attempt.providerPaymentId ? html`<code>${attempt.providerPaymentId}</code>` : '—'}</td>
<td class="num">${attempt.latencyMs === null ? '—' : t.t('money.ms', { ms: attempt.latencyMs })}</td><td class="text">${attempt.error ?? ''}</td></tr>`,
  );

  const eventRows = events.map(
    (
      event,
    ) => html`<tr><td>${t.dateTime(event.createdAt)}</td><td>${eventName(t, event.type)}</td><td><code>${event.id}</code></td>
<td>${event.deliveredAt ? t.dateTime(event.deliveredAt) : t.t('money.deliveries.notDelivered')}</td>
<td>${resendButton(event.id, 'webhook', t.t('money.deliveries.resendWebhook'))}</td></tr>`,
  );

  const deliveryRows = log.data.map(
    (
      delivery,
    ) => html`<tr><td>${t.dateTime(new Date(delivery.attempted_at))}</td><td>${channelName(t, delivery.channel)}</td>
<td>${delivery.event_type ? eventName(t, delivery.event_type) : delivery.event_id}</td><td class="text">${delivery.target}</td><td>${delivery.attempt}</td>
<td>${html`<span class="status ${delivery.delivered ? 'paid' : 'failed'}">${t.t(
      delivery.delivered ? 'money.deliveries.delivered' : 'money.deliveries.failed',
    )}</span>`} ${delivery.response ?? ''} <span class="text">${delivery.error ?? ''}</span></td>
<td class="num">${t.t('money.ms', { ms: delivery.latency_ms })}</td>
<td>${resendButton(delivery.event_id, delivery.channel, t.t('money.deliveries.resend'))}</td></tr>`,
  );

  const refundRows = refunds.map(
    (
      refund,
    ) => html`<tr><td>${t.dateTime(refund.createdAt)}</td><td class="num">${t.money(refund.amountMinor, refund.currency)}</td>
<td>${statusLabel(t, 'refund', refund.status)}</td><td><code>${refund.id}</code></td><td class="text">${refund.failureReason ?? ''}</td></tr>`,
  );

  const refundForm: SafeHtml | '' =
    refundable.includes(payment.status) && left !== null && left > 0n
      ? html`<form method="post" action="${here}/refunds" class="panel" id="refund-form">${csrfField(session)}${onceField()}
${refusalAlert(state.refundError)}
<p>${t.t('money.refund.left', { amount: t.money(left, payment.currency) })}</p>
<div class="field"><label for="r-amount">${t.t('money.fields.refund_amount')}</label>
<input id="r-amount" name="amount" inputmode="decimal" aria-describedby="r-amount-hint" value="${state.refundAmount ?? ''}">
<p class="hint" id="r-amount-hint">${t.t('money.refund.hint', { currency: payment.currency })}</p></div>
<button type="submit">${t.t('money.refund.submit')}</button></form>`
      : state.refundError
        ? refusalAlert(state.refundError)
        : '';

  const th = (key: string, numeric = false) =>
    html`<th scope="col"${numeric ? html` class="num"` : ''}>${t.t(key)}</th>`;
  const body = html`${noticeAlert(t, state.notice ?? null)}
<p><a href="/dashboard/payments">${t.t('money.payment.backToList')}</a></p>
${
  openStatuses.includes(payment.status)
    ? html`<form method="post" action="${here}/cancel" id="cancel-form">${csrfField(session)}<p class="hint">${t.t(
        'money.payment.cancelHint',
      )}</p><button type="submit" class="danger">${t.t('money.payment.cancel')}</button></form>`
    : ''
}
<div class="columns"><section aria-labelledby="h-summary"><h2 id="h-summary">${t.t('money.payment.summary')}</h2>${summary}</section>
<section aria-labelledby="h-timeline"><h2 id="h-timeline">${t.t('money.payment.timeline')}</h2>${timelineList}</section></div>
<section aria-labelledby="h-attempts"><h2 id="h-attempts">${t.t('money.payment.attempts')}</h2>
${tableOr(
  t.t('money.payment.noAttempts'),
  html`<tr>${th('money.fields.attempt')}${th('money.fields.created')}${th('money.fields.provider')}${th('money.fields.method')}${th(
    'money.fields.status',
  )}${th('money.fields.provider_payment_id')}${th('money.fields.latency', true)}${th('money.fields.error')}</tr>`,
  attemptRows,
  'attempts',
)}</section>
<section aria-labelledby="h-events" id="deliveries"><h2 id="h-events">${t.t('money.payment.events')}</h2>
${tableOr(
  t.t('money.payment.noEvents'),
  html`<tr>${th('money.fields.created')}${th('money.fields.event')}${th('money.fields.id')}${th('money.fields.delivered_at')}${th('money.fields.actions')}</tr>`,
  eventRows,
  'events',
)}
<h3>${t.t('money.payment.deliveryLog')}</h3>
${tableOr(
  t.t('money.payment.noDeliveries'),
  html`<tr>${th('money.fields.attempted_at')}${th('money.fields.channel')}${th('money.fields.event')}${th('money.fields.target')}${th(
    'money.fields.attempt',
  )}${th('money.fields.result')}${th('money.fields.latency', true)}${th('money.fields.actions')}</tr>`,
  deliveryRows,
  'delivery-log',
)}</section>
<section aria-labelledby="h-refunds" id="refunds"><h2 id="h-refunds">${t.t('money.payment.refunds')}</h2>
${tableOr(
  t.t('money.payment.noRefunds'),
  html`<tr>${th('money.fields.created')}${th('money.fields.amount', true)}${th('money.fields.status')}${th('money.fields.id')}${th(
    'money.fields.failure_reason',
  )}</tr>`,
  refundRows,
  'refund-list',
)}
${refundForm}</section>`;

  sendCabinetPage(
    res,
    {
      session,
      t,
      active: 'payments',
      title: t.t('money.payment.title', { order: payment.orderId }),
      here,
      // an open payment's page follows it by itself until the buyer has paid or it ends
      head: openStatuses.includes(payment.status) ? { ...moneyHead, refresh: { seconds: 5 } } : moneyHead,
      body,
    },
    status,
  );
}
