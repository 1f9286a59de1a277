import { createHmac, timingSafeEqual } from 'node:crypto';
import { CallbackVerificationError, type ProviderCallback } from '../types';
import { sandboxEventSchema, toProviderCallback } from './mapper';

export const SANDBOX_SIGNATURE_HEADER = 'sandbox-signature';

/** How far a callback's signed timestamp may be from our clock, either direction. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** Hex HMAC-SHA256 keyed with the webhook secret over `"<t>.<raw body>"`. */
export function computeSandboxSignature(secret: string, body: string | Buffer, t: number): string {
  return createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
}

/** The `Sandbox-Signature` header value for a body signed at unix second `t`: `t=<t>,v1=<hex>`. */
export function signSandboxPayload(secret: string, body: string | Buffer, t: number): string {
  return `t=${t},v1=${computeSandboxSignature(secret, body, t)}`;
}

function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    if (Array.isArray(value)) return value.length === 1 ? value[0] : undefined;
    return value;
  }
  return undefined;
}

function parseSignatureHeader(value: string): { t: number; signatures: string[] } {
  let t: number | undefined;
  const signatures: string[] = [];
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new CallbackVerificationError('malformed Sandbox-Signature header');
    const key = part.slice(0, eq).trim();
    const val = part.slice(eq + 1).trim();
    if (key === 't') {
      if (t !== undefined || !/^\d{1,12}$/.test(val)) {
        throw new CallbackVerificationError('malformed Sandbox-Signature timestamp');
      }
      t = Number(val);
    } else if (key === 'v1') {
      if (!/^[0-9a-f]{64}$/i.test(val)) throw new CallbackVerificationError('malformed Sandbox-Signature v1');
      signatures.push(val.toLowerCase());
    }
  }
  if (t === undefined || signatures.length === 0) {
    throw new CallbackVerificationError('Sandbox-Signature header lacks t or v1');
  }
  return { t, signatures };
}

/**
 * Checks the `Sandbox-Signature` header against the exact raw body, then parses and maps the
 * event. Throws {@link CallbackVerificationError} for a missing, malformed, wrong or stale
 * signature and for a body that is not a sandbox event.
 */
export function verifySandboxCallback(
  secret: string,
  rawBody: Buffer,
  headers: Record<string, string | string[] | undefined>,
  now: Date,
): ProviderCallback {
  const header = headerValue(headers, SANDBOX_SIGNATURE_HEADER);
  if (!header) throw new CallbackVerificationError('missing Sandbox-Signature header');
  const { t, signatures } = parseSignatureHeader(header);

  const expected = Buffer.from(computeSandboxSignature(secret, rawBody, t), 'hex');
  const matches = signatures.some((signature) => timingSafeEqual(Buffer.from(signature, 'hex'), expected));
  if (!matches) throw new CallbackVerificationError('Sandbox-Signature does not match the body');

  const skew = Math.abs(Math.floor(now.getTime() / 1000) - t);
  if (skew > SIGNATURE_TOLERANCE_SECONDS) {
    throw new CallbackVerificationError(`Sandbox-Signature timestamp is ${skew} s from now`);
  }

  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new CallbackVerificationError('callback body is not JSON');
  }
  const event = sandboxEventSchema.safeParse(json);
  if (!event.success) {
    const issue = event.error.issues[0];
    throw new CallbackVerificationError(
      `callback body is not a sandbox event: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return toProviderCallback(event.data);
}
