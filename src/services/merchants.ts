import {
  createMerchant,
  findApiKey,
  findMerchant,
  issueApiKey,
  listApiKeys,
  listMerchantSummaries,
  type MerchantSummary,
  revokeApiKey,
  rotateApiKey,
} from '../db/merchants';
import type { KeyMode } from '../domain/merchant';
import { invalid, notFound } from '../domain/errors';
import { isId } from '../domain/ids';
import { listResource } from '../resources/list';
import { apiKeyResource, merchantResource, merchantUserResource } from '../resources/merchant';
import type { ServiceDeps } from './deps';
import { inviteMerchantUser } from './web-users';

/**
 * Creates a merchant with a test and a live key (shown in this answer only) and invites its e-mail
 * address to the cabinet: `dashboard_invite_url` is a one-time link (7 days), also e-mailed (null,
 * logged, if the invitation fails: the keys are answered all the same).
 */
export async function onboardMerchant(
  deps: Pick<ServiceDeps, 'db' | 'config' | 'observability'>,
  input: { name: string; email: string; locale?: string },
) {
  const { merchant, apiKeys } = await createMerchant(deps.db, input);
  // the keys exist now and are shown only in this answer: a failed invitation must not lose them
  const invitation = await inviteMerchantUser(deps, {
    merchantId: merchant.id,
    email: merchant.email,
    locale: input.locale,
  }).catch((error: unknown) => {
    deps.observability?.logger.error({ err: error, merchantId: merchant.id }, 'the cabinet invitation was not made');
    return null;
  });
  return { ...merchantResource(merchant), api_keys: apiKeys, dashboard_invite_url: invitation?.inviteUrl ?? null };
}

/**
 * Invites someone to the merchant's cabinet (`POST /admin/merchants/:id/invitations`): a new user
 * of the team when the address is new, and a fresh one-time link either way.
 */
export async function inviteToCabinet(
  deps: Pick<ServiceDeps, 'db' | 'config' | 'observability'>,
  merchantId: string,
  input: { email: string; locale?: string },
) {
  const invitation = await inviteMerchantUser(deps, { merchantId, ...input });
  return { ...merchantUserResource(invitation.user), dashboard_invite_url: invitation.inviteUrl };
}

export async function getMerchant(deps: Pick<ServiceDeps, 'db'>, merchantId: string) {
  const merchant = await findMerchant(deps.db, merchantId);
  if (!merchant) throw notFound('merchant', 'id');
  return merchantResource(merchant);
}

/**
 * The operator's list of merchants, newest first: `search` matches part of a name or an e-mail, or
 * a whole merchant id; `startingAfter` is the last id of the previous page.
 */
export async function listMerchants(
  deps: Pick<ServiceDeps, 'db'>,
  query: { search?: string; limit: number; startingAfter?: string },
): Promise<{ merchants: MerchantSummary[]; hasMore: boolean }> {
  if (query.search !== undefined && query.search.length > 200) throw invalid('q', 'q: at most 200 characters');
  if (query.startingAfter !== undefined && !isId('mer', query.startingAfter))
    throw invalid('after', 'after: a merchant id');
  return listMerchantSummaries(deps.db, { ...query, search: query.search?.trim() || undefined });
}

/** A new key for the merchant, its secret shown in this answer only. */
export async function issueKey(deps: Pick<ServiceDeps, 'db'>, merchantId: string, mode: KeyMode) {
  await getMerchant(deps, merchantId);
  const { key, secret } = await issueApiKey(deps.db, merchantId, mode);
  return { ...apiKeyResource(key), secret };
}

export async function listKeys(deps: Pick<ServiceDeps, 'db'>, merchantId: string) {
  await getMerchant(deps, merchantId);
  return listResource((await listApiKeys(deps.db, merchantId)).map(apiKeyResource));
}

export async function getKey(deps: Pick<ServiceDeps, 'db'>, keyId: string) {
  const key = await findApiKey(deps.db, keyId);
  if (!key) throw notFound('API key', 'key_id');
  return apiKeyResource(key);
}

/** Revokes a key: the next request made with it is answered `401`. */
export async function revokeKey(deps: Pick<ServiceDeps, 'db' | 'lookups'>, merchantId: string, keyId: string) {
  const key = await revokeApiKey(deps.db, merchantId, keyId);
  if (!key) throw notFound('API key', 'key_id');
  deps.lookups?.changed(`api_key:${key.id}`);
  return apiKeyResource(key);
}

/** Revokes an active key and issues its replacement in the same mode. */
export async function rotateKey(deps: Pick<ServiceDeps, 'db' | 'lookups'>, merchantId: string, keyId: string) {
  const rotated = await rotateApiKey(deps.db, merchantId, keyId);
  if (!rotated) throw notFound('active API key', 'key_id');
  deps.lookups?.changed(`api_key:${rotated.revoked.id}`);
  return {
    revoked: apiKeyResource(rotated.revoked),
    issued: { ...apiKeyResource(rotated.key), secret: rotated.secret },
  };
}
