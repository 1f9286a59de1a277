/**
 * Notification channels, the delivery log and re-sends as zod schemas: the routes parse with
 * them and the OpenAPI document shows them.
 */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { notificationEventTypes } from '../domain/event-types';
import { channelKinds, deliveryChannels } from '../domain/channel';
import { chars, email, text, time } from './schemas';

extendZodWithOpenApi(z);

const events = z
  .array(z.enum(notificationEventTypes))
  .min(1)
  .max(notificationEventTypes.length)
  .optional()
  .openapi({
    description: 'Event types sent to the channel; default `["payment.paid"]`, or what the channel had',
    example: ['payment.paid'],
  });
const common = { events, enabled: z.boolean().optional().openapi({ description: 'Default true' }) };

/** The body of `PUT /v1/checkouts/:id/channels/:channel`, per channel. */
export const channelBodies = {
  email: z
    .strictObject({
      ...common,
      to: z
        .array(email)
        .min(1)
        .max(10)
        .openapi({ example: ['orders@shop.example'] }),
    })
    .openapi('EmailChannelSettings'),
  telegram: z
    .strictObject({
      ...common,
      chat_id: z
        .union([
          z.string().trim().openapi({ pattern: '^\\s*(-?\\d{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31})\\s*$' }),
          z.number().int().openapi({ minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER }),
        ])
        .transform(String)
        .pipe(
          z
            .string()
            .regex(
              /^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$/,
              'must be a numeric chat id (-100… for groups) or @channelname',
            ),
        )
        .openapi({ example: '-1001234567890' }),
      bot_token: z
        .string()
        .trim()
        .regex(/^\d{3,20}:[A-Za-z0-9_-]{20,100}$/, 'must be a bot token as BotFather gives it, 123456789:AA…')
        .optional()
        .openapi({
          pattern: '^\\s*\\d{3,20}:[A-Za-z0-9_-]{20,100}\\s*$',
          description:
            'Write-only: stored encrypted, shown masked; leave it out to keep the stored one. Required the first time.',
        }),
    })
    .openapi('TelegramChannelSettings'),
  sms: z
    .strictObject({
      ...common,
      to: z
        .string()
        .trim()
        .regex(/^\+[1-9]\d{6,14}$/, 'must be a phone number in E.164 form, e.g. +79991234567')
        .openapi({ pattern: '^\\s*\\+[1-9]\\d{6,14}\\s*$', example: '+79991234567' }),
      url: text(2048).openapi({
        description:
          'The gateway URL; placeholders such as `{to}` and `{text}` are filled in percent-encoded. Filled in, it must be an http(s) URL Kassa may call; ' +
          '`{to}` and `{text}` must each appear in `url` or `body`, and no other placeholder: a `400` naming `url` or `body` otherwise',
        example: 'https://sms.example/send',
      }),
      method: z.enum(['POST', 'GET']).optional().openapi({ description: 'Default POST' }),
      content_type: z
        .enum(['application/json', 'application/x-www-form-urlencoded', 'text/plain'])
        .optional()
        .openapi({ description: 'Of the body; default application/json' }),
      body: chars(4096).nullable().optional().openapi({
        description: 'Body template (POST); placeholders are escaped for the content type',
        example: '{"to":"{to}","text":"{text}"}',
      }),
      auth_header: z
        .string()
        .regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a header name such as Authorization')
        .optional()
        .openapi({ description: 'Default Authorization' }),
      auth_value: chars(1024).min(1).nullable().optional().openapi({
        description:
          'Write-only credential sent in `auth_header`: stored encrypted, shown masked; left out: kept; null: removed',
      }),
    })
    .openapi('SmsChannelSettings'),
};

export const channelKindSchema = z.enum(channelKinds, `must be one of ${channelKinds.join(', ')}`);

export const resendBody = z
  .strictObject({ channel: z.enum(deliveryChannels, `must be one of ${deliveryChannels.join(', ')}`) })
  .openapi('ResendEvent');

const lastAttempt = z
  .object({
    event_id: z.string(),
    attempted_at: time,
    delivered: z.boolean(),
    response: z.string().nullable(),
    error: z.string().nullable(),
  })
  .nullable()
  .openapi({ description: 'The last delivery attempt on this channel, failed ones with the reason' });

export const channelResource = z
  .object({
    object: z.literal('notification_channel'),
    checkout_id: z.string(),
    channel: z.enum(channelKinds),
    enabled: z.boolean(),
    events: z.array(z.string()),
    to: z
      .union([z.array(z.string()), z.string()])
      .optional()
      .openapi({ description: 'E-mail addresses, or the SMS phone number' }),
    chat_id: z.string().optional(),
    bot_token: z
      .string()
      .optional()
      .openapi({ description: 'Masked: `********` and the last four characters', example: '********9bC0' }),
    url: z.string().optional(),
    method: z.string().optional(),
    content_type: z.string().optional(),
    body: z.string().nullable().optional(),
    auth_header: z.string().optional(),
    auth_value: z.string().nullable().optional().openapi({ description: 'Masked, or null when none' }),
    last_attempt: lastAttempt,
    created_at: time,
    updated_at: time,
  })
  .openapi('NotificationChannel');

export const channelList = z
  .object({ object: z.literal('list'), data: z.array(channelResource), has_more: z.boolean() })
  .openapi('NotificationChannelList');

export const deletedChannel = z
  .object({
    object: z.literal('notification_channel'),
    checkout_id: z.string(),
    channel: z.enum(channelKinds),
    deleted: z.literal(true),
  })
  .openapi('DeletedNotificationChannel');

const deliveryAttempt = z
  .object({
    object: z.literal('delivery_attempt'),
    event_id: z.string(),
    event_type: z.string().nullable(),
    channel: z.enum(deliveryChannels),
    attempt: z.number(),
    target: z.string().openapi({ description: 'Whom it was for: the URL, addresses, chat or phone; never a secret' }),
    attempted_at: time,
    delivered: z.boolean(),
    latency_ms: z.number(),
    response: z.string().nullable().openapi({ description: 'What the other side answered: `HTTP 200`, an SMTP reply' }),
    error: z.string().nullable(),
    resend: z.boolean().nullable().openapi({ description: 'Sent by a re-send request (null for webhooks)' }),
  })
  .openapi('DeliveryAttempt');

export const deliveryList = z
  .object({ object: z.literal('list'), payment_id: z.string(), data: z.array(deliveryAttempt), has_more: z.boolean() })
  .openapi('DeliveryLog');

export const resendResult = z
  .object({
    object: z.literal('delivery_attempt'),
    event_id: z.string(),
    event_type: z.string(),
    channel: z.enum(deliveryChannels),
    delivered: z.boolean(),
    attempt: z.number(),
    response: z.string().nullable(),
    error: z.string().nullable(),
    latency_ms: z.number(),
  })
  .openapi('ResendResult');
