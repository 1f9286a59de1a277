import type { Pool } from 'pg';
import type {
  ChannelKind,
  ChannelSettings,
  DeliveryAttempt,
  EmailSettings,
  NotificationChannel,
  RecordedAttempt,
  SmsSettings,
  StoredChannel,
  TelegramSettings,
} from '../domain/channel';
import type { NotificationEventType } from '../domain/event-types';
import type { PaymentSci, SciHttpMethod, SciSignAlgorithm, SciTarget } from '../domain/interkassa';

interface ChannelRow {
  checkout_id: string;
  kind: ChannelKind;
  enabled: boolean;
  events: NotificationEventType[];
  settings: Record<string, unknown>;
  secret: string | null;
  secret_hint: string | null;
  created_at: Date;
  updated_at: Date;
}

interface DeliveryRow {
  event_id: string;
  checkout_id: string;
  channel: NotificationChannel;
  attempt: number;
  target: string;
  attempted_at: Date;
  latency_ms: number;
  delivered: boolean;
  response: string | null;
  error: string | null;
  resend: boolean;
}

const mapRow = (row: ChannelRow): StoredChannel => {
  const common = {
    checkoutId: row.checkout_id,
    enabled: row.enabled,
    events: row.events,
    secret: row.secret,
    secretHint: row.secret_hint,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  switch (row.kind) {
    case 'email':
      return { ...common, kind: 'email', settings: row.settings as unknown as EmailSettings };
    case 'telegram':
      return { ...common, kind: 'telegram', settings: row.settings as unknown as TelegramSettings };
    case 'sms':
      return { ...common, kind: 'sms', settings: row.settings as unknown as SmsSettings };
  }
};

const mapDelivery = (row: DeliveryRow): RecordedAttempt => ({
  eventId: row.event_id,
  checkoutId: row.checkout_id,
  channel: row.channel,
  attempt: row.attempt,
  target: row.target,
  attemptedAt: row.attempted_at,
  latencyMs: row.latency_ms,
  delivered: row.delivered,
  response: row.response,
  error: row.error,
  resend: row.resend,
});

export async function listChannels(db: Pool, checkoutId: string): Promise<StoredChannel[]> {
  const { rows } = await db.query<ChannelRow>(
    `select * from notification_channels where checkout_id = $1
     order by array_position(array['email', 'telegram', 'sms'], kind)`,
    [checkoutId],
  );
  return rows.map(mapRow);
}

/** Whether any of these checkouts has a notification channel set up (enabled or not). */
export async function anyChannelOf(db: Pool, checkoutIds: readonly string[]): Promise<boolean> {
  if (checkoutIds.length === 0) return false;
  const { rows } = await db.query<{ found: boolean }>(
    'select exists (select 1 from notification_channels where checkout_id = any($1)) as found',
    [checkoutIds],
  );
  return rows[0]!.found;
}

export async function findChannel(db: Pool, checkoutId: string, kind: ChannelKind): Promise<StoredChannel | null> {
  const { rows } = await db.query<ChannelRow>(
    'select * from notification_channels where checkout_id = $1 and kind = $2',
    [checkoutId, kind],
  );
  return rows[0] ? mapRow(rows[0]) : null;
}

/** Creates or replaces a checkout's channel of one kind. */
export async function upsertChannel(
  db: Pool,
  channel: ChannelSettings & {
    checkoutId: string;
    enabled: boolean;
    events: NotificationEventType[];
    secret: string | null;
    secretHint: string | null;
  },
): Promise<StoredChannel> {
  const { rows } = await db.query<ChannelRow>(
    `insert into notification_channels (checkout_id, kind, enabled, events, settings, secret, secret_hint)
     values ($1, $2, $3, $4, $5, $6, $7)
     on conflict (checkout_id, kind) do update set enabled = excluded.enabled, events = excluded.events,
       settings = excluded.settings, secret = excluded.secret, secret_hint = excluded.secret_hint, updated_at = now()
     returning *`,
    [
      channel.checkoutId,
      channel.kind,
      channel.enabled,
      channel.events,
      JSON.stringify(channel.settings),
      channel.secret,
      channel.secretHint,
    ],
  );
  return mapRow(rows[0]!);
}

export async function deleteChannel(db: Pool, checkoutId: string, kind: ChannelKind): Promise<boolean> {
  const { rowCount } = await db.query('delete from notification_channels where checkout_id = $1 and kind = $2', [
    checkoutId,
    kind,
  ]);
  return (rowCount ?? 0) > 0;
}

/** The enabled channels of checkout `checkout` (an SQL expression) that want events of type `eventType` (one too), in order. */
const wantingSql = (checkout: string, eventType: string) =>
  `select kind from notification_channels where checkout_id = ${checkout} and enabled and ${eventType} = any(events)
     order by array_position(array['email', 'telegram', 'sms'], kind)`;

/** The enabled channels of a checkout that want events of `eventType`. */
export async function channelsWanting(db: Pool, checkoutId: string, eventType: string): Promise<ChannelKind[]> {
  const { rows } = await db.query<{ kind: ChannelKind }>(wantingSql('$1', '$2'), [checkoutId, eventType]);
  return rows.map((row) => row.kind);
}

/** What a payment event's channel plan is made of, read with the payment in one statement. */
export interface ChannelFacts {
  /** The enabled channels that want the event's type. */
  wanting: ChannelKind[];
  buyerEmail: string | null;
  /** Where the payment's interaction goes; null for a payment made through the API or without an interaction URL. */
  interactionTarget: SciTarget | null;
}

/**
 * The select-list columns of {@link ChannelFacts} for the payment row `payment` (an alias in the
 * caller's statement) and the event type in `eventType` (an SQL expression); {@link channelFactsOf}
 * reads them back.
 */
export const channelFactsColumns = (payment: string, eventType: string) =>
  `array(${wantingSql(`${payment}.checkout_id`, eventType)}) as channel_kinds,
   ${payment}.buyer_email as channel_buyer_email, ${payment}.sci as channel_sci,
   (select c.sci_settings from checkouts c where c.id = ${payment}.checkout_id) as channel_sci_settings`;

export const channelFactsOf = (row: {
  channel_kinds: ChannelKind[];
  channel_buyer_email: string | null;
  channel_sci: PaymentSci | null;
  channel_sci_settings: InteractionRow['sci_settings'];
}): ChannelFacts => ({
  wanting: row.channel_kinds,
  buyerEmail: row.channel_buyer_email,
  interactionTarget: row.channel_sci ? interactionTargetOf(row.channel_sci, row.channel_sci_settings) : null,
});

/** Records an attempt as the next of its event and channel; answers its number. */
export async function recordDelivery(db: Pool, attempt: DeliveryAttempt): Promise<number> {
  for (let tries = 0; ; tries += 1) {
    try {
      const { rows } = await db.query<{ attempt: number }>(
        `insert into notification_deliveries (event_id, checkout_id, channel, attempt, target, attempted_at, latency_ms, delivered, response, error, resend)
         select $1, $2, $3, coalesce(max(attempt), 0) + 1, $4, $5, $6, $7, $8, $9, $10
           from notification_deliveries where event_id = $1 and channel = $3
         returning attempt`,
        [
          attempt.eventId,
          attempt.checkoutId,
          attempt.channel,
          attempt.target,
          attempt.attemptedAt,
          attempt.latencyMs,
          attempt.delivered,
          attempt.response,
          attempt.error,
          attempt.resend,
        ],
      );
      return rows[0]!.attempt;
    } catch (error) {
      // Two attempts of one event and channel recorded at once (a resend during a retry): number the later one next.
      if ((error as { code?: string }).code !== '23505' || tries >= 3) throw error;
    }
  }
}

/** Whether an event already reached the channel (a retry after a lost completion sends nothing again). */
export async function wasDelivered(db: Pool, eventId: string, channel: NotificationChannel): Promise<boolean> {
  const { rows } = await db.query(
    'select 1 from notification_deliveries where event_id = $1 and channel = $2 and delivered limit 1',
    [eventId, channel],
  );
  return rows.length > 0;
}

/** Every channel attempt for a payment's events, oldest first. */
export async function listPaymentDeliveries(db: Pool, paymentId: string): Promise<RecordedAttempt[]> {
  const { rows } = await db.query<DeliveryRow>(
    `select d.* from notification_deliveries d join payment_events e on e.id = d.event_id
     where e.payment_id = $1 order by d.attempted_at, d.id`,
    [paymentId],
  );
  return rows.map(mapDelivery);
}

/** The last attempt on each of a checkout's channels. */
export async function lastAttempts(db: Pool, checkoutId: string): Promise<Map<NotificationChannel, RecordedAttempt>> {
  const { rows } = await db.query<DeliveryRow>(
    `select distinct on (channel) * from notification_deliveries where checkout_id = $1
     order by channel, attempted_at desc, id desc`,
    [checkoutId],
  );
  return new Map(rows.map((row) => [row.channel, mapDelivery(row)]));
}

/** The buyer's e-mail (null when the shop gave none) and the language they paid in, for the receipt. */
export async function buyerContactOf(
  db: Pool,
  paymentId: string,
): Promise<{ email: string | null; locale: string | null }> {
  const { rows } = await db.query<{ buyer_email: string | null; locale: string | null }>(
    'select buyer_email, locale from payments where id = $1',
    [paymentId],
  );
  return { email: rows[0]?.buyer_email ?? null, locale: rows[0]?.locale ?? null };
}

/** What an interaction needs of an SCI-made payment and its checkout; the keys still sealed. */
export interface InteractionSource {
  checkoutId: string;
  sci: PaymentSci;
  providerPaymentId: string | null;
  createdAt: Date;
  signAlgorithm: SciSignAlgorithm;
  /** The payment's own `ik_ia_u` (kept only under `url_override`), else the checkout's interaction URL. */
  target: SciTarget | null;
  sealedSecretKey: string | null;
  sealedTestKey: string | null;
}

interface InteractionRow {
  checkout_id: string;
  sci: PaymentSci;
  provider_payment_id: string | null;
  created_at: Date;
  /** As the checkouts repository stores them. */
  sci_settings: {
    sign_algorithm: SciSignAlgorithm;
    interaction_url: string | null;
    interaction_method: SciHttpMethod;
  } | null;
  sci_secret_key: string | null;
  sci_test_key: string | null;
}

/** The payment's own `ik_ia_u` (kept only under `url_override`), else the checkout's interaction URL. */
const interactionTargetOf = (sci: PaymentSci, settings: InteractionRow['sci_settings']): SciTarget | null =>
  sci.urls?.interaction ??
  (settings?.interaction_url ? { url: settings.interaction_url, method: settings.interaction_method } : null);

/** The interaction source of a payment made through the SCI form; null for a payment made through the API. */
export async function interactionSourceOf(db: Pool, paymentId: string): Promise<InteractionSource | null> {
  const { rows } = await db.query<InteractionRow>(
    `select p.checkout_id, p.sci, p.provider_payment_id, p.created_at, c.sci_settings, c.sci_secret_key, c.sci_test_key
       from payments p join checkouts c on c.id = p.checkout_id
      where p.id = $1 and p.sci is not null`,
    [paymentId],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    checkoutId: row.checkout_id,
    sci: row.sci,
    providerPaymentId: row.provider_payment_id,
    createdAt: row.created_at,
    signAlgorithm: row.sci_settings?.sign_algorithm ?? 'md5',
    target: interactionTargetOf(row.sci, row.sci_settings),
    sealedSecretKey: row.sci_secret_key,
    sealedTestKey: row.sci_test_key,
  };
}
