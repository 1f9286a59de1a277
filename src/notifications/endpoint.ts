/** One request to a notification endpoint (an SMS gateway, a shop's interaction URL) through the address policy. */
import { safeRequest, UnsafeUrlError } from '../net/safe-http';
import { DeliveryError } from './types';

export interface EndpointRequest {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body: string | undefined;
}

/**
 * Sends `request` and answers its status and the first 200 characters of its answer, on one line.
 * A URL the address policy refuses is a definite {@link DeliveryError}; no answer a transient one.
 * `what` names the endpoint in the error (`the SMS gateway`).
 */
export async function callEndpoint(
  request: EndpointRequest,
  what: string,
  options: { allowPrivate: boolean; timeoutMs: number },
): Promise<{ status: number; said: string }> {
  try {
    const response = await safeRequest(request.url, request, {
      allowPrivate: options.allowPrivate,
      timeoutMs: options.timeoutMs,
      maxResponseBytes: 4096,
    });
    const answer = response.body.replace(/\s+/g, ' ').trim().slice(0, 200);
    return { status: response.status, said: answer ? `: ${answer}` : '' };
  } catch (error) {
    if (error instanceof UnsafeUrlError)
      throw new DeliveryError(`${what} URL is refused: ${error.message}`, 'definite');
    const reason =
      (error as Error).name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : (error as Error).message;
    throw new DeliveryError(`${what} URL is unreachable: ${reason}`, 'transient');
  }
}
