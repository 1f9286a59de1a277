/**
 * The OpenAPI 3.1 document of the merchant and operator APIs, built from the zod schemas the
 * routes parse with (`schemas.ts`), so the two cannot drift apart.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  apiKeyList,
  apiKeyResource,
  checkoutResource,
  checkoutWithSecretResource,
  createCheckoutBody,
  createdMerchantResource,
  createMerchantBody,
  createPaymentBody,
  emptyBody,
  errorResponse,
  id,
  eventList,
  issuedApiKeyResource,
  issueKeyBody,
  listPaymentsQuery,
  merchantResource,
  methodQuoteList,
  methodsQuery,
  paymentList,
  paymentResource,
  rotatedApiKeyResource,
  updateCheckoutBody,
  updatePricingBody,
} from './schemas';
import { createRefundBody, moneyEndpoints, runReconciliationBody } from './money-schemas';
import { channelKinds } from '../notifications/types';
import { channelEndpoints } from './channel-schemas';
import { exceptionEndpoints } from './exception-schemas';

const overview = `
Kassa is a self-hosted payment gateway. A shop creates a **checkout** (its "касса"), then a **payment** per order, and sends
the buyer to the payment's \`checkout_url\`; Kassa notifies the shop with a signed webhook when the payment is decided.

**Authentication.** The merchant API takes \`Authorization: Bearer sk_test_…\` (test mode: sandbox methods only, no real money)
or \`sk_live_…\`. What a test key creates a live key cannot see, and the other way round. The operator API (\`/admin\`) takes
\`Authorization: Bearer <ADMIN_TOKEN>\`. Keys are shown once and stored only as hashes; a revoked key is refused at once.

**Money** is a decimal string in major units with no more decimals than the currency allows (\`"50.00"\` RUB, \`"500"\` JPY).

**Errors** are \`{"error":{"type","code","message","param"}}\`; \`param\` names the field at fault. An unknown field in a body is a
\`400\` (\`parameter_unknown\`), and so is an unknown query parameter where an operation takes query parameters. Lengths count
characters (Unicode code points). A NUL character, or a card-like number (12–19 digits passing the Luhn check) in merchant- or
buyer-supplied text, is a \`400\` naming the field. A method a path does not take is a \`405\` with \`Allow\` (\`OPTIONS\` answers
\`204\` with \`Allow\`). Bodies are limited to 64 KiB and 20 levels of nesting. Each key may make a limited number of
requests a minute; beyond it, \`429\` with \`Retry-After\` (seconds).

**Idempotency.** Every \`POST\` of the merchant API accepts \`Idempotency-Key\` (1–255 characters, kept 24 h, per merchant and
mode): the same key and body replay the first answer (header \`idempotent-replayed: true\`); the same key with another body is
\`422\`; while the first request still runs, \`409\`. A \`400\` is not stored: fix the request and retry with the same key.

**Fees.** Each method of a checkout has a commission: a percentage (rounded half-up to the minor unit) plus an optional fixed
part per currency, set by the operator (3 % by default). \`fee_payer\` says who bears it: \`"merchant"\` (the buyer pays the amount),
\`"buyer"\` (the buyer pays amount + fee) or \`{"type":"split","buyer_percent":N}\` (the buyer pays N % of the fee, rounded half-up,
the merchant the rest). \`GET /v1/checkouts/{id}/methods?amount=&currency=\` shows what a buyer would see and what each method costs.

**Methods and display rules.** \`methods\` lists the methods a checkout enables, in display order, each optionally limited to
some \`currencies\` and to a \`min_amount\`/\`max_amount\` per currency. Leave it out (or \`null\`) to enable every method of the mode.

**Site verification.** Live payments need a verified checkout. Serve the checkout's \`verification.token\` as the content of
\`verification.file_url\` (\`https://your.site/.well-known/kassa-verification.txt\`), then \`POST /v1/checkouts/{id}/verify\`:
Kassa fetches it at once and keeps trying for 24 hours; \`verification.status\` and \`last_error\` show how it goes. Changing
\`site_url\` needs a new verification. Test mode needs none.

**URLs** you give Kassa must be http(s), without credentials, and (outside development) must not point to loopback, private or
link-local addresses; webhooks are refused at delivery if the name resolves to one.

**Webhooks** (see *Webhooks* below) follow Standard Webhooks: \`webhook-id\`, \`webhook-timestamp\`, and \`webhook-signature\` =
\`v1,\` + base64 HMAC-SHA256 over \`{webhook-id}.{webhook-timestamp}.{raw body}\`, keyed with the base64-decoded part of the
checkout's \`whsec_…\` secret. \`POST /v1/checkouts/{id}/rotate_secret\` issues a new secret; for 24 hours both sign, so the
header then carries two space-separated \`v1,\` entries: accept the message if either matches. Any \`2xx\` is delivered; anything
else is retried with backoff for at least 3 days.
`.trim();

type Api = 'merchant' | 'operator';

interface Answer {
  status: number;
  description: string;
  schema: z.ZodType;
}

interface Endpoint {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  path: string;
  api: Api;
  tag: string;
  summary: string;
  description?: string;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** The route takes a missing body as `{}`. */
  bodyOptional?: boolean;
  ok: Answer;
  okAlso?: readonly Answer[];
}

const operatorActionResult = z.record(z.string(), z.unknown()).openapi('OperatorActionResult');
/** Operator actions read no body: any JSON is taken and ignored. */
const ignoredBody = z
  .union([z.record(z.string(), z.unknown()), z.array(z.unknown())])
  .openapi('IgnoredBody', { description: 'Ignored: any JSON object or array, or none' });

/** The id a path segment names, by the collection before it (`/payments/{id}` is a `pay_` id). */
const idPrefixes: Record<string, string> = {
  merchants: 'mer',
  checkouts: 'co',
  payments: 'pay',
  refunds: 're',
  payouts: 'po',
  keys: 'key',
  events: 'evt',
};

const pathParams = (path: string) => {
  const names = [...path.matchAll(/([\w-]+)\/\{(\w+)\}/g)].map((match) => [match[2]!, idPrefixes[match[1]!]] as const);
  if (names.length === 0) return undefined;
  return z.object(
    Object.fromEntries(
      names.map(([name, prefix]) => [
        name,
        prefix
          ? id(prefix).openapi({ description: `A \`${prefix}_\` id; any other value is a \`404\`` })
          : name === 'channel'
            ? z.enum(channelKinds).openapi({ description: 'Any other value is a `404`' })
            : z.string(),
      ]),
    ),
  );
};

const endpoints: Endpoint[] = [
  {
    method: 'post',
    path: '/admin/merchants',
    api: 'operator',
    tag: 'Operator',
    summary: 'Create a merchant with a test and a live key',
    body: createMerchantBody,
    ok: { status: 201, description: 'The merchant; its keys are shown this once', schema: createdMerchantResource },
  },
  {
    method: 'get',
    path: '/admin/merchants/{id}',
    api: 'operator',
    tag: 'Operator',
    summary: 'A merchant',
    ok: { status: 200, description: 'The merchant', schema: merchantResource },
  },
  {
    method: 'get',
    path: '/admin/merchants/{id}/keys',
    api: 'operator',
    tag: 'Operator',
    summary: "A merchant's API keys (prefixes only)",
    ok: { status: 200, description: 'Newest first, revoked ones included', schema: apiKeyList },
  },
  {
    method: 'post',
    path: '/admin/merchants/{id}/keys',
    api: 'operator',
    tag: 'Operator',
    summary: 'Issue an API key',
    body: issueKeyBody,
    ok: { status: 201, description: 'The key; `secret` is shown this once', schema: issuedApiKeyResource },
  },
  {
    method: 'post',
    path: '/admin/merchants/{id}/keys/{key_id}/rotate',
    api: 'operator',
    tag: 'Operator',
    summary: 'Rotate an API key',
    description: 'Revokes the key at once and issues a replacement in the same mode.',
    body: emptyBody,
    ok: {
      status: 201,
      description: 'The revoked key and its replacement, whose `secret` is shown this once',
      schema: rotatedApiKeyResource,
    },
  },
  {
    method: 'post',
    path: '/admin/merchants/{id}/keys/{key_id}/revoke',
    api: 'operator',
    tag: 'Operator',
    summary: 'Revoke an API key',
    description: 'The next request made with the key is answered `401`.',
    body: emptyBody,
    ok: { status: 200, description: 'The revoked key', schema: apiKeyResource },
  },
  {
    method: 'get',
    path: '/admin/keys/{key_id}',
    api: 'operator',
    tag: 'Operator',
    summary: 'An API key by its id',
    ok: { status: 200, description: 'The key (prefix only)', schema: apiKeyResource },
  },
  {
    method: 'patch',
    path: '/admin/checkouts/{id}',
    api: 'operator',
    tag: 'Operator',
    summary: "Set a checkout's commissions",
    body: updatePricingBody,
    ok: { status: 200, description: 'The checkout', schema: checkoutResource },
  },
  {
    method: 'get',
    path: '/admin/payments/{id}',
    api: 'operator',
    tag: 'Operator',
    summary: 'Inspect any payment: its row, workflow and attempts',
    ok: { status: 200, description: 'See docs/operations.md', schema: operatorActionResult },
  },
  {
    method: 'post',
    path: '/admin/payments/{id}/cancel',
    api: 'operator',
    tag: 'Operator',
    summary: 'Cancel any open payment',
    body: ignoredBody,
    ok: { status: 200, description: 'See docs/operations.md', schema: operatorActionResult },
  },
  {
    method: 'post',
    path: '/admin/payments/{id}/events/{event_id}/resend',
    api: 'operator',
    tag: 'Operator',
    summary: 'Deliver a webhook event again',
    body: ignoredBody,
    ok: { status: 200, description: 'See docs/operations.md', schema: operatorActionResult },
  },
  {
    method: 'post',
    path: '/admin/payments/{id}/recheck',
    api: 'operator',
    tag: 'Operator',
    summary: "Ask the provider about a payment's current attempt",
    body: ignoredBody,
    ok: { status: 202, description: 'See docs/operations.md', schema: operatorActionResult },
  },

  {
    method: 'post',
    path: '/v1/checkouts',
    api: 'merchant',
    tag: 'Checkouts',
    summary: 'Create a checkout',
    body: createCheckoutBody,
    ok: {
      status: 201,
      description: 'The checkout with its webhook secret, shown this once',
      schema: checkoutWithSecretResource,
    },
  },
  {
    method: 'get',
    path: '/v1/checkouts/{id}',
    api: 'merchant',
    tag: 'Checkouts',
    summary: 'A checkout',
    ok: { status: 200, description: 'The checkout', schema: checkoutResource },
  },
  {
    method: 'patch',
    path: '/v1/checkouts/{id}',
    api: 'merchant',
    tag: 'Checkouts',
    summary: 'Change a checkout',
    description:
      'Only the fields given change. `methods` replaces the whole list. A new `site_url` must be verified again.',
    body: updateCheckoutBody,
    ok: { status: 200, description: 'The checkout', schema: checkoutResource },
  },
  {
    method: 'get',
    path: '/v1/checkouts/{id}/methods',
    api: 'merchant',
    tag: 'Checkouts',
    summary: 'What a buyer would see',
    description:
      'The methods shown for this amount and currency (display conditions applied), each with its fee and who pays what.',
    query: methodsQuery,
    ok: { status: 200, description: 'The methods, in display order', schema: methodQuoteList },
  },
  {
    method: 'post',
    path: '/v1/checkouts/{id}/rotate_secret',
    api: 'merchant',
    tag: 'Checkouts',
    summary: 'Rotate the webhook secret',
    description:
      'A new `whsec_` secret, shown this once. For 24 hours webhooks are signed with both the new and the old secret.',
    body: emptyBody,
    ok: { status: 200, description: 'The checkout with its new secret', schema: checkoutWithSecretResource },
  },
  {
    method: 'post',
    path: '/v1/checkouts/{id}/verify',
    api: 'merchant',
    tag: 'Checkouts',
    summary: 'Verify the site',
    description:
      'Fetches `verification.file_url` and expects `verification.token` in it; keeps trying on a backoff for 24 hours. ' +
      'Answers `202` while pending, `200` when verified already.',
    body: emptyBody,
    ok: { status: 202, description: 'The checkout, its verification pending', schema: checkoutResource },
    okAlso: [{ status: 200, description: 'The checkout, verified already', schema: checkoutResource }],
  },

  {
    method: 'post',
    path: '/v1/payments',
    api: 'merchant',
    tag: 'Payments',
    summary: 'Create a payment',
    description: 'Live payments need a checkout whose site is verified.',
    body: createPaymentBody,
    ok: { status: 201, description: 'The payment; send the buyer to `checkout_url`', schema: paymentResource },
  },
  {
    method: 'get',
    path: '/v1/payments',
    api: 'merchant',
    tag: 'Payments',
    summary: 'List payments, newest first',
    query: listPaymentsQuery,
    ok: { status: 200, description: 'A page of payments', schema: paymentList },
  },
  {
    method: 'get',
    path: '/v1/payments/{id}',
    api: 'merchant',
    tag: 'Payments',
    summary: 'A payment',
    ok: { status: 200, description: 'The payment', schema: paymentResource },
  },
  {
    method: 'post',
    path: '/v1/payments/{id}/cancel',
    api: 'merchant',
    tag: 'Payments',
    summary: 'Cancel a payment before it is paid',
    body: emptyBody,
    ok: { status: 200, description: 'The canceled payment', schema: paymentResource },
  },
  {
    method: 'get',
    path: '/v1/payments/{id}/events',
    api: 'merchant',
    tag: 'Payments',
    summary: "A payment's webhook events and delivery attempts",
    ok: { status: 200, description: 'Oldest first', schema: eventList },
  },
  ...moneyEndpoints,
  ...exceptionEndpoints,
  ...channelEndpoints,
];

const errorContent = { 'application/json': { schema: errorResponse } };

/** Routes that parse `req.body ?? {}`: no body is the same as `{}`. */
const optionalBodies = new Set<z.ZodType>([emptyBody, ignoredBody, createRefundBody, runReconciliationBody]);

/** The routes the document lists, as `METHOD /path/{param}` (for tests). */
export const documentedRoutes = endpoints.map((endpoint) => `${endpoint.method.toUpperCase()} ${endpoint.path}`);

export function openApiDocument(publicUrl: string) {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'A merchant API key: `sk_test_…` or `sk_live_…`',
  });
  registry.registerComponent('securitySchemes', 'operatorToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'The operator token (`ADMIN_TOKEN`)',
  });

  for (const endpoint of endpoints) {
    const idempotent = endpoint.api === 'merchant' && endpoint.method === 'post';
    const route: RouteConfig = {
      method: endpoint.method,
      path: endpoint.path,
      tags: [endpoint.tag],
      summary: endpoint.summary,
      description: endpoint.description,
      security: [{ [endpoint.api === 'merchant' ? 'apiKey' : 'operatorToken']: [] }],
      request: {
        params: pathParams(endpoint.path),
        query: endpoint.query,
        headers: idempotent
          ? z.object({
              'Idempotency-Key': z
                .string()
                .min(1)
                .max(255)
                .optional()
                .openapi({ description: 'Makes retries safe: see the overview' }),
            })
          : undefined,
        body: endpoint.body && {
          required: !(endpoint.bodyOptional ?? optionalBodies.has(endpoint.body)),
          content: { 'application/json': { schema: endpoint.body } },
        },
      },
      responses: {
        ...Object.fromEntries(
          [endpoint.ok, ...(endpoint.okAlso ?? [])].map((answer) => [
            answer.status,
            { description: answer.description, content: { 'application/json': { schema: answer.schema } } },
          ]),
        ),
        400: { description: 'Bad input; `param` names the field', content: errorContent },
        401: {
          description:
            endpoint.api === 'merchant' ? 'Missing, unknown or revoked key' : 'Missing or wrong operator token',
          content: errorContent,
        },
        404: {
          description: 'No such object for this key (another merchant’s, or the other mode’s)',
          content: errorContent,
        },
        ...(endpoint.method !== 'get'
          ? {
              409: {
                description: 'The object’s state does not allow it now, or the same Idempotency-Key is still running',
                content: errorContent,
              },
            }
          : {}),
        ...(endpoint.body ? { 413: { description: 'The body is larger than 64 KiB', content: errorContent } } : {}),
        ...(idempotent
          ? { 422: { description: 'The Idempotency-Key was used with another body', content: errorContent } }
          : {}),
        429: { description: 'Too many requests; see `Retry-After`', content: errorContent },
      },
    };
    registry.registerPath(route);
  }

  registry.registerWebhook({
    method: 'post',
    path: 'payment-event',
    tags: ['Webhooks'],
    summary: 'A payment event, POSTed to the checkout’s notify_url',
    description:
      'Types: `payment.paid`, `payment.failed`, `payment.expired`, `payment.canceled`, `payment.refunded`, …',
    request: {
      headers: z.object({
        'webhook-id': z.string().openapi({ example: 'evt_…' }),
        'webhook-timestamp': z.string().openapi({ example: '1767225600' }),
        'webhook-signature': z.string().openapi({ example: 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4= v1,…' }),
      }),
      body: {
        content: {
          'application/json': {
            schema: z
              .object({ id: z.string(), type: z.string(), created_at: z.string(), data: paymentResource })
              .openapi('PaymentEvent'),
          },
        },
      },
    },
    responses: { 200: { description: 'Any 2xx marks the event delivered' } },
  });

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: 'Kassa API', version: '1', description: overview },
    servers: [{ url: publicUrl }],
    tags: [
      {
        name: 'Checkouts',
        description: "The shop's checkout (касса): URLs, currencies, methods, fee payer, webhook secret",
      },
      { name: 'Payments', description: 'Invoices the buyer pays on the hosted page' },
      { name: 'Operator', description: 'Merchants, API keys and commissions (operator token)' },
    ],
  });
}
