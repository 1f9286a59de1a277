/**
 * The OpenAPI 3.1 document of the merchant and operator APIs, generated from the routes' own
 * declarations (`route.ts`): the schemas they parse with and the answers they give, so the two
 * cannot drift apart.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { channelKinds } from '../domain/channel';
import { merchantApi } from './merchant';
import { operatorApi } from './operator';
import type { DocumentedAudience, Route } from './route';
import { errorResponse, id, paymentResource } from './schemas';

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

/** The APIs the document describes, in its order. */
const audiences: readonly DocumentedAudience[] = [operatorApi, merchantApi];

/** One documented operation: a route, or one value of a route whose body depends on a path parameter. */
interface Operation {
  audience: DocumentedAudience;
  route: Route;
  path: string;
  summary: string;
  body?: z.ZodType;
}

function operationsOf(audience: DocumentedAudience, route: Route): Operation[] {
  const path = `${audience.prefix}${route.path.replace(/:(\w+)/g, '{$1}')}`;
  const byParam = route.bodyByParam;
  if (!byParam) return [{ audience, route, path, summary: route.summary, body: route.body }];
  return Object.entries(byParam.bodies).map(([value, body]) => ({
    audience,
    route,
    path: path.replace(`{${byParam.param}}`, value),
    summary: byParam.summary(value),
    body,
  }));
}

const operations = audiences.flatMap((audience) => audience.routes.flatMap((route) => operationsOf(audience, route)));

const errorContent = { 'application/json': { schema: errorResponse } };

/** The routes the document lists, as `METHOD /path/{param}` (for tests). */
export const documentedRoutes = operations.map(({ route, path }) => `${route.method.toUpperCase()} ${path}`);

function routeConfig({ audience, route, path, summary, body }: Operation): RouteConfig {
  const idempotent = audience.idempotent && route.method === 'post';
  const answers = [route.ok, ...(route.okAlso ?? [])];
  return {
    method: route.method,
    path,
    tags: [route.tag],
    summary,
    description: route.description,
    security: [{ [audience.security]: [] }],
    request: {
      params: pathParams(path),
      query: route.query as z.ZodObject | undefined,
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
      body: body && {
        required: route.missingBody === 'refused' || route.missingBody === 'empty-documented-required',
        content: { 'application/json': { schema: body } },
      },
    },
    responses: {
      ...Object.fromEntries(
        answers.map((answer) => [
          answer.status,
          { description: answer.description, content: { 'application/json': { schema: answer.schema } } },
        ]),
      ),
      400: { description: 'Bad input; `param` names the field', content: errorContent },
      401: { description: audience.unauthorized, content: errorContent },
      404: {
        description: 'No such object for this key (another merchant’s, or the other mode’s)',
        content: errorContent,
      },
      ...(route.method !== 'get'
        ? {
            409: {
              description: 'The object’s state does not allow it now, or the same Idempotency-Key is still running',
              content: errorContent,
            },
          }
        : {}),
      ...(body
        ? {
            413: { description: 'The body is larger than 64 KiB', content: errorContent },
            415: { description: 'The body is not sent as `application/json`', content: errorContent },
          }
        : {}),
      ...(idempotent
        ? { 422: { description: 'The Idempotency-Key was used with another body', content: errorContent } }
        : {}),
      429: { description: 'Too many requests; see `Retry-After`', content: errorContent },
    },
  };
}

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

  for (const operation of operations) registry.registerPath(routeConfig(operation));

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
