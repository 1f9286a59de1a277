import type { ApiKey, Merchant } from '../domain/merchant';

/** The Merchant object, as the operator sees it. */
export const merchantResource = (merchant: Merchant) => ({
  id: merchant.id,
  object: 'merchant' as const,
  name: merchant.name,
  email: merchant.email,
  created_at: merchant.createdAt.toISOString(),
});

/** An API key as the operator sees it: its prefix, never the key. */
export const apiKeyResource = (key: ApiKey) => ({
  id: key.id,
  object: 'api_key' as const,
  merchant_id: key.merchantId,
  mode: key.mode,
  prefix: key.prefix,
  created_at: key.createdAt.toISOString(),
  revoked_at: key.revokedAt?.toISOString() ?? null,
});
