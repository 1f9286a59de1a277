import type { Pool } from 'pg';
import { randomToken } from '../domain/ids';
import { inTransaction, type Queryable } from './transaction';

export type WebRole = 'merchant' | 'operator';
export type WebTokenPurpose = 'invitation' | 'reset';

/** A person who signs in to the cabinet (`merchant`) or the console (`operator`). */
export interface WebUser {
  id: string;
  merchantId: string | null;
  role: WebRole;
  email: string;
  /** `scrypt$…`; null until the invitation is accepted. */
  passwordHash: string | null;
  locale: string;
  createdAt: Date;
  lastSignInAt: Date | null;
}

/** Another merchant's team the person of a session is on, under the same e-mail and password. */
export interface OtherTeam {
  userId: string;
  merchantId: string;
  merchantName: string;
}

/** A session found by its cookie's hash, with its user. */
export interface WebSessionRow {
  tokenHash: string;
  csrfToken: string;
  testMode: boolean;
  locale: string;
  lastSeenAt: Date;
  user: WebUser;
  otherTeams: OtherTeam[];
}

interface UserRow {
  id: string;
  merchant_id: string | null;
  role: WebRole;
  email: string;
  password_hash: string | null;
  locale: string;
  created_at: Date;
  last_sign_in_at: Date | null;
}

const userColumns = 'u.id, u.merchant_id, u.role, u.email, u.password_hash, u.locale, u.created_at, u.last_sign_in_at';

const mapUser = (row: UserRow): WebUser => ({
  id: row.id,
  merchantId: row.merchant_id,
  role: row.role,
  email: row.email,
  passwordHash: row.password_hash,
  locale: row.locale,
  createdAt: row.created_at,
  lastSignInAt: row.last_sign_in_at,
});

/** The user with this e-mail (any case) in the merchant's team, or among operators when `merchantId` is null. */
export async function findUserByEmail(
  db: Queryable,
  role: WebRole,
  merchantId: string | null,
  email: string,
): Promise<WebUser | null> {
  const { rows } = await db.query<UserRow>(
    `select ${userColumns} from web_users u where u.role = $1 and coalesce(u.merchant_id, '') = $2 and lower(u.email) = lower($3)`,
    [role, merchantId ?? '', email],
  );
  return rows[0] ? mapUser(rows[0]) : null;
}

/** Every user of `role` with this e-mail (a merchant user may be in several teams), most recently signed in first. */
export async function findUsersForSignIn(db: Queryable, role: WebRole, email: string): Promise<WebUser[]> {
  const { rows } = await db.query<UserRow>(
    `select ${userColumns} from web_users u
      where u.role = $1 and lower(u.email) = lower($2) and u.password_hash is not null
      order by u.last_sign_in_at desc nulls last, u.created_at`,
    [role, email],
  );
  return rows.map(mapUser);
}

export async function findUser(db: Queryable, id: string): Promise<WebUser | null> {
  const { rows } = await db.query<UserRow>(`select ${userColumns} from web_users u where u.id = $1`, [id]);
  return rows[0] ? mapUser(rows[0]) : null;
}

/** The user with this e-mail in the team, created (without a password) when there is none. */
export async function ensureUser(
  db: Queryable,
  input: { role: WebRole; merchantId: string | null; email: string; locale: string },
): Promise<WebUser> {
  const { rows } = await db.query<UserRow>(
    `insert into web_users (id, merchant_id, role, email, locale) values ($1, $2, $3, $4, $5)
     on conflict (role, coalesce(merchant_id, ''), lower(email)) do nothing
     returning id, merchant_id, role, email, password_hash, locale, created_at, last_sign_in_at`,
    [`usr_${randomToken(20)}`, input.merchantId, input.role, input.email, input.locale],
  );
  if (rows[0]) return mapUser(rows[0]);
  return (await findUserByEmail(db, input.role, input.merchantId, input.email))!;
}

/** A merchant's team, oldest first. */
export async function listMerchantUsers(db: Queryable, merchantId: string): Promise<WebUser[]> {
  const { rows } = await db.query<UserRow>(
    `select ${userColumns} from web_users u where u.merchant_id = $1 order by u.created_at, u.id`,
    [merchantId],
  );
  return rows.map(mapUser);
}

/** Every operator, oldest first. */
export async function listOperatorUsers(db: Queryable): Promise<WebUser[]> {
  const { rows } = await db.query<UserRow>(
    `select ${userColumns} from web_users u where u.role = 'operator' order by u.created_at, u.id`,
  );
  return rows.map(mapUser);
}

/** Deletes a user of the merchant (their sessions and links go with them); false when it is not the merchant's. */
export async function deleteMerchantUser(db: Queryable, merchantId: string, userId: string): Promise<boolean> {
  const { rowCount } = await db.query('delete from web_users where id = $1 and merchant_id = $2', [userId, merchantId]);
  return (rowCount ?? 0) > 0;
}

export async function setUserLocale(db: Queryable, userId: string, locale: string): Promise<void> {
  await db.query('update web_users set locale = $2 where id = $1', [userId, locale]);
}

export async function markSignedIn(db: Queryable, userId: string): Promise<void> {
  await db.query('update web_users set last_sign_in_at = now() where id = $1', [userId]);
}

/** A new one-time link for the user; earlier unused links of the same purpose stop working. */
export async function insertUserToken(
  db: Pool,
  input: { tokenHash: string; userId: string; purpose: WebTokenPurpose; ttlSeconds: number },
): Promise<void> {
  await inTransaction(db, async (client) => {
    await client.query(
      'update web_user_tokens set used_at = now() where user_id = $1 and purpose = $2 and used_at is null',
      [input.userId, input.purpose],
    );
    await client.query(
      `insert into web_user_tokens (token_hash, user_id, purpose, expires_at)
       values ($1, $2, $3, now() + make_interval(secs => $4))`,
      [input.tokenHash, input.userId, input.purpose, input.ttlSeconds],
    );
  });
}

/** The user of a link that is unused and not expired, or null. */
export async function findUsableToken(db: Queryable, tokenHash: string, purpose: WebTokenPurpose) {
  const { rows } = await db.query<UserRow>(
    `select ${userColumns} from web_user_tokens t join web_users u on u.id = t.user_id
      where t.token_hash = $1 and t.purpose = $2 and t.used_at is null and t.expires_at > now()`,
    [tokenHash, purpose],
  );
  return rows[0] ? mapUser(rows[0]) : null;
}

/**
 * Uses a link once: sets the user's password and ends every session they had, in one transaction.
 * Null when the link is used, expired or unknown (also when two requests race for it).
 */
export async function consumeTokenSettingPassword(
  db: Pool,
  tokenHash: string,
  purpose: WebTokenPurpose,
  passwordHash: string,
): Promise<WebUser | null> {
  return inTransaction(db, async (client) => {
    const { rows } = await client.query<{ user_id: string }>(
      `update web_user_tokens set used_at = now()
        where token_hash = $1 and purpose = $2 and used_at is null and expires_at > now()
        returning user_id`,
      [tokenHash, purpose],
    );
    if (!rows[0]) return null;
    // every other link of the user stops too: an invitation must not outlive a reset, nor a reset the invitation
    await client.query('update web_user_tokens set used_at = now() where user_id = $1 and used_at is null', [
      rows[0].user_id,
    ]);
    await client.query('update web_users set password_hash = $2 where id = $1', [rows[0].user_id, passwordHash]);
    await client.query('delete from web_sessions where user_id = $1', [rows[0].user_id]);
    // a session of another team whose sign-in proved the old password no longer opens this one
    await client.query(
      'update web_sessions set other_teams = array_remove(other_teams, $1) where $1 = any(other_teams)',
      [rows[0].user_id],
    );
    const user = await findUser(client, rows[0].user_id);
    await client.query('delete from web_sign_in_devices where role = $1 and email = lower($2)', [
      user!.role,
      user!.email,
    ]);
    return user;
  });
}

export async function insertSession(
  db: Queryable,
  input: {
    tokenHash: string;
    userId: string;
    csrfToken: string;
    testMode: boolean;
    locale: string;
    ttlSeconds: number;
    /** Users of other teams whose password the same sign-in proved (see {@link OtherTeam}). */
    otherTeams?: readonly string[];
  },
): Promise<void> {
  await db.query(
    `insert into web_sessions (token_hash, user_id, csrf_token, test_mode, locale, expires_at, other_teams)
     values ($1, $2, $3, $4, $5, now() + make_interval(secs => $6), $7)`,
    [
      input.tokenHash,
      input.userId,
      input.csrfToken,
      input.testMode,
      input.locale,
      input.ttlSeconds,
      input.otherTeams ?? [],
    ],
  );
}

/**
 * Ends a session and starts one for `userId` in its place, in one statement: the same mode,
 * language and absolute expiry (a switch never makes a session outlive its sign-in). False when
 * the old session was gone.
 */
export async function replaceSession(
  db: Queryable,
  oldTokenHash: string,
  input: { tokenHash: string; userId: string; csrfToken: string; otherTeams: readonly string[] },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `with old as (delete from web_sessions where token_hash = $1 returning test_mode, locale, expires_at)
     insert into web_sessions (token_hash, user_id, csrf_token, test_mode, locale, expires_at, other_teams)
     select $2, $3, $4, test_mode, locale, expires_at, $5 from old`,
    [oldTokenHash, input.tokenHash, input.userId, input.csrfToken, input.otherTeams],
  );
  return rowCount === 1;
}

/** The live session of this cookie hash: not past its absolute expiry, and seen within `idleSeconds`. */
export async function findLiveSession(
  db: Queryable,
  tokenHash: string,
  idleSeconds: number,
): Promise<WebSessionRow | null> {
  const { rows } = await db.query<
    UserRow & {
      token_hash: string;
      csrf_token: string;
      test_mode: boolean;
      session_locale: string;
      last_seen_at: Date;
      other_teams: OtherTeam[];
    }
  >(
    `select ${userColumns}, s.token_hash, s.csrf_token, s.test_mode, s.locale as session_locale, s.last_seen_at,
            (select coalesce(json_agg(json_build_object('userId', o.id, 'merchantId', m.id, 'merchantName', m.name)
                                      order by m.name, m.id), '[]')
               from web_users o join merchants m on m.id = o.merchant_id
              where o.id = any(s.other_teams) and o.role = u.role) as other_teams
       from web_sessions s join web_users u on u.id = s.user_id
      where s.token_hash = $1 and s.expires_at > now() and s.last_seen_at > now() - make_interval(secs => $2)`,
    [tokenHash, idleSeconds],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    tokenHash: row.token_hash,
    csrfToken: row.csrf_token,
    testMode: row.test_mode,
    locale: row.session_locale,
    lastSeenAt: row.last_seen_at,
    user: mapUser(row),
    otherTeams: row.other_teams,
  };
}

export async function touchSession(db: Queryable, tokenHash: string): Promise<void> {
  await db.query('update web_sessions set last_seen_at = now() where token_hash = $1', [tokenHash]);
}

export async function updateSession(
  db: Queryable,
  tokenHash: string,
  change: { testMode?: boolean; locale?: string },
): Promise<void> {
  await db.query(
    'update web_sessions set test_mode = coalesce($2, test_mode), locale = coalesce($3, locale) where token_hash = $1',
    [tokenHash, change.testMode ?? null, change.locale ?? null],
  );
}

export async function deleteSession(db: Queryable, tokenHash: string): Promise<void> {
  await db.query('delete from web_sessions where token_hash = $1', [tokenHash]);
}

/** Failed sign-ins per subject within the last `windowSeconds`. */
export async function countSignInFailures(
  db: Queryable,
  subjects: readonly string[],
  windowSeconds: number,
): Promise<Map<string, number>> {
  const { rows } = await db.query<{ subject: string; failures: string }>(
    `select subject, count(*) as failures from web_sign_in_failures
      where subject = any($1) and at > now() - make_interval(secs => $2) group by subject`,
    [subjects, windowSeconds],
  );
  return new Map(rows.map((row) => [row.subject, Number(row.failures)]));
}

/**
 * Records a sign-in attempt (or a reset request) for each subject and forgets those older than
 * `windowSeconds`; answers when, so that an attempt that succeeds can be forgotten again.
 */
export async function recordSignInFailure(
  db: Queryable,
  subjects: readonly string[],
  windowSeconds: number,
): Promise<string> {
  // as text: a Date would drop the microseconds the row keeps
  const { rows } = await db.query<{ at: string }>(
    'insert into web_sign_in_failures (subject) select unnest($1::text[]) returning at::text',
    [subjects],
  );
  await db.query('delete from web_sign_in_failures where at < now() - make_interval(secs => $1)', [windowSeconds]);
  return rows[0]!.at;
}

/** Forgets the attempt recorded at `at` (it succeeded). */
export async function forgetSignInFailure(db: Queryable, subjects: readonly string[], at: string): Promise<void> {
  await db.query('delete from web_sign_in_failures where subject = any($1) and at = $2::timestamptz', [subjects, at]);
}

/** Which of a browser's device tokens (their SHA-256) signed in to the area with this e-mail and is not expired, if any. */
export async function findSignInDevice(
  db: Queryable,
  tokenHashes: readonly string[],
  role: WebRole,
  email: string,
): Promise<string | null> {
  const { rows } = await db.query<{ token_hash: string }>(
    `select token_hash from web_sign_in_devices
      where token_hash = any($1) and role = $2 and email = lower($3) and expires_at > now() limit 1`,
    [tokenHashes, role, email],
  );
  return rows[0]?.token_hash ?? null;
}

/** Remembers (or remembers for longer) a browser that signed in, and forgets expired ones. */
export async function rememberSignInDevice(
  db: Queryable,
  input: { tokenHash: string; role: WebRole; email: string; ttlSeconds: number },
): Promise<void> {
  await db.query(
    `insert into web_sign_in_devices (token_hash, role, email, expires_at)
     values ($1, $2, lower($3), now() + make_interval(secs => $4))
     on conflict (token_hash) do update set expires_at = excluded.expires_at`,
    [input.tokenHash, input.role, input.email, input.ttlSeconds],
  );
  await db.query('delete from web_sign_in_devices where expires_at < now()');
}
