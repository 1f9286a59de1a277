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

interface SignInUser {
  id: string;
  merchantId: string | null;
  email: string;
  passwordHash: string | null;
  createdAt: Date;
  lastSignInAt: Date | null;
}

const signInUserFields = (user: SignInUser) => ({
  id: user.id,
  email: user.email,
  status: user.passwordHash === null ? ('invited' as const) : ('active' as const),
  created_at: user.createdAt.toISOString(),
  last_sign_in_at: user.lastSignInAt?.toISOString() ?? null,
});

/** Someone in a merchant's team (signs in to the cabinet), as the operator sees them. */
export const merchantUserResource = (user: SignInUser) => ({
  ...signInUserFields(user),
  object: 'merchant_user' as const,
  merchant_id: user.merchantId!,
});

/** An operator (signs in to the console). */
export const operatorResource = (user: SignInUser) => ({ ...signInUserFields(user), object: 'operator' as const });
