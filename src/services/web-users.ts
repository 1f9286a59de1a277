/**
 * People who sign in: a merchant's team (the cabinet, `/dashboard`) and operators (the console,
 * `/admin/console`). Passwords are scrypt hashes with a salt per user; sessions, invitations and
 * password-reset links are random tokens of which only a SHA-256 is stored. Links are e-mailed
 * (SMTP, or the dev mail log) and answered to the operator API too.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { mailLogDir } from '../config';
import { findMerchant } from '../db/merchants';
import {
  consumeTokenSettingPassword,
  countSignInFailures,
  deleteMerchantUser,
  deleteSession,
  ensureUser,
  findLiveSession,
  findUsableToken,
  findUser,
  findUserByEmail,
  findUsersForSignIn,
  insertSession,
  insertUserToken,
  findSignInDevice,
  listMerchantUsers,
  listOperatorUsers,
  markSignedIn,
  forgetSignInFailure,
  recordSignInFailure,
  replaceSession,
  rememberSignInDevice,
  setUserLocale,
  touchSession,
  updateSession,
  type OtherTeam,
  type WebRole,
  type WebTokenPurpose,
  type WebUser,
} from '../db/web-users';
import { randomToken } from '../domain/ids';
import { DomainError, invalid, notFound } from '../domain/errors';
import { html } from '../domain/html';
import { supportedLocale, translator } from '../i18n';
import { createMailer } from '../notifications/email';
import { operatorResource } from '../resources/merchant';
import type { ServiceDeps } from './deps';

export type { OtherTeam, WebRole, WebUser } from '../db/web-users';

/** A session ends after 12 hours without a request, and 7 days after sign-in in any case. */
export const sessionIdleSeconds = 12 * 3600;
export const sessionAbsoluteSeconds = 7 * 24 * 3600;
/** An invitation link works for 7 days, a password-reset link for 1 hour; each once. */
export const invitationSeconds = 7 * 24 * 3600;
export const resetSeconds = 3600;
/**
 * Sign-in failures allowed within the window: per e-mail address (per remembered browser, for one
 * that signed in with the address before) and per client address.
 */
export const signInLimit = { perEmail: 5, perAddress: 20, windowSeconds: 15 * 60 };
/** How long a browser that signed in is remembered as one that knew the e-mail's password. */
export const signInDeviceSeconds = 180 * 24 * 3600;
/** Password-reset e-mails per address within the same window. */
export const resetRequestLimit = 3;
export const passwordMinLength = 10;
const passwordMaxLength = 200;

/** Where each role signs in. */
export const webAreaPath: Record<WebRole, string> = { merchant: '/dashboard', operator: '/admin/console' };

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

// scrypt: N = 2^15, r = 8, p = 1 (32 MiB, some 50 ms); the parameters are stored with each hash.
const scryptParams = { N: 32768, r: 8, p: 1 };
const keyLength = 32;

function scryptAsync(password: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(
      password.normalize('NFKC'),
      salt,
      keyLength,
      { ...params, maxmem: 256 * params.N * params.r },
      (error, key) => (error ? reject(error) : resolve(key)),
    ),
  );
}

/** `scrypt$N$r$p$salt$hash` (base64url), a new salt each time. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, scryptParams);
  const { N, r, p } = scryptParams;
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Whether `password` matches `stored`, compared in constant time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scryptAsync(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

// Compared against when no user has the e-mail, so that an unknown address takes as long as a wrong password.
const decoyHash = hashPassword(randomToken(20));

/**
 * Refuses a password a person should not use: shorter than 10 characters, longer than 200, or the
 * e-mail address itself. The error's `code` (`password_too_short`, `password_too_long`,
 * `password_is_email`) names the reason for the page.
 */
export function checkPassword(password: string, email: string): void {
  if ([...password].length < passwordMinLength)
    throw invalid('password', `Use at least ${passwordMinLength} characters`, 'password_too_short');
  if ([...password].length > passwordMaxLength)
    throw invalid('password', `Use at most ${passwordMaxLength} characters`, 'password_too_long');
  if (password.trim().toLowerCase() === email.trim().toLowerCase())
    throw invalid('password', 'The password must not be the e-mail address', 'password_is_email');
}

const baseUrl = (deps: Pick<ServiceDeps, 'config'>) => deps.config.publicUrl.replace(/\/+$/, '');

/** The page of a one-time link. */
export const linkUrl = (deps: Pick<ServiceDeps, 'config'>, role: WebRole, purpose: WebTokenPurpose, token: string) =>
  `${baseUrl(deps)}${webAreaPath[role]}/${purpose === 'invitation' ? 'invitation' : 'password-reset'}/${token}`;

/** A new one-time link for `user`; `locale`, when chosen, is carried as `?locale=` so the page opens in it. */
async function issueLink(
  deps: Pick<ServiceDeps, 'db' | 'config'>,
  user: WebUser,
  purpose: WebTokenPurpose,
  locale: string | null,
) {
  const token = randomToken(43);
  await insertUserToken(deps.db, {
    tokenHash: sha256(token),
    userId: user.id,
    purpose,
    ttlSeconds: purpose === 'invitation' ? invitationSeconds : resetSeconds,
  });
  return `${linkUrl(deps, user.role, purpose, token)}${locale ? `?locale=${locale}` : ''}`;
}

/** Sends one e-mail with a link; a failure is logged, never thrown (the link is answered to the operator anyway). */
async function mailLink(
  deps: Pick<ServiceDeps, 'config' | 'observability'>,
  to: string,
  locale: string,
  kind: 'inviteMerchant' | 'inviteOperator' | 'reset',
  params: { url: string; merchant?: string },
): Promise<boolean> {
  const { config } = deps;
  const mailer = createMailer({
    smtpUrl: config.notifications.smtpUrl,
    mailLogDir: config.notifications.smtpUrl || config.env === 'production' ? null : mailLogDir(config),
    from: config.notifications.mailFrom,
  });
  if (!mailer) return false;
  const t = translator(locale);
  const texts = { ...params, merchant: params.merchant ?? '' };
  const lines = [
    t.t(`auth.mail.${kind}.intro`, texts),
    '',
    params.url,
    '',
    t.t(`auth.mail.${kind}.validity`),
    t.t('auth.mail.ignore'),
  ];
  const body = html`<!doctype html>
<html lang="${t.locale}"><body>
<p>${lines[0]!}</p>
<p><a href="${params.url}">${params.url}</a></p>
<p>${lines[4]!}<br>${lines[5]!}</p>
</body></html>
`;
  try {
    await mailer.send({
      to: [to],
      subject: t.t(`auth.mail.${kind}.subject`, texts),
      text: lines.join('\n'),
      html: body.markup,
    });
    return true;
  } catch (error) {
    deps.observability?.logger.warn({ err: error, kind }, `the ${kind} e-mail was not sent`);
    return false;
  } finally {
    mailer.close();
  }
}

/** A new invitation for a person, and whether the e-mail with it went out. */
export interface Invitation {
  user: WebUser;
  /** The one-time link (7 days): the person sets a password there and is signed in. */
  inviteUrl: string;
  emailed: boolean;
}

/**
 * Invites `email` to the merchant's cabinet: the user is created when the team has no one with that
 * address, a fresh link replaces any earlier one, and it is e-mailed in `locale`. Re-inviting someone
 * who already has a password lets them set a new one. Throws `not_found` for an unknown merchant.
 */
export async function inviteMerchantUser(
  deps: Pick<ServiceDeps, 'db' | 'config' | 'observability'>,
  input: { merchantId: string; email: string; locale?: string },
): Promise<Invitation> {
  const merchant = await findMerchant(deps.db, input.merchantId);
  if (!merchant) throw notFound('merchant', 'id');
  const chosen = supportedLocale(input.locale);
  const locale = chosen ?? 'en';
  const user = await ensureUser(deps.db, { role: 'merchant', merchantId: merchant.id, email: input.email, locale });
  const inviteUrl = await issueLink(deps, user, 'invitation', chosen);
  const emailed = await mailLink(deps, user.email, user.locale, 'inviteMerchant', {
    url: inviteUrl,
    merchant: merchant.name,
  });
  return { user, inviteUrl, emailed };
}

/** Invites an operator to the console (created when new); the link is e-mailed in `locale`. */
export async function inviteOperator(
  deps: Pick<ServiceDeps, 'db' | 'config' | 'observability'>,
  input: { email: string; locale?: string },
): Promise<Invitation> {
  const chosen = supportedLocale(input.locale);
  const locale = chosen ?? 'en';
  const user = await ensureUser(deps.db, { role: 'operator', merchantId: null, email: input.email, locale });
  const inviteUrl = await issueLink(deps, user, 'invitation', chosen);
  const emailed = await mailLink(deps, user.email, user.locale, 'inviteOperator', { url: inviteUrl });
  return { user, inviteUrl, emailed };
}

/** The user a one-time link is for, while it is usable; null when it is used, expired or unknown. */
export async function userOfLink(
  deps: Pick<ServiceDeps, 'db'>,
  role: WebRole,
  purpose: WebTokenPurpose,
  token: string,
): Promise<WebUser | null> {
  const user = await findUsableToken(deps.db, sha256(token), purpose);
  return user && user.role === role ? user : null;
}

/**
 * Uses a one-time link: checks the password ({@link checkPassword}), sets it, ends the user's other
 * sessions and uses the link up. Throws `invalid` (`link_unusable`) when the link is used, expired
 * or unknown.
 */
export async function setPasswordByLink(
  deps: Pick<ServiceDeps, 'db'>,
  input: { role: WebRole; purpose: WebTokenPurpose; token: string; password: string },
): Promise<WebUser> {
  const holder = await userOfLink(deps, input.role, input.purpose, input.token);
  if (!holder) throw invalid('token', 'This link was used already or has expired', 'link_unusable');
  checkPassword(input.password, holder.email);
  const user = await consumeTokenSettingPassword(
    deps.db,
    sha256(input.token),
    input.purpose,
    await hashPassword(input.password),
  );
  if (!user) throw invalid('token', 'This link was used already or has expired', 'link_unusable');
  return user;
}

/**
 * Sends a password-reset link (1 hour) to every `role` user with this address who has a password.
 * Answers nothing either way: whether the address is known is not told. At most
 * {@link resetRequestLimit} e-mails per address within the sign-in window.
 */
export async function requestPasswordReset(
  deps: Pick<ServiceDeps, 'db' | 'config' | 'observability'>,
  input: { role: WebRole; email: string },
): Promise<void> {
  const subject = [`${input.role}:reset:${input.email.trim().toLowerCase()}`];
  // counted after recording, so that requests racing each other never send more than the limit
  await recordSignInFailure(deps.db, subject, signInLimit.windowSeconds);
  const asked = await countSignInFailures(deps.db, subject, signInLimit.windowSeconds);
  if ((asked.get(subject[0]!) ?? 0) > resetRequestLimit) return;
  const users = await findUsersForSignIn(deps.db, input.role, input.email);
  for (const user of users) {
    const url = await issueLink(deps, user, 'reset', user.locale);
    await mailLink(deps, user.email, user.locale, 'reset', { url });
  }
}

/**
 * `otherTeams`: users of the other merchants' teams the person is on with the same e-mail and
 * password, which the session offers to switch to.
 */
export type SignInResult =
  { outcome: 'signed_in'; user: WebUser; otherTeams: string[] } | { outcome: 'refused' | 'rate_limited' };

/** Addresses one browser is remembered for, in one area: its device cookie carries a token for each. */
const maxDeviceTokens = 5;

/** The tokens a device cookie carries, newest first (`.`-separated; a token never has a `.`). */
const deviceTokens = (cookie: string | undefined) =>
  cookie && cookie.length <= 400
    ? cookie
        .split('.')
        .filter((token) => token.length > 0 && token.length <= 64)
        .slice(0, maxDeviceTokens)
    : [];

/**
 * Checks an e-mail and password for `role`. `refused` is the same for an unknown address and a
 * wrong password; after too many failures for the address or the client, `rate_limited` before
 * the password is even checked. A browser that signed in with this address before (its `device`
 * cookie, from {@link rememberDevice}) is limited on its own failures only, so guesses from
 * elsewhere, or from behind the same proxy, cannot shut the address's own people out.
 */
export async function signIn(
  deps: Pick<ServiceDeps, 'db'>,
  input: { role: WebRole; email: string; password: string; clientAddress: string; device?: string },
): Promise<SignInResult> {
  const email = input.email.trim().toLowerCase();
  const tokens = deviceTokens(input.device);
  const device = tokens.length > 0 ? await findSignInDevice(deps.db, tokens.map(sha256), input.role, email) : null;
  const subjects = [
    device ? `${input.role}:device:${device}` : `${input.role}:email:${email}`,
    `${input.role}:addr:${input.clientAddress}`,
  ];
  // recorded before counting, so that attempts racing each other all count: forgotten again if it succeeds
  const attemptedAt = await recordSignInFailure(deps.db, subjects, signInLimit.windowSeconds);
  const attempts = await countSignInFailures(deps.db, subjects, signInLimit.windowSeconds);
  if (
    (attempts.get(subjects[0]!) ?? 0) > signInLimit.perEmail ||
    (!device && (attempts.get(subjects[1]!) ?? 0) > signInLimit.perAddress)
  )
    return { outcome: 'rate_limited' };
  // most recently used first: that team's cabinet opens, the others are offered beside it
  const candidates = await findUsersForSignIn(deps.db, input.role, input.email.trim());
  const matching: WebUser[] = [];
  for (const user of candidates) if (await verifyPassword(input.password, user.passwordHash!)) matching.push(user);
  if (candidates.length === 0) await verifyPassword(input.password, await decoyHash);
  const [user, ...others] = matching;
  if (!user) return { outcome: 'refused' };
  await forgetSignInFailure(deps.db, subjects, attemptedAt);
  await markSignedIn(deps.db, user.id);
  return { outcome: 'signed_in', user, otherTeams: others.map((other) => other.id) };
}

/**
 * Remembers the browser `user` just signed in from (with a password, or a link and a new one) for
 * {@link signInDeviceSeconds}, beside up to four other addresses it signed in with: answers the
 * device cookie's new value (`presented`, its old one, when it already had this address's token).
 */
export async function rememberDevice(
  deps: Pick<ServiceDeps, 'db'>,
  user: WebUser,
  presented: string | undefined,
): Promise<string> {
  const tokens = deviceTokens(presented);
  const known = tokens.length > 0 ? await findSignInDevice(deps.db, tokens.map(sha256), user.role, user.email) : null;
  const token = tokens.find((candidate) => sha256(candidate) === known) ?? randomToken(43);
  await rememberSignInDevice(deps.db, {
    tokenHash: sha256(token),
    role: user.role,
    email: user.email,
    ttlSeconds: signInDeviceSeconds,
  });
  return [token, ...tokens.filter((other) => other !== token)].slice(0, maxDeviceTokens).join('.');
}

/** A new session for `user`: the cookie's token (only its hash is stored) and the forms' CSRF token. */
export async function startSession(
  deps: Pick<ServiceDeps, 'db'>,
  user: WebUser,
  options: { locale?: string; otherTeams?: readonly string[] } = {},
): Promise<{ token: string; csrfToken: string }> {
  const token = randomToken(43);
  const csrfToken = randomToken(32);
  await insertSession(deps.db, {
    tokenHash: sha256(token),
    userId: user.id,
    csrfToken,
    testMode: true,
    locale: supportedLocale(options.locale) ?? supportedLocale(user.locale) ?? 'en',
    ttlSeconds: sessionAbsoluteSeconds,
    otherTeams: options.otherTeams,
  });
  return { token, csrfToken };
}

/**
 * Moves a session to another team the person is on (one its sign-in proved): this session ends
 * and one for that team's user takes its place, offering this one's in turn, with the same mode,
 * language and absolute expiry. Answers the new session's cookie token; null when `userId` is not
 * one of the session's other teams.
 */
export async function switchTeam(
  deps: Pick<ServiceDeps, 'db'>,
  token: string,
  session: { userId: string; otherTeams: readonly OtherTeam[] },
  userId: string,
): Promise<string | null> {
  if (!session.otherTeams.some((team) => team.userId === userId)) return null;
  const user = await findUser(deps.db, userId);
  if (!user?.passwordHash) return null;
  const next = randomToken(43);
  const otherTeams = [session.userId, ...session.otherTeams.map((team) => team.userId).filter((id) => id !== userId)];
  const replaced = await replaceSession(deps.db, sha256(token), {
    tokenHash: sha256(next),
    userId: user.id,
    csrfToken: randomToken(32),
    otherTeams,
  });
  if (!replaced) return null;
  await markSignedIn(deps.db, user.id);
  return next;
}

/** A live session of `role` for the cookie's token, or null; each use keeps it from going idle. */
export async function sessionOfToken(deps: Pick<ServiceDeps, 'db'>, role: WebRole, token: string) {
  const found = await findLiveSession(deps.db, sha256(token), sessionIdleSeconds);
  if (!found || found.user.role !== role) return null;
  if (Date.now() - found.lastSeenAt.getTime() > 60_000) await touchSession(deps.db, found.tokenHash);
  return {
    userId: found.user.id,
    email: found.user.email,
    role: found.user.role,
    merchantId: found.user.merchantId,
    csrfToken: found.csrfToken,
    locale: found.locale,
    testMode: found.testMode,
    otherTeams: found.otherTeams,
  };
}

/** The cabinet's test/live switch, for this session only. */
export async function setSessionMode(deps: Pick<ServiceDeps, 'db'>, token: string, testMode: boolean): Promise<void> {
  await updateSession(deps.db, sha256(token), { testMode });
}

/** The language of this session and, from now on, of the user's e-mails and next sessions. */
export async function setSessionLocale(
  deps: Pick<ServiceDeps, 'db'>,
  token: string,
  userId: string,
  locale: string,
): Promise<void> {
  const code = supportedLocale(locale);
  if (!code) throw invalid('locale', 'Not a language Kassa speaks');
  await updateSession(deps.db, sha256(token), { locale: code });
  await setUserLocale(deps.db, userId, code);
}

/** Signs out: the session's row is deleted, so the cookie opens nothing any more. */
export async function endSession(deps: Pick<ServiceDeps, 'db'>, token: string): Promise<void> {
  await deleteSession(deps.db, sha256(token));
}

/** Someone who can sign in, as a list shows them: `invited` while no password is set. */
export interface TeamMember {
  id: string;
  email: string;
  invited: boolean;
  createdAt: Date;
  lastSignInAt: Date | null;
}

const teamMember = (user: WebUser): TeamMember => ({
  id: user.id,
  email: user.email,
  invited: user.passwordHash === null,
  createdAt: user.createdAt,
  lastSignInAt: user.lastSignInAt,
});

/** A merchant's team, oldest first. */
export async function listTeam(deps: Pick<ServiceDeps, 'db'>, merchantId: string): Promise<TeamMember[]> {
  return (await listMerchantUsers(deps.db, merchantId)).map(teamMember);
}

/** Every operator who can sign in to the console (or is invited to), oldest first. */
export async function listOperators(deps: Pick<ServiceDeps, 'db'>): Promise<TeamMember[]> {
  return (await listOperatorUsers(deps.db)).map(teamMember);
}

/** Removes someone from the merchant's team (their sessions end); not oneself. `not_found` for another merchant's user. */
export async function removeTeamMember(
  deps: Pick<ServiceDeps, 'db'>,
  input: { merchantId: string; userId: string; actingUserId: string },
): Promise<void> {
  if (input.userId === input.actingUserId)
    throw new DomainError('conflict', 'cannot_remove_self', 'You cannot remove yourself', 'user_id');
  if (!(await deleteMerchantUser(deps.db, input.merchantId, input.userId))) throw notFound('user', 'user_id');
}

/** Whether the merchant's team has someone with this address already (any case). */
export async function teamHasEmail(deps: Pick<ServiceDeps, 'db'>, merchantId: string, email: string): Promise<boolean> {
  const user = await findUserByEmail(deps.db, 'merchant', merchantId, email);
  return user !== null && user.passwordHash !== null;
}

/**
 * Invites an operator to the console (`POST /admin/operators`), as the operator API answers it:
 * `console_invite_url` is the one-time link (7 days), also e-mailed.
 */
export async function inviteToConsole(
  deps: Pick<ServiceDeps, 'db' | 'config' | 'observability'>,
  input: { email: string; locale?: string },
) {
  const invitation = await inviteOperator(deps, input);
  return { ...operatorResource(invitation.user), console_invite_url: invitation.inviteUrl };
}
