import { z } from 'zod';
import { setCheckoutPricing } from '../../services/checkouts';
import {
  getKey,
  getMerchant,
  inviteToCabinet,
  issueKey,
  listKeys,
  onboardMerchant,
  revokeKey,
  rotateKey,
} from '../../services/merchants';
import { operatorRoute } from '../route';
import {
  apiKeyList,
  email,
  id,
  time,
  apiKeyResource,
  checkoutResource,
  createdMerchantResource,
  createMerchantBody,
  emptyBody,
  issuedApiKeyResource,
  issueKeyBody,
  merchantResource,
  rotatedApiKeyResource,
  updatePricingBody,
} from '../schemas';

const dashboardInviteUrl = z.string().openapi({
  format: 'uri',
  description:
    'A one-time link (7 days) where the person sets a password and signs in to the cabinet; also e-mailed to them',
  example: 'https://kassa.example/dashboard/invitation/3kTMd2pL9sXq7vB1nW0e…',
});

const createdMerchantWithInvite = merchantResource
  .extend({
    api_keys: createdMerchantResource.shape.api_keys,
    dashboard_invite_url: dashboardInviteUrl.nullable().openapi({
      description:
        'A one-time link (7 days) where the merchant sets a password and signs in to the cabinet, also e-mailed; null in the rare case the invitation could not be made (the merchant and its keys exist: `POST /admin/merchants/{id}/invitations` makes one)',
    }),
  })
  .openapi('CreatedMerchant');

const inviteBody = z
  .strictObject({
    email: email.openapi({ example: 'accountant@shop.example' }),
    locale: z
      .enum(['en', 'ru'])
      .optional()
      .openapi({ description: 'The language of the e-mail and the pages; English when absent' }),
  })
  .openapi('Invitation');

const merchantUserInvited = z
  .object({
    id: id('usr'),
    object: z.literal('merchant_user'),
    merchant_id: id('mer'),
    email: z.string(),
    status: z.enum(['invited', 'active']).openapi({ description: '`invited` until a password is set' }),
    created_at: time,
    last_sign_in_at: time.nullable(),
    dashboard_invite_url: dashboardInviteUrl,
  })
  .openapi('MerchantUserInvited');

/** Merchants, their API keys, checkout pricing (docs/api.md §4). */
export const merchantRoutes = [
  operatorRoute({
    method: 'post',
    path: '/merchants',
    tag: 'Operator',
    summary: 'Create a merchant with a test and a live key',
    body: createMerchantBody,
    description:
      "The merchant's e-mail address is invited to the cabinet: `dashboard_invite_url` is answered here and e-mailed.",
    ok: {
      status: 201,
      description: 'The merchant; its keys are shown this once',
      schema: createdMerchantWithInvite,
    },
    handle: ({ deps, body }) => onboardMerchant(deps, body),
  }),
  operatorRoute({
    method: 'post',
    path: '/merchants/:id/invitations',
    tag: 'Operator',
    summary: "Invite someone to a merchant's cabinet",
    description:
      "Adds the address to the merchant's team when it is new; a fresh one-time link replaces any earlier one (for someone with a password, it sets a new one).",
    body: inviteBody,
    ok: { status: 201, description: 'The team member and the link, shown this once', schema: merchantUserInvited },
    handle: ({ deps, params, body }) => inviteToCabinet(deps, params.id!, { email: body.email, locale: body.locale }),
  }),
  operatorRoute({
    method: 'get',
    path: '/merchants/:id',
    tag: 'Operator',
    summary: 'A merchant',
    ok: { status: 200, description: 'The merchant', schema: merchantResource },
    handle: ({ deps, params }) => getMerchant(deps, params.id!),
  }),
  operatorRoute({
    method: 'get',
    path: '/merchants/:id/keys',
    tag: 'Operator',
    summary: "A merchant's API keys (prefixes only)",
    ok: { status: 200, description: 'Newest first, revoked ones included', schema: apiKeyList },
    handle: ({ deps, params }) => listKeys(deps, params.id!),
  }),
  operatorRoute({
    method: 'post',
    path: '/merchants/:id/keys',
    tag: 'Operator',
    summary: 'Issue an API key',
    body: issueKeyBody,
    ok: { status: 201, description: 'The key; `secret` is shown this once', schema: issuedApiKeyResource },
    handle: ({ deps, params, body }) => issueKey(deps, params.id!, body.mode),
  }),
  operatorRoute({
    method: 'post',
    path: '/merchants/:id/keys/:key_id/rotate',
    tag: 'Operator',
    summary: 'Rotate an API key',
    description: 'Revokes the key at once and issues a replacement in the same mode.',
    body: emptyBody,
    missingBody: 'empty',
    ok: {
      status: 201,
      description: 'The revoked key and its replacement, whose `secret` is shown this once',
      schema: rotatedApiKeyResource,
    },
    handle: ({ deps, params }) => rotateKey(deps, params.id!, params.key_id!),
  }),
  operatorRoute({
    method: 'post',
    path: '/merchants/:id/keys/:key_id/revoke',
    tag: 'Operator',
    summary: 'Revoke an API key',
    description: 'The next request made with the key is answered `401`.',
    body: emptyBody,
    missingBody: 'empty',
    ok: { status: 200, description: 'The revoked key', schema: apiKeyResource },
    handle: ({ deps, params }) => revokeKey(deps, params.id!, params.key_id!),
  }),
  operatorRoute({
    method: 'get',
    path: '/keys/:key_id',
    tag: 'Operator',
    summary: 'An API key by its id',
    ok: { status: 200, description: 'The key (prefix only)', schema: apiKeyResource },
    handle: ({ deps, params }) => getKey(deps, params.key_id!),
  }),
  operatorRoute({
    method: 'patch',
    path: '/checkouts/:id',
    tag: 'Operator',
    summary: "Set a checkout's commissions",
    body: updatePricingBody,
    ok: { status: 200, description: 'The checkout', schema: checkoutResource },
    handle: ({ deps, params, body }) =>
      setCheckoutPricing(deps, params.id!, { fee: body.fee, methodFees: body.method_fees }),
  }),
];
