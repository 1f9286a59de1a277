import { randomBytes } from 'node:crypto';
import {
  findCheckout,
  findCheckoutById,
  insertCheckout,
  listMerchantCheckouts,
  type NewSci,
  rotateSciKeys,
  rotateWebhookSecret,
  type SciKeys,
  setSciSettings,
  updateCheckout,
  updateCheckoutPricing,
} from '../db/checkouts';
import {
  type Checkout,
  type CheckoutBranding,
  type CheckoutLocale,
  type CheckoutSettings,
  type CheckoutType,
  checkoutQuotes,
} from '../domain/checkout';
import type { MerchantPrincipal } from '../domain/merchant';
import {
  basisPointsToPercent,
  type FeeSchedule,
  type MethodQuote,
  type MethodSetting,
  percentToBasisPoints,
} from '../domain/fees';
import { newId, randomToken } from '../domain/ids';
import {
  type LateSuccess,
  type SciHttpMethod,
  sciDefaults,
  sciLifetimeBounds,
  type SciSettings,
  type SciSignAlgorithm,
} from '../domain/interkassa';
import { formatAmount, MoneyFormatError, parseAmount } from '../domain/money';
import { newWebhookSecret } from '../domain/signatures';
import { notificationsKey } from '../notifications/secrets';
import { urlProblem } from '../net/address-policy';
import { DomainError, invalid, notFound } from '../domain/errors';
import { checkoutResource, checkoutWithSecretResource, withSciKeys } from '../resources/checkout';
import type { ServiceDeps } from './deps';

/** Decimal amounts per currency code, as the merchant writes them. */
export type AmountsByCurrency = Partial<Record<string, string>>;

/** One method a checkout offers, with its display conditions. */
export interface MethodSettingInput {
  method: string;
  /** Shown only for these currencies; null or left out: every currency of the checkout. */
  currencies?: string[] | null;
  minAmount?: AmountsByCurrency;
  maxAmount?: AmountsByCurrency;
}

/** Who bears the commission: `{ type: 'split', buyerPercent }` shares it. */
export type FeePayerInput = 'merchant' | 'buyer' | { type: 'split'; buyerPercent: number };

/** A checkout's settings as a merchant sets them; a field left out is left as it is. */
export interface CheckoutSettingsInput {
  /** Where the shop sells: `website` when a new checkout does not say. */
  type?: CheckoutType;
  name?: string;
  siteUrl?: string;
  currencies?: string[];
  notifyUrl?: string;
  successUrl?: string;
  failUrl?: string;
  pendingUrl?: string;
  feePayer?: FeePayerInput;
  /** Enabled methods in display order; null: every method of the mode. */
  methods?: MethodSettingInput[] | null;
  lateSuccess?: LateSuccess;
  /** Interkassa SCI compatibility: the fields given change, the others keep their value (or default). */
  sci?: SciSettingsInput;
  /** The buyer pages' look: the fields given change (null clears one), the others keep their value. */
  branding?: BrandingInput;
  /** The buyer pages' default language. */
  locale?: CheckoutLocale;
}

/** The shop's logo (an https URL) and colour (`#rrggbb`) on the buyer's pages; null: Kassa's own. */
export interface BrandingInput {
  logoUrl?: string | null;
  color?: string | null;
}

/** A checkout's SCI settings as a merchant sets them; a field left out keeps its value, or its default the first time. */
export interface SciSettingsInput {
  enabled?: boolean;
  signAlgorithm?: SciSignAlgorithm;
  signRequired?: boolean;
  urlOverride?: boolean;
  uniqueOrder?: boolean;
  /** Null: no interactions are sent. */
  interactionUrl?: string | null;
  interactionMethod?: SciHttpMethod;
  lifetime?: number;
}

/** A new checkout: every setting but its type, the methods, `late_success`, SCI, branding and language is required. */
export type OpenCheckoutInput = Required<
  Omit<CheckoutSettingsInput, 'type' | 'methods' | 'lateSuccess' | 'sci' | 'branding' | 'locale'>
> &
  Pick<CheckoutSettingsInput, 'type' | 'methods' | 'lateSuccess' | 'sci' | 'branding' | 'locale'>;

/** A commission: percent as a decimal string, plus fixed amounts per currency. */
export interface FeeScheduleInput {
  percent: string;
  fixed?: AmountsByCurrency;
}

/** The operator's commissions for a checkout; `methodFees` replaces the whole map. */
export interface CheckoutPricingInput {
  fee?: FeeScheduleInput;
  methodFees?: Record<string, FeeScheduleInput>;
}

/** How long a rotated webhook secret keeps signing beside its successor. */
export const webhookSecretGraceSeconds = 24 * 3600;

/**
 * Refuses merchant URLs Kassa must not be pointed at (docs/api.md §8): non-http(s), with
 * credentials, or naming an internal host unless the operator allows private URLs.
 */
export function checkMerchantUrls(deps: Pick<ServiceDeps, 'config'>, urls: Record<string, string | undefined>) {
  for (const [param, url] of Object.entries(urls)) {
    if (url === undefined) continue;
    const problem = urlProblem(url, { allowPrivate: deps.config.allowPrivateWebhookUrls });
    if (problem) throw invalid(param, `${param} ${problem}`);
  }
}

/** Parses a decimal amount in `currency`, or a 400 naming `param`. */
export function amountParam(value: string, currency: string, param: string): bigint {
  try {
    return parseAmount(value, currency);
  } catch (error) {
    if (error instanceof MoneyFormatError) throw invalid(param, `${param} ${error.message}`);
    throw error;
  }
}

const amountsByCurrency = (amounts: Partial<Record<string, string>> | undefined, param: string) =>
  Object.fromEntries(
    Object.entries(amounts ?? {}).map(([currency, value]) => [
      currency,
      amountParam(value!, currency, `${param}.${currency}`),
    ]),
  );

const formatByCurrency = (amounts: Record<string, bigint>) =>
  Object.fromEntries(Object.entries(amounts).map(([currency, minor]) => [currency, formatAmount(minor, currency)]));

function methodSettings(deps: Pick<ServiceDeps, 'providers'>, testMode: boolean, methods: MethodSettingInput[]) {
  const offered = deps.providers.methods(testMode).map((method) => method.code);
  const seen = new Set<string>();
  return methods.map((method, index): MethodSetting => {
    const param = `methods.${index}`;
    if (!offered.includes(method.method)) {
      throw invalid(
        `${param}.method`,
        `${method.method} is not a ${testMode ? 'test' : 'live'}-mode method; choose from: ${offered.join(', ') || 'none yet'}`,
      );
    }
    if (seen.has(method.method)) throw invalid(`${param}.method`, `${method.method} is listed twice`);
    seen.add(method.method);
    const setting: MethodSetting = {
      code: method.method,
      currencies: method.currencies ?? null,
      minAmountMinor: amountsByCurrency(method.minAmount, `${param}.min_amount`),
      maxAmountMinor: amountsByCurrency(method.maxAmount, `${param}.max_amount`),
    };
    for (const [currency, min] of Object.entries(setting.minAmountMinor)) {
      const max = setting.maxAmountMinor[currency];
      if (max !== undefined && max < min)
        throw invalid(`${param}.max_amount.${currency}`, `max_amount.${currency} is below min_amount.${currency}`);
    }
    return setting;
  });
}

/**
 * `given` over `current`: the checkout's logo and colour. The logo is loaded by the buyer's
 * browser, never by Kassa, so any https URL without credentials will do; the colour is kept in
 * lower case.
 */
export function brandingFrom(current: CheckoutBranding, given: BrandingInput): CheckoutBranding {
  const logoUrl = given.logoUrl === undefined ? current.logoUrl : given.logoUrl;
  const color = given.color === undefined ? current.color : given.color;
  if (logoUrl !== null) {
    let url: URL | null = null;
    try {
      url = new URL(logoUrl);
    } catch {
      // refused below
    }
    if (!url || url.protocol !== 'https:' || url.username || url.password || [...logoUrl].length > 2048)
      throw invalid('branding.logo_url', 'branding.logo_url must be an https URL without credentials');
  }
  if (color !== null && !/^#[0-9a-f]{6}$/i.test(color))
    throw invalid('branding.color', 'branding.color must be a colour written #rrggbb');
  return { logoUrl, color: color?.toLowerCase() ?? null };
}

const noBranding: CheckoutBranding = { logoUrl: null, color: null };

function settingsFrom(
  deps: Pick<ServiceDeps, 'providers' | 'config'>,
  testMode: boolean,
  body: CheckoutSettingsInput,
  current: CheckoutBranding = noBranding,
): Partial<CheckoutSettings> {
  checkMerchantUrls(deps, {
    site_url: body.siteUrl,
    notify_url: body.notifyUrl,
    success_url: body.successUrl,
    fail_url: body.failUrl,
    pending_url: body.pendingUrl,
  });
  const feePayer = body.feePayer;
  return {
    type: body.type,
    name: body.name,
    siteUrl: body.siteUrl,
    currencies: body.currencies && [...new Set(body.currencies)],
    notifyUrl: body.notifyUrl,
    successUrl: body.successUrl,
    failUrl: body.failUrl,
    pendingUrl: body.pendingUrl,
    feePayer:
      feePayer === undefined
        ? undefined
        : typeof feePayer === 'string'
          ? { type: feePayer }
          : { type: 'split', buyerPercent: feePayer.buyerPercent },
    methods: body.methods === undefined ? undefined : body.methods && methodSettings(deps, testMode, body.methods),
    lateSuccess: body.lateSuccess,
    branding: body.branding && brandingFrom(current, body.branding),
    locale: body.locale,
  };
}

/** `given` over `current` (or the defaults): the settings a checkout's SCI block leaves it with. */
function sciSettingsFrom(
  deps: Pick<ServiceDeps, 'config'>,
  current: SciSettings | null,
  given: SciSettingsInput,
): Omit<SciSettings, 'checkoutRef'> {
  checkMerchantUrls(deps, { 'sci.interaction_url': given.interactionUrl ?? undefined });
  const base = current ?? { ...sciDefaults, interactionUrl: null };
  const defined = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined));
  const settings = { ...base, ...defined } as Omit<SciSettings, 'checkoutRef'> & { checkoutRef?: string };
  if (settings.lifetime < sciLifetimeBounds.min || settings.lifetime > sciLifetimeBounds.max) {
    throw invalid(
      'sci.lifetime',
      `sci.lifetime must be from ${sciLifetimeBounds.min} to ${sciLifetimeBounds.max} seconds`,
    );
  }
  delete settings.checkoutRef;
  return settings;
}

/** A key the shop signs with: 32 letters and digits, as Interkassa's keys are letters and digits. */
const newSciKeys = (): SciKeys => ({ secretKey: randomToken(32), testKey: randomToken(32) });

const newSci = (settings: Omit<SciSettings, 'checkoutRef'>): NewSci => ({
  settings,
  checkoutRef: randomBytes(12).toString('hex'),
  keys: newSciKeys(),
});

const feeView = (schedule: FeeSchedule) => ({
  percent: basisPointsToPercent(schedule.basisPoints),
  fixed: formatByCurrency(schedule.fixedMinor),
});

/** The Checkout object with the methods the providers offer in its mode. */
export const checkoutAnswer = (deps: Pick<ServiceDeps, 'providers'>, checkout: Checkout) =>
  checkoutResource(checkout, deps.providers.methods(checkout.testMode));

async function ownCheckout(deps: Pick<ServiceDeps, 'db'>, principal: MerchantPrincipal, id: string): Promise<Checkout> {
  const checkout = await findCheckout(deps.db, principal, id);
  if (!checkout) throw notFound('checkout', 'id');
  return checkout;
}

export async function openCheckout(deps: ServiceDeps, principal: MerchantPrincipal, body: OpenCheckoutInput) {
  const settings = {
    ...settingsFrom(deps, principal.testMode, body),
    type: body.type ?? 'website',
  } as CheckoutSettings;
  const sci = body.sci && newSci(sciSettingsFrom(deps, null, body.sci));
  const webhookSecret = newWebhookSecret();
  const checkout = await insertCheckout(
    deps.db,
    {
      ...settings,
      methods: settings.methods ?? null,
      id: newId('co'),
      merchantId: principal.merchantId,
      testMode: principal.testMode,
      webhookSecret,
      verificationToken: `kv_${randomToken(32)}`,
      sci,
    },
    notificationsKey(deps.config),
  );
  const answer = checkoutWithSecretResource(checkout, deps.providers.methods(checkout.testMode), webhookSecret);
  return sci ? withSciKeys(answer, sci.keys) : answer;
}

export async function getCheckout(deps: ServiceDeps, principal: MerchantPrincipal, id: string) {
  return checkoutAnswer(deps, await ownCheckout(deps, principal, id));
}

/** How many checkouts the cabinet's list shows at most. */
const checkoutListLimit = 100;

/** The merchant's checkouts in the principal's mode, oldest first (the first 100), as Checkout objects. */
export async function listCheckouts(deps: Pick<ServiceDeps, 'db' | 'providers'>, principal: MerchantPrincipal) {
  const checkouts = await listMerchantCheckouts(deps.db, principal, checkoutListLimit);
  return checkouts.map((checkout) => checkoutAnswer(deps, checkout));
}

/** A checkout as a picker names it: what a payment, a test webhook or a channel form needs of it. */
export type CheckoutChoice = Pick<Checkout, 'id' | 'name' | 'currencies' | 'notifyUrl'>;

/** Every checkout of the merchant in the principal's mode, oldest first, to pick one from. */
export async function listCheckoutChoices(
  deps: Pick<ServiceDeps, 'db'>,
  principal: MerchantPrincipal,
): Promise<CheckoutChoice[]> {
  const checkouts = await listMerchantCheckouts(deps.db, principal);
  return checkouts.map(({ id, name, currencies, notifyUrl }) => ({ id, name, currencies, notifyUrl }));
}

/**
 * Drops this process's copy of a checkout it just changed: other processes hear of the change
 * from the database (src/db/lookup-invalidation.ts), this one must not wait for that.
 */
const forgetCheckout = (deps: Pick<ServiceDeps, 'lookups'>, id: string) => deps.lookups?.changed(`checkout:${id}`);

export async function changeCheckout(
  deps: ServiceDeps,
  principal: MerchantPrincipal,
  id: string,
  body: CheckoutSettingsInput,
) {
  const current = await ownCheckout(deps, principal, id);
  const settings = settingsFrom(deps, principal.testMode, body, current.branding);
  const sci = body.sci && newSci(sciSettingsFrom(deps, current.sci, body.sci));
  let checkout = await updateCheckout(deps.db, principal, id, settings);
  forgetCheckout(deps, id);
  if (!checkout) throw notFound('checkout', 'id');
  if (!sci) return checkoutAnswer(deps, checkout);
  const set = await setSciSettings(deps.db, principal, id, sci, notificationsKey(deps.config));
  forgetCheckout(deps, id);
  if (!set) throw notFound('checkout', 'id');
  checkout = set.checkout;
  return set.issued ? withSciKeys(checkoutAnswer(deps, checkout), sci.keys) : checkoutAnswer(deps, checkout);
}

/**
 * New SCI secret and test keys, answered this once. Unlike the webhook secret the old keys stop
 * at once: Interkassa's keys change the same way, and the shop holds both in its settings.
 */
export async function rotateCheckoutSciKeys(deps: ServiceDeps, principal: MerchantPrincipal, id: string) {
  await ownCheckout(deps, principal, id);
  const keys = newSciKeys();
  const checkout = await rotateSciKeys(deps.db, principal, id, keys, notificationsKey(deps.config));
  forgetCheckout(deps, id);
  if (!checkout) {
    throw new DomainError(
      'conflict',
      'sci_not_configured',
      `Checkout ${id} has no SCI settings yet: set them with PATCH /v1/checkouts/${id} {"sci":{…}}`,
      'id',
    );
  }
  return withSciKeys(checkoutAnswer(deps, checkout), keys);
}

/**
 * A new webhook secret, shown once. For {@link webhookSecretGraceSeconds} the previous one signs
 * too, so the shop can switch without missing a webhook.
 */
export async function rotateCheckoutSecret(deps: ServiceDeps, principal: MerchantPrincipal, id: string) {
  const webhookSecret = newWebhookSecret();
  const checkout = await rotateWebhookSecret(
    deps.db,
    principal,
    id,
    webhookSecret,
    webhookSecretGraceSeconds,
    notificationsKey(deps.config),
  );
  forgetCheckout(deps, id);
  if (!checkout) throw notFound('checkout', 'id');
  return checkoutWithSecretResource(checkout, deps.providers.methods(checkout.testMode), webhookSecret);
}

/** The methods a buyer of this checkout sees for an amount, with what each costs (docs/api.md §6 method list). */
export function visibleMethods(
  deps: Pick<ServiceDeps, 'providers'>,
  checkout: Checkout,
  amountMinor: bigint,
  currency: string,
  only: readonly string[] | null = null,
): MethodQuote[] {
  return checkoutQuotes(deps.providers.methods(checkout.testMode), checkout, amountMinor, currency, only);
}

export async function quoteCheckoutMethods(
  deps: ServiceDeps,
  principal: MerchantPrincipal,
  id: string,
  query: { amount: string; currency: string },
) {
  const checkout = await ownCheckout(deps, principal, id);
  if (!checkout.currencies.includes(query.currency)) {
    throw invalid(
      'currency',
      `Checkout ${checkout.id} does not accept ${query.currency}; it accepts ${checkout.currencies.join(', ')}`,
    );
  }
  const amountMinor = amountParam(query.amount, query.currency, 'amount');
  if (amountMinor <= 0n) throw invalid('amount', 'amount must be above zero');
  const money = (minor: bigint) => formatAmount(minor, query.currency);
  return {
    object: 'list' as const,
    amount: money(amountMinor),
    currency: query.currency,
    data: visibleMethods(deps, checkout, amountMinor, query.currency).map((quote) => ({
      method: quote.code,
      title: quote.title,
      fee: money(quote.feeMinor),
      buyer_fee: money(quote.buyerFeeMinor),
      merchant_fee: money(quote.merchantFeeMinor),
      buyer_total: money(quote.buyerTotalMinor),
      merchant_net: money(quote.merchantNetMinor),
      fee_schedule: feeView(quote.schedule),
    })),
    has_more: false,
  };
}

function feeSchedule(body: FeeScheduleInput, param: string): FeeSchedule {
  const basisPoints = percentToBasisPoints(body.percent);
  if (basisPoints === null) throw invalid(`${param}.percent`, `${param}.percent must be between 0 and 100`);
  return { basisPoints, fixedMinor: amountsByCurrency(body.fixed, `${param}.fixed`) };
}

/** The operator's commissions for a checkout: its default and per-method overrides. */
export async function setCheckoutPricing(deps: ServiceDeps, id: string, body: CheckoutPricingInput) {
  const current = await findCheckoutById(deps.db, id);
  if (!current) throw notFound('checkout', 'id');
  const known = deps.providers.methods(current.testMode).map((method) => method.code);
  const methodFees =
    body.methodFees &&
    Object.fromEntries(
      Object.entries(body.methodFees).map(([code, schedule]) => {
        if (!known.includes(code))
          throw invalid(`method_fees.${code}`, `${code} is not a ${current.testMode ? 'test' : 'live'}-mode method`);
        return [code, feeSchedule(schedule, `method_fees.${code}`)];
      }),
    );
  const checkout = await updateCheckoutPricing(deps.db, id, {
    fee: body.fee && feeSchedule(body.fee, 'fee'),
    methodFees,
  });
  forgetCheckout(deps, id);
  if (!checkout) throw notFound('checkout', 'id');
  return checkoutAnswer(deps, checkout);
}
