/**
 * Interkassa's SCI form, taken as Interkassa takes it (docs/interkassa.md): a shop built for
 * Interkassa posts the same `ik_*` fields to Kassa and gets a payment made by the same service as
 * `POST /v1/payments`. Anything wrong is an {@link SciRefusal} naming the field, before any payment
 * is made.
 */
import { findCheckoutById, findCheckoutBySciRef, sciKeysFor } from '../db/checkouts';
import { findPaymentByOrder, listOrderRepeats } from '../db/payments';
import type { Checkout } from '../domain/checkout';
import { DomainError } from '../domain/errors';
import type { MethodQuote } from '../domain/fees';
import { findCardNumber, maskCardNumbers } from '../domain/card-numbers';
import { isId } from '../domain/ids';
import {
  type PaymentSci,
  type SciHttpMethod,
  sciLifetimeBounds,
  type SciSettings,
  type SciTarget,
  sciTestPayway,
} from '../domain/interkassa';
import { isSupportedCurrency, MoneyFormatError, parseAmount } from '../domain/money';
import { openStatuses, type StoredPayment } from '../domain/payment';
import { type SciFields, sciSignatureValid } from '../domain/sci-signature';
import { checkMerchantUrls, visibleMethods } from './checkouts';
import type { ServiceDeps } from './deps';
import { createPayment, selectMethod } from './payments';

/** Why a form is refused; each has its `resultCode` (docs/interkassa.md). */
export const sciRefusalCodes = {
  field_missing: '1',
  field_invalid: '2',
  sign_missing: '3',
  sign_invalid: '4',
  checkout_unknown: '5',
  sci_disabled: '6',
  currency_unsupported: '7',
  amount_invalid: '8',
  order_exists: '9',
  method_unavailable: '10',
  checkout_not_verified: '11',
  body_invalid: '12',
} as const;
export type SciRefusalReason = keyof typeof sciRefusalCodes;

/**
 * A refused form, a domain error like any other invalid request: `field` is the `ik_*` field at
 * fault, `detail` says what is wrong with it, in English; the SCI route answers it in Interkassa's shape.
 */
export class SciRefusal extends DomainError {
  constructor(
    readonly reason: SciRefusalReason,
    readonly field: string,
    readonly detail: string,
  ) {
    super('invalid', `sci_${reason}`, `${field}: ${detail}`, field);
    this.name = 'SciRefusal';
  }
}

const refuse = (reason: SciRefusalReason, field: string, detail: string) => new SciRefusal(reason, field, detail);

export type SciAction = 'process' | 'payways' | 'payway';

/** What a form asked for and got. */
export type SciOutcome =
  | {
      action: 'process';
      payment: StoredPayment;
      /** The buyer's next page: the provider's when the method was chosen in advance, else the payment page. */
      next: string;
      /** Whether the payment was made by this form, or an earlier one's is continued. */
      created: boolean;
    }
  | { action: 'payways' | 'payway'; checkout: Checkout; currency: string; amountMinor: bigint; quotes: MethodQuote[] };

const maxPaymentNo = 120;
const maxDescription = 500;
const maxExtraFields = 50;
const maxExtraValue = 1000;

/** A checkout that takes SCI forms. */
type SciCheckout = Checkout & { sci: SciSettings };

/** What the shop sent, shortened for a message. */
const quoted = (value: string) => (value.length > 64 ? `${value.slice(0, 64)}…` : value);

/** A field's string value, or undefined; a nested array where a plain value belongs is refused. */
function text(fields: SciFields, name: string): string | undefined {
  const value = fields[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw refuse('field_invalid', name, `${name} must be a single value, not an array`);
  return value;
}

function required(fields: SciFields, name: string): string {
  const value = text(fields, name);
  if (value === undefined || value.trim() === '') throw refuse('field_missing', name, `${name} is required`);
  return value;
}

/** `ik_act`: `process` unless the form asks otherwise; `payways_calc` is `payways`. */
export function sciAction(fields: SciFields): SciAction {
  const action = text(fields, 'ik_act') || 'process';
  if (action === 'payways_calc') return 'payways';
  if (action !== 'process' && action !== 'payways' && action !== 'payway') {
    throw refuse('field_invalid', 'ik_act', 'ik_act must be process, payways, payways_calc or payway');
  }
  return action;
}

/** `ik_int=json` asks for JSON; anything else is the web interface. */
export const sciWantsJson = (fields: SciFields) => fields.ik_int === 'json';

/** `ik_loc` as a two-letter language (`ru`, `en`, `uk`…), or null. */
export function sciLocale(fields: SciFields): string | null {
  const value = fields.ik_loc;
  if (typeof value !== 'string') return null;
  const match = /^([a-z]{2})(?:[_-][a-z]{2})?$/i.exec(value.trim());
  return match ? match[1]!.toLowerCase() : null;
}

/** The checkout `ik_co_id` names: its SCI checkout ref, or its `co_…` id. */
async function sciCheckout(deps: ServiceDeps, fields: SciFields): Promise<SciCheckout> {
  const coId = required(fields, 'ik_co_id');
  const checkout = /^[0-9a-f]{24}$/.test(coId)
    ? await findCheckoutBySciRef(deps.db, coId)
    : isId('co', coId)
      ? await findCheckoutById(deps.db, coId)
      : null;
  if (!checkout) throw refuse('checkout_unknown', 'ik_co_id', `no checkout ${quoted(coId)}`);
  if (!checkout.sci?.enabled)
    throw refuse('sci_disabled', 'ik_co_id', `checkout ${quoted(coId)} does not take SCI payments`);
  return checkout as SciCheckout;
}

/**
 * `ik_sign` over exactly the fields sent, with the checkout's secret key and algorithm. A form for
 * the test payway on a test-mode checkout may be signed with the test key instead, as some CMS
 * modules sign it in their test mode.
 */
async function checkSignature(deps: ServiceDeps, checkout: SciCheckout, fields: SciFields) {
  const given = fields.ik_sign;
  if (given === undefined || given === '') {
    if (checkout.sci.signRequired) throw refuse('sign_missing', 'ik_sign', 'ik_sign is required by this checkout');
    return;
  }
  const keys = await sciKeysFor(deps.db, checkout.id);
  const algorithm = checkout.sci.signAlgorithm;
  const valid =
    keys !== null &&
    (sciSignatureValid(fields, keys.secretKey, algorithm) ||
      (checkout.testMode && fields.ik_pw_via === sciTestPayway && sciSignatureValid(fields, keys.testKey, algorithm)));
  if (!valid) throw refuse('sign_invalid', 'ik_sign', `ik_sign does not match the fields sent (${algorithm})`);
}

function currencyOf(checkout: Checkout, fields: SciFields): string {
  const given = text(fields, 'ik_cur');
  if (given === undefined || given === '') {
    if (checkout.currencies.length === 1) return checkout.currencies[0]!;
    throw refuse(
      'field_missing',
      'ik_cur',
      `ik_cur is required: the checkout accepts ${checkout.currencies.join(', ')}`,
    );
  }
  const currency = given.trim().toUpperCase();
  if (!isSupportedCurrency(currency) || !checkout.currencies.includes(currency)) {
    throw refuse(
      'currency_unsupported',
      'ik_cur',
      `ik_cur ${quoted(given)} is not accepted; the checkout accepts ${checkout.currencies.join(', ')}`,
    );
  }
  return currency;
}

/** `ik_am` exactly as sent (`50`, `50.5`, `50.00`), in minor units of `currency`. */
function amountOf(fields: SciFields, currency: string): { sent: string; decimal: string; minor: bigint } {
  const sent = required(fields, 'ik_am');
  // Interkassa takes `50,5`, `50.`, `.5` and leading zeros too: read them as the decimal they mean.
  const match = /^(\d{0,18})(?:[.,](\d*))?$/.exec(sent.trim());
  if (!match || !/[1-9]/.test(sent)) {
    throw refuse('amount_invalid', 'ik_am', 'ik_am must be an amount above zero such as 50, 50.5 or 50.00');
  }
  const whole = match[1]!.replace(/^0+(?=\d)/, '') || '0';
  const decimal = match[2] ? `${whole}.${match[2]}` : whole;
  let minor: bigint;
  try {
    minor = parseAmount(decimal, currency);
  } catch (error) {
    if (error instanceof MoneyFormatError) throw refuse('amount_invalid', 'ik_am', `ik_am ${error.message}`);
    throw error;
  }
  if (minor <= 0n) throw refuse('amount_invalid', 'ik_am', 'ik_am must be above zero');
  return { sent, decimal, minor };
}

/**
 * `ik_am_t=payway` (the amount is what the buyer pays) means the same as `invoice` when the merchant
 * bears the commission; otherwise Kassa cannot honour it.
 */
function checkAmountType(checkout: Checkout, fields: SciFields) {
  const type = text(fields, 'ik_am_t');
  if (!type || type === 'invoice') return;
  if (type !== 'payway') throw refuse('field_invalid', 'ik_am_t', 'ik_am_t must be invoice or payway');
  if (checkout.feePayer.type !== 'merchant') {
    throw refuse(
      'field_invalid',
      'ik_am_t',
      'ik_am_t=payway needs a checkout whose fee_payer is merchant (the buyer then pays ik_am exactly)',
    );
  }
}

/** Kassa reads forms in UTF-8 only, as Interkassa does by default. */
function checkEncoding(fields: SciFields) {
  const encoding = text(fields, 'ik_enc');
  if (encoding && !/^utf-?8$/i.test(encoding.trim())) {
    throw refuse('field_invalid', 'ik_enc', 'ik_enc must be utf-8: send the form in UTF-8');
  }
}

/** The Kassa method an Interkassa payway name stands for here, or null when there is none. */
function methodNamed(deps: ServiceDeps, checkout: Checkout, name: string): string | null {
  const offered = deps.providers.methods(checkout.testMode).map((method) => method.code);
  if (name === sciTestPayway) return checkout.testMode && offered.includes('sandbox_card') ? 'sandbox_card' : null;
  return offered.includes(name) ? name : null;
}

const nameList = (value: string) =>
  value
    .split(/[,;]/)
    .map((name) => name.trim())
    .filter(Boolean);

/** The methods on offer after `ik_pw_on`/`ik_pw_off`, and the one `ik_pw_via` chose. */
function methodsOf(deps: ServiceDeps, checkout: Checkout, fields: SciFields, quotes: MethodQuote[]) {
  let offered = quotes;
  const on = text(fields, 'ik_pw_on');
  const off = text(fields, 'ik_pw_off');
  if (on) {
    const allowed = nameList(on).map((name) => methodNamed(deps, checkout, name));
    offered = offered.filter((quote) => allowed.includes(quote.code));
    if (offered.length === 0) throw refuse('method_unavailable', 'ik_pw_on', 'ik_pw_on leaves no method on offer');
  }
  if (off) {
    const denied = nameList(off).map((name) => methodNamed(deps, checkout, name));
    offered = offered.filter((quote) => !denied.includes(quote.code));
    if (offered.length === 0) throw refuse('method_unavailable', 'ik_pw_off', 'ik_pw_off leaves no method on offer');
  }
  const via = text(fields, 'ik_pw_via') || undefined;
  if (via === sciTestPayway && !checkout.testMode) {
    throw refuse('field_invalid', 'ik_pw_via', `${sciTestPayway} is the test payway: a live checkout does not take it`);
  }
  if (offered.length === 0) throw refuse('method_unavailable', 'ik_am', 'no method is on offer for this amount');
  let chosen: MethodQuote | null = null;
  if (via) {
    const code = methodNamed(deps, checkout, via);
    chosen = offered.find((quote) => quote.code === code) ?? null;
    if (!chosen)
      throw refuse('method_unavailable', 'ik_pw_via', `ik_pw_via ${quoted(via)} is not on offer for this payment`);
  }
  return { offered, chosen, restricted: Boolean(on || off), via: via ?? null };
}

/**
 * Seconds from now to `ik_exp`: a date (`2026-12-31`, its end), a date and time
 * (`2026-12-31 20:50:33`, UTC unless it names its offset), or a unix time.
 */
function secondsUntil(value: string, now: number): number | null {
  const trimmed = value.trim();
  // a whole number too small to be a unix time is a lifetime in seconds, as some shops send it
  if (/^\d{1,8}$/.test(trimmed)) return Number(trimmed);
  let at: number;
  if (/^\d{9,11}$/.test(trimmed)) at = Number(trimmed) * 1000;
  else {
    const match = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?)(Z|[+-]\d{2}:?\d{2})?)?$/.exec(trimmed);
    if (!match) return null;
    at = Date.parse(`${match[1]}T${match[2] ?? '23:59:59'}${match[3] ?? 'Z'}`);
    if (Number.isNaN(at)) return null;
  }
  return Math.floor((at - now) / 1000);
}

/** How long the payment lives: `ik_exp`, else `ik_ltm`, else the checkout's SCI lifetime. */
function expiresInOf(deps: ServiceDeps, checkout: SciCheckout, fields: SciFields) {
  const min = Math.max(deps.config.minExpiresInSeconds, 1);
  const max = sciLifetimeBounds.max;
  const exp = text(fields, 'ik_exp');
  if (exp) {
    const seconds = secondsUntil(exp, Date.now());
    if (seconds === null) {
      throw refuse(
        'field_invalid',
        'ik_exp',
        'ik_exp must be a date and time (2026-12-31 23:59:59, UTC) or a unix time',
      );
    }
    if (seconds < min) throw refuse('field_invalid', 'ik_exp', `ik_exp must be at least ${min} seconds from now`);
    if (seconds > max)
      throw refuse('field_invalid', 'ik_exp', `ik_exp must be at most ${max} seconds (30 days) from now`);
    return seconds;
  }
  const ltm = text(fields, 'ik_ltm');
  if (ltm) {
    if (!/^\d{1,10}$/.test(ltm.trim())) throw refuse('field_invalid', 'ik_ltm', 'ik_ltm must be whole seconds');
    const seconds = Number(ltm.trim());
    if (seconds < min || seconds > max) {
      throw refuse('field_invalid', 'ik_ltm', `ik_ltm must be from ${min} to ${max} seconds`);
    }
    return seconds;
  }
  return Math.max(checkout.sci.lifetime, min);
}

function extraOf(fields: SciFields): Record<string, string> {
  const extra: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (!name.startsWith('ik_x_')) continue;
    if (typeof value !== 'string') throw refuse('field_invalid', name, `${name} must be a single value, not an array`);
    if ([...value].length > maxExtraValue) {
      throw refuse('field_invalid', name, `${name} must be at most ${maxExtraValue} characters`);
    }
    extra[name] = value;
  }
  if (Object.keys(extra).length > maxExtraFields) {
    throw refuse('field_invalid', 'ik_x_', `at most ${maxExtraFields} ik_x_* fields`);
  }
  return extra;
}

const urlFields = {
  success: ['ik_suc_u', 'ik_suc_m'],
  fail: ['ik_fal_u', 'ik_fal_m'],
  pending: ['ik_pnd_u', 'ik_pnd_m'],
  interaction: ['ik_ia_u', 'ik_ia_m'],
} as const;

/** Whether `url` is on the checkout's site: its host or a subdomain of it. */
function onSite(checkout: Checkout, url: string): boolean {
  const site = new URL(checkout.siteUrl).hostname.toLowerCase().replace(/^www\./, '');
  const host = new URL(url).hostname.toLowerCase();
  return host === site || host.endsWith(`.${site}`);
}

/**
 * The form's own URLs, kept only when the checkout allows `url_override`: each checked as a merchant
 * URL, the buyer's pages on the checkout's site (a return page never sends the buyer elsewhere).
 */
function urlsOf(deps: ServiceDeps, checkout: SciCheckout, fields: SciFields) {
  const urls: PaymentSci['urls'] = {};
  if (!checkout.sci.urlOverride) return urls;
  for (const [kind, [urlField, methodField]] of Object.entries(urlFields) as [
    keyof typeof urlFields,
    readonly [string, string],
  ][]) {
    const url = text(fields, urlField);
    if (!url) continue;
    try {
      checkMerchantUrls(deps, { [urlField]: url });
    } catch (error) {
      if (error instanceof DomainError) throw refuse('field_invalid', urlField, error.message);
      throw error;
    }
    if (kind !== 'interaction' && !onSite(checkout, url)) {
      throw refuse('field_invalid', urlField, `${urlField} must be on the checkout's site (${checkout.siteUrl})`);
    }
    const given = (text(fields, methodField) ?? '').trim().toUpperCase();
    const fallback: SciHttpMethod = kind === 'interaction' ? checkout.sci.interactionMethod : 'GET';
    if (given !== '' && given !== 'GET' && given !== 'POST') {
      throw refuse('field_invalid', methodField, `${methodField} must be GET or POST`);
    }
    const target: SciTarget = { url, method: (given || fallback) as SciHttpMethod };
    urls[kind] = target;
  }
  return urls;
}

/** A card-like number is masked in `ik_desc`, the text a person reads, and refused in every other field Kassa keeps. */
function refuseCardData(fields: SciFields) {
  for (const [name, value] of Object.entries(fields)) {
    if (['ik_desc', 'ik_sign', 'ik_co_id', 'ik_am'].includes(name) || typeof value !== 'string') continue;
    if (findCardNumber(value)) {
      throw refuse('field_invalid', name, `${name} looks like a payment card number; Kassa never stores card data`);
    }
  }
}

const emailLike = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The REST fields a payment service error may name, as the form names them. */
const formFieldOf: Record<string, string> = {
  checkout_id: 'ik_co_id',
  order_id: 'ik_pm_no',
  amount: 'ik_am',
  currency: 'ik_cur',
  description: 'ik_desc',
  method: 'ik_pw_via',
};

function refusalOf(error: unknown): never {
  if (error instanceof DomainError && error.kind !== 'unavailable') {
    const field = formFieldOf[error.param ?? ''] ?? 'ik_co_id';
    const reason: SciRefusalReason =
      error.code === 'checkout_not_verified'
        ? 'checkout_not_verified'
        : error.code === 'order_exists'
          ? 'order_exists'
          : field === 'ik_pw_via'
            ? 'method_unavailable'
            : 'field_invalid';
    throw refuse(reason, field, error.message);
  }
  throw error;
}

/** The order id a new payment for `paymentNo` takes: itself, or its next free `~N` repeat. */
async function freeOrderId(deps: ServiceDeps, checkoutId: string, paymentNo: string): Promise<string> {
  const taken = new Set(await listOrderRepeats(deps.db, checkoutId, paymentNo));
  if (!taken.has(paymentNo)) return paymentNo;
  for (let repeat = 2; ; repeat += 1) if (!taken.has(`${paymentNo}~${repeat}`)) return `${paymentNo}~${repeat}`;
}

/**
 * The buyer's next page for a payment: the provider's, when its method was chosen in advance and
 * the purchase has one that a link reaches; Kassa's payment page otherwise (it also posts the form
 * of a provider that takes the buyer by POST).
 */
async function nextPage(deps: ServiceDeps, payment: StoredPayment): Promise<string> {
  const paymentPage = `${deps.config.publicUrl}/pay/${payment.id}`;
  if (!payment.method || !openStatuses.includes(payment.status)) return paymentPage;
  if (payment.status === 'awaiting_payment' && payment.redirectUrl)
    return payment.redirectForm ? paymentPage : payment.redirectUrl;
  try {
    const next = await selectMethod(deps, payment.id, payment.method);
    return next.redirect?.method === 'POST' ? paymentPage : next.redirectUrl || paymentPage;
  } catch {
    return paymentPage;
  }
}

/**
 * Takes an SCI form: the checkout it names, its signature, then what it asks for. `process` makes
 * the payment (or continues the open one of the same order and amount); `payways` and `payway`
 * answer the methods on offer and their prices.
 */
export async function takeSciForm(deps: ServiceDeps, fields: SciFields): Promise<SciOutcome> {
  const checkout = await sciCheckout(deps, fields);
  await checkSignature(deps, checkout, fields);
  if (!checkout.testMode && checkout.verification.status !== 'verified') {
    throw refuse(
      'checkout_not_verified',
      'ik_co_id',
      `checkout ${checkout.id} takes live payments once its site is verified`,
    );
  }
  const action = sciAction(fields);
  checkEncoding(fields);
  checkAmountType(checkout, fields);
  const currency = currencyOf(checkout, fields);
  const amount = amountOf(fields, currency);
  const quotes = visibleMethods(deps, checkout, amount.minor, currency);
  const methods = methodsOf(deps, checkout, fields, quotes);
  if (action === 'payways') {
    return { action, checkout, currency, amountMinor: amount.minor, quotes: methods.offered };
  }
  if (action === 'payway') {
    if (!methods.chosen) throw refuse('field_missing', 'ik_pw_via', 'ik_pw_via is required for ik_act=payway');
    return { action, checkout, currency, amountMinor: amount.minor, quotes: [methods.chosen] };
  }

  const paymentNo = required(fields, 'ik_pm_no');
  if ([...paymentNo].length > maxPaymentNo) {
    throw refuse('field_invalid', 'ik_pm_no', `ik_pm_no must be at most ${maxPaymentNo} characters`);
  }
  refuseCardData(fields);
  const description = maskCardNumbers(required(fields, 'ik_desc').trim());
  if ([...description].length > maxDescription) {
    throw refuse('field_invalid', 'ik_desc', `ik_desc must be at most ${maxDescription} characters`);
  }
  const expiresIn = expiresInOf(deps, checkout, fields);
  const payerContact = text(fields, 'ik_cli')?.trim() || null;
  if (payerContact && [...payerContact].length > 320) {
    throw refuse('field_invalid', 'ik_cli', 'ik_cli must be at most 320 characters');
  }
  const sci: PaymentSci = {
    coId: text(fields, 'ik_co_id')!,
    amount: amount.sent,
    paymentNo,
    payway: methods.via,
    methods: methods.restricted ? methods.offered.map((quote) => quote.code) : null,
    payerContact,
    extra: extraOf(fields),
    urls: urlsOf(deps, checkout, fields),
  };

  const earlier = await findPaymentByOrder(deps.db, checkout.id, paymentNo);
  if (earlier) {
    const continues =
      openStatuses.includes(earlier.status) && earlier.currency === currency && earlier.amountMinor === amount.minor;
    if (continues) {
      return { action, payment: earlier, next: await nextPage(deps, earlier), created: false };
    }
    if (checkout.sci.uniqueOrder) {
      throw refuse(
        'order_exists',
        'ik_pm_no',
        openStatuses.includes(earlier.status)
          ? `ik_pm_no ${quoted(paymentNo)} already has an open payment of another amount or currency`
          : `ik_pm_no ${quoted(paymentNo)} already has a payment (${earlier.status}); this checkout takes each order once`,
      );
    }
  }
  const orderId = checkout.sci.uniqueOrder ? paymentNo : await freeOrderId(deps, checkout.id, paymentNo);
  let payment: StoredPayment;
  try {
    payment = await createPayment(
      deps,
      { merchantId: checkout.merchantId, testMode: checkout.testMode, keyId: 'sci' },
      {
        checkoutId: checkout.id,
        orderId,
        amount: amount.decimal,
        currency,
        description,
        method: methods.chosen?.code ?? null,
        expiresIn,
        buyerEmail: payerContact && emailLike.test(payerContact) ? payerContact : null,
        sci,
        locale: sciLocale(fields),
      },
    );
  } catch (error) {
    refusalOf(error);
  }
  return { action, payment, next: await nextPage(deps, payment), created: true };
}
