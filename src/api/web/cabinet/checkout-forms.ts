/**
 * The checkout screens' forms: what a merchant typed, read into the same settings the API takes
 * (checked by the API's own schemas), and every refusal (the schema's or the service's) placed
 * next to the input it concerns, in the merchant's language.
 */
import type { z } from 'zod';
import type { Translator } from '../../../i18n';
import { DomainError } from '../../../domain/errors';
import { sciDefaults } from '../../../domain/interkassa';
import type { CheckoutSettingsInput, OpenCheckoutInput } from '../../../services/checkouts';
import type { CheckoutResource } from '../../../resources/checkout';
import { checkoutSettings } from '../../merchant/checkout-input';
import { createCheckoutBody, updateCheckoutBody } from '../../schemas';

/** A submitted (or prefilled) form: input name → value, or values for repeated names. */
export type FormValues = Record<string, string | string[] | undefined>;

/** Why an input was refused: a sentence in the merchant's language, and the service's own words. */
export interface FieldError {
  message: string;
  detail?: string;
}

/** Input name → its error; `''` names the form as a whole. */
export type FieldErrors = Record<string, FieldError>;

/** The last value given for `name`, or ''. */
export function valueOf(values: FormValues, name: string): string {
  const value = values[name];
  if (Array.isArray(value)) return value[value.length - 1] ?? '';
  return value ?? '';
}

/** Every value given for `name`. */
export function valuesOf(values: FormValues, name: string): string[] {
  const value = values[name];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Whether a checkbox `name` was ticked. */
export const isTicked = (values: FormValues, name: string) => ['on', 'true', '1'].includes(valueOf(values, name));

/** The form body express parsed, as form values (anything that is not text is left out). */
export function formValuesOf(body: unknown): FormValues {
  const values: FormValues = {};
  if (!body || typeof body !== 'object') return values;
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    if (typeof value === 'string') values[name] = value;
    else if (Array.isArray(value)) values[name] = value.filter((item): item is string => typeof item === 'string');
  }
  return values;
}

const urlInputs = new Set(['site_url', 'notify_url', 'success_url', 'fail_url', 'pending_url', 'sci.interaction_url']);

/** The sentence for a refused input, from the kind of input it is. */
function messageFor(t: Translator, input: string): string {
  if (input === 'name') return t.t('cabinet.errors.name');
  if (input === 'type') return t.t('cabinet.errors.type');
  if (urlInputs.has(input)) return t.t('cabinet.errors.url');
  if (input === 'currencies' || /^methods\.[^.]+\.currencies$/.test(input)) return t.t('cabinet.errors.currencies');
  if (input === 'currency') return t.t('cabinet.errors.currency');
  if (input === 'buyer_percent') return t.t('cabinet.errors.percent');
  if (input === 'fee_payer') return t.t('cabinet.errors.feePayer');
  if (input === 'sci.lifetime') return t.t('cabinet.errors.lifetime');
  if (input === 'amount' || /_amount\./.test(input)) return t.t('cabinet.errors.amount');
  if (input === 'branding.logo_url') return t.t('cabinet.errors.logoUrl');
  if (input === 'branding.color') return t.t('cabinet.errors.color');
  return t.t('cabinet.errors.invalid');
}

/**
 * The input an API parameter path stands for: list positions of currencies and of a method's
 * currencies fold into the list's input, and `methods.<index>` becomes `methods.<code>`.
 */
export function inputForParam(param: string, methodCodes: readonly string[] = []): string {
  let input = param.replace(/^fee_payer\..*$/, 'buyer_percent');
  input = input.replace(/^methods\.(\d+)(?=\.|$)/, (whole, index: string) => {
    const code = methodCodes[Number(index)];
    return code ? `methods.${code}` : whole;
  });
  input = input.replace(/^(currencies|methods\.[^.]+\.currencies)\.\d+$/, '$1');
  return input;
}

function addError(errors: FieldErrors, t: Translator, input: string, detail: string | undefined) {
  if (errors[input]) return;
  errors[input] = { message: input === '' ? t.t('cabinet.errors.form') : messageFor(t, input), detail };
}

function zodErrors(t: Translator, error: z.ZodError, values: FormValues, methodCodes: readonly string[]): FieldErrors {
  const errors: FieldErrors = {};
  // a shared commission refused as a whole is its buyer's share refused
  const split = valueOf(values, 'fee_payer') === 'split';
  for (const issue of error.issues) {
    const param = issue.path.map(String).join('.');
    addError(
      errors,
      t,
      split && param === 'fee_payer' ? 'buyer_percent' : inputForParam(param, methodCodes),
      issue.message,
    );
  }
  return errors;
}

/** A service's refusal as field errors; null when it is not a refusal of what was typed. */
export function domainErrors(t: Translator, error: unknown, methodCodes: readonly string[] = []): FieldErrors | null {
  if (!(error instanceof DomainError)) return null;
  if (error.kind !== 'invalid' && error.kind !== 'conflict' && error.kind !== 'unprocessable') return null;
  const errors: FieldErrors = {};
  addError(
    errors,
    t,
    error.param && error.kind === 'invalid' ? inputForParam(error.param, methodCodes) : '',
    error.message,
  );
  return errors;
}

/** What reading a form gave: the settings for the service, or the errors to show. */
export type FormReading<Input> = { ok: true; input: Input; methodCodes: string[] } | { ok: false; errors: FieldErrors };

const trimmed = (values: FormValues, name: string) => valueOf(values, name).trim();
const optionalUrl = (values: FormValues, name: string) => trimmed(values, name) || undefined;

/** A whole number as typed, or the text itself so that the schema refuses it by name. */
const wholeNumber = (text: string): number | string => (/^-?\d{1,12}$/.test(text) ? Number(text) : text);

function feePayerOf(values: FormValues): unknown {
  const payer = valueOf(values, 'fee_payer');
  if (payer === 'split') return { type: 'split', buyer_percent: wholeNumber(trimmed(values, 'buyer_percent')) };
  return payer;
}

/**
 * The "new checkout" form: where the shop sells (a website unless chosen otherwise), name, site,
 * currencies and who pays the commission are asked for;
 * the notification and return addresses may be left empty and then are the site's address until
 * the Interface tab sets them.
 */
export function readNewCheckout(t: Translator, values: FormValues): FormReading<OpenCheckoutInput> {
  const site = trimmed(values, 'site_url');
  const body = {
    type: valueOf(values, 'type') || undefined,
    name: valueOf(values, 'name'),
    site_url: site,
    currencies: valuesOf(values, 'currencies'),
    notify_url: optionalUrl(values, 'notify_url') ?? site,
    success_url: optionalUrl(values, 'success_url') ?? site,
    fail_url: optionalUrl(values, 'fail_url') ?? site,
    pending_url: optionalUrl(values, 'pending_url') ?? site,
    fee_payer: feePayerOf(values),
    locale: valueOf(values, 'locale') || undefined,
  };
  const parsed = createCheckoutBody.safeParse(body);
  if (!parsed.success) {
    const errors = zodErrors(t, parsed.error, values, []);
    // a bad site is named once, at the site, not again at each address it stands in for
    for (const input of ['notify_url', 'success_url', 'fail_url', 'pending_url'])
      if (!optionalUrl(values, input)) delete errors[input];
    return { ok: false, errors };
  }
  return { ok: true, input: checkoutSettings(parsed.data), methodCodes: [] };
}

/** The checkout's tabs that save settings. */
export type SettingsTab = 'general' | 'payments' | 'interface' | 'security';

function sciBlock(
  checkout: CheckoutResource,
  values: FormValues,
  tab: SettingsTab,
): Record<string, unknown> | undefined {
  if (tab === 'interface') {
    const enabled = isTicked(values, 'sci.enabled');
    if (!checkout.sci && !enabled) return undefined;
    return {
      enabled,
      url_override: isTicked(values, 'sci.url_override'),
      unique_order: isTicked(values, 'sci.unique_order'),
      interaction_url: optionalUrl(values, 'sci.interaction_url') ?? null,
      interaction_method: valueOf(values, 'sci.interaction_method') || sciDefaults.interactionMethod,
    };
  }
  if (tab === 'security') {
    if (!checkout.sci && !isTicked(values, 'sci.enable')) return undefined;
    return {
      ...(checkout.sci ? {} : { enabled: true }),
      sign_algorithm: valueOf(values, 'sci.sign_algorithm') || sciDefaults.signAlgorithm,
      sign_required: isTicked(values, 'sci.sign_required'),
    };
  }
  if (tab === 'payments' && checkout.sci) return { lifetime: wholeNumber(trimmed(values, 'sci.lifetime')) };
  return undefined;
}

/** The payments tab's methods, in the order their positions give (then the order offered). */
function methodsOf(checkout: CheckoutResource, offered: readonly string[], values: FormValues) {
  const chosen = offered
    .map((code, index) => ({ code, index, position: Number(trimmed(values, `methods.${code}.position`)) }))
    .filter(({ code }) => isTicked(values, `methods.${code}.enabled`))
    .sort(
      (a, b) =>
        (Number.isFinite(a.position) ? a.position : Infinity) - (Number.isFinite(b.position) ? b.position : Infinity) ||
        a.index - b.index,
    );
  const amounts = (code: string, bound: 'min_amount' | 'max_amount') =>
    Object.fromEntries(
      checkout.currencies
        .map((currency) => [currency, trimmed(values, `methods.${code}.${bound}.${currency}`)] as const)
        .filter(([, amount]) => amount !== ''),
    );
  return chosen.map(({ code }) => {
    const currencies = valuesOf(values, `methods.${code}.currencies`);
    return {
      method: code,
      currencies: currencies.length > 0 ? currencies : null,
      min_amount: amounts(code, 'min_amount'),
      max_amount: amounts(code, 'max_amount'),
    };
  });
}

/**
 * One tab's form as the settings it changes (only the fields of that tab). `offered`: the codes
 * of the methods the checkout's mode offers, for the payments tab.
 */
export function readCheckoutTab(
  t: Translator,
  tab: SettingsTab,
  checkout: CheckoutResource,
  values: FormValues,
  offered: readonly string[] = [],
): FormReading<CheckoutSettingsInput> {
  const body: Record<string, unknown> = {};
  if (tab === 'general') {
    body.type = valueOf(values, 'type');
    body.name = valueOf(values, 'name');
    body.site_url = trimmed(values, 'site_url');
    body.currencies = valuesOf(values, 'currencies');
    body.locale = valueOf(values, 'locale');
    body.branding = {
      logo_url: trimmed(values, 'branding.logo_url') || null,
      color: trimmed(values, 'branding.color') || null,
    };
  } else if (tab === 'payments') {
    body.fee_payer = feePayerOf(values);
    body.late_success = valueOf(values, 'late_success');
    body.methods = methodsOf(checkout, offered, values);
  } else if (tab === 'interface') {
    for (const name of ['notify_url', 'success_url', 'fail_url', 'pending_url']) body[name] = trimmed(values, name);
  }
  const sci = sciBlock(checkout, values, tab);
  if (sci) body.sci = sci;
  const methodCodes = Array.isArray(body.methods) ? (body.methods as { method: string }[]).map((m) => m.method) : [];
  const parsed = updateCheckoutBody.safeParse(body);
  if (!parsed.success) return { ok: false, errors: zodErrors(t, parsed.error, values, methodCodes) };
  return { ok: true, input: checkoutSettings(parsed.data), methodCodes };
}

/** Every tab's inputs filled from the checkout as it is stored. */
export function checkoutFormValues(checkout: CheckoutResource, offered: readonly string[]): FormValues {
  const values: FormValues = {
    type: checkout.type,
    name: checkout.name,
    site_url: checkout.site_url,
    currencies: checkout.currencies,
    notify_url: checkout.notify_url,
    success_url: checkout.success_url,
    fail_url: checkout.fail_url,
    pending_url: checkout.pending_url,
    fee_payer: typeof checkout.fee_payer === 'object' ? 'split' : checkout.fee_payer,
    buyer_percent: typeof checkout.fee_payer === 'object' ? String(checkout.fee_payer.buyer_percent) : '50',
    late_success: checkout.late_success,
    locale: checkout.locale,
    'branding.logo_url': checkout.branding.logo_url ?? '',
    'branding.color': checkout.branding.color ?? '',
    'sci.enabled': checkout.sci?.enabled ? 'on' : undefined,
    'sci.url_override': (checkout.sci?.url_override ?? sciDefaults.urlOverride) ? 'on' : undefined,
    'sci.unique_order': (checkout.sci?.unique_order ?? sciDefaults.uniqueOrder) ? 'on' : undefined,
    'sci.interaction_url': checkout.sci?.interaction_url ?? '',
    'sci.interaction_method': checkout.sci?.interaction_method ?? sciDefaults.interactionMethod,
    'sci.sign_algorithm': checkout.sci?.sign_algorithm ?? sciDefaults.signAlgorithm,
    'sci.sign_required': (checkout.sci?.sign_required ?? sciDefaults.signRequired) ? 'on' : undefined,
    'sci.lifetime': String(checkout.sci?.lifetime ?? sciDefaults.lifetime),
  };
  const enabled = checkout.methods.map((method) => method.method);
  for (const code of offered) {
    const method = checkout.methods.find((candidate) => candidate.method === code);
    values[`methods.${code}.enabled`] = method ? 'on' : undefined;
    values[`methods.${code}.position`] = method ? String(enabled.indexOf(code) + 1) : '';
    values[`methods.${code}.currencies`] = method?.currencies ?? [];
    for (const currency of checkout.currencies) {
      values[`methods.${code}.min_amount.${currency}`] = method?.min_amount[currency] ?? '';
      values[`methods.${code}.max_amount.${currency}`] = method?.max_amount[currency] ?? '';
    }
  }
  return values;
}
