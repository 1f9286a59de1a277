export type KeyMode = 'test' | 'live';

export interface Merchant {
  id: string;
  name: string;
  email: string;
  createdAt: Date;
}

/** Who is calling the merchant API, resolved from an `sk_…` key. */
export interface MerchantPrincipal {
  merchantId: string;
  testMode: boolean;
  keyId: string;
}

/** Whose rows a merchant's request sees: its own, in its key's mode (test or live). */
export type MerchantScope = Pick<MerchantPrincipal, 'merchantId' | 'testMode'>;

/** An API key as stored: its hash and a short prefix to recognise it by, never the key itself. */
export interface ApiKey {
  id: string;
  merchantId: string;
  mode: KeyMode;
  /** The key's first 12 characters, e.g. `sk_test_AbCd`. */
  prefix: string;
  createdAt: Date;
  revokedAt: Date | null;
}
