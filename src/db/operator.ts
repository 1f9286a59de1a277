import type { Pool } from 'pg';

/** The next delivery attempt number of a merchant event: one past the last recorded. */
export async function nextWebhookAttempt(db: Pool, eventId: string): Promise<number> {
  const { rows } = await db.query<{ next: number }>(
    'select coalesce(max(attempt), 0)::int + 1 as next from webhook_attempts where event_id = $1',
    [eventId],
  );
  return rows[0]!.next;
}
