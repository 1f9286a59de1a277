/**
 * The checkout screens' markup: the list, the "new checkout" form and the tabs of one checkout.
 * Every value a merchant typed goes through the `html` template, so it renders as text.
 */
import { translator, type Translator } from '../../../i18n';
import { checkoutLocales, checkoutTypes } from '../../../domain/checkout';
import { supportedCurrencies } from '../../../domain/money';
import { sciLifetimeBounds } from '../../../domain/interkassa';
import type { CheckoutResource } from '../../../resources/checkout';
import { html, type SafeHtml } from '../html';
import { csrfField, type WebSession } from '../session';
import { type FieldErrors, type FormValues, isTicked, valueOf, valuesOf } from './checkout-forms';

/** The tabs of a checkout, in order; each is a page of its own. */
export const checkoutTabs = ['general', 'payments', 'interface', 'security', 'verification'] as const;
export type CheckoutTab = (typeof checkoutTabs)[number];

export const checkoutPath = (id: string, tab?: CheckoutTab) => `/dashboard/checkouts/${id}${tab ? `/${tab}` : ''}`;

/** An input's id from its name. */
export const inputId = (name: string) => `f-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;

/** What rendering a form needs besides its fields. */
export interface FormState {
  session: WebSession;
  t: Translator;
  values: FormValues;
  errors: FieldErrors;
}

function fieldError(state: FormState, name: string): SafeHtml | '' {
  const error = state.errors[name];
  if (!error) return '';
  return html`<p class="field-error" id="${inputId(name)}-error">${error.message}${
    error.detail ? html` <span class="detail">(${error.detail})</span>` : ''
  }</p>`;
}

function describedBy(state: FormState, name: string, hint: boolean): SafeHtml | '' {
  const ids = [hint ? `${inputId(name)}-hint` : '', state.errors[name] ? `${inputId(name)}-error` : '']
    .filter(Boolean)
    .join(' ');
  return ids ? html` aria-describedby="${ids}"` : '';
}

/** A labelled text input with its hint and error, keeping what was typed. */
export function textField(
  state: FormState,
  options: {
    name: string;
    label: string;
    type?: 'text' | 'url' | 'number' | 'email';
    hint?: string;
    required?: boolean;
    placeholder?: string;
    inputmode?: 'decimal' | 'numeric';
    narrow?: boolean;
  },
): SafeHtml {
  const { name } = options;
  const invalid = Boolean(state.errors[name]);
  return html`<div class="field${invalid ? ' invalid' : ''}${options.narrow ? ' narrow' : ''}">
<label for="${inputId(name)}">${options.label}</label>
${options.hint ? html`<p class="hint" id="${inputId(name)}-hint">${options.hint}</p>` : ''}
<input id="${inputId(name)}" name="${name}" type="${options.type ?? 'text'}" value="${valueOf(state.values, name)}"${
    options.required ? html` required` : ''
  }${options.placeholder ? html` placeholder="${options.placeholder}"` : ''}${
    options.inputmode ? html` inputmode="${options.inputmode}"` : ''
  }${invalid ? html` aria-invalid="true"` : ''}${describedBy(state, name, Boolean(options.hint))}>
${fieldError(state, name)}
</div>`;
}

/** A checkbox with its label after it. */
export function checkboxField(state: FormState, options: { name: string; label: string; hint?: string }): SafeHtml {
  const { name } = options;
  return html`<div class="field check${state.errors[name] ? ' invalid' : ''}">
<input id="${inputId(name)}" name="${name}" type="checkbox"${isTicked(state.values, name) ? html` checked` : ''}${describedBy(
    state,
    name,
    Boolean(options.hint),
  )}>
<label for="${inputId(name)}">${options.label}</label>
${options.hint ? html`<p class="hint" id="${inputId(name)}-hint">${options.hint}</p>` : ''}
${fieldError(state, name)}
</div>`;
}

/** A select of `choices` (value → label). */
export function selectField(
  state: FormState,
  options: { name: string; label: string; choices: readonly (readonly [string, string])[]; hint?: string },
): SafeHtml {
  const { name } = options;
  const current = valueOf(state.values, name);
  return html`<div class="field${state.errors[name] ? ' invalid' : ''}">
<label for="${inputId(name)}">${options.label}</label>
${options.hint ? html`<p class="hint" id="${inputId(name)}-hint">${options.hint}</p>` : ''}
<select id="${inputId(name)}" name="${name}"${describedBy(state, name, Boolean(options.hint))}>
${options.choices.map(
  ([value, label]) => html`<option value="${value}"${value === current ? html` selected` : ''}>${label}</option>`,
)}
</select>
${fieldError(state, name)}
</div>`;
}

/** Ticks for a set of values under one legend (currencies). */
function checkboxGroup(
  state: FormState,
  options: { name: string; legend: string; choices: readonly string[]; hint?: string; compact?: boolean },
): SafeHtml {
  const { name } = options;
  const ticked = new Set(valuesOf(state.values, name));
  return html`<fieldset class="choices${options.compact ? ' compact' : ''}${state.errors[name] ? ' invalid' : ''}" id="${inputId(
    name,
  )}"${describedBy(state, name, Boolean(options.hint))}>
<legend>${options.legend}</legend>
${options.hint ? html`<p class="hint" id="${inputId(name)}-hint">${options.hint}</p>` : ''}
<div class="choice-grid">${options.choices.map(
    (choice) =>
      html`<label class="choice"><input type="checkbox" name="${name}" value="${choice}"${
        ticked.has(choice) ? html` checked` : ''
      }> ${choice}</label>`,
  )}</div>
${fieldError(state, name)}
</fieldset>`;
}

/** Which method (and currency) a method's input belongs to, before its error in the list. */
function whereIn(name: string): string {
  const method = /^methods\.([^.]+)\.(?:\w+\.)?(?:([A-Z]{3}))?/.exec(name);
  if (!method) return '';
  return `${method[1]}${method[2] ? ` ${method[2]}` : ''}: `;
}

/** The errors of a form as a list at its top, each linking to its input. */
export function errorSummary(state: FormState): SafeHtml | '' {
  const entries = Object.entries(state.errors);
  if (entries.length === 0) return '';
  return html`<div class="alert error" role="alert" id="form-errors">
<p><strong>${state.t.t('cabinet.errors.summary', { count: entries.length })}</strong></p>
<ul>${entries.map(([name, error]) =>
    name
      ? html`<li><a href="#${inputId(name)}">${whereIn(name)}${error.message}</a></li>`
      : html`<li>${error.message}${error.detail ? html` <span class="detail">(${error.detail})</span>` : ''}</li>`,
  )}</ul>
</div>`;
}

/** A note that something was saved (or done), shown once after a form. */
export const savedNote = (text: string | undefined): SafeHtml | '' =>
  text ? html`<p class="alert ok" role="status" id="saved">${text}</p>` : '';

/** Secrets answered once: a new webhook secret, new SCI keys. */
export interface OnceSecrets {
  webhookSecret?: string;
  sciKeys?: { secretKey: string; testKey: string };
}

export function onceSecrets(t: Translator, secrets: OnceSecrets | undefined): SafeHtml | '' {
  if (!secrets?.webhookSecret && !secrets?.sciKeys) return '';
  return html`<section class="card once" id="secrets-once" aria-labelledby="secrets-once-title">
<h2 id="secrets-once-title">${t.t('cabinet.secrets.title')}</h2>
<p>${t.t('cabinet.secrets.intro')}</p>
<dl class="facts">
${
  secrets.webhookSecret
    ? html`<dt>${t.t('cabinet.secrets.webhookSecret')}</dt><dd><code id="webhook-secret">${secrets.webhookSecret}</code></dd>`
    : ''
}
${
  secrets.sciKeys
    ? html`<dt>${t.t('cabinet.secrets.sciSecretKey')}</dt><dd><code id="sci-secret-key">${secrets.sciKeys.secretKey}</code></dd>
<dt>${t.t('cabinet.secrets.sciTestKey')}</dt><dd><code id="sci-test-key">${secrets.sciKeys.testKey}</code></dd>`
    : ''
}
</dl>
</section>`;
}

/** A checkout's verification status as a badge. */
export const verificationBadge = (t: Translator, status: string): SafeHtml =>
  html`<span class="status verification-${status}">${t.t(`cabinet.verification.status.${status}`)}</span>`;

export function checkoutList(t: Translator, checkouts: readonly CheckoutResource[]): SafeHtml {
  const body =
    checkouts.length === 0
      ? html`<div class="card empty"><p>${t.t('cabinet.checkouts.empty')}</p></div>`
      : html`<div class="table-wrap" role="region" tabindex="0" aria-labelledby="checkout-list-caption"><table id="checkout-list">
<caption id="checkout-list-caption" class="visually-hidden">${t.t('cabinet.checkouts.title')}</caption>
<thead><tr><th scope="col">${t.t('cabinet.fields.name')}</th><th scope="col">${t.t(
          'cabinet.fields.siteUrl',
        )}</th><th scope="col">${t.t('cabinet.fields.currencies')}</th><th scope="col">${t.t(
          'cabinet.verification.title',
        )}</th><th scope="col">${t.t('cabinet.checkouts.created')}</th></tr></thead>
<tbody>${checkouts.map(
          (checkout) => html`<tr>
<td><a href="${checkoutPath(checkout.id, 'general')}">${checkout.name}</a><br><code class="muted">${checkout.id}</code></td>
<td>${checkout.site_url}</td>
<td>${checkout.currencies.join(', ')}</td>
<td>${verificationBadge(t, checkout.verification.status)}</td>
<td>${t.date(new Date(checkout.created_at))}</td>
</tr>`,
        )}</tbody></table></div>`;
  return html`<p class="actions"><a class="button" href="/dashboard/checkouts/new" id="new-checkout">${t.t(
    'cabinet.checkouts.new',
  )}</a></p>
${body}`;
}

function feePayerFields(state: FormState): SafeHtml {
  const { t } = state;
  const payer = valueOf(state.values, 'fee_payer') || 'merchant';
  const choice = (value: string) =>
    html`<label class="choice"><input type="radio" name="fee_payer" value="${value}"${
      payer === value ? html` checked` : ''
    }> ${t.t(`cabinet.feePayer.${value}`)}</label>`;
  return html`<fieldset class="choices${state.errors.fee_payer ? ' invalid' : ''}" id="${inputId('fee_payer')}">
<legend>${t.t('cabinet.feePayer.legend')}</legend>
<p class="hint">${t.t('cabinet.feePayer.hint')}</p>
${choice('merchant')}${choice('buyer')}${choice('split')}
${fieldError(state, 'fee_payer')}
${textField(state, {
  name: 'buyer_percent',
  label: t.t('cabinet.feePayer.buyerPercent'),
  type: 'number',
  inputmode: 'numeric',
  hint: t.t('cabinet.feePayer.buyerPercentHint'),
  narrow: true,
})}
</fieldset>`;
}

export function newCheckoutForm(state: FormState): SafeHtml {
  const { t } = state;
  return html`${errorSummary(state)}
<form method="post" action="/dashboard/checkouts" class="card form" id="new-checkout-form" novalidate>
${csrfField(state.session)}
<p class="hint">${t.t(state.session.testMode ? 'cabinet.checkouts.newTestHint' : 'cabinet.checkouts.newLiveHint')}</p>
${typeField(state)}
${textField(state, { name: 'name', label: t.t('cabinet.fields.name'), hint: t.t('cabinet.fields.nameHint'), required: true })}
${textField(state, {
  name: 'site_url',
  label: t.t('cabinet.fields.siteUrl'),
  type: 'url',
  hint: t.t('cabinet.fields.siteUrlHint'),
  placeholder: 'https://shop.example',
  required: true,
})}
${checkboxGroup(state, {
  name: 'currencies',
  legend: t.t('cabinet.fields.currencies'),
  choices: supportedCurrencies,
  hint: t.t('cabinet.fields.currenciesHint'),
})}
${feePayerFields(state)}
${localeField(state)}
<details${['notify_url', 'success_url', 'fail_url', 'pending_url'].some((name) => state.errors[name] || valueOf(state.values, name)) ? html` open` : ''}>
<summary>${t.t('cabinet.checkouts.addresses')}</summary>
<p class="hint">${t.t('cabinet.checkouts.addressesHint')}</p>
${urlFields(state)}
</details>
<p class="actions"><button type="submit" id="create-checkout">${t.t('cabinet.checkouts.create')}</button>
<a class="button secondary" href="/dashboard/checkouts">${t.t('common.cancel')}</a></p>
</form>`;
}

function urlFields(state: FormState): SafeHtml {
  const { t } = state;
  const url = (name: string, key: string) =>
    textField(state, {
      name,
      label: t.t(`cabinet.fields.${key}`),
      type: 'url',
      hint: t.t(`cabinet.fields.${key}Hint`),
    });
  return html`${url('notify_url', 'notifyUrl')}${url('success_url', 'successUrl')}${url('fail_url', 'failUrl')}${url(
    'pending_url',
    'pendingUrl',
  )}`;
}

/** The frame of one checkout's tab: its name, id and mode, then the tabs as links. */
export function checkoutFrame(
  t: Translator,
  checkout: CheckoutResource,
  active: CheckoutTab,
  body: SafeHtml,
): SafeHtml {
  return html`<p class="checkout-meta"><code>${checkout.id}</code> · ${checkout.site_url} · ${verificationBadge(
    t,
    checkout.verification.status,
  )}</p>
<nav class="tabs" aria-label="${t.t('cabinet.tabs.label')}"><ul>${checkoutTabs.map(
    (tab) =>
      html`<li><a href="${checkoutPath(checkout.id, tab)}"${tab === active ? html` aria-current="page"` : ''}>${t.t(
        `cabinet.tabs.${tab}`,
      )}</a></li>`,
  )}</ul></nav>
${body}`;
}

/** The form of a tab that saves settings, posting back to the tab. */
function tabForm(state: FormState, checkout: CheckoutResource, tab: CheckoutTab, fields: SafeHtml): SafeHtml {
  return html`<form method="post" action="${checkoutPath(checkout.id, tab)}" class="card form" id="${tab}-form" novalidate>
${csrfField(state.session)}
${fields}
<p class="actions"><button type="submit" id="save-${tab}">${state.t.t('common.save')}</button></p>
</form>`;
}

/** Where the shop sells from: a website, a mobile app or elsewhere. */
function typeField(state: FormState): SafeHtml {
  return selectField(state, {
    name: 'type',
    label: state.t.t('cabinet.fields.type'),
    choices: checkoutTypes.map((type) => [type, state.t.t(`cabinet.checkoutType.${type}`)] as const),
    hint: state.t.t('cabinet.fields.typeHint'),
  });
}

/** The buyer pages' default language: each language named in itself. */
function localeField(state: FormState): SafeHtml {
  return selectField(state, {
    name: 'locale',
    label: state.t.t('cabinet.fields.locale'),
    choices: checkoutLocales.map((code) => [code, translator(code).t('common.language')] as const),
    hint: state.t.t('cabinet.fields.localeHint'),
  });
}

export function generalTab(state: FormState, checkout: CheckoutResource): SafeHtml {
  const { t } = state;
  return html`${errorSummary(state)}
${tabForm(
  state,
  checkout,
  'general',
  html`${typeField(state)}
${textField(state, { name: 'name', label: t.t('cabinet.fields.name'), hint: t.t('cabinet.fields.nameHint'), required: true })}
${textField(state, {
  name: 'site_url',
  label: t.t('cabinet.fields.siteUrl'),
  type: 'url',
  hint: t.t('cabinet.fields.siteUrlChangeHint'),
  required: true,
})}
${checkboxGroup(state, {
  name: 'currencies',
  legend: t.t('cabinet.fields.currencies'),
  choices: supportedCurrencies,
  hint: t.t('cabinet.fields.currenciesHint'),
})}
${localeField(state)}
<fieldset>
<legend>${t.t('cabinet.branding.legend')}</legend>
<p class="hint">${t.t('cabinet.branding.hint')}</p>
${textField(state, {
  name: 'branding.logo_url',
  label: t.t('cabinet.branding.logoUrl'),
  type: 'url',
  placeholder: 'https://shop.example/logo.png',
  hint: t.t('cabinet.branding.logoUrlHint'),
})}
${textField(state, {
  name: 'branding.color',
  label: t.t('cabinet.branding.color'),
  placeholder: '#2f6fed',
  hint: t.t('cabinet.branding.colorHint'),
})}
${
  checkout.branding.color
    ? html`<p class="muted" id="brand-colour">${t.t('cabinet.branding.current', { color: checkout.branding.color })}</p>`
    : ''
}
</fieldset>`,
)}
<section class="card" aria-labelledby="general-facts">
<h2 id="general-facts">${t.t('cabinet.general.facts')}</h2>
<dl class="facts">
<dt>${t.t('cabinet.general.id')}</dt><dd><code>${checkout.id}</code></dd>
<dt>${t.t('cabinet.general.mode')}</dt><dd>${checkout.test_mode ? t.t('common.testMode') : t.t('common.liveMode')}</dd>
<dt>${t.t('cabinet.checkouts.created')}</dt><dd>${t.dateTime(new Date(checkout.created_at))}</dd>
<dt>${t.t('cabinet.general.updated')}</dt><dd>${t.dateTime(new Date(checkout.updated_at))}</dd>
</dl>
</section>`;
}

/** What a buyer sees and pays for one amount: the service's quote, per method. */
export interface MethodPreview {
  amountMinor: bigint;
  currency: string;
  rows: {
    method: string;
    title: string;
    buyerTotalMinor: bigint;
    feeMinor: bigint;
    buyerFeeMinor: bigint;
    merchantNetMinor: bigint;
  }[];
}

export function previewSection(
  state: FormState,
  checkout: CheckoutResource,
  preview: MethodPreview | null,
  query: { amount: string; currency: string },
  errors: FieldErrors,
): SafeHtml {
  const { t } = state;
  const queryState: FormState = { ...state, values: { amount: query.amount, currency: query.currency }, errors };
  const table = !preview
    ? ''
    : preview.rows.length === 0
      ? html`<p class="alert" id="preview-empty">${t.t('cabinet.preview.none')}</p>`
      : html`<div class="table-wrap" role="region" tabindex="0" aria-labelledby="preview-table-caption"><table id="preview-table">
<caption id="preview-table-caption">${t.t('cabinet.preview.caption', { amount: t.money(preview.amountMinor, preview.currency) })}</caption>
<thead><tr><th scope="col">${t.t('cabinet.preview.method')}</th><th scope="col">${t.t('cabinet.preview.buyerPays')}</th><th scope="col">${t.t(
          'cabinet.preview.fee',
        )}</th><th scope="col">${t.t('cabinet.preview.youReceive')}</th></tr></thead>
<tbody>${preview.rows.map(
          (row) =>
            html`<tr data-method="${row.method}"><td>${row.title}</td><td>${t.money(row.buyerTotalMinor, preview.currency)}</td><td>${t.money(
              row.feeMinor,
              preview.currency,
            )}${row.buyerFeeMinor > 0n ? html` <span class="muted">(${t.t('cabinet.preview.buyerShare', { amount: t.money(row.buyerFeeMinor, preview.currency) })})</span>` : ''}</td><td>${t.money(
              row.merchantNetMinor,
              preview.currency,
            )}</td></tr>`,
        )}</tbody></table></div>`;
  return html`<section class="card" id="preview" aria-labelledby="preview-title" aria-live="polite">
<h2 id="preview-title">${t.t('cabinet.preview.title')}</h2>
<p class="hint">${t.t('cabinet.preview.hint')}</p>
<form method="get" action="${checkoutPath(checkout.id, 'payments')}#preview" class="inline-form" id="preview-form">
${textField(queryState, { name: 'amount', label: t.t('cabinet.preview.amount'), inputmode: 'decimal' })}
${selectField(queryState, {
  name: 'currency',
  label: t.t('cabinet.preview.currency'),
  choices: checkout.currencies.map((currency) => [currency, currency] as const),
})}
<p class="actions"><button type="submit" class="secondary" id="preview-submit">${t.t('cabinet.preview.submit')}</button></p>
</form>
<div id="preview-result">${table}</div>
</section>`;
}

export function paymentsTab(
  state: FormState,
  checkout: CheckoutResource,
  offered: readonly { code: string; title: string }[],
  preview: SafeHtml,
): SafeHtml {
  const { t } = state;
  const commission = (code: string) => {
    const fee = checkout.methods.find((method) => method.method === code)?.fee ?? checkout.fee;
    const fixed = Object.entries(fee.fixed).map(([currency, amount]) => `${amount} ${currency}`);
    return [`${fee.percent} %`, ...fixed].join(' + ');
  };
  const methodRows = offered.map((method) => {
    const base = `methods.${method.code}`;
    return html`<fieldset class="method card" id="${inputId(base)}">
<legend>${method.title} <code class="muted">${method.code}</code></legend>
${checkboxField(state, { name: `${base}.enabled`, label: t.t('cabinet.methods.enabled') })}
<p class="muted">${t.t('cabinet.methods.commission', { fee: commission(method.code) })}</p>
${textField(state, {
  name: `${base}.position`,
  label: t.t('cabinet.methods.position'),
  type: 'number',
  inputmode: 'numeric',
  narrow: true,
})}
${checkboxGroup(state, {
  name: `${base}.currencies`,
  legend: t.t('cabinet.methods.currencies'),
  choices: checkout.currencies,
  hint: t.t('cabinet.methods.currenciesHint'),
  compact: true,
})}
<div class="amount-grid">${checkout.currencies.map(
      (currency) =>
        html`${textField(state, {
          name: `${base}.min_amount.${currency}`,
          label: t.t('cabinet.methods.minAmount', { currency }),
          inputmode: 'decimal',
        })}${textField(state, {
          name: `${base}.max_amount.${currency}`,
          label: t.t('cabinet.methods.maxAmount', { currency }),
          inputmode: 'decimal',
        })}`,
    )}</div>
</fieldset>`;
  });
  return html`<div class="with-aside"><div>${errorSummary(state)}
${tabForm(
  state,
  checkout,
  'payments',
  html`${feePayerFields(state)}
${
  checkout.sci
    ? textField(state, {
        name: 'sci.lifetime',
        label: t.t('cabinet.fields.lifetime'),
        type: 'number',
        inputmode: 'numeric',
        hint: t.t('cabinet.fields.lifetimeHint', { min: sciLifetimeBounds.min, max: sciLifetimeBounds.max }),
      })
    : html`<p class="hint" id="lifetime-off">${t.t('cabinet.fields.lifetimeOff')}</p>`
}
${selectField(state, {
  name: 'late_success',
  label: t.t('cabinet.fields.lateSuccess'),
  choices: [
    ['hold', t.t('cabinet.lateSuccess.hold')],
    ['refund', t.t('cabinet.lateSuccess.refund')],
  ],
  hint: t.t('cabinet.fields.lateSuccessHint'),
})}
<h2>${t.t('cabinet.methods.title')}</h2>
<p class="hint">${t.t(checkout.methods_configured ? 'cabinet.methods.hint' : 'cabinet.methods.hintAll')}</p>
${offered.length === 0 ? html`<p class="alert">${t.t('cabinet.methods.noneOffered')}</p>` : methodRows}`,
)}
</div><aside>${preview}</aside></div>`;
}

export function interfaceTab(state: FormState, checkout: CheckoutResource): SafeHtml {
  const { t } = state;
  const methods = [
    ['POST', 'POST'],
    ['GET', 'GET'],
  ] as const;
  return html`${errorSummary(state)}
${tabForm(
  state,
  checkout,
  'interface',
  html`<h2>${t.t('cabinet.interface.urls')}</h2>
${urlFields(state)}
<h2>${t.t('cabinet.interface.sci')}</h2>
<p class="hint">${t.t('cabinet.interface.sciHint')}</p>
${checkboxField(state, { name: 'sci.enabled', label: t.t('cabinet.interface.sciEnabled') })}
${checkout.sci ? html`<p>${t.t('cabinet.interface.checkoutRef')} <code id="sci-checkout-ref">${checkout.sci.checkout_ref}</code></p>` : ''}
${textField(state, {
  name: 'sci.interaction_url',
  label: t.t('cabinet.interface.interactionUrl'),
  type: 'url',
  hint: t.t('cabinet.interface.interactionUrlHint'),
})}
${selectField(state, { name: 'sci.interaction_method', label: t.t('cabinet.interface.interactionMethod'), choices: methods })}
${checkboxField(state, {
  name: 'sci.url_override',
  label: t.t('cabinet.interface.urlOverride'),
  hint: t.t('cabinet.interface.urlOverrideHint'),
})}
${checkboxField(state, {
  name: 'sci.unique_order',
  label: t.t('cabinet.interface.uniqueOrder'),
  hint: t.t('cabinet.interface.uniqueOrderHint'),
})}`,
)}`;
}

export function securityTab(state: FormState, checkout: CheckoutResource): SafeHtml {
  const { t, session } = state;
  const rotateSecret = html`<section class="card" aria-labelledby="webhook-secret-title">
<h2 id="webhook-secret-title">${t.t('cabinet.security.webhookSecret')}</h2>
<p>${t.t('cabinet.security.webhookSecretHint')}</p>
${
  checkout.previous_secret_expires_at
    ? html`<p class="alert" id="previous-secret">${t.t('cabinet.security.previousSecret', {
        until: t.dateTime(new Date(checkout.previous_secret_expires_at)),
      })}</p>`
    : ''
}
<form method="post" action="${checkoutPath(checkout.id, 'security')}/rotate-secret">${csrfField(session)}
<button type="submit" class="secondary" id="rotate-secret">${t.t('cabinet.security.rotateSecret')}</button></form>
</section>`;
  const sciFields = html`<h2>${t.t('cabinet.security.sci')}</h2>
${
  checkout.sci
    ? html`<dl class="facts">
<dt>${t.t('cabinet.secrets.sciSecretKey')}</dt><dd><code id="sci-secret-masked">${checkout.sci.secret_key}</code></dd>
<dt>${t.t('cabinet.secrets.sciTestKey')}</dt><dd><code>${checkout.sci.test_key}</code></dd>
</dl>`
    : html`<p class="hint">${t.t('cabinet.security.sciOff')}</p>
${checkboxField(state, { name: 'sci.enable', label: t.t('cabinet.security.sciEnable') })}`
}
${selectField(state, {
  name: 'sci.sign_algorithm',
  label: t.t('cabinet.security.signAlgorithm'),
  choices: [
    ['md5', 'MD5'],
    ['sha256', 'SHA-256'],
  ],
  hint: t.t('cabinet.security.signAlgorithmHint'),
})}
${checkboxField(state, {
  name: 'sci.sign_required',
  label: t.t('cabinet.security.signRequired'),
  hint: t.t('cabinet.security.signRequiredHint'),
})}`;
  const rotateKeys = checkout.sci
    ? html`<section class="card" aria-labelledby="sci-keys-title">
<h2 id="sci-keys-title">${t.t('cabinet.security.sciKeys')}</h2>
<p>${t.t('cabinet.security.sciKeysHint')}</p>
<form method="post" action="${checkoutPath(checkout.id, 'security')}/rotate-sci-keys">${csrfField(session)}
<button type="submit" class="secondary" id="rotate-sci-keys">${t.t('cabinet.security.rotateSciKeys')}</button></form>
</section>`
    : '';
  return html`${errorSummary(state)}
${rotateSecret}
${tabForm(state, checkout, 'security', sciFields)}
${rotateKeys}`;
}

export function verificationTab(state: FormState, checkout: CheckoutResource): SafeHtml {
  const { t, session } = state;
  const verification = checkout.verification;
  const result =
    verification.status === 'verified'
      ? html`<p class="alert ok" id="verification-result">${t.t('cabinet.verification.verified', {
          at: verification.verified_at ? t.dateTime(new Date(verification.verified_at)) : '',
        })}</p>`
      : verification.status === 'pending'
        ? html`<p class="alert" id="verification-result">${t.t('cabinet.verification.pending')}${
            verification.last_error ? html` <span class="detail">(${verification.last_error})</span>` : ''
          }</p>`
        : verification.status === 'failed'
          ? html`<p class="alert error" id="verification-result">${t.t('cabinet.verification.failed')}${
              verification.last_error ? html` <span class="detail">(${verification.last_error})</span>` : ''
            }</p>`
          : html`<p class="alert" id="verification-result">${t.t('cabinet.verification.unverified')}</p>`;
  return html`${errorSummary(state)}
${result}
<section class="card" aria-labelledby="verification-how">
<h2 id="verification-how">${t.t('cabinet.verification.how')}</h2>
<ol class="steps">
<li>${t.t('cabinet.verification.step1')}<br><code id="verification-token">${verification.token}</code></li>
<li>${t.t('cabinet.verification.step2')}<br><a href="${verification.file_url}" id="verification-file-url" rel="noopener noreferrer">${verification.file_url}</a></li>
<li>${t.t('cabinet.verification.step3')}</li>
</ol>
<p class="hint">${t.t(checkout.test_mode ? 'cabinet.verification.testHint' : 'cabinet.verification.liveHint')}</p>
${
  verification.status === 'verified'
    ? ''
    : html`<form method="post" action="${checkoutPath(checkout.id, 'verification')}">${csrfField(session)}
<button type="submit" id="verify-now">${t.t('cabinet.verification.verifyNow')}</button></form>`
}
</section>`;
}
