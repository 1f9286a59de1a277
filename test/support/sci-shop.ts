/**
 * A shop written the Interkassa way, as its CMS modules are: a page with a `<form>` of `ik_*` hidden
 * fields and `ik_sign` posting to the SCI URL, an interaction handler that signs every field it is
 * given (with the test key when `ik_pw_via` is Interkassa's test payway, the secret key otherwise)
 * and compares, and success, fail and pending pages that keep what the buyer brought. Its signature
 * code follows Interkassa's published algorithm, written here on its own: it shares nothing with Kassa.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';

export type Algorithm = 'md5' | 'sha256';

/** Interkassa's `ik_sign`, as the PHP modules compute it: ksort, append the key, implode with `:`, raw digest, base64. */
export function interkassaSign(fields: Record<string, string>, key: string, algorithm: Algorithm): string {
  const data = { ...fields };
  delete data.ik_sign;
  const names = Object.keys(data).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const values = names.map((name) => data[name]!);
  values.push(key);
  return createHash(algorithm)
    .update(Buffer.from(values.join(':'), 'utf8'))
    .digest('base64');
}

export interface ShopKeys {
  secretKey: string;
  testKey: string;
  algorithm: Algorithm;
}

export interface ShopRequest {
  path: string;
  method: string;
  /** The fields it carried: the form body for POST, the query for GET. */
  fields: Record<string, string>;
  contentType: string | undefined;
  receivedAt: number;
}

/** What the interaction handler made of one notification. */
export interface Interaction extends ShopRequest {
  /** Every field signed verified with the key `ik_pw_via` names. */
  verified: boolean;
  keyUsed: 'test' | 'secret';
  status: number;
}

const escape = (value: string) =>
  value.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

/**
 * The shop on loopback. `interactionStatuses` are answered in turn to interactions (then 200);
 * `form` is the order the checkout page offers, signed with the secret key at each request.
 */
export async function startSciShop(options: { keys: () => ShopKeys; interactionStatuses?: number[] }) {
  const statuses = [...(options.interactionStatuses ?? [])];
  const interactions: Interaction[] = [];
  const landings: ShopRequest[] = [];
  let form: { action: string; fields: Record<string, string>; after: Record<string, string | null> } | null = null;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://shop.local');
      const body = Buffer.concat(chunks).toString('utf8');
      const fields = Object.fromEntries(req.method === 'POST' ? new URLSearchParams(body) : url.searchParams);
      const request: ShopRequest = {
        path: url.pathname,
        method: req.method ?? 'GET',
        fields,
        contentType: req.headers['content-type'],
        receivedAt: Date.now(),
      };
      if (url.pathname === '/checkout' && form) {
        const keys = options.keys();
        const signed: Record<string, string | null> = {
          ...form.fields,
          ik_sign: interkassaSign(form.fields, keys.secretKey, keys.algorithm),
          ...form.after,
        };
        const inputs = Object.entries(signed)
          .filter((entry): entry is [string, string] => entry[1] !== null)
          .map(([name, value]) => `<input type="hidden" name="${escape(name)}" value="${escape(value)}">`)
          .join('\n');
        res.setHeader('content-type', 'text/html; charset=utf-8');
        res.end(`<!doctype html><html><head><meta charset="utf-8"><title>Checkout</title></head><body>
<h1>Your order</h1>
<form name="payment" method="post" action="${escape(form.action)}" accept-charset="UTF-8">
${inputs}
<input type="submit" id="pay" value="Pay">
</form></body></html>`);
        return;
      }
      if (url.pathname === '/interaction') {
        const keys = options.keys();
        const keyUsed = fields.ik_pw_via === 'test_interkassa_test_xts' ? 'test' : 'secret';
        const key = keyUsed === 'test' ? keys.testKey : keys.secretKey;
        const verified =
          typeof fields.ik_sign === 'string' && interkassaSign(fields, key, keys.algorithm) === fields.ik_sign;
        const status = verified ? (statuses.shift() ?? 200) : 400;
        interactions.push({ ...request, verified, keyUsed, status });
        res.statusCode = status;
        res.end(verified ? (status === 200 ? 'OK' : 'try later') : 'bad sign');
        return;
      }
      if (url.pathname === '/favicon.ico') {
        res.statusCode = 404;
        res.end();
        return;
      }
      landings.push(request);
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(
        `<!doctype html><html><head><meta charset="utf-8"><title>Shop</title></head><body><h1 id="landed">${escape(
          url.pathname,
        )}</h1><p id="state">${escape(fields.ik_inv_st ?? '')}</p></body></html>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    base,
    interactionUrl: `${base}/interaction`,
    interactions,
    landings,
    /**
     * The order the checkout page shows next: its `ik_*` fields, signed when served; `after` changes
     * fields once signed (a tampered form; null leaves a field out).
     */
    offer(action: string, fields: Record<string, string>, after: Record<string, string | null> = {}) {
      form = { action, fields, after };
    },
    async waitForInteractions(count: number, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (interactions.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} interactions, got ${interactions.length}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return interactions;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type SciShop = Awaited<ReturnType<typeof startSciShop>>;
