import type { StoredPayment } from '../domain/payment';
import { availableLocales, type Translator, translator } from '../i18n';
import { type MethodOption, pendingRefreshSeconds, type ResultLinks, type ShopLook } from '../services/buyer';
import { html, type SafeHtml } from './web/html';
import { assetsPath, type DocumentHead, documentPage } from './web/layout';

export { escapeHtml } from './web/html';

/** Where the buyer's pages load the script that submits a way-back form after its delay (no inline script under the CSP). */
export const autoReturnScriptPath = '/pay/assets/auto-return.js';

/**
 * The script at {@link autoReturnScriptPath}: after its delay, submits each `form[data-submit-after]`
 * and follows each `a[data-follow-after]` (to its `data-follow-url`); shows each `[data-stay]`
 * button, which stops them and hides the notice `#auto-return`. So the buyer may stay (WCAG 2.2.1);
 * without the script the link or button is there to use. On the waiting page it asks the payment's
 * status (`[data-watch-status]`) instead of reloading, and opens the result once it changed; a browser
 * without script reloads the page instead (a `<noscript>` refresh).
 */
export const autoReturnScript = `'use strict';
const timers = [];
const after = (element, name) => Number(element.getAttribute(name)) * 1000;
for (const form of document.querySelectorAll('form[data-submit-after]')) {
  timers.push(setTimeout(() => form.submit(), after(form, 'data-submit-after')));
}
for (const link of document.querySelectorAll('a[data-follow-after]')) {
  const url = link.getAttribute('data-follow-url') || link.href;
  timers.push(setTimeout(() => location.assign(url), after(link, 'data-follow-after')));
}
for (const waiting of document.querySelectorAll('[data-watch-status]')) {
  const every = after(waiting, 'data-watch-every');
  const giveUpAt = Date.now() + after(waiting, 'data-watch-give-up');
  const check = async () => {
    if (Date.now() >= giveUpAt) return location.replace(waiting.getAttribute('data-watch-give-up-url'));
    try {
      const answer = await fetch(waiting.getAttribute('data-watch-status'), { headers: { accept: 'application/json' } });
      const { status } = await answer.json();
      if (status !== 'awaiting_payment') return location.replace(waiting.getAttribute('data-watch-url'));
    } catch {
      // asked again on the next round
    }
    setTimeout(check, every);
  };
  setTimeout(check, every);
}
for (const stay of document.querySelectorAll('[data-stay]')) {
  stay.hidden = false;
  stay.addEventListener('click', () => {
    for (const timer of timers) clearTimeout(timer);
    const notice = document.getElementById('auto-return');
    if (notice) notice.hidden = true;
    stay.hidden = true;
  });
}
`;

/** The buyer pages' own stylesheet, after the shared one. */
export const buyerStylesheet = `${assetsPath}/buyer.css`;

/** Who a buyer page speaks for and in which language. */
export interface BuyerPageContext {
  t: Translator;
  shop: ShopLook;
  /** Whether the page offers its language switch (links to itself with `?locale=`); not on answers to a POST. */
  languageSwitch?: boolean;
}

/** The icon of a method code, by its family: `stripe_card` → stripe, `yookassa_sbp` → sbp, `*_card` → card… */
export function methodIcon(code: string): string {
  const families: [RegExp, string][] = [
    [/^stripe_/, 'stripe'],
    [/^interkassa_/, 'interkassa'],
    [/^webmoney_/, 'webmoney'],
    [/(^yoomoney|yoo_?money|^yookassa_wallet$)/, 'yoomoney'],
    [/sbp/, 'sbp'],
    [/card/, 'card'],
    [/wallet/, 'wallet'],
    [/bank|transfer/, 'bank'],
  ];
  const family = families.find(([pattern]) => pattern.test(code))?.[1] ?? 'method';
  return `${assetsPath}/icons/${family}.svg`;
}

/** A method's name in the page's language; the provider's own title for a method the catalogs do not name. */
const methodName = (t: Translator, method: MethodOption) =>
  t.has(`buyer.methods.${method.code}`) ? t.t(`buyer.methods.${method.code}`) : method.title;

function languageSwitch(t: Translator): SafeHtml {
  const links = availableLocales.map((code) => {
    const name = translator(code).t('common.language');
    return code === t.locale
      ? html`<li><span aria-current="true" lang="${code}">${name}</span></li>`
      : html`<li><a href="?locale=${code}" hreflang="${code}" lang="${code}">${name}</a></li>`;
  });
  return html`<nav class="buyer-languages" aria-label="${t.t('buyer.language')}"><ul>${links}</ul></nav>`;
}

/**
 * A whole buyer page: the shop's logo and name above (the name as the page's heading when
 * `shopHeading`), the test-mode banner, the content, the language switch and Kassa's line below.
 */
function buyerPage(
  context: BuyerPageContext,
  options: { title: string; body: SafeHtml; head?: DocumentHead; testMode?: boolean; shopHeading?: boolean },
): string {
  const { t, shop } = context;
  const name = options.shopHeading ? html`<h1>${shop.name}</h1>` : html`<p class="shop-name">${shop.name}</p>`;
  const head = options.head ?? {};
  const body = html`<div class="buyer-page">
<header class="buyer-shop">${shop.logoUrl ? html`<img class="shop-logo" src="${shop.logoUrl}" alt="${shop.name}">` : ''}${name}</header>
${options.testMode ? html`<p class="test-banner" id="test-mode">${t.t('buyer.testMode')}</p>` : ''}
<main class="buyer-main">
${options.body}
</main>
<footer class="buyer-foot">
${context.languageSwitch === false ? '' : languageSwitch(t)}
<p class="powered">${t.t('buyer.poweredBy')}</p>
</footer>
</div>`;
  return documentPage({
    locale: t.locale,
    title: options.title,
    body,
    bodyClass: 'buyer',
    head: {
      ...head,
      styles: [buyerStylesheet, ...(shop.brandStylesheet ? [shop.brandStylesheet] : []), ...(head.styles ?? [])],
    },
  });
}

/** What the waiting page's script watches (its status, how often, until when): no reload until something changed. */
const watchAttributes = ({ watch }: ResultLinks) =>
  watch
    ? html` data-watch-status="${watch.statusUrl}" data-watch-every="${watch.everySeconds}" data-watch-url="${watch.resultUrl}" data-watch-give-up="${watch.giveUpAfterSeconds}" data-watch-give-up-url="${watch.giveUpUrl}"`
    : '';

/** Where a page that sends the buyer back by GET points its refresh: Kassa's own redirect, so no shop URL sits in a refresh header. */
const backPath = (paymentId: string) => `/pay/${paymentId}/back`;

const hiddenInputs = (fields: Record<string, string>) =>
  Object.entries(fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`);

/**
 * The way back to the shop: a link (GET), or a form of hidden fields with a visible button (POST).
 * With `auto`, the link or form carries the delay for the script; the link is followed through
 * Kassa's own redirect `auto.via`, which answers the way back for the payment as it is by then.
 */
function backToShop(
  links: ResultLinks,
  label: string,
  className = 'button',
  auto: { seconds: number; via?: string } | null = null,
) {
  const { back } = links;
  if (back.method === 'GET')
    return html`<a class="${className}" id="back-to-shop" href="${back.url}"${
      auto ? html` data-follow-after="${auto.seconds}" data-follow-url="${auto.via ?? back.url}"` : ''
    }>${label}</a>`;
  return html`<form id="back-to-shop-form" method="post" action="${back.url}"${
    auto === null ? '' : html` data-submit-after="${auto.seconds}"`
  }>${hiddenInputs(back.fields)}<button type="submit" id="back-to-shop">${label}</button></form>`;
}

/** The head of a result page that sends the buyer back on its own: the script that follows its link or submits its form. */
const autoReturnHead = (links: ResultLinks): DocumentHead =>
  links.autoReturnSeconds === null ? {} : { scripts: [autoReturnScriptPath] };

/** When the page sends the buyer back on its own: how soon, and by which of Kassa's paths. */
const autoReturnOf = (payment: StoredPayment, links: ResultLinks) =>
  links.autoReturnSeconds === null ? null : { seconds: links.autoReturnSeconds, via: backPath(payment.id) };

const autoReturnNotice = (t: Translator, links: ResultLinks, shop: string) =>
  links.autoReturnSeconds === null
    ? ''
    : html`<p class="muted" id="auto-return">${t.t('buyer.result.autoReturn', { count: links.autoReturnSeconds, shop })}</p>`;

/** The button that stops the countdown; the script shows it. */
const stayButton = (t: Translator, links: ResultLinks) =>
  links.autoReturnSeconds === null
    ? ''
    : html`<p class="stay"><button type="button" class="secondary" id="stay" data-stay hidden>${t.t('buyer.result.stay')}</button></p>`;

const failureText = (t: Translator, reason: string | null) =>
  t.has(`buyer.failure.${reason}`) ? t.t(`buyer.failure.${reason}`) : t.t('buyer.failure.other');

/** The order at a glance: its id, description and an amount. */
function orderSummary(t: Translator, payment: StoredPayment, amountMinor: bigint, label: string): SafeHtml {
  return html`<section class="order card" aria-labelledby="order-summary">
<h2 id="order-summary" class="visually-hidden">${t.t('buyer.pay.summary')}</h2>
<dl class="order-lines">
<div><dt>${t.t('buyer.pay.order')}</dt><dd id="order-id">${payment.orderId}</dd></div>
<div><dt>${t.t('buyer.pay.description')}</dt><dd id="order-description">${payment.description}</dd></div>
</dl>
<p class="amount-line"><span class="amount-label">${label}</span> <span class="amount">${t.money(amountMinor, payment.currency)}</span></p>
</section>`;
}

/** The page where the buyer chooses a method: the order, then one button per method with its icon and price. */
export function methodChoicePage(
  context: BuyerPageContext,
  payment: StoredPayment,
  methods: MethodOption[],
  notice?: string,
): string {
  const { t, shop } = context;
  const buttons = methods.map((method) => {
    const fee = method.buyerTotalMinor - payment.amountMinor;
    return html`<li><button type="submit" name="method" value="${method.code}"><img class="method-icon" src="${methodIcon(
      method.code,
    )}" alt="" width="32" height="32"><span class="method-name">${methodName(t, method)}</span><span class="method-price">${t.money(
      method.buyerTotalMinor,
      payment.currency,
    )}${fee > 0n ? html`<small class="method-fee">${t.t('buyer.pay.fee', { fee: t.money(fee, payment.currency) })}</small>` : ''}</span></button></li>`;
  });
  return buyerPage(context, {
    title: t.t('buyer.pay.title', { shop: shop.name }),
    shopHeading: true,
    testMode: payment.testMode,
    body: html`${orderSummary(t, payment, payment.amountMinor, t.t('buyer.pay.amount'))}
<p class="muted pay-before">${t.t('buyer.pay.payBefore', { time: t.dateTime(payment.expiresAt) })}</p>
${notice ? html`<p class="alert error" role="alert">${notice}</p>` : ''}
<form method="post" action="/pay/${payment.id}/method" class="methods" aria-labelledby="choose-method">
<h2 id="choose-method">${t.t('buyer.pay.choose')}</h2>
${methods.length ? html`<ul class="method-list">${buttons}</ul>` : html`<p>${t.t('buyer.pay.none')}</p>`}
</form>`,
  });
}

/** The result of a payment: paid, still being confirmed, declined (choose again) or over. */
export function resultPage(context: BuyerPageContext, payment: StoredPayment, links: ResultLinks): string {
  const { t } = context;
  const shop = context.shop.name;
  const back = (label: string, className?: string) => backToShop(links, label, className, autoReturnOf(payment, links));
  const head = autoReturnHead(links);
  switch (payment.status) {
    case 'paid':
    case 'refunded':
    case 'partially_refunded': {
      const delivery = payment.delivery;
      let deliveryHtml: SafeHtml | '' = '';
      if (delivery?.type === 'digital' && links.downloadUrl) {
        deliveryHtml = html`<p class="delivery"><a class="button" id="download" href="${links.downloadUrl}">${t.t(
          'buyer.result.download',
        )}</a> <span class="muted">${t.t('buyer.result.downloadNote')}</span></p>`;
      } else if (delivery?.type === 'physical') {
        const eta = new Date((payment.paidAt ?? new Date()).getTime() + delivery.eta_days * 86_400_000);
        deliveryHtml = html`<p class="delivery" id="delivery">${t.t('buyer.result.delivery', {
          method: delivery.method,
          date: t.date(eta),
        })}</p>`;
      }
      const paidMinor = payment.buyerTotalMinor ?? payment.amountMinor;
      return buyerPage(context, {
        title: t.t('buyer.result.paidTitle'),
        head,
        testMode: payment.testMode,
        body: html`<div class="result result-paid">
<h1>${t.t('buyer.result.paidHeading')}</h1>
<p>${t.t('buyer.result.paidText', { shop, amount: t.money(paidMinor, payment.currency), order: payment.orderId })}</p>
${payment.paidAt ? html`<p class="muted" id="paid-at">${t.t('buyer.result.paidAt')}: ${t.dateTime(payment.paidAt)} UTC</p>` : ''}
</div>
${orderSummary(t, payment, paidMinor, t.t('buyer.result.paidAt'))}
${deliveryHtml}
${autoReturnNotice(t, links, shop)}
${back(t.t('buyer.result.backTo', { shop }), 'button secondary')}
${stayButton(t, links)}`,
      });
    }
    case 'awaiting_payment': {
      const waitedLong = links.autoReturnSeconds !== null;
      return buyerPage(context, {
        title: t.t('buyer.result.waitingTitle'),
        head: waitedLong
          ? head
          : {
              refresh: { seconds: pendingRefreshSeconds, url: links.refreshUrl, withoutScript: true },
              scripts: [autoReturnScriptPath],
            },
        testMode: payment.testMode,
        body: html`<div class="result result-waiting"${watchAttributes(links)}>
<h1>${t.t('buyer.result.waitingHeading')}</h1>
<p class="muted">${waitedLong ? t.t('buyer.result.waitingLong', { shop }) : t.t('buyer.result.waitingText', { shop })}</p>
</div>
${autoReturnNotice(t, links, shop)}
${
  links.back.method === 'GET'
    ? html`<p><a id="pending-link" href="${links.back.url}"${
        waitedLong
          ? html` data-follow-after="${links.autoReturnSeconds}" data-follow-url="${backPath(payment.id)}"`
          : ''
      }>${t.t('buyer.result.returnTo', { shop })}</a></p>`
    : backToShop(links, t.t('buyer.result.returnTo', { shop }), 'button', autoReturnOf(payment, links))
}
${stayButton(t, links)}`,
      });
    }
    case 'awaiting_method':
      return buyerPage(context, {
        title: t.t('buyer.result.declinedTitle'),
        testMode: payment.testMode,
        body: html`<div class="result result-failed">
<h1>${t.t('buyer.result.declinedHeading')}</h1>
<p>${failureText(t, payment.failureReason)} ${t.t('buyer.result.tryAnother')}</p>
</div>
<p><a class="button" id="try-again" href="/pay/${payment.id}">${t.t('buyer.result.chooseAnother')}</a></p>
<div class="way-back">${back(t.t('buyer.result.backTo', { shop }), 'link')}</div>`,
      });
    default: {
      const key = `buyer.final.${payment.status}`;
      return buyerPage(context, {
        title: t.t('buyer.result.failedTitle'),
        head,
        testMode: payment.testMode,
        body: html`<div class="result result-failed">
<h1>${t.t('buyer.result.failedHeading')}</h1>
<p id="final-state">${t.has(key) ? t.t(key, { shop }) : t.t('buyer.final.other')}</p>
</div>
${autoReturnNotice(t, links, shop)}
${back(t.t('buyer.result.backTo', { shop }))}
${stayButton(t, links)}`,
      });
    }
  }
}

/** The page that takes the buyer back to the shop by POST: the form submits itself, its button works without script. */
export function shopReturnPage(context: BuyerPageContext, links: ResultLinks): string {
  const { t } = context;
  const shop = context.shop.name;
  return buyerPage(context, {
    title: t.t('buyer.back.title', { shop }),
    head: { scripts: [autoReturnScriptPath] },
    body: html`<h1>${t.t('buyer.back.title', { shop })}</h1>
<p class="muted">${t.t('buyer.back.taking', { shop })}</p>
${backToShop(links, t.t('buyer.back.continue', { shop }), 'button', { seconds: 0 })}`,
  });
}

/**
 * The page that takes the buyer to a provider that wants a form posted to it (WebMoney, Interkassa):
 * the form submits itself, its button works without script.
 */
export function providerFormPage(
  context: BuyerPageContext,
  form: { url: string; fields: Record<string, string> },
): string {
  const { t } = context;
  const shop = context.shop.name;
  return buyerPage(context, {
    title: t.t('buyer.provider.title', { shop }),
    head: { scripts: [autoReturnScriptPath] },
    body: html`<h1>${t.t('buyer.provider.title', { shop })}</h1>
<p class="muted">${t.t('buyer.provider.taking')}</p>
<form id="provider-form" method="post" action="${form.url}" data-submit-after="0">${hiddenInputs(
      form.fields,
    )}<button type="submit">${t.t('buyer.provider.continue')}</button></form>`,
  });
}

/** A page that only says something: a heading and one paragraph. */
export function messagePage(context: BuyerPageContext, title: string, message: string): string {
  return buyerPage(context, { title, body: html`<h1>${title}</h1><p>${message}</p>` });
}
