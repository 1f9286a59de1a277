/**
 * Which destinations Kassa may send requests to on a merchant's behalf (docs/api.md §8): never a
 * loopback, private, link-local or otherwise internal address, in any of the spellings an
 * attacker may use (`127.1`, `2130706433`, `0x7f000001`, `[::ffff:127.0.0.1]`, …).
 */

/**
 * Parses IPv4 the way URL parsers and `inet_aton` do: one to four parts, each decimal, hex
 * (`0x`) or octal (leading `0`), the last filling the remaining bytes. `null` when not IPv4.
 */
export function parseIPv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length > 4 || parts.some((part) => part === '')) return null;
  const values: number[] = [];
  for (const part of parts) {
    let value: number;
    if (/^0x[0-9a-f]*$/i.test(part)) value = part.length === 2 ? 0 : parseInt(part.slice(2), 16);
    else if (/^0[0-7]+$/.test(part)) value = parseInt(part, 8);
    else if (/^(0|[1-9]\d*)$/.test(part)) value = Number(part);
    else return null;
    if (!Number.isFinite(value)) return null;
    values.push(value);
  }
  const last = values.pop()!;
  if (values.some((value) => value > 255) || last >= 256 ** (4 - values.length)) return null;
  return values.reduce((sum, value, index) => sum + value * 256 ** (3 - index), 0) + last;
}

/** Eight 16-bit groups of an IPv6 address (brackets and zone id allowed); `null` when not IPv6. */
export function parseIPv6(text: string): number[] | null {
  let value = text
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/%.*$/, '')
    .toLowerCase();
  if (!value.includes(':')) return null;
  const tail: number[] = [];
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(value);
  if (dotted) {
    const v4 = /^\d+\.\d+\.\d+\.\d+$/.test(dotted[2]!) ? parseStrictIPv4(dotted[2]!) : null;
    if (v4 === null) return null;
    tail.push(Math.floor(v4 / 65_536), v4 % 65_536);
    value = dotted[1]!.endsWith('::') ? dotted[1]! : dotted[1]!.slice(0, -1);
  }
  const halves = value.split('::');
  if (halves.length > 2) return null;
  const groups = (half: string) => (half === '' ? [] : half.split(':'));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if ([...head, ...rest].some((group) => !/^[0-9a-f]{1,4}$/.test(group))) return null;
  const known = head.length + rest.length + tail.length;
  if (halves.length === 1 ? known !== 8 : known > 7) return null;
  const zeros = new Array(8 - known).fill(0);
  return [...head.map((g) => parseInt(g, 16)), ...zeros, ...rest.map((g) => parseInt(g, 16)), ...tail];
}

function parseStrictIPv4(text: string): number | null {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((part) => !Number.isInteger(part) || part > 255)) return null;
  return parts.reduce((sum, part) => sum * 256 + part, 0);
}

const v4Blocks: [string, number, string][] = [
  ['0.0.0.0', 8, 'an unspecified address'],
  ['10.0.0.0', 8, 'a private address'],
  ['100.64.0.0', 10, 'a shared (carrier-grade NAT) address'],
  ['127.0.0.0', 8, 'a loopback address'],
  ['169.254.0.0', 16, 'a link-local address'],
  ['172.16.0.0', 12, 'a private address'],
  ['192.0.0.0', 24, 'a reserved address'],
  ['192.168.0.0', 16, 'a private address'],
  ['198.18.0.0', 15, 'a reserved address'],
  ['224.0.0.0', 4, 'a multicast address'],
  ['240.0.0.0', 4, 'a reserved address'],
];

function blockedIPv4Reason(address: number): string | null {
  for (const [base, bits, reason] of v4Blocks) {
    const size = 2 ** (32 - bits);
    const start = parseStrictIPv4(base)!;
    if (address >= start && address < start + size) return reason;
  }
  return null;
}

function blockedIPv6Reason(groups: number[]): string | null {
  const [g0, g1, g2, , , g5, g6, g7] = groups as [number, number, number, number, number, number, number, number];
  const embeddedV4 = g6 * 65_536 + g7;
  const zeroPrefix = (count: number) => groups.slice(0, count).every((group) => group === 0);
  if (zeroPrefix(8)) return 'an unspecified address';
  if (zeroPrefix(7) && g7 === 1) return 'a loopback address';
  if (zeroPrefix(5) && g5 === 0xffff) return blockedIPv4Reason(embeddedV4); // IPv4-mapped
  if (zeroPrefix(6)) return blockedIPv4Reason(embeddedV4) ?? 'a reserved address'; // IPv4-compatible
  if (g0 === 0x64 && g1 === 0xff9b && groups.slice(2, 6).every((group) => group === 0))
    return blockedIPv4Reason(embeddedV4); // NAT64
  if (g0 === 0x2002) return blockedIPv4Reason(g1 * 65_536 + g2); // 6to4
  if ((g0 & 0xfe00) === 0xfc00) return 'a private address';
  if ((g0 & 0xffc0) === 0xfe80) return 'a link-local address';
  if ((g0 & 0xffc0) === 0xfec0) return 'a site-local address';
  if ((g0 & 0xff00) === 0xff00) return 'a multicast address';
  if (g0 === 0x100 && groups.slice(1, 4).every((group) => group === 0)) return 'a reserved address'; // discard-only
  return null;
}

/**
 * Why Kassa may not connect to `host` (an IP literal in any spelling, or a name), or `null`.
 * A name other than `localhost` passes here: what it resolves to is checked when connecting.
 */
export function blockedHostReason(host: string): string | null {
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return 'a loopback address';
  const v6 = parseIPv6(name);
  if (v6) return blockedIPv6Reason(v6);
  const v4 = parseIPv4(name);
  return v4 === null ? null : blockedIPv4Reason(v4);
}

/**
 * What is wrong with a URL a merchant gives Kassa, or `null`: it must be http(s), carry no
 * credentials and, unless `allowPrivate`, not name a loopback, private or link-local host.
 */
export function urlProblem(raw: string, options: { allowPrivate: boolean }): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be a valid URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http(s) URL';
  if (url.username || url.password) return 'must not contain credentials';
  if (options.allowPrivate) return null;
  const reason = blockedHostReason(url.hostname);
  return reason ? `must not point to ${reason}` : null;
}
