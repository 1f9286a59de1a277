import { Router } from 'express';
import { channelKinds } from '../../notifications/types';
import {
  type ChannelInput,
  deleteCheckoutChannel,
  getCheckoutChannel,
  listCheckoutChannels,
  listPaymentDeliveryLog,
  putCheckoutChannel,
  resendToChannel,
} from '../../services/channels';
import type { ServiceDeps } from '../../services/deps';
import { principalOf } from '../auth';
import { channelBodies, channelKindSchema, resendBody } from '../channel-schemas';
import { ApiError } from '../errors';

function kindParam(value: string) {
  const parsed = channelKindSchema.safeParse(value);
  if (!parsed.success)
    throw new ApiError(
      404,
      'not_found_error',
      'resource_missing',
      `No channel ${value}: channels are ${channelKinds.join(', ')}`,
      'channel',
    );
  return parsed.data;
}

function channelRequest(kind: (typeof channelKinds)[number], body: unknown): ChannelInput {
  switch (kind) {
    case 'email':
      return { kind, body: channelBodies.email.parse(body) };
    case 'telegram': {
      const { chat_id, bot_token, ...common } = channelBodies.telegram.parse(body);
      return { kind, body: { ...common, chatId: chat_id, botToken: bot_token } };
    }
    case 'sms': {
      const { content_type, auth_header, auth_value, ...rest } = channelBodies.sms.parse(body);
      return { kind, body: { ...rest, contentType: content_type, authHeader: auth_header, authValue: auth_value } };
    }
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
    if (!res.locals.principal)
      return next(
        new ApiError(
          401,
          'authentication_error',
          'unauthorized',
          'A valid API key is required: Authorization: Bearer sk_…',
        ),
      );
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
    const { created, channel } = await putCheckoutChannel(
      deps,
      principalOf(res),
      req.params.id,
      channelRequest(kind, req.body ?? {}),
    );
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
