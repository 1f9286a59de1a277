import type { Pool } from 'pg';
import {
  decryptSecret,
  decryptWithKeys,
  encryptSecret,
  SecretUnreadableError,
  secretOwner,
} from '../notifications/secrets';
import { sciKeyOwner, webhookSecretOwner } from './checkouts';

/**
 * After `NOTIFICATIONS_KEY` changes: every secret still sealed with a key it replaced
 * (`NOTIFICATIONS_KEY_PREVIOUS`) is sealed again with the current one — checkouts' webhook
 * secrets (current and previous), their SCI keys, and notification channels' secrets. Run at startup after the
 * migrations; safe in several processes at once (a row changed meanwhile is left as it is). Once it
 * has run everywhere, the previous keys can be dropped. A secret no key opens is left alone.
 */
export async function resealSecrets(
  db: Pool,
  key: Buffer,
  previousKeys: readonly Buffer[],
): Promise<{ checkouts: number; channels: number }> {
  if (previousKeys.length === 0) return { checkouts: 0, channels: 0 };
  const reseal = (stored: string | null, owner: string): string | null => {
    if (stored === null || !stored.startsWith('v1.')) return stored;
    try {
      decryptSecret(key, stored, owner);
      return stored;
    } catch (error) {
      if (!(error instanceof SecretUnreadableError)) throw error;
    }
    try {
      return encryptSecret(key, decryptWithKeys(previousKeys, stored, owner), owner);
    } catch (error) {
      if (error instanceof SecretUnreadableError) return stored;
      throw error;
    }
  };

  let checkouts = 0;
  const sealed = await db.query<{ id: string; webhook_secret: string; previous_webhook_secret: string | null }>(
    `select id, webhook_secret, previous_webhook_secret from checkouts`,
  );
  for (const row of sealed.rows) {
    const current = reseal(row.webhook_secret, webhookSecretOwner(row.id))!;
    const previous = reseal(row.previous_webhook_secret, webhookSecretOwner(row.id));
    if (current === row.webhook_secret && previous === row.previous_webhook_secret) continue;
    const { rowCount } = await db.query(
      `update checkouts set webhook_secret = $4, previous_webhook_secret = $5
       where id = $1 and webhook_secret = $2 and previous_webhook_secret is not distinct from $3`,
      [row.id, row.webhook_secret, row.previous_webhook_secret, current, previous],
    );
    checkouts += rowCount ?? 0;
  }

  const sciKeys = await db.query<{ id: string; sci_secret_key: string; sci_test_key: string }>(
    `select id, sci_secret_key, sci_test_key from checkouts where sci_secret_key is not null and sci_test_key is not null`,
  );
  for (const row of sciKeys.rows) {
    const secretKey = reseal(row.sci_secret_key, sciKeyOwner(row.id, 'secret'));
    const testKey = reseal(row.sci_test_key, sciKeyOwner(row.id, 'test'));
    if (secretKey === row.sci_secret_key && testKey === row.sci_test_key) continue;
    const { rowCount } = await db.query(
      `update checkouts set sci_secret_key = $4, sci_test_key = $5
       where id = $1 and sci_secret_key = $2 and sci_test_key = $3`,
      [row.id, row.sci_secret_key, row.sci_test_key, secretKey, testKey],
    );
    checkouts += rowCount ?? 0;
  }

  let channels = 0;
  const secrets = await db.query<{ checkout_id: string; kind: string; secret: string }>(
    `select checkout_id, kind, secret from notification_channels where secret is not null`,
  );
  for (const row of secrets.rows) {
    const resealed = reseal(row.secret, secretOwner(row.checkout_id, row.kind));
    if (resealed === row.secret) continue;
    const { rowCount } = await db.query(
      `update notification_channels set secret = $4 where checkout_id = $1 and kind = $2 and secret = $3`,
      [row.checkout_id, row.kind, row.secret, resealed],
    );
    channels += rowCount ?? 0;
  }
  return { checkouts, channels };
}
