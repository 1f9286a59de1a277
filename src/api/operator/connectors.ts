import { z } from 'zod';
import {
  createConnector,
  getConnector,
  listConnectors,
  pauseConnector,
  resumeConnector,
  updateConnector,
} from '../../services/connectors';
import { connectorAdapters } from '../../providers/registry';
import { operatorRoute } from '../route';
import { chars, id, text, time } from '../schemas';

const methodCodes = z
  .array(chars(100))
  .min(1, 'must name at least one method')
  .max(50)
  .openapi({
    description: 'Method codes the connector serves, each one its provider can serve',
    example: ['sandbox_card'],
  });
const priority = z
  .number()
  .int('must be a whole number')
  .min(0)
  .max(1_000_000)
  .openapi({ description: 'Lower first among connectors serving a method; default 100', example: 100 });
const credentials = z.record(z.string(), z.unknown()).openapi({
  description:
    "The provider's credentials, checked by its adapter (a problem names `credentials.<field>`); write-only: answers show them masked",
  example: { base_url: 'http://127.0.0.1:4100', api_key: 'sandbox_live_key', webhook_secret: 'whsec_…' },
});

const createConnectorBody = z
  .strictObject({
    provider: chars(100).openapi({
      description: `The provider, one Kassa has an adapter for: ${Object.keys(connectorAdapters)
        .map((name) => `\`${name}\``)
        .join(', ')}`,
      example: 'sandbox',
    }),
    mode: z.enum(['test', 'live']).openapi({ description: 'Test connectors serve test-mode payments only' }),
    credentials,
    methods: methodCodes.optional(),
    priority: priority.optional(),
  })
  .openapi('CreateConnector');

const updateConnectorBody = z
  .strictObject({
    methods: methodCodes.optional(),
    priority: priority.optional(),
    credentials: credentials.optional().openapi({ description: 'Replaces the credentials whole' }),
  })
  .openapi('UpdateConnector');

const operatorActionBody = z
  .strictObject({ operator: text(200).optional().openapi({ description: 'Who did it, for the record' }) })
  .openapi('ConnectorAction');

const connectorResource = z
  .object({
    id: id('conn'),
    object: z.literal('connector'),
    provider: z.string(),
    mode: z.enum(['test', 'live']),
    methods: z.array(z.string()),
    priority: z.number().int(),
    status: z.enum(['active', 'paused']),
    paused_reason: z.enum(['operator', 'circuit_breaker']).nullable(),
    paused_at: time.nullable(),
    paused_by: z.string().nullable(),
    credentials: z
      .record(z.string(), z.string())
      .openapi({ description: 'Every field given, secret ones masked (`********` and their last four characters)' }),
    created_at: time,
    updated_at: time,
  })
  .openapi('Connector');

const connectorList = z
  .object({ object: z.literal('list'), data: z.array(connectorResource) })
  .openapi('ConnectorList');

/** Connectors: the operator's accounts at payment providers (docs/operations.md). */
export const connectorRoutes = [
  operatorRoute({
    method: 'post',
    path: '/connectors',
    tag: 'Operator',
    summary: 'Add a connector',
    description:
      'An account at a payment provider: its credentials (sealed at rest, never shown again), mode, methods (all its provider serves when omitted) and priority. Active at once.',
    body: createConnectorBody,
    ok: { status: 201, description: 'The connector, credentials masked', schema: connectorResource },
    handle: ({ deps, body }) => createConnector(deps, body),
  }),
  operatorRoute({
    method: 'get',
    path: '/connectors',
    tag: 'Operator',
    summary: 'Every connector',
    ok: { status: 200, description: 'By mode and priority, paused ones included', schema: connectorList },
    handle: ({ deps }) => listConnectors(deps),
  }),
  operatorRoute({
    method: 'get',
    path: '/connectors/:id',
    tag: 'Operator',
    summary: 'A connector',
    ok: { status: 200, description: 'The connector, credentials masked', schema: connectorResource },
    handle: ({ deps, params }) => getConnector(deps, params.id!),
  }),
  operatorRoute({
    method: 'patch',
    path: '/connectors/:id',
    tag: 'Operator',
    summary: "Change a connector's methods, priority or credentials",
    body: updateConnectorBody,
    ok: { status: 200, description: 'The connector, credentials masked', schema: connectorResource },
    handle: ({ deps, params, body }) => updateConnector(deps, params.id!, body),
  }),
  operatorRoute({
    method: 'post',
    path: '/connectors/:id/pause',
    tag: 'Operator',
    summary: 'Pause a connector',
    description:
      'Its methods vanish from new payments; payments waiting at it stop asking it and wait, as do its refunds and payouts.',
    body: operatorActionBody,
    missingBody: 'empty',
    ok: { status: 200, description: 'The paused connector', schema: connectorResource },
    handle: ({ deps, params, body }) => pauseConnector(deps, params.id!, body),
  }),
  operatorRoute({
    method: 'post',
    path: '/connectors/:id/resume',
    tag: 'Operator',
    summary: 'Resume a connector',
    description: 'Its methods are offered again and payments parked at it continue from where they were.',
    body: operatorActionBody,
    missingBody: 'empty',
    ok: { status: 200, description: 'The active connector', schema: connectorResource },
    handle: ({ deps, params, body }) => resumeConnector(deps, params.id!, body),
  }),
];
