import { Router } from 'express';
import { z } from 'zod';
import { channelKinds, deliveryChannels, notificationEventTypes } from '../../notifications/types';
import {
  type ChannelRequest,
  deleteCheckoutChannel,
  getCheckoutChannel,
  listCheckoutChannels,
  listPaymentDeliveryLog,
  putCheckoutChannel,
  resendToChannel,
} from '../../services/channels';
import type { ServiceDeps } from '../../services/deps';
import { principalOf } from '../auth';
import { ApiError } from '../errors';

const events = z
  .array(z.enum(notificationEventTypes))
  .min(1)
  .max(notificationEventTypes.length)
  .optional()
  .describe('Event types sent to the channel; default ["payment.paid"], or what the channel had');
const common = { events, enabled: z.boolean().optional() };

/** The body of `PUT /v1/checkouts/:id/channels/:channel`, per channel. */
const channelBodies = {
  email: z.strictObject({
    ...common,
    to: z.array(z.string().trim().max(320).email('must be an e-mail address such as orders@shop.example')).min(1).max(10),
  }),
  telegram: z.strictObject({
    ...common,
    chat_id: z
      .union([z.string().trim(), z.number().int()])
      .transform(String)
      .pipe(z.string().regex(/^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$/, 'must be a numeric chat id (-100… for groups) or @channelname')),
    bot_token: z
      .string()
      .trim()
      .regex(/^\d{3,20}:[A-Za-z0-9_-]{20,100}$/, 'must be a bot token as BotFather gives it, 123456789:AA…')
      .optional(),
  }),
  sms: z.strictObject({
    ...common,
    to: z.string().trim().regex(/^\+[1-9]\d{6,14}$/, 'must be a phone number in E.164 form, e.g. +79991234567'),
    url: z.string().trim().min(1).max(2048),
    method: z.enum(['POST', 'GET']).optional(),
    content_type: z.enum(['application/json', 'application/x-www-form-urlencoded', 'text/plain']).optional(),
    body: z.string().max(4096).nullable().optional(),
    auth_header: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a header name such as Authorization').optional(),
    auth_value: z.string().min(1).max(1024).nullable().optional(),
  }),
};

const channelKind = z.enum(channelKinds, `must be one of ${channelKinds.join(', ')}`);
const resendBody = z.strictObject({ channel: z.enum(deliveryChannels, `must be one of ${deliveryChannels.join(', ')}`) });

function kindParam(value: string) {
  const parsed = channelKind.safeParse(value);
  if (!parsed.success) throw new ApiError(404, 'not_found_error', 'resource_missing', `No channel ${value}: channels are ${channelKinds.join(', ')}`, 'channel');
  return parsed.data;
}

function channelRequest(kind: (typeof channelKinds)[number], body: unknown): ChannelRequest {
  switch (kind) {
    case 'email':
      return { kind, body: channelBodies.email.parse(body) };
    case 'telegram':
      return { kind, body: channelBodies.telegram.parse(body) };
    case 'sms':
      return { kind, body: channelBodies.sms.parse(body) };
  }
}

/**
 * Notification channels besides the webhook, the delivery log and re-sends. Mounted on `/v1`
 * after the merchant API's router, whose middleware has authenticated the key, counted the rate
 * and taken the `Idempotency-Key`; a request that reaches here without a merchant is refused.
 */
export function channelRoutes(deps: ServiceDeps): Router {
  const router = Router();
  router.use((_req, res, next) => {
    if (!res.locals.principal) return next(new ApiError(401, 'authentication_error', 'unauthorized', 'A valid API key is required: Authorization: Bearer sk_…'));
    next();
  });

  router.get('/checkouts/:id/channels', async (req, res) => {
    res.json(await listCheckoutChannels(deps, principalOf(res), req.params.id));
  });
  router.get('/checkouts/:id/channels/:channel', async (req, res) => {
    res.json(await getCheckoutChannel(deps, principalOf(res), req.params.id, kindParam(req.params.channel)));
  });
  router.put('/checkouts/:id/channels/:channel', async (req, res) => {
    const kind = kindParam(req.params.channel);
    const { created, channel } = await putCheckoutChannel(deps, principalOf(res), req.params.id, channelRequest(kind, req.body ?? {}));
    res.status(created ? 201 : 200).json(channel);
  });
  router.delete('/checkouts/:id/channels/:channel', async (req, res) => {
    res.json(await deleteCheckoutChannel(deps, principalOf(res), req.params.id, kindParam(req.params.channel)));
  });

  router.get('/payments/:id/deliveries', async (req, res) => {
    res.json(await listPaymentDeliveryLog(deps, principalOf(res), req.params.id));
  });
  router.post('/payments/:id/events/:event_id/resend', async (req, res) => {
    const { channel } = resendBody.parse(req.body ?? {});
    res.json(await resendToChannel(deps, principalOf(res), req.params.id, req.params.event_id, channel));
  });
  return router;
}
