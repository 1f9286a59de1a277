import { z } from 'zod';
import { inviteToConsole } from '../../services/web-users';
import { operatorRoute } from '../route';
import { email, id, time } from '../schemas';

const inviteOperatorBody = z
  .strictObject({
    email: email.openapi({ example: 'ops@kassa.example' }),
    locale: z
      .enum(['en', 'ru'])
      .optional()
      .openapi({ description: 'The language of the e-mail and the pages; English when absent' }),
  })
  .openapi('InviteOperator');

const operatorInvited = z
  .object({
    id: id('usr'),
    object: z.literal('operator'),
    email: z.string(),
    status: z.enum(['invited', 'active']).openapi({ description: '`invited` until a password is set' }),
    created_at: time,
    last_sign_in_at: time.nullable(),
    console_invite_url: z.string().openapi({
      format: 'uri',
      description:
        'A one-time link (7 days) where the operator sets a password and signs in to the console; also e-mailed',
    }),
  })
  .openapi('OperatorInvited');

/** People who sign in to the operator console (`/admin/console`). */
export const operatorUserRoutes = [
  operatorRoute({
    method: 'post',
    path: '/operators',
    tag: 'Operator',
    summary: 'Invite an operator to the console',
    description:
      'Creates the operator when the address is new; a fresh one-time link replaces any earlier one (for an operator with a password, it sets a new one).',
    body: inviteOperatorBody,
    ok: { status: 201, description: 'The operator and the link, shown this once', schema: operatorInvited },
    handle: ({ deps, body }) => inviteToConsole(deps, { email: body.email, locale: body.locale }),
  }),
];
