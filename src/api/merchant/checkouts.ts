import {
  changeCheckout,
  getCheckout,
  openCheckout,
  quoteCheckoutMethods,
  rotateCheckoutSciKeys,
  rotateCheckoutSecret,
} from '../../services/checkouts';
import { verifySite } from '../../services/site-verification';
import { checkoutSettings } from './checkout-input';
import { merchantRoute, reply } from '../route';
import {
  checkoutResource,
  checkoutWithSecretResource,
  createCheckoutBody,
  emptyBody,
  methodQuoteList,
  methodsQuery,
  updateCheckoutBody,
} from '../schemas';

/** The merchant's checkouts (docs/api.md §5). */
export const checkoutRoutes = [
  merchantRoute({
    method: 'post',
    path: '/checkouts',
    tag: 'Checkouts',
    summary: 'Create a checkout',
    body: createCheckoutBody,
    ok: {
      status: 201,
      description: 'The checkout with its webhook secret, shown this once',
      schema: checkoutWithSecretResource,
    },
    handle: ({ deps, principal, body }) => openCheckout(deps, principal, checkoutSettings(body)),
  }),
  merchantRoute({
    method: 'get',
    path: '/checkouts/:id',
    tag: 'Checkouts',
    summary: 'A checkout',
    ok: { status: 200, description: 'The checkout', schema: checkoutResource },
    handle: ({ deps, principal, params }) => getCheckout(deps, principal, params.id!),
  }),
  merchantRoute({
    method: 'patch',
    path: '/checkouts/:id',
    tag: 'Checkouts',
    summary: 'Change a checkout',
    description:
      'Only the fields given change. `methods` replaces the whole list. A new `site_url` must be verified again.',
    body: updateCheckoutBody,
    ok: { status: 200, description: 'The checkout', schema: checkoutResource },
    handle: ({ deps, principal, params, body }) => changeCheckout(deps, principal, params.id!, checkoutSettings(body)),
  }),
  merchantRoute({
    method: 'get',
    path: '/checkouts/:id/methods',
    tag: 'Checkouts',
    summary: 'What a buyer would see',
    description:
      'The methods shown for this amount and currency (display conditions applied), each with its fee and who pays what.',
    query: methodsQuery,
    ok: { status: 200, description: 'The methods, in display order', schema: methodQuoteList },
    handle: ({ deps, principal, params, query }) => quoteCheckoutMethods(deps, principal, params.id!, query),
  }),
  merchantRoute({
    method: 'post',
    path: '/checkouts/:id/rotate_secret',
    tag: 'Checkouts',
    summary: 'Rotate the webhook secret',
    description:
      'A new `whsec_` secret, shown this once. For 24 hours webhooks are signed with both the new and the old secret.',
    body: emptyBody,
    missingBody: 'empty',
    ok: { status: 200, description: 'The checkout with its new secret', schema: checkoutWithSecretResource },
    handle: ({ deps, principal, params }) => rotateCheckoutSecret(deps, principal, params.id!),
  }),
  merchantRoute({
    method: 'post',
    path: '/checkouts/:id/sci/rotate_keys',
    tag: 'Checkouts',
    summary: 'Rotate the SCI keys',
    description:
      'New SCI secret and test keys, shown this once in `sci`; the old ones stop signing at once. ' +
      'A checkout without SCI settings is a `409`.',
    body: emptyBody,
    missingBody: 'empty',
    ok: { status: 200, description: 'The checkout with its new SCI keys', schema: checkoutResource },
    handle: ({ deps, principal, params }) => rotateCheckoutSciKeys(deps, principal, params.id!),
  }),
  merchantRoute({
    method: 'post',
    path: '/checkouts/:id/verify',
    tag: 'Checkouts',
    summary: 'Verify the site',
    description:
      'Fetches `verification.file_url` and expects `verification.token` in it; keeps trying on a backoff for 24 hours. ' +
      'Answers `202` while pending, `200` when verified already.',
    body: emptyBody,
    missingBody: 'empty',
    ok: { status: 202, description: 'The checkout, its verification pending', schema: checkoutResource },
    okAlso: [{ status: 200, description: 'The checkout, verified already', schema: checkoutResource }],
    handle: async ({ deps, principal, params }) => {
      const { started, checkout } = await verifySite(deps, principal, params.id!);
      return reply(started ? 202 : 200, checkout);
    },
  }),
];
