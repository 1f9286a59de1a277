/**
 * Secrets at rest (channel bot tokens and SMS gateway credentials, checkouts' webhook secrets):
 * AES-256-GCM with the key from `NOTIFICATIONS_KEY`, a fresh 96-bit nonce per value, and the
 * owning row's identity as additional data, so that a ciphertext copied onto another row does not
 * decrypt. Stored as `v1.<nonce>.<ciphertext+tag>` (base64url). The API shows a channel secret only
 * masked ({@link maskSecret}).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const keyBytes = 32;
const nonceBytes = 12;
const tagBytes = 16;

/** A secret that cannot be read back: another key, or a changed value. */
export class SecretUnreadableError extends Error {
  constructor(message = 'the secret cannot be decrypted with this NOTIFICATIONS_KEY') {
    super(message);
    this.name = 'SecretUnreadableError';
  }
}

/** `NOTIFICATIONS_KEY` as bytes: 32 bytes written as 64 hex digits or base64; `null` for anything else. */
export function parseNotificationsKey(text: string): Buffer | null {
  const value = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) {
    const bytes = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    return bytes.length === keyBytes ? bytes : null;
  }
  return null;
}

const devKeys = new Map<string, Buffer>();
const loadedKeys: Buffer[] = [];

function remember(key: Buffer): Buffer {
  if (!loadedKeys.some((known) => known.equals(key))) loadedKeys.push(key);
  return key;
}

/** Every key {@link notificationsKey} has handed out in this process, the first one first. */
export const loadedSecretKeys = (): readonly Buffer[] => loadedKeys;

/**
 * The key secrets are encrypted with: `NOTIFICATIONS_KEY` when set (config requires it
 * in production); otherwise one generated at the first start and kept in
 * `DATA_DIR/notifications-key` (mode 0600), so that development data survives restarts.
 * The process remembers it, and the keys it replaced (`NOTIFICATIONS_KEY_PREVIOUS`), for
 * {@link decryptWithLoadedKeys}.
 */
export function notificationsKey(config: {
  notifications: { key: Buffer | null; previousKeys?: Buffer[] };
  dataDir: string;
}): Buffer {
  if (config.notifications.key) {
    const key = remember(config.notifications.key);
    for (const previous of config.notifications.previousKeys ?? []) remember(previous);
    return key;
  }
  const file = path.resolve(config.dataDir, 'notifications-key');
  const known = devKeys.get(file);
  if (known) return known;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  try {
    fs.writeFileSync(file, `${randomBytes(keyBytes).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const key = parseNotificationsKey(fs.readFileSync(file, 'utf8'));
  if (!key) throw new Error(`${file} does not hold a 32-byte key: delete it or set NOTIFICATIONS_KEY`);
  devKeys.set(file, key);
  return remember(key);
}

/** The owner a channel's secret is bound to (its AES-GCM additional data). */
export const secretOwner = (checkoutId: string, kind: string) => `${checkoutId}/${kind}`;

/** Encrypts `plaintext` for the row named by `owner` (e.g. `co_…/telegram`). */
export function encryptSecret(key: Buffer, plaintext: string, owner: string): string {
  const nonce = randomBytes(nonceBytes);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(owner));
  const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `v1.${nonce.toString('base64url')}.${sealed.toString('base64url')}`;
}

/** The plaintext of {@link encryptSecret}'s output for the same `owner`; throws {@link SecretUnreadableError} otherwise. */
export function decryptSecret(key: Buffer, stored: string, owner: string): string {
  const [version, nonceText, sealedText] = stored.split('.');
  if (version !== 'v1' || !nonceText || !sealedText)
    throw new SecretUnreadableError('the stored secret is not in a known format');
  const nonce = Buffer.from(nonceText, 'base64url');
  const sealed = Buffer.from(sealedText, 'base64url');
  if (nonce.length !== nonceBytes || sealed.length < tagBytes)
    throw new SecretUnreadableError('the stored secret is truncated');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAAD(Buffer.from(owner));
    decipher.setAuthTag(sealed.subarray(sealed.length - tagBytes));
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - tagBytes)), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    throw new SecretUnreadableError();
  }
}

/**
 * {@link decryptSecret} with whichever key this process has loaded fits (GCM's tag tells them
 * apart); throws {@link SecretUnreadableError} when none does.
 */
export function decryptWithLoadedKeys(stored: string, owner: string): string {
  if (loadedKeys.length === 0) throw new SecretUnreadableError('no NOTIFICATIONS_KEY is loaded in this process');
  return decryptWithKeys(loadedKeys, stored, owner);
}

/** {@link decryptSecret} with the first of `keys` that fits: the current key, then the ones it replaced. */
export function decryptWithKeys(keys: readonly Buffer[], stored: string, owner: string): string {
  let failure: unknown = new SecretUnreadableError();
  for (const key of keys) {
    try {
      return decryptSecret(key, stored, owner);
    } catch (error) {
      if (!(error instanceof SecretUnreadableError)) throw error;
      failure = error;
    }
  }
  throw failure;
}

/** The last four characters kept beside the ciphertext for {@link maskSecret}; none for a secret too short to spare them. */
export const secretHint = (secret: string): string => (secret.length >= 12 ? secret.slice(-4) : '');

/** `text` with every occurrence of the given secrets replaced, for error messages that reach logs and histories. */
export function redactSecrets(text: string, secrets: (string | null | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('[REDACTED]');
    if (secret && secret.length >= 4 && encodeURIComponent(secret) !== secret)
      out = out.split(encodeURIComponent(secret)).join('[REDACTED]');
  }
  return out;
}
