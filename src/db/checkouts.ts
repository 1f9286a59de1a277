import type { Pool } from 'pg';
import type { MerchantScope } from '../domain/merchant';
import type {
  Checkout,
  CheckoutLocale,
  CheckoutPricingSettings,
  CheckoutSettings,
  CheckoutType,
  VerificationStatus,
} from '../domain/checkout';
import type { FeeSchedule } from '../domain/fees';
import type { LateSuccess, SciHttpMethod, SciSettings, SciSignAlgorithm } from '../domain/interkassa';
import { inTransaction } from './transaction';
import { decryptWithLoadedKeys, encryptSecret, loadedSecretKeys, secretHint } from '../notifications/secrets';

type MinorMap = Record<string, string>;
interface StoredFeeSchedule {
  basis_points: number;
  fixed: MinorMap;
}
interface StoredMethodSetting {
  code: string;
  currencies: string[] | null;
  min: MinorMap;
  max: MinorMap;
}

interface StoredSciSettings {
  enabled: boolean;
  sign_algorithm: SciSignAlgorithm;
  sign_required: boolean;
  url_override: boolean;
  unique_order: boolean;
  interaction_url: string | null;
  interaction_method: SciHttpMethod;
  lifetime: number;
}

interface CheckoutRow {
  id: string;
  merchant_id: string;
  test_mode: boolean;
  type: CheckoutType;
  name: string;
  site_url: string;
  currencies: string[];
  notify_url: string;
  success_url: string;
  fail_url: string;
  pending_url: string;
  fee_payer: 'merchant' | 'buyer' | 'split';
  fee_buyer_percent: number | null;
  fee_basis_points: number;
  fee_fixed: MinorMap;
  method_fees: Record<string, StoredFeeSchedule>;
  methods: StoredMethodSetting[] | null;
  webhook_secret: string;
  previous_webhook_secret: string | null;
  previous_webhook_secret_expires_at: Date | null;
  verification_token: string;
  verification_status: VerificationStatus;
  verification_error: string | null;
  verified_at: Date | null;
  late_success: LateSuccess;
  logo_url: string | null;
  brand_color: string | null;
  locale: CheckoutLocale;
  sci_settings: StoredSciSettings | null;
  sci_checkout_ref: string | null;
  sci_secret_key: string | null;
  sci_test_key: string | null;
  sci_secret_hint: string | null;
  sci_test_hint: string | null;
  created_at: Date;
  updated_at: Date;
}

const toBigInts = (map: MinorMap): Record<string, bigint> =>
  Object.fromEntries(Object.entries(map).map(([currency, minor]) => [currency, BigInt(minor)]));
const toStrings = (map: Record<string, bigint>): MinorMap =>
  Object.fromEntries(Object.entries(map).map(([currency, minor]) => [currency, minor.toString()]));
const toSchedule = (stored: StoredFeeSchedule): FeeSchedule => ({
  basisPoints: stored.basis_points,
  fixedMinor: toBigInts(stored.fixed),
});
const fromSchedule = (schedule: FeeSchedule): StoredFeeSchedule => ({
  basis_points: schedule.basisPoints,
  fixed: toStrings(schedule.fixedMinor),
});

const toSciSettings = (stored: StoredSciSettings, checkoutRef: string): SciSettings => ({
  enabled: stored.enabled,
  signAlgorithm: stored.sign_algorithm,
  signRequired: stored.sign_required,
  urlOverride: stored.url_override,
  uniqueOrder: stored.unique_order,
  interactionUrl: stored.interaction_url,
  interactionMethod: stored.interaction_method,
  lifetime: stored.lifetime,
  checkoutRef,
});

const fromSciSettings = (settings: Omit<SciSettings, 'checkoutRef'>): StoredSciSettings => ({
  enabled: settings.enabled,
  sign_algorithm: settings.signAlgorithm,
  sign_required: settings.signRequired,
  url_override: settings.urlOverride,
  unique_order: settings.uniqueOrder,
  interaction_url: settings.interactionUrl,
  interaction_method: settings.interactionMethod,
  lifetime: settings.lifetime,
});

const mapRow = (row: CheckoutRow): Checkout => ({
  id: row.id,
  merchantId: row.merchant_id,
  testMode: row.test_mode,
  type: row.type,
  name: row.name,
  siteUrl: row.site_url,
  currencies: row.currencies,
  notifyUrl: row.notify_url,
  successUrl: row.success_url,
  failUrl: row.fail_url,
  pendingUrl: row.pending_url,
  feePayer:
    row.fee_payer === 'split' ? { type: 'split', buyerPercent: row.fee_buyer_percent! } : { type: row.fee_payer },
  fee: { basisPoints: row.fee_basis_points, fixedMinor: toBigInts(row.fee_fixed) },
  methodFees: Object.fromEntries(Object.entries(row.method_fees).map(([code, stored]) => [code, toSchedule(stored)])),
  methods:
    row.methods?.map((stored) => ({
      code: stored.code,
      currencies: stored.currencies,
      minAmountMinor: toBigInts(stored.min),
      maxAmountMinor: toBigInts(stored.max),
    })) ?? null,
  lateSuccess: row.late_success,
  branding: { logoUrl: row.logo_url, color: row.brand_color },
  locale: row.locale,
  sci: row.sci_settings && row.sci_checkout_ref ? toSciSettings(row.sci_settings, row.sci_checkout_ref) : null,
  sciKeyHints:
    row.sci_settings && row.sci_checkout_ref
      ? { secretKey: row.sci_secret_hint ?? '', testKey: row.sci_test_hint ?? '' }
      : null,
  previousWebhookSecretExpiresAt: row.previous_webhook_secret_expires_at,
  verification: {
    token: row.verification_token,
    status: row.verification_status,
    error: row.verification_error,
    verifiedAt: row.verified_at,
  },
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** Column assignments for the given settings; `undefined` leaves a setting as it is. */
function settingColumns(settings: Partial<CheckoutSettings & CheckoutPricingSettings>): [string, unknown][] {
  const columns: [string, unknown][] = [];
  const set = (column: string, value: unknown) => value !== undefined && columns.push([column, value]);
  set('type', settings.type);
  set('name', settings.name);
  set('site_url', settings.siteUrl);
  set('currencies', settings.currencies);
  set('notify_url', settings.notifyUrl);
  set('success_url', settings.successUrl);
  set('fail_url', settings.failUrl);
  set('pending_url', settings.pendingUrl);
  set('late_success', settings.lateSuccess);
  set('locale', settings.locale);
  if (settings.branding) {
    set('logo_url', settings.branding.logoUrl);
    set('brand_color', settings.branding.color);
  }
  if (settings.feePayer) {
    set('fee_payer', settings.feePayer.type);
    set('fee_buyer_percent', settings.feePayer.type === 'split' ? settings.feePayer.buyerPercent : null);
  }
  if (settings.methods !== undefined) {
    const methods = settings.methods?.map((method): StoredMethodSetting => ({
      code: method.code,
      currencies: method.currencies,
      min: toStrings(method.minAmountMinor),
      max: toStrings(method.maxAmountMinor),
    }));
    set('methods', methods === undefined ? null : JSON.stringify(methods));
  }
  if (settings.fee) {
    set('fee_basis_points', settings.fee.basisPoints);
    set('fee_fixed', JSON.stringify(toStrings(settings.fee.fixedMinor)));
  }
  if (settings.methodFees) {
    set(
      'method_fees',
      JSON.stringify(
        Object.fromEntries(Object.entries(settings.methodFees).map(([code, fee]) => [code, fromSchedule(fee)])),
      ),
    );
  }
  return columns;
}

/**
 * Webhook secrets at rest: sealed with `NOTIFICATIONS_KEY` (AES-256-GCM), bound to the checkout's
 * id, the same binding for the current and the previous secret so that a rotation can move one to
 * the other. A row from before encryption holds the plain `whsec_…`; it is read as it is and
 * sealed on the first read ({@link webhookSecretsFor}) or at startup ({@link sealPlaintextWebhookSecrets}).
 */
export const webhookSecretOwner = (checkoutId: string) => `${checkoutId}/webhook_secret`;
/** A webhook secret stored in clear, from before encryption at rest. */
export const isPlaintextSecret = (stored: string) => stored.startsWith('whsec_');

export const sealWebhookSecret = (key: Buffer, checkoutId: string, secret: string) =>
  encryptSecret(key, secret, webhookSecretOwner(checkoutId));

function openWebhookSecret(checkoutId: string, stored: string): string {
  return isPlaintextSecret(stored) ? stored : decryptWithLoadedKeys(stored, webhookSecretOwner(checkoutId));
}

export async function insertCheckout(
  db: Pool,
  checkout: CheckoutSettings & {
    id: string;
    merchantId: string;
    testMode: boolean;
    webhookSecret: string;
    verificationToken: string;
    /** SCI settings with the checkout's fresh ref and keys, when the merchant gave them. */
    sci?: NewSci;
  },
  key: Buffer,
): Promise<Checkout> {
  const columns: [string, unknown][] = [
    ['id', checkout.id],
    ['merchant_id', checkout.merchantId],
    ['test_mode', checkout.testMode],
    ['webhook_secret', sealWebhookSecret(key, checkout.id, checkout.webhookSecret)],
    ['verification_token', checkout.verificationToken],
    ...settingColumns({ ...checkout, methods: checkout.methods ?? undefined }),
  ];
  if (checkout.sci) {
    const sealed = sealSciKeys(key, checkout.id, checkout.sci.keys);
    columns.push(
      ['sci_settings', JSON.stringify(fromSciSettings(checkout.sci.settings))],
      ['sci_checkout_ref', checkout.sci.checkoutRef],
      ['sci_secret_key', sealed.secretKey],
      ['sci_test_key', sealed.testKey],
      ['sci_secret_hint', sealed.secretHint],
      ['sci_test_hint', sealed.testHint],
    );
  }
  const { rows } = await db.query<CheckoutRow>(
    `insert into checkouts (${columns.map(([column]) => column).join(', ')})
     values (${columns.map((_, index) => `$${index + 1}`).join(', ')}) returning *`,
    columns.map(([, value]) => value),
  );
  return mapRow(rows[0]!);
}

/** A checkout as its owner sees it: another merchant's, or the other mode's, is not found. */
export async function findCheckout(db: Pool, owner: MerchantScope, id: string) {
  const { rows } = await db.query<CheckoutRow>(
    'select * from checkouts where id = $1 and merchant_id = $2 and test_mode = $3',
    [id, owner.merchantId, owner.testMode],
  );
  return rows[0] ? mapRow(rows[0]) : null;
}

/** A merchant's checkouts in one mode, oldest first; all of them unless `limit` says how many. */
export async function listMerchantCheckouts(db: Pool, owner: MerchantScope, limit?: number): Promise<Checkout[]> {
  const { rows } = await db.query<CheckoutRow>(
    'select * from checkouts where merchant_id = $1 and test_mode = $2 order by created_at, id limit $3',
    [owner.merchantId, owner.testMode, limit ?? null],
  );
  return rows.map(mapRow);
}

export async function findCheckoutById(db: Pool, id: string): Promise<Checkout | null> {
  const { rows } = await db.query<CheckoutRow>('select * from checkouts where id = $1', [id]);
  return rows[0] ? mapRow(rows[0]) : null;
}

/**
 * Changes a merchant's settings. A new `siteUrl` drops the site's verification: the new site
 * must be verified again.
 */
export async function updateCheckout(
  db: Pool,
  owner: MerchantScope,
  id: string,
  changes: Partial<CheckoutSettings>,
): Promise<Checkout | null> {
  const columns = settingColumns(changes);
  if (columns.length === 0) return findCheckout(db, owner, id);
  const sets = columns.map(([column], index) => `${column} = $${index + 4}`);
  if (changes.siteUrl !== undefined) {
    const site = `$${columns.findIndex(([column]) => column === 'site_url') + 4}`;
    sets.push(
      `verified_at = case when site_url = ${site} then verified_at end`,
      `verification_status = case when site_url = ${site} then verification_status else 'unverified' end`,
      `verification_error = case when site_url = ${site} then verification_error end`,
    );
  }
  const { rows } = await db.query<CheckoutRow>(
    `update checkouts set ${sets.join(', ')}, updated_at = now()
     where id = $1 and merchant_id = $2 and test_mode = $3 returning *`,
    [id, owner.merchantId, owner.testMode, ...columns.map(([, value]) => value)],
  );
  return rows[0] ? mapRow(rows[0]) : null;
}

/** The operator's pricing change; any merchant's checkout. */
export async function updateCheckoutPricing(
  db: Pool,
  id: string,
  pricing: Partial<CheckoutPricingSettings>,
): Promise<Checkout | null> {
  const columns = settingColumns(pricing);
  if (columns.length === 0) return findCheckoutById(db, id);
  const { rows } = await db.query<CheckoutRow>(
    `update checkouts set ${columns.map(([column], index) => `${column} = $${index + 2}`).join(', ')}, updated_at = now()
     where id = $1 returning *`,
    [id, ...columns.map(([, value]) => value)],
  );
  return rows[0] ? mapRow(rows[0]) : null;
}

/**
 * Replaces the webhook secret with `secret` (sealed with `key`); the old one keeps signing for
 * `graceSeconds`. Rotating again within that time drops the oldest. A plain secret from before
 * encryption is sealed as it moves to `previous_webhook_secret`.
 */
export async function rotateWebhookSecret(
  db: Pool,
  owner: MerchantScope,
  id: string,
  secret: string,
  graceSeconds: number,
  key: Buffer,
) {
  return inTransaction(db, async (client) => {
    const { rows: current } = await client.query<{ webhook_secret: string }>(
      'select webhook_secret from checkouts where id = $1 and merchant_id = $2 and test_mode = $3 for update',
      [id, owner.merchantId, owner.testMode],
    );
    const stored = current[0]?.webhook_secret;
    const previous = stored !== undefined && isPlaintextSecret(stored) ? sealWebhookSecret(key, id, stored) : stored;
    const { rows } = await client.query<CheckoutRow>(
      `update checkouts set previous_webhook_secret = $4, webhook_secret = $5,
         previous_webhook_secret_expires_at = now() + make_interval(secs => $6), updated_at = now()
       where id = $1 and merchant_id = $2 and test_mode = $3 returning *`,
      [id, owner.merchantId, owner.testMode, previous ?? null, sealWebhookSecret(key, id, secret), graceSeconds],
    );
    return rows[0] ? mapRow(rows[0]) : null;
  });
}

/**
 * The secrets that sign a checkout's webhooks and buyer links now, in clear: the current one,
 * then the previous one while it is valid. Throws `SecretUnreadableError` when the stored secret
 * was sealed with a key this process has not loaded. A plain secret from before encryption is
 * sealed here, once, with the first key loaded.
 */
export async function webhookSecretsFor(db: Pool, checkoutId: string): Promise<string[]> {
  const { rows } = await db.query<{
    webhook_secret: string;
    previous_webhook_secret: string | null;
    previous_valid: boolean;
  }>(
    `select webhook_secret, previous_webhook_secret, coalesce(previous_webhook_secret_expires_at > now(), false) as previous_valid
     from checkouts where id = $1`,
    [checkoutId],
  );
  const row = rows[0];
  if (!row) return [];
  const [key] = loadedSecretKeys();
  if (
    key &&
    (isPlaintextSecret(row.webhook_secret) ||
      (row.previous_webhook_secret !== null && isPlaintextSecret(row.previous_webhook_secret)))
  ) {
    await sealRow(db, key, { id: checkoutId, ...row });
  }
  const current = openWebhookSecret(checkoutId, row.webhook_secret);
  return row.previous_valid && row.previous_webhook_secret
    ? [current, openWebhookSecret(checkoutId, row.previous_webhook_secret)]
    : [current];
}

async function sealRow(
  db: Pool,
  key: Buffer,
  row: { id: string; webhook_secret: string; previous_webhook_secret: string | null },
): Promise<boolean> {
  const seal = (stored: string | null) =>
    stored !== null && isPlaintextSecret(stored) ? sealWebhookSecret(key, row.id, stored) : stored;
  const { rowCount } = await db.query(
    `update checkouts set webhook_secret = $4, previous_webhook_secret = $5
     where id = $1 and webhook_secret = $2 and previous_webhook_secret is not distinct from $3`,
    [
      row.id,
      row.webhook_secret,
      row.previous_webhook_secret,
      seal(row.webhook_secret),
      seal(row.previous_webhook_secret),
    ],
  );
  return (rowCount ?? 0) > 0;
}

/**
 * Seals every webhook secret still stored in clear (rows from before encryption at rest) with
 * `key`; run at startup after the migrations. Returns how many checkouts it sealed. Safe to run
 * in several processes at once: a row changed meanwhile is left to the other.
 */
export async function sealPlaintextWebhookSecrets(db: Pool, key: Buffer): Promise<number> {
  const { rows } = await db.query<{ id: string; webhook_secret: string; previous_webhook_secret: string | null }>(
    `select id, webhook_secret, previous_webhook_secret from checkouts
     where webhook_secret like 'whsec\_%' or previous_webhook_secret like 'whsec\_%'`,
  );
  let sealed = 0;
  for (const row of rows) if (await sealRow(db, key, row)) sealed += 1;
  return sealed;
}

/** Marks a verification as started, unless the checkout is verified already. */
export async function markVerificationPending(db: Pool, owner: MerchantScope, id: string): Promise<Checkout | null> {
  const { rows } = await db.query<CheckoutRow>(
    `update checkouts set verification_status = case when verified_at is null then 'pending' else verification_status end,
       verification_error = case when verified_at is null then null else verification_error end, updated_at = now()
     where id = $1 and merchant_id = $2 and test_mode = $3 returning *`,
    [id, owner.merchantId, owner.testMode],
  );
  return rows[0] ? mapRow(rows[0]) : null;
}

/**
 * Records the state of verifying `siteUrl` (a `null` error keeps the last one); changes nothing
 * once verified, or if the checkout's site has changed since (that site needs its own
 * verification). Returns whether it applied.
 */
export async function recordSiteVerification(
  db: Pool,
  result: { checkoutId: string; siteUrl: string; status: 'pending' | 'verified' | 'failed'; error: string | null },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `update checkouts set verification_status = $3,
       verification_error = case when $3 = 'verified' then null else coalesce($4, verification_error) end,
       verified_at = case when $3 = 'verified' then coalesce(verified_at, now()) else verified_at end, updated_at = now()
     where id = $1 and site_url = $2 and (verified_at is null or $3 = 'verified')`,
    [result.checkoutId, result.siteUrl, result.status, result.error],
  );
  return (rowCount ?? 0) > 0;
}

/** A checkout's SCI keys in clear: the secret key signs forms and live interactions, the test key test ones. */
export interface SciKeys {
  secretKey: string;
  testKey: string;
}

/** SCI settings as first given, with the ref and keys made for them. */
export interface NewSci {
  settings: Omit<SciSettings, 'checkoutRef'>;
  checkoutRef: string;
  keys: SciKeys;
}

/** SCI keys at rest: sealed like webhook secrets, each bound to its checkout and its role. */
export const sciKeyOwner = (checkoutId: string, role: 'secret' | 'test') => `${checkoutId}/sci_${role}_key`;

function sealSciKeys(key: Buffer, checkoutId: string, keys: SciKeys) {
  return {
    secretKey: encryptSecret(key, keys.secretKey, sciKeyOwner(checkoutId, 'secret')),
    testKey: encryptSecret(key, keys.testKey, sciKeyOwner(checkoutId, 'test')),
    secretHint: secretHint(keys.secretKey),
    testHint: secretHint(keys.testKey),
  };
}

/**
 * Sets a checkout's SCI settings. The first time, `fresh`'s ref and keys become the checkout's for
 * good (`issued`); after that they are ignored and the checkout keeps its own.
 */
export async function setSciSettings(
  db: Pool,
  owner: MerchantScope,
  id: string,
  fresh: NewSci,
  key: Buffer,
): Promise<{ checkout: Checkout; issued: boolean } | null> {
  const sealed = sealSciKeys(key, id, fresh.keys);
  const { rows } = await db.query<CheckoutRow>(
    `update checkouts set sci_settings = $4,
       sci_checkout_ref = coalesce(sci_checkout_ref, $5),
       sci_secret_key = case when sci_checkout_ref is null then $6 else sci_secret_key end,
       sci_test_key = case when sci_checkout_ref is null then $7 else sci_test_key end,
       sci_secret_hint = case when sci_checkout_ref is null then $8 else sci_secret_hint end,
       sci_test_hint = case when sci_checkout_ref is null then $9 else sci_test_hint end,
       updated_at = now()
     where id = $1 and merchant_id = $2 and test_mode = $3 returning *`,
    [
      id,
      owner.merchantId,
      owner.testMode,
      JSON.stringify(fromSciSettings(fresh.settings)),
      fresh.checkoutRef,
      sealed.secretKey,
      sealed.testKey,
      sealed.secretHint,
      sealed.testHint,
    ],
  );
  const row = rows[0];
  return row ? { checkout: mapRow(row), issued: row.sci_checkout_ref === fresh.checkoutRef } : null;
}

/** Replaces both SCI keys at once; null when the checkout is not found or has no SCI settings. */
export async function rotateSciKeys(
  db: Pool,
  owner: MerchantScope,
  id: string,
  keys: SciKeys,
  key: Buffer,
): Promise<Checkout | null> {
  const sealed = sealSciKeys(key, id, keys);
  const { rows } = await db.query<CheckoutRow>(
    `update checkouts set sci_secret_key = $4, sci_test_key = $5, sci_secret_hint = $6, sci_test_hint = $7,
       updated_at = now()
     where id = $1 and merchant_id = $2 and test_mode = $3 and sci_checkout_ref is not null returning *`,
    [id, owner.merchantId, owner.testMode, sealed.secretKey, sealed.testKey, sealed.secretHint, sealed.testHint],
  );
  return rows[0] ? mapRow(rows[0]) : null;
}

/** The checkout a shop names in `ik_co_id`: its SCI checkout ref. */
export async function findCheckoutBySciRef(db: Pool, checkoutRef: string): Promise<Checkout | null> {
  const { rows } = await db.query<CheckoutRow>('select * from checkouts where sci_checkout_ref = $1', [checkoutRef]);
  return rows[0] ? mapRow(rows[0]) : null;
}

/**
 * A checkout's SCI keys in clear; null when it has none. Throws `SecretUnreadableError` when they
 * were sealed with a key this process has not loaded.
 */
export async function sciKeysFor(db: Pool, checkoutId: string): Promise<SciKeys | null> {
  const { rows } = await db.query<{ sci_secret_key: string | null; sci_test_key: string | null }>(
    'select sci_secret_key, sci_test_key from checkouts where id = $1',
    [checkoutId],
  );
  const row = rows[0];
  if (!row?.sci_secret_key || !row.sci_test_key) return null;
  return {
    secretKey: decryptWithLoadedKeys(row.sci_secret_key, sciKeyOwner(checkoutId, 'secret')),
    testKey: decryptWithLoadedKeys(row.sci_test_key, sciKeyOwner(checkoutId, 'test')),
  };
}
