import {
  type CheckoutPricing,
  type FeePayerSetting,
  type FeeSchedule,
  type MethodQuote,
  type MethodSetting,
  quoteMethods,
} from './fees';
import type { LateSuccess, SciSettings } from './interkassa';
import type { ProviderMethod } from './methods';

/** Where a site serves its verification token, from the root of its origin. */
export const verificationFilePath = '/.well-known/kassa-verification.txt';

/** Where a site serves its token: at the root of `siteUrl`'s origin. */
export function verificationFileUrl(siteUrl: string): string {
  return new URL(verificationFilePath, siteUrl).toString();
}

/** One verification run of a checkout's site: the input of `siteVerificationWorkflow` and of its check. */
export interface SiteVerificationInput {
  checkoutId: string;
  /** The site being verified; a later change of the checkout's site makes this run's result void. */
  siteUrl: string;
  /** What the file must contain. */
  token: string;
}

export type VerificationStatus = 'unverified' | 'pending' | 'verified' | 'failed';

/** Proof that the merchant controls `siteUrl`: the token served at `/.well-known/kassa-verification.txt`. */
export interface SiteVerification {
  token: string;
  status: VerificationStatus;
  /** Why the last attempt failed, while pending or once failed. */
  error: string | null;
  verifiedAt: Date | null;
}

/** The languages a checkout's buyer pages may default to. */
export const checkoutLocales = ['en', 'ru'] as const;
export type CheckoutLocale = (typeof checkoutLocales)[number];

/** The kind of place the shop sells from, as a merchant says when opening a checkout. */
export const checkoutTypes = ['website', 'mobile_app', 'other'] as const;
export type CheckoutType = (typeof checkoutTypes)[number];

/** How the buyer's pages show the shop: its logo (an https URL) and its colour (`#rrggbb`); null: Kassa's own. */
export interface CheckoutBranding {
  logoUrl: string | null;
  color: string | null;
}

/** A merchant's shop in one mode: where buyers come from, where webhooks go, how it is priced. */
export interface Checkout {
  id: string;
  merchantId: string;
  testMode: boolean;
  /** Where the shop sells: a website (the default), a mobile app or elsewhere. */
  type: CheckoutType;
  name: string;
  siteUrl: string;
  currencies: string[];
  notifyUrl: string;
  successUrl: string;
  failUrl: string;
  pendingUrl: string;
  feePayer: FeePayerSetting;
  /** The checkout's default commission (set by the operator). */
  fee: FeeSchedule;
  /** Per-method commissions replacing `fee` (set by the operator). */
  methodFees: Record<string, FeeSchedule>;
  /** Enabled methods with their display conditions; `null`: every method of the mode, unconditionally. */
  methods: MethodSetting[] | null;
  /** A provider's success after the payment expired or was canceled: refunded at once, or held for review. */
  lateSuccess: LateSuccess;
  branding: CheckoutBranding;
  /** The buyer pages' language when neither the payment nor the buyer's browser names one Kassa speaks. */
  locale: CheckoutLocale;
  /** Interkassa SCI compatibility; null until the merchant sets it (the keys are kept apart, sealed). */
  sci: SciSettings | null;
  /** The SCI keys' last four characters, to show them masked; null with `sci`. */
  sciKeyHints: { secretKey: string; testKey: string } | null;
  /** Until then the secret before the last rotation signs too (the secrets themselves are kept apart, sealed). */
  previousWebhookSecretExpiresAt: Date | null;
  verification: SiteVerification;
  createdAt: Date;
  updatedAt: Date;
}

/** What a merchant sets on a checkout. */
export type CheckoutSettings = Pick<
  Checkout,
  | 'type'
  | 'name'
  | 'siteUrl'
  | 'currencies'
  | 'notifyUrl'
  | 'successUrl'
  | 'failUrl'
  | 'pendingUrl'
  | 'feePayer'
  | 'methods'
  | 'lateSuccess'
  | 'branding'
  | 'locale'
>;

/** What the operator sets on a checkout: its commissions. */
export type CheckoutPricingSettings = Pick<Checkout, 'fee' | 'methodFees'>;

export const pricingOf = (checkout: Checkout): CheckoutPricing => ({
  fee: checkout.fee,
  methodFees: checkout.methodFees,
  payer: checkout.feePayer,
});

/**
 * The methods a buyer of `checkout` sees for this amount, in display order, and what each costs:
 * what the API quotes, what the buyer's page offers and what a purchase workflow is started with.
 * `only` narrows them to a payment's own list (the methods an SCI form left).
 */
export function checkoutQuotes(
  offered: readonly ProviderMethod[],
  checkout: Checkout,
  amountMinor: bigint,
  currency: string,
  only: readonly string[] | null = null,
): MethodQuote[] {
  if (!checkout.currencies.includes(currency)) return [];
  const quotes = quoteMethods({
    offered,
    testMode: checkout.testMode,
    settings: checkout.methods,
    pricing: pricingOf(checkout),
    amountMinor,
    currency,
  });
  return only ? quotes.filter((quote) => only.includes(quote.code)) : quotes;
}
