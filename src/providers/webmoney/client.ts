/** WebMoney's X18 interface (payment details by payment number) over HTTP, each failure classified once. */
import { ProviderError } from '../types';
import { type HashMethod, parseX18Answer, type X18Answer, x18Request } from './mapper';
import { fetchFailure, retryAfter } from '../http-failures';

export interface WebMoneyClientOptions {
  /** The Merchant service, e.g. `https://merchant.webmoney.ru`. */
  merchantUrl: string;
  wmid: string;
  purse: string;
  secretKey: string;
  hashMethod: HashMethod;
  /** Per request. Default 10 000. */
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

export interface WebMoneyClient {
  /** X18: the payment made under `paymentNo` at the purse, if any. */
  findPayment(paymentNo: string): Promise<X18Answer>;
}

export function createWebMoneyClient(opts: WebMoneyClientOptions): WebMoneyClient {
  const url = `${opts.merchantUrl.replace(/\/+$/, '')}/conf/xml/XMLTransGet.asp`;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const fetchImpl = opts.fetchImpl ?? fetch;
  return {
    async findPayment(paymentNo) {
      let status: number;
      let text: string;
      let retryAfterHeader: string | null;
      try {
        const res = await fetchImpl(url, {
          method: 'POST',
          headers: { 'content-type': 'text/xml; charset=utf-8', accept: 'text/xml' },
          body: x18Request(opts, paymentNo),
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
        status = res.status;
        retryAfterHeader = res.headers.get('retry-after');
        text = await res.text();
      } catch (err) {
        // A read changes nothing at WebMoney: whatever happened, asking again is safe.
        throw fetchFailure(err, 'WebMoney X18', 'transient', timeoutMs);
      }
      if (status === 429 || status >= 500)
        throw new ProviderError(
          'transient',
          `http_${status}`,
          `WebMoney X18: HTTP ${status}`,
          retryAfter(retryAfterHeader),
        );
      if (status < 200 || status > 299)
        throw new ProviderError('definite', `http_${status}`, `WebMoney X18: HTTP ${status}`);
      const answer = parseX18Answer(text);
      if (!answer)
        throw new ProviderError(
          'transient',
          'malformed_response',
          'WebMoney X18 answered something else than merchant.response',
        );
      return answer;
    },
  };
}
