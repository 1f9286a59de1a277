import type { z } from 'zod';
import { DomainError } from '../../domain/errors';
import { type ChannelKind, channelKinds } from '../../domain/channel';
import {
  type ChannelInput,
  deleteCheckoutChannel,
  getCheckoutChannel,
  listCheckoutChannels,
  listPaymentDeliveryLog,
  putCheckoutChannel,
  resendToChannel,
} from '../../services/channels';
import {
  channelBodies,
  channelKindSchema,
  channelList,
  channelResource,
  deletedChannel,
  deliveryList,
  resendBody,
  resendResult,
} from '../channel-schemas';
import { merchantRoute, reply } from '../route';

const unknownChannel = (value: string) =>
  new DomainError(
    'not_found',
    'resource_missing',
    `No channel ${value}: channels are ${channelKinds.join(', ')}`,
    'channel',
  );

function kindParam(value: string): ChannelKind {
  const parsed = channelKindSchema.safeParse(value);
  if (!parsed.success) throw unknownChannel(value);
  return parsed.data;
}

type ChannelBody<Kind extends ChannelKind> = z.output<(typeof channelBodies)[Kind]>;

/** A channel's settings as `PUT` parsed them (by `channelBodies[kind]`), in the service's terms. */
function channelInput(kind: ChannelKind, parsed: unknown): ChannelInput {
  switch (kind) {
    case 'email':
      return { kind, body: parsed as ChannelBody<'email'> };
    case 'telegram': {
      const { chat_id, bot_token, ...common } = parsed as ChannelBody<'telegram'>;
      return { kind, body: { ...common, chatId: chat_id, botToken: bot_token } };
    }
    case 'sms': {
      const { content_type, auth_header, auth_value, ...rest } = parsed as ChannelBody<'sms'>;
      return { kind, body: { ...rest, contentType: content_type, authHeader: auth_header, authValue: auth_value } };
    }
  }
}

const channelsDescription =
  'Besides the webhook, a checkout can tell the seller by e-mail (one to ten addresses), Telegram (a bot and a chat) and SMS ' +
  '(any HTTP gateway: URL and body templates, a credential header). Each channel picks its event types; each is delivered in ' +
  'parallel with the webhook and retried on its own schedule. Secrets are write-only and shown masked.';

/** Notification channels besides the webhook, the delivery log and re-sends. */
export const channelRoutes = [
  merchantRoute({
    method: 'get',
    path: '/checkouts/:id/channels',
    tag: 'Notifications',
    summary: "A checkout's notification channels",
    description: channelsDescription,
    ok: { status: 200, description: 'E-mail, Telegram, SMS, those that are set', schema: channelList },
    handle: ({ deps, principal, params }) => listCheckoutChannels(deps, principal, params.id!),
  }),
  merchantRoute({
    method: 'get',
    path: '/checkouts/:id/channels/:channel',
    tag: 'Notifications',
    summary: 'One notification channel',
    ok: { status: 200, description: 'The channel, secrets masked, with its last attempt', schema: channelResource },
    handle: ({ deps, principal, params }) =>
      getCheckoutChannel(deps, principal, params.id!, kindParam(params.channel!)),
  }),
  merchantRoute({
    method: 'put',
    path: '/checkouts/:id/channels/:channel',
    tag: 'Notifications',
    summary: 'Set a notification channel',
    description: `${channelsDescription} The body is the channel's settings; \`201\` when the channel is new.`,
    bodyByParam: {
      param: 'channel',
      bodies: channelBodies,
      summary: (kind) => `Set the ${kind} notification channel`,
      unknown: unknownChannel,
    },
    missingBody: 'empty-documented-required',
    ok: { status: 200, description: 'The channel, secrets masked', schema: channelResource },
    okAlso: [{ status: 201, description: 'The channel, new, secrets masked', schema: channelResource }],
    handle: async ({ deps, principal, params, body }) => {
      const kind = kindParam(params.channel!);
      const { created, channel } = await putCheckoutChannel(deps, principal, params.id!, channelInput(kind, body));
      return reply(created ? 201 : 200, channel);
    },
  }),
  merchantRoute({
    method: 'delete',
    path: '/checkouts/:id/channels/:channel',
    tag: 'Notifications',
    summary: 'Remove a notification channel',
    ok: { status: 200, description: 'Removed', schema: deletedChannel },
    handle: async ({ deps, principal, params }) =>
      deleteCheckoutChannel(deps, principal, params.id!, kindParam(params.channel!)),
  }),
  merchantRoute({
    method: 'get',
    path: '/payments/:id/deliveries',
    tag: 'Notifications',
    summary: "Every delivery attempt of a payment's events, on every channel",
    ok: {
      status: 200,
      description: 'Oldest first: webhook, e-mail, Telegram, SMS, buyer receipt',
      schema: deliveryList,
    },
    handle: ({ deps, principal, params }) => listPaymentDeliveryLog(deps, principal, params.id!),
  }),
  merchantRoute({
    method: 'post',
    path: '/payments/:id/events/:event_id/resend',
    tag: 'Notifications',
    summary: 'Send an event once more to one channel',
    description:
      '`channel`: `webhook`, `email`, `telegram`, `sms` or `buyer_receipt`. One attempt, now; answered with its outcome.',
    body: resendBody,
    missingBody: 'empty-documented-required',
    ok: { status: 200, description: 'The attempt', schema: resendResult },
    handle: ({ deps, principal, params, body }) =>
      resendToChannel(deps, principal, params.id!, params.event_id!, body.channel),
  }),
];
