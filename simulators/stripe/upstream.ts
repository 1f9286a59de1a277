/**
 * stripe-mock, Stripe's own API simulator, as the judge of every API request: it checks the path,
 * the method, the key and each parameter against Stripe's OpenAPI specification. It keeps no state,
 * so this simulator answers a request stripe-mock accepted from its own objects, and relays a
 * refusal as it is.
 */
export interface UpstreamAnswer {
  status: number;
  text: string;
  contentType: string;
}

const forwarded = ['authorization', 'content-type', 'idempotency-key', 'stripe-version', 'stripe-account'];

export async function askStripeMock(
  baseUrl: string,
  method: string,
  pathAndQuery: string,
  headers: Record<string, string | string[] | undefined>,
  body: string,
): Promise<UpstreamAnswer> {
  const sent: Record<string, string> = {};
  for (const name of forwarded) {
    const value = headers[name];
    if (typeof value === 'string') sent[name] = value;
  }
  try {
    const res = await fetch(new URL(pathAndQuery, baseUrl), {
      method,
      headers: sent,
      body: method === 'GET' || method === 'DELETE' ? undefined : body,
      signal: AbortSignal.timeout(10_000),
    });
    return {
      status: res.status,
      text: await res.text(),
      contentType: res.headers.get('content-type') ?? 'application/json',
    };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    return {
      status: 500,
      contentType: 'application/json',
      text: JSON.stringify({
        error: { type: 'api_error', message: `the Stripe simulator cannot reach stripe-mock at ${baseUrl}: ${cause}` },
      }),
    };
  }
}
