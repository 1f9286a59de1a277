import { BlockList, isIP } from 'node:net';
import { CallbackVerificationError, type CallbackRequest } from '../types';
import { type YooKassaNotification, yookassaNotificationSchema } from './mapper';

/**
 * The networks YooKassa sends its notifications from, as its documentation ("Incoming
 * notifications") and its official SDK's `SecurityHelper` list them.
 */
export const YOOKASSA_NOTIFICATION_NETWORKS: readonly string[] = [
  '185.71.76.0/27',
  '185.71.77.0/27',
  '77.75.153.0/25',
  '77.75.156.11',
  '77.75.156.35',
  '77.75.154.128/25',
  '2a02:5180:0:1509::/64',
  '2a02:5180:0:2655::/64',
  '2a02:5180:0:1533::/64',
  '2a02:5180:0:2669::/64',
];

/** Whether a network is written as an IPv4 or IPv6 address, optionally with a prefix length. */
export function isNetwork(value: string): boolean {
  const [address, prefix, ...rest] = value.split('/');
  if (rest.length > 0 || !address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/** `::ffff:1.2.3.4` (an IPv4 caller on a dual-stack socket) as `1.2.3.4`. */
function plainAddress(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

/** A check of callers' addresses against networks given as `a.b.c.d[/n]` or IPv6 `x::y[/n]`. */
export function networkCheck(networks: readonly string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const network of networks) {
    const [address, prefix] = network.split('/') as [string, string | undefined];
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return (address) => {
    const plain = plainAddress(address);
    const family = isIP(plain);
    return family !== 0 && list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
  };
}

/**
 * A notification's first checks, before YooKassa's API is asked: it came by POST from one of the
 * connector's networks and is a notification (`type`, `event`, `object.id`, `object.status`).
 * YooKassa signs nothing, so the caller's address and the object read back from the API are what
 * make it trusted. Throws {@link CallbackVerificationError} otherwise.
 */
export function readNotification(
  request: CallbackRequest,
  trusted: (address: string) => boolean,
): YooKassaNotification {
  if (request.method !== 'POST') throw new CallbackVerificationError('YooKassa sends its notifications by POST');
  if (!trusted(request.remoteAddress))
    throw new CallbackVerificationError(`a notification from ${request.remoteAddress}, outside YooKassa's networks`);
  let body: unknown;
  try {
    body = JSON.parse(request.rawBody.toString('utf8'));
  } catch {
    throw new CallbackVerificationError('YooKassa notification body is not JSON');
  }
  const parsed = yookassaNotificationSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CallbackVerificationError(
      `not a YooKassa notification: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}
